"""run --jobs N: runs side by side in their own processes give the numbers each gives alone, and resume."""

import pytest

from resnet_repro.train.jobs import cpu_threads_per_job, slot_devices

from .conftest import assert_one_line_error, cli
from .test_training import final, rows_without_timing

RUNS = ("plain-20", "plain-56")  # fig1's two runs


def run_fig1(cifar_dir, results, *extra, env=None):
    return cli("run", "fig1", "--profile", "smoke", "--device", "cpu", "--data-dir", str(cifar_dir), "--results",
               str(results), *extra, env=env)


def run_folder(results, name):
    return results / f"runs/cifar10/{name}/smoke/seed0"


@pytest.fixture(scope="module")
def one_at_a_time(cifar_dir, tmp_path_factory):
    """The reference: the runs trained one after the other, with the thread count each job gets. oneDNN's
    CPU kernels round differently with another thread count, which a plain net at lr 0.1 amplifies."""
    results = tmp_path_factory.mktemp("sequential")
    result = run_fig1(cifar_dir, results, env={"OMP_NUM_THREADS": str(cpu_threads_per_job(2))})
    assert result.returncode == 0, result.stderr
    return results


def assert_same_as_alone(results, reference):
    for name in RUNS:
        assert rows_without_timing(run_folder(results, name) / "metrics.csv") == \
            rows_without_timing(run_folder(reference, name) / "metrics.csv"), name
        assert final(run_folder(results, name) / "final.json") == final(run_folder(reference, name) / "final.json")


def test_two_jobs_train_what_each_run_trains_alone(one_at_a_time, cifar_dir, tmp_path):
    result = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert_same_as_alone(tmp_path, one_at_a_time)
    assert (tmp_path / "fig1/fig1.png").exists()
    again = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert again.returncode == 0 and again.stdout.count("already finished") == 2


def test_jobs_killed_mid_run_resume_exactly(one_at_a_time, cifar_dir, tmp_path):
    crashed = run_fig1(cifar_dir, tmp_path, "--jobs", "2", env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    assert_one_line_error(crashed, "died (exit code -9)", "run the same command again")
    assert all((run_folder(tmp_path, name) / "checkpoint.pt").exists() for name in RUNS)
    resumed = run_fig1(cifar_dir, tmp_path, "--jobs", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_as_alone(tmp_path, one_at_a_time)


@pytest.mark.parametrize("args, fragments", [
    (["--jobs", "0"], ["--jobs 0", "1 or more"]),
    (["--devices", "0,1"], ["--devices 0,1", "--device cuda"]),
])
def test_bad_job_options_are_one_line_errors(cifar_dir, tmp_path, args, fragments):
    assert_one_line_error(run_fig1(cifar_dir, tmp_path, *args), *fragments)
    assert not (tmp_path / "runs").exists()


def test_job_slots_share_devices_round_robin():
    assert slot_devices(["cuda:0", "cuda:1"], 4) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert slot_devices(["cpu"], 2) == ["cpu", "cpu"]
