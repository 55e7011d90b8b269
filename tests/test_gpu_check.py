"""The GPU check script's dry run on the CPU: every stage runs its real code on tiny nets and data, so the
script keeps working between the rare runs on a GPU."""

import csv
import os
import subprocess
import sys

import pytest

from .conftest import REPO


def dry_run(tmp_path, *stages: str):
    """bench/gpu_check.py --tiny on the CPU (all stages, or these): its output folder and summary.md."""
    out = tmp_path / "out"
    chosen = ["--stages", ",".join(stages)] if stages else []
    result = subprocess.run(
        [
            sys.executable,
            "bench/gpu_check.py",
            str(out),
            "--device",
            "cpu",
            "--tiny",
            "--budget-s",
            "900",
            "--work",
            str(tmp_path / "work"),
            *chosen,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = (out / "summary.md").read_text()
    assert "FAILED" not in summary and "not run" not in summary, summary
    return out, summary


def read_csv(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def assert_bench_and_checks(out, summary):
    bench = read_csv(out / "bench.csv")
    assert {("resnet8", "fp32", "", "False"), ("resnet8", "bf16", "", "False"), ("resnet8", "fp32", "8", "False")} <= {
        (r["model"], r["precision"], r["bn_batch"], r["compiled"]) for r in bench
    }
    assert all(float(r["train_images_per_s"]) > 0 for r in bench)
    checks = {(r["check"], r["item"]): r for r in read_csv(out / "checks.csv")}
    losses = [r for (kind, _), r in checks.items() if kind == "gpu_vs_cpu_loss"]
    assert len(losses) == 2 and all(r["difference"] == "0.00e+00 relative" for r in losses)  # CPU vs CPU: equal
    resume = [r for (kind, _), r in checks.items() if kind == "resume"]
    assert resume[0]["difference"] == "identical", resume  # killed after a checkpoint, resumed: the same rows
    assert "finished all 12 iterations" in summary  # the smoke stand-in for the paper-recipe run
    assert (out / "full_run_metrics.csv").stat().st_size > 0
    assert "table6" in (out / "list.txt").read_text()  # list read the bench this script wrote


def test_gpu_check_dry_run_of_the_measuring_stages(tmp_path):
    """Throughput, the GPU-vs-CPU and resume checks, the paper-recipe stand-in and `list`: the stages whose
    numbers docs/benchmarks.md quotes. The compiled modes, the profiler and `--jobs` run in the whole dry run."""
    out, summary = dry_run(tmp_path, "bench", "checks", "full-run", "list")
    assert_bench_and_checks(out, summary)
    assert not (out / "jobs.csv").exists()  # --stages: only these ran


# slow: about 1.5 min on 2 cores (torch.compile on the CPU, two `run --jobs` commands); the stages above stay in
# every suite
@pytest.mark.slow
def test_gpu_check_dry_run_writes_every_figure_and_no_stage_fails(tmp_path):
    out, summary = dry_run(tmp_path)
    for name in (
        "bench.csv",
        "alternative.csv",
        "checks.csv",
        "jobs.csv",
        "full_run_metrics.csv",
        "profile.txt",
        "list.txt",
    ):
        assert (out / name).stat().st_size > 0, name
    assert_bench_and_checks(out, summary)
    modes = {(r["model"], r["precision"], r["bn_batch"], r["compiled"]) for r in read_csv(out / "bench.csv")}
    assert modes == {
        ("resnet8", "fp32", "", "False"),
        ("resnet8", "bf16", "", "False"),
        ("resnet8", "fp32", "8", "False"),
        ("resnet8", "fp32", "", "True"),
    }
    jobs = read_csv(out / "jobs.csv")
    assert [(r["jobs"], r["runs"], r["exit"]) for r in jobs] == [("1", "2", "0"), ("2", "2", "0")]
