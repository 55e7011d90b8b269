"""`run --slurm --wait`: follow the submitted jobs on the progress board a local run draws, from what the jobs
write (each run's metrics.csv) and what squeue says, until the outputs job has left the queue. No torch."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

from ..basics.errors import UserError
from ..basics.words import counted
from ..store.layout import RunFiles, read_metrics, run_status
from .state import Submitted, job_run, queue, slurm_run

POLL_S = 5.0
MISSED_POLLS = 12  # polls in a row that squeue may miss (a busy controller's timeout) before --wait gives up: a minute


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a login node's session manager) or SIGHUP (the terminal closed) while following the jobs:
    the following stops, as on Ctrl-C; the jobs do not. `signal_name`: which of the two."""

    def __init__(self, signal_name: str = "SIGTERM"):
        super().__init__(signal_name)
        self.signal_name = signal_name


@contextlib.contextmanager
def kills_stop_following():
    """While inside, SIGTERM and SIGHUP raise `Terminated` (a KeyboardInterrupt: the board's lines are finished as on
    Ctrl-C) rather than ending the process without a word. A SIGHUP this process ignores (`nohup`) stays ignored.
    Only the main thread can take signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, frame):
        raise Terminated(signal.Signals(signum).name)

    kills = [s for s in (signal.SIGTERM, signal.SIGHUP) if s == signal.SIGTERM or signal.getsignal(s) != signal.SIG_IGN]
    previous = {signum: signal.signal(signum, handle) for signum in kills}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def follow_jobs(submitted: Submitted, results: Path, reporter, iterations: dict[str, int]):
    """Draw each run's line while its job runs; one line when a run is queued, ends or fails on Slurm."""
    said: dict[str, str] = {}
    shown: dict[str, int] = {}  # run -> the last iteration drawn
    missed = 0  # squeue's polls in a row that went unanswered
    with kills_stop_following():  # a kill or a closed terminal stops the following as Ctrl-C does, saying so
        try:
            while True:
                jobs = queue()
                missed = missed + 1 if jobs is None else 0
                if missed >= MISSED_POLLS:
                    raise UserError("--wait: squeue does not answer; follow the jobs with `resnet-repro show` later")
                if jobs is None:  # a missed poll (a busy controller's timeout) is not the end of the jobs: ask again
                    time.sleep(POLL_S)
                    continue
                for run, job in submitted.runs:
                    files = RunFiles(results, run)
                    # where its record is gone (results/slurm/ or the whole results folder removed meanwhile), the
                    # job it was submitted as: a job that left the queue without ending the run failed, as with one
                    found = slurm_run(results, run, jobs) or job_run(files, job, None, jobs)
                    word = found.state if found is not None else run_status(files).value
                    if word != said.get(run):
                        if word != "running":
                            if run in shown:
                                reporter.lane(run).finish()
                            reporter.message(f"{run}: {found.describe() if found else word}")
                        said[run] = word
                    if word == "running":
                        _draw(reporter.lane(run), files, iterations.get(run, 0), shown, run)
                if submitted.outputs_job not in jobs:
                    break
                time.sleep(POLL_S)
        except KeyboardInterrupt:  # the board's lines stay on screen, the terminal's cursor comes back
            for run in shown:
                reporter.lane(run).finish()
            raise
    failed = [run for run, _ in submitted.runs if said.get(run) == "failed"]
    if failed:
        raise UserError(
            f"{counted(len(failed), 'run')} failed on Slurm: {', '.join(failed)}; `resnet-repro show` names each log"
        )


def _draw(lane, files: RunFiles, total: int, shown: dict[str, int], run: str) -> None:
    rows = read_metrics(files.metrics)
    if not rows:
        return
    row = rows[-1]
    iteration = int(row["iteration"])
    if run not in shown:
        lane.start(run, total, iteration)
    if shown.get(run) != iteration:
        lane.update(iteration, _stats(row, iteration))
        shown[run] = iteration


def _stats(row: dict, iteration: int) -> dict:
    def number(key: str) -> float:
        try:
            return float(row.get(key) or 0.0)
        except ValueError:
            return 0.0

    test = row.get("test_error")
    return {
        "lr": number("lr"),
        "loss": number("train_loss"),
        "error": number("train_error"),
        "images_per_s": number("images_per_s"),
        "test_error": float(test) if test not in (None, "") else None,
        "test_iteration": iteration if test not in (None, "") else None,
    }
