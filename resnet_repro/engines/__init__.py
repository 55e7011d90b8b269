"""The engines: one module per engine, each one object (`base.Engine`) registered here by its name.

A target file names its engine (`engine: cifar`); every command looks the engine up with `get_engine`, so
no code outside this package compares engine names. An engine of one's own registers with `register`.
No torch is imported here: `plot`, `report` and `list` use the registry.
"""

from __future__ import annotations

from ..errors import UserError
from .base import Engine, Outcome

_REGISTRY: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    """Make `engine` known by its name (a second engine of the same name replaces the first)."""
    if not engine.name:
        raise ValueError("an engine needs a name")
    _REGISTRY[engine.name] = engine
    return engine


def get_engine(name: str) -> Engine:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"engine: {name!r} is not one of {', '.join(_REGISTRY)}") from None


def engine_names() -> list[str]:
    return list(_REGISTRY)


def section_names() -> set[str]:
    """Every YAML section some engine reads: the keys a target file may have beyond the common ones."""
    return {key for engine in _REGISTRY.values() for key in engine.sections}


from . import cifar, complexity, gradflow, imagenet, layer_responses  # noqa: E402  (each registers itself)

__all__ = ["Engine", "Outcome", "register", "get_engine", "engine_names", "section_names", "cifar", "complexity",
           "gradflow", "imagenet", "layer_responses"]
