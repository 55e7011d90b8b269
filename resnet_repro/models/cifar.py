"""The paper's CIFAR-10 nets (Sec. 4.2): 6n+2 weighted layers on 32x32 inputs.

conv3x3(16) - three stages of n basic blocks at 32/16/8 pixels with 16/32/64 filters -
global average pool - fc. Stages 2 and 3 start with a stride-2 conv.
"""

from __future__ import annotations

from functools import partial

from .blocks import BasicBlock, Layers, ModelInit, StagedNet, conv3x3

CIFAR_WIDTHS = (16, 32, 64)


class CifarResNet(StagedNet):
    def __init__(
        self,
        n: int,
        shortcut: str | None = "A",
        num_classes: int = 10,
        in_channels: int = 3,
        init: ModelInit = ModelInit(),
        layers: Layers = Layers(),
    ):
        super().__init__()
        self.depth = 6 * n + 2
        self.conv1 = conv3x3(in_channels, CIFAR_WIDTHS[0])
        self.bn1 = layers.norm_layer(CIFAR_WIDTHS[0])
        layout = [(width, n) for width in CIFAR_WIDTHS]
        block = partial(BasicBlock, shortcut=shortcut, norm_layer=layers.norm_layer)
        self.add_stages(CIFAR_WIDTHS[0], layout, block, num_classes, init, layers.activation_checkpointing)
