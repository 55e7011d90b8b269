"""What a 10-class image set must look like before a run folder is made for it. No torch here.

Checked when a dataset is read, so a bad copy is one line naming the file, not an 11-class net, a
silent cast of float pixels to zeros, or a traceback hours later.
"""

from __future__ import annotations

import numpy as np

from ..basics.errors import UserError

CLASSES = 10  # CIFAR-10 and Fashion-MNIST


def check_images(images, where: str, channels: int, size: int) -> np.ndarray:
    """N x channels x size x size uint8, N >= 1."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise UserError(
            f"{where}: images must be uint8 pixels, got {kind}; the file is not a valid copy of the dataset"
        )
    if images.ndim != 4 or images.shape[1:] != (channels, size, size):
        raise UserError(f"{where}: images must be N x {channels} x {size} x {size}, got shape {images.shape}")
    if len(images) == 0:
        raise UserError(f"{where}: holds no images")
    return images


def check_labels(labels, count: int, where: str) -> np.ndarray:
    """`count` whole-number labels in 0..CLASSES-1, as int64."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.dtype.kind not in "ui":
        raise UserError(
            f"{where}: labels must be a flat list of whole numbers, got {array.dtype} of shape {array.shape}"
        )
    if len(array) != count:
        raise UserError(f"{where}: {count} images but {len(array)} labels; the file is corrupt")
    if len(array) and (array.min() < 0 or array.max() >= CLASSES):
        bad = array[(array < 0) | (array >= CLASSES)][0]
        raise UserError(f"{where}: label {bad} is outside 0..{CLASSES - 1}; the dataset has {CLASSES} classes")
    return array.astype(np.int64)
