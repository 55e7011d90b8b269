"""The whole check: the stages in order, most-needed first, each run only if its estimate fits the time left."""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from pathlib import Path

import torch

from resnet_repro.train.device import resolve_device

from .alternative import stage_alternative
from .check import Check
from .correctness import stage_checks
from .full_run import stage_full_run
from .goals import derive_goals, goals_table
from .listing import stage_list
from .machine import stage_machine
from .parallel_jobs import stage_jobs
from .plan import FULL, TINY, Plan
from .step_profile import stage_profile
from .throughput import stage_bench, stage_compile_extras, stage_compile_first, stage_variants


def run_check(
    out: Path, device: torch.device, plan: Plan, budget_s: float, work: Path, only: set[str] | None = None
) -> Check:
    check = Check(out, work, device, plan, budget_s, only, goals_table)
    before_full_run = check.reserve_for_full_run()
    stages = [  # most-needed first; (name, the stage, its minimum time, kept for the stages after it)
        ("machine", stage_machine, 0, 0),
        ("bench", stage_bench, 0, 0),  # checks the time per measurement
        ("variants", stage_variants, 0, 0),
        ("alternative", stage_alternative, 0, 0),
        ("checks", stage_checks, plan.estimates["checks"], before_full_run),
        ("profile", stage_profile, plan.estimates["profile"], before_full_run),
        ("compile", stage_compile_first, 0, 0),
        ("full-run", stage_full_run, 0, 0),  # takes what the later stages can spare
        ("jobs", stage_jobs, 0, 0),
        ("compile-extras", stage_compile_extras, 0, 0),
        ("list", stage_list, -float("inf"), 0),  # always: seconds, and it reads the bench
    ]
    for name, stage, minimum, reserve in stages:
        if not check.runs(name):
            continue
        check.say(f"== {name} ({check.left():.0f} s left)")
        if check.left() - reserve < minimum:
            check.section(
                f"{name}: not run",
                f"{check.left():.0f} s were left; it needs about {minimum} s and "
                f"{reserve:.0f} s are kept for the paper-recipe run and what follows it.",
            )
            continue
        try:
            stage(check)
        except Exception:  # a stage that breaks is reported, and the next one still runs
            trace = traceback.format_exc()
            check.say(f"{name} FAILED:\n{trace}")
            check.section(f"{name}: FAILED", "```\n" + trace[-2500:] + "\n```")
        derive_goals(check)
        check.write_summary()
    check.say(f"done in {time.monotonic() - check.started:.0f} s; summary in {out / 'summary.md'}")
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for summary.md and the CSVs (created)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget-s", type=float, default=470.0, help="the script ends inside this many seconds")
    parser.add_argument("--tiny", action="store_true", help="tiny nets, data and schedules: the CPU dry run")
    parser.add_argument("--work", type=Path, help="scratch folder for data and runs [default: a temporary one]")
    parser.add_argument(
        "--stages",
        help="run only these stages, comma-separated (machine always runs: it writes "
        "the data), e.g. machine,checks,jobs",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu_check_"))
    only = {"machine", *args.stages.split(",")} if args.stages else None
    run_check(args.out, device, TINY if args.tiny else FULL, args.budget_s, work, only)
    return 0
