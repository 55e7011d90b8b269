"""`resnet-repro list` and `resnet-repro show TARGET`: what exists, what is done, what a run would do."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from ..basics.errors import UserError
from ..basics.words import counted, human_duration
from ..cluster.state import queue, slurm_folder, slurm_run
from ..engines import get_engine
from ..engines.outputs import trained_not_measured
from ..readback.measured import (
    Measured,
    data_name,
    planned,
    requested_on_disk,
    title_for_data,
    with_seeds_on_disk,
)
from ..readback.report_parts import run_command
from ..readers.yamlio import plain
from ..report.scoring import asked_for, claim_command, claim_text, judge_claim, label
from ..specs.config import RunConfig
from ..specs.experiments import (
    load_recipe_file,
    load_target,
    only_on_request,
    parse_seeds,
    resolve_runs,
    target_names,
)
from ..specs.naming import parse_model_name
from ..specs.run_id import NotMeasurable, RunStatus
from ..store.layout import RunFiles, RunRecord, config_conflict_fix, read_run, resolve_results_dir
from ..store.lock import is_training
from ..train.clock import measured_throughput, seconds_left, unmeasured_models
from .common import OnlyOption, ProfileOption, ResultsOption, SeedsOption, SetOption, console, sets

NARROW = 120  # list's columns whole need about 160 columns; under this many, the engine joins the title's cell
SHOW_ROOM = 46  # show's status and what differs beside the run names: the table's frame and 36 columns to read them
DIFFERENT = "trained with a different config"  # than the recipe's now: `run` refuses the folder
RUNS_DONE = "runs done (per profile), training time left on this machine"


def list_command(results: Optional[Path] = ResultsOption) -> None:
    """Every target, what it computes, runs done per profile, and the training time left (from measured img/s)."""
    results_dir = resolve_results_dir(str(results) if results else None)
    jobs = slurm_queue(results_dir)
    throughput = measured_throughput(results_dir)
    # A terminal under 120 columns: the engine in the title's cell, not a column of its own, which leaves the
    # title and the runs done room enough to read
    width = _reading_width()
    narrow = width < NARROW
    columns = ("target", "what", *(() if narrow else ("engine",)), RUNS_DONE)
    table = Table(*columns, title="resnet-repro targets")
    for name in target_names():
        spec = load_target(name)
        done = []
        waiting = trained_not_measured(spec, results_dir)
        for profile in load_recipe_file(spec.recipe).profiles if spec.recipe else ():
            runs = resolve_runs(spec, profile)
            # counted as its table counts them: every seed trained (`run --seeds 0,1`), not only those planned,
            # and a net trained only on request (`run fig6 --only plain-110`) once its folder is there
            counted_runs = with_seeds_on_disk(requested_on_disk(spec, profile, results_dir), results_dir)
            records = [read_run(results_dir, r) for r in counted_runs]
            statuses = [_status(results_dir, spec, r, record) for r, record in zip(counted_runs, records)]
            # finished with another config than the recipe's (`run` refuses them; show says so of each)
            differ = sum(bool(record.differs) and not record.left_out for record in records)
            finished = statuses.count(RunStatus.FINISHED.value)
            # finished, but not measurable (its table: "finished, not measured (10-crop): it keeps no checkpoint
            # to measure it from"): not done, and only training it again measures it
            again = [run.name for run, s in zip(counted_runs, statuses) if isinstance(s, NotMeasurable)]
            on_slurm = _on_slurm(results_dir, runs, jobs)
            # every profile with a run begun, finished or not, or on Slurm; the default always (what it is for)
            if any(s != "not started" for s in statuses) or profile == spec.default_profile or on_slurm:
                left = seconds_left(runs, results_dir, throughput, again) if finished < len(counted_runs) else 0
                damaged = sum(s.startswith("damaged") for s in statuses)  # show names each, and why
                begun = ", ".join(
                    [f"{statuses.count(s)} {s}" for s in ("running", "unfinished") if s in statuses]
                    + ([f"{damaged} damaged"] if damaged else [])
                    + ([f"{differ} {DIFFERENT}"] if differ else [])
                    + ([f"{len(again)} not measurable"] if again else [])
                )
                done.append(
                    f"{profile} {finished}/{len(counted_runs)}{f' ({begun})' if begun else ''}{on_slurm}"
                    + (f", {human_duration(left)} left" if left else _unknown_time(runs, throughput))
                    + (_not_measured(spec, profile, runs, finished == len(counted_runs)) if profile in waiting else "")
                )
        runs_done = Text(", ".join(done) or "no training")  # text: a profile's [x] is no markup
        if narrow:
            table.add_row(name, Text(f"{spec.title} (engine: {spec.engine})"), runs_done)
        else:
            table.add_row(name, Text(spec.title), spec.engine, runs_done)
    console.print(table, width=width)


def _reading_width() -> int:
    """The width `list` is laid out for: the console's, or where stdout is a pipe from a command typed at a terminal
    (`list | less`), that terminal's, read from stdin or stderr. Only `list`: the logs of `run ... > log` keep the
    console's width, so that their tables' cells are not cut short."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return console.width
    for stream in (sys.stdin, sys.stderr):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal, closed, or no file descriptor (a test's)
            continue
    return console.width


def _not_measured(spec, profile: str, runs: list[RunConfig], all_finished: bool) -> str:
    """A measuring target's (fig7's) profile whose runs are all trained but not measured: said after its count. Where
    a further seed (`run --seeds`) is still running or unfinished, the runs it measures are named by number, so the
    count beside it (6/7, 1 running) is not said to be trained."""
    which = "" if all_finished else f" the {counted(len(runs), 'run')} it measures are"
    return f",{which} trained, not measured yet (`{run_command(spec, profile)}`)"


def _unknown_time(runs: list, throughput: dict[str, float]) -> str:
    """Which nets' speed this machine has not measured, and how to measure it: bench covers CIFAR-size nets."""
    missing = unmeasured_models(runs, throughput)
    if not missing:
        return ""
    if any(parse_model_name(model).family != "cifar" for model in missing):  # bench measures CIFAR-size nets
        how = "a run's first log point measures it"
    else:
        how = f"`resnet-repro bench {' '.join(f'--model {model}' for model in missing)}`"
    return f", time left unknown (no img/s measured here for {', '.join(missing)}: {how})"


def show_command(
    target: str = typer.Argument(..., help="A target name or a path to your own .yaml."),
    profile: Optional[str] = ProfileOption,
    seeds: Optional[str] = SeedsOption,
    only: Optional[str] = OnlyOption,
    set_: Optional[list[str]] = SetOption,
    results: Optional[Path] = ResultsOption,
) -> None:
    """The runs TARGET resolves to, their status, the resolved recipe and the paper's numbers."""
    results_dir = resolve_results_dir(str(results) if results else None)
    spec = load_target(target)
    asked = profile
    profile = spec.default_profile if profile is None else profile
    runs = resolve_runs(spec, profile, parse_seeds(seeds), sets(set_), only)
    # every seed trained (`run --seeds 0,1`) and every net trained on request whose folder is there, as list and the
    # tables count them, unless --seeds names which (or --only and --set pick the nets, as `plot --set` does)
    on_disk = runs if only or set_ else requested_on_disk(spec, profile, results_dir)
    listed = runs if seeds is not None else _by_net(with_seeds_on_disk(on_disk, results_dir))
    title = title_for_data(spec.title, runs[0].data.dataset) if runs else spec.title  # the data this profile uses
    # the header's values are text, never markup: a path's [x] (a folder of the target file), a title's [red]
    console.print(f"[bold]{escape(spec.name)}[/bold]: {escape(title)}")
    console.print(f"engine: {spec.engine} ({get_engine(spec.engine).description}); file: {spec.path}", markup=False)
    if spec.recipe:
        profile_spec = load_recipe_file(spec.recipe).profiles[profile]
        console.print(f"profile: {profile}: {profile_spec.description}", markup=False)
        for deviation in profile_spec.deviations:
            console.print(f"  deviation from the paper: {deviation}", markup=False)
        if runs:
            data = _data_line(planned(spec, profile, runs), [read_run(results_dir, run) for run in listed])
            console.print(f"data: {data}", highlight=False, markup=False)
        elif why := only_on_request(spec, profile, runs):  # `run` refuses it so: no listing would look like no work
            console.print(f"runs: none: {why}", highlight=False, markup=False)
    if runs:
        # each run's name whole, on one line where the terminal has room; where the two other columns would have
        # too little room beside the names to be read, what differs joins the status's cell
        joined = console.width - max(len(run.name) for run in listed) < SHOW_ROOM
        columns = (Column("status", overflow="fold"), *(() if joined else ("differs from the first run",)))
        table = Table(Column("run", no_wrap=True, overflow="fold"), *columns, title=counted(len(listed), "run"))
        first = runs[0].settings
        jobs = slurm_queue(results_dir)
        for run in listed:
            on_slurm = slurm_run(results_dir, run.name, jobs)
            status = on_slurm.describe(run.recipe.iterations) if on_slurm else _show_status(results_dir, spec, run)
            differs = _difference(first, run)
            if joined:
                cells = [Text(f"{status}; differs from the first run: {differs}" if differs else status)]
            else:
                cells = [Text(status), differs]
            # text: a path's [old] in a status, a profile's [x] in a run's name, is no markup
            table.add_row(Text(run.name), *cells)
        console.print(table)
        if asked is None and not any(RunFiles(results_dir, run.name).dir.is_dir() for run in listed):
            if others := _profiles_with_runs(spec, profile, results_dir):  # the main job's runs are cpu's
                console.print(
                    f"no run of the {profile} profile is here; {', '.join(others)} runs are: "
                    f"`resnet-repro show {spec.argument} --profile {others[0]}`",
                    markup=False,
                )
        console.print("resolved config (first run; `--set KEY=VALUE` overrides any of these keys):")
        console.print(yaml.safe_dump(plain(runs[0].to_dict()["settings"]), sort_keys=False).rstrip())
    _print_paper(spec)
    # The claims are over every net the profile trains, not only those --only picks, and every net trained only on
    # request whose folder is there (`run fig6 --only plain-110`), as the report judges them
    _print_claims(spec, profile, requested_on_disk(spec, profile, results_dir, parse_seeds(seeds), sets(set_)))


def _profiles_with_runs(spec, default: str, results_dir: Path) -> list[str]:
    """The target's other profiles with a run folder here: where `show` without --profile finds none of its default
    profile's, it names them (a user who ran the main job at --profile cpu sees its runs, not ten "not started")."""
    found = []
    for name in load_recipe_file(spec.recipe).profiles if spec.recipe else ():
        try:
            runs = resolve_runs(spec, name) if name != default else []
        except UserError:  # a profile the target does not train
            continue
        if any(RunFiles(results_dir, run.name).dir.is_dir() for run in runs):
            found.append(name)
    return found


def _by_net(runs: list[RunConfig]) -> list[RunConfig]:
    """`runs` with each net's seeds together (a further seed after its net's planned ones), the nets in their order."""
    nets = list(dict.fromkeys(run.name.rpartition("/")[0] for run in runs))
    return sorted(runs, key=lambda run: nets.index(run.name.rpartition("/")[0]))


def _data_line(plan: Measured, trained: list[RunRecord]) -> str:
    """The data a profile trains on, and whether it is the paper's: not where the runs trained (`trained`) record
    files that differ from the official release (data/cifar.py checks them against the release's digests)."""
    name = data_name(plan.dataset)
    if plan.proxy:
        return (
            f"{name}, a proxy for {data_name(plan.paper_data)}: the claims (orderings) are checked, never the numbers "
            f"against the paper's"
        )
    checked = [(record.meta.get("data") or {}).get("official_checksums") for record in trained]
    unofficial = sum(check is False for check in checked)
    if unofficial:
        runs = counted(sum(check is not None for check in checked), "run")
        return (
            f"{name} (not the official files: {unofficial} of {runs} trained on files that differ from the official "
            f"release, so not the paper's data)"
        )
    return f"{name} (the paper's data)"


def _print_paper(spec) -> None:
    """The paper's numbers as a table and its claims as sentences: what `run` and `report` check."""
    table = spec.section("table")
    paper = table.paper if table is not None else {}
    if paper:
        metrics = [m for m in ("test_error", "top1_error", "top5_error") if any(m in v for v in paper.values())]
        out = Table(title=f"the paper's numbers (error, %){'; ' + table.protocol if table.protocol else ''}")
        for column in ["net", *[m.replace("_", " ") for m in metrics], "params"]:
            out.add_column(column, justify="left" if column == "net" else "right")
        for net, values in paper.items():
            cells = {metric: "" if values.get(metric) is None else f"{float(values[metric]):.2f}" for metric in metrics}
            if "test_error" in cells and "mean" in values:
                cells["test_error"] += f" (mean {float(values['mean']):.2f} ± {float(values['std']):.2f})"
            params = values.get("params")
            out.add_row(net, *cells.values(), "" if params is None else f"{float(params) / 1e6:.2f}M")
        console.print(out)
    context = table.context if table is not None else ()
    if context:
        console.print(
            "other papers' results (context only): "
            + "; ".join(
                f"{c['model']} " + "/".join(str(c[m]) for m in ("top1_error", "top5_error", "test_error") if m in c)
                for c in context
            ),
            highlight=False,
            markup=False,  # the names a target file gives, as written
        )
    nets = spec.section("nets", ())
    if nets:
        out = Table(title="nets counted, with the paper's figures where it gives them (torchvision's: a reference)")
        for column in ("net", "input", "paper params", "torchvision params", "paper mult-adds"):
            out.add_column(column, justify="left" if column == "net" else "right")
        for net in nets:
            name = net.model + (f"-{net.shortcut}" if net.shortcut else "") + (f" {net.variant}" if net.variant else "")
            out.add_row(
                name,
                "x".join(map(str, net.input)),
                f"{int(net.paper_params):,}" if net.paper_params else "",
                f"{int(net.torchvision_params):,}" if net.torchvision_params else "",
                f"{net.paper_flops / 1e9:.1f} G" if net.paper_flops else "",
            )
        console.print(out)


def _print_claims(spec, profile: str, runs: list[RunConfig]) -> None:
    """The paper's claims as sentences, each over the nets this profile trains (what `run` and `report` check), and
    where the paper's own gap is inside the band at the seeds this profile trains, the seeds that resolve it."""
    if not spec.claims:
        return
    over = f", over the nets the {profile} profile trains" if spec.recipe else ""
    console.print(f"claims checked (lowest first){over}:", markup=False)
    plan = planned(spec, profile, runs)  # the seeds per net a paper gap needs, and whether the data is a proxy
    trained = set(plan.expected) if spec.recipe else None
    for claim in spec.claims:
        kept = [key for key in claim.order if trained is None or key in trained]
        asked = asked_for(spec, claim, profile)
        if len(kept) >= claim.needs:
            text = claim_text(claim, trained)
        elif asked:
            text = f"{claim_text(claim)}: trained on request, `{run_command(spec, profile)} --only {asked[0]}`"
        else:
            nets = ", ".join(label(key) for key in claim.order)
            text = f"{claim.says}: not checked by this profile (it trains {len(kept)} of {nets})"
        console.print(f"  - {text} [{claim.section}]", highlight=False, markup=False)
        if len(kept) < claim.needs:
            continue
        verdict = judge_claim(spec, claim, {}, set(kept), plan if runs else None)  # no runs: the paper's seeds
        if verdict.seeds:
            command = claim_command(spec, profile, verdict)
            console.print(f"      {verdict.detail}", highlight=False, markup=False, soft_wrap=True)
            console.print(f"      {verdict.seeds} seeds per net: {command}", highlight=False, markup=False)


def slurm_queue(results: Path) -> dict[str, str] | None:
    """squeue's jobs, asked only where runs of this results folder were submitted to Slurm."""
    return queue() if slurm_folder(results).is_dir() else None


def _on_slurm(results: Path, runs: list[RunConfig], jobs: dict[str, str] | None) -> str:
    """`, 2 queued, 1 running on Slurm`: a profile's runs whose jobs have not ended them."""
    states = [found.state for found in (slurm_run(results, r.name, jobs) for r in runs) if found is not None]
    counts = [f"{states.count(state)} {state}" for state in ("queued", "running", "failed") if state in states]
    return f", {', '.join(counts)} on Slurm" if counts else ""


def _status(results: Path, spec, run: RunConfig, record: RunRecord) -> str:
    """The status of a run whose folder reads as `record` (read_run's), as `list` and `show` say it."""
    if record.left_out:  # worded as tables and the report word it: a damaged folder, or a log that disagrees
        return f"damaged: {record.left_out}"
    # a run whose lock a process holds is training now, not left unfinished by one that stopped
    if not record.status.ended and is_training(RunFiles(results, run.name).dir):
        return "running"
    return get_engine(spec.engine).run_status(spec, run, record, results)  # as the target's table words it


def _show_status(results: Path, spec, run: RunConfig) -> str:
    """The run's status, and where its config.yaml is not the config the recipe resolves to now, that `run` refuses
    its folder, with the advice `run` gives: its numbers stay in the tables, but they are of that other config."""
    record = read_run(results, run)
    status = _status(results, spec, run, record)
    if record.differs and not record.left_out:
        files = RunFiles(results, run.name)
        return f"{status}, {DIFFERENT} ({record.differs}); `run` refuses it. {config_conflict_fix(files)}"
    return status


def _difference(first, run: RunConfig) -> str:
    if run.settings == first:
        return ""
    if run.recipe.warmup != first.recipe.warmup:
        warmup = run.recipe.warmup
        if warmup is None:
            return "no warm-up"
        return f"warm-up: lr {warmup.lr:g} until training error < {warmup.until_train_error_below:g}%"
    return "settings differ"
