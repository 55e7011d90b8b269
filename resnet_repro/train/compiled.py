"""`--compile`: torch.compile the training step's model, with CUDA graphs on a GPU, and a check that they ran.

The CIFAR nets are small enough that a GPU spends much of each step waiting for Python to launch
kernels; CUDA graphs replay a whole forward/backward in one launch. torch.compile drops them
quietly when a graph breaks their rules (batch norm's running-stat updates can, as in-place
mutations of module buffers); the run then trains at the slower speed with no error. We count
torch's skips and keep the reason it logged, so a run says in its output and final.json whether
they were used.
"""

from __future__ import annotations

import contextlib
import logging.handlers
import math

import torch
from torch import nn

from ..basics.words import counted


def compile_mode(device: torch.device, distributed: bool) -> str:
    # DDP's gradient all-reduce runs inside backward through hooks, which graph capture cannot replay,
    # so several processes compile without CUDA graphs.
    return "reduce-overhead" if device.type == "cuda" and not distributed else "default"


def compile_model(model: nn.Module, mode: str, backend: str = "inductor") -> nn.Module:
    """`backend="eager"` traces without generating code: seconds instead of minutes, for dry runs of scripts."""
    if backend != "inductor":
        return torch.compile(model, backend=backend)
    return torch.compile(model, mode=mode)


class CudaGraphCheck:
    """Whether CUDA graphs were used from construction on: torch's skip counter and its logged reasons."""

    def __init__(self, expected: bool):
        self.expected = expected
        self._logger = None
        self._skips_before = self._skips()
        self._reasons = logging.handlers.BufferingHandler(capacity=math.inf)  # every warning kept: never full
        self._reasons.setLevel(logging.WARNING)
        if expected:
            with contextlib.suppress(ImportError):  # private torch module: if a release moves it, the counter tells
                from torch._inductor.cudagraph_utils import cudagraphs_log

                self._logger = cudagraphs_log
                self._logger.addHandler(self._reasons)

    @classmethod
    def for_mode(cls, mode: str, backend: str = "inductor") -> "CudaGraphCheck":
        """The check for a model compiled with `compile_model(model, mode, backend)`: only inductor's
        reduce-overhead mode records CUDA graphs."""
        return cls(expected=mode == "reduce-overhead" and backend == "inductor")

    @staticmethod
    def _skips() -> int:
        from torch._dynamo.utils import counters

        return counters["inductor"]["cudagraph_skips"]

    def verdict(self) -> str:
        """ "used", "skipped: <torch's reason>", or "off" where the mode has none (CPU, several processes)."""
        if not self.expected:
            return "off"
        skipped = self._skips() - self._skips_before
        if not skipped:
            return "used"
        return "skipped: " + (
            "; ".join(dict.fromkeys(record.getMessage() for record in self._reasons.buffer))
            or f"{counted(skipped, 'graph')}, reason not logged"
        )

    def close(self) -> None:
        if self._logger is not None:
            self._logger.removeHandler(self._reasons)
            self._logger = None
