"""`resnet-repro plot [TARGET|all]`: draw figures and tables from results/ alone (no torch, no training).

Without --profile, each target is redrawn for every profile that has results, each into its own folder
(results/fig6/ for the paper profile, results/fig6/cpu/ for cpu), so nothing is drawn over another
profile's outputs, and a target with no results draws nothing at all. Runs trained with `--set` overrides are
redrawn too, into their own folder (results/fig6/cpu~3f2a1c/), with the overrides their config.yaml kept.
"""

from __future__ import annotations

import errno
import shlex
from pathlib import Path
from typing import Optional

import typer

from ..basics.errors import UserError
from ..engines import get_engine
from ..engines.outputs import trained_not_measured
from ..readback.measured import requested_on_disk, with_seeds_on_disk
from ..readback.report_parts import run_command
from ..specs.experiments import (
    Target,
    load_recipe_file,
    load_target,
    profile_names,
    resolve_runs,
    target_names,
    unknown_profile,
)
from ..store.readme import ensure_results_readme
from ..store.variants import override_variants
from .common import ResultsOption, SetOption, existing_results_dir, say, sets


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
    if everything and profile is not None and profile not in profile_names():  # else a typo drew nothing, exit 0
        raise unknown_profile(profile, profile_names(), "the targets offer")
    overrides = sets(set_)
    drawn = _targets_drawn(specs, profile, everything, overrides)
    jobs, waiting, refused = [], [], {}  # waiting: (target, profile) whose nets are trained but not measured (fig7
    # after fig6); refused: a refusal of the --set -> the targets of `plot all` it does not apply to
    for spec in drawn:
        if overrides:  # that variant's runs alone; in `plot all`, named where they cannot be drawn (fig7's, not
            # measured yet), as `plot all` names each variant it finds, not an error
            try:
                found = _variant_profiles(spec, profile, overrides, results_dir)
                jobs += [(spec, p, overrides, everything) for p in found]
            except UserError as refusal:
                if not everything:
                    raise
                refused.setdefault(str(refusal), (refusal, []))[1].append(spec.name)
            continue
        profiles = get_engine(spec.engine).drawable_profiles(spec, results_dir)
        waiting += [(spec, p) for p in trained_not_measured(spec, results_dir) if profile in (None, p)]
        jobs += [(spec, p, [], False) for p in profiles if profile in (None, p)]
        if spec.recipe is not None:  # each --set variant too, with the overrides its runs recorded
            variants = override_variants(spec, results_dir)
            jobs += [(spec, p, found, True) for p, found in variants if profile in (None, p)]
    if refused and sum(len(names) for _, names in refused.values()) == len(drawn):
        raise next(iter(refused.values()))[0]  # a --set no target takes (a typo): its refusal, as for one target
    if not jobs and not everything:
        raise UserError(_nothing_to_draw(specs[0], profile, waiting, results_dir, overrides))
    _say_skipped(refused, waiting)
    if not jobs:  # what was asked for: a profile's results, a variant's runs
        say(f"nothing to draw: no target has {_asked(profile, overrides)} under {results_dir}/")
        return
    ensure_results_readme(results_dir)
    _draw(jobs, everything, results_dir)


def _targets_drawn(specs: list[Target], profile: str | None, everything: bool, overrides: list[str]) -> list[Target]:
    """The targets `plot` draws of `specs`: those with a figure or table to draw, and, with --profile or --set, that
    profile or a recipe; for one target asked for by name, one line on why it is none of those."""
    drawn = []
    for spec in specs:
        if not get_engine(spec.engine).draws:
            if not everything:
                raise UserError(
                    f"{spec.name} is a table with nothing to draw: `resnet-repro run {spec.argument}` writes it"
                )
        elif profile is not None and spec.profile(profile) is None:  # none of its recipe's, or a target without one
            if not everything:  # in `plot all --profile cpu`, the targets with that profile: no error at gradflow
                if spec.recipe is None:
                    raise UserError(f"{spec.name} has no profiles: leave --profile out")
                resolve_runs(spec, profile)  # a typo, not "run it with --profile nope": says so, naming its profiles
        elif not (everything and overrides and spec.recipe is None):  # no --set variant without a recipe, as above
            drawn.append(spec)
    return drawn


def _variant_profiles(spec: Target, profile: str | None, overrides: list[str], results: Path) -> list:
    """The profiles whose runs with these --set overrides have folders under results/runs/, of `profile` alone where
    one is asked for, else of every profile of the target (a variant's profile may have no runs without them); where
    each of those refuses the --set, the first refusal, as `run` says it."""
    names = [profile] if profile is not None or spec.recipe is None else list(load_recipe_file(spec.recipe).profiles)
    found, refusals = [], []
    for name in names:
        try:
            runs = resolve_runs(spec, name, None, overrides, requested=True)
            if any((results / "runs" / run.run_id.path).parent.is_dir() for run in runs):
                found.append(name)
        except UserError as refusal:
            refusals.append(refusal)
    if len(refusals) == len(names):
        raise refusals[0]
    return found


def _say_skipped(refused: dict, waiting: list) -> None:
    """What `plot` passes by, and why, before it draws: the targets of `plot all` that the --set does not apply to, and
    each profile whose nets are trained but not measured."""
    if refused:
        groups = "; ".join(f"{', '.join(names)} ({refusal})" for refusal, names in refused.values())
        say(f"skipped what the --set does not apply to: {groups}")
    for spec, name in waiting:
        say(f"skipped {spec.name} {name}: its {_not_measured(spec, name)}")


def _draw(jobs: list[tuple], everything: bool, results_dir: Path) -> None:
    """Each (target, profile, overrides, variant) job's outputs written and named; one line at the end names those
    that could not be drawn."""
    # what `plot all` could not draw (a damaged responses.csv, a folder where its figure belongs): named, and the exit
    # code says so at the end
    failed = []
    for spec, name, overrides, variant in jobs:
        runs = _runs_to_draw(spec, name, overrides, results_dir)
        try:
            written = get_engine(spec.engine).write_outputs(spec, runs, results_dir)
        except (UserError, OSError) as error:
            if (not variant and not everything) or not _this_targets_own(error):
                raise  # a full disk or a read-only results folder stops every target alike: one line, at once
            # A variant found on disk, not asked for, or one target of `plot all`: what cannot be drawn is named,
            # and the rest still drawn.
            drawn = " ".join([spec.name, *([runs[0].run_id.profile_folder] if runs else [])])
            said = error if isinstance(error, UserError) else _in_the_way(error)
            say(f"skipped {drawn}: {said}")
            if not variant:
                failed.append(drawn)
            continue
        for path in written:
            say(f"wrote {path}")
    if failed:
        raise UserError(
            f"could not draw {', '.join(failed)} (said above, with how to fix it); the other targets are drawn"
        )


def _runs_to_draw(spec: Target, profile: str | None, overrides: list[str], results: Path) -> list:
    """The runs a profile's outputs are drawn from: those `report` draws them from (and `run` ends with, through the
    report), every seed trained and the nets trained on request whose folders exist, so that redrawing never drops a
    seed from a table that the report counted."""
    if profile is None:
        return []
    planned = resolve_runs(spec, profile, None, overrides) if overrides else requested_on_disk(spec, profile, results)
    return with_seeds_on_disk(planned, results)


def _this_targets_own(error: Exception) -> bool:
    """Whether `error` concerns the target being drawn alone: a damaged input of its own (a UserError), or something
    in the way of one of its outputs (a folder where its figure belongs, a file where its folder belongs)."""
    return isinstance(error, UserError) or error.errno in (errno.EISDIR, errno.ENOTDIR)


def _in_the_way(error: OSError) -> str:
    """What stands where a target's output belongs, and the fix, as the one line of a single target's plot says."""
    if error.errno == errno.EISDIR:
        return f"cannot write {error.filename}: a folder stands where a file must be; move the folder away"
    return f"cannot write {error.filename}: a file stands where a folder must be on that path; move the file away"


def _asked(profile: str | None, overrides: list[str]) -> str:
    """What `plot all` was asked to draw, as "no target has ..." says it."""
    if overrides:
        return f"runs{f' of profile {profile}' if profile else ''} with {_given(overrides)}"
    return f"{profile} results" if profile else "results"


def _given(overrides: list[str]) -> str:
    """The --set pairs as a shell reads them back, to paste (a pair with a space or a quote in it, quoted)."""
    return " ".join(f"--set {shlex.quote(pair)}" for pair in overrides)


def _nothing_to_draw(target: Target, profile: str | None, waiting: list, results: Path, overrides: list[str]) -> str:
    if waiting:  # found only without --set
        return f"nothing to draw yet: {target.name}'s {waiting[0][1]} {_not_measured(target, waiting[0][1])}"
    nothing = f"nothing to draw: {target.name} has no {_asked(profile, overrides)} under {results}"
    if not (profile or overrides):
        return f"{nothing} (`resnet-repro run {target.argument}` makes them; `resnet-repro list` shows what is done)"
    options = [*(["--profile", profile] if profile else []), *([_given(overrides)] if overrides else [])]
    return f"{nothing} (`{' '.join(['resnet-repro run', target.argument, *options])}` trains them)"


def _not_measured(target: Target, profile: str) -> str:
    return f"nets are trained but not measured yet; `{run_command(target, profile)}` measures them (no training)"
