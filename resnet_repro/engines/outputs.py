"""Write a target's table/figure from results/ alone: what `plot` does, and what `run` ends with.

No torch here: every output is drawn from CSV and JSON files, by the target's engine.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..experiments import Target
from ..registry import get_engine
from ..store.paths import output_dir


def measured_csv(target: Target, results: Path, profile: str | None = None) -> Path:
    """The CSV an engine that measures trained or fresh nets writes (fig7, gradflow); its figure is drawn from it."""
    return output_dir(results, target, profile) / get_engine(target.engine).measured_file


def drawable_profiles(target: Target, results: Path) -> list[str | None]:
    """The profiles `plot TARGET` redraws: every named profile with results ([None] for a single output)."""
    return get_engine(target.engine).drawable_profiles(target, results)


def write_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    return get_engine(target.engine).write_outputs(target, runs, results)
