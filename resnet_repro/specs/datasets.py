"""The datasets the tool knows, and what each one is: the one place that answers questions about a dataset's name.

Recipes name a dataset (`data.dataset: cifar10`); code asks this table what it is (its title, whether it is
class folders of JPEGs, which paper dataset it stands in for) rather than comparing names. How each is found
and read lives in data/sources.py, keyed by the same names. No imports: specs/config.py reads the names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    name: str  # as a recipe spells it
    title: str  # as the paper and the tables name it
    class_folders: bool = False  # JPEG class folders streamed from disk at the recipe's view sizes (else arrays)
    proxy_for: str | None = None  # the paper's dataset it stands in for (claims only, never the paper's numbers)
    native_side: int | None = None  # an array dataset's image side as stored (data.image_size brings it to a size)
    test_images: int = 0  # the reported test set's size (the time-left clock counts the test passes)


DATASETS = {
    d.name: d
    for d in (
        Dataset("cifar10", "CIFAR-10", native_side=32, test_images=10_000),
        Dataset("fashion-mnist", "Fashion-MNIST", proxy_for="cifar10", native_side=28, test_images=10_000),
        Dataset("imagenet", "ImageNet", class_folders=True, test_images=50_000),
    )
}
DEFAULT_IMAGE_SIZE = 32  # what an array dataset trains at without data.image_size: the CIFAR nets' input


def dataset_info(name: str) -> Dataset:
    """What `name` is; a name outside the table (never from a checked recipe) is a plain array dataset."""
    return DATASETS.get(name) or Dataset(name, name)


def image_size_problem(native: int, size: int) -> str | None:
    """Why `size` cannot be made exactly from `native`-sided images, or None when it can: a centred zero border
    up to an even margin, or k x k block means down to a side that divides the native one (data/image_size.py)."""
    if size >= native and (size - native) % 2 == 0 or size < native and native % size == 0:
        return None
    pooled = [native // k for k in range(2, native) if native % k == 0 and native // k >= 4]
    return (
        f"{size}x{size} cannot be made exactly from {native}x{native} images: pool them to "
        f"{', '.join(map(str, pooled)) or 'no smaller side'}, or pad them to an even margin "
        f"({native}, {native + 2}, {native + 4}, ...)"
    )
