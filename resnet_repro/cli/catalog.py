"""`resnet-repro list` and `resnet-repro show TARGET`: what exists, what is done, what a run would do."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.table import Table

from ..config import RunConfig
from ..experiments import ENGINES, load_recipe_file, load_target, parse_seeds, resolve_runs, target_names
from ..results.estimate import human_duration, measured_throughput, seconds_left
from ..results.layout import RunFiles, read_json, resolve_results_dir
from ..yamlio import plain
from .common import OnlyOption, ProfileOption, ResultsOption, SeedsOption, SetOption, console, sets


def list_command(results: Optional[Path] = ResultsOption) -> None:
    """Every target, what it computes, runs done per profile, and the training time left (from measured img/s)."""
    results_dir = resolve_results_dir(str(results) if results else None)
    throughput = measured_throughput(results_dir)
    table = Table(title="resnet-repro targets")
    for column in ("target", "what", "engine", "runs done (per profile), training time left on this machine"):
        table.add_column(column)
    for name in target_names():
        spec = load_target(name)
        done = []
        if spec.recipe:
            for profile in load_recipe_file(spec.recipe).profiles:
                runs = resolve_runs(spec, profile)
                finished = sum(_status(results_dir, r) == "finished" for r in runs)
                if finished or profile == "paper":
                    left = seconds_left(runs, results_dir, throughput) if finished < len(runs) else 0
                    cost = "" if left == 0 else f", {human_duration(left)} left" if left is not None else \
                        ", time left unknown (no throughput measured for some nets)"
                    done.append(f"{profile} {finished}/{len(runs)}{cost}")
        table.add_row(name, spec.title, spec.engine, ", ".join(done) or "no training")
    console.print(table)


def show_command(
    target: str = typer.Argument(..., help="A target name or a path to your own .yaml."),
    profile: str = ProfileOption,
    seeds: Optional[str] = SeedsOption,
    only: Optional[str] = OnlyOption,
    set_: Optional[list[str]] = SetOption,
    results: Optional[Path] = ResultsOption,
) -> None:
    """The runs TARGET resolves to, their status, the resolved recipe and the paper's numbers."""
    results_dir = resolve_results_dir(str(results) if results else None)
    spec = load_target(target)
    console.print(f"[bold]{spec.name}[/bold]: {spec.title}")
    console.print(f"engine: {spec.engine} ({ENGINES[spec.engine]}); file: {spec.path}")
    runs = resolve_runs(spec, profile, parse_seeds(seeds), sets(set_), only)
    if spec.recipe:
        profile_spec = load_recipe_file(spec.recipe).profiles[profile]
        console.print(f"profile: {profile}: {profile_spec.description}")
        for deviation in profile_spec.deviations:
            console.print(f"  deviation from the paper: {deviation}")
    if runs:
        table = Table(title=f"{len(runs)} runs")
        for column in ("run", "status", "differs from the first run"):
            table.add_column(column)
        first = runs[0].settings
        for run in runs:
            table.add_row(run.name, _status(results_dir, run), _difference(first, run))
        console.print(table)
        console.print("resolved config (first run; `--set KEY=VALUE` overrides any of these keys):")
        console.print(yaml.safe_dump(plain(runs[0].to_dict()["settings"]), sort_keys=False).rstrip())
    for key in ("paper", "table", "nets"):
        if spec.section(key) is not None:
            console.print(f"{key}:")
            console.print(yaml.safe_dump(plain(spec.section(key)), sort_keys=False, width=110).rstrip())


def _status(results: Path, run: RunConfig) -> str:
    files = RunFiles(results, run.name)
    final = read_json(files.final)
    if final:
        return final.get("status", "unknown")
    return "unfinished" if files.checkpoint.exists() or files.metrics.exists() else "not started"


def _difference(first, run: RunConfig) -> str:
    if run.settings == first:
        return ""
    if run.recipe.warmup != first.recipe.warmup:
        return f"warm-up {run.recipe.warmup}"
    return "settings differ"
