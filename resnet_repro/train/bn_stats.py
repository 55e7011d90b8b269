"""Batch-norm statistics recomputed after training, as the authors did for their ImageNet models.

Their notes: BN "mean and variance are strictly computed using average (not moving average) on a
sufficiently large training batch after the training procedure". Here: the trained net sees a stated
number of training images (whole training batches, the recipe's augmentation, no gradient, no weight
change); every batch-norm layer normalises with its batch's (or ghost group's) statistics, exactly as in
training, and its running mean and variance become the plain average of those statistics over all
batches: each group's mean (so, the mean over every image and pixel of the sample) and each group's
unbiased variance, the statistic torch and Caffe use at test time.
"""

from __future__ import annotations

import contextlib
from typing import Iterable

import torch
from torch import nn


def recompute_bn_stats(model: nn.Module, batches: Iterable[torch.Tensor], autocast=None) -> int:
    """Replace every BN layer's running stats by the exact average over `batches`; returns images seen.

    Batch k (from 0) updates running = (1 - a) * running + a * batch_stat with a = 1/(k+1), so after K
    batches running is the mean of the K batch statistics (ghost batch norm averages its groups' updates,
    which keeps this an average over every group).
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
    model.train()
    seen = 0
    try:
        with torch.no_grad(), (autocast or contextlib.nullcontext)():
            for k, x in enumerate(batches):
                for m in norms:
                    m.momentum = 1.0 / (k + 1)
                model(x)
                seen += len(x)
    finally:
        for m, momentum in zip(norms, saved):
            m.momentum = momentum
        model.train(was_training)
    return seen


def bn_buffers(model: nn.Module) -> dict[str, torch.Tensor]:
    """The running statistics of every BN layer, as state-dict entries (to store beside a checkpoint's weights)."""
    keep = ("running_mean", "running_var", "num_batches_tracked")
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k.rsplit(".", 1)[-1] in keep}
