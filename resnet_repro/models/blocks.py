"""Building blocks of the paper's nets: shortcuts A/B/C, the basic block and the bottleneck.

A block with `shortcut=None` is the plain twin: the same layers, no addition. Every batch norm
follows its conv directly, so a forward hook on a block's `bn1`/`bn2`/`bn3` sees the response
"after BN, before the nonlinearity and before the addition" that Fig. 7 measures.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

NormLayer = Callable[[int], nn.Module]  # channels -> a batch norm (torchvision's norm_layer)


@dataclass(frozen=True)
class ModelInit:
    """How the weights start (see init_weights); the defaults are the recipe's."""

    he_init_fan: str = "fan_out"
    fc_init: str = "uniform"
    zero_init_residual: bool = False
    bn_momentum: float = 0.1  # torch's; the recipe names it (recipe.bn_momentum)


@dataclass(frozen=True)
class Layers:
    """What the training options change inside a net, passed to its constructor as torchvision passes norm_layer:
    the batch norm (ghost batch norm for recipe.bn_batch) and per-block activation checkpointing."""

    norm_layer: NormLayer = nn.BatchNorm2d
    activation_checkpointing: bool = False


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A: identity, subsampled by taking every `stride`-th pixel, extra channels zero."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))
        return x


class ProjectionShortcut(nn.Sequential):
    """Options B and C: a 1x1 convolution (with the block's stride) followed by batch norm."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, norm_layer: NormLayer = nn.BatchNorm2d):
        super().__init__(conv1x1(in_channels, out_channels, stride), norm_layer(out_channels))


def make_shortcut(
    option: str | None, in_channels: int, out_channels: int, stride: int, norm_layer: NormLayer = nn.BatchNorm2d
) -> nn.Module | None:
    """The shortcut of one block; None for a plain net.

    A: parameter-free everywhere. B: projection only where the dimensions change.
    C: projection on every block.
    """
    if option is None:
        return None
    dims_change = stride != 1 or in_channels != out_channels
    if option == "C" or (option == "B" and dims_change):
        return ProjectionShortcut(in_channels, out_channels, stride, norm_layer)
    return ZeroPadShortcut(in_channels, out_channels, stride) if dims_change else nn.Identity()


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, add the shortcut, ReLU (ResNet-18/34 and every CIFAR net)."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        shortcut: str | None = "A",
        norm_layer: NormLayer = nn.BatchNorm2d,
    ):
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = conv3x3(in_channels, width, stride)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, out_channels)
        self.bn2 = norm_layer(out_channels)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, norm_layer)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out += self.shortcut(x)
        return F.relu(out, inplace=True)


class Bottleneck(nn.Module):
    """conv1x1 (reduce to width) - conv3x3 - conv1x1 (expand to 4 x width), add, ReLU.

    `stride_on="1x1"` is the paper's original net (res3a_branch2a is a stride-2 1x1 conv);
    `stride_on="3x3"` is torchvision's "ResNet v1.5".
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        shortcut: str | None = "B",
        stride_on: str = "1x1",
        norm_layer: NormLayer = nn.BatchNorm2d,
    ):
        super().__init__()
        out_channels = width * self.expansion
        first_stride, middle_stride = (stride, 1) if stride_on == "1x1" else (1, stride)
        self.conv1 = conv1x1(in_channels, width, first_stride)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, middle_stride)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = norm_layer(out_channels)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, norm_layer)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = F.relu(self.bn2(self.conv2(out)), inplace=True)
        out = self.bn3(self.conv3(out))
        if self.shortcut is not None:
            out += self.shortcut(x)
        return F.relu(out, inplace=True)


@contextlib.contextmanager
def batch_norm_frozen_stats(module: nn.Module):
    """While active, batch norm layers still normalise with batch statistics but leave running stats alone.

    Activation checkpointing runs a block's forward twice (once more during backward); without this
    the running mean and variance would be updated twice per step.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
    for m in norms:
        m.momentum = 0.0  # running = (1 - 0) * running + 0 * batch: unchanged
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(norms, saved):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


class StagedNet(nn.Module):
    """What the CIFAR and ImageNet nets share: a stem of `conv1`, `bn1` and ReLU (each net makes its layers before
    add_stages: the weights are drawn in module order; ImageNet's adds a max pool), stages of blocks, global average
    pool, fc."""

    def add_stages(
        self,
        channels: int,
        layout: list[tuple[int, int]],
        make_block: Callable[[int, int, int], nn.Module],
        num_classes: int,
        init: ModelInit,
        activation_checkpointing: bool,
    ) -> None:
        """Stages of `make_block(in_channels, width, stride)`, one (width, blocks) pair each: every stage after the
        first starts with a stride-2 block. Then the fc, and every weight's start (init_weights)."""
        stages = []
        for stage_index, (width, count) in enumerate(layout):
            blocks = []
            for block_index in range(count):
                blocks.append(make_block(channels, width, 2 if stage_index > 0 and block_index == 0 else 1))
                channels = width * blocks[-1].expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(channels, num_classes)
        init_weights(self, init)
        self.activation_checkpointing = activation_checkpointing  # recompute each block in backward: less memory

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn1(self.conv1(x)), inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = run_stages(self.stages, self.stem(x), self.activation_checkpointing)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def run_stages(stages: nn.Sequential, x: torch.Tensor, checkpointed: bool) -> torch.Tensor:
    """Run the stages in order; with `checkpointed`, keep only each block's input for backward and
    recompute the block during backward (memory for compute: ResNet-1202 at batch 128 in 2.9 GB).

    Per block rather than per stage: both recompute every block's forward once, but a stage-sized
    segment rebuilds all of its activations at once in backward, and the first stage of a CIFAR net
    holds 4/7 of them (measured in docs/benchmarks.md).
    """
    if not checkpointed or not torch.is_grad_enabled():
        return stages(x)
    from torch.utils.checkpoint import checkpoint

    for stage in stages:
        for block in stage:
            x = checkpoint(
                block,
                x,
                use_reentrant=False,
                context_fn=lambda b=block: (contextlib.nullcontext(), batch_norm_frozen_stats(b)),
            )
    return x


def init_weights(model: nn.Module, init: ModelInit = ModelInit()) -> None:
    """He (MSRA) normal init for convs, BN to identity; optionally zero each residual branch's last BN.

    The paper cites He et al. [13] but is silent on the fan mode; `fan_out` is fb.resnet.torch's and
    torchvision's, `fan_in` Caffe's MSRAFiller default. Either keeps the signal's scale ([13]).
    fc: "uniform" keeps torch's default U(+-1/sqrt(fan_in)) for weight and bias; "gaussian-0.01" is the
    Gaussian filler common in Caffe models (std 0.01, bias 0).
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode=init.he_init_fan, nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
            module.momentum = init.bn_momentum
        elif isinstance(module, nn.Linear) and init.fc_init == "gaussian-0.01":
            nn.init.normal_(module.weight, std=0.01)
            nn.init.zeros_(module.bias)
    if init.zero_init_residual:
        for module in model.modules():
            if isinstance(module, (BasicBlock, Bottleneck)) and module.shortcut is not None:
                nn.init.zeros_(module.last_bn.weight)
