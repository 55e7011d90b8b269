"""The engines by name: each engine registers itself here, and whatever reads a target file looks its engine up here.

It sits below every module that reads a target file, and names no engine, so none of them imports an engine. The
engines are loaded by name the first time one is looked up, the way plugins are: this package's own (the modules of
resnet_repro.engines, each of which calls `register`), then every installed package's modules under the entry-point
group `resnet_repro.engines`. No torch here: `plot`, `report` and `list` use the registry.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from ..basics.errors import UserError

PLUGIN_GROUP = "resnet_repro.engines"
BUILT_IN_PACKAGE = "resnet_repro.engines"  # registers this package's engines on import (its BUILT_IN)

_REGISTRY: dict = {}  # engine name -> its engines.base.Engine
_loaded = False


def register(engine):
    """Make `engine` known by its name (a second engine of the same name replaces the first)."""
    if not engine.name:
        raise ValueError("an engine needs a name")
    _REGISTRY[engine.name] = engine
    return engine


def _load_engines() -> None:
    """Import, once, this package's engines and every installed package's engine modules (entry-point group
    `resnet_repro.engines`); each registers its engine on import. A plugin that fails to import is the user's error,
    named."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import_module(BUILT_IN_PACKAGE)
    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()
        except Exception as error:  # whatever a third-party module raises, the user sees which plugin and why
            raise UserError(f"engine plugin {point.name!r} ({point.value}) failed to import: {error}") from None


def get_engine(name: str):
    """The engine (an engines.base.Engine) a target file names in `engine:`."""
    _load_engines()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"engine: {name!r} is not one of {', '.join(_REGISTRY)}") from None


def engine_names() -> list[str]:
    _load_engines()
    return list(_REGISTRY)


def section_names() -> set[str]:
    """Every YAML section some engine reads: the keys a target file may have beyond the common ones."""
    _load_engines()
    return {key for engine in _REGISTRY.values() for key in engine.sections}
