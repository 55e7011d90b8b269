"""Write a target's table/figure from results/ alone: what `plot` does, and what `run` ends with.

No torch here: every output is drawn from CSV and JSON files.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..errors import UserError
from ..experiments import Target, resolve_runs
from ..results.layout import RunFiles
from .cifar_outputs import profile_note, write_cifar_outputs

# Targets that measure trained or fresh nets write one CSV, which their figure is drawn from.
MEASURED_CSV = {"responses": "responses.csv", "gradflow": "gradflow.csv"}


def measured_csv(target: Target, results: Path) -> Path:
    return results / target.name / MEASURED_CSV[target.engine]


def has_results(target: Target, profile: str, results: Path) -> bool:
    """Whether there is anything to draw for this target: its measured CSV, or a trained run of `profile`."""
    if target.engine in MEASURED_CSV:
        return measured_csv(target, results).exists()
    if target.engine not in ("cifar", "imagenet"):
        return False
    try:
        runs = resolve_runs(target, profile)
    except UserError:  # a profile this target does not offer
        return False
    return any(RunFiles(results, r.name).dir.exists() for r in runs)


def write_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    if target.engine == "cifar":
        return write_cifar_outputs(target, runs, results)
    if target.engine == "imagenet":
        from .imagenet_outputs import write_imagenet_table

        written = write_imagenet_table(target, runs, results) if target.section("table") is not None else []
        if target.section("figure") is not None:  # curves: same drawing as CIFAR's
            from ..plots.curves import plot_error_curves
            from ..results.aggregate import collect

            figure = target.section("figure")
            models = collect(runs, results)
            written += plot_error_curves(figure["panels"], models, target.title, profile_note(runs, models),
                                         results / target.name / target.name, tuple(figure.get("ylim", (0, 100))))
        return written
    if target.engine == "responses":
        from ..plots.responses import plot_responses

        csv_path = measured_csv(target, results)
        if not csv_path.exists():
            raise UserError(f"{csv_path} does not exist yet: `resnet-repro run {target.name}` measures it")
        return [csv_path, *plot_responses(csv_path, results / target.name / target.name, target.title,
                                          profile_note(runs))]
    if target.engine == "gradflow":
        from ..plots.gradflow import plot_gradflow

        csv_path = measured_csv(target, results)
        if not csv_path.exists():
            raise UserError(f"{csv_path} does not exist yet: `resnet-repro run {target.name}` measures it")
        return [csv_path, *plot_gradflow(csv_path, results / target.name / target.name, target.title)]
    if target.engine == "complexity":
        raise UserError(f"{target.name} is a table with nothing to draw: `resnet-repro run {target.name}` writes it")
    raise UserError(f"{target.name} cannot be drawn yet: its engine ({target.engine}) is not built")
