"""Our training step against the common alternative, on the same machine, in one run.

Ours: resnet_repro's device-resident pipeline (one gather per batch for crop, flip and mean
subtraction) and a channels_last model. The common alternative, as most CIFAR reproductions
train: a Dataset of PIL images with torchvision transforms (RandomCrop(32, padding=4),
RandomHorizontalFlip, ToTensor, Normalize) per image, a DataLoader with worker processes, and an
NCHW model. Both do the same SGD step on the same net. Prints images/s of each and the ratio.

    python bench/compare_pipelines.py --model resnet20 --iterations 30 --workers 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from resnet_repro.analysis.throughput import BenchSettings, measure
from resnet_repro.models import build_model
from resnet_repro.train.device import describe_device, resolve_device


class PilCifar(Dataset):
    """What torchvision's CIFAR10 does per item: uint8 HWC array -> PIL image -> transforms."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images.transpose(0, 2, 3, 1).copy(), labels
        self.transform = transforms.Compose(
            [
                transforms.RandomCrop(32, padding=4),
                transforms.RandomHorizontalFlip(),
                transforms.ToTensor(),
                transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
            ]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.transform(Image.fromarray(self.images[index])), int(self.labels[index])


def common_alternative(model_name: str, device: torch.device, batch_size: int, iterations: int, workers: int) -> float:
    """Images/s of the alternative's training step, timed after 3 warm-up iterations."""
    warmup = 3
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10_000, 3, 32, 32), dtype=np.uint8)
    loader = DataLoader(
        PilCifar(images, rng.integers(0, 10, 10_000)),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        drop_last=True,
        persistent_workers=workers > 0,
    )
    torch.manual_seed(0)
    model = build_model(model_name).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    batches = iter(loader)
    start = None
    for i in range(warmup + iterations):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        x, y = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return iterations * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    device = resolve_device(args.device)
    theirs = common_alternative(args.model, device, args.batch_size, args.iterations, args.workers)
    ours = measure(args.model, device, BenchSettings(args.batch_size, args.iterations))
    print(
        f"device: {describe_device(device)}; torch {torch.__version__}; {args.model}, batch {args.batch_size}, "
        f"{args.iterations} timed iterations"
    )
    print(f"common alternative (PIL transforms, {args.workers} DataLoader workers, NCHW): {theirs:8.1f} img/s")
    print(f"resnet-repro (device-resident pipeline, channels_last):        {ours.train_images_per_s:8.1f} img/s")
    print(f"resnet-repro pure model step (no pipeline):                    {ours.model_images_per_s:8.1f} img/s")
    print(
        f"ratio ours / alternative: {ours.train_images_per_s / theirs:.2f}x; pipeline overhead "
        f"{100 * ours.pipeline_overhead:.1f}%"
    )


if __name__ == "__main__":
    main()
