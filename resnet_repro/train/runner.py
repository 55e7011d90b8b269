"""Train the runs a target needs: skip finished ones, resume unfinished ones, refuse changed configs.

All checks happen before any training starts, so a refused invocation changes nothing on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import platform
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Callable

import torch

import resnet_repro

from ..basics.errors import Stopped, UserError
from ..data.sources import Splits
from ..readers.yamlio import write_yaml
from ..specs.config import RunConfig
from ..specs.run_id import RunStatus, final_status
from ..store.layout import RunFiles, config_conflict_fix, read_json, stored_config_conflict, write_json
from ..store.lock import run_lock
from ..store.results_file import PROTOCOL_RECORDS
from .clock import PendingRun, TargetClock
from .context import Reporter, RunContext
from .device import describe_device
from .distributed import World, init_world
from .loop import RunInputs, RunReport, RunSession, StopFlag, run_hooks
from .optim import sgd_implementation
from .pack import train_together
from .precision import check_precision
from .threads import FreeCoreWatch


def plan_runs(runs: list[RunConfig], results: Path) -> tuple[list[RunReport], list[tuple[RunConfig, RunFiles]]]:
    """(reports of runs already ended, runs left to train); refuses any run whose folder holds another config."""
    reports, pending = [], []
    for config in runs:
        files = RunFiles(results, config.name)
        conflict = stored_config_conflict(files, config)
        if conflict:
            raise UserError(
                f"run {config.name} in {files.dir} was trained with a different config ({conflict}). "
                f"{config_conflict_fix(files)}"
            )
        ended = ended_report(config.name, read_json(files.final))
        if ended is not None:
            reports.append(ended)
        else:
            pending.append((config, files))
    return reports, pending


def ended_report(name: str, final: dict | None) -> RunReport | None:
    """The report of a run whose final.json says it has ended (skipped when finished, still failed when it failed);
    None for a run left to train."""
    status = final_status(final)
    if status is None or not status.ended:
        return None
    return RunReport(name, "skipped" if status is RunStatus.FINISHED else "failed", final)


def train_runs(runs: list[RunConfig], context: RunContext) -> list[RunReport]:
    """Train `runs` on `context.device`, `context.pack` at a time in one process (pack.py; one after another by
    default on a CPU); finished runs are skipped, unfinished ones resumed."""
    device, reporter = context.device, context.reporter
    reports, pending = plan_runs(runs, context.results)
    for config, _ in pending:
        check_precision(device, config.settings.train.precision)
    world = init_world(device)
    pack = 1 if world.distributed else max(1, context.pack or 1)
    threads = _cpu_threads([config for config, _ in pending], device, world, pack, reporter)
    if world.distributed and device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    if not world.is_main:
        reporter = Reporter()  # one progress bar: rank 0's
    context = dataclasses.replace(context, device=device, reporter=reporter)  # the same dataset cache
    clock = target_clock(context.target, pending, jobs=min(pack, max(len(pending), 1)), lockstep=pack > 1)
    reporter.follow_target(clock)
    stop = StopFlag()
    with graceful_stop(stop, reporter):
        for first in range(0, len(pending), pack):
            group = pending[first : first + pack]
            for index, (config, _) in enumerate(group, first):
                clock.run_started(index)
                context.splits(config)  # read (or fetch) the data before the locks, outside the write errors below
            if threads is not None:  # a run alone on a CPU (a pack's runs share the count chosen above)
                threads.start_run()
            reports += _train_group(group, context, stop, world, threads)
    return reports


def _cpu_threads(
    pending: list[RunConfig], device: torch.device, world: World, pack: int, reporter: Reporter
) -> FreeCoreWatch | None:
    """On a CPU: the thread count `--threads` pins, else the free cores. A run alone gets a watch that samples them
    again at its start and follows them at its log points; a pack's runs share one count, chosen once here."""
    if device.type != "cpu" or not pending:
        return None
    pinned = next((c.settings.train.threads for c in pending if c.settings.train.threads), None)
    # the count the user asked for, whatever the load (the watch never changes a given count)
    watch = FreeCoreWatch(reporter.message, user_choice=str(pinned) if pinned else None)
    if not world.distributed and pack == 1:
        return watch
    watch.start_run()  # the pack's one count
    return None


def _train_group(
    group: list[tuple[RunConfig, RunFiles]],
    context: RunContext,
    stop: StopFlag,
    world: World,
    threads: FreeCoreWatch | None = None,
) -> list[RunReport]:
    """Train one run, or a pack of runs together (pack.py), each under its own lock; raise what stopped them. A run
    alone trains on the default stream (with the CPU's thread watch, over every process of a torchrun launch), several
    each on its own progress line; their files are begun and ended by rank 0."""
    reports, todo = [], []
    begun: dict[str, tuple[dict, float]] = {}  # each run's meta.json and start time, for its end

    def session(config: RunConfig, files: RunFiles) -> RunSession:
        reporter = context.reporter if len(todo) == 1 else context.reporter.lane(config.name)
        if world.is_main:  # its files begun first
            begun[config.name] = _begin_run(config, files, context, world)
        run = RunInputs(config, context.splits(config), files, context.device, reporter, stop, world)
        return RunSession(run, run_hooks(reporter, threads))

    try:
        with contextlib.ExitStack() as locks:
            for config, files in group:
                if world.is_main:
                    locks.enter_context(run_lock(files.dir, config.name, context.reporter.message))
                ended = ended_report(config.name, read_json(files.final) if world.is_main else None)
                if ended is not None:  # another process ended it meanwhile
                    reports.append(ended)
                else:
                    todo.append((config, files))
            outcomes = train_together([partial(session, config, files) for config, files in todo], context.device)
            if world.is_main:  # only rank 0 writes; the others trained their share of each batch
                for (config, files), outcome in zip(todo, outcomes):
                    _end_run(files, outcome, context, *begun[config.name])
    except OSError as error:  # unwritable folder, disk full: earlier files are intact (atomic writes)
        where = error.filename or (todo[0][1].dir if todo else group[0][1].dir)
        why, fix = error.strerror, "free space or fix permissions"
        if error.errno == errno.ENOTDIR:  # neither space nor permissions: a file where a folder must be
            why, fix = "a file stands where a folder must be on that path", "move the file away"
        raise UserError(
            f"cannot write {where}: {why}. Earlier results and checkpoints are intact; {fix} and run again, or use "
            f"--results DIR"
        ) from None
    for outcome in outcomes:
        if outcome.status == "failed":
            context.reporter.message(f"run {outcome.name} failed: {outcome.final['reason']}")
    interrupted = [outcome for outcome in outcomes if outcome.status == "interrupted"]
    if interrupted:
        raise stopped_runs([outcome.final for outcome in interrupted], stop.requested or "SIGINT")
    return reports + outcomes


def stopped_runs(finals: list[dict], signal_name: str) -> Stopped:
    """Where a stop left the runs it interrupted (a pack stops together, at one iteration), and how to go on."""
    if len(finals) == 1:
        where = f"at iteration {finals[0]['iterations']} of run {finals[0]['run']}, its checkpoint saved"
    elif len({final["iterations"] for final in finals}) == 1:
        names = ", ".join(final["run"] for final in finals)
        where = f"at iteration {finals[0]['iterations']} of runs {names}, each checkpoint saved"
    else:
        where = "; ".join(f"{final['run']} at iteration {final['iterations']}" for final in finals)
        where += ", each checkpoint saved"
    return Stopped(f"stopped {where} (by {signal_name}); the same command resumes", signal_name)


def target_clock(
    target: str | None, pending: list[tuple[RunConfig, RunFiles]], jobs: int = 1, lockstep: bool = False
) -> TargetClock:
    """The clock of the whole command's training: run k of n, and the time left over all of them (`jobs` at once)."""
    runs = [PendingRun.of(config, files) for config, files in pending]
    return TargetClock(target or "the target", runs, jobs=jobs, lockstep=lockstep)


def _begin_run(config: RunConfig, files: RunFiles, context: RunContext, world: World) -> tuple[dict, float]:
    """config.yaml and meta.json, before the first step (rank 0); returns the meta and the start time. A run's
    protocol records (10-crop.json, multi-scale.json) measured the weights it had when it finished: a run trained
    again (its final.json deleted, or its folder's checkpoints) loses them here, and they are measured again once
    it has finished, never reported for other weights."""
    splits = context.splits(config)
    for name in PROTOCOL_RECORDS:
        (files.dir / name).unlink(missing_ok=True)  # a link is removed itself, never what it names
    write_yaml(files.config, config.to_dict())
    started = time.time()
    meta = _meta(config, splits, context.device, context.command, world)
    write_json(files.meta, meta)
    if splits.report.get("official_checksums") is False:
        context.reporter.say_once(  # the data's, not the run's: said once, however many runs read it
            f"warning: {splits.report['folder']} differs from the official CIFAR-10 release "
            f"({', '.join(splits.report['mismatched_files'])}); results are not comparable to "
            f"the paper"
        )
    return meta, started


def _end_run(files: RunFiles, outcome: RunReport, context: RunContext, meta: dict, started: float) -> None:
    """Warnings said, meta.json's session time, and final.json unless the run was interrupted (rank 0)."""
    for warning in outcome.warnings:
        context.reporter.message(f"warning: {warning}")
    segments = {"cpu_threads": outcome.final["cpu_threads"]} if outcome.final.get("cpu_threads") else {}
    write_json(files.meta, {**meta, **segments, "wall_s_this_session": time.time() - started, "finished_at": _now()})
    if outcome.status != "interrupted":
        write_json(files.final, outcome.final)


def graceful_stop(stop: StopFlag, reporter: Reporter):
    """SIGINT/SIGTERM ask the loop to finish its iteration and checkpoint; a second Ctrl-C stops at once."""

    def first(name: str) -> None:
        stop.requested = name
        reporter.message(
            f"{name} received: finishing this iteration and writing a checkpoint (Ctrl-C again to stop at once)"
        )

    def again() -> None:  # typer turns the KeyboardInterrupt into a silent exit 130: say what is kept first
        reporter.message(
            "stopping now, mid-iteration: the last saved checkpoint is intact; run the same command "
            "again to continue from it"
        )

    return on_stop_signals(first, again)


@contextmanager
def on_stop_signals(first: Callable[[str], None], again: Callable[[], None]):
    """While inside: the first SIGINT/SIGTERM calls `first(signal name)`; a later Ctrl-C calls `again()` and
    raises KeyboardInterrupt. Only the main thread can take signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []

    def handle(signum, frame):
        if received and signum == signal.SIGINT:
            again()
            raise KeyboardInterrupt
        received.append(signum)
        first(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _meta(config: RunConfig, splits: Splits, device: torch.device, command: str | None, world: World) -> dict:
    return {
        "run": config.name,
        "seed": config.seed,
        "started_at": _now(),
        "command": command or " ".join(sys.argv),
        "versions": {
            "resnet_repro": resnet_repro.__version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        },
        "device": str(device),
        "device_name": describe_device(device),
        "world_size": world.size,
        "sgd_implementation": sgd_implementation(device),
        "host": platform.node(),
        "git_commit": _git_commit(),
        "data": splits.report,
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(resnet_repro.__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
