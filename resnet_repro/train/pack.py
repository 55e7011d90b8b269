"""A pack: several runs trained in one process, in lockstep, each on its own CUDA stream.

A CIFAR net leaves a large GPU mostly idle: its kernels are small, and one run's step is a chain of
them, each waiting for the last. Separate processes do not fill the gaps (the GPU time-slices
between processes), but streams of one process do: the kernels of one run's step overlap those of
the others. Each iteration the pack launches every run's step (a CUDA graph replay each, graphed.py)
before it does any run's log-point work, so a run reading its window's sums never leaves the GPU
without the others' work queued.

Each run keeps everything it has alone: its seed, its keyed batches, its model, optimizer, schedule,
files, checkpoints and log. Nothing is shared but the Python thread, so a packed run's numbers are
the numbers it gives alone (tested bit for bit on a CPU, where the order of the work changes nothing).
A run alone is a pack of one (runner.py trains every run through here), on the default stream.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import torch

from ..specs.datasets import dataset_info
from .loop import RunReport, RunSession

MAX_DEFAULT_PACK = 24  # every run of fig6 with two seeds; more streams add little once the GPU is full


def default_pack(runs: list, device: torch.device) -> int:
    """How many runs `run` packs when --pack is not given: on a GPU, every run whose data lives on the device (the
    CIFAR-style sets; an ImageNet run has its own loader processes and fills a GPU alone), up to
    MAX_DEFAULT_PACK; on a CPU one, since one run already keeps every core busy."""
    if device.type != "cuda" or any(dataset_info(run.data.dataset).class_folders for run in runs):
        return 1
    return max(1, min(len(runs), MAX_DEFAULT_PACK))


def train_together(starts: list[Callable[[], RunSession]], device: torch.device) -> list[RunReport]:
    """Train every run of the pack to its end (finished, failed, or interrupted by the stop flag they share); each
    of `starts` builds one run's RunSession, and is called on that run's own stream (a run alone: the default one)."""
    streams = [torch.cuda.Stream(device=device) if device.type == "cuda" and len(starts) > 1 else None for _ in starts]
    sessions = []
    for start, stream in zip(starts, streams):
        with _on(stream):  # the run's data and model are made on its own stream
            sessions.append(start())
    active = [k for k, session in enumerate(sessions) if session.outcome is None]
    while active:
        for k in active:  # launch every run's step first ...
            with _on(streams[k]):
                sessions[k].step()
        for k in active:  # ... then the log points, which wait for their own run only
            with _on(streams[k]):
                sessions[k].after_step()
        active = [k for k in active if sessions[k].outcome is None]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return [session.outcome for session in sessions]


def _on(stream):
    return torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext()
