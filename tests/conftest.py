import os
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_repro.data.synthetic import write_cifar10, write_fashion_mnist

REPO = Path(__file__).resolve().parent.parent

# Every `resnet-repro` the tests start trains on a fixed number of CPU threads. Left alone, a run picks
# the cores other work leaves free (train/threads.py), and oneDNN rounds differently with another thread
# count, so a reference run and a resumed one could differ in the last bits whenever the load changed.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    """A tiny CIFAR-10 in the release's pickled-batch layout: 5 x 64 training images, 64 test."""
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root)
    return root


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fashion")
    write_fashion_mnist(root)
    return root


def cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m resnet_repro ARGS` as a user would, with a non-terminal stdout."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    result = subprocess.run([sys.executable, "-m", "resnet_repro", *args], capture_output=True, text=True,
                            env=full_env, cwd=REPO, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """A user error: non-zero exit, no traceback, one line on stderr that contains every fragment."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def pytest_collection_modifyitems(config, items):
    """Tests marked slow (long fault matrices) run only with RESNET_REPRO_SLOW=1."""
    if os.environ.get("RESNET_REPRO_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set RESNET_REPRO_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
