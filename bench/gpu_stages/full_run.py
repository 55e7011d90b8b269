"""The paper-recipe run end to end, or stopped cleanly at the deadline and extrapolated from its steady state."""

from __future__ import annotations

import shlex
import statistics
import subprocess
import time
from pathlib import Path

from stopping import stop_past

from resnet_repro.store.layout import read_json

from .check import REPO, Check, cli_env
from .files import read_csv, tail, write_text
from .throughput import compile_pays


def stage_full_run(check: Check) -> None:
    """The paper-recipe run, end to end if it fits; else stopped cleanly and extrapolated from its steady state."""
    plan = check.plan
    compiled = compile_pays(check)
    results = check.work / "full"
    args = ["run", *plan.full_run, "--results", str(results)] + (["--compile"] if compiled else [])
    # All the time the later stages can spare; they shrink first, down to this run's minimum.
    allowed = max(
        check.left() - check.reserve_after_full_run(),
        min(plan.estimates["full-run"], check.left() - check.reserve_for_list()),
    )
    if allowed < plan.estimates["full-run"]:
        check.section(
            "The paper-recipe run",
            f"Not run: {allowed:.0f} s left, it needs at least {plan.estimates['full-run']} s to reach a steady state.",
        )
        return
    check.say(f"paper-recipe run: {shlex.join(args)} (allowed {allowed:.0f} s)")
    wall, exit_code = _run_until(check, args, allowed)
    metrics = next(results.glob("runs/**/metrics.csv"), None)
    rows = read_csv(metrics) if metrics else []
    final = read_json(metrics.parent / "final.json") if metrics else None
    if metrics:
        write_text(check.out / "full_run_metrics.csv", metrics.read_text())
    summary = extrapolate(rows, plan.full_iterations, wall)
    finished = bool(final and final.get("status") == "finished")
    summary.update(
        {
            "command": "resnet-repro " + shlex.join(args),
            "compiled": compiled,
            "exit": exit_code,
            "finished": finished,
            "end_to_end_s": wall if finished else summary.get("projected_s"),
            "cuda_graphs": (final or {}).get("cuda_graphs") or graphs_from_log(check.work / "full_run.log", compiled),
        }
    )
    check.facts["full_run"] = summary
    check.section("The paper-recipe run", "\n".join(_report_lines(check, summary, rows, wall)))


def _run_until(check: Check, args: list[str], allowed: float) -> tuple[float, int]:
    """`python -m resnet_repro ARGS` on the check's data and device, its output in full_run.log; SIGTERM (it finishes
    the iteration and checkpoints) once `allowed` seconds are up, a kill 45 s later: (wall seconds, exit code)."""
    start = time.monotonic()
    with open(check.work / "full_run.log", "w") as log:
        process = subprocess.Popen(check.command(args), cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=cli_env())
        code, _ = stop_past(process, allowed, lambda: check.say("paper-recipe run: time is up, SIGTERM sent"))
    return time.monotonic() - start, code


def _report_lines(check: Check, summary: dict, rows: list[dict], wall: float) -> list[str]:
    """The run's section of summary.md: finished or stopped, the extrapolation, the steady rate, CUDA graphs."""
    lines = [
        f"- `{summary['command']}` on generated CIFAR-format data, {'--compile' if summary['compiled'] else 'eager'}"
    ]
    if summary["finished"]:
        lines.append(
            f"- finished all {check.plan.full_iterations} iterations: **{wall:.0f} s end to end** "
            f"({wall / 60:.1f} min), training {summary['elapsed_s']:.0f} s"
        )
    else:
        lines.append(
            f"- stopped at iteration {summary.get('iteration', 0)} of {check.plan.full_iterations} after "
            f"{wall:.0f} s (time budget of this check), exit {summary['exit']}"
        )
        if summary.get("projected_s"):
            lines.append(
                f"- **extrapolated** end to end: {summary['projected_s']:.0f} s "
                f"({summary['projected_s'] / 60:.1f} min) = start-up {summary['startup_s']:.0f} s + "
                f"{summary['elapsed_s']:.0f} s trained + {summary['remaining_iterations']} iterations at "
                f"the measured {summary['wall_ms_per_iteration']:.2f} ms each (evaluations and checkpoints "
                f"included)"
            )
    if summary.get("steady_images_per_s"):
        lines.append(
            f"- steady-state training: {summary['steady_images_per_s']:.0f} img/s (median of the logged "
            f"windows after the first {summary['skipped_rows']})"
        )
    lines.append(f"- CUDA graphs: {summary['cuda_graphs']}")
    if not rows:
        lines.append(
            "- no metrics were written; the end of its output:\n\n```\n"
            + tail(check.work / "full_run.log", 15)
            + "\n```"
        )
    return lines


def extrapolate(rows: list[dict], total_iterations: int, wall: float) -> dict:
    """Steady-state time per iteration from the logged rows (evaluations and checkpoints included), and the
    end-to-end time it projects."""
    if len(rows) < 3:
        return {"iteration": int(float(rows[-1]["iteration"])) if rows else 0}
    skip = min(5, len(rows) - 2)  # the first windows hold compilation and cuDNN's search
    first, last = rows[skip], rows[-1]
    iterations = [int(float(r["iteration"])) for r in (first, last)]
    elapsed = [float(r["elapsed_s"]) for r in (first, last)]
    per_iteration = (elapsed[1] - elapsed[0]) / max(iterations[1] - iterations[0], 1)
    remaining = total_iterations - iterations[1]
    startup = max(wall - elapsed[1], 0.0)
    rates = [float(r["images_per_s"]) for r in rows[skip:] if r.get("images_per_s")]
    return {
        "iteration": iterations[1],
        "elapsed_s": elapsed[1],
        "startup_s": startup,
        "wall_ms_per_iteration": per_iteration * 1e3,
        "remaining_iterations": remaining,
        "projected_s": startup + elapsed[1] + remaining * per_iteration,
        "steady_images_per_s": statistics.median(rates) if rates else None,
        "skipped_rows": skip,
    }


def graphs_from_log(log: Path, compiled: bool) -> str:
    if not compiled:
        return "off (eager run)"
    text = log.read_text(errors="replace") if log.exists() else ""
    marker = "torch.compile trains without CUDA graphs"
    return "skipped (see full_run.log)" if marker in text else "used (no skip reported before the stop)"
