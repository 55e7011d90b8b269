"""Ghost batch norm: normalise a training batch in independent groups, as the paper's two GPUs did.

With batch 128 on two GPUs each BN saw 64 images. `norm_layer(64)` is the batch norm a net is built with
(models.Layers) that, in training mode, normalises each group of 64 images with torch's own
batch-norm kernel and averages the groups' running-stat updates. The groups are slices along the
batch axis, which are contiguous in NCHW and channels_last alike, so nothing is transposed or
copied on the way in and the output keeps the input's memory format. (Folding the groups into the
channel axis instead costs two transposes and hands the next convolution an NCHW tensor: 2-3x
slower per BN on a CPU, and the convolutions behind it slower too.) Eval mode is ordinary batch norm.

The running statistics are the average of the G groups' updates, (1 - m) * old + (m / G) * sum of the
groups' statistics. Rather than give each group a copy of the buffers and average the copies (ten
small kernels more per layer, which a GPU step of small kernels pays for), each group updates the real
buffers in turn, group k (from 0) with momentum (m / G) / (1 - (G - 1 - k) * m / G): expanding the
sequence gives exactly the average above (group G-1 weighs m / G; each earlier one m / G once the later
ones have scaled it down). Each group's update happens inside torch's batch-norm kernel.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn


class GhostBatchNorm2d(nn.BatchNorm2d):
    def __init__(self, num_features: int, group_size: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if not self.training or batch <= self.group_size or batch % self.group_size or self.momentum is None:
            return super().forward(x)  # (momentum None, torch's cumulative average, is not used by any recipe)
        groups = batch // self.group_size
        share = self.momentum / groups
        outputs = []
        for k, group in enumerate(x.split(self.group_size)):
            momentum = share / (1 - (groups - 1 - k) * share)  # see the module's docstring: the groups' average
            outputs.append(
                F.batch_norm(
                    group, self.running_mean, self.running_var, self.weight, self.bias, True, momentum, self.eps
                )
            )
        with torch.no_grad():
            self.num_batches_tracked += 1
        return torch.cat(outputs)


def norm_layer(bn_batch: int | None):
    """The batch norm of a net trained with recipe.bn_batch: over groups of `bn_batch` images, or (None) the batch."""
    return functools.partial(GhostBatchNorm2d, group_size=bn_batch) if bn_batch else nn.BatchNorm2d
