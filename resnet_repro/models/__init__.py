"""The model zoo. Public API: `build_model(name, shortcut=..., variant=..., num_classes=..., in_channels=...)`.

Name rules are in specs/naming.py (shared with the torch-free plot and report code). `build_model` is where a net's
name, shortcut and variant are checked; the classes it builds take them as checked (a recipe's init values are
checked when the recipe is read).
"""

from __future__ import annotations

from torch import nn

from ..basics.errors import UserError
from ..specs.naming import FAMILY_DEFAULTS, SHORTCUT_OPTIONS, default_shortcut, parse_model_name
from .blocks import Layers, ModelInit
from .cifar import CifarResNet
from .imagenet import VARIANTS, ImageNetResNet


def build_model(
    name: str,
    shortcut: str | None = None,
    variant: str = "original",
    num_classes: int | None = None,
    in_channels: int = 3,
    family: str | None = None,
    init: ModelInit = ModelInit(),
    layers: Layers = Layers(),
) -> nn.Module:
    """Build a paper net by name.

    shortcut: "A", "B" or "C" for residual nets (default A on CIFAR, B on ImageNet); ignored by
    plain nets, which have none. variant: "original" (bottleneck stride on the first 1x1, the
    paper's) or "v1.5" (on the 3x3, torchvision's); ImageNet bottleneck nets only. family: "cifar" or
    "imagenet" where a depth names both (50, 152). init: see blocks.init_weights. layers: see Layers.
    """
    model = parse_model_name(name, family)
    if shortcut is not None and shortcut not in SHORTCUT_OPTIONS:
        raise UserError(f"unknown shortcut option {shortcut!r}: use one of {', '.join(SHORTCUT_OPTIONS)}")
    if variant not in VARIANTS:
        raise UserError(f"unknown variant {variant!r}: use one of {', '.join(VARIANTS)}")
    option = (shortcut or default_shortcut(model)) if model.residual else None
    classes = num_classes if num_classes is not None else FAMILY_DEFAULTS[model.family][1]
    if model.family == "cifar":
        if variant != "original":
            raise UserError(
                f"variant {variant} applies to the ImageNet bottleneck nets only, not {model.canonical} (CIFAR)"
            )
        return CifarResNet((model.depth - 2) // 6, option, classes, in_channels, init, layers)
    return ImageNetResNet(model.depth, option, variant, classes, in_channels, init, layers)
