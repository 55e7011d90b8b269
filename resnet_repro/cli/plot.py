"""`resnet-repro plot TARGET|all`: draw figures and tables from results/ alone (no torch, no training)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

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
    from ..targets.outputs import has_results, write_outputs

    results_dir = resolve_results_dir(str(results) if results else None)
    specs = [s for s in map(load_target, target_names()) if has_results(s, profile, results_dir)] \
        if target == "all" else [load_target(target)]
    if not specs:
        console.print(f"nothing to draw: no target has results under {results_dir} for profile {profile}")
    for spec in specs:
        runs = resolve_runs(spec, profile, None, sets(set_))
        for path in write_outputs(spec, runs, results_dir):
            console.print(f"wrote {path}")
