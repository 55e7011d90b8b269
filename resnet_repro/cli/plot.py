"""`resnet-repro plot [TARGET|all]`: draw figures and tables from results/ alone (no torch, no training).

Without --profile, each target is redrawn for every profile that has results, each into its own folder
(results/fig6/ for the paper profile, results/fig6/cpu/ for cpu), so nothing is drawn over another
profile's outputs, and a target with no results draws nothing at all. Runs trained with `--set` overrides are
redrawn too, into their own folder (results/fig6/cpu~3f2a1c/), with the overrides their config.yaml kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..engines import get_engine
from ..engines.outputs import trained_not_measured
from ..errors import UserError
from ..experiments import Target, load_target, resolve_runs, target_names
from ..report_parts import run_command
from ..store.readme import ensure_results_readme
from ..store.variants import override_variants
from .common import ResultsOption, SetOption, console, existing_results_dir, sets


def plot_command(
    target: str = typer.Argument("all", help="A target with a figure or table (fig1, fig6, table6, ...), or 'all'."),
    profile: Optional[str] = typer.Option(
        None, "--profile", "-p", help="Only this profile [default: every profile that has results]."
    ),
    set_: Optional[list[str]] = SetOption,
    results: Optional[Path] = ResultsOption,
) -> None:
    """Redraw figures and tables from the CSVs under results/, for every profile that has results."""
    results_dir = existing_results_dir(results)
    everything = target.lower() == "all"
    specs = [load_target(name) for name in target_names()] if everything else [load_target(target)]
    jobs = []
    for spec in specs:
        engine = get_engine(spec.engine)
        if not engine.draws:
            if not everything:
                raise UserError(
                    f"{spec.name} is a table with nothing to draw: `resnet-repro run {spec.name}` writes it"
                )
            continue
        profiles = engine.drawable_profiles(spec, results_dir)
        waiting = trained_not_measured(spec, results_dir) if not set_ else []
        if profile is not None:
            if spec.recipe is None:
                raise UserError(f"{spec.name} has no profiles: leave --profile out")
            profiles = [profile] if set_ else [p for p in profiles if p == profile]  # --set: that variant's runs
            waiting = [p for p in waiting if p == profile]
        if waiting and not everything and not profiles:
            raise UserError(f"nothing to draw yet: {spec.name}'s {waiting[0]} {_not_measured(spec, waiting[0])}")
        for name in waiting:
            console.print(f"skipped {spec.name} {name}: its {_not_measured(spec, name)}", highlight=False)
        if profile is not None:
            if not profiles and not everything:
                raise UserError(
                    f"nothing to draw: {spec.name} has no {profile} results under {results_dir} "
                    f"(`resnet-repro run {spec.name} --profile {profile}` trains them)"
                )
        jobs += [(spec, p, sets(set_), False) for p in profiles]
        if not set_ and spec.recipe is not None:  # each --set variant too, with the overrides its runs recorded
            variants = override_variants(spec, results_dir)
            jobs += [(spec, p, overrides, True) for p, overrides in variants if profile is None or p == profile]
    if not jobs:
        if not everything:
            raise UserError(
                f"nothing to draw: {specs[0].name} has no results under {results_dir} "
                f"(`resnet-repro run {specs[0].name}` makes them; `resnet-repro list` shows what is done)"
            )
        console.print(f"nothing to draw: no target has results under {results_dir}/")
        return
    ensure_results_readme(results_dir)
    for spec, name, overrides, variant in jobs:
        runs = resolve_runs(spec, name, None, overrides) if name is not None else []
        try:
            written = get_engine(spec.engine).write_outputs(spec, runs, results_dir)
        except UserError as error:
            if not variant:
                raise
            # A variant found on disk, not asked for: what cannot be drawn is named, and the rest still drawn.
            console.print(f"skipped {spec.name} {runs[0].run_id.profile_folder}: {error}", highlight=False)
            continue
        for path in written:
            console.print(f"wrote {path}")


def _not_measured(target: Target, profile: str) -> str:
    return f"nets are trained but not measured yet; `{run_command(target, profile)}` measures them (no training)"
