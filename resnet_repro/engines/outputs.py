"""Write a target's table/figure from results/ alone: what `plot` does, and what `run` ends with.

No torch here: every output is drawn from CSV and JSON files.
"""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..errors import UserError
from ..experiments import Target
from ..store.measured import measure, profiles_with_results, title_for_data
from ..store.paths import output_dir, runs_profile
from .cifar_outputs import profile_note, write_cifar_outputs

# Targets that measure trained or fresh nets write one CSV, which their figure is drawn from.
MEASURED_CSV = {"responses": "responses.csv", "gradflow": "gradflow.csv"}


def measured_csv(target: Target, results: Path, profile: str | None = None) -> Path:
    return output_dir(results, target, profile) / MEASURED_CSV[target.engine]


def has_results(target: Target, profile: str | None, results: Path) -> bool:
    """Whether there is anything to draw for this target under `profile` (None: a target without profiles)."""
    if target.engine == "gradflow":
        return measured_csv(target, results).exists()
    if target.engine not in ("cifar", "imagenet", "responses") or profile is None:
        return False
    return measure(target, profile, results).has_results


def drawable_profiles(target: Target, results: Path) -> list[str | None]:
    """The profiles `plot TARGET` redraws: every named profile with results ([None] for gradflow's single output)."""
    if target.engine == "gradflow":
        return [None] if has_results(target, None, results) else []
    if target.engine not in ("cifar", "imagenet", "responses"):
        return []
    return profiles_with_results(target, results)


def write_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    profile = runs_profile(runs)
    folder = output_dir(results, target, profile)
    if target.engine == "cifar":
        return write_cifar_outputs(target, runs, results)
    if target.engine == "imagenet":
        from .imagenet_outputs import write_imagenet_table

        from .cifar_outputs import write_curve_table

        written = write_imagenet_table(target, runs, results) if target.section("table") is not None else \
            write_curve_table(target, runs, results)
        if target.section("figure") is not None:  # curves: same drawing as CIFAR's
            from ..plots.curves import plot_error_curves
            from ..store.aggregate import collect

            figure = target.section("figure")
            models = collect(runs, results)
            written += plot_error_curves(figure["panels"], models, target.title, profile_note(runs, models),
                                         folder / target.name, tuple(figure.get("ylim", (0, 100))))
        return written
    if target.engine == "responses":
        from ..plots.layer_response_figure import plot_responses
        from .layer_responses_outputs import write_response_table

        csv_path = measured_csv(target, results, profile)
        if not csv_path.exists():
            command = f"resnet-repro run {target.name}" + (f" --profile {profile}" if profile != "paper" else "")
            raise UserError(f"{csv_path} does not exist yet: `{command}` measures it")
        dataset = runs[0].data.dataset if runs else "cifar10"
        return [csv_path, *write_response_table(target, runs, results),
                *plot_responses(csv_path, folder / target.name, title_for_data(target.title, dataset),
                                profile_note(runs), profile)]
    if target.engine == "gradflow":
        from ..plots.gradient_norm_figure import plot_gradflow

        csv_path = measured_csv(target, results)
        if not csv_path.exists():
            raise UserError(f"{csv_path} does not exist yet: `resnet-repro run {target.name}` measures it")
        return [csv_path, *plot_gradflow(csv_path, folder / target.name, target.title)]
    if target.engine == "complexity":
        raise UserError(f"{target.name} is a table with nothing to draw: `resnet-repro run {target.name}` writes it")
    raise UserError(f"{target.name} cannot be drawn yet: its engine ({target.engine}) is not built")
