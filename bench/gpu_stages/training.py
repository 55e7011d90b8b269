"""A run's training state and batches for the stages that step a net by hand: the run path's own `train_state` and
`step`, on generated data."""

from __future__ import annotations

import torch

from resnet_repro.data.pipeline import TrainStream
from resnet_repro.data.sources import ImageSet
from resnet_repro.models import build_model
from resnet_repro.train.schedule import FixedLR
from resnet_repro.train.state import StepSpec, TrainState, step, train_state, window_sums

from .check import Check
from .throughput import batch_size


def training_parts(check: Check, net: str, device: torch.device):
    """A run's state (fp32, channels_last, lr 0.1) for `net`, and training batches for it, both from seed 0."""
    data = cifar_like(min(5 * check.plan.train_per_batch, 10_000))
    torch.manual_seed(0)
    state = train_state(build_model(net), device, StepSpec(), FixedLR(0.1))
    stream = TrainStream(data, batch_size(check), pad=4, flip=True, seed=0, device=device, channels_last=True)
    return state, stream


def step_loss(state: TrainState, x: torch.Tensor, y: torch.Tensor) -> float:
    """One training step, the run path's own (train/state.py's `step`), and the batch's loss: the window's sums
    start at zero, so after the step they hold this batch alone."""
    state.loss_sum, state.wrong, state.seen = window_sums(x.device)
    step(state, x, y)
    return float(state.loss_sum) / len(y)


def cifar_like(count: int) -> ImageSet:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, 32, 32), generator=generator, dtype=torch.uint8).numpy()
    labels = torch.randint(0, 10, (count,), generator=generator).numpy()
    return ImageSet(images, labels)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
