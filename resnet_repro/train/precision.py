"""The arithmetic of a training step: fp32, tf32 or bf16, set the same way for runs and for `bench`.

- fp32: IEEE single precision in every convolution and matrix product, as the paper's GPUs computed.
  torch's own default on NVIDIA GPUs since Ampere is *not* this: it runs convolutions on the matrix
  units' TF32 mode (10-bit mantissa), so a plain PyTorch script's "fp32" is really tf32 there.
- tf32: that matrix-unit mode, named and recorded as a deviation (GPUs only).
- bf16: autocast to bfloat16 with fp32 master weights (a recorded deviation).

On a GPU, cuDNN also benchmarks its algorithms for each new shape (`cudnn.benchmark`); a CIFAR net
has a handful of shapes, so the search costs well under a second and picks the fastest kernels.
"""

from __future__ import annotations

import contextlib
from typing import Callable, ContextManager

import torch

from ..basics.errors import UserError

PRECISIONS = ("fp32", "tf32", "bf16")


def use_precision(device: torch.device, precision: str, deterministic: bool = False) -> Callable[[], ContextManager]:
    """Set this process's matrix arithmetic for `precision` on `device`; return the step's autocast factory.

    `deterministic` picks cuDNN's deterministic algorithms and turns its autotuning off: otherwise two
    GPU runs of the same seed differ from the first iterations on (atomic adds in the weight gradients,
    and the autotuner may pick another algorithm in another process), and so does a resumed run.
    """
    check_precision(device, precision)
    if device.type == "cuda":
        # The legacy flags on purpose: torch >= 2.9 also has per-backend `fp32_precision` settings, but once
        # those are set, reading `cudnn.allow_tf32` raises, and torch.compile's convolution lowering reads it.
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.benchmark = not deterministic
        torch.backends.cudnn.deterministic = deterministic
    if precision == "bf16":
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext


def check_precision(device: torch.device, precision: str) -> None:
    """A one-line error for a precision this device cannot run, before any run folder is made."""
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision {precision!r}: use {', '.join(PRECISIONS)}")
    if precision == "tf32" and device.type != "cuda":
        raise UserError("precision tf32 is the matrix-unit mode of NVIDIA GPUs; on a CPU use fp32 or bf16")
