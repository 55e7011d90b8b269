"""Ghost batch norm: normalise a training batch in independent groups, as the paper's two GPUs did.

With batch 128 on two GPUs each BN saw 64 images. `use_ghost_batch_norm(model, 64)` swaps every
BatchNorm2d for one that normalises groups of 64 in training mode (in a single kernel, by
folding the groups into the channel axis) and averages the groups' running-stat updates.
Eval mode is ordinary batch norm.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


class GhostBatchNorm2d(nn.BatchNorm2d):
    def __init__(self, num_features: int, group_size: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if not self.training or batch <= self.group_size or batch % self.group_size:
            return super().forward(x)
        groups, channels = batch // self.group_size, self.num_features
        # (G*b, C, H, W) -> (b, G*C, H, W): each (group, channel) pair becomes its own channel.
        folded = x.reshape(groups, self.group_size, channels, *x.shape[2:]).transpose(0, 1)
        folded = folded.reshape(self.group_size, groups * channels, *x.shape[2:])
        running_mean = self.running_mean.repeat(groups)
        running_var = self.running_var.repeat(groups)
        out = F.batch_norm(folded, running_mean, running_var, self.weight.repeat(groups), self.bias.repeat(groups),
                           True, self.momentum, self.eps)
        with torch.no_grad():
            self.running_mean.copy_(running_mean.view(groups, channels).mean(0))
            self.running_var.copy_(running_var.view(groups, channels).mean(0))
            self.num_batches_tracked += 1
        out = out.reshape(self.group_size, groups, channels, *x.shape[2:]).transpose(0, 1)
        return out.reshape(batch, channels, *x.shape[2:])


def use_ghost_batch_norm(model: nn.Module, group_size: int) -> nn.Module:
    """Replace each BatchNorm2d of `model` in place by a GhostBatchNorm2d with the same parameters."""
    for parent in model.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.BatchNorm2d:
                ghost = GhostBatchNorm2d(child.num_features, group_size, eps=child.eps, momentum=child.momentum)
                ghost.load_state_dict(child.state_dict())
                setattr(parent, name, ghost)
    return model
