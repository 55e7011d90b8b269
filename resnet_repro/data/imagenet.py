"""ImageNet in the usual class-folder layout (`train/<wnid>/*.JPEG`, `val/<wnid>/*.JPEG`).

Training augmentation (Sec. 3.4): shorter side resized to a random size in [256, 480], a random
224x224 crop or its horizontal flip, AlexNet-style PCA colour augmentation, mean subtraction. We
subtract the per-channel mean (ImageNet's, on the [0, 1] scale) rather than the per-pixel mean
image, which the paper's scale augmentation makes ill-defined at a fixed crop; stated here and in
each run's config. Test views: the centre 224 crop (curves), the standard 10-crop (Tables 2-3), and
whole images at several shorter sides for the fully convolutional multi-scale test (Table 4).

An unreadable image never stops a long run: it is skipped, counted, and reported.
"""

from __future__ import annotations

import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from ..basics.errors import UserError
from .vision import require_torchvision

require_torchvision()  # a mismatched torch/torchvision pair: one line with the fix, not an import traceback
from torchvision.transforms import functional as TF  # noqa: E402  (after the check above)

IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}
CHANNEL_MEAN = (0.485, 0.456, 0.406)  # ImageNet training-set channel means, [0, 1] scale
# AlexNet's PCA of ImageNet RGB pixels ([0, 1] scale): eigenvalues and eigenvectors (columns).
PCA_EIGENVALUES = torch.tensor([0.2175, 0.0188, 0.0045])
PCA_EIGENVECTORS = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])


@dataclass
class ImageFolderIndex:
    classes: list[str]
    samples: list[tuple[Path, int]]

    def __len__(self) -> int:
        return len(self.samples)

    def pick(self, positions) -> "ImageFolderIndex":
        """The samples at `positions`, in folder order."""
        return ImageFolderIndex(self.classes, [self.samples[i] for i in sorted(positions)])


def scan_image_folder(root: Path) -> ImageFolderIndex:
    """Classes are the sorted sub-folders; every class must hold at least one image."""
    if not root.is_dir():
        raise UserError(
            f"ImageNet folder {root} not found: put the data as {root}/<wnid>/*.JPEG and pass its "
            f"parent with --data-dir"
        )
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise UserError(f"{root} has no class folders: expected {root}/<wnid>/*.JPEG")
    samples = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise UserError(f"class folder {root / name} holds no images (.JPEG, .jpg, .png); remove it or fill it")
        samples += [(path, label) for path in files]
    return ImageFolderIndex(classes, samples)


def scale_augment(
    image: Image.Image, rng: random.Random, low: int = 256, high: int = 480, crop: int = 224, *, colour_std: float
) -> torch.Tensor:
    """The paper's training view: random shorter side in [low, high], random crop, random flip, lighting (the
    recipe's data.colour_std; 0 turns it off)."""
    image = TF.resize(image, rng.randint(low, high))
    width, height = image.size
    top, left = rng.randint(0, height - crop), rng.randint(0, width - crop)
    image = TF.crop(image, top, left, crop, crop)
    if rng.random() < 0.5:
        image = TF.hflip(image)
    x = TF.to_tensor(image)
    return subtract_mean(pca_lighting(x, torch.Generator().manual_seed(rng.getrandbits(63)), colour_std))


def pca_lighting(x: torch.Tensor, generator: torch.Generator, std: float) -> torch.Tensor:
    """AlexNet colour augmentation: add sum_i alpha_i * lambda_i * v_i to every pixel, alpha ~ N(0, std)."""
    alpha = torch.randn(3, generator=generator) * std
    return x + (PCA_EIGENVECTORS @ (alpha * PCA_EIGENVALUES)).view(3, 1, 1)


def subtract_mean(x: torch.Tensor) -> torch.Tensor:
    return x - torch.tensor(CHANNEL_MEAN).view(3, 1, 1)


def center_view(image: Image.Image, short_side: int = 256, crop: int = 224) -> torch.Tensor:
    return subtract_mean(TF.to_tensor(TF.center_crop(TF.resize(image, short_side), crop)))


def ten_crop_views(image: Image.Image, short_side: int = 256, crop: int = 224) -> torch.Tensor:
    """The standard 10-crop: four corners and the centre, and their horizontal flips (10 x 3 x crop x crop)."""
    # (tl, tr, bl, br, center, and the same of the flipped image)
    crops = TF.ten_crop(TF.resize(image, short_side), crop)
    return torch.stack([subtract_mean(TF.to_tensor(c)) for c in crops])


def multiscale_views(image: Image.Image, scales: tuple[int, ...], flip: bool = False) -> list[torch.Tensor]:
    """Whole images at each shorter side (the recipe's data.test_scales), for a fully convolutional net whose scores
    are averaged; with `flip`, each scale's mirror image too (data.multiscale_flip)."""
    views = [subtract_mean(TF.to_tensor(TF.resize(image, s))) for s in scales]
    return views + [v.flip(-1) for v in views] if flip else views


def open_rgb(path: Path) -> Image.Image | None:
    """The image as RGB, or None when the file cannot be decoded (callers skip and record it).

    Any failure counts, not only the usual OSError: a header claiming 60000x60000 pixels raises PIL's
    DecompressionBombError, and since batches are keyed, an escaping error would stop every resume too. Only a
    regular file is read (a link to one too, as datasets are often laid out): a named pipe or a device called
    x.JPEG is opened without waiting (O_NONBLOCK) and skipped, never read forever."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            with Image.open(file) as handle:
                return handle.convert("RGB")
    except Exception:  # any decoder error: one bad file must never stop a run; the caller records it
        return None
