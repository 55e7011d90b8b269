"""`resnet-repro run TARGET`: train what a target needs, then write its table and/or figure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..context import RunContext
from ..data.sources import resolve_data_dir
from ..engines import get_engine
from ..errors import UserError
from ..experiments import load_target, parse_seeds, resolve_runs
from ..launch import launched_world_size
from ..report import write_report
from ..report.console import console_summary, section_summary
from ..store.aggregate import damaged_notes
from ..store.layout import resolve_results_dir
from ..store.paths import runs_profile
from ..store.readme import ensure_results_readme
from ..words import counted
from .common import (
    DataDirOption,
    DeviceOption,
    OnlyOption,
    ProfileOption,
    ResultsOption,
    SeedsOption,
    SetOption,
    console,
    sets,
)
from .progress import RichReporter


def run_command(
    target: str = typer.Argument(..., help="A target (table1, fig1, fig6, table6, ...) or a path to your own .yaml."),
    profile: str = ProfileOption,
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
) -> None:
    """Train the runs TARGET needs (skipping finished ones, resuming unfinished ones) and write its outputs."""
    spec = load_target(target)
    engine = get_engine(spec.engine)
    results_dir = resolve_results_dir(str(results) if results else None)
    if spec.recipe is None:  # nothing trains: still refuse options that cannot apply, before writing anything
        resolve_runs(spec, profile, parse_seeds(seeds), sets(set_))
    if not engine.trains:
        ensure_results_readme(results_dir)
        show_outcome(engine.run(spec, [], [], RunContext(results_dir, reporter=RichReporter())))
        _finish(section_summary(spec, results_dir), results_dir)
        return
    if threads is not None and threads < 1:
        raise UserError(
            f"--threads {threads}: give the number of CPU threads to train on, 1 or more (e.g. --threads 2)"
        )
    overrides = (
        sets(set_)
        + ([f"train.precision={precision}"] if precision else [])
        + (["train.compile=true"] if compile_ else [])
        + ([f"train.threads={threads}"] if threads is not None else [])
    )
    all_runs = resolve_runs(spec, profile, parse_seeds(seeds), overrides)
    runs = resolve_runs(spec, profile, parse_seeds(seeds), overrides, only)
    context = training_context(spec.name, results_dir, data_dir, device, devices, jobs, download)
    context.pack = check_pack(pack, jobs)
    outcome = engine.run(spec, runs, all_runs, context)
    if outcome.written is None:  # another process of a torchrun launch: rank 0 reports and writes
        return
    show_outcome(outcome)
    finish_with_claims(spec, all_runs, results_dir)
    failed = [r.name for r in outcome.reports if r.status == "failed"]
    if failed:
        raise UserError(f"{counted(len(failed), 'run')} failed: {', '.join(failed)}; see their final.json")
    refuse_damaged_runs(all_runs, results_dir)


def training_context(
    target: str,
    results_dir: Path,
    data_dir: Optional[Path],
    device: str,
    devices: Optional[str],
    jobs: Optional[int],
    download: bool,
):
    """The RunContext of a `run` that trains: devices resolved, --jobs checked, progress on the console."""
    from ..train.device import resolve_device, resolve_job_devices  # torch: only when something trains

    data_folder, named = resolve_data_dir(str(data_dir) if data_dir else None, download)
    job_devices = resolve_job_devices(devices, resolve_device(device))
    return RunContext(
        results_dir,
        data_folder,
        job_devices[0],
        job_devices,
        check_jobs(jobs if jobs is not None else len(job_devices)),
        download,
        RichReporter(),
        " ".join(["resnet-repro", *sys.argv[1:]]),
        target=target,
        data_dir_named=named,
    )


def show_outcome(outcome) -> None:
    """Each run's ending, a table the engine shows (table1's counts), and every file written."""
    for report in outcome.reports:
        final = report.final or {}
        error = final.get("test_error")
        shown = f"test error {error:.2f}%" if error is not None else (final.get("reason") or "")
        word = {"skipped": "already finished", "finished": "finished", "failed": "FAILED"}[report.status]
        console.print(f"  {report.name}: {word}, {shown}", highlight=False)
    if outcome.table is not None:
        print_rows(*outcome.table)
    for path in outcome.written:
        console.print(f"wrote {path}", highlight=False)


def finish_with_claims(spec, runs, results_dir: Path) -> None:
    """End as the report does: the target's claims with their verdicts, each net's training and test error, and
    where the report is (rewritten now, so it holds these runs)."""
    if not runs or runs[0].run_id.tag is not None:  # runs with --set overrides: their own table, no claims
        return
    _finish(console_summary(spec, runs_profile(runs), results_dir), results_dir)


def _finish(summary: list[str], results_dir: Path) -> None:
    """Every `run` ends alike: the claims it checked with their verdicts, then where the report is (rewritten now, so
    it holds what this command made)."""
    console.print("")
    for line in summary:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    ensure_results_readme(results_dir)
    _, page, _ = write_report(results_dir)
    console.print(f"report: {page} (and REPORT.md beside it)", highlight=False)


def check_jobs(jobs: int) -> int:
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: give the number of runs to train at once, 1 or more")
    if jobs > 1 and launched_world_size() > 1:
        raise UserError(
            "--jobs trains separate runs side by side; under torchrun every process shares each run. "
            "Leave --jobs out of a torchrun launch"
        )
    return jobs


def refuse_damaged_runs(runs, results_dir: Path) -> None:
    """A finished run whose log disagrees with its final record is not retrained (it says it is finished) and its
    numbers are left out of the outputs: the command must not end as if the target were complete."""
    notes = damaged_notes(runs, results_dir)
    if notes:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        raise UserError(f"damaged {notes[0]}{more}")


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
