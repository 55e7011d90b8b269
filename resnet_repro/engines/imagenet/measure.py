"""ImageNet tables: after training, each finished run's top-1/top-5 error under the table's test protocol
(10-crop for Tables 2-3, multi-scale for Table 4), measured once and stored as runs/<run>/<protocol>.json."""

from __future__ import annotations

import dataclasses

from ...analysis.imagenet_eval import evaluate_views
from ...specs.config import RunConfig
from ...store.layout import read_json, write_json
from ...train.context import RunContext
from ..trained import finished_models
from .outputs import protocol_file


def measure_protocol(runs: list[RunConfig], context: RunContext, protocol: str = "10-crop") -> None:
    """Write runs/<run>/<protocol>.json for every finished run that lacks it, or whose record is cut short (a kill
    mid-copy): what tables cannot read is measured again, as a run resumes from a final.json cut short."""
    measured = lambda files: read_json(files.dir / protocol_file(protocol)) is not None  # noqa: E731
    for config, files, model, splits in finished_models(runs, context, skip=measured):
        errors = evaluate_views(model, splits.test, protocol, context.device, config.data)
        write_json(files.dir / protocol_file(protocol), {"protocol": protocol, **dataclasses.asdict(errors)})
