"""The paper's ImageNet nets (Table 1): ResNet/plain 18, 34, 50, 101, 152.

Stem conv7x7/2 (64) - BN - ReLU - maxpool3x3/2, four stages at 56/28/14/7 pixels
(widths 64/128/256/512, x4 for bottlenecks), global average pool, fc.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from .blocks import BasicBlock, Bottleneck, Layers, ModelInit, StagedNet

IMAGENET_WIDTHS = (64, 128, 256, 512)

# depth -> (block kind, blocks per stage), Table 1.
IMAGENET_LAYOUTS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}

# "original": stride 2 on a bottleneck's first 1x1 (the paper's released models);
# "v1.5": stride 2 on the 3x3 (torchvision).
VARIANTS = {"original": "1x1", "v1.5": "3x3"}


class ImageNetResNet(StagedNet):
    def __init__(
        self,
        depth: int,
        shortcut: str | None = "B",
        variant: str = "original",
        num_classes: int = 1000,
        in_channels: int = 3,
        init: ModelInit = ModelInit(),
        layers: Layers = Layers(),
    ):
        super().__init__()
        self.depth = depth
        kind, blocks_per_stage = IMAGENET_LAYOUTS[depth]
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = layers.norm_layer(64)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        block = partial(BasicBlock, shortcut=shortcut, norm_layer=layers.norm_layer)
        if kind == "bottleneck":
            block = partial(Bottleneck, shortcut=shortcut, stride_on=VARIANTS[variant], norm_layer=layers.norm_layer)
        layout = list(zip(IMAGENET_WIDTHS, blocks_per_stage))
        self.add_stages(64, layout, block, num_classes, init, layers.activation_checkpointing)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.maxpool(super().stem(x))
