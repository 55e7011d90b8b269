"""Where an engine that measures writes its CSV, which its figure is drawn from; no torch here."""

from __future__ import annotations

from pathlib import Path

from ..experiments import Target
from ..registry import get_engine
from ..store.paths import output_dir


def measured_csv(target: Target, results: Path, profile: str | None = None) -> Path:
    """The CSV an engine that measures trained or fresh nets writes (fig7, gradflow); its figure is drawn from it."""
    return output_dir(results, target, profile) / get_engine(target.engine).measured_file
