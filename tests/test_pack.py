"""run --pack N: runs trained together in one process, in lockstep, give the numbers each gives alone, and resume."""

import pytest
import torch

from resnet_repro.specs.config import DataSpec
from resnet_repro.train.pack import MAX_DEFAULT_PACK, default_pack

from .conftest import assert_one_line_error, cli, cli_in_process, smoke_run_args
from .test_jobs import RUNS, assert_same_as_alone, run_folder


def run_fig1(cifar_dir, results, *extra, env=None):
    return cli(*smoke_run_args("fig1", cifar_dir, results), *extra, env=env)


def test_a_pack_trains_what_each_run_trains_alone(fig1_smoke, cifar_dir, tmp_path):
    result = run_fig1(cifar_dir, tmp_path, "--pack", "2")
    assert result.returncode == 0, result.stderr
    assert_same_as_alone(tmp_path, fig1_smoke)  # metrics.csv row for row and final.json, bit for bit
    for name, k in zip(RUNS, (1, 2)):  # one log line per run and log point, and the whole target's ETA
        lines = result.stdout.splitlines()
        assert len([line for line in lines if line.startswith(f"{name} seed0 ") and "img/s" in line]) == 4, name
        clock = [line for line in lines if line.startswith(f"{name} seed0: ")]
        assert clock and all(line.startswith(f"{name} seed0: run {k} of 2, fig1 about ") for line in clock), name
    assert (tmp_path / "fig1/smoke/fig1.png").exists()
    again = run_fig1(cifar_dir, tmp_path, "--pack", "2")
    assert again.returncode == 0 and again.stdout.count("already finished") == 2


def test_a_pack_killed_mid_run_resumes_exactly(fig1_smoke, cifar_dir, tmp_path):
    # plain-20 checkpoints at iteration 6 and the process dies before plain-56 reaches its own checkpoint:
    # one run resumes from 6, the other starts again from 0, and both end as they do alone
    crashed = run_fig1(cifar_dir, tmp_path, "--pack", "2", env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    assert crashed.returncode != 0
    assert (run_folder(tmp_path, RUNS[0]) / "checkpoint.pt").exists()
    assert not (run_folder(tmp_path, RUNS[1]) / "checkpoint.pt").exists()
    resumed = run_fig1(cifar_dir, tmp_path, "--pack", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "training cifar10/plain-20/smoke/seed0 from iteration 6 of 12" in resumed.stdout
    assert_same_as_alone(tmp_path, fig1_smoke)


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (("--pack", "0"), ("--pack 0", "1 or more")),
        (("--pack", "2", "--jobs", "2"), ("give one of them",)),
        (("--threads", "0"), ("--threads 0", "1 or more", "--threads 2")),
    ],
)
def test_bad_pack_options_get_one_line(cifar_dir, tmp_path, extra, fragments):
    result = cli_in_process(*smoke_run_args("fig1", cifar_dir, tmp_path), *extra)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "runs").exists()


class _Run:
    def __init__(self, dataset: str):
        self.data = DataSpec(dataset=dataset)


def test_by_default_a_gpu_packs_the_array_runs_and_a_cpu_trains_one_at_a_time():
    cifar = [_Run("cifar10")] * 5
    assert default_pack(cifar, torch.device("cuda")) == 5
    assert default_pack([_Run("fashion-mnist")] * 40, torch.device("cuda")) == MAX_DEFAULT_PACK
    assert default_pack(cifar, torch.device("cpu")) == 1
    assert default_pack([*cifar, _Run("imagenet")], torch.device("cuda")) == 1  # loader processes: one at a time
