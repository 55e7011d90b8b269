"""`run TARGET --slurm`: the target's pending runs as Slurm jobs (one job array), then one job that writes the
target's tables, figures and the report once every run's job has ended.

Everything a user can get wrong is checked before anything is submitted, and nothing under results/ is written
before Slurm has accepted every job. submitit's job files (the pickled command each job runs, the logs) live in
results/slurm/jobs/, private to the user (mode 0600, folder 0700); a job reads its command from there and
nowhere else. This process never unpickles anything: it reads squeue and JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from ..basics.atomic import confine_writes, refuse_links
from ..basics.errors import Stopped, UserError, one_line, shorten
from ..basics.words import counted
from ..store.layout import RunFiles
from ..store.lock import is_training, step_lock
from .resources import Resources
from .state import (
    RUNNING_STATES,
    Submitted,
    ask_slurm,
    earlier_outputs_jobs,
    outputs_record_path,
    queue,
    record_path,
    slurm_folder,
    slurm_run,
    write_record,
)

# How long a stop during the submission waits for sbatch (it answers in a second or less; a busy controller makes it
# retry for seconds) before taking sbatch as hung and stopping it
HUNG_S = 10.0


def check_cluster(resources: Resources, results: Path) -> None:
    """The bad inputs found before anything is submitted: no Slurm here, a partition it does not have, a results
    folder the jobs could not write."""
    if shutil.which("sbatch") is None:
        raise UserError(
            "--slurm: no `sbatch` on the PATH; run this on a login node of a Slurm cluster, or train here without --slurm"
        )
    if resources.partition is not None:
        # the cluster's partitions, as sinfo lists them; none where it does not answer, and then none is refused
        known = sorted(set((ask_slurm(["sinfo", "--noheader", "--format=%R"]) or "").split()))
        # sbatch takes a list, gpu,gpu-long: the job starts in whichever can start it first
        unknown = [name for name in resources.partition.split(",") if known and name not in known]
        if unknown:
            raise UserError(
                f"partition {unknown[0]!r} is not one of this cluster's ({', '.join(known)}); "
                f"set another with --resource partition=NAME or in the resource file"
            )
    check_writable(results)
    if one_line(str(results)) != str(results):  # the jobs' logs are #SBATCH lines of their script, under results/
        raise UserError(
            f"--slurm: the results folder {results} holds a control character, which cannot be written in a job's "
            f"sbatch script (its log files live under that folder); give --results a folder without one"
        )
    odd = next((char for char in "%\\" if char in str(results)), None)
    if odd is not None:  # the jobs' log paths are #SBATCH --output/--error patterns, under the results folder
        raise UserError(
            f"--slurm: the results folder {results} holds '{odd}', which sbatch reads in a job's log path as a pattern "
            f"('%j' the job id, '\\' an escape): every job would fail to open its log and end before it starts; give "
            f"--results a folder without '%' or '\\'"
        )


def check_processes(resources: Resources, runs) -> None:
    """A job of several processes (nodes x tasks_per_node) is one DDP run: each process trains an equal share of every
    batch on a GPU of its own (the node's GPU numbered by its local rank), and its batch norm normalises whole groups
    of recipe.bn_batch images in that share. A job that cannot do so would wait in the queue only to fail as it
    starts."""
    processes, per_node, gpus = resources.processes, resources.tasks_per_node, resources.gpus_per_node
    if processes == 1:
        return
    asked = f"Slurm resources: nodes: {resources.nodes} x tasks_per_node: {per_node} is {processes} processes a run"
    if gpus and per_node > gpus:
        raise UserError(
            f"{asked}, {per_node} on each node, but gpus_per_node is {gpus}: each process trains on a GPU of its own; "
            f"ask for gpus_per_node: {per_node}, or fewer tasks_per_node"
        )
    for run in runs:
        batch, groups = run.recipe.batch_size, run.recipe.bn_batch
        whole = batch // groups if groups else batch  # the shares a batch holds: each process needs a whole number
        if whole % processes:
            fits = run.recipe.most_processes(processes)
            nodes = math.gcd(fits, resources.nodes)
            grouped = f" in batch-norm groups of {groups} (recipe.bn_batch)" if groups else ""
            raise UserError(
                f"{asked}, and run {run.name}'s batch of {batch} images{grouped} does not share equally among them; "
                f"ask for a number of processes that divides {whole}, e.g. nodes: {nodes} and tasks_per_node: "
                f"{fits // nodes} (with a GPU each)"
            )


def check_array_size(pending: int, pack: int) -> None:
    """The runs' jobs are one array, whose task numbers Slurm holds below its MaxArraySize (1001 by default); sbatch
    refuses a longer one as "Invalid job array specification", naming neither the limit nor the way round it."""
    out = ask_slurm(["scontrol", "show", "config"])
    found = re.search(r"^MaxArraySize\s*=\s*(\d+)", out or "", re.MULTILINE)
    jobs = -(-pending // pack)
    if found and jobs > int(found.group(1)) - 1 > 0:
        most = int(found.group(1)) - 1
        raise UserError(
            f"{pending} runs {'in packs of ' + str(pack) + ' ' if pack > 1 else ''}are {jobs} jobs, and this cluster's "
            f"job arrays hold at most {most} (MaxArraySize); put more runs in each job with --pack "
            f"{-(-pending // most)}, or submit fewer at once (--only, --seeds)"
        )


def check_writable(results: Path) -> None:
    """The jobs write every run folder under `results`: it (or the folder it will be made in) must be a folder
    this user can write. Checked by permission, without writing anything."""
    existing = results
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(
            f"the jobs cannot write the results folder {results} ({existing} is not a folder you can write); "
            f"give a writable folder on the cluster's shared filesystem with --results DIR"
        )


def refuse_double_submission(results: Path, names: list[str]) -> dict[str, str] | None:
    """A run already queued or running on Slurm is not submitted again: two jobs would train one run. Nor is a run
    that a process trains right now (a local `run` holds its lock): its job would be refused the lock and fail.
    Returns the queue it read (`queue()`: None where squeue did not answer), for the rest of the submission to judge
    by the same answer."""
    for name in names:
        folder = RunFiles(results, name).dir
        if is_training(folder):
            raise UserError(
                f"run {name} is being trained right now by another process (its lock in {folder} is held); let "
                f"it finish or stop it (Ctrl-C keeps its checkpoint) before submitting it to Slurm"
            )
    jobs = queue()
    for name in names:
        # with no squeue answer, each recorded job as if it had left the queue: the run's, if it has not ended
        found = slurm_run(results, name, {} if jobs is None else jobs)
        if found is not None and jobs is None:  # no telling queued from ended: it may still be queued
            raise UserError(
                f"squeue does not answer, so whether run {name}'s job {found.job} is still queued or running cannot "
                f"be told (submitting it again would train it twice); submit again once `squeue` answers"
            )
        if found is not None and found.state in ("queued", "running"):
            raise UserError(
                f"run {name} is already {found.state} on Slurm as job {found.job}; follow it with "
                f"`resnet-repro show`, or cancel it with `scancel {found.job}` before submitting it again"
            )
    return jobs


def submit_target(
    names: tuple[list[str], list[str]],
    command: list[str],
    resources: Resources,
    results: Path,
    name: str,
    pack: int = 1,
    waiting: Callable[[str], None] = print,
    measures: bool = False,
) -> Submitted:
    """`names`: (the runs to submit, those already ended), as `pending_names` plans them. Refuse a run already on
    Slurm, then submit each pending run (`command` + `--slurm-run NAME`; `pack` runs a job
    with --pack) as a job of an array, then the outputs job (`command` + `--slurm-outputs`) after all of them; record
    each run's job. The check and the record are one step: a second `run --slurm` into the same results folder waits
    (`waiting` says so) until the first has recorded its jobs, then finds them. `command` is the `resnet-repro run`
    line that every job runs, its options resolved for the cluster."""
    pending, skipped = names
    folder = slurm_folder(results) / "jobs"
    made = [path for path in (results, folder.parent, folder) if not path.exists()]  # taken back if refused
    refuse_links_on_the_way(results, pending)
    check_array_size(len(pending), pack)
    refuse_double_submission(results, pending)  # at once, before anything is made
    with submission_lock(results, made, waiting):
        # and again: a submission that held the lock has recorded its jobs. The queue it read is the one answer the
        # rest judges by (a second squeue could miss where the first answered)
        jobs = refuse_double_submission(results, pending)
        earlier = earlier_outputs_jobs(results, [*pending, *skipped], command, jobs)
        if earlier and not pending:  # every run has ended: the outputs job already on Slurm writes them
            return Submitted([], max(earlier, key=int), skipped, reused=True)
        # submitted and recorded as one step that a stop (Ctrl-C, SIGTERM, a closed terminal's SIGHUP) does not cut:
        # between sbatch accepting a job and its record there is no moment where a job would train unrecorded
        submitted = deferring_stops(
            functools.partial(_submit_and_record, pending, skipped, command, resources, results, name, pack, measures)
        )
        # an earlier one not yet started would write the outputs before these runs end, and then again after them
        stale = sorted((job for job, state in earlier.items() if state not in RUNNING_STATES), key=int)
        if stale:
            subprocess.run(["scancel", *stale], capture_output=True, timeout=60)
        return dataclasses.replace(submitted, replaced=stale)


def refuse_links_on_the_way(results: Path, pending: list[str]) -> None:
    """A link among the folders a submission writes under results/slurm/ (the job files, each run's record, the
    outputs job's) is refused before anything is submitted: submitit would write the jobs' commands where it leads,
    and the records, refused there only once Slurm had accepted the jobs, would cancel them."""
    confine_writes(results)  # the folder the jobs are told, links resolved: the one whose inside is checked
    for folder in ("jobs", "outputs"):
        refuse_links(slurm_folder(results) / folder)
    for name in pending:
        refuse_links(record_path(results, name).parent)


@contextlib.contextmanager
def submission_lock(results: Path, made: list[Path], waiting: Callable[[str], None]):
    """One `run --slurm` at a time checks and records the jobs of `results` (its lock: results/slurm/submit.lock).
    A submission refused takes back the lock file if it made it, and the folders it made (`made`), so that results/
    is as it was."""
    path = slurm_folder(results) / "submit.lock"
    there = path.exists()
    with step_lock(path, lambda: waiting(f"another `run --slurm` is submitting to {results}; waiting for it")):
        try:
            yield
        except BaseException:
            if not there:
                path.unlink(missing_ok=True)  # while held: a process waiting on it then locks the next one made
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise


def deferring_stops(work: Callable[[], Submitted]) -> Submitted:
    """`work()` (the submission), with SIGINT, SIGTERM and SIGHUP waiting: `work` runs in a thread of its own where
    they are blocked, as they are for the programs it starts (sbatch, which a Ctrl-C at the terminal reaches too and
    could cut after Slurm accepted its job), while this thread notes each one that comes. The first is handed on in
    `Submitted.stopped_by`, for the caller to say what was submitted and stop. An sbatch still running HUNG_S after a
    stop (or after it started, where that was later) hangs (a controller that does not answer): it is killed, its job
    refused as any sbatch refusal is, and the submission stopped (Stopped) saying so. A signal this process ignores (a
    background job's SIGINT) stays ignored. Only the main thread can take signals; elsewhere `work` just runs."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    kinds = [s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) is not signal.SIG_IGN]
    ended: dict[str, object] = {}
    stops: list[str] = []

    def note(signum, frame):
        stops.append(signal.Signals(signum).name)

    def submit():
        signal.pthread_sigmask(signal.SIG_BLOCK, kinds)
        try:
            ended["submitted"] = work()
        except BaseException as error:  # raised again in the calling thread
            ended["error"] = error

    previous = {s: signal.signal(s, note) for s in kinds}
    worker, seen, killed = threading.Thread(target=submit, name="submission"), {}, False
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.25)
            killed = (bool(stops) and kill_hung_sbatch(seen)) or killed
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if "error" in ended:
        if killed and isinstance(ended["error"], UserError):  # refused as its sbatch hung and was killed
            raise Stopped(
                f"stopped (by {stops[0]}): sbatch had not answered {HUNG_S:g} s after it, so sbatch was stopped and "
                f"every job of this submission Slurm had accepted was cancelled; nothing is left submitted, and the "
                f"same command submits the runs again",
                stops[0],
            ) from None
        raise ended["error"]
    return dataclasses.replace(ended["submitted"], stopped_by=stops[0] if stops else None)


def kill_hung_sbatch(seen: dict[int, float]) -> bool:
    """Kill each sbatch this process started that has run HUNG_S since `seen` first saw it (with what it started in
    turn, where it is a site's wrapper script), as /proc lists them; whether one was killed."""
    parents, now = {}, time.monotonic()
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    sbatch = [pid for pid, parent in parents.items() if parent == os.getpid() and _is_sbatch(pid)]
    hung = [pid for pid in sbatch if now - seen.setdefault(pid, now) >= HUNG_S]
    doomed = list(hung)
    for pid in doomed:  # and their descendants, which would hold sbatch's output open
        doomed += [child for child, parent in parents.items() if parent == pid]
    for pid in doomed:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return bool(hung)


def _is_sbatch(pid: int) -> bool:
    """Whether the process runs sbatch: itself, or a script of that name (the script is its second word)."""
    with contextlib.suppress(OSError):  # a process gone meanwhile is none
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2]
        return any(os.path.basename(word) == b"sbatch" for word in words)
    return False


def _submit_and_record(pending, skipped, command, resources: Resources, results: Path, name: str, pack, measures):
    folder = slurm_folder(results) / "jobs"
    python = [sys.executable, "-m", "resnet_repro", "run", *command]
    there = set(folder.iterdir()) if folder.exists() else set()
    with private_files() as umask, quiet_submitit():  # the user's own umask, for the files the jobs write
        import submitit

        from .task import JobCommand

        folder.mkdir(exist_ok=True)
        folder.chmod(0o700)
        executor = submitit.SlurmExecutor(folder=folder, max_num_timeout=resources.max_requeues)
        executor.update_parameters(**job_parameters(resources, f"{name}-run"))
        groups = [pending[first : first + pack] for first in range(0, len(pending), pack)]  # --pack N: N a job
        jobs = []
        if pending:
            with take_back(folder, there), sbatch_errors(resources.gpus_per_node), executor.batch():
                jobs = [executor.submit(JobCommand([*python, *_named(group)], umask)) for group in groups]
        after = sorted({job.job_id.split("_")[0] for job in jobs})
        extra = {"dependency": "afterany:" + ":".join(after)} if after else {}
        alone = resources.for_outputs(measures)
        try:
            with take_back(folder, there), sbatch_errors(alone.gpus_per_node):
                outputs_job = _submit_outputs(folder, alone, resources, f"{name}-outputs", extra, python, umask)
        except UserError:
            if after:  # the runs' jobs would train with no one to write the outputs: cancel them
                subprocess.run(["scancel", *after], capture_output=True, timeout=60)
            raise
    for path in folder.iterdir():  # submitit's job files: the user's alone
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)
    ran = [(run, job) for group, job in zip(groups, jobs) for run in group]
    with take_back(folder, there, BaseException):  # records not written: the jobs are cancelled, their files go
        _record_jobs(results, ran, outputs_job, command, cancel=[*after, outputs_job.job_id])
    return Submitted([(run, job.job_id) for run, job in ran], outputs_job.job_id, skipped)


def _submit_outputs(folder: Path, alone: Resources, runs: Resources, job_name: str, extra: dict, python, umask):
    """The outputs job, asking for `alone`; where that is no GPU and sbatch refuses it for that (its line names a GPU
    or gres) while the runs' jobs have GPUs (a site whose GPU partition takes only jobs with a GPU), once more with
    one GPU, on which it then runs. Any other refusal is said as sbatch said it."""
    import submitit

    from .task import JobCommand

    def submit(request: Resources):
        executor = submitit.SlurmExecutor(folder=folder, max_num_timeout=0)
        executor.update_parameters(**job_parameters(request, job_name), additional_parameters=extra)
        return executor.submit(JobCommand([*on_its_device(python, request), "--slurm-outputs"], umask))

    if not alone.gpus_per_node and runs.gpus_per_node:
        try:
            with take_back(folder, set(folder.iterdir()), Exception):  # the refused job's script goes
                return submit(alone)
        except Exception as error:  # sbatch's refusal, wrapped by submitit
            if not re.search(r"gpu|gres", sbatch_said(error), re.IGNORECASE):  # another refusal: said as it is
                raise
        alone = dataclasses.replace(alone, gpus_per_node=1)
    return submit(alone)  # a refusal here is sbatch's own line (sbatch_errors)


def _record_jobs(results: Path, ran: list, outputs_job, command: list[str], cancel: list[str]) -> None:
    """Each run's record of its job; where one cannot be written, every job of this submission (`cancel`) is
    cancelled and the records already written are removed: unrecorded, the jobs would train unseen and a second
    submission would not be refused."""
    written = []
    # a record of an earlier job of the same id (Slurm's ids start again when its state is wiped) is no sign of this one
    outputs_record_path(results, outputs_job.job_id).unlink(missing_ok=True)
    try:
        for run, job in ran:
            record = {
                "job": job.job_id,
                "outputs_job": outputs_job.job_id,
                "log": str(job.paths.stderr),
                "command": command,
            }
            write_record(results, run, record)
            written.append(record_path(results, run))
    except BaseException:
        subprocess.run(["scancel", *cancel], capture_output=True, timeout=60)
        for path in written:
            path.unlink(missing_ok=True)
        raise


def on_its_device(command: list[str], resources: Resources) -> list[str]:
    """`command` on the device a one-process job of `resources` has: the CPU where it asks for no GPU (a node hides
    the GPUs a job did not ask for: --device cuda would fail there), its GPU where it asks for one (cuda:3 would
    name a GPU it does not have)."""
    if "--device" not in command:
        return command
    at = command.index("--device") + 1
    device = command[at]
    if not resources.gpus_per_node:
        device = "cpu"
    elif device.startswith("cuda"):
        device = "cuda"
    return [*command[:at], device, *command[at + 1 :]]


def _named(group: list[str]) -> list[str]:
    return [word for run in group for word in ("--slurm-run", run)]


def job_parameters(resources: Resources, job_name: str) -> dict:
    """submitit's sbatch parameters for one job of `resources`."""
    optional = {key: getattr(resources, key) for key in ("partition", "account", "qos", "constraint", "mem")}
    return {
        "job_name": job_name,
        "time": resources.minutes,
        "nodes": resources.nodes,
        "ntasks_per_node": resources.tasks_per_node,
        "cpus_per_task": resources.cpus_per_task,
        **({"gpus_per_node": resources.gpus_per_node} if resources.gpus_per_node else {}),
        "signal_delay_s": resources.signal_before_s,
        # a job's own files (logs, its result) are written by the job: private there too
        "setup": ["umask 077"],
        **{key: value for key, value in optional.items() if value is not None},
    }


@contextlib.contextmanager
def take_back(folder: Path, there: set[Path], refused: type[BaseException] = UserError):
    """When Slurm refuses a job (or the jobs' records cannot be written: `refused`), remove the files submitit wrote
    for this submission (the folders it made go in `submission_lock`), so that results/ is as it was."""
    try:
        yield
    except refused:
        if folder.exists():
            for path in set(folder.iterdir()) - there:
                path.unlink()
        raise


@contextlib.contextmanager
def private_files():
    """Files and folders made meanwhile are the user's alone (0600, 0700); yields the umask they were made with."""
    previous = os.umask(0o077)
    try:
        yield previous
    finally:
        os.umask(previous)


@contextlib.contextmanager
def quiet_submitit():
    """submitit logs a warning each time sacct fails, which it does on every cluster without accounting: this
    tool never asks sacct (it reads squeue and the run folders), so the warning says nothing to the user."""

    def quiet(record: logging.LogRecord) -> bool:  # a logging filter may be a plain function
        return "sacct" not in record.getMessage()

    logger = logging.getLogger("submitit")
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


@contextlib.contextmanager
def sbatch_errors(gpus_per_node: int):
    """What sbatch refuses (a bad account, a time over the partition's limit), as its own one line; where it refuses
    the jobs' GPUs (a cluster of CPUs has no GPU gres), how to ask for none."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # submitit prints sbatch's stderr as well as raising it
            yield
    except Exception as error:  # submitit wraps sbatch's exit in its own errors, with sbatch's stderr inside
        if isinstance(error, UserError):
            raise
        said = sbatch_said(error)
        hint = ""
        if gpus_per_node and "Invalid generic resource (gres) specification" in said:
            hint = (
                f"; each job asks for {counted(gpus_per_node, 'GPU')} a node (gpus_per_node: {gpus_per_node}): on a "
                f"cluster without GPUs set gpus_per_node: 0 in the resource file (or --resource gpus_per_node=0)"
            )
        raise UserError(f"Slurm refused the job: {shorten(said, 300)}{hint}") from None


def sbatch_said(error: Exception) -> str:
    """sbatch's own line of its refusal, out of the error submitit wraps it in (with sbatch's stderr inside)."""
    lines = [line.strip() for line in str(error).splitlines() if "error" in line.lower() and line.strip()]
    return next((line for line in lines if line.startswith("sbatch:")), lines[-1] if lines else str(error))


def pending_names(results: Path, runs) -> tuple[list[str], list[str]]:
    """(runs to submit, runs already ended), as `run` plans them."""
    from ..train.runner import plan_runs  # torch: the submitting `run` trains nothing, but plans as a local run

    reports, pending = plan_runs(runs, results)
    return [config.name for config, _ in pending], [report.name for report in reports]
