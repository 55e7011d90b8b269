"""`resnet-repro plot TARGET|all`: draw figures and tables from results/ alone (no torch, no training)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import UserError
from ..experiments import load_target, resolve_runs, target_names
from ..results.layout import resolve_results_dir
from .common import ProfileOption, ResultsOption, SetOption, console, sets


def plot_command(
    target: str = typer.Argument(..., help="A target with a figure or table (fig1, fig6, table6), or 'all'."),
    profile: str = ProfileOption,
    set_: Optional[list[str]] = SetOption,
    results: Optional[Path] = ResultsOption,
) -> None:
    """Redraw TARGET's figure and table from the CSVs under results/."""
    from ..targets.cifar_outputs import write_cifar_outputs

    results_dir = resolve_results_dir(str(results) if results else None)
    names = [n for n in target_names() if load_target(n).engine == "cifar"] if target == "all" else [target]
    for name in names:
        spec = load_target(name)
        if spec.engine != "cifar":
            raise UserError(f"{name} has nothing to plot yet: {name}'s outputs are written by `resnet-repro run "
                            f"{name}`" if spec.engine == "complexity" else
                            f"{name} cannot be plotted yet: its engine ({spec.engine}) is not built")
        runs = resolve_runs(spec, profile, None, sets(set_))
        for path in write_cifar_outputs(spec, runs, results_dir):
            console.print(f"wrote {path}")
