"""Ghost batch norm: normalise a training batch in independent groups, as the paper's two GPUs did.

With batch 128 on two GPUs each BN saw 64 images. `use_ghost_batch_norm(model, 64)` swaps every
BatchNorm2d for one that, in training mode, normalises each group of 64 images with torch's own
batch-norm kernel and averages the groups' running-stat updates. The groups are slices along the
batch axis, which are contiguous in NCHW and channels_last alike, so nothing is transposed or
copied on the way in and the output keeps the input's memory format. (Folding the groups into the
channel axis instead costs two transposes and hands the next convolution an NCHW tensor: 2-3x
slower per BN on a CPU, and the convolutions behind it slower too.) Eval mode is ordinary batch norm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GhostBatchNorm2d(nn.BatchNorm2d):
    def __init__(self, num_features: int, group_size: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if not self.training or batch <= self.group_size or batch % self.group_size:
            return super().forward(x)
        outputs, means, variances = [], [], []
        for group in x.split(self.group_size):
            # Each group updates its own copy of the running stats, as each GPU's BN did.
            running_mean, running_var = self.running_mean.clone(), self.running_var.clone()
            outputs.append(
                F.batch_norm(group, running_mean, running_var, self.weight, self.bias, True, self.momentum, self.eps)
            )
            means.append(running_mean)
            variances.append(running_var)
        with torch.no_grad():
            self.running_mean.copy_(torch.stack(means).mean(0))
            self.running_var.copy_(torch.stack(variances).mean(0))
            self.num_batches_tracked += 1
        return torch.cat(outputs)


def use_ghost_batch_norm(model: nn.Module, group_size: int) -> nn.Module:
    """Replace each BatchNorm2d of `model` in place by a GhostBatchNorm2d with the same parameters."""
    for parent in model.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.BatchNorm2d:
                ghost = GhostBatchNorm2d(child.num_features, group_size, eps=child.eps, momentum=child.momentum)
                ghost.load_state_dict(child.state_dict())
                setattr(parent, name, ghost)
    return model
