"""Collect a target's runs from results/runs/: final numbers and curves, over seeds. No torch here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..basics.words import also_damaged
from ..specs.config import RunConfig
from ..specs.run_id import RunStatus, final_status, seeds_status
from .layout import RunFiles, read_run
from .lock import is_training


@dataclass
class ModelRuns:
    """All seeds of one model under one profile."""

    model: str  # canonical: resnet56
    label: str  # resnet-56-A
    expected: int  # seeds the target asks for
    finals: list[dict]  # final.json of each finished or failed seed
    curves: list[pd.DataFrame]  # metrics.csv of each seed that has one
    unofficial_data: int = 0  # seeds whose meta.json says their CIFAR-10 files differ from the official release
    statuses: list[RunStatus] = field(default_factory=list)  # each seed's
    # why a seed's numbers are left out: a finished seed whose log disagrees with final.json, or any seed whose folder
    # holds a file the tool could not have written (store/layout.run_damage)
    damaged: list[str] = field(default_factory=list)
    damaged_runs: list[str] = field(default_factory=list)  # the runs of `damaged`, in its order
    unfinished_at: list[int] = field(default_factory=list)  # the last logged iteration of each unfinished seed
    running: int = 0  # unfinished seeds training now: a process holds their lock
    # the seeds whose config.yaml is not the config the recipe resolves to now (`run` refuses their folders): their
    # numbers are kept, and the status says they are of another config
    differs: list[str] = field(default_factory=list)

    @property
    def finished(self) -> list[dict]:
        return [f for f in self.finals if final_status(f) is RunStatus.FINISHED]

    @property
    def status(self) -> str:
        if self.damaged:  # before anything else: its numbers are left out, and the reader must see why
            return f"damaged: {self.damaged[0]}{also_damaged(self.damaged_runs[1:])}"
        status = seeds_status(self.statuses, self.expected, self.running)
        if self.differs:
            return f"{status}, trained with a different config than the recipe's: {', '.join(self.differs)}"
        return status


def collect(runs: list[RunConfig], results: Path) -> dict[str, ModelRuns]:
    grouped: dict[str, ModelRuns] = {}
    for config in runs:
        entry = grouped.setdefault(config.model, ModelRuns(config.model, config.run_id.label, 0, [], []))
        entry.expected += 1
        run = read_run(results, config)
        if run.left_out:
            entry.damaged.append(run.left_out)
            entry.damaged_runs.append(config.name)
            continue
        entry.statuses.append(run.status)
        if run.differs:
            entry.differs.append(config.name)
        if run.final:
            entry.finals.append(run.final)
        entry.unofficial_data += (run.meta.get("data") or {}).get("official_checksums") is False
        if run.rows:
            entry.curves.append(pd.DataFrame(run.rows).apply(pd.to_numeric, errors="coerce"))
            if run.status is RunStatus.UNFINISHED:
                entry.unfinished_at.append(int(entry.curves[-1]["iteration"].max()))
        entry.running += run.status is RunStatus.UNFINISHED and is_training(RunFiles(results, config.name).dir)
    return grouped


def mean_curve(curves: list[pd.DataFrame], metric: str) -> pd.DataFrame:
    """iteration -> mean of `metric` over seeds (rows where the metric was measured)."""
    frames = [c[["iteration", metric]].dropna() for c in curves if metric in c]
    if not frames:
        return pd.DataFrame(columns=["iteration", metric])
    return pd.concat(frames).groupby("iteration", as_index=False)[metric].mean()
