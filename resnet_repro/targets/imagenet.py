"""ImageNet tables: after training, the 10-crop top-1/top-5 error of each finished run (once, stored)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ..analysis.imagenet_eval import evaluate_views
from ..config import RunConfig
from ..data.sources import load_image_sets
from ..results.layout import RunFiles, read_json, write_json
from ..train.checkpoint import load_checkpoint
from ..train.loop import build_run_model

TEN_CROP_FILE = "tencrop.json"


def measure_ten_crop(runs: list[RunConfig], results: Path, data_dir: Path, device: torch.device) -> None:
    """Write runs/<run>/tencrop.json for every finished run that lacks it."""
    splits = None
    for config in runs:
        files = RunFiles(results, config.name)
        final = read_json(files.final)
        if not final or final.get("status") != "finished" or (files.dir / TEN_CROP_FILE).exists():
            continue
        if splits is None:
            splits = load_image_sets(config.data, data_dir)
        state, _ = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
        if state is None:
            continue
        model = build_run_model(config, splits).to(device)
        model.load_state_dict(state["model"])
        errors = evaluate_views(model, splits.test, "10-crop", device, config.data.test_short_side, config.data.crop)
        write_json(files.dir / TEN_CROP_FILE, {"protocol": "10-crop", **dataclasses.asdict(errors)})
