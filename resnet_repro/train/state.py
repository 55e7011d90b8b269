"""What a training run carries from one iteration to the next, built in one place, and the one SGD step.

`train_state` builds the state and `step` is the training step: `run` trains with them and `bench` (and the
GPU check) times them, so the throughput bench reports is the throughput of the step the runs take
(precision, compilation, ghost batch norm and the SGD kernel included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..specs.config import RunConfig
from .compiled import CudaGraphCheck, compile_mode, compile_model
from .distributed import SINGLE, World
from .optim import decay_groups, make_sgd
from .precision import use_precision
from .schedule import FixedLR, LRSchedule


@dataclass
class TrainState:
    model: nn.Module  # the weights: what is evaluated and checkpointed
    step_model: nn.Module  # what the step calls: the model, or it wrapped for several processes and/or compiled
    optimizer: torch.optim.Optimizer
    autocast: Callable  # the run's precision (use_precision): a context for the forward pass
    loss_sum: torch.Tensor  # training loss x images of the current log window, on the device (no sync to add)
    wrong: torch.Tensor  # training mistakes of the current log window, on the device
    seen: int = 0  # images in the window (batches can be short where unreadable files were skipped)
    carried: int = 0  # of `seen`, images trained before a resume: in the window's error, not in its timing
    iteration: int = 0  # SGD updates done
    schedule: LRSchedule | FixedLR | None = None  # the one holder of the lr, applied to the optimizer
    graphs: CudaGraphCheck | None = None  # with --compile: did CUDA graphs run? (decided while compiling)
    cuda_graphs: str | None = "off"  # the verdict for final.json; None until the first log point decides it
    elapsed_before: float = 0.0  # training seconds of earlier sessions of this run
    session_start: float = field(default_factory=time.perf_counter)
    window_start: float = field(default_factory=time.perf_counter)  # restarts after each log point's extra work
    last: dict = field(default_factory=dict)  # the latest value of every logged metric, at full precision
    step_fn: Callable | None = None  # how the loop takes a step: None for `step`, a GraphedStep on a GPU
    # On a CPU, [iteration, threads] where each stretch of one thread count began (resumes included): oneDNN's
    # rounding follows the count, so a run whose stretches differ is not bit-reproducible at one count.
    thread_segments: list = field(default_factory=list)

    def note_threads(self, threads: int | None) -> None:
        """A new stretch from this iteration where the thread count changed (None: the watch changed nothing)."""
        if threads is not None and (not self.thread_segments or self.thread_segments[-1][1] != threads):
            self.thread_segments.append([self.iteration, threads])

    def elapsed(self) -> float:
        """Training seconds so far, over every session of the run."""
        return self.elapsed_before + time.perf_counter() - self.session_start


@dataclass(frozen=True)
class StepSpec:
    """What decides the step besides the model and its lr (the schedule's): SGD's numbers and the options that
    choose the kernels. `of(config)` is a run's; bench and the GPU check name theirs."""

    momentum: float = 0.9
    weight_decay: float = 1e-4
    decay_bn_and_bias: bool = True
    precision: str = "fp32"
    deterministic: bool = False
    channels_last: bool = True
    compile: bool = False
    compile_backend: str = "inductor"

    @classmethod
    def of(cls, config: RunConfig) -> StepSpec:
        recipe, options = config.recipe, config.settings.train
        sgd = (recipe.momentum, recipe.weight_decay, recipe.weight_decay_on_bn_and_bias)
        return cls(*sgd, options.precision, options.deterministic, options.channels_last, options.compile)


def train_state(
    model: nn.Module, device: torch.device, spec: StepSpec, schedule: LRSchedule | FixedLR, world: World = SINGLE
) -> TrainState:
    """`model` on the device in the spec's memory format, its SGD at the schedule's first lr, the precision and a log
    window at zero; wrapped for several processes and compiled where the spec says. Every path that trains or times a
    step builds it here."""
    model = model.to(device)
    if spec.channels_last:
        model = model.to(memory_format=torch.channels_last)
    groups = decay_groups(model, spec.weight_decay, spec.decay_bn_and_bias)
    optimizer = make_sgd(groups, schedule.lr(0), spec.momentum, spec.weight_decay, device)
    autocast = use_precision(device, spec.precision, spec.deterministic)
    state = TrainState(model, model, optimizer, autocast, *window_sums(device), schedule=schedule)
    if world.distributed:  # gradients averaged over processes; BN buffers are averaged at log points instead
        state.step_model = world.wrap(model, device)
    if spec.compile:  # the model, with CUDA graphs on a single GPU
        mode = compile_mode(device, world.distributed)
        state.graphs = CudaGraphCheck.for_mode(mode, spec.compile_backend)
        state.step_model = compile_model(state.step_model, mode, spec.compile_backend)
        state.cuda_graphs = None  # decided at the first log point, once compilation is over
    return state


def window_sums(device: torch.device, carry: dict | None = None) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(loss sum, mistakes, images) of a log window on the device: zero, or the part an interrupted run
    checkpointed mid-window."""
    carry = carry or {"loss_sum": 0.0, "wrong": 0, "seen": 0}
    return (
        torch.tensor(carry["loss_sum"], device=device),
        torch.tensor(carry["wrong"], device=device, dtype=torch.long),
        carry["seen"],
    )


def step(state: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
    """One SGD update on a batch at the optimizer's current lr; its loss and mistakes are added to the window's
    sums on the device (no host-device sync)."""
    compute_step(state, x, y)
    count_step(state, len(y))


def compute_step(state: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
    """The device work of `step`: what a CUDA graph records (graphed.py). Nothing here reads a value back."""
    if state.graphs is not None and state.graphs.expected:  # a new step: the previous replay's outputs may be reused
        torch.compiler.cudagraph_mark_step_begin()
    with state.autocast():
        logits = state.step_model(x)
        loss = F.cross_entropy(logits.float(), y)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    state.loss_sum += loss.detach() * len(y)
    state.wrong += (logits.detach().argmax(1) != y).sum()


def count_step(state: TrainState, images: int) -> None:
    """The host's count of a step: images in the window and updates done (kept out of any recorded graph)."""
    state.seen += images
    state.iteration += 1
