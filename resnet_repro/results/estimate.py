"""Estimate the training time left for a set of runs from throughput measured on this machine. No torch."""

from __future__ import annotations

import statistics
from pathlib import Path

from ..config import RunConfig
from .layout import RunFiles, read_json, read_metrics


def measured_throughput(results: Path) -> dict[str, float]:
    """Model label (resnet-56-A) -> median training images/s over every run that logged some."""
    samples: dict[str, list[float]] = {}
    for metrics in (results / "runs").rglob("metrics.csv"):
        label = metrics.relative_to(results / "runs").parts[1]
        rates = [float(r["images_per_s"]) for r in read_metrics(metrics)[1:] if r.get("images_per_s")]
        if rates:
            samples.setdefault(label, []).append(statistics.median(rates))
    return {label: statistics.median(values) for label, values in samples.items()}


def seconds_left(runs: list[RunConfig], results: Path, throughput: dict[str, float]) -> float | None:
    """Training seconds left for the unfinished runs; None when a needed model was never measured."""
    total = 0.0
    for config in runs:
        files = RunFiles(results, config.name)
        final = read_json(files.final)
        if final and final.get("status") in ("finished", "failed"):
            continue
        rows = read_metrics(files.metrics)
        done = int(rows[-1]["iteration"]) if rows else 0
        rate = throughput.get(config.name.split("/")[1])
        if rate is None:
            return None
        total += (config.recipe.iterations - done) * config.recipe.batch_size / rate
    return total


def human_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
