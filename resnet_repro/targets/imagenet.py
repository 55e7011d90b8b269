"""ImageNet tables: after training, each finished run's top-1/top-5 error under the table's test protocol
(10-crop for Tables 2-3, multi-scale for Table 4), measured once and stored as runs/<run>/<protocol>.json."""

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

def protocol_file(protocol: str) -> str:
    return f"{protocol}.json"


def measure_protocol(runs: list[RunConfig], results: Path, data_dir: Path, device: torch.device,
                     protocol: str = "10-crop") -> None:
    """Write runs/<run>/<protocol>.json for every finished run that lacks it."""
    splits = None
    for config in runs:
        files = RunFiles(results, config.name)
        final = read_json(files.final)
        if not final or final.get("status") != "finished" or (files.dir / protocol_file(protocol)).exists():
            continue
        if splits is None:
            splits = load_image_sets(config.data, data_dir)
        state, _ = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
        if state is None:
            continue
        model = build_run_model(config, splits).to(device)
        model.load_state_dict(state["model"])
        errors = evaluate_views(model, splits.test, protocol, device, config.data.test_short_side, config.data.crop)
        write_json(files.dir / protocol_file(protocol), {"protocol": protocol, **dataclasses.asdict(errors)})
