"""What the test modules share: tiny datasets, reference runs, and the ways a test runs the command.

Tiers: every test runs in the default suite (`python -m pytest -q`, what CI runs) unless it is marked
`slow` (a whole fault matrix, a long CLI run); those run with `RESNET_REPRO_SLOW=1`, and each slow path keeps
a fast sibling in the default suite. A per-test timeout (pytest-timeout, pyproject.toml) stops a hung test.
Training fixtures are session-scoped where several modules compare against the same reference run.

The suite runs on every core, at most four (pytest-xdist: `-n auto --maxprocesses 4 --dist loadscope` in
pyproject.toml). Each module's tests stay on one worker, so a module fixture is built once; a session fixture
is built by whichever worker asks first and read by the others (`built_once`).
"""

import contextlib
import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_repro.data.synthetic import write_cifar10, write_fashion_mnist
from resnet_repro.store.layout import TIMING_COLUMNS

REPO = Path(__file__).resolve().parent.parent

# Every `resnet-repro` the tests start trains on a fixed number of CPU threads. Left alone, a run picks
# the cores other work leaves free (train/threads.py), and oneDNN rounds differently with another thread
# count, so a reference run and a resumed one could differ in the last bits whenever the load changed.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# An xdist worker starts with COLUMNS=80 where a single pytest process has none, and the in-process console
# (cli/common.py) takes its width from it: `list` then laid out for 80 columns in one and 160 in the other. One
# width for both, whichever way the suite runs; a test about a narrow terminal sets its own.
os.environ.pop("COLUMNS", None)
# A run that lacks Fashion-MNIST fetches it. The suite never reaches the network: a test that fetches serves the
# files itself (tests/test_fetch.py); anywhere else the mirror is a folder that does not exist, so the fetch fails
# at once, as offline.
os.environ["RESNET_REPRO_FASHION_MNIST_URL"] = "file:///nonexistent/fashion-mnist-mirror"


def built_once(tmp_path_factory, name: str, build) -> tuple[Path, dict]:
    """The folder `build(folder)` fills, built once per test session however many xdist workers ask for it.

    The workers share the parent of their temporary folders; the first to take the lock builds, and the
    others wait and read. `build` may return a JSON-able record (a command's output), handed to every asker.
    Under plain pytest this is one build in a fresh temporary folder."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        return folder, build(folder)
    shared = tmp_path_factory.getbasetemp().parent
    folder, record = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the build fails
        if not record.exists():
            folder.mkdir()
            record.write_text(json.dumps(build(folder)))
    return folder, json.loads(record.read_text())


def recorded(result: subprocess.CompletedProcess) -> dict:
    return {"args": result.args, "returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


def replayed(record: dict) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(record["args"], record["returncode"], record["stdout"], record["stderr"])


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    """A tiny CIFAR-10 in the release's pickled-batch layout: 5 x 64 training images, 64 test."""
    return built_once(tmp_path_factory, "cifar", lambda root: str(write_cifar10(root)))[0]


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "fashion", lambda root: str(write_fashion_mnist(root)))[0]


def cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m resnet_repro ARGS` as a user would, with a non-terminal stdout."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "resnet_repro", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def cli_in_process(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """`resnet-repro ARGS` run by its own `main()` inside the test process: the same exit code, stdout and stderr
    as `cli`, without starting Python and importing torch again (seconds per call on 2 busy cores). For commands
    that stop at an error or only read files; anything that trains, or that a test sends signals to, goes through
    `cli`, in a process of its own."""
    from resnet_repro.cli.app import main

    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = ["resnet-repro", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv = argv
    result = subprocess.CompletedProcess(["resnet-repro", *args], code, out.getvalue(), err.getvalue())
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def train_run(run, threads=None):
    """One run (a train.loop.RunInputs) to its end in this process, with the standard concerns (run_hooks) and, where
    given, the watch on its free cores (a FreeCoreWatch): its RunReport."""
    from resnet_repro.train.loop import RunSession, run_hooks

    session = RunSession(run, run_hooks(run.reporter, threads))
    while session.outcome is None:
        session.step()
        session.after_step()
    return session.outcome


def rows_without_timing(path) -> list[dict]:
    """metrics.csv without its wall-clock columns: what two runs of one config must agree on."""
    with open(path) as handle:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(handle)]


def final(path) -> dict:
    """final.json's numbers and status, without its timings."""
    data = json.loads(path.read_text())
    return {k: data[k] for k in ("status", "iterations", "train_loss", "train_error", "test_loss", "test_error")}


def assert_same_run(a: Path, b: Path) -> None:
    assert rows_without_timing(a / "metrics.csv") == rows_without_timing(b / "metrics.csv")
    assert final(a / "final.json") == final(b / "final.json")


PLAIN20_RUN = "runs/cifar10/plain-20/smoke/seed0"  # the smoke profile's plain-20, the suite's usual victim


def smoke_run_args(target: str, data_dir, results, *extra, profile: str = "smoke") -> list[str]:
    """`run TARGET` of the smoke profile (or `profile`) on the CPU, reading `data_dir` and writing `results`."""
    return [
        "run",
        target,
        "--profile",
        profile,
        "--device",
        "cpu",
        "--data-dir",
        str(data_dir),
        "--results",
        str(results),
        *extra,
    ]


def smoke_args(cifar_dir, results, *extra) -> list[str]:
    """`run fig1` of the smoke profile's plain-20 alone, on the CPU: 12 iterations."""
    return smoke_run_args("fig1", cifar_dir, results, "--only", "plain-20", *extra)


@pytest.fixture(scope="session")
def fig1_smoke_run(cifar_dir, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """fig1's two smoke runs (plain-20, plain-56) trained one after the other, undisturbed: their results
    folder and the command's output (a log, not a terminal)."""

    def train(results: Path) -> dict:
        return recorded(
            cli(
                *smoke_run_args("fig1", cifar_dir, results),
                check=True,
            )
        )

    results, record = built_once(tmp_path_factory, "fig1-smoke", train)
    return results, replayed(record)


@pytest.fixture(scope="session")
def fig1_smoke(fig1_smoke_run) -> Path:
    """The reference that killed, resumed, stopped and side-by-side runs are compared with. Read it; never
    write into it."""
    return fig1_smoke_run[0]


@pytest.fixture(scope="session")
def fig6_smoke(cifar_dir, tmp_path_factory) -> Path:
    """fig6's smoke runs (plain-20/56, ResNet-20/56/110, seed 0) and outputs: the CIFAR runs fig7 and table6 share.
    Tests that add to it work on a copy (`copy_results`)."""

    def train(results: Path) -> None:
        cli(
            *smoke_run_args("fig6", cifar_dir, results),
            check=True,
        )

    return built_once(tmp_path_factory, "fig6-smoke", train)[0]


def copy_results(source: Path, destination: Path, link_checkpoints: bool = False) -> Path:
    """A results folder to add to, without touching a shared fixture's. With `link_checkpoints`, each checkpoint is
    a hard link to the fixture's, for a test that reads or removes them but never writes one (table3's are 3.5 GB)."""

    def copy(file: str, to: str) -> None:
        if link_checkpoints and file.endswith(".pt"):
            os.link(file, to)
        else:
            shutil.copy2(file, to)

    shutil.copytree(source, destination, copy_function=copy)
    return destination


@pytest.fixture(scope="session")
def table1_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`run table1` (no training, but every net's counts: half a minute of CPU): its results folder and output."""

    def run(results: Path) -> dict:
        return recorded(cli("run", "table1", "--results", str(results), check=True))

    results, record = built_once(tmp_path_factory, "table1", run)
    return results, replayed(record)


@pytest.fixture(scope="session")
def gradflow_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`run gradflow` (gradients of every net at initialisation, no training): its results folder and output. Read
    it; never write into it."""

    def run(results: Path) -> dict:
        return recorded(cli("run", "gradflow", "--results", str(results), check=True))

    results, record = built_once(tmp_path_factory, "gradflow", run)
    return results, replayed(record)


@pytest.fixture(scope="session")
def alone(fig1_smoke) -> Path:
    """The folder of the smoke plain-20 run trained alone, from start to end."""
    return fig1_smoke / PLAIN20_RUN


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """A user error: non-zero exit, no traceback, one line on stderr that contains every fragment."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


SLURM_CLUSTER = REPO / "ci" / "slurm-cluster.sh"


def _shared_temp(tmp_path_factory) -> Path:
    """The folder every xdist worker of this session (and the controller) sees as the same."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory) -> None:
    """A Slurm cluster that answers sbatch: the one running here (CI starts it in .ci/run), else a one-node cluster
    started by ci/slurm-cluster.sh where its daemons are installed, stopped when the test session ends. Where
    `sbatch` is absent the Slurm tests skip, saying so; under CI=true that is a failure."""
    if shutil.which("sbatch") is None:
        reason = "no `sbatch` on the PATH: install Debian's slurmctld slurmd slurm-client munge to run the Slurm tests"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Slurm tests: {reason}")
        pytest.skip(reason)
    shared = _shared_temp(tmp_path_factory)
    with open(shared / "slurm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker starts it; the others wait and use it
        if subprocess.run([str(SLURM_CLUSTER), "status"]).returncode != 0:
            up = subprocess.run([str(SLURM_CLUSTER), "up"], capture_output=True, text=True, timeout=120)
            if up.returncode != 0:
                pytest.fail(f"could not start a Slurm cluster: {up.stderr.strip()}")
            (shared / "slurm-started").write_text("ci/slurm-cluster.sh up\n")


def pytest_sessionfinish(session, exitstatus):
    """Stop the cluster the Slurm tests started (once, from the controller when xdist runs the workers)."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    marker = session.config._tmp_path_factory.getbasetemp() / "slurm-started"
    if marker.exists():
        subprocess.run([str(SLURM_CLUSTER), "down"], capture_output=True, timeout=120)
        marker.unlink()


def pytest_collection_modifyitems(config, items):
    """Tests marked slow (long fault matrices) run only with RESNET_REPRO_SLOW=1."""
    if os.environ.get("RESNET_REPRO_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set RESNET_REPRO_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
