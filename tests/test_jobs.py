"""run --jobs N: runs side by side in their own processes give the numbers each gives alone, and resume."""

import signal
import subprocess
import sys
import time

import pytest
import torch

from resnet_repro.train.jobs import slot_devices

from .conftest import REPO, assert_one_line_error, cli, cli_in_process, final, rows_without_timing, smoke_run_args

RUNS = ("plain-20", "plain-56")  # fig1's two runs


def run_fig1(cifar_dir, results, *extra, env=None):
    return cli(
        *smoke_run_args("fig1", cifar_dir, results),
        *extra,
        env=env,
    )


def run_folder(results, name):
    return results / f"runs/cifar10/{name}/smoke/seed0"


def assert_same_as_alone(results, reference):
    for name in RUNS:
        assert rows_without_timing(run_folder(results, name) / "metrics.csv") == rows_without_timing(
            run_folder(reference, name) / "metrics.csv"
        ), name
        assert final(run_folder(results, name) / "final.json") == final(run_folder(reference, name) / "final.json")


def test_two_jobs_train_what_each_run_trains_alone(fig1_smoke, cifar_dir, tmp_path):
    result = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert_same_as_alone(tmp_path, fig1_smoke)
    assert (tmp_path / "fig1/smoke/fig1.png").exists()  # the smoke profile draws into its own folder
    assert result.stdout.count("differs from the official CIFAR-10 release") == 1  # the data's: once, not per job
    for name, k in zip(RUNS, (1, 2)):  # each run's log says the whole target's ETA, as a lone run's does
        lines = result.stdout.splitlines()
        assert any(line.startswith(f"{name} seed0 ") and "img/s" in line for line in lines), name
        clock = [line for line in lines if line.startswith(f"{name} seed0: ")]
        assert clock and all(line.startswith(f"{name} seed0: run {k} of 2, fig1 about ") for line in clock), name
    again = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert again.returncode == 0 and again.stdout.count("already finished") == 2


def test_jobs_killed_mid_run_resume_exactly(fig1_smoke, cifar_dir, tmp_path):
    crashed = run_fig1(cifar_dir, tmp_path, "--jobs", "2", env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    assert_one_line_error(crashed, "died (exit code -9)", "run the same command again")
    assert all((run_folder(tmp_path, name) / "checkpoint.pt").exists() for name in RUNS)
    resumed = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as_alone(tmp_path, fig1_smoke)


# slow: about 4 min on 2 cores; SIGTERM of a lone run (test_reliability) and a kill of --jobs runs stay in every suite
@pytest.mark.slow
def test_sigterm_checkpoints_every_job_and_they_resume_exactly(cifar_dir, tmp_path):
    longer = ["--set", "recipe.iterations=120", "--set", "recipe.checkpoint_every=120"]  # long enough to stop mid-run
    reference = tmp_path / "reference"
    done = run_fig1(cifar_dir, reference, "--jobs", "2", *longer)  # left alone (jobs = alone: tested above)
    assert done.returncode == 0, done.stderr
    stopped = tmp_path / "stopped"
    args = [
        *smoke_run_args("fig1", cifar_dir, stopped),
        "--jobs",
        "2",
        *longer,
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "resnet_repro", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:  # both runs are training (their signal handlers are in place)
        logs = list(stopped.glob("runs/cifar10/plain-*/*/seed0/metrics.csv"))
        if len(logs) == 2 and all(log.read_text().count("\n") >= 3 for log in logs):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM and "Traceback" not in err and "error" not in err, err
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("stopped at iteration ") and "its checkpoint saved (by SIGTERM); 1 more run stopped" in last
    assert last.endswith("likewise; the same command resumes")
    folders = list(stopped.glob("runs/cifar10/plain-*/*/seed0"))
    assert len(folders) == 2
    assert all((f / "checkpoint.pt").exists() and not (f / "final.json").exists() for f in folders)
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    for folder in folders:
        twin = reference / folder.relative_to(stopped)
        assert rows_without_timing(folder / "metrics.csv") == rows_without_timing(twin / "metrics.csv")
        assert final(folder / "final.json") == final(twin / "final.json")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--jobs", "0"], ["--jobs 0", "1 or more"]),
        (["--devices", "0,1"], ["--devices 0,1", "leave --devices out"]),
    ],
)
def test_bad_job_options_are_one_line_errors(cifar_dir, tmp_path, args, fragments):
    assert_one_line_error(cli_in_process(*smoke_run_args("fig1", cifar_dir, tmp_path), *args), *fragments)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("gpu", [False, True])
def test_devices_without_a_gpu_device_advise_what_this_machine_can_do(monkeypatch, gpu):
    # on a machine without a GPU it advised --device cuda, which fails there in turn
    from resnet_repro.basics.errors import UserError
    from resnet_repro.train.device import resolve_job_devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    with pytest.raises(UserError) as refused:
        resolve_job_devices("0", torch.device("cpu"))
    assert str(refused.value).startswith("--devices 0 spreads runs over GPUs, but ")
    assert str(refused.value).endswith("leave --devices out, or use --device cuda" if gpu else "leave --devices out")


def test_a_gpu_named_by_device_beside_devices_is_refused_not_ignored(monkeypatch):
    # --device cuda:1 --devices 0 trained on GPU 0 alone, the GPU --device named unused, unseen
    from resnet_repro.basics.errors import UserError
    from resnet_repro.train.device import resolve_job_devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(UserError) as refused:
        resolve_job_devices("0", torch.device("cuda", 1), "cuda:1")
    assert str(refused.value) == (
        "--device cuda:1 names one GPU, --devices 0 the GPUs to spread runs over; give --device cuda with --devices, "
        "or leave --devices out"
    )
    assert resolve_job_devices("0,1", torch.device("cuda", 0), "cuda") == [torch.device("cuda", i) for i in (0, 1)]


def test_job_slots_share_devices_round_robin():
    assert slot_devices(["cuda:0", "cuda:1"], 4) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert slot_devices(["cpu"], 2) == ["cpu", "cpu"]


def test_missing_data_is_one_error_before_any_job_starts(tmp_path):
    (tmp_path / "no-data-here").mkdir()  # a folder that exists but holds no dataset
    result = run_fig1(tmp_path / "no-data-here", tmp_path / "results", "--jobs", "2")
    assert_one_line_error(result, "CIFAR-10 not found", "--data-dir")
    assert "more run" not in result.stderr  # checked once in the parent, not failed once per job
    assert not list((tmp_path / "results").glob("runs/**/checkpoint*"))


def test_a_jobs_progress_calls_reach_its_line_on_the_parents_board(monkeypatch):
    """A child's start, bar moves between log points, numbers and finish arrive at its run's line of the board."""
    import io
    import queue

    from rich.console import Console

    from resnet_repro.cli import progress
    from resnet_repro.train.jobs import QueueReporter, _relay

    monkeypatch.setattr(progress, "console", Console(width=120, force_terminal=True, file=io.StringIO()))
    board, sent = progress.RichReporter(), queue.Queue()
    child = QueueReporter(sent)
    child.start("cifar10/plain-20/smoke/seed0", 12, 0)
    child.advance(2)
    _relay(sent, board, {}, {}, timeout=0)
    (line,) = board.progress.tasks
    assert (line.description, line.total, line.completed, line.fields["stats"]) == (child.name, 12, 2, "")
    child.update(3, {"lr": 0.1, "loss": 1.0, "error": 50.0, "images_per_s": 300.0})
    child.advance(5)
    _relay(sent, board, {}, {}, timeout=0)
    assert line.completed == 5 and line.fields["stats"].startswith("lr 0.1  loss 1.000  err 50.0%")
    child.finish()
    _relay(sent, board, {}, {}, timeout=0)
    assert board.progress is None
