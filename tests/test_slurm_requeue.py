"""A Slurm job warned before its time limit checkpoints, requeues itself, and ends with the numbers of a run that
was never interrupted (a module of its own: Slurm starts a requeued job about two minutes later, and the other
Slurm tests run meanwhile on another worker)."""

import re
import subprocess
import sys
import time

from .conftest import REPO, assert_same_run, cli, smoke_args
from .test_slurm import resources_file, submitted_jobs, wait_for_jobs

LONGER = ["--set", "recipe.iterations=60"]  # long enough to be warned mid-run: 20 log points


def test_a_job_warned_at_its_time_limit_requeues_and_ends_with_the_uninterrupted_numbers(
    slurm_cluster, cifar_dir, tmp_path
):
    results = tmp_path / "slurm"
    submitted = cli(
        *smoke_args(cifar_dir, results, *LONGER, "--slurm", "--resources", str(resources_file(tmp_path))), check=True
    )
    job, outputs = submitted_jobs(submitted.stdout)
    # the same run trained here, undisturbed, while the job waits for its requeue
    reference = subprocess.Popen(
        [sys.executable, "-m", "resnet_repro", *smoke_args(cifar_dir, tmp_path / "local", *LONGER)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    folder = None
    deadline = time.time() + 180
    while folder is None or not (folder / "metrics.csv").exists():  # the job has logged its first iterations
        assert time.time() < deadline, "the job never started training"
        time.sleep(0.5)
        folder = next(results.glob("runs/cifar10/plain-20/smoke~*/seed0"), None)
    # what Slurm sends `signal_before_s` ahead of the limit (--signal=USR2@N), sent now
    subprocess.run(["scancel", "--signal=USR2", job], check=True)
    wait_for_jobs([job, outputs], timeout_s=480)
    assert reference.wait(timeout=300) == 0, reference.stderr.read()
    log = "".join((results / f"slurm/jobs/{job}_0_log.{kind}").read_text() for kind in ("out", "err"))
    # submitit says it requeued the job; where Slurm's requeue ends the step before `scontrol requeue` returns to
    # submitit (its scontrol is killed with the step), slurmstepd's own line says so
    requeued = f"Requeued job {job}" in log or f"*** JOB {job} ON " in log and " DUE TO JOB REQUEUE ***" in log
    assert "Calling checkpoint method" in log and requeued, log[-3000:]
    assert re.search(r"stopped at iteration \d+ of run \S+, its checkpoint saved \(by SIGTERM\)", log)  # at an
    # iteration's end, checkpointed
    assert log.count("Starting with JobEnvironment") == 2  # and the requeued job started it again
    assert_same_run(next((tmp_path / "local").glob("runs/cifar10/plain-20/smoke~*/seed0")), folder)
