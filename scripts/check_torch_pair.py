"""Check that the installed torch and torchvision run together (scripts/setup.sh, before anything trains).

A torchvision built for another torch (a CUDA wheel beside a CPU torch, or the other way round) often imports and
fails only when one of its operators first runs, with "operator torchvision::nms does not exist", which names
neither version. This runs one (nms on a single box) and says in one line what is installed and the torchvision
that matches: torch 2.N pairs with torchvision 0.(N+15). Exit status 1 when the pair is broken.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version


def installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "(not installed)"


def matching_torchvision(torch_version: str) -> str:
    """The torchvision release line built for `torch_version` ("2.14.1+cpu" -> "0.29.*")."""
    major, minor = (int(part) for part in torch_version.split("+")[0].split(".")[:2])
    return f"0.{minor + 15}.*" if major == 2 else "the one its release notes name"


def main() -> int:
    try:
        import torch
        import torchvision

        torchvision.ops.nms(torch.zeros(1, 4), torch.ones(1), 0.5)
    except Exception as error:  # a mismatched build raises RuntimeError, a missing one ImportError
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
        torch_version = installed("torch")
        fix = (
            f'.venv/bin/pip install --force-reinstall "torchvision=={matching_torchvision(torch_version)}"'
            if torch_version[0].isdigit()
            else ".venv/bin/pip install torch torchvision"
        )
        print(
            f"setup: torch {torch_version} and torchvision {installed('torchvision')} do not work together "
            f"({reason}). Fix: {fix}, then run scripts/setup.sh again",
            file=sys.stderr,
        )
        return 1
    print(f"setup: torch {torch.__version__} and torchvision {torchvision.__version__} work together")
    return 0


if __name__ == "__main__":
    sys.exit(main())
