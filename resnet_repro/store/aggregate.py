"""Collect a target's runs from results/runs/: final numbers and curves, over seeds. No torch here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import RunConfig
from .layout import RunFiles, read_json, read_metrics
from .run_id import RunStatus, final_status, run_status, seeds_status


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

    @property
    def finished(self) -> list[dict]:
        return [f for f in self.finals if final_status(f) is RunStatus.FINISHED]

    @property
    def status(self) -> str:
        return seeds_status(self.statuses, self.expected)


def collect(runs: list[RunConfig], results: Path) -> dict[str, ModelRuns]:
    grouped: dict[str, ModelRuns] = {}
    for config in runs:
        label = config.run_id.label
        entry = grouped.setdefault(config.model, ModelRuns(config.model, label, 0, [], []))
        entry.expected += 1
        files = RunFiles(results, config.name)
        entry.statuses.append(run_status(files))
        final = read_json(files.final)
        if final:
            entry.finals.append(final)
        meta = read_json(files.meta) or {}
        entry.unofficial_data += (meta.get("data") or {}).get("official_checksums") is False
        rows = read_metrics(files.metrics)
        if rows:
            entry.curves.append(pd.DataFrame(rows).apply(pd.to_numeric, errors="coerce"))
    return grouped


def mean_curve(curves: list[pd.DataFrame], metric: str) -> pd.DataFrame:
    """iteration -> mean of `metric` over seeds (rows where the metric was measured)."""
    frames = [c[["iteration", metric]].dropna() for c in curves if metric in c]
    if not frames:
        return pd.DataFrame(columns=["iteration", metric])
    return pd.concat(frames).groupby("iteration", as_index=False)[metric].mean()
