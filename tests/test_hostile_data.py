"""Datasets from someone else: a CIFAR batch that would run code, bad contents, a hostile JPEG."""

import gzip
import io
import os
import pickle
import shutil
import struct

import numpy as np
import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.data.cifar import read_cifar10
from resnet_repro.data.fashion_mnist import read_fashion_mnist
from resnet_repro.data.safe_pickle import ForbiddenPickle, load_cifar_pickle

from .conftest import assert_one_line_error, cli, smoke_args


class _Payload:
    """Unpickling this runs a shell command (what a planted batch file would do)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def copy_cifar(cifar_dir, tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    shutil.copytree(cifar_dir / "cifar-10-batches-py", folder)
    return folder


def rewrite_batch(folder, name, change, protocol=2):
    with open(folder / name, "rb") as handle:
        batch = pickle.load(handle, encoding="bytes")  # our own generated file: safe to load plainly here
    change(batch)
    (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))


def smoke(data_dir, results, *extra):
    return cli(
        *smoke_args(data_dir, results),
        *extra,
    )


def test_a_cifar_batch_that_would_run_code_is_refused_before_it_can(cifar_dir, tmp_path):
    folder = copy_cifar(cifar_dir, tmp_path)
    marker = tmp_path / "planted-code-ran"
    rewrite_batch(folder, "data_batch_1", lambda batch: batch.__setitem__(b"batch_label", _Payload(marker)))
    result = smoke(folder.parent, tmp_path / "results")
    assert_one_line_error(result, "data_batch_1 is not a CIFAR-10 batch", "posix.system", "refusing to load it")
    assert not marker.exists()
    assert not (tmp_path / "results" / "runs").exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_cifar_format_files_of_any_pickle_protocol_still_load(cifar_dir, tmp_path, protocol):
    folder = copy_cifar(cifar_dir, tmp_path)
    for name in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"):
        rewrite_batch(folder, name, lambda batch: None, protocol)
    (train_x, train_y), _, _ = read_cifar10(folder)
    (expected_x, expected_y), _, _ = read_cifar10(cifar_dir / "cifar-10-batches-py")
    assert np.array_equal(train_x, expected_x) and np.array_equal(train_y, expected_y)


@pytest.mark.parametrize("value", [np.zeros(3, dtype=np.float32), np.array([object()], dtype=object)])
def test_arrays_other_than_integers_are_refused(value):
    with pytest.raises(ForbiddenPickle):
        load_cifar_pickle(io.BytesIO(pickle.dumps({b"data": value}, protocol=2)))


BAD_CONTENTS = [
    (lambda b: b[b"labels"].__setitem__(0, 10), "label 10 is outside 0..9"),
    (lambda b: b[b"labels"].__setitem__(0, 255), "label 255 is outside 0..9"),
    (lambda b: b[b"labels"].__setitem__(0, -1), "label -1 is outside 0..9"),
    (lambda b: b.__setitem__(b"data", b[b"data"].astype(np.int64) * 0 + 7), "images must be uint8 pixels, got int64"),
    (lambda b: b.__setitem__(b"data", b[b"data"][:0]) or b.__setitem__(b"labels", []), "holds no images"),
    (lambda b: b.__setitem__(b"data", b[b"data"][:, :100]), "images must be N x 3 x 32 x 32"),
    (lambda b: b[b"labels"].pop(), "64 images but 63 labels"),
]


@pytest.mark.parametrize("change,message", BAD_CONTENTS)
def test_bad_cifar_contents_are_refused_when_read(cifar_dir, tmp_path, change, message):
    folder = copy_cifar(cifar_dir, tmp_path)
    rewrite_batch(folder, "data_batch_2", change)
    with pytest.raises(UserError) as error:
        read_cifar10(folder)
    assert "data_batch_2" in str(error.value) and message in str(error.value)


def cli_cases(cases, representative: int):
    """The first case runs in every suite; the whole matrix through the CLI only with the slow tests."""
    return [
        case if i == representative else pytest.param(*case, marks=pytest.mark.slow) for i, case in enumerate(cases)
    ]


@pytest.mark.parametrize("change,message", cli_cases(BAD_CONTENTS, representative=0))
def test_bad_cifar_contents_are_one_line_before_any_run_folder(cifar_dir, tmp_path, change, message):
    folder = copy_cifar(cifar_dir, tmp_path)
    rewrite_batch(folder, "data_batch_2", change)
    result = smoke(folder.parent, tmp_path / "results")
    assert_one_line_error(result, "data_batch_2", message)
    assert not (tmp_path / "results" / "runs").exists()


def test_float_pixels_are_refused_not_cast_to_zeros(cifar_dir, tmp_path):
    folder = copy_cifar(cifar_dir, tmp_path)
    rewrite_batch(folder, "test_batch", lambda b: b.__setitem__(b"data", b[b"data"].astype(np.float32)))
    with pytest.raises(UserError, match="test_batch is not a CIFAR-10 batch: it holds a numpy array of dtype float32"):
        read_cifar10(folder)


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize(
    "name,array,message",
    [
        ("train-labels-idx1-ubyte.gz", np.full(128, 200), "label 200 is outside 0..9"),
        ("t10k-images-idx3-ubyte.gz", np.zeros(64 * 28 * 28), "images must be N x 28 x 28, got shape (50176,)"),
        ("t10k-labels-idx1-ubyte.gz", np.zeros(0), "64 images but 0 labels"),
        ("train-images-idx3-ubyte.gz", np.zeros((0, 28, 28)), "holds no images"),
    ],
)
def test_bad_fashion_mnist_contents_are_clear_errors(fashion_dir, tmp_path, name, array, message):
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(fashion_dir / "fashion-mnist", folder)
    write_idx(folder / name, array)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_fashion_mnist(folder)


def jpeg_claiming(path, width, height):
    """A real JPEG whose frame header (SOF0) claims another size: PIL sees a decompression bomb."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))


def test_a_decompression_bomb_jpeg_is_a_skipped_recorded_image(tmp_path):
    from PIL import Image

    from resnet_repro.data.imagenet import open_rgb, scan_image_folder
    from resnet_repro.data.imagenet_stream import ImageNetTrainStream
    from resnet_repro.data.synthetic import write_image_folder
    from resnet_repro.specs.config import DataSpec

    root = write_image_folder(tmp_path / "imagenet", classes=2, train_per_class=3, val_per_class=1)
    bomb = root / "train" / "n00000000" / "bomb.JPEG"
    jpeg_claiming(bomb, 60000, 60000)
    with pytest.raises(Image.DecompressionBombError):  # what escaped a DataLoader worker before
        Image.open(bomb).convert("RGB")
    assert open_rgb(bomb) is None
    index = scan_image_folder(root / "train")
    spec = DataSpec("imagenet", crop=24, scale_min=32, scale_max=40, test_short_side=32, colour_std=0.1)
    stream = ImageNetTrainStream(index, batch_size=len(index.samples), seed=0, device=torch_cpu(), spec=spec, workers=0)
    x, y = stream.batch(0)  # every image once: the bomb among them
    assert len(x) == len(index.samples) - 1 and stream.skipped == [str(bomb)]


def torch_cpu():
    import torch

    return torch.device("cpu")


def test_a_pipe_named_like_an_image_is_skipped_not_read_forever(tmp_path):
    import threading

    from resnet_repro.data.imagenet import open_rgb
    from resnet_repro.data.synthetic import write_image_folder

    root = write_image_folder(tmp_path / "imagenet", classes=1, train_per_class=1, val_per_class=1)
    [image] = (root / "val" / "n00000000").iterdir()
    pipe = root / "val" / "n00000000" / "pipe.JPEG"
    os.mkfifo(pipe)
    link = root / "val" / "n00000000" / "link.JPEG"
    link.symlink_to(image)  # a dataset laid out by links still reads
    opened = {}
    reader = threading.Thread(target=lambda: opened.update(pipe=open_rgb(pipe)), daemon=True)
    reader.start()
    reader.join(timeout=20)  # an open() of a pipe with no writer waited here forever
    assert not reader.is_alive() and opened == {"pipe": None}
    assert open_rgb(link) is not None and open_rgb(image) is not None
