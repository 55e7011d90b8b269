"""bench/gpu_fig6.py, the GPU main job's prepared script: its dry run on the CPU, the same code end to end."""

import json
import subprocess
import sys
import tarfile

from .conftest import REPO


def test_the_gpu_main_job_script_leaves_its_outputs_without_checkpoints(cifar_dir, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "bench/gpu_fig6.py"), str(out), "--data-dir", str(cifar_dir)]
    command += ["--device", "cpu", "--profile", "smoke", "--work", str(tmp_path / "work"), "--extra", "--pack 5"]
    result = subprocess.run([*command, "--after", "fig7"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "fig6-smoke.png",
        "fig7-smoke.png",
        "results.tar.gz",
        "run.log",
        "summary.md",
    ]
    summary = (out / "summary.md").read_text()
    facts = json.loads(summary.split("```json")[1].split("```")[0])
    assert facts["preflight"]["finished"] and facts["fig6"]["finished"] and facts["fig7"]["finished"]
    assert facts["total_images_per_s"] > 0
    assert summary.count("| finished | 12 |") == 5  # fig6's five smoke runs, trained together
    assert "holds" in summary or "within noise" in summary or "does not hold" in summary
    with tarfile.open(out / "results.tar.gz") as tar:
        names = tar.getnames()
    assert not [n for n in names if n.endswith(".pt") or n.endswith(".lock")]
    assert "results/fig6/smoke/table.csv" in names and "results/REPORT.md" in names
    assert sum(n.endswith("/metrics.csv") for n in names) == 5

    # Called again on the same work folder (a second call of a held machine), it trains nothing new and its
    # rate says so, rather than counting the first call's iterations over the second call's seconds.
    again = subprocess.run([*command, "--no-preflight", "--after", ""], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    facts = json.loads((out / "summary.md").read_text().split("```json")[1].split("```")[0])
    assert facts["fig6"]["finished"] and "preflight" not in facts
    assert facts["total_images_per_s"] == 0
