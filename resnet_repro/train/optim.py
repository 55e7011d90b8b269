"""SGD in the fastest form the device has (the paper's update either way).

`fused` updates every parameter in one kernel (CUDA, and CPU in torch >= 2.4), `foreach` in a few
multi-tensor kernels; both compute the per-parameter loop's update to float rounding, so the
choice is a speed setting recorded in meta.json, not a recipe change.
"""

from __future__ import annotations

import torch

IMPLEMENTATIONS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}


def sgd_implementation(device: torch.device) -> str:
    """"fused" where this torch has fused SGD kernels for the device, else "foreach"."""
    try:
        from torch.optim.optimizer import _get_fused_kernels_supported_devices

        supported = _get_fused_kernels_supported_devices()
    except ImportError:  # a private helper: if a torch release moves it, fall back to the always-safe form
        supported = []
    return "fused" if device.type in supported else "foreach"


def make_sgd(params, lr: float, momentum: float, weight_decay: float, device: torch.device,
             implementation: str | None = None) -> torch.optim.SGD:
    flags = IMPLEMENTATIONS[implementation or sgd_implementation(device)]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **flags)


def load_sgd_state(optimizer: torch.optim.SGD, state: dict) -> None:
    """Restore momentum buffers and hyper-parameters, but keep this process's kernel choice: the saved
    param groups carry the implementation flags of the process that wrote the checkpoint."""
    flags = [{key: group[key] for key in ("fused", "foreach")} for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, kept in zip(optimizer.param_groups, flags):
        group.update(kept)
