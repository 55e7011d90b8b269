"""Faults and bad states: kills at several points, signals, corrupt checkpoints, locks, full disks, NaN."""

import errno
import json
import signal
import subprocess
import sys
import time

import pytest

from resnet_repro.basics.digest import file_digest
from resnet_repro.basics.errors import UserError
from resnet_repro.store.lock import run_lock

from .conftest import PLAIN20_RUN as RUN
from .conftest import (
    REPO,
    assert_one_line_error,
    assert_same_run,
    cli,
    cli_in_process,
    rows_without_timing,
    smoke_args,
    smoke_run_args,
)


# after-checkpoint:12 is the final checkpoint, before final.json: the final values must come back exact.
# A kill right after checkpoint 6 also runs in every suite in test_training, and a kill during the last
# evaluation resumes from checkpoint 6 as a kill mid-iteration does: both are opt-in here.
@pytest.mark.parametrize(
    "fault",
    [
        "iteration:8",
        pytest.param("eval:12", marks=pytest.mark.slow),
        "checkpoint-write:12",
        pytest.param("after-checkpoint:6", marks=pytest.mark.slow),
        "after-checkpoint:12",
    ],
)
def test_sigkill_anywhere_then_resume_gives_identical_results(fault, alone, cifar_dir, tmp_path):
    crashed = cli(*smoke_args(cifar_dir, tmp_path), env={"RESNET_REPRO_FAULT": fault})
    assert crashed.returncode == -9
    run = tmp_path / RUN
    assert not (run / "final.json").exists()
    assert not list(run.glob(".checkpoint.*")) or fault == "checkpoint-write:12"  # only a killed write leaves a temp
    cli(*smoke_args(cifar_dir, tmp_path), check=True)
    assert_same_run(alone, run)
    assert (
        json.loads((run / "final.json").read_text())["test_loss"]
        == json.loads((alone / "final.json").read_text())["test_loss"]
    )  # every digit, not the CSV's six
    assert not list(run.glob(".*.tmp"))  # a killed write's temp file is removed once the run's lock is taken


def test_corrupt_newest_checkpoint_falls_back_to_the_previous_one(alone, cifar_dir, tmp_path):
    cli(*smoke_args(cifar_dir, tmp_path), env={"RESNET_REPRO_FAULT": "after-checkpoint:12"})
    run = tmp_path / RUN
    data = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").write_bytes(data[: len(data) // 2])  # truncated, as by a full disk or a bad copy
    resumed = cli(*smoke_args(cifar_dir, tmp_path), check=True)
    assert "checkpoint.pt does not match the digest recorded when it was written" in resumed.stdout
    assert_same_run(alone, run)


def test_ctrl_c_checkpoints_says_where_it_stopped_and_exits_130(cifar_dir, tmp_path):
    # Long enough that the stop lands mid-run (it is sent at iteration 6), short enough to train three times.
    longer = ["--set", "recipe.iterations=48", "--set", "recipe.checkpoint_every=48"]
    reference = tmp_path / "reference"
    cli(*smoke_args(cifar_dir, reference, *longer), check=True)
    stopped = tmp_path / "stopped"
    process = subprocess.Popen(
        [sys.executable, "-m", "resnet_repro", *smoke_args(cifar_dir, stopped, *longer)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = next(iter([]), None)
    deadline = time.time() + 120
    while time.time() < deadline:
        found = list(stopped.glob("runs/cifar10/plain-20/*/seed0/metrics.csv"))
        if found and found[0].read_text().count("\n") >= 3:
            metrics = found[0]
            break
        time.sleep(0.05)
    assert metrics is not None, "the run never logged"
    process.send_signal(signal.SIGINT)  # Ctrl-C: a stop asked for, not an error
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in err and "error" not in err, err
    last = [line for line in err.splitlines() if line.strip()][-1]
    stopped_at = int(last.removeprefix("stopped at iteration ").split()[0])
    name = metrics.parent.relative_to(stopped / "runs").as_posix()
    assert (
        last
        == f"stopped at iteration {stopped_at} of run {name}, its checkpoint saved (by SIGINT); the same command resumes"
    )
    assert not (metrics.parent / "final.json").exists() and (metrics.parent / "checkpoint.pt").exists()
    resumed = cli(*smoke_args(cifar_dir, stopped, *longer), check=True)
    assert f"training {name} from iteration {stopped_at} of 48" in resumed.stdout
    assert_same_run(next(reference.glob("runs/cifar10/plain-20/*/seed0")), metrics.parent)


def test_a_second_writer_is_refused(cifar_dir, tmp_path):
    with run_lock(tmp_path / RUN, "plain-20"):
        refused = cli(*smoke_args(cifar_dir, tmp_path))
    assert_one_line_error(refused, "is being trained right now by pid", "--results")
    assert not (tmp_path / RUN / "metrics.csv").exists()


def test_lock_is_released_for_the_next_run(tmp_path):
    with run_lock(tmp_path, "x"):
        pass
    with run_lock(tmp_path, "x"):
        pass


def test_unwritable_results_folder_is_one_line(cifar_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_one_line_error(cli_in_process(*smoke_args(cifar_dir, blocker / "results")), "cannot write", "--results DIR")


def test_disk_full_while_checkpointing_keeps_the_earlier_checkpoint(cifar_dir, tmp_path, monkeypatch):
    import torch

    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train import checkpoint
    from resnet_repro.train.context import RunContext
    from resnet_repro.train.runner import train_runs

    runs = resolve_runs(load_target("fig1"), "smoke", only="plain-20")
    real_save = torch.save
    calls = []

    def save_then_fill_disk(obj, handle):
        calls.append(obj["iteration"])
        if obj["iteration"] == 12:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(obj, handle)

    monkeypatch.setattr(checkpoint.torch, "save", save_then_fill_disk)
    with pytest.raises(UserError, match="No space left on device.*intact"):
        train_runs(runs, RunContext(tmp_path, cifar_dir, torch.device("cpu")))
    folder = tmp_path / RUN
    assert torch.load(folder / "checkpoint.pt", weights_only=True)["iteration"] == 6
    assert not list(folder.glob(".checkpoint.*")) and not (folder / "final.json").exists()


def test_diverging_runs_fail_clearly_and_the_others_still_run(cifar_dir, tmp_path):
    result = cli(
        *smoke_run_args("fig1", cifar_dir, tmp_path),
        "--set",
        "recipe.lr=1e30",
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "2 runs failed" in result.stderr
    for model in ("plain-20", "plain-56"):
        data = json.loads(next(tmp_path.glob(f"runs/cifar10/{model}/*/seed0/final.json")).read_text())
        assert data["status"] == "failed" and "diverged" in data["reason"] and "lr 1e+30" in data["reason"]


def test_a_failed_run_shows_as_failed_in_the_table(cifar_dir, tmp_path):
    result = cli(
        *smoke_run_args("table6", cifar_dir, tmp_path, "--only", "plain-20"),
        "--set",
        "recipe.lr=1e30",
    )
    assert result.returncode != 0
    table = next(tmp_path.glob("table6/smoke~*/table.csv")).read_text()  # --set: the variant has its own folder
    assert "plain-20," in table and ",failed," in table


def test_a_checkpoint_from_another_config_is_refused(cifar_dir, tmp_path):
    cli(
        *smoke_run_args("fig1", cifar_dir, tmp_path),
        env={"RESNET_REPRO_FAULT": "after-checkpoint:6"},
    )  # plain-20 stops after checkpoint 6
    other = tmp_path / "runs/cifar10/plain-56/smoke/seed0"
    other.mkdir(parents=True, exist_ok=True)
    (other / "checkpoint.pt").write_bytes((tmp_path / RUN / "checkpoint.pt").read_bytes())
    refused = cli_in_process(*smoke_run_args("fig1", cifar_dir, tmp_path, "--only", "plain-56"))
    assert_one_line_error(refused, "belongs to a different config", "delete")


def test_a_checkpoint_from_an_incompatible_version_is_refused(cifar_dir, tmp_path):
    import torch

    cli(*smoke_args(cifar_dir, tmp_path), env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    path = tmp_path / RUN / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["format_version"] = 0
    torch.save(state, path)
    (path.parent / "checkpoints.sha256").write_text(file_digest(path) + "\n")  # as that version recorded it
    refused = cli_in_process(*smoke_args(cifar_dir, tmp_path))
    assert_one_line_error(refused, "incompatible version", "format 0", "delete")


def test_plateau_rule_state_survives_a_kill(cifar_dir, tmp_path):
    # min_improvement 100 can never be met: every evaluation after the first divides the lr by 10.
    # The rule watches held-out training images (recipe.holdout), never the test set.
    plateau = [
        "--set",
        "recipe.lr_plateau={patience: 1, min_improvement: 100}",
        "--set",
        "recipe.eval_every=3",
        "--set",
        "recipe.lr_steps=[]",
        "--set",
        "recipe.holdout=64",
    ]
    cli(*smoke_args(cifar_dir, tmp_path / "alone", *plateau), check=True)
    crashed = cli(
        *smoke_args(cifar_dir, tmp_path / "killed", *plateau), env={"RESNET_REPRO_FAULT": "after-checkpoint:6"}
    )
    assert crashed.returncode == -9
    cli(*smoke_args(cifar_dir, tmp_path / "killed", *plateau), check=True)
    alone_run = next((tmp_path / "alone").glob("runs/cifar10/plain-20/*/seed0"))
    killed_run = next((tmp_path / "killed").glob("runs/cifar10/plain-20/*/seed0"))
    assert_same_run(alone_run, killed_run)
    lrs = [float(r["lr"]) for r in rows_without_timing(alone_run / "metrics.csv")]
    assert lrs[0] == 0.1 and lrs[-1] < 0.1 * 0.1**1.5  # two drops by iteration 12 (after the evals at 6 and 9)


def test_a_second_ctrl_c_stops_at_once_after_saying_what_is_kept():
    """The first SIGINT/SIGTERM asks for a graceful stop; a second Ctrl-C calls `again` and interrupts."""
    import os

    from resnet_repro.train.runner import on_stop_signals

    calls, before = [], (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with pytest.raises(KeyboardInterrupt):
        with on_stop_signals(first=calls.append, again=lambda: calls.append("again")):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs between bytecodes
            assert calls == ["SIGTERM"]
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    assert calls == ["SIGTERM", "again"]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # handlers restored
