"""Model names and run labels, without torch (plot and report code use these too).

Names are `resnet<depth>` or `plain<depth>` (case, '-' and '_' ignored). Depths 18/34/50/101/152
are the ImageNet nets; any other 6n+2 depth is a CIFAR net. `family="cifar"` forces the CIFAR
net where a depth is both (50 = 6*8+2, 152 = 6*25+2).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..basics.errors import UserError, excerpt

SHORTCUT_OPTIONS = ("A", "B", "C")
IMAGENET_DEPTHS = (18, 34, 50, 101, 152)
BOTTLENECK_DEPTHS = (50, 101, 152)  # the ImageNet nets built of bottleneck blocks
# Where a bottleneck's stride-2 sits: "original" on the first 1x1 (the paper's released models), "v1.5" on the
# 3x3 (torchvision's).
VARIANTS = ("original", "v1.5")
FAMILY_DEFAULTS = {
    # family: (default shortcut, default classes). The paper's CIFAR nets use option A everywhere;
    # its deeper ImageNet nets (and torchvision's) use B.
    "cifar": ("A", 10),
    "imagenet": ("B", 1000),
}
_NAME_PATTERN = re.compile(r"^(resnet|plain)(\d+)$")
# The names a misspelt one is matched against (difflib ranks them by likeness, so their order does not matter): the
# ResNets of the paper's CIFAR depths and of every ImageNet depth, and its plain nets.
_EXAMPLES = [
    *(f"resnet{depth}" for depth in (20, 56, 110, 1202, *IMAGENET_DEPTHS)),
    *(f"plain{depth}" for depth in (20, 56, 18, 34)),
]


@dataclass(frozen=True)
class ModelName:
    kind: str  # "resnet" or "plain"
    depth: int
    family: str  # "cifar" or "imagenet"

    @property
    def residual(self) -> bool:
        return self.kind == "resnet"

    @property
    def canonical(self) -> str:
        return f"{self.kind}{self.depth}"


def parse_model_name(name: str, family: str | None = None) -> ModelName:
    """'ResNet-56' -> ModelName('resnet', 56, 'cifar'). Raises UserError for a name that is no net."""
    key = str(name).lower().replace("-", "").replace("_", "")
    match = _NAME_PATTERN.match(key)
    if not match:
        close = difflib.get_close_matches(key, _EXAMPLES, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UserError(
            f"unknown model {excerpt(name)}: use resnet<depth> or plain<depth>, e.g. resnet56, plain20, resnet50.{hint}"
        )
    kind, depth = match.group(1), int(match.group(2))
    if family not in (None, "cifar", "imagenet"):
        raise UserError(f"unknown model family {excerpt(family)}: use 'cifar' or 'imagenet'")
    if family is None:
        family = "imagenet" if depth in IMAGENET_DEPTHS else "cifar"
    if family == "imagenet" and depth not in IMAGENET_DEPTHS:
        raise UserError(f"unknown model {excerpt(name)}: ImageNet depths are {', '.join(map(str, IMAGENET_DEPTHS))}")
    if family == "cifar" and (depth < 8 or (depth - 2) % 6):
        raise UserError(f"unknown model {excerpt(name)}: CIFAR nets have 6n+2 layers (20, 32, 44, 56, 110, 1202, ...)")
    return ModelName(kind, depth, family)


def shortcut_problem(model: ModelName, shortcut) -> str | None:
    """Why a run's or a net's `shortcut` cannot apply to `model`, None when it can. A value that cannot apply is an
    error, never dropped: a plain net with `shortcut: B` would train, and its config say `shortcut: null`."""
    if shortcut is None:
        return None
    if not model.residual:
        return (
            f"{excerpt(shortcut)} cannot apply: {model.canonical} is a plain net, which has no shortcuts; "
            f"remove the key, or use resnet{model.depth}"
        )
    if shortcut not in SHORTCUT_OPTIONS:
        return f"{excerpt(shortcut)} is not one of {', '.join(SHORTCUT_OPTIONS)}"
    return None


def variant_problem(model: ModelName, variant) -> str | None:
    """Why `variant` cannot apply to `model`, None when it can: only the ImageNet bottleneck nets have another."""
    if variant not in VARIANTS:
        return f"{excerpt(variant)} is not one of {', '.join(VARIANTS)}"
    if variant != "original" and not (model.family == "imagenet" and model.depth in BOTTLENECK_DEPTHS):
        return (
            f"{variant} applies to the ImageNet bottleneck nets only (depth {', '.join(map(str, BOTTLENECK_DEPTHS))})"
        )
    return None


def default_shortcut(model: ModelName) -> str:
    return FAMILY_DEFAULTS[model.family][0]


def model_label(name: str, shortcut: str | None = None, family: str | None = None) -> str:
    """The readable label used in run names and tables: 'resnet-56-A', 'plain-20'. `shortcut` is one the file's net
    was checked against when the file was read (`shortcut_problem`)."""
    model = parse_model_name(name, family)
    if not model.residual:
        return f"plain-{model.depth}"
    return f"resnet-{model.depth}-{shortcut or default_shortcut(model)}"
