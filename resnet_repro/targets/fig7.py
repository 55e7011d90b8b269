"""Fig. 7: train (or reuse) the fig6 nets, then measure their layer responses into responses.csv."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch

from ..analysis.responses import MEASUREMENT, measure_response_stds
from ..config import RunConfig
from ..data.pipeline import EvalSet, mean_image
from ..data.sources import load_image_sets
from ..experiments import Target
from ..results.layout import RunFiles, read_json, write_atomic
from ..train.checkpoint import load_checkpoint
from ..train.loop import build_run_model

RESPONSE_COLUMNS = ["model", "seed", "layer", "stage", "std"]


def measure_runs(runs: list[RunConfig], results: Path, data_dir: Path, device: torch.device) -> list[dict]:
    """One row per (run, layer) for every finished run; unfinished runs are left out."""
    rows, datasets = [], {}
    for config in runs:
        files = RunFiles(results, config.name)
        final = read_json(files.final)
        if not final or final.get("status") != "finished":
            continue
        key = (config.data, config.recipe.holdout)
        if key not in datasets:
            datasets[key] = load_image_sets(config.data, data_dir, config.recipe.holdout)
        splits = datasets[key]
        state, _ = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
        if state is None:
            continue
        model = build_run_model(config, splits).to(device)
        model.load_state_dict(state["model"])
        mean = mean_image(torch.from_numpy(splits.train.images).to(device))
        test = EvalSet(splits.test, mean, device, config.recipe.eval_batch_size)
        label = config.name.split("/")[1]
        for layer, std in measure_response_stds(model, test.batches()):
            rows.append({"model": label, "seed": config.seed, "layer": layer.index, "stage": layer.stage,
                         "std": std})
    return rows


def write_responses(target: Target, rows: list[dict], results: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = results / target.name / "responses.csv"
    write_atomic(path, buffer.getvalue())
    write_atomic(results / target.name / "caption.md", f"{target.title}. Measurement: {MEASUREMENT}.\n")
    return path
