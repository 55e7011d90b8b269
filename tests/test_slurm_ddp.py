"""An ImageNet run as one Slurm job of two processes (DDP, started by Slurm, torch.distributed set up from Slurm's
environment) gives the numbers of the same run started by torchrun with two processes."""

import json
import subprocess
import sys

from resnet_repro.data.synthetic import write_image_folder

from .conftest import REPO, assert_same_run, cli, smoke_run_args
from .test_slurm import resources_file, submitted_jobs, wait_for_jobs

RUN = "runs/imagenet/plain-34/smoke/seed0"


def test_a_two_process_imagenet_job_equals_the_two_process_torchrun_run(slurm_cluster, tmp_path):
    data = write_image_folder(tmp_path / "data" / "imagenet").parent
    args = smoke_run_args("table3", data, tmp_path / "slurm", "--only", "plain-34")
    # no GPU, one CPU per process; the engine sizes the job: batch 8 over BN shares of 4 is two processes
    submitted = cli(*args, "--slurm", "--resources", str(resources_file(tmp_path)), check=True)
    job, outputs = submitted_jobs(submitted.stdout)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    local = subprocess.run(
        [*torchrun, "-m", "resnet_repro", *smoke_run_args("table3", data, tmp_path / "torchrun", "--only", "plain-34")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert local.returncode == 0, local.stderr[-3000:]
    wait_for_jobs([job], timeout_s=300)
    subprocess.run(["scancel", outputs], check=True)  # table3's 10-crop measurement is not what this test is about
    trained = tmp_path / "slurm" / RUN
    assert json.loads((trained / "meta.json").read_text())["world_size"] == 2
    assert_same_run(tmp_path / "torchrun" / RUN, trained)


def test_a_two_process_cifar_job_equals_the_two_process_torchrun_run(slurm_cluster, cifar_dir, tmp_path):
    """`nodes: 2` (or `tasks_per_node: 2`) for a CIFAR run is one DDP run of two processes, 16 images of the smoke
    batch's 32 each, as the paper's two GPUs: the numbers of torchrun's two processes. This cluster has one node, so
    its two processes share it; a job on two nodes differs only in where rank 1 runs (test_slurm.py)."""
    args = smoke_run_args("fig1", cifar_dir, tmp_path / "slurm", "--only", "plain-20")
    two = ["--resource", "tasks_per_node=2", "--resource", "cpus_per_task=1"]
    submitted = cli(*args, "--slurm", "--resources", str(resources_file(tmp_path)), *two, check=True)
    job, outputs = submitted_jobs(submitted.stdout)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    local = subprocess.run(
        [
            *torchrun,
            "-m",
            "resnet_repro",
            *smoke_run_args("fig1", cifar_dir, tmp_path / "torchrun", "--only", "plain-20"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert local.returncode == 0, local.stderr[-3000:]
    wait_for_jobs([job], timeout_s=300)
    subprocess.run(["scancel", outputs], check=True)
    run = "runs/cifar10/plain-20/smoke/seed0"
    assert json.loads((tmp_path / "slurm" / run / "meta.json").read_text())["world_size"] == 2
    assert_same_run(tmp_path / "torchrun" / run, tmp_path / "slurm" / run)
