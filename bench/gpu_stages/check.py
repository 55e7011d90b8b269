"""The state the stages share: where things go, the deadline, the plan, the figures so far; and the CLI call."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch

from .files import write_text
from .plan import EXIT_S, Plan

REPO = Path(__file__).resolve().parents[2]  # the working tree the check runs from


class Check:
    """The shared state of one check: where things go, the deadline, the figures so far."""

    def __init__(
        self,
        out: Path,
        work: Path,
        device: torch.device,
        plan: Plan,
        budget_s: float,
        only: set[str] | None = None,
        goals: Callable[[dict], str] = lambda facts: "",
    ):
        self.out, self.work, self.device, self.plan = out, work, device, plan
        self.goals = goals  # the summary's opening table, from the facts (run.py gives goals.goals_table)
        self.only = only  # --stages: the stages to run (None: all); time is kept only for those
        self.started = time.monotonic()
        self.deadline = self.started + budget_s
        self.sections: list[tuple[str, str]] = []
        self.bench_rows: list[dict] = []
        self.facts: dict = {}  # figures the goals table reads
        self.data_dir = work / "data"
        self.results = work / "results"

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def fits(self, stage: str, reserve: float = 0.0) -> bool:
        """Whether `stage`'s estimate fits the time left after `reserve` seconds kept for later stages."""
        return self.left() - reserve >= self.plan.estimates[stage]

    def reserve_for_full_run(self) -> float:
        """What every stage before the paper-recipe run leaves: its minimum, `list`, and the exit."""
        return (self.plan.estimates["full-run"] if self.runs("full-run") else 0) + self.reserve_for_list()

    def reserve_after_full_run(self) -> float:
        """What the paper-recipe run leaves: both --jobs commands, `list`, and the exit."""
        return (2 * self.plan.estimates["jobs"] if self.runs("jobs") else 0) + self.reserve_for_list()

    def reserve_for_list(self) -> float:
        """What the last stage, `list`, and the exit need."""
        return self.plan.estimates["list"] + EXIT_S

    def runs(self, stage: str) -> bool:
        return self.only is None or stage in self.only

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    def section(self, title: str, markdown: str) -> None:
        self.sections.append((title, markdown))
        self.write_summary()

    def write_summary(self) -> None:
        parts = ["# GPU check\n", self.goals(self.facts), ""]
        if self.device.type != "cuda":
            parts.insert(1, "_A dry run on the CPU with tiny nets and data: the goals below are a GPU's._\n")
        parts += [f"## {title}\n\n{body.strip()}\n" for title, body in self.sections]
        parts.append(f"_Script wall time so far: {time.monotonic() - self.started:.0f} s._\n")
        write_text(self.out / "summary.md", "\n".join(parts))

    def cli(self, *args: str, env: dict | None = None, timeout: float | None = None) -> tuple[int, str, float]:
        """`python -m resnet_repro ARGS` from the working tree: (exit code, output, wall seconds)."""
        command = self.command(args)
        start = time.monotonic()
        try:
            done = subprocess.run(command, cwd=REPO, env=cli_env(env), capture_output=True, text=True, timeout=timeout)
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            partial = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
            code, output = -1, f"{partial or ''}\ntimed out after {timeout:.0f} s: {shlex.join(command)}"
        return code, output, time.monotonic() - start

    def command(self, args: tuple[str, ...] | list[str]) -> list[str]:
        """`python -m resnet_repro ARGS`; a `run` trains on the check's data and device."""
        trains = args[0] == "run"
        on_data = ["--data-dir", str(self.data_dir), "--device", str(self.device)] if trains else []
        return [sys.executable, "-m", "resnet_repro", *args, *on_data]


def cli_env(extra: dict | None = None) -> dict:
    """The environment of a command from the working tree: its package, output unbuffered, and `extra`."""
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(extra or {})}
