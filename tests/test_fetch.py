"""Fashion-MNIST found or fetched: fetched from a mirror (here a server on 127.0.0.1 or a file:// folder, never
the network), each file checked before it is kept, said in one line; offline, one line naming both ways."""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.data import fashion_mnist, sources
from resnet_repro.data.cifar import download_cifar10
from resnet_repro.data.sources import locate_dataset

from .conftest import assert_one_line_error, cli_in_process

OFFLINE = "the network cannot be reached (Name or service not known)"


@pytest.fixture
def no_system_copy(tmp_path, monkeypatch):
    """This machine's Debian copy, if installed, is not looked at: the data must come from the mirror."""
    missing = tmp_path / "no-system-copy"
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", missing)
    monkeypatch.setattr(sources, "SYSTEM_DIR", missing)


@pytest.fixture
def mirror_of(monkeypatch):
    """Serve a folder over HTTP on 127.0.0.1 and point the fetch at it; yields the base URL."""
    servers = []

    def serve(folder):
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        url = f"http://127.0.0.1:{server.server_port}/"
        monkeypatch.setenv(fashion_mnist.MIRROR_VARIABLE, url)
        return url

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request lines in the test output
        pass


@pytest.fixture
def tiny_release(fashion_dir, monkeypatch):
    """The tiny test copy, taken as the official release: its IDX digests become the ones checked."""
    folder = fashion_dir / "fashion-mnist"
    digests = {
        stem: hashlib.sha256(gzip.decompress((folder / f"{stem}.gz").read_bytes())).hexdigest()
        for stem in fashion_mnist.IDX_SHA256
    }
    monkeypatch.setattr(fashion_mnist, "IDX_SHA256", digests)
    return folder


@pytest.fixture
def offline(monkeypatch):
    """Every URL fails as it does on a machine with no network (no name resolves)."""

    def fail(*args, **kwargs):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(urllib.request, "urlopen", fail)


def test_a_missing_fashion_mnist_is_fetched_checked_and_said_in_one_line(
    tmp_path, no_system_copy, tiny_release, mirror_of
):
    url = mirror_of(tiny_release)
    said = []
    folder = locate_dataset("fashion-mnist", tmp_path / "data", say=said.append)
    assert folder == tmp_path / "data" / "fashion-mnist"
    assert said == [
        f"fetched Fashion-MNIST (4 files, 0 MB) from {url} into {folder}; "
        "their SHA-256 digests match the official release"
    ]
    for stem in fashion_mnist.IDX_SHA256:
        assert (folder / f"{stem}.gz").read_bytes() == (tiny_release / f"{stem}.gz").read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{stem}.gz" for stem in fashion_mnist.IDX_SHA256)
    # Found the next time, not fetched again.
    assert locate_dataset("fashion-mnist", tmp_path / "data", say=said.append) == folder and len(said) == 1


def test_a_file_url_is_a_mirror_too(tmp_path, no_system_copy, tiny_release, monkeypatch):
    monkeypatch.setenv(fashion_mnist.MIRROR_VARIABLE, tiny_release.as_uri())
    assert locate_dataset("fashion-mnist", tmp_path) == tmp_path / "fashion-mnist"


def test_a_file_that_is_not_the_release_is_refused_and_nothing_is_kept(
    tmp_path, no_system_copy, tiny_release, mirror_of
):
    served = tmp_path / "served"
    shutil.copytree(tiny_release, served)
    with gzip.open(served / "t10k-images-idx3-ubyte.gz", "ab") as handle:
        handle.write(b"\0")  # one byte more than the release's data
    url = mirror_of(served)
    data = tmp_path / "data"
    with pytest.raises(UserError) as error:
        locate_dataset("fashion-mnist", data)
    assert str(error.value).startswith(
        f"Fashion-MNIST not found (looked in {data}/fashion-mnist, {data}/FashionMNIST/raw, {data}, "
        f"{fashion_mnist.SYSTEM_DIR}) and fetching it from {url} failed: {url}t10k-images-idx3-ubyte.gz is not the "
        "official Fashion-MNIST file (its SHA-256 differs); nothing was kept. Fix: apt-get install "
        "dataset-fashion-mnist (Debian, Ubuntu), or run this again online"
    )
    assert not (data / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert not (data / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()  # not taken for a whole copy
    assert [path.name for path in (data / "fashion-mnist").iterdir() if path.name.endswith(".tmp")] == []


def test_offline_and_without_it_one_line_names_both_ways(tmp_path, no_system_copy, offline):
    data = tmp_path / "data"
    with pytest.raises(UserError) as error:
        locate_dataset("fashion-mnist", data)
    assert str(error.value) == (
        f"Fashion-MNIST not found (looked in {data}/fashion-mnist, {data}/FashionMNIST/raw, {data}, "
        f"{fashion_mnist.SYSTEM_DIR}) and fetching it from {fashion_mnist.mirror()} "
        f"failed: {OFFLINE}. Fix: apt-get install dataset-fashion-mnist (Debian, Ubuntu), or run this again online "
        f"(it fetches the four .gz files, 31 MB, into {data}/fashion-mnist)"
    )
    assert not data.exists()


def test_a_named_empty_folder_offline_names_the_ways_that_fit_it(tmp_path, offline):
    with pytest.raises(UserError) as error:
        locate_dataset("fashion-mnist", tmp_path, named=True)
    message = str(error.value)
    assert f"looked in {tmp_path}/fashion-mnist, {tmp_path}/FashionMNIST/raw, {tmp_path}) and" in message
    assert "Fix: name no --data-dir and apt-get install dataset-fashion-mnist (Debian, Ubuntu), or run" in message


@pytest.mark.parametrize("download", [[], ["--download"]])
def test_run_offline_without_the_data_is_one_line_with_or_without_download(tmp_path, no_system_copy, offline, download):
    data = tmp_path / "data"
    data.mkdir()
    args = ["run", "fig6", "--profile", "cpu", "--data-dir", str(data), "--results", str(tmp_path / "results")]
    result = cli_in_process(*args, *download)
    assert_one_line_error(result, f"failed: {OFFLINE}. Fix: name no --data-dir and apt-get install")
    assert "urlopen" not in result.stderr + result.stdout


def test_download_of_cifar_offline_is_one_line_not_a_urlopen_error(tmp_path, offline):
    with pytest.raises(UserError) as error:
        download_cifar10(tmp_path)
    assert str(error.value) == (
        f"downloading CIFAR-10 into {tmp_path} failed: {OFFLINE}. Fix: run this again online, or put "
        f"cifar-10-batches-py (from cifar-10-python.tar.gz) under {tmp_path} yourself"
    )


def test_run_fetches_the_data_it_lacks_says_so_and_trains(tmp_path, tiny_release, mirror_of):
    """The command in a process of its own (it trains), which takes the tiny copy's digests as the release's."""
    url = mirror_of(tiny_release)
    data, results = tmp_path / "data", tmp_path / "results"
    data.mkdir()
    args = ["run", "fig6", "--profile", "smoke", "--set", "data.dataset=fashion-mnist", "--only", "plain-20"]
    args += ["--device", "cpu", "--data-dir", str(data), "--results", str(results)]
    program = (
        "import sys\n"
        "from resnet_repro.data import fashion_mnist\n"
        f"fashion_mnist.IDX_SHA256 = {fashion_mnist.IDX_SHA256!r}\n"
        "from resnet_repro.cli.app import main\n"
        f"sys.argv = ['resnet-repro', *{args!r}]\n"
        "main()\n"
    )
    env = {**os.environ, fashion_mnist.MIRROR_VARIABLE: url}
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    fetched = f"fetched Fashion-MNIST (4 files, 0 MB) from {url} into {data}/fashion-mnist;"
    said = "".join(result.stdout.split())  # the console wraps a long line at its width, inside a long path too
    assert said.count("fetchedFashion-MNIST") == 1
    assert "".join(f"{fetched} their SHA-256 digests match the official release".split()) in said
    assert len(list(results.glob("runs/fashion-mnist/plain-20*/smoke*/seed0/final.json"))) == 1
