"""Fashion-MNIST from its IDX files: the project's offline real data (the `cpu` profile).

Debian's `dataset-fashion-mnist` installs the four gzipped IDX files under
/usr/share/datasets/fashion-mnist; torchvision's downloader writes them under
FashionMNIST/raw. The 28x28 grey images are read as they are; data.image_size then brings them to the side a
recipe trains at (zero-padded to 32x32 by default, so they sit in the CIFAR nets' input as CIFAR's do).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from ..errors import UserError
from .checks import check_images, check_labels
from .vision import require_torchvision

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def find_fashion_mnist(data_dirs: list[Path], system: bool = True) -> Path | None:
    """The first folder holding the IDX files: under each of `data_dirs`, then (with `system`) Debian's copy."""
    candidates = []
    for base in data_dirs:
        candidates += [base / "fashion-mnist", base / "FashionMNIST" / "raw", base]
    if system:
        candidates.append(SYSTEM_DIR)
    for folder in candidates:
        if _locate(folder, FILES["train_images"]) is not None:
            return folder
    return None


def download_fashion_mnist(root: Path) -> None:
    require_torchvision()  # its own line: a broken torch/torchvision pair is not a network failure
    try:
        from torchvision.datasets import FashionMNIST

        FashionMNIST(str(root), train=True, download=True)
        FashionMNIST(str(root), train=False, download=True)
    except Exception as error:
        raise UserError(
            f"downloading Fashion-MNIST into {root} failed: {error}. Offline, install Debian's "
            f"copy: apt-get install dataset-fashion-mnist"
        ) from None


def read_fashion_mnist(folder: Path):
    """((train_x, train_y), (test_x, test_y), report); images uint8 N x 1 x 28 x 28."""
    arrays = {}
    for key, stem in FILES.items():
        path = _locate(folder, stem)
        if path is None:
            raise UserError(f"Fashion-MNIST folder {folder} is incomplete: {stem}[.gz] is missing")
        arrays[key] = _read_idx(path)
    splits = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        where = str(_locate(folder, FILES[f"{split}_images"]))
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise UserError(f"{where}: images must be N x 28 x 28, got shape {images.shape}; reinstall the dataset")
        images = check_images(images[:, None], where, 1, 28)
        splits.append((images, check_labels(labels, len(images), str(_locate(folder, FILES[f"{split}_labels"])))))
    train, test = splits
    report = {"dataset": "fashion-mnist", "folder": str(folder), "official_checksums": None, "mismatched_files": []}
    return train, test, report


def _locate(folder: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path) -> np.ndarray:
    """IDX: magic (0, 0, dtype 0x08 = uint8, ndim), ndim big-endian uint32 sizes, then the data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
        zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype != 0x08:
            raise ValueError("not an unsigned-byte IDX file")
        shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        return data.reshape(shape).copy()  # a writable array of its own: torch warns on a read-only buffer
    except (OSError, EOFError, ValueError, struct.error) as error:
        raise UserError(f"{path} is not a readable IDX file ({error}); reinstall the dataset") from None
