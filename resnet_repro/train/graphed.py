"""The eager training step recorded as a CUDA graph: the run's own kernels, launched with one call.

A CIFAR net's step is hundreds of small kernels, and on a large GPU Python launching them one by one
is the bottleneck, not the GPU. Recording the step (forward, backward, the SGD update and the log
window's sums) once and replaying it runs exactly the kernels the eager step runs, in the same order,
on the same tensors, so the numbers are the eager step's; only the launching changes. (torch.compile's
CUDA graphs replay other kernels, its fused ones, which is why `--compile` is a recorded deviation and
this is not.)

What a recording bakes in: the lr (a float argument of the SGD kernel), the batch's shape, and the
storage of every tensor it reads and writes. So the step is recorded again after each lr change (a
handful per run), a batch of another shape (an ImageNet batch that lost unreadable images) runs
eagerly, and each batch is copied into the recording's own input tensors. The first steps run eagerly,
on a side stream as CUDA requires before a capture: cuDNN picks its algorithms and SGD creates its
momentum buffers there. Should a recording fail, the run goes on eagerly and its final.json says why.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..basics.words import counted
from .state import TrainState, compute_step, count_step, step

EAGER_STEPS = 3  # before the first recording: cuDNN's autotuning, the momentum buffers, the allocator's pools


def cuda_graph(work: Callable[[], None]) -> Callable[[], None]:
    """Record `work` (not run it) as a CUDA graph; return what replays it."""
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        work()
    return graph.replay


class GraphedStep:
    """`step` for one run on a CUDA device, replayed from a recording once the eager steps are done."""

    def __init__(self, eager_steps: int = EAGER_STEPS, record: Callable = cuda_graph):
        self.eager_steps_left = eager_steps
        self.record = record  # tests on a CPU pass one that returns the work itself: the same logic, no GPU
        self.replay: Callable[[], None] | None = None
        self.recorded_lrs: tuple | None = None
        self.x: torch.Tensor | None = None  # the recording's input tensors: each batch is copied in
        self.y: torch.Tensor | None = None
        self.recordings = 0
        self.failed: str | None = None
        self.side_stream: torch.cuda.Stream | None = None

    def verdict(self) -> str:
        """For final.json's cuda_graphs: "recorded (eager kernels, N recordings)", or why the run stayed eager."""
        if self.failed:
            return f"eager: recording failed ({self.failed})"
        return f"recorded (eager kernels, {counted(self.recordings, 'recording')})" if self.recordings else "eager"

    def __call__(self, state: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
        if self.failed or (self.x is not None and (x.shape != self.x.shape or y.shape != self.y.shape)):
            step(state, x, y)
            return
        if self.eager_steps_left > 0:
            self.eager_steps_left -= 1
            self._eager_on_side_stream(state, x, y)
            return
        lrs = tuple(group["lr"] for group in state.optimizer.param_groups)
        if self.replay is None or lrs != self.recorded_lrs:
            try:
                self._record(state, x, y, lrs)
            except RuntimeError as error:  # a kernel that cannot be recorded: train on eagerly, and say so
                self.failed = str(error).splitlines()[0][:200]
                self.replay = self.x = self.y = None
                step(state, x, y)
                return
        self.x.copy_(x)
        self.y.copy_(y)
        self.replay()
        count_step(state, len(y))

    def _eager_on_side_stream(self, state: TrainState, x: torch.Tensor, y: torch.Tensor) -> None:
        if not x.is_cuda:
            step(state, x, y)
            return
        if self.side_stream is None:
            self.side_stream = torch.cuda.Stream(device=x.device)
        current = torch.cuda.current_stream(x.device)
        self.side_stream.wait_stream(current)
        with torch.cuda.stream(self.side_stream):
            step(state, x, y)
        current.wait_stream(self.side_stream)

    def _record(self, state: TrainState, x: torch.Tensor, y: torch.Tensor, lrs: tuple) -> None:
        self.replay = None  # the previous recording's memory goes back to the allocator once it is replaced
        self.x, self.y = x.clone(), y.clone()  # clone keeps channels_last: the recording sees the layout runs use
        state.optimizer.zero_grad(set_to_none=True)  # the gradients are allocated inside the recording
        self.replay = self.record(lambda: compute_step(state, self.x, self.y))  # recorded, not run: replays run it
        self.recorded_lrs = lrs
        self.recordings += 1
