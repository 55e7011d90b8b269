"""Tiny learnable datasets written in the real on-disk formats, for tests.

`write_cifar10(folder, ...)` writes `cifar-10-batches-py/` with pickled data_batch_1..5, test_batch
and batches.meta exactly as the release lays them out; `write_fashion_mnist(folder, ...)` writes
the four gzipped IDX files. The real loaders then read them; nothing is faked past the bytes.
Each class is a distinct coloured pattern plus noise, so a net can learn it in a few iterations.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np


def learnable_images(count: int, channels: int, size: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, count)
    # the same class patterns in every split
    patterns = np.random.default_rng(12345).integers(0, 256, (classes, channels, size, size))
    noise = rng.normal(0, 40, (count, channels, size, size))
    return np.clip(patterns[labels] * 0.7 + 40 + noise, 0, 255).astype(np.uint8), labels


def write_cifar10(root: Path, train_per_batch: int = 64, test: int = 64, seed: int = 0) -> Path:
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, 6):
        images, labels = learnable_images(train_per_batch, 3, 32, 10, seed + index)
        _pickle_batch(folder / f"data_batch_{index}", images, labels, f"training batch {index} of 5")
    images, labels = learnable_images(test, 3, 32, 10, seed + 100)
    _pickle_batch(folder / "test_batch", images, labels, "testing batch 1 of 1")
    meta = {
        b"label_names": [
            n.encode()
            for n in ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
        ],
        b"num_cases_per_batch": train_per_batch,
        b"num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return folder


def _pickle_batch(path: Path, images: np.ndarray, labels: np.ndarray, name: str) -> None:
    batch = {
        b"batch_label": name.encode(),
        b"labels": [int(v) for v in labels],
        b"data": images.reshape(len(images), -1),
        b"filenames": [f"img{i}.png".encode() for i in range(len(images))],
    }
    path.write_bytes(pickle.dumps(batch, protocol=2))


def write_fashion_mnist(root: Path, train: int = 128, test: int = 64, seed: int = 0) -> Path:
    folder = Path(root) / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for split, count, offset in (("train", train, 0), ("t10k", test, 100)):
        images, labels = learnable_images(count, 1, 28, 10, seed + offset)
        _write_idx(folder / f"{split}-images-idx3-ubyte.gz", images[:, 0])
        _write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    return folder


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def write_image_folder(
    root: Path,
    classes: int = 4,
    train_per_class: int = 16,
    val_per_class: int = 4,
    size: tuple[int, int] = (48, 40),
    seed: int = 0,
) -> Path:
    """An ImageNet-layout folder of real JPEGs: root/train/<wnid>/*.JPEG and root/val/<wnid>/*.JPEG."""
    from PIL import Image

    for split, count, offset in (("train", train_per_class, 0), ("val", val_per_class, 1000)):
        images, labels = learnable_images(classes * count, 3, max(size), classes, seed + offset)
        for i, (image, label) in enumerate(zip(images, labels)):
            folder = Path(root) / split / f"n{label:08d}"
            folder.mkdir(parents=True, exist_ok=True)
            pixels = image.transpose(1, 2, 0)[: size[1], : size[0]]
            Image.fromarray(np.ascontiguousarray(pixels)).save(folder / f"{split}_{i:05d}.JPEG", "JPEG", quality=90)
    for split in ("train", "val"):  # every class needs images in both splits
        for label in range(classes):
            folder = Path(root) / split / f"n{label:08d}"
            if not folder.exists() or not any(folder.iterdir()):
                folder.mkdir(parents=True, exist_ok=True)
                Image.new("RGB", size, (label * 60, 0, 0)).save(folder / "filler.JPEG", "JPEG")
    return Path(root)
