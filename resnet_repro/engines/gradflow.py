"""The gradflow target: measure at initialisation (seconds on a CPU), write gradflow.csv, plot it."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..analysis.gradient_norms import gradflow_rows
from ..errors import UserError
from ..experiments import Target
from ..store.layout import write_atomic
from .outputs import measured_csv, write_outputs

SETTINGS = {"conv_models": list, "fc_depths": list, "seeds": int, "batches": int, "batch_size": int}


def run_gradflow(target: Target, results: Path) -> list[Path]:
    settings = target.section("gradflow") or {}
    for key, kind in SETTINGS.items():
        if not isinstance(settings.get(key), kind):
            raise UserError(f"{target.path}: gradflow.{key} must be a {kind.__name__}, got {settings.get(key)!r}")
    rows = gradflow_rows(settings["conv_models"], settings["fc_depths"], settings["seeds"], settings["batches"],
                         settings["batch_size"])
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    write_atomic(measured_csv(target, results), buffer.getvalue())

    return write_outputs(target, [], results)
