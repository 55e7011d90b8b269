"""`run --jobs N [--devices 0,1,...]`: train several runs of a target at once, each in its own process.

A CIFAR net leaves a large GPU mostly idle (ResNet-20's kernels are tiny), so N runs side by side
finish a target sooner. Each run trains in a spawned process, exactly as it would alone (same
seeds, same files, its own lock and checkpoints), so the results do not depend on N. Job slot k
uses device k mod len(devices). Progress, messages and the outcome come back over a queue; the
parent draws one progress line per run.

Signals: SIGINT/SIGTERM in the parent are passed to every child, which finishes its iteration and
checkpoints (as a lone run does); no new run starts. A second Ctrl-C stops the children at once.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import queue as queue_module
import signal
from dataclasses import dataclass

import torch

from ..basics.errors import Stopped, UserError
from ..basics.words import counted
from ..data.sources import locate_dataset
from ..specs.config import RunConfig
from .context import Reporter, RunContext
from .loop import RunReport
from .precision import check_precision
from .runner import on_stop_signals, plan_runs, target_clock, train_runs
from .threads import cpu_threads


def slot_devices(devices: list[torch.device], jobs: int) -> list[torch.device]:
    """The device of each job slot: round-robin, so 4 jobs on --devices 0,1 put two runs on each GPU."""
    return [devices[slot % len(devices)] for slot in range(jobs)]


class QueueReporter(Reporter):
    """A child's progress calls, each sent to the parent as (method, run name, arguments): the parent makes the same
    call on that run's line (_relay)."""

    def __init__(self, queue):
        self.queue = queue
        self.name = ""

    def start(self, run_name: str, total: int, done: int) -> None:
        self.name = run_name
        self.queue.put(("start", run_name, (run_name, total, done)))

    def update(self, iteration: int, stats: dict) -> None:
        self.queue.put(("update", self.name, (iteration, stats)))

    def advance(self, iteration: int) -> None:
        self.queue.put(("advance", self.name, (iteration,)))

    def message(self, text: str) -> None:
        self.queue.put(("message", self.name, (text,)))

    def say_once(self, text: str) -> None:
        self.queue.put(("say_once", self.name, (text,)))  # once over every job: the parent's board keeps count

    def finish(self) -> None:
        self.queue.put(("finish", self.name, ()))


def _child(index: int, config: RunConfig, context: RunContext, threads: int, queue) -> None:
    """One run in a spawned process, under the parent's context on its slot's device (its progress a QueueReporter);
    the outcome (or the one-line error, or where a stop left it) goes back over the queue."""
    if context.device.type == "cpu":
        os.environ["OMP_NUM_THREADS"] = str(threads)  # train_runs below takes the parent's choice from here
    elif context.device.type == "cuda":
        torch.cuda.set_device(context.device)
    try:
        queue.put(("done", index, train_runs([config], context)[0]))
        return
    except Stopped as stop:  # not an error: the parent gathers where each run stopped
        message = stop
    except UserError as error:
        message = str(error)
    except KeyboardInterrupt:
        message = (
            f"run {config.name} stopped at once (second Ctrl-C); its last checkpoint "
            f"is intact, run the same command again to continue"
        )
    except Exception as error:  # an unexpected failure: say which run, keep the others going
        message = f"run {config.name} crashed: {type(error).__name__}: {error}"
    queue.put(("error", index, message))


@dataclass
class _Job:
    config: RunConfig
    slot: int
    process: multiprocessing.Process


def _child_context(context: RunContext, device: torch.device, queue) -> RunContext:
    """The parent's context as a child trains under it: its slot's device, its progress sent over `queue`. The data
    was found (or fetched) before any child starts, so the child reads it from there into a cache of its own (never
    the parent's, which would be pickled whole into every child's process)."""
    return dataclasses.replace(context, device=device, reporter=QueueReporter(queue), download=False, datasets={})


def train_runs_concurrently(runs: list[RunConfig], run_context: RunContext) -> list[RunReport]:
    """Like train_runs, with up to `run_context.jobs` runs training at once, spread over its job devices; reports
    come back in the order of `runs`."""
    results, jobs, reporter = run_context.results, run_context.jobs, run_context.reporter
    reports, pending = plan_runs(runs, results)  # every refusal happens before any process starts
    _check_before_start([config for config, _ in pending], run_context)
    reporter.follow_target(target_clock(run_context.target, pending, jobs))
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: safe with CUDA and torch's threads
    queue = context.Queue()
    free_slots = list(range(jobs))
    devices_by_slot = slot_devices(run_context.job_devices, jobs)
    threads = cpu_threads(jobs)  # used by CPU jobs only
    todo = list(enumerate(config for config, _ in pending))
    running: dict[int, _Job] = {}  # by the run's index in `pending`
    outcomes: dict[int, RunReport] = {}
    errors: dict[int, str | Stopped] = {}
    stopped_by: list[str] = []

    def stop_children(name: str) -> None:
        stopped_by.append(name)
        reporter.message(
            f"{name} received: every running run finishes its iteration and writes a checkpoint "
            f"(Ctrl-C again to stop at once)"
        )
        for job in running.values():
            if job.process.pid is not None:
                os.kill(job.process.pid, signal.SIGTERM)

    def kill_children() -> None:
        for job in running.values():
            job.process.kill()

    try:
        with on_stop_signals(stop_children, again=kill_children):
            while todo or running:
                while todo and free_slots and not stopped_by:
                    index, config = todo.pop(0)
                    slot = free_slots.pop(0)
                    child = _child_context(run_context, devices_by_slot[slot], queue)
                    process = context.Process(
                        target=_child, name=f"resnet-repro job {slot}", args=(index, config, child, threads, queue)
                    )
                    process.start()
                    running[index] = _Job(config, slot, process)
                if stopped_by and not running:
                    break
                _relay(queue, reporter, outcomes, errors, timeout=0.2)
                free_slots += _reap(running, queue, reporter, outcomes, errors)
    finally:
        for job in running.values():
            job.process.join()
    _raise_what_stopped(errors, len(todo), stopped_by)
    return reports + [outcomes[index] for index in sorted(outcomes)]


def _check_before_start(pending: list[RunConfig], run_context: RunContext) -> None:
    """What would fail in every job fails once here: precision the device lacks, and missing data (fetched once)."""
    for config in pending:
        check_precision(run_context.job_devices[0], config.settings.train.precision)
    for dataset in sorted({config.data.dataset for config in pending}):
        locate_dataset(
            dataset,
            run_context.data_dir,
            run_context.download,
            run_context.data_dir_named,
            run_context.reporter.message,
        )


def _raise_what_stopped(errors: dict[int, str | Stopped], not_started: int, stopped_by: list[str]) -> None:
    """The first job's error (and how many more failed); else, where a stop left the runs (a signal is not an
    error), those it interrupted and those it kept from starting."""
    failures = {index: message for index, message in errors.items() if not isinstance(message, Stopped)}
    if failures:
        first = failures[min(failures)]
        others = f" ({counted(len(failures) - 1, 'more run')} stopped with an error)" if len(failures) > 1 else ""
        raise UserError(first + others)
    stops = [errors[index] for index in sorted(errors)]
    signal_name = stops[0].signal_name if stops else (stopped_by[0] if stopped_by else "SIGINT")
    if not stops and not not_started:
        return
    parts = [str(stops[0]).split("; the same command resumes")[0]] if stops else [f"stopped by {signal_name}"]
    if len(stops) > 1:
        parts.append(f"{counted(len(stops) - 1, 'more run')} stopped likewise")
    if not_started:
        parts.append(f"{counted(not_started, 'run')} not started")
    raise Stopped("; ".join(parts) + "; the same command resumes", signal_name)


def _reap(running: dict[int, _Job], queue, reporter: Reporter, outcomes: dict, errors: dict) -> list[int]:
    """Take the jobs whose process has exited out of `running`: their outcome, or an error where one died without
    sending it. Returns the slots they free."""
    freed = []
    for index, job in list(running.items()):
        if job.process.exitcode is None:
            continue
        job.process.join()
        _relay(queue, reporter, outcomes, errors, timeout=0)  # what it sent just before exiting
        if index not in outcomes and index not in errors:
            errors[index] = (
                f"the process training {job.config.name} died (exit code {job.process.exitcode}); "
                f"run the same command again to continue from its last checkpoint"
            )
        del running[index]
        freed.append(job.slot)
    return freed


def _relay(queue, reporter: Reporter, outcomes: dict, errors: dict, timeout: float) -> None:
    """Pass the children's messages on to the reporter until the queue is empty."""
    while True:
        try:
            message = queue.get(timeout=timeout) if timeout else queue.get_nowait()
        except queue_module.Empty:
            return
        timeout = 0  # after the first message, only drain what is already there
        kind, key, value = message
        if kind == "done":
            outcomes[key] = value
        elif kind == "error":
            errors[key] = value
        else:  # a progress call: `key` names the run
            getattr(reporter.lane(key), kind)(*value)
