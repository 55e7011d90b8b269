"""The device-resident CIFAR pipeline: the whole set as one uint8 tensor on the training device.

Per batch, on the device: gather the images, subtract the per-pixel mean image, zero-pad by
`pad`, take a random crop per image and flip half of them. Each image gets its own crop offset
and flip (a batched torchvision transform would draw one crop for the whole batch).

Randomness is keyed, not carried: the data order of epoch e comes from (seed, e) and the
augmentation of iteration i from (seed, i). A resumed run therefore sees exactly the batches the
uninterrupted run saw, with no generator state to save.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .sources import ImageSet

_ORDER_STREAM = 1
_AUGMENT_STREAM = 2


def keyed_seed(seed: int, stream: int, step: int) -> int:
    """A 63-bit seed for (run seed, stream, step); distinct keys give unrelated generators."""
    return ((seed * 1_000_003 + stream) * 2_147_483_659 + step) % (2**63 - 1)


def epoch_permutation(size: int, seed: int, epoch: int) -> torch.Tensor:
    return torch.randperm(size, generator=torch.Generator().manual_seed(keyed_seed(seed, _ORDER_STREAM, epoch)))


def keyed_batch_indices(size: int, batch_size: int, seed: int, iteration: int, order=None) -> torch.Tensor:
    """The image indices of batch `iteration`: consecutive slices of the per-epoch permutations.

    `order(epoch)` may supply (cached) permutations; by default they are drawn here.
    """
    order = order or (lambda epoch: epoch_permutation(size, seed, epoch))
    start = iteration * batch_size
    parts, taken = [], 0
    while taken < batch_size:
        epoch, offset = divmod(start + taken, size)
        piece = order(epoch)[offset : offset + batch_size - taken]
        parts.append(piece)
        taken += len(piece)
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def mean_image(images: torch.Tensor) -> torch.Tensor:
    """The per-pixel mean of a uint8 N x C x H x W set: a C x H x W float image (not per-channel)."""
    total = torch.zeros(images.shape[1:], dtype=torch.float64, device=images.device)
    for chunk in images.split(10_000):
        total += chunk.to(torch.float64).sum(0)
    return (total / len(images)).to(torch.float32)


def crop_and_flip(x: torch.Tensor, pad: int, offsets: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """Zero-pad x (B x C x H x W) by `pad`, crop H x W at per-image `offsets` (B x 2: row, col), flip where `flips`.

    One gather for the whole batch: row and column index grids per image, mirrored for flipped ones.
    """
    batch, channels, height, width = x.shape
    padded = F.pad(x, (pad, pad, pad, pad)) if pad else x
    rows = offsets[:, 0:1] + torch.arange(height, device=x.device)  # B x H
    cols = torch.arange(width, device=x.device)
    cols = torch.where(flips[:, None], width - 1 - cols, cols) + offsets[:, 1:2]  # B x W
    b = torch.arange(batch, device=x.device)[:, None, None, None]
    c = torch.arange(channels, device=x.device)[None, :, None, None]
    return padded[b, c, rows[:, None, :, None], cols[:, None, None, :]]


class _OnDevice:
    """A uint8 image set held whole on the training device, its batches served in the model's memory format."""

    def __init__(self, data: ImageSet, device: torch.device, channels_last: bool):
        self.images = torch.from_numpy(data.images).to(device)
        self.labels = torch.from_numpy(data.labels).to(device)
        self.device, self.channels_last = device, channels_last

    def __len__(self) -> int:
        return len(self.labels)

    def _formatted(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


class TrainStream(_OnDevice):
    """Augmented, mean-subtracted training batches by iteration number."""

    def __init__(
        self,
        data: ImageSet,
        batch_size: int,
        pad: int,
        flip: bool,
        seed: int,
        device: torch.device,
        channels_last: bool = False,
        part: slice = slice(None),
    ):
        super().__init__(data, device, channels_last)
        self.mean = mean_image(self.images)
        self.batch_size, self.pad, self.flip, self.seed = batch_size, pad, flip, seed
        self.part = part  # this process's share of the global batch (all of it when alone)
        self._orders: dict[int, torch.Tensor] = {}
        self._augment_rng = torch.Generator(device=device)

    def epoch_order(self, epoch: int) -> torch.Tensor:
        if epoch not in self._orders:  # keep the current and previous epoch's order on the device
            self._orders = {e: o for e, o in self._orders.items() if e >= epoch - 1}
            self._orders[epoch] = epoch_permutation(len(self), self.seed, epoch).to(self.device)
        return self._orders[epoch]

    def indices(self, iteration: int) -> torch.Tensor:
        return keyed_batch_indices(len(self), self.batch_size, self.seed, iteration, self.epoch_order)

    def batch(self, iteration: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.indices(iteration)
        self._augment_rng.manual_seed(keyed_seed(self.seed, _AUGMENT_STREAM, iteration))
        batch = len(idx)  # draws cover the global batch, so an image's crop never depends on the world size
        offsets = torch.randint(0, 2 * self.pad + 1, (batch, 2), generator=self._augment_rng, device=self.device)
        flips = torch.rand(batch, generator=self._augment_rng, device=self.device) < 0.5
        idx, offsets, flips = idx[self.part], offsets[self.part], flips[self.part]
        x = self.images[idx].float() - self.mean
        if not self.flip:
            flips = torch.zeros_like(flips)
        if self.pad or self.flip:
            x = crop_and_flip(x, self.pad, offsets, flips)
        return self._formatted(x), self.labels[idx]


class EvalSet(_OnDevice):
    """A held-out set on the device, mean-subtracted with the training mean, served in large batches."""

    def __init__(
        self, data: ImageSet, mean: torch.Tensor, device: torch.device, batch_size: int, channels_last: bool = False
    ):
        super().__init__(data, device, channels_last)
        self.mean, self.batch_size = mean, batch_size

    def batches(self):
        for start in range(0, len(self), self.batch_size):
            x = self.images[start : start + self.batch_size].float() - self.mean
            yield self._formatted(x), self.labels[start : start + self.batch_size]
