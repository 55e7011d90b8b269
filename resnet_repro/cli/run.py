"""`resnet-repro run TARGET`: train what a target needs, then write its table and/or figure."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import typing
from pathlib import Path
from typing import Optional

import typer

from ..basics.errors import Stopped, UserError, excerpt
from ..basics.launch import launched_world_size
from ..basics.words import also_damaged, counted
from ..cluster.jobside import train_named_runs
from ..cluster.resources import RESOURCES_ENV, engine_defaults, read_resources
from ..cluster.state import read_outputs_record, slurm_folder, write_outputs_record
from ..cluster.submit import check_cluster, check_processes, pending_names, submit_target
from ..cluster.wait import Terminated, follow_jobs
from ..data.sources import resolve_data_dir
from ..engines import get_engine
from ..readback.measured import with_seeds_on_disk
from ..report import write_report
from ..report.console import console_summary, section_summary
from ..specs.config import MAX_THREADS, TrainOptions
from ..specs.experiments import load_target, only_on_request, parse_seeds, pick_runs, resolve_runs
from ..store.layout import RunFiles, damage_fix, read_run, resolve_results_dir, run_damage
from ..store.paths import runs_profile
from ..store.readme import ensure_results_readme
from ..store.results_file import JSON_BYTES, DamagedFile, read_bytes
from ..train.context import RunContext
from .common import (
    DataDirOption,
    DeviceOption,
    OnlyOption,
    ProfileOption,
    ResultsOption,
    SeedsOption,
    SetOption,
    console,
    say,
    sets,
)
from .progress import RichReporter


def run_command(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A target (table1, fig1, fig6, table6, ...) or a path to your own .yaml."),
    profile: Optional[str] = ProfileOption,
    seeds: Optional[str] = SeedsOption,
    only: Optional[str] = OnlyOption,
    set_: Optional[list[str]] = SetOption,
    results: Optional[Path] = ResultsOption,
    data_dir: Optional[Path] = DataDirOption,
    device: str = DeviceOption,
    download: bool = typer.Option(False, "--download", help="Fetch a missing dataset with torchvision's downloader."),
    precision: Optional[str] = typer.Option(
        None,
        "--precision",
        help="fp32 (IEEE, also on a GPU), tf32 (the GPU matrix units' fp32 mode) or bf16 (autocast, fp32 master "
        "weights); tf32 and bf16 are recorded deviations, the same as --set train.precision=... [default: fp32].",
    ),
    threads: Optional[int] = typer.Option(
        None,
        "--threads",
        help="Pin the CPU thread count (recorded; same as --set train.threads=N): the same digits on a busy or an "
        "idle machine, resumes included [default: the cores other work leaves free].",
    ),
    compile_: bool = typer.Option(
        False, "--compile", help="torch.compile the model (recorded; same as --set train.compile=true)."
    ),
    jobs: Optional[int] = typer.Option(
        None,
        "--jobs",
        "-j",
        help="Train up to N runs at once, each in its own process [default: 1, or one per GPU of --devices].",
    ),
    devices: Optional[str] = typer.Option(
        None, "--devices", help="GPUs to spread --jobs over, e.g. 0,1 (with --device cuda)."
    ),
    pack: Optional[int] = typer.Option(
        None,
        "--pack",
        help="Train up to N runs together in this process, each on its own CUDA stream, the same numbers as alone "
        "[default: every CIFAR-style run on a GPU (up to 24), 1 on a CPU]; --pack 1 trains one at a time.",
    ),
    slurm: bool = typer.Option(
        False,
        "--slurm",
        help="Submit the runs to Slurm instead of training here: one job per run (a job array), then one job that "
        "writes the tables, figures and the report; prints the job ids and how to cancel them.",
    ),
    resources_file: Optional[Path] = typer.Option(
        None,
        "--resources",
        envvar=RESOURCES_ENV,
        help="With --slurm: a YAML file of what each job asks for (partition, account, qos, time, nodes, "
        "gpus_per_node, tasks_per_node, cpus_per_task, mem, ...); docs/cluster.md.",
    ),
    resource: Optional[list[str]] = typer.Option(
        None,
        "--resource",
        metavar="KEY=VALUE",
        help="With --slurm: override one resource, e.g. --resource time=4:00:00.",
    ),
    wait: bool = typer.Option(False, "--wait", help="With --slurm: follow the jobs until the outputs are written."),
    slurm_run: Optional[list[str]] = typer.Option(None, "--slurm-run", hidden=True),  # an array's job: these runs
    slurm_outputs: bool = typer.Option(False, "--slurm-outputs", hidden=True),  # the last job: train nothing, write
) -> None:
    """Train the runs TARGET needs (skipping finished ones, resuming unfinished ones) and write its outputs."""
    spec = load_target(target)
    engine = get_engine(spec.engine)
    results_dir = resolve_results_dir(str(results) if results else None)
    if spec.recipe is None:  # nothing trains: still refuse options that cannot apply, before writing anything
        resolve_runs(spec, profile, parse_seeds(seeds), sets(set_), only)
    if not engine.trains:
        if _slurm_asked(ctx, slurm, resource, wait, jobs, devices):  # a bad --resource too went unread
            raise UserError(f"--slurm: {spec.name} trains nothing ({engine.description}); leave --slurm out")
        _make_here(spec, engine, results_dir)
        return
    train = typed_options(precision, compile_, threads)
    refuse_option_clashes(sets(set_), train)
    all_runs = resolve_runs(spec, profile, parse_seeds(seeds), sets(set_), train=train, requested=only or False)
    if why := only_on_request(spec, profile, all_runs):  # said in one line (as `models: []` is), never an empty success
        raise UserError(why)
    check_threads(all_runs, "--threads" if threads is not None else "--set train.threads")
    refuse_damaged_files(all_runs, results_dir)  # before anything is written or trained
    runs = pick_runs(all_runs, only)
    if _slurm_asked(ctx, slurm, resource, wait, jobs, devices):
        overrides = list(all_runs[0].overrides) if all_runs else sets(set_)  # --set, and the typed options as --set
        profile = profile or spec.default_profile
        job_command = slurm_job_command(
            target, spec, profile, seeds, only, overrides, device, results_dir, data_dir, pack
        )
        submit_to_slurm(spec, engine, runs, results_dir.resolve(), job_command, resources_file, resource, wait, pack)
        return
    from ..train.device import resolve_device, resolve_job_devices  # torch: only when something trains

    data_folder, named = resolve_data_dir(str(data_dir) if data_dir else None, download)
    job_devices = resolve_job_devices(devices, resolve_device(device), device)
    context = RunContext(
        results_dir,
        data_folder,
        job_devices[0],
        job_devices,
        check_jobs(jobs if jobs is not None else len(job_devices)),
        download,
        RichReporter(),
        " ".join(["resnet-repro", *sys.argv[1:]]),
        target=spec.name,
        pack=check_pack(pack, jobs),
        data_dir_named=named,
    )
    if slurm_run:
        train_named_runs(spec, all_runs, slurm_run, context)
        return
    outcome = engine.run(spec, [] if slurm_outputs else runs, all_runs, context)
    if outcome.written is None:  # another process of a torchrun launch: rank 0 reports and writes
        return
    _close(spec, outcome, all_runs, results_dir, slurm_outputs)


def _close(spec, outcome, all_runs, results_dir: Path, slurm_outputs: bool) -> None:
    """What every `run` that trained or wrote ends with; the outputs job on Slurm records, as its last step, what it
    wrote (for `run --slurm --wait`, which has no other sign that it ended well)."""
    show_outcome(outcome)
    report = None
    if all_runs and all_runs[0].run_id.tag is None:  # runs with --set overrides: their own table, no claims
        report = _finish(console_summary(spec, runs_profile(all_runs), results_dir), results_dir)
    failed = [r.name for r in outcome.reports if r.status == "failed"]
    if failed:
        raise UserError(f"{counted(len(failed), 'run')} failed: {', '.join(failed)}; see their final.json")
    refuse_damaged_runs(all_runs, results_dir)
    if slurm_outputs and os.environ.get("SLURM_JOB_ID"):
        write_outputs_record(results_dir, os.environ["SLURM_JOB_ID"], outcome.written, report)


def typed_options(precision: str | None, compile_: bool, threads: int | None) -> dict:
    """--precision, --compile and --threads, those given, as the train settings each is short for."""
    if threads is not None and not 1 <= threads <= MAX_THREADS:  # said as --threads, not as the --set it is short for
        bound = "1 or more (e.g. --threads 2)" if threads < 1 else f"at most {MAX_THREADS}"
        raise UserError(f"--threads {threads}: give the number of CPU threads to train on, {bound}")
    precisions = typing.get_args(typing.get_type_hints(TrainOptions)["precision"])
    if precision is not None and precision not in precisions:  # said as --precision, not as the --set it is short for
        raise UserError(f"--precision {excerpt(precision)}: use one of {', '.join(precisions)}")
    typed = {"precision": precision or None, "compile": compile_ or None, "threads": threads}
    return {key: value for key, value in typed.items() if value is not None}


def _make_here(spec, engine, results_dir: Path) -> None:
    """A target that trains nothing (table1, gradflow): measured and written here."""
    ensure_results_readme(results_dir)
    show_outcome(engine.run(spec, [], [], RunContext(results_dir, reporter=RichReporter())))
    _finish(section_summary(spec, results_dir), results_dir)


def _slurm_asked(ctx, slurm: bool, resource, wait: bool, jobs: int | None, devices: str | None) -> bool:
    """Whether this `run` submits to Slurm, the options that need --slurm or refuse it checked: --resources (named on
    the command line), --resource and --wait need --slurm; --jobs and --devices, which spread runs over this machine,
    refuse it. --resources counts where it is named on the command line: $RESNET_REPRO_SLURM_RESOURCES may stay set
    for local runs."""
    source = ctx.get_parameter_source("resources_file")  # typer's click may be a copy of its own: its name, then
    named = getattr(source, "name", None) == "COMMANDLINE"
    if not (slurm or resource or wait or named):
        return False
    if not slurm and named:  # the runs would train here, for hours, with the cluster's file named
        raise UserError("--resources goes with --slurm; add --slurm to submit the runs, or leave --resources out")
    if not slurm:
        raise UserError("--resource and --wait go with --slurm; add --slurm to submit the runs")
    if jobs is not None or devices is not None:
        raise UserError("--jobs and --devices spread runs over this machine; with --slurm each run is a job")
    return True


def slurm_job_command(target, spec, profile, seeds, only, overrides, device, results_dir, data_dir, pack) -> list[str]:
    """The `run` options every job of a submission gets: these runs (--only too, which also asks for a net trained
    only on request), on the node's device, every path absolute."""
    named = str(spec.path.resolve()) if target.lower().endswith((".yaml", ".yml")) else target
    command = [named, "--profile", profile, *(["--seeds", seeds] if seeds else []), *(["--only", only] if only else [])]
    command += [f"--set={override}" for override in overrides]  # --threads, --precision and --compile among them
    command += ["--device", device, "--results", str(results_dir.resolve())]
    command += ["--data-dir", str(data_dir.resolve())] if data_dir else []
    return command + (["--pack", str(pack)] if pack else [])


def submit_to_slurm(spec, engine, runs, results_dir: Path, job_command, resources_file, resource, wait, pack) -> None:
    """`run --slurm`: check, submit, say what was submitted and how to cancel it (cluster/). `resource`: the
    --resource pairs as given."""
    first = runs[0].recipe if runs else None
    processes = first.batch_size // first.bn_batch if engine.splits_batch_over_processes and first.bn_batch else 1
    resources = read_resources(resources_file, sets(resource, "--resource"), engine_defaults(processes))
    check_processes(resources, runs)
    check_cluster(resources, results_dir)
    submitted = submit_target(  # refuses a run already on Slurm: the check and the record are one step
        pending_names(results_dir, runs),
        job_command,
        resources,
        results_dir,
        spec.name,
        check_pack(pack, None) or 1,
        say,
        engine.measures,
    )
    chosen = job_command[: job_command.index("--device")]  # the target, profile, seeds and --set: these runs
    show = shlex.join(["resnet-repro", "show", *chosen, "--results", str(results_dir)])  # as a shell reads it back
    for line in submitted.lines(spec.name, show):
        say(line)
    still = (
        f"the jobs stay queued or running on Slurm: follow them with `{show}`, cancel them with `{submitted.cancel}`"
    )
    if submitted.stopped_by:  # a stop while the jobs were submitted waited until they were recorded
        raise Stopped(
            f"stopped (by {submitted.stopped_by}) once every job was submitted and recorded; {still}",
            submitted.stopped_by,
        )
    if wait:
        try:
            follow_jobs(submitted, results_dir, RichReporter(), {r.name: r.recipe.iterations for r in runs})
        except KeyboardInterrupt as stop:  # Ctrl-C (or a kill: SIGTERM; a closed terminal: SIGHUP) stops the following
            by = stop.signal_name if isinstance(stop, Terminated) else "SIGINT"
            raise Stopped(f"stopped following{f' (by {by})' if by != 'SIGINT' else ''}; {still}", by) from None
        _after_outputs_job(spec, runs, results_dir, submitted.outputs_job)


def _after_outputs_job(spec, runs, results_dir: Path, job: str) -> None:
    """`--wait` ends as a local `run` does, from what the outputs job recorded it wrote: its files, the claims with
    their verdicts and where the report is; or, where the job ended without recording it, that it failed and its log."""
    ended = read_outputs_record(results_dir, job)
    if ended is None:
        log = slurm_folder(results_dir) / "jobs" / f"{job}_0_log.err"
        raise UserError(
            f"job {job}, which writes {spec.name}'s tables, figures and the report, ended without finishing; "
            f"its log: {log}"
        )
    for path in ended["written"]:
        say(f"wrote {path}")
    if ended.get("report") and runs and runs[0].run_id.tag is None:
        _summary(console_summary(spec, runs_profile(runs), results_dir), Path(ended["report"]))


def show_outcome(outcome) -> None:
    """Each run's ending, a table the engine shows (table1's counts), and every file written."""
    for report in outcome.reports:
        final = report.final or {}
        error = final.get("test_error")
        shown = f"test error {error:.2f}%" if error is not None else (final.get("reason") or "")
        word = {"skipped": "already finished", "finished": "finished", "failed": "FAILED"}[report.status]
        say(f"  {report.name}: {word}, {shown}")  # a reason may name a path
    if outcome.table is not None:
        print_rows(*outcome.table)
    for path in outcome.written:
        say(f"wrote {path}")  # a folder named run[old]: its [old] is no style


def _finish(summary: list[str], results_dir: Path) -> Path:
    """Every `run` ends alike: the claims it checked with their verdicts, then where the report is (rewritten now, so
    it holds what this command made)."""
    ensure_results_readme(results_dir)
    _, page, _ = write_report(results_dir)
    _summary(summary, page)
    return page


def _summary(summary: list[str], page: Path) -> None:
    console.print("")
    for line in summary:
        say(line)
    say(f"report: {page} (and REPORT.md beside it)")


def check_jobs(jobs: int) -> int:
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: give the number of runs to train at once, 1 or more")
    if jobs > 1 and launched_world_size() > 1:
        raise UserError(
            "--jobs trains separate runs side by side; under torchrun every process shares each run. "
            "Leave --jobs out of a torchrun launch"
        )
    return jobs


def refuse_option_clashes(pairs: list[str], typed: dict) -> None:
    """The typed options are short for a --set (--threads N is --set train.threads=N). An option and a --set of the
    same key contradict each other (which one wins would be a guess): one line names both."""
    for name in typed:
        option, key = f"--{name}", f"train.{name}"
        clash = next((p for p in pairs if p.partition("=")[0].strip() == key), None)
        if clash is not None:
            raise UserError(
                f"{option} and --set {excerpt(clash)} both set {key}; give one of them ({option} is short for "
                f"--set {key}=...)"
            )


def check_threads(runs, named: str) -> None:
    """A pinned thread count above the cores this process may use only makes the threads wait on each other
    (oneDNN waits for its slowest thread each convolution: 999 threads on 2 cores ran 12 smoke iterations for
    over 4 minutes), so it is refused; the count a run records must be one it could train with."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    pinned = max((run.settings.train.threads or 0 for run in runs), default=0)
    if pinned > cores:
        raise UserError(
            f"{named} {pinned}: this machine lets the command use {counted(cores, 'CPU core')}; more threads than "
            f"cores only wait on each other. Give at most {cores}, or leave it out to use the free cores"
        )


def refuse_damaged_files(runs, results_dir: Path) -> None:
    """A run folder holding a file the tool could not have written (a link, a pipe or a device where a file belongs,
    a record too large or too deep, a number where none can be) is neither trained over nor read: one line, before
    anything is written."""
    damaged = []
    for run in runs:
        files = RunFiles(results_dir, run.name)
        # a final record it cannot read is no unfinished run: its OSError is the one line, never a run over it; a
        # damaged one, run_damage says what it is
        with contextlib.suppress(DamagedFile):
            if files.final.exists():  # (no folder yet, or a file where one belongs: later checks say which)
                read_bytes(files.final, JSON_BYTES)
        if damage := run_damage(files):
            damaged.append((run.name, files, damage))
    if damaged:
        name, files, damage = damaged[0]
        raise UserError(
            f"damaged run {name}: {damage}. {damage_fix(files, damage)}, or train into another folder with "
            f"--results DIR{also_damaged([f'{other}: {why}' for other, _, why in damaged[1:]])}"
        )


def refuse_damaged_runs(runs, results_dir: Path) -> None:
    """A finished run whose log disagrees with its final record is not retrained (it says it is finished) and its
    numbers are left out of the outputs: the command must not end as if the target were complete. Every seed trained
    counts, as in the target's table (a seed of an earlier `run --seeds 0,1` too)."""
    counted = with_seeds_on_disk(runs, results_dir)
    damaged = [(run.name, note) for run in counted if (note := read_run(results_dir, run).left_out)]
    if damaged:
        raise UserError(f"damaged {damaged[0][1]}{also_damaged([name for name, _ in damaged[1:]])}")


def check_pack(pack: Optional[int], jobs: Optional[int]) -> Optional[int]:
    if pack is None:
        return None
    if pack < 1:
        raise UserError(f"--pack {pack}: give the number of runs to train together, 1 or more")
    if pack > 1 and jobs is not None and jobs > 1:
        raise UserError(
            "--pack trains runs together in one process and --jobs in separate processes; give one of them "
            "(on one GPU --pack is faster: processes take turns on it)"
        )
    return pack


def print_rows(title: str, rows: list[dict], columns: list[str]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        # spaced, so a narrow console wraps a long name (train_images_per_s) over lines instead of cutting it
        table.add_column(column.replace("_", " "), justify="left" if column == "model" else "right")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    console.print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int, and would print as 1
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
