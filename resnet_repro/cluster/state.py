"""What list, show and `run --slurm` know of runs submitted to Slurm: one record per run under
results/slurm/runs/ (written atomically at submission), and the queue as squeue shows it. No sacct (a cluster
may run without accounting) and no torch: a run's end is read from its own folder, as for a local run.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..basics.errors import one_line
from ..basics.words import counted
from ..store.layout import RunFiles, read_json, read_metrics, run_status, write_json

# squeue's states, as `list` and `show` word them. Anything else still in the queue (e.g. STOPPED) is "queued".
RUNNING_STATES = {"RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT"}


def slurm_folder(results: Path) -> Path:
    """Where everything the tool keeps for Slurm lives: the run records, and submitit's job files (jobs/)."""
    return results / "slurm"


def record_path(results: Path, run_name: str) -> Path:
    return slurm_folder(results) / "runs" / f"{run_name}.json"


def write_record(results: Path, run_name: str, record: dict) -> None:
    path = record_path(results, run_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"run": run_name, **record, "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def outputs_record_path(results: Path, job: str) -> Path:
    """What the outputs job wrote, recorded by the job itself as its last step: `--wait` reads it, never a pickle."""
    return slurm_folder(results) / "outputs" / f"{job}.json"


def write_outputs_record(results: Path, job: str, written: list[Path], report: Path | None) -> None:
    path = outputs_record_path(results, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"job": job, "written": [str(p) for p in written], "report": str(report) if report else None})


def read_outputs_record(results: Path, job: str) -> dict | None:
    """The outputs job's record: None until it has ended having written everything (or where it was damaged)."""
    record = read_json(outputs_record_path(results, job))
    if not isinstance(record, dict) or not isinstance(record.get("written"), list):
        return None
    paths = [*record["written"], record.get("report") or ""]  # the files written, and the report if it was
    return record if all(isinstance(path, str) for path in paths) else None


def ask_slurm(command: list[str]) -> str | None:
    """What a Slurm command (squeue, sinfo) prints; None where there is none to ask (a results folder copied off the
    cluster), or it does not answer."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):  # no such command: FileNotFoundError
        return None
    return out.stdout if out.returncode == 0 else None


def queue() -> dict[str, str] | None:
    """Every job of this user in Slurm's queue, array tasks one by one: {job id: state}. None where squeue does not
    answer (see ask_slurm). `--user`, not `--me`: squeue before Slurm 20.02 refuses `--me`."""
    out = ask_slurm(["squeue", f"--user={current_user()}", "--array", "--noheader", "--format=%i|%T"])
    if out is None:
        return None
    rows = (line.strip().partition("|") for line in out.splitlines())
    return {job: state for job, _, state in rows if job}


def current_user() -> str:
    """This process's user as squeue's --user takes it: the name of its uid (not $USER, which `sudo` or a job's
    environment may carry from another user), or the uid itself where it has no name (a container's user)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


@dataclass(frozen=True)
class SlurmRun:
    """A run submitted to Slurm and not ended in its folder: queued, running or failed there."""

    job: str
    state: str  # queued | running | failed
    log: str | None
    iteration: int | None = None  # the last logged iteration of a running run

    def describe(self, iterations: int | None = None) -> str:
        """The status column of show: `running on Slurm (job 12_0), iteration 400 of 64000`. One line, whatever a
        damaged record holds (a newline or a terminal's escape in its log)."""
        if self.state == "failed":
            return one_line(f"failed on Slurm (job {self.job})" + (f", log: {self.log}" if self.log else ""))
        reached = ""
        if self.state == "running" and self.iteration is not None:
            reached = f", iteration {self.iteration}" + (f" of {iterations}" if iterations else "")
        return one_line(f"{self.state} on Slurm (job {self.job}){reached}")


def slurm_run(results: Path, run_name: str, jobs: dict[str, str] | None) -> SlurmRun | None:
    """The Slurm side of a run: None unless it was submitted and its folder does not say it ended. With no squeue
    to ask (`jobs` None) nothing is said: a run cannot be told queued from failed."""
    record = read_json(record_path(results, run_name))
    if not record or not isinstance(record.get("job"), str) or jobs is None or _elsewhere(record, results):
        return None
    return job_run(RunFiles(results, run_name), record["job"], record.get("log"), jobs)


def job_run(files: RunFiles, job: str, log: str | None, jobs: dict[str, str]) -> SlurmRun | None:
    """The run of `files` as its `job` stands in the queue `jobs`: None where its folder says it ended."""
    if run_status(files).ended:
        return None
    state = jobs.get(job)
    if state is None:  # left the queue without ending the run: cancelled, crashed, out of time
        return SlurmRun(job, "failed", log)
    if state in RUNNING_STATES:
        rows = read_metrics(files.metrics)
        return SlurmRun(job, "running", log, int(rows[-1]["iteration"]) if rows else 0)
    return SlurmRun(job, "queued", log)


def earlier_outputs_jobs(results: Path, names: list[str], command: list[str], jobs: dict[str, str] | None) -> dict:
    """The outputs jobs still in the queue ({job id: state}) that earlier submissions of the same `run` (`command`:
    the same runs, options and folders) recorded for any of the runs `names`: each would write the same tables,
    figures and report."""
    found = {}
    for name in names:
        record = read_json(record_path(results, name))
        if not isinstance(record, dict) or record.get("command") != command or _elsewhere(record, results):
            continue
        job = record.get("outputs_job")
        if isinstance(job, str) and job.isdigit() and job in (jobs or {}):  # one job, as sbatch numbers it
            found[job] = jobs[job]
    return found


def _elsewhere(record: dict, results: Path) -> bool:
    """Whether a record was copied from another results folder (`cp -r results copy` while its jobs were queued): its
    log lies in that folder's jobs/, and its job trains that folder's run, not this one's. The same folder reached by
    another path (a link, another mount of the shared filesystem) is the same folder."""
    log, here = record.get("log"), slurm_folder(results) / "jobs"
    if not isinstance(log, str):
        return False
    try:
        return not os.path.samefile(Path(log).parent, here)
    except (OSError, ValueError):  # a folder of the two not there (yet): their paths tell
        return Path(log).parent != here.resolve()


@dataclass(frozen=True)
class Submitted:
    runs: list[tuple[str, str]]  # (run name, job id)
    outputs_job: str
    skipped: list[str]  # runs already ended
    stopped_by: str | None = None  # a stop signal (SIGINT, ...) that came while the jobs were submitted and recorded
    reused: bool = False  # nothing submitted: `outputs_job` is an earlier submission's, still on Slurm
    replaced: list[str] = dataclasses.field(default_factory=list)  # earlier outputs jobs cancelled for this one

    def lines(self, target: str, show: str) -> list[str]:
        """What `run --slurm` prints: each run's job, the outputs job, how to follow and how to cancel."""
        said = [f"  {run}: job {job}" for run, job in self.runs]
        said += [f"  {run}: already ended, not submitted" for run in self.skipped]
        writes = f"writes {target}'s tables, figures and the report"
        if self.reused:
            said.append(f"  job {self.outputs_job}, submitted before and still on Slurm, {writes}")
        else:
            instead = f" (in place of job {', '.join(self.replaced)}, cancelled)" if self.replaced else ""
            said.append(f"  then job {self.outputs_job} {writes}{instead}")
        head = f"submitted {counted(len(self.runs), 'run')} of {target} to Slurm:"
        return [
            f"nothing new submitted to Slurm for {target}:" if self.reused else head,
            *said,
            f"follow: {show}",
            f"cancel: {self.cancel}",
        ]

    @property
    def cancel(self) -> str:
        """The command that cancels every job of the submission: scancel takes an array's id for all its tasks."""
        jobs = sorted({job.split("_")[0] for _, job in self.runs} | {self.outputs_job}, key=int)
        return f"scancel {' '.join(jobs)}"
