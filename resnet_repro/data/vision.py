"""torchvision, checked once where the tool first needs it (a download, ImageNet's transforms).

torch and torchvision are built as pairs: a torchvision built for another torch (a CUDA wheel beside a CPU torch)
fails on import with a message about its own operators ("operator torchvision::nms does not exist") that names
neither version. The check turns that into one line that names both and the install line that fixes it.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from ..basics.errors import UserError, shorten

# The CPU-only pair (docs/install.md, installing by hand); --force-reinstall because pip keeps a mismatched pair it already has.
FIX = "pip install --force-reinstall torch torchvision --index-url https://download.pytorch.org/whl/cpu"


def installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


@cache
def require_torchvision():
    """The torchvision module, or a one-line error naming the torch/torchvision pair and the fix."""
    try:
        return import_module("torchvision")
    except Exception as error:  # a mismatched build raises RuntimeError, a missing one ImportError
        raise UserError(
            f"torchvision {installed('torchvision')} does not load with torch {installed('torch')} "
            f"({shorten(str(error))}): the two must be a matching pair. Fix: {FIX} (on a machine with an NVIDIA GPU, "
            f"the same without --index-url)"
        ) from None
