"""The engines: one module per engine, each one object (`base.Engine`) registered here by its name.

A target file names its engine (`engine: cifar`); every command looks the engine up with `get_engine`, so
no code outside this package compares engine names. An engine of one's own is a module that calls `register`:
inside this package, named in `BUILT_IN` at the bottom of this file; in a package of one's own, named in that package's
metadata under the entry-point group `resnet_repro.engines` (loaded the first time an engine is looked up).
No torch is imported here: `plot`, `report` and `list` use the registry.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from ..errors import UserError
from .base import Engine, Outcome

PLUGIN_GROUP = "resnet_repro.engines"

_REGISTRY: dict[str, Engine] = {}
_plugins_loaded = False


def register(engine: Engine) -> Engine:
    """Make `engine` known by its name (a second engine of the same name replaces the first)."""
    if not engine.name:
        raise ValueError("an engine needs a name")
    _REGISTRY[engine.name] = engine
    return engine


def _load_plugins() -> None:
    """Import, once, every installed package's engine modules (entry-point group `resnet_repro.engines`); each
    registers its engine on import. A plugin that fails to import is the user's error, named."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()
        except Exception as error:  # whatever a third-party module raises, the user sees which plugin and why
            raise UserError(f"engine plugin {point.name!r} ({point.value}) failed to import: {error}") from None


def get_engine(name: str) -> Engine:
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"engine: {name!r} is not one of {', '.join(_REGISTRY)}") from None


def engine_names() -> list[str]:
    _load_plugins()
    return list(_REGISTRY)


def section_names() -> set[str]:
    """Every YAML section some engine reads: the keys a target file may have beyond the common ones."""
    _load_plugins()
    return {key for engine in _REGISTRY.values() for key in engine.sections}


# The engines of this package, each a module that registers itself on import: a new one is one more name here.
BUILT_IN = ("complexity", "cifar", "imagenet", "layer_responses", "gradflow")
for _module in BUILT_IN:
    import_module(f".{_module}", __name__)

__all__ = ["BUILT_IN", "PLUGIN_GROUP", "Engine", "Outcome", "engine_names", "get_engine", "register", "section_names"]
