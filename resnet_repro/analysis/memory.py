"""Peak memory of one training step, from shapes alone: no GPU, nothing computed.

torch's MemTracker follows every allocation of a forward, backward and SGD step run on fake tensors
(FakeTensorMode), so the figure is the step's own memory on any device: parameters, gradients,
momentum, activations saved for backward, temporaries. A real GPU adds its CUDA context, cuDNN
workspaces and allocator slack.

`check_batch_fits` is the cheap side: a floor of a step's memory counted on the meta device, which `bench` checks
against the device's memory before it allocates a batch.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from ..basics.errors import UserError
from ..models import Layers, build_model

GIB = 2**30


def step_peak_mib(
    model_name: str, batch_size: int = 128, checkpointed: bool = False, image_size: int = 32, num_classes: int = 10
) -> dict[str, float]:
    """MiB at the step's peak by kind: total, act, param, grad, opt, temp, buffer, oth."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.distributed._tools.mem_tracker import MemTracker

    with FakeTensorMode():
        model = build_model(model_name, num_classes=num_classes, layers=Layers(activation_checkpointing=checkpointed))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=True)
        x = torch.randn(batch_size, 3, image_size, image_size)
        y = torch.randint(0, num_classes, (batch_size,))
        tracker = MemTracker()
        tracker.track_external(model, optimizer)
        with tracker:
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        by_kind = next(iter(tracker.get_tracker_snapshot("peak").values()))  # one device: the fake tensors' own
    return {str(kind).rsplit(".", 1)[-1].lower(): size / 2**20 for kind, size in by_kind.items()}


def meta_shapes(model_name: str, image_size: int, layer: type, taken_in: bool = False) -> list[torch.Size]:
    """The shape each `layer` of `model_name` gives out (`taken_in`: takes in) for one image at `image_size`, found
    on the meta device: nothing is allocated, whatever the size."""
    shapes: list[torch.Size] = []
    with torch.device("meta"):
        model = build_model(model_name).eval()  # eval: batch norm takes a batch of one image
        for module in model.modules():
            if isinstance(module, layer):
                module.register_forward_hook(
                    lambda _, inputs, out: shapes.append((inputs[0] if taken_in else out).shape)
                )
        model(torch.empty(1, 3, image_size, image_size))
    return shapes


def step_floor_bytes(model_name: str, image_size: int, precision: str) -> int:
    """The fewest bytes one image of a training batch holds at once in a step of `model_name`, counted on the meta
    device (no memory at all): its uint8 and float input, and every conv's output, which batch norm keeps for the
    backward pass (2 bytes a value under bf16 autocast, else 4). Parameters, gradients and temporaries come on top,
    so a batch this figure times the batch size does not fit cannot train."""
    outputs = sum(shape.numel() for shape in meta_shapes(model_name, image_size, torch.nn.Conv2d))
    return 3 * image_size * image_size * (1 + 4) + outputs * (2 if precision == "bf16" else 4)


def device_memory(device: torch.device) -> tuple[int, str]:
    """(bytes, words) of the memory a step on `device` may take: a GPU's free memory, else the machine's RAM."""
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        return free, f"{device} has {free / GIB:.1f} GiB free of {total / GIB:.1f} GiB"
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return ram, f"this machine has {ram / GIB:.1f} GiB of memory"


def check_batch_fits(
    model_names: list[str], batch_size: int, image_size: int, precision: str, device: torch.device, images: int
) -> None:
    """One line, before anything is allocated, for a step that cannot fit the device's memory with its batch and
    the `images` uint8 images it draws from (torch's or numpy's allocation traceback, or the OOM killer, otherwise)."""
    have, words = device_memory(device)
    for name in model_names:
        need = images * 3 * image_size * image_size + batch_size * step_floor_bytes(name, image_size, precision)
        if need > have:
            raise UserError(
                f"--batch-size {batch_size} at --image-size {image_size}: a training step of {name} needs at least "
                f"{need / GIB:,.1f} GiB ({images:,} images of that size included), and {words}; use a smaller "
                f"--batch-size or --image-size"
            )
