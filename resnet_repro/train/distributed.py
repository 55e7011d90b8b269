"""One run over several processes: `torchrun --nproc_per_node N -m resnet_repro run TARGET`.

Every process draws the same keyed global batch and trains on its own slice of it; DDP averages
the gradients, so the update is the one of the global batch. Batch norm then normalises each
process's slice, exactly as the paper's two GPUs did: set `recipe.bn_batch` to batch/world_size and a
single process reproduces the same numbers (the test does this). Only rank 0 writes files;
checkpoints hold nothing world-size specific, so a run can resume with another world size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..basics.errors import UserError
from ..basics.launch import launched_world_size


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: str = "cpu"  # where collective tensors live (NCCL needs CUDA tensors)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def local_slice(self, batch_size: int) -> slice:
        if batch_size % self.size:
            raise UserError(f"recipe.batch_size ({batch_size}) must divide by the number of processes ({self.size})")
        per = batch_size // self.size
        return slice(self.rank * per, (self.rank + 1) * per)

    def sum(self, values: list[float]) -> list[float]:
        """Sum numbers over all processes (a no-op alone)."""
        if not self.distributed:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """DistributedDataParallel that leaves each process's BN running stats alone during forward passes."""
        import inspect

        from torch.nn.parallel import DistributedDataParallel

        # torch >= 2.14 names it forward_sync_buffers; older releases (we support >= 2.4) broadcast_buffers.
        names = inspect.signature(DistributedDataParallel.__init__).parameters
        no_sync = {"forward_sync_buffers": False} if "forward_sync_buffers" in names else {"broadcast_buffers": False}
        return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None, **no_sync)

    def average_norm_buffers(self, model: torch.nn.Module) -> None:
        """Average batch-norm running stats over processes. The running-stat update is linear, so this equals
        a single process averaging its groups' updates (ghost batch norm)."""
        if not self.distributed:
            return
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and module.running_mean is not None:
                for buffer in (module.running_mean, module.running_var):
                    dist.all_reduce(buffer)
                    buffer /= self.size


SINGLE = World()


def init_world(device: torch.device) -> World:
    """Join the process group torchrun describes in the environment; a plain run is a world of one."""
    if launched_world_size() <= 1:
        return SINGLE
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    collective_device = f"cuda:{local_rank}" if device.type == "cuda" else "cpu"
    return World(dist.get_rank(), dist.get_world_size(), local_rank, collective_device)


def finish_training(device: torch.device) -> bool:
    """After every process of a launch has trained: leave the process group, and say whether this process is
    rank 0, which alone measures the trained nets and writes the target's outputs."""
    is_main = init_world(device).is_main
    # Torn down once every process is done with collectives. Gloo's worker threads may outlive it (DDP keeps the
    # group alive): cli.app.main says how a launched process exits regardless.
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return is_main
