"""CIFAR-10 from its python-pickle batches (`cifar-10-batches-py`), read directly.

We do not go through torchvision's CIFAR10 class for reading: it refuses files whose md5 differs
from the release, and test fixtures differ by nature. Instead we read every batch ourselves and
record whether the files match the official release (results are comparable to the paper only
if they do).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..basics.digest import file_digest
from ..basics.errors import UserError
from .checks import check_images, check_labels
from .fetch import describe_failure
from .safe_pickle import ForbiddenPickle, load_cifar_pickle
from .vision import require_torchvision

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
}
TEST_BATCHES = {"test_batch": "40351d587109b95175f43aff81a1287e"}


def find_cifar10(data_dir: Path) -> Path | None:
    """The `cifar-10-batches-py` folder under `data_dir`, else `data_dir` itself where it holds the batches."""
    candidates = (data_dir / FOLDER, data_dir)
    return next((c for c in candidates if (c / "data_batch_1").is_file() or (c / "test_batch").is_file()), None)


def download_cifar10(root: Path) -> None:
    """Fetch and unpack the official archive with torchvision's downloader (checks its md5)."""
    require_torchvision()  # a broken torch/torchvision pair: one line with the fix, not an import traceback
    from torchvision.datasets.utils import download_and_extract_archive

    root.mkdir(parents=True, exist_ok=True)
    try:
        download_and_extract_archive(
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            str(root),
            filename="cifar-10-python.tar.gz",
            md5="c58f30108f718f92721af3b95e74349a",
        )
    except Exception as error:  # network errors come in many types; the user needs one line
        raise UserError(
            f"downloading CIFAR-10 into {root} failed: {describe_failure(error)}. Fix: run this again online, or put "
            f"{FOLDER} (from cifar-10-python.tar.gz) under {root} yourself"
        ) from None


def read_cifar10(folder: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], dict]:
    """((train_x, train_y), (test_x, test_y), checksum report); images uint8 N x 3 x 32 x 32."""
    train = _read_batches(folder, TRAIN_BATCHES)
    test = _read_batches(folder, TEST_BATCHES)
    mismatched = [
        name for name, md5 in {**TRAIN_BATCHES, **TEST_BATCHES}.items() if file_digest(folder / name, "md5") != md5
    ]
    report = {
        "dataset": "cifar10",
        "folder": str(folder),
        "official_checksums": not mismatched,
        "mismatched_files": mismatched,
    }
    return train, test, report


def _read_batches(folder: Path, names: dict) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise UserError(
                f"CIFAR-10 folder {folder} is incomplete: {name} is missing. Re-download it with "
                f"--download, or point --data-dir at a complete copy"
            )
        try:
            with open(path, "rb") as handle:
                batch = load_cifar_pickle(handle)  # never plain pickle.load: a batch file could run code
        except ForbiddenPickle as error:
            raise UserError(
                f"{path} is not a CIFAR-10 batch: it holds {error}; refusing to load it. Re-download with --download"
            ) from None
        except Exception as error:  # a truncated or foreign file: pickle/EOF/ValueError alike
            raise UserError(
                f"{path} is not a readable CIFAR-10 batch ({type(error).__name__}: {error}). "
                f"Re-download with --download"
            ) from None
        if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
            raise UserError(
                f"{path} is not a readable CIFAR-10 batch (no data and labels in it). Re-download with --download"
            )
        data = batch[b"data"]
        if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[1] == 3 * 32 * 32:
            data = data.reshape(-1, 3, 32, 32)  # rows of 3072 bytes: R plane, G plane, B plane
        images.append(check_images(data, str(path), 3, 32))
        labels.append(check_labels(batch[b"labels"], len(data), str(path)))
    return np.concatenate(images), np.concatenate(labels)
