"""ImageNet batches by iteration number, decoded and augmented in DataLoader worker processes.

The order of epoch e comes from (seed, e) and each image's augmentation from (seed, iteration,
position in the batch), exactly as the CIFAR pipeline keys its randomness, so a resumed run sees
the same batches. A stream reads forward; asking for another iteration restarts its loader there.
"""

from __future__ import annotations

import os
import random

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..config import DataSpec
from ..errors import UserError
from .imagenet import ImageFolderIndex, center_view, open_rgb, scale_augment
from .pipeline import _AUGMENT_STREAM, keyed_batch_indices, keyed_seed


def default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 2) - 1))


class _KeyedBatches(Sampler):
    """Yields, per iteration from `start`, the (iteration, position, image index) triples of its batch."""

    def __init__(self, size: int, batch_size: int, seed: int, start: int, part: slice):
        self.size, self.batch_size, self.seed, self.start, self.part = size, batch_size, seed, start, part

    def __iter__(self):
        iteration = self.start
        while True:
            indices = keyed_batch_indices(self.size, self.batch_size, self.seed, iteration)
            yield [(iteration, position, int(i)) for position, i in enumerate(indices)][self.part]
            iteration += 1


class _Decoded(Dataset):
    def __init__(self, index: ImageFolderIndex, spec: DataSpec, seed: int, train: bool):
        self.index, self.spec, self.seed, self.train = index, spec, seed, train

    def __len__(self) -> int:
        return len(self.index.samples)

    def __getitem__(self, key):
        iteration, position, item = key if self.train else (0, 0, key)
        path, label = self.index.samples[item]
        image = open_rgb(path)
        if image is None:
            return None, label, str(path)
        if self.train:
            rng = random.Random(keyed_seed(self.seed, _AUGMENT_STREAM, iteration * 100_003 + position))
            spec = self.spec
            view = scale_augment(image, rng, spec.scale_min, spec.scale_max, spec.crop, colour_std=spec.colour_std)
        else:
            view = center_view(image, self.spec.test_short_side, self.spec.crop)
        return view, label, str(path)


def _collate(batch):
    good = [(view, label) for view, label, _ in batch if view is not None]
    skipped = [path for view, _, path in batch if view is None]
    if not good:
        return None, None, skipped
    return torch.stack([v for v, _ in good]), torch.tensor([label for _, label in good]), skipped


class ImageNetTrainStream:
    def __init__(
        self,
        index: ImageFolderIndex,
        batch_size: int,
        seed: int,
        device: torch.device,
        spec: DataSpec,
        channels_last: bool = False,
        workers: int | None = None,
        part: slice = slice(None),
    ):
        self.index, self.batch_size, self.seed, self.device, self.part = index, batch_size, seed, device, part
        self.spec, self.channels_last = spec, channels_last
        self.workers = default_workers() if workers is None else workers
        self.skipped: list[str] = []
        self._next, self._batches = None, None

    def __len__(self) -> int:
        return len(self.index.samples)

    def _loader(self, start: int):
        sampler = _KeyedBatches(len(self), self.batch_size, self.seed, start, self.part)
        return iter(
            DataLoader(
                _Decoded(self.index, self.spec, self.seed, train=True),
                batch_sampler=sampler,
                num_workers=self.workers,
                collate_fn=_collate,
                pin_memory=self.device.type == "cuda",
                persistent_workers=False,
                prefetch_factor=4 if self.workers else None,
            )
        )

    def batch(self, iteration: int):
        if self._next != iteration:
            self._batches = self._loader(iteration)
        x, y, skipped = next(self._batches)
        self._next = iteration + 1
        self.skipped += skipped
        if x is None:
            raise UserError(
                f"every image of training batch {iteration} was unreadable ({skipped[0]} ...); check the dataset copy"
            )
        return _on_device(x, y, self.device, self.channels_last)


class ImageNetEvalSet:
    """Centre-crop views of a held-out class folder, for the curves (10-crop is for the tables)."""

    def __init__(
        self,
        index: ImageFolderIndex,
        batch_size: int,
        device: torch.device,
        spec: DataSpec,
        channels_last: bool = False,
    ):
        self.index, self.batch_size, self.device, self.spec = index, batch_size, device, spec
        self.channels_last = channels_last
        self.workers = default_workers()
        self.skipped: list[str] = []

    def __len__(self) -> int:
        return len(self.index.samples)

    def batches(self):
        loader = DataLoader(
            _Decoded(self.index, self.spec, 0, train=False),
            batch_size=self.batch_size,
            num_workers=self.workers,
            collate_fn=_collate,
            pin_memory=self.device.type == "cuda",
        )
        self.skipped = []
        for x, y, skipped in loader:
            self.skipped += skipped
            if x is not None:
                yield _on_device(x, y, self.device, self.channels_last)


def _on_device(x: torch.Tensor, y: torch.Tensor, device: torch.device, channels_last: bool):
    """A decoded batch on the training device, in the model's memory format."""
    x = x.to(device, non_blocking=True)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(device, non_blocking=True)
