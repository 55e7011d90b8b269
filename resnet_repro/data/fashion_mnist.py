"""Fashion-MNIST from its IDX files: the real data of the `cpu` profile, found on this machine or fetched.

Debian's `dataset-fashion-mnist` installs the four gzipped IDX files under
/usr/share/datasets/fashion-mnist; torchvision's downloader writes them under FashionMNIST/raw. Where neither is
there, `fetch_fashion_mnist` fetches the four files (31 MB) from the dataset's own mirror into DATA_DIR/fashion-mnist
and keeps each only if its data is the official release's. The 28x28 grey images are read as they are;
data.image_size then brings them to the side a recipe trains at (zero-padded to 32x32 by default, so they sit in
the CIFAR nets' input as CIFAR's do).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..basics.errors import UserError
from .checks import check_images, check_labels
from .fetch import fetch_checked

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# Where the release is fetched from (the dataset's own mirror, as its README and torchvision name it); the variable
# points elsewhere (another mirror, a file:// folder, a test's local server).
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MIRROR_VARIABLE = "RESNET_REPRO_FASHION_MNIST_URL"
FOLDER = "fashion-mnist"  # under the data folder: where fetched files are kept
# SHA-256 of each file's IDX bytes, after gunzip. The .gz bytes differ between copies of the same release (Debian
# recompresses them without the file name, 24 bytes shorter, so the MD5s torchvision lists for the upstream .gz
# files fit no Debian copy); the data inside is the same, so this is what is checked. Taken from Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1 (upstream's git commit 55506a9).
# The training images come last: a folder is found by them, so a fetch cut short is never taken for a whole one.
IDX_SHA256 = {
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
}


def find_fashion_mnist(data_dir: Path, system: bool = True) -> Path | None:
    """The first folder holding the IDX files: under `data_dir`, then (with `system`) Debian's copy."""
    candidates = [data_dir / "fashion-mnist", data_dir / "FashionMNIST" / "raw", data_dir]
    if system:
        candidates.append(SYSTEM_DIR)
    return next((folder for folder in candidates if _locate(folder, FILES["train_images"]) is not None), None)


def mirror() -> str:
    """The base URL the four .gz files are fetched from."""
    return os.environ.get(MIRROR_VARIABLE) or MIRROR


def fetch_fashion_mnist(data_dir: Path) -> str:
    """Fetch the four files into `data_dir`/fashion-mnist, each checked before it is kept; the line that says so.
    Raises FetchFailed (offline, a dead mirror, a file that is not the release's)."""
    base, folder, total = mirror(), data_dir / FOLDER, 0
    for stem, digest in IDX_SHA256.items():
        url = f"{base.rstrip('/')}/{stem}.gz"
        total += fetch_checked(url, folder / f"{stem}.gz", lambda body, digest=digest: _idx_problem(body, digest))
    return (
        f"fetched Fashion-MNIST ({len(IDX_SHA256)} files, {total / 1e6:.0f} MB) from {base} into {folder}; "
        f"their SHA-256 digests match the official release"
    )


def _idx_problem(body: bytes, digest: str) -> str | None:
    """None when `body` gunzips to the release's IDX bytes, else what is wrong with it."""
    try:
        data = gzip.decompress(body)
    except (OSError, EOFError, zlib.error):
        return "is not a gzip file"
    if hashlib.sha256(data).hexdigest() != digest:
        return "is not the official Fashion-MNIST file (its SHA-256 differs)"
    return None


def read_fashion_mnist(folder: Path):
    """((train_x, train_y), (test_x, test_y), report); images uint8 N x 1 x 28 x 28."""
    arrays, paths = {}, {}
    for key, stem in FILES.items():
        paths[key] = _locate(folder, stem)
        if paths[key] is None:
            raise UserError(f"Fashion-MNIST folder {folder} is incomplete: {stem}[.gz] is missing")
        arrays[key] = _read_idx(paths[key])

    def checked(split: str) -> tuple[np.ndarray, np.ndarray]:
        """The split's images and labels, each checked and named by its own file."""
        images, where = arrays[f"{split}_images"], str(paths[f"{split}_images"])
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise UserError(f"{where}: images must be N x 28 x 28, got shape {images.shape}; reinstall the dataset")
        images = check_images(images[:, None], where, 1, 28)
        return images, check_labels(arrays[f"{split}_labels"], len(images), str(paths[f"{split}_labels"]))

    report = {"dataset": "fashion-mnist", "folder": str(folder), "official_checksums": None, "mismatched_files": []}
    return checked("train"), checked("test"), report


def _locate(folder: Path, stem: str) -> Path | None:
    return next((folder / name for name in (stem, f"{stem}.gz") if (folder / name).is_file()), None)


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
