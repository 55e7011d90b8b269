"""Fig. 7: train (or reuse) the fig6 nets, then measure their layer responses into responses.csv."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import torch

from ...config import RunConfig
from ...context import RunContext
from ...data.pipeline import EvalSet, mean_image
from ...experiments import Target
from ...store.layout import write_atomic
from ...store.paths import runs_profile
from ..curves_tables import runs_title
from ..outputs import measured_csv
from ..trained import finished_models
from .stds import MEASUREMENT, measure_response_stds

RESPONSE_COLUMNS = ["model", "seed", "layer", "stage", "std", "profile"]


def said_every(batches, images: int, say, seconds: float = 8.0):
    """The batches, saying how many images have gone through every `seconds` (a deep net on a busy CPU takes
    minutes over the test set; a line now and then says it is still measuring). 8 s, since the check comes
    after a batch, which takes seconds of a deep net: the gaps stay near 10 s."""
    done, last = 0, time.monotonic()
    for x, y in batches:
        yield x, y
        done += len(x)
        if time.monotonic() - last >= seconds and done < images:
            say(f"  {done:,} of {images:,} test images measured")
            last = time.monotonic()


def measure_runs(runs: list[RunConfig], context: RunContext) -> list[dict]:
    """One row per (run, layer) for every finished run; unfinished runs are left out."""
    rows, device = [], context.device
    for config, _, model, splits in finished_models(runs, context):
        context.reporter.message(
            f"measuring the layer responses of {config.name} on {len(splits.test.labels):,} test images"
        )
        mean = mean_image(torch.from_numpy(splits.train.images).to(device))
        test = EvalSet(splits.test, mean, device, config.recipe.eval_batch_size)
        label = config.run_id.label
        batches = said_every(test.batches(), len(test), context.reporter.message)
        for layer, std in measure_response_stds(model, batches):
            rows.append(
                {
                    "model": label,
                    "seed": config.seed,
                    "layer": layer.index,
                    "stage": layer.stage,
                    "std": std,
                    "profile": config.run_id.profile_folder,
                }
            )
    return rows


def write_responses(target: Target, rows: list[dict], results: Path, runs: list[RunConfig]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = measured_csv(target, results, runs_profile(runs))
    write_atomic(path, buffer.getvalue())
    title = runs_title(target, runs)  # on a proxy, name the data used
    write_atomic(path.parent / "caption.md", f"{title}. Measurement: {MEASUREMENT}.\n")
    return path
