"""Real loaders on tiny datasets in the real on-disk formats, and the device pipeline."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from resnet_repro.basics.errors import UserError
from resnet_repro.data.cifar import read_cifar10
from resnet_repro.data.fashion_mnist import read_fashion_mnist
from resnet_repro.data.pipeline import TrainStream, crop_and_flip, mean_image
from resnet_repro.data.sources import ImageSet, load_image_sets, locate_dataset, resolve_data_dir
from resnet_repro.specs.config import DataSpec


def test_cifar_batches_are_read_from_the_pickles(cifar_dir):
    folder = cifar_dir / "cifar-10-batches-py"
    (train_x, train_y), (test_x, test_y), report = read_cifar10(folder)
    assert train_x.shape == (320, 3, 32, 32) and train_x.dtype == np.uint8 and test_x.shape == (64, 3, 32, 32)
    with open(folder / "data_batch_1", "rb") as handle:
        raw = pickle.load(handle, encoding="bytes")
    # Row-major 3072 bytes per image: R plane, G plane, B plane.
    assert np.array_equal(train_x[0].reshape(-1), raw[b"data"][0]) and train_y[0] == raw[b"labels"][0]
    assert report["official_checksums"] is False and "data_batch_1" in report["mismatched_files"]


def test_missing_cifar_names_paths_and_both_fixes(tmp_path):
    with pytest.raises(UserError) as error:
        load_image_sets(DataSpec("cifar10"), tmp_path)
    message = str(error.value)
    assert str(tmp_path / "cifar-10-batches-py") in message and "--download" in message and "--data-dir" in message


@pytest.fixture
def system_fashion_mnist(fashion_dir, monkeypatch):
    """The system's Fashion-MNIST folder, pointed at the tiny test copy whatever this machine has installed."""
    from resnet_repro.data import fashion_mnist, sources

    folder = fashion_dir / "fashion-mnist"
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", folder)
    monkeypatch.setattr(sources, "SYSTEM_DIR", folder)
    return folder


def test_a_named_data_folder_is_the_only_place_looked_in(tmp_path, system_fashion_mnist):
    with pytest.raises(UserError) as error:
        locate_dataset("fashion-mnist", tmp_path, named=True)
    message = str(error.value)
    assert f"looked in {tmp_path}/fashion-mnist, {tmp_path}/FashionMNIST/raw, {tmp_path})" in message
    assert str(system_fashion_mnist) not in message


def test_with_no_data_folder_named_the_system_copy_is_found(tmp_path, system_fashion_mnist):
    assert locate_dataset("fashion-mnist", tmp_path / "data") == system_fashion_mnist


def test_a_named_data_folder_that_does_not_exist_is_refused_unless_it_is_to_be_filled(tmp_path, monkeypatch):
    monkeypatch.delenv("RESNET_REPRO_DATA", raising=False)
    missing = tmp_path / "nonexistent"
    with pytest.raises(UserError, match=f"no data folder at {missing} "):
        resolve_data_dir(str(missing))
    monkeypatch.setenv("RESNET_REPRO_DATA", str(missing))
    with pytest.raises(UserError, match=f"no data folder at {missing} "):
        resolve_data_dir(None)
    assert resolve_data_dir(None, download=True) == (missing, True)  # --download fetches into it
    assert resolve_data_dir(str(tmp_path)) == (tmp_path, True)
    monkeypatch.delenv("RESNET_REPRO_DATA")
    assert resolve_data_dir(None) == (Path("data"), False)  # the default need not exist: the system copy is used


def test_incomplete_and_corrupt_cifar_are_clear_errors(tmp_path, cifar_dir):
    import shutil

    broken = tmp_path / "cifar-10-batches-py"
    shutil.copytree(cifar_dir / "cifar-10-batches-py", broken)
    (broken / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(UserError, match="data_batch_3 is not a readable CIFAR-10 batch"):
        load_image_sets(DataSpec("cifar10"), tmp_path)
    (broken / "data_batch_3").unlink()
    with pytest.raises(UserError, match="incomplete: data_batch_3 is missing"):
        load_image_sets(DataSpec("cifar10"), tmp_path)


def test_fashion_mnist_idx_is_read_and_padded_to_32(fashion_dir):
    splits = load_image_sets(DataSpec("fashion-mnist"), fashion_dir)
    assert splits.train.images.shape == (128, 1, 32, 32) and splits.test.images.shape == (64, 1, 32, 32)
    assert not splits.train.images[:, :, :2].any() and not splits.train.images[:, :, :, -2:].any()
    assert splits.in_channels == 1 and splits.num_classes == 10


def test_image_size_pads_keeps_or_pools_the_stored_pixels(fashion_dir, cifar_dir):
    (raw, _), (raw_test, _), _ = read_fashion_mnist(fashion_dir / "fashion-mnist")
    native = load_image_sets(DataSpec("fashion-mnist", image_size=28), fashion_dir)
    assert np.array_equal(native.train.images, raw) and np.array_equal(native.test.images, raw_test)
    assert native.train.images.flags.writeable  # torch.from_numpy warns on a read-only buffer
    padded = load_image_sets(DataSpec("fashion-mnist"), fashion_dir)  # the default, 32
    assert np.array_equal(padded.train.images[:, :, 2:30, 2:30], raw)
    pooled = load_image_sets(DataSpec("fashion-mnist", image_size=14), fashion_dir).train.images
    assert pooled.shape == (128, 1, 14, 14) and pooled.dtype == np.uint8
    # Each pixel is its 2x2 block's mean, rounded half up in integers.
    block = raw[5, 0, 6:8, 10:12].astype(int)
    assert pooled[5, 0, 3, 5] == (block.sum() + 2) // 4
    assert np.abs(pooled.astype(float) - raw.reshape(128, 1, 14, 2, 14, 2).mean((3, 5))).max() <= 0.5
    cifar = load_image_sets(DataSpec("cifar10", image_size=8), cifar_dir)
    assert cifar.train.images.shape == (320, 3, 8, 8) and cifar.test.images.shape == (64, 3, 8, 8)


def test_holdout_and_subsets(cifar_dir):
    splits = load_image_sets(DataSpec("cifar10", train_subset=100, test_subset=10), cifar_dir, holdout=64)
    assert len(splits.val) == 10 and len(splits.train) == 100 and len(splits.test) == 10
    full = load_image_sets(DataSpec("cifar10"), cifar_dir, holdout=64)
    assert len(full.train) + len(full.val) == 320


def test_mean_is_per_pixel_not_per_channel():
    images = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    images[0, 0, 0, 0] = 200
    mean = mean_image(images)
    assert mean.shape == (3, 4, 4) and mean[0, 0, 0] == 100 and mean[0, 1, 1] == 0


def test_crop_offsets_stay_within_the_pad_and_flip_mirrors():
    x = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4).repeat(2, 1, 1, 1)
    out = crop_and_flip(x, 2, torch.tensor([[2, 2], [2, 2]]), torch.tensor([False, True]))
    assert torch.equal(out[0], x[0])  # offset == pad is the centre crop
    assert torch.equal(out[1], x[1].flip(-1))
    corner = crop_and_flip(x[:1], 2, torch.tensor([[0, 0]]), torch.tensor([False]))
    assert not corner[0, 0, :2].any() and torch.equal(corner[0, 0, 2:, 2:], x[0, 0, :2, :2])


def stream(images=64, batch=16, seed=0):
    rng = np.random.default_rng(0)
    data = ImageSet(rng.integers(0, 256, (images, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, images))
    return TrainStream(data, batch, pad=4, flip=True, seed=seed, device=torch.device("cpu"))


def test_batches_are_keyed_by_iteration():
    a, b = stream(), stream()
    for iteration in (5, 0, 3):  # any order, any instance: the same batch
        xa, ya = a.batch(iteration)
        xb, yb = b.batch(iteration)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(a.batch(0)[0], a.batch(1)[0])
    assert not torch.equal(a.batch(0)[0], stream(seed=1).batch(0)[0])


def test_each_epoch_visits_every_image_once():
    s = stream(images=64, batch=16)
    seen = torch.cat([s.indices(i) for i in range(4)])
    assert sorted(seen.tolist()) == list(range(64))
    spanning = stream(images=40, batch=16)  # batch 2 spans the epoch boundary
    assert len(spanning.indices(2)) == 16


def test_augmented_batches_are_mean_subtracted_crops_of_the_images():
    s = stream()
    x, y = s.batch(0)
    assert x.shape == (16, 3, 32, 32) and x.dtype == torch.float32
    idx = s.indices(0)
    centred = s.images[idx].float() - s.mean
    padded = torch.nn.functional.pad(centred, (4, 4, 4, 4))
    for i in range(16):  # every output is some crop (maybe flipped) of its padded source
        crops = [padded[i, :, r : r + 32, c : c + 32] for r in range(9) for c in range(9)]
        assert any(torch.equal(x[i], crop) or torch.equal(x[i], crop.flip(-1)) for crop in crops)


def test_about_half_the_images_are_flipped():
    rng = np.random.default_rng(0)
    data = ImageSet(rng.integers(0, 256, (512, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, 512))
    s = TrainStream(data, 512, pad=0, flip=True, seed=3, device=torch.device("cpu"))
    x, _ = s.batch(0)
    source = s.images[s.indices(0)].float() - s.mean
    mirrored = sum(torch.equal(x[i], source[i].flip(-1)) for i in range(512))
    unchanged = sum(torch.equal(x[i], source[i]) for i in range(512))
    assert mirrored + unchanged == 512 and 200 < mirrored < 312


@pytest.fixture
def broken_torchvision(monkeypatch):
    """torchvision as a build for another torch imports: it fails on its own operators."""
    from resnet_repro.data import vision

    def fail(name):
        raise RuntimeError("operator torchvision::nms does not exist")

    versions = {"torch": "2.13.0+cpu", "torchvision": "0.28.0"}
    monkeypatch.setattr(vision, "import_module", fail)
    monkeypatch.setattr(vision, "installed", versions.get)
    vision.require_torchvision.cache_clear()
    yield
    vision.require_torchvision.cache_clear()


PAIR_LINE = "torchvision 0.28.0 does not load with torch 2.13.0+cpu (operator torchvision::nms does not exist)"
FIX_LINE = "Fix: pip install --force-reinstall torch torchvision --index-url https://download.pytorch.org/whl/cpu"


def test_a_mismatched_torchvision_is_one_line_naming_both_versions_and_the_fix(broken_torchvision, tmp_path):
    from resnet_repro.data.cifar import download_cifar10

    with pytest.raises(UserError) as error:
        download_cifar10(tmp_path)
    message = str(error.value)
    assert PAIR_LINE in message and FIX_LINE in message and "\n" not in message


def test_run_download_with_a_mismatched_torchvision_is_one_line(broken_torchvision, tmp_path):
    from .conftest import assert_one_line_error, cli_in_process

    data, results = tmp_path / "data", tmp_path / "results"
    data.mkdir()
    args = ["run", "fig1", "--profile", "smoke", "--device", "cpu", "--download", "--data-dir", str(data)]
    assert_one_line_error(cli_in_process(*args, "--results", str(results)), PAIR_LINE, FIX_LINE)
