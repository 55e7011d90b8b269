"""Bring an array dataset's images to the side a recipe trains at (`data.image_size`). No torch here.

The CIFAR nets take any square input; 32x32 is CIFAR-10's own size and the default. A smaller side is the
cheapest speed lever on a CPU, since a net's cost follows the pixel count, so a profile may train
Fashion-MNIST at its native 28x28, or average-pooled to 14x14. Only exact operations are offered, so the
images stay what the dataset holds: a centred zero border up to a larger side, or the mean of each k x k
block down to a side that divides the native one (which sides those are: datasets.image_size_problem).
"""

from __future__ import annotations

import numpy as np

from ..specs.datasets import image_size_problem


def fit_images(images: np.ndarray, size: int) -> np.ndarray:
    """N x C x S x S uint8 images brought to N x C x size x size: a zero border, or k x k block means."""
    native = images.shape[-1]
    if (problem := image_size_problem(native, size)) is not None:
        raise ValueError(problem)
    if size == native:
        return images
    if size > native:
        margin = (size - native) // 2
        return np.pad(images, ((0, 0), (0, 0), (margin, margin), (margin, margin)))
    k = native // size
    blocks = images.reshape(*images.shape[:2], size, k, size, k).astype(np.uint32).sum(axis=(3, 5))
    # Integer rounding, half up: the same bytes on every machine, unlike a float resize.
    return ((blocks + k * k // 2) // (k * k)).astype(np.uint8)
