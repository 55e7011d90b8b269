"""Find, read and split a dataset into uint8 image sets (no torch here: plain numpy arrays)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..basics.errors import PATH_CHARS, UserError, require_utf8, shorten
from ..specs.config import DataSpec
from ..specs.datasets import DEFAULT_IMAGE_SIZE, dataset_info
from .cifar import download_cifar10, find_cifar10, read_cifar10
from .fashion_mnist import FOLDER as FASHION_FOLDER
from .fashion_mnist import SYSTEM_DIR, fetch_fashion_mnist, find_fashion_mnist, mirror, read_fashion_mnist
from .fetch import FetchFailed
from .image_size import fit_images
from .network import reachable

Say = Callable[[str], None]  # where a line for the user goes (a command's reporter)


def say_nothing(text: str) -> None:
    """The default `say`, for callers that show the user nothing (tests, library use)."""


HOLDOUT_SEED = 20151210  # one fixed 45k/5k split shared by every run (the paper's arXiv date)


@dataclass
class ImageSet:
    images: np.ndarray  # uint8, N x C x H x W
    labels: np.ndarray  # int64, N

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, count: int | None) -> "ImageSet":
        return self if count is None else ImageSet(self.images[:count], self.labels[:count])


@dataclass
class Splits:
    train: ImageSet
    test: ImageSet
    val: ImageSet | None
    report: dict  # where it came from, checksum status

    @property
    def num_classes(self) -> int:
        if hasattr(self.train, "classes"):  # an ImageNet class-folder index
            return len(self.train.classes)
        return int(max(self.train.labels.max(), self.test.labels.max())) + 1

    @property
    def in_channels(self) -> int:
        return 3 if hasattr(self.train, "classes") else self.train.images.shape[1]


def resolve_data_dir(cli_value: str | None, download: bool = False) -> tuple[Path, bool]:
    """--data-dir, else $RESNET_REPRO_DATA, else ./data (a UTF-8 name: meta.json records it), and whether the user
    named it. A named folder is the only place datasets are looked for, so it must exist (unless --download is to
    fill it): a mistyped name would otherwise find the system's Fashion-MNIST and start a long job."""
    named = cli_value or os.environ.get("RESNET_REPRO_DATA")
    folder = Path(named or "data")
    require_utf8(str(folder), "the data folder")
    if named and not download and not folder.is_dir():
        fetch = (
            "add --download to fetch it there" if reachable(CIFAR10_HOST) else f"copy the dataset there ({NO_NETWORK})"
        )
        raise UserError(
            f"no data folder at {shorten(str(folder), PATH_CHARS)} (--data-dir or RESNET_REPRO_DATA; a folder you name "
            f"is the only place looked in). Fix: name the folder that holds the dataset, {fetch}, or name none to "
            f"use ./data and the system's datasets"
        )
    return folder, bool(named)


CIFAR10_HOST = "www.cs.toronto.edu"  # where --download fetches each dataset from (torchvision's sources)


# what a hint says in place of --download where it could not fetch (reachable(CIFAR10_HOST) is false)
NO_NETWORK = "--download needs a network this machine does not reach"


def locate_dataset(
    dataset: str, data_dir: Path, download: bool = False, named: bool = False, say: Say = say_nothing
) -> Path:
    """The folder that holds `dataset` (fetched first where asked and possible), or a one-line error saying
    where we looked and how to fix it. Cheap: it reads no images, so `run --jobs` checks once before it starts
    any process (and downloads once, not once per job). `named`: the user named `data_dir`, so the system's
    dataset folders are not looked in (what runs must be what the user pointed at). `say` gets the line that says
    a dataset was fetched."""
    if dataset not in LOCATORS:
        raise UserError(f"dataset {dataset!r} has no loader")
    return LOCATORS[dataset](data_dir, download, named, say)


def _locate_cifar10(data_dir: Path, download: bool, named: bool, say: Say) -> Path:
    folder = find_cifar10(data_dir)
    if folder is None and download:
        download_cifar10(data_dir)
        folder = find_cifar10(data_dir)
    if folder is None:
        tried = f"{data_dir / 'cifar-10-batches-py'}, {data_dir}"
        where = "--data-dir DIR pointing at the folder that holds cifar-10-batches-py"
        if reachable(CIFAR10_HOST):
            fix, offline = f"add --download to fetch it, or {where}", "offline, --profile cpu"
        else:
            fix, offline = f"{where} ({NO_NETWORK})", "--profile cpu"
        raise UserError(
            f"CIFAR-10 not found (looked in {tried}). Fix: {fix}; {offline} trains on Fashion-MNIST (Debian's "
            f"dataset-fashion-mnist), and --set data.dataset=fashion-mnist runs a CIFAR target's other profiles on it "
            f"(--profile smoke: about a minute)"
        )
    return folder


def _locate_fashion_mnist(data_dir: Path, download: bool, named: bool, say: Say) -> Path:
    """Found, else fetched (31 MB, with or without --download: the `cpu` profile's data should not need a step of
    its own), else one line naming both ways to get it."""
    system = not named
    folder = find_fashion_mnist(data_dir, system)
    if folder is not None:
        return folder
    tried = f"{data_dir}/fashion-mnist, {data_dir}/FashionMNIST/raw, {data_dir}" + (f", {SYSTEM_DIR}" if system else "")
    try:
        say(fetch_fashion_mnist(data_dir))
    except FetchFailed as failure:
        debian = ("name no --data-dir and " if named else "") + "apt-get install dataset-fashion-mnist (Debian, Ubuntu)"
        raise UserError(
            f"Fashion-MNIST not found (looked in {tried}) and fetching it from {mirror()} failed: {failure}. Fix: "
            f"{debian}, or run this again online (it fetches the four .gz files, 31 MB, into "
            f"{data_dir / FASHION_FOLDER})"
        ) from None
    return find_fashion_mnist(data_dir, system=False)


def _locate_imagenet(data_dir: Path, download: bool, named: bool, say: Say) -> Path:
    root = next((c for c in (data_dir / "imagenet", data_dir) if (c / "train").is_dir()), None)
    if root is None:
        raise UserError(
            f"ImageNet not found (looked for {data_dir / 'imagenet' / 'train'} and "
            f"{data_dir / 'train'}). It cannot be downloaded: put train/<wnid>/*.JPEG and "
            f"val/<wnid>/*.JPEG there, or point --data-dir at the folder that holds them"
        )
    return root


# How each dataset of the table in resnet_repro/specs/datasets.py is found, and (arrays at their native side) read.
LOCATORS = {"cifar10": _locate_cifar10, "fashion-mnist": _locate_fashion_mnist, "imagenet": _locate_imagenet}
ARRAY_READERS = {"cifar10": read_cifar10, "fashion-mnist": read_fashion_mnist}


def load_image_sets(
    spec: DataSpec,
    data_dir: Path,
    holdout: int = 0,
    download: bool = False,
    named: bool = False,
    say: Say = say_nothing,
) -> Splits:
    folder = locate_dataset(spec.dataset, data_dir, download, named, say)
    read = _read_imagenet if dataset_info(spec.dataset).class_folders else _read_arrays
    train, test, val, report = read(spec, folder, holdout)
    report = {**report, "train_images": len(train), "test_images": len(test), "val_images": len(val or [])}
    return Splits(train, test, val, report)


def _held_out_order(size: int, holdout: int, where: str) -> np.ndarray:
    """The one fixed permutation of a training set's `size` images whose first `holdout` are held out."""
    if holdout >= size:
        raise UserError(f"recipe.holdout={holdout} leaves no training images ({where} has {size})")
    return np.random.default_rng(HOLDOUT_SEED).permutation(size)


def _read_arrays(spec: DataSpec, folder: Path, holdout: int):
    """An array dataset at the recipe's image size; the first images of each set where a profile takes a subset."""
    (train_x, train_y), (test_x, test_y), report = ARRAY_READERS[spec.dataset](folder)
    size = spec.image_size or DEFAULT_IMAGE_SIZE
    train = ImageSet(fit_images(train_x, size), train_y)
    val = None
    if holdout:
        order = _held_out_order(len(train), holdout, "the set")
        val = ImageSet(train.images[order[:holdout]], train.labels[order[:holdout]]).head(spec.test_subset)
        keep = np.sort(order[holdout:])
        train = ImageSet(train.images[keep], train.labels[keep])
    test = ImageSet(fit_images(test_x, size), test_y).head(spec.test_subset)
    return train.head(spec.train_subset), test, val, report


def _read_imagenet(spec: DataSpec, root: Path, holdout: int):
    """`train/` and `val/` class folders under `root` (DATA_DIR/imagenet or DATA_DIR itself). The val folder is
    the reported set (Splits.test); `holdout` training images, a fixed seeded choice, become Splits.val, the set
    the lr plateau rule watches."""
    from .imagenet import scan_image_folder  # torch and torchvision: only where ImageNet is read

    train, test = scan_image_folder(root / "train"), scan_image_folder(root / "val")
    if test.classes != train.classes:
        raise UserError(
            f"{root / 'val'} has {len(test.classes)} classes but {root / 'train'} has "
            f"{len(train.classes)}; both need the same class folders"
        )
    held = None
    if holdout:
        order = _held_out_order(len(train), holdout, str(root / "train"))
        held = _subset(train.pick(order[:holdout]), spec.test_subset)
        train = train.pick(order[holdout:])
    report = {"dataset": "imagenet", "folder": str(root), "official_checksums": None, "mismatched_files": []}
    return _subset(train, spec.train_subset), _subset(test, spec.test_subset), held, report


def _subset(index, count: int | None):
    """A fixed random subset (the same for every run), so a small profile still spans the classes."""
    if count is None or count >= len(index):
        return index
    return index.pick(np.random.default_rng(HOLDOUT_SEED).choice(len(index), count, replace=False))
