"""SGD in the fastest form the device has (the paper's update either way), in Caffe's or torch's momentum form.

`fused` updates every parameter in one kernel (CUDA, and CPU in torch >= 2.4), `foreach` in a few
multi-tensor kernels; both compute the per-parameter loop's update to float rounding, so the
choice is a speed setting recorded in meta.json, not a recipe change.

Momentum forms. Caffe (the authors' framework) keeps a velocity that carries the lr:
    v := m*v + lr*(g + wd*w);  w := w - v
torch keeps one that does not:
    b := m*b + (g + wd*w);     w := w - lr*b
With a constant lr they are the same update (v = lr*b). They differ when the lr changes: in Caffe's form
the old velocity keeps its old lr, so a division by 10 (or the ResNet-110 warm-up's 0.01 -> 0.1) takes
effect over the next ~1/(1-m) steps; torch rescales the whole step at once. `set_lr` gives Caffe's form
with torch's kernels: at each lr change it rescales torch's buffer by old lr / new lr, so that
lr*b stays Caffe's v. The lr the buffers are expressed in is the param groups' `lr`, saved with the
optimizer's state in every checkpoint, so a resumed run rescales exactly where the uninterrupted one does.
"""

from __future__ import annotations

import torch

IMPLEMENTATIONS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}


def sgd_implementation(device: torch.device) -> str:
    """ "fused" where this torch has fused SGD kernels for the device, else "foreach"."""
    try:
        from torch.optim.optimizer import _get_fused_kernels_supported_devices

        supported = _get_fused_kernels_supported_devices()
    except ImportError:  # a private helper: if a torch release moves it, fall back to the always-safe form
        supported = []
    return "fused" if device.type in supported else "foreach"


def make_sgd(
    params, lr: float, momentum: float, weight_decay: float, device: torch.device, implementation: str | None = None
) -> torch.optim.SGD:
    flags = IMPLEMENTATIONS[implementation or sgd_implementation(device)]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **flags)


def decay_groups(model: torch.nn.Module, weight_decay: float, on_bn_and_bias: bool) -> list[dict]:
    """Parameter groups for SGD: every parameter decayed (Caffe's and fb.resnet.torch's choice), or only the
    conv and fc weights (BN scale/shift and the fc bias, the 1-d parameters, without weight decay)."""
    params = list(model.parameters())
    if on_bn_and_bias:
        return [{"params": params, "weight_decay": weight_decay}]
    return [
        {"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},
    ]


def set_lr(optimizer: torch.optim.SGD, lr: float, momentum_form: str) -> None:
    """Use `lr` from the next step on. In Caffe's form, rescale the momentum buffers by old lr / new lr first
    (see the module's docstring); in torch's form, just set it."""
    for group in optimizer.param_groups:
        old = group["lr"]
        if momentum_form == "caffe" and old != lr:
            buffers = [
                optimizer.state[p]["momentum_buffer"]
                for p in group["params"]
                if optimizer.state.get(p, {}).get("momentum_buffer") is not None
            ]
            if buffers:  # none before the first step: Caffe's velocity starts at 0, torch's buffer at the gradient
                torch._foreach_mul_(buffers, old / lr)
        group["lr"] = lr


def load_sgd_state(optimizer: torch.optim.SGD, state: dict) -> None:
    """Restore momentum buffers and hyper-parameters, but keep this process's kernel choice: the saved
    param groups carry the implementation flags of the process that wrote the checkpoint."""
    flags = [{key: group[key] for key in ("fused", "foreach")} for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, kept in zip(optimizer.param_groups, flags):
        group.update(kept)
