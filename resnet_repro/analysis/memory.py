"""Peak memory of one training step, from shapes alone: no GPU, nothing computed.

torch's MemTracker follows every allocation of a forward, backward and SGD step run on fake tensors
(FakeTensorMode), so the figure is the step's own memory on any device: parameters, gradients,
momentum, activations saved for backward, temporaries. A real GPU adds its CUDA context, cuDNN
workspaces and allocator slack.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models import Layers, build_model


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
        peak = tracker.get_tracker_snapshot("peak")
    by_kind = next(iter(peak.values()))  # one device: the fake tensors' own
    return {str(kind).rsplit(".", 1)[-1].lower(): size / 2**20 for kind, size in by_kind.items()}
