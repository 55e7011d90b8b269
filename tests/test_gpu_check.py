"""The GPU check script's dry run on the CPU: every stage runs its real code on tiny nets and data, so the
script cannot rot between the rare sessions that have a GPU to run it on."""

import csv
import os
import subprocess
import sys

from .conftest import REPO


def test_gpu_check_dry_run_writes_every_figure_and_no_stage_fails(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "bench/gpu_check.py", str(out), "--device", "cpu", "--tiny",
                             "--budget-s", "900", "--work", str(tmp_path / "work")],
                            cwd=REPO, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = (out / "summary.md").read_text()
    assert "FAILED" not in summary and "not run" not in summary, summary
    for name in ("bench.csv", "alternative.csv", "checks.csv", "jobs.csv", "full_run_metrics.csv", "profile.txt",
                 "list.txt"):
        assert (out / name).stat().st_size > 0, name

    bench = list(csv.DictReader(open(out / "bench.csv")))
    modes = {(r["model"], r["precision"], r["bn_batch"], r["compiled"]) for r in bench}
    assert modes == {("resnet8", "fp32", "", "False"), ("resnet8", "bf16", "", "False"),
                     ("resnet8", "fp32", "8", "False"), ("resnet8", "fp32", "", "True")}
    assert all(float(r["train_images_per_s"]) > 0 for r in bench)

    checks = {(r["check"], r["item"]): r for r in csv.DictReader(open(out / "checks.csv"))}
    losses = [r for (kind, _), r in checks.items() if kind == "gpu_vs_cpu_loss"]
    assert len(losses) == 2 and all(r["difference"] == "0.00e+00 relative" for r in losses)  # CPU vs CPU: equal
    resume = [r for (kind, _), r in checks.items() if kind == "resume"]
    assert resume[0]["difference"] == "identical", resume  # killed after a checkpoint, resumed: the same rows

    jobs = list(csv.DictReader(open(out / "jobs.csv")))
    assert [(r["jobs"], r["runs"], r["exit"]) for r in jobs] == [("1", "2", "0"), ("2", "2", "0")]
    assert "finished all 12 iterations" in summary  # the smoke stand-in for the paper-recipe run
    assert "table6" in (out / "list.txt").read_text()  # list read the bench this script wrote
