"""torchrun + DistributedDataParallel on the CPU (gloo): same numbers as one process, resumable across sizes."""

import json
import math
import subprocess
import sys

import pytest
import yaml

from .conftest import REPO, rows_without_timing, smoke_run_args

# A well-conditioned setting: fp32 rounding differs with the gradient all-reduce order, and a plain net
# at lr 0.1 amplifies any rounding difference within a few steps (two single-process runs that differ
# only in memory layout diverge as much). Batch norm needs no setting: the profile's default normalises each
# GPU's share, 16 images of the smoke profile's 32 (the paper: 64 of 128), which is each of 2 processes' share.
# The BN statistics are recomputed after training, each process over its share of the same batches.
SETTINGS = ["--set", "train.channels_last=false", "--set", "recipe.lr=0.01", "--set", "recipe.bn_stats=recomputed"]
RUN_GLOB = "runs/cifar10/resnet-20-A/*/seed0"


def run(cifar_dir, results, processes: int, env=None):
    args = [
        *smoke_run_args("table6", cifar_dir, results, "--only", "resnet-20"),
        *SETTINGS,
    ]
    if processes == 1:
        command = [sys.executable, "-m", "resnet_repro", *args]
    else:
        # --standalone: torchrun picks a free rendezvous port itself (no pick-then-release race)
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            str(processes),
            "-m",
            "resnet_repro",
            *args,
        ]
    import os

    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )


def assert_close_rows(a, b):
    assert [r["iteration"] for r in a] == [r["iteration"] for r in b]
    for row_a, row_b in zip(a, b):
        for key in ("train_loss", "test_loss", "train_error", "test_error", "lr"):
            if row_a[key] == "":
                assert row_b[key] == ""
                continue
            assert math.isclose(float(row_a[key]), float(row_b[key]), rel_tol=1e-3), (key, row_a, row_b)


@pytest.fixture(scope="module")
def single(cifar_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("single")
    result = run(cifar_dir, results, 1)
    assert result.returncode == 0, result.stderr[-3000:]
    return next(results.glob(RUN_GLOB))


def assert_close_finals(a, b):
    first, second = (json.loads((folder / "final.json").read_text()) for folder in (a, b))
    assert first["bn_stats"] == second["bn_stats"] == "recomputed over 64 training images"
    for key in ("test_error", "test_loss", "test_error_moving_average"):
        assert math.isclose(first[key], second[key], rel_tol=1e-3), (key, first[key], second[key])


def test_two_processes_match_one_with_the_same_global_batch(single, cifar_dir, tmp_path):
    assert yaml.safe_load((single / "config.yaml").read_text())["settings"]["recipe"]["bn_batch"] == 16
    result = run(cifar_dir, tmp_path, 2)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = next(tmp_path.glob(RUN_GLOB))
    assert_close_rows(rows_without_timing(single / "metrics.csv"), rows_without_timing(folder / "metrics.csv"))
    assert_close_finals(single, folder)
    assert '"world_size": 2' in (folder / "meta.json").read_text()
    assert next(tmp_path.glob("table6/**/table.csv")).exists()  # rank 0 wrote the outputs


def test_a_two_process_run_resumes_in_one_process(single, cifar_dir, tmp_path):
    crashed = run(cifar_dir, tmp_path, 2, env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    assert crashed.returncode != 0
    folder = next(tmp_path.glob(RUN_GLOB))
    assert (folder / "checkpoint.pt").exists() and not (folder / "final.json").exists()
    resumed = run(cifar_dir, tmp_path, 1)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_close_rows(rows_without_timing(single / "metrics.csv"), rows_without_timing(folder / "metrics.csv"))
    assert_close_finals(single, folder)


LAUNCHED_PROCESS = """
import atexit, os, sys
from resnet_repro.cli.app import main
atexit.register(lambda: print("exit handler ran"))
leave = os._exit
os._exit = lambda code: (print("left without teardown", file=sys.stderr, flush=True), leave(code))
sys.argv = ["resnet-repro", *sys.argv[1:]]
main()
"""


def launched(args: list[str], world_size: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", LAUNCHED_PROCESS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WORLD_SIZE": world_size, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    "args, code, says",
    [
        (["list"], 0, "table6"),
        (["show", "table99"], 2, "error: unknown target 'table99'"),
        (["--debug", "show", "table99"], 1, "Traceback"),  # a crash: its traceback, then the same way out
    ],
)
def test_a_launched_process_exits_with_the_commands_code_its_output_and_exit_handlers(tmp_path, args, code, says):
    # A torchrun launch's process leaves without the interpreter's teardown (gloo threads outlive it). What a
    # user sees must not change: the exit code, every line written to a pipe (block-buffered), the exit handlers.
    result = launched([*args, "--results", str(tmp_path)], "2")
    assert result.returncode == code, result.stderr
    assert says in result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("exit handler ran")
    assert result.stderr.rstrip().endswith("left without teardown")
    assert "left without teardown" not in launched(["list", "--results", str(tmp_path)], "1").stderr


@pytest.mark.parametrize("world_size", ["two", "0", "-1"])
def test_a_world_size_that_is_no_number_of_processes_is_one_line(tmp_path, world_size):
    from .conftest import assert_one_line_error

    assert_one_line_error(launched(["list", "--results", str(tmp_path)], world_size), f"WORLD_SIZE='{world_size}'")
