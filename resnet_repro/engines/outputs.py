"""Where an engine that measures writes its CSV, which its figure is drawn from; no torch here."""

from __future__ import annotations

from pathlib import Path

from ..basics.errors import UserError
from ..readback.report_parts import runs_command
from ..specs.experiments import Target, load_recipe_file, resolve_runs
from ..specs.registry import get_engine
from ..specs.run_id import RunStatus
from ..store.layout import RunFiles, run_status
from ..store.paths import output_dir, runs_profile


def measured_csv(target: Target, results: Path, profile: str | None = None) -> Path:
    """The CSV an engine that measures trained or fresh nets writes (fig7, gradflow); its figure is drawn from it."""
    return output_dir(results, target, profile) / get_engine(target.engine).measured_file


def measured_csv_of(target: Target, results: Path, runs: list) -> Path:
    """The CSV these runs' profile measured, for drawing from; one line naming the command that measures it where it is
    not there yet."""
    path = measured_csv(target, results, runs_profile(runs))
    if not path.exists():
        raise UserError(f"{path} does not exist yet: `{runs_command(target, runs)}` measures it")
    return path


def trained_not_measured(target: Target, results: Path) -> list[str]:
    """The profiles whose nets a measuring target (fig7) finds all trained (fig6 trains the same runs) but has not
    measured yet: nothing to draw, though no training is left; `run` measures them."""
    if target.recipe is None or get_engine(target.engine).measured_file is None:
        return []
    return [
        profile
        for profile in load_recipe_file(target.recipe).profiles
        if not measured_csv(target, results, profile).exists()
        and (runs := resolve_runs(target, profile))
        and all(run_status(RunFiles(results, run.name)) is RunStatus.FINISHED for run in runs)
    ]
