"""ImageNet batches by iteration number, decoded and augmented in DataLoader worker processes.

The order of epoch e comes from (seed, e) and each image's augmentation from (seed, iteration,
position in the batch), exactly as the CIFAR pipeline keys its randomness, so a resumed run sees
the same batches. A stream reads forward; asking for another iteration restarts its loader there.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..basics.errors import UserError
from ..specs.config import DataSpec
from .imagenet import ImageFolderIndex, center_view, open_rgb, scale_augment
from .pipeline import _AUGMENT_STREAM, keyed_batch_indices, keyed_seed


class _KeyedBatches(Sampler):
    """Yields, per iteration from `start`, the (iteration, position, image index) triples of its batch."""

    def __init__(self, size: int, batch_size: int, seed: int, start: int, part: slice):
        self.size, self.batch_size, self.seed, self.start, self.part = size, batch_size, seed, start, part

    def __iter__(self):
        for iteration in itertools.count(self.start):
            indices = keyed_batch_indices(self.size, self.batch_size, self.seed, iteration)
            yield [(iteration, position, int(i)) for position, i in enumerate(indices)][self.part]


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


@dataclass(eq=False)
class _FolderBatches:
    """What both ImageNet sets share: a class-folder index decoded in DataLoader worker processes, and each batch
    moved to the training device."""

    index: ImageFolderIndex
    batch_size: int
    device: torch.device
    spec: DataSpec
    channels_last: bool = False
    workers: int | None = None  # None: one fewer than the CPUs, 1 to 8
    skipped: list[str] = field(default_factory=list, init=False)

    def __post_init__(self):
        if self.workers is None:
            self.workers = max(1, min(8, (os.cpu_count() or 2) - 1))

    def __len__(self) -> int:
        return len(self.index)

    def _loader(self, dataset: _Decoded, **options) -> DataLoader:
        """Decoded in `workers` processes; a batch of images none of which decode comes as (None, None, skipped)."""
        return DataLoader(
            dataset, num_workers=self.workers, collate_fn=_collate, pin_memory=self.device.type == "cuda", **options
        )

    def _on_device(self, x: torch.Tensor, y: torch.Tensor):
        """A decoded batch on the training device, in the model's memory format."""
        x = x.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)


class ImageNetEvalSet(_FolderBatches):
    """Centre-crop views of a held-out class folder, for the curves (10-crop is for the tables)."""

    def batches(self):
        self.skipped = []
        for x, y, skipped in self._loader(_Decoded(self.index, self.spec, 0, train=False), batch_size=self.batch_size):
            self.skipped += skipped
            if x is not None:
                yield self._on_device(x, y)


@dataclass(eq=False, kw_only=True)
class ImageNetTrainStream(_FolderBatches):
    seed: int
    part: slice = field(default_factory=lambda: slice(None))  # this process's share of the global batch
    _next: int | None = field(default=None, init=False)  # the iteration its loader yields next
    _batches: Iterator | None = field(default=None, init=False)

    def batch(self, iteration: int):
        if self._next != iteration:
            sampler = _KeyedBatches(len(self), self.batch_size, self.seed, iteration, self.part)
            dataset = _Decoded(self.index, self.spec, self.seed, train=True)
            prefetch = 4 if self.workers else None
            self._batches = iter(self._loader(dataset, batch_sampler=sampler, prefetch_factor=prefetch))
        x, y, skipped = next(self._batches)
        self._next = iteration + 1
        self.skipped += skipped
        if x is None:
            raise UserError(
                f"every image of training batch {iteration} was unreadable ({skipped[0]} ...); check the dataset copy"
            )
        return self._on_device(x, y)
