"""The engines: one folder per engine, whose engine.py holds one object (`base.Engine`) registered by its name in
specs/registry.py; its measure.py holds what needs torch, its outputs.py the tables, figures and what the report reads.

A target file names its engine (`engine: cifar`); every command looks the engine up with `get_engine`, so
no code outside this package compares engine names. An engine of one's own is a module that calls `register`:
inside this package, a folder named in `BUILT_IN` below; in a package of one's own, named in that package's
metadata under the entry-point group `resnet_repro.engines` (loaded the first time an engine is looked up).
No torch is imported here: `plot`, `report` and `list` use the registry.
"""

from __future__ import annotations

from importlib import import_module

from ..specs.registry import PLUGIN_GROUP, engine_names, get_engine, register, section_names
from .base import Engine, Outcome

# The engines of this package, each a folder whose engine.py registers itself on import: a new one is one more name here.
BUILT_IN = ("complexity", "cifar", "imagenet", "layer_responses", "gradflow")
for _module in BUILT_IN:
    import_module(f".{_module}.engine", __name__)

__all__ = ["BUILT_IN", "PLUGIN_GROUP", "Engine", "Outcome", "engine_names", "get_engine", "register", "section_names"]
