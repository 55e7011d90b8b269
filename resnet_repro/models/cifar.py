"""The paper's CIFAR-10 nets (Sec. 4.2): 6n+2 weighted layers on 32x32 inputs.

conv3x3(16) - three stages of n basic blocks at 32/16/8 pixels with 16/32/64 filters -
global average pool - fc. Stages 2 and 3 start with a stride-2 conv.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import BasicBlock, ModelInit, NormLayer, build_stages, conv3x3, init_weights, run_stages

CIFAR_WIDTHS = (16, 32, 64)


class CifarResNet(nn.Module):
    def __init__(
        self,
        n: int,
        shortcut: str | None = "A",
        num_classes: int = 10,
        in_channels: int = 3,
        init: ModelInit = ModelInit(),
        norm_layer: NormLayer = nn.BatchNorm2d,
        activation_checkpointing: bool = False,
    ):
        super().__init__()
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.depth = 6 * n + 2
        self.conv1 = conv3x3(in_channels, CIFAR_WIDTHS[0])
        self.bn1 = norm_layer(CIFAR_WIDTHS[0])
        layout = [(width, n) for width in CIFAR_WIDTHS]
        self.stages, channels = build_stages(
            CIFAR_WIDTHS[0], layout, lambda c, width, stride: BasicBlock(c, width, stride, shortcut, norm_layer)
        )
        self.fc = nn.Linear(channels, num_classes)
        init_weights(self, init)
        self.activation_checkpointing = activation_checkpointing  # recompute each block in backward: less memory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = run_stages(self.stages, x, self.activation_checkpointing)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)
