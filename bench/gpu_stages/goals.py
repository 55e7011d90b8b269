"""The goals the summary opens with, each met, missed or not measured, from the figures the stages gathered."""

from __future__ import annotations

from .check import Check
from .plan import FULL
from .throughput import Mode, bench_rate


def goals_table(facts: dict) -> str:
    """The goals, each met, missed or not measured, from the figures gathered so far."""
    run = facts.get("full_run") or {}
    r56, r110 = run.get("end_to_end_s"), facts.get("resnet110_estimate_s")
    ratio, how = facts.get("best_ratio"), facts.get("best_ratio_how", "")
    graphs = run.get("cuda_graphs") or facts.get("cuda_graphs")
    memory = facts.get("memory_checkpointed_mib")
    extrapolated = "" if run.get("finished") else " (extrapolated)"
    goals = [  # (goal, what was measured, whether it is met: None when not measured)
        ("paper-recipe ResNet-56 under 5 min", r56 and f"{r56 / 60:.1f} min{extrapolated}", at_most(r56, 300)),
        ("paper-recipe ResNet-110 under 10 min", r110 and f"{r110 / 60:.1f} min (estimated)", at_most(r110, 600)),
        ("at least 5x the common alternative", ratio and f"{ratio:.1f}x ({how})", at_most(5, ratio)),
        ("CUDA graphs not skipped under --compile", graphs, str(graphs).startswith("used") if graphs else None),
        (
            "ResNet-1202 with checkpointing under 6 GB",
            memory and f"{memory:.0f} MiB",
            memory < 6 * 1024 if memory else None,
        ),
    ]
    lines = ["| goal | measured | met |", "|---|---|---|"]
    for goal, measured, met in goals:
        shown_met = "" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {goal} | {measured or 'not measured'} | {shown_met} |")
    return "\n".join(lines)


def at_most(value: float | None, limit: float | None) -> bool | None:
    """Whether `value` <= `limit`; None when either was not measured."""
    return None if value is None or limit is None else value <= limit


def derive_goals(check: Check) -> None:
    """Figures the goals need that come from several stages: the best ratio, ResNet-110's time."""
    alternative = check.facts.get("alternative") or {}
    ratios = [  # (ours / theirs, which of ours), net by net as the alternative ran them
        (row["train_images_per_s"] / theirs, f"{net}, ours {Mode.of(row).name()}")
        for net, theirs in alternative.items()
        for row in check.bench_rows
        if row.get("model") == net
        and row.get("precision") in ("fp32", "tf32")
        and row.get("train_images_per_s")
        and not row.get("deterministic")
    ]
    if ratios:  # the first of equal best ratios, as max keeps it
        check.facts["best_ratio"], check.facts["best_ratio_how"] = max(ratios, key=lambda ratio: ratio[0])
    graphs = [r["cuda_graphs"] for r in check.bench_rows if r.get("compiled") and r.get("cuda_graphs")]
    if graphs:
        check.facts["cuda_graphs"] = graphs[0]
    run = check.facts.get("full_run") or {}
    per_iteration_56 = run.get("wall_ms_per_iteration")
    _, precision, bn_batch = check.plan.compile_first
    candidates = [(precision, bool(run.get("compiled")), bn_batch), (precision, False, bn_batch), ("fp32", False, None)]
    r56 = r110 = None
    for mode in candidates:  # the two nets' ratio in the same mode, the run's own if measured
        r56, r110 = bench_rate(check, Mode("resnet56", *mode)), bench_rate(check, Mode("resnet110", *mode))
        if r56 and r110:
            break
    if per_iteration_56 and r56 and r110 and check.plan is FULL:
        # ResNet-110's step scales ResNet-56's wall time per iteration by their measured bench ratio.
        training_s = check.plan.full_iterations * per_iteration_56 / 1e3 * (r56 / r110)
        check.facts["resnet110_estimate_s"] = run.get("startup_s", 0) + training_s
