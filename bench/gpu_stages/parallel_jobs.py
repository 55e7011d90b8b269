"""`run --jobs N` against `--jobs 1` on one device: the same short runs, total images/s."""

from __future__ import annotations

import statistics
from pathlib import Path

from resnet_repro.store.layout import read_json, read_run_config

from .check import Check
from .files import markdown_table, read_csv, write_csv


def stage_jobs(check: Check) -> None:
    """The same short runs with --jobs 1 and --jobs N, on one device: total images/s."""
    plan = check.plan
    rows = []
    for jobs in (1, plan.jobs):
        if not check.fits("jobs", reserve=check.reserve_for_list()):
            break
        results = check.work / f"jobs{jobs}"
        args = [*plan.resnet20_run(plan.short_run), "--seeds", str(plan.jobs), "--jobs", str(jobs)]
        code, output, wall = check.cli(*args, "--results", str(results), timeout=max(check.left() - 60, 30))
        runs = finished_runs(results)
        images = sum(r["iterations"] * r["batch"] for r in runs)
        rows.append(
            {
                "jobs": jobs,
                "runs": len(runs),
                "exit": code,
                "wall_s": round(wall, 1),
                "images_per_s_total": round(images / wall, 1) if runs else None,
                "median_run_images_per_s": round(statistics.median(r["rate"] for r in runs), 1) if runs else None,
            }
        )
        check.say(f"--jobs {jobs}: exit {code}, {wall:.1f} s, {len(runs)} runs")
        if code != 0:
            rows[-1]["error"] = output.strip().splitlines()[-1][:200] if output.strip() else ""
    write_csv(check.out / "jobs.csv", rows)
    if len(rows) == 2 and rows[0]["images_per_s_total"] and rows[1]["images_per_s_total"]:
        check.facts["jobs_speedup"] = rows[1]["images_per_s_total"] / rows[0]["images_per_s_total"]
    check.section(
        f"`run --jobs {plan.jobs}` against `--jobs 1`",
        markdown_table(rows) + "\n\nThe same runs "
        f"(ResNet-20, {plan.jobs} seeds, the short schedule {' '.join(plan.short_run) or 'of the profile'}); "
        "wall time of the whole command, process start-up and data loading included.",
    )


def finished_runs(results: Path) -> list[dict]:
    runs = []
    for metrics in results.glob("runs/**/metrics.csv"):
        rows = read_csv(metrics)
        final = read_json(metrics.parent / "final.json")
        if not rows or not final or final.get("status") != "finished":
            continue
        batch = read_run_config(metrics.parent / "config.yaml")["settings"]["recipe"]["batch_size"]
        rates = [float(r["images_per_s"]) for r in rows[1:] if r.get("images_per_s")] or [
            float(rows[0]["images_per_s"])
        ]
        runs.append({"iterations": int(final["iterations"]), "batch": batch, "rate": statistics.median(rates)})
    return runs
