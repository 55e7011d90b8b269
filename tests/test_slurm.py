"""`run --slurm` through the real sbatch of a one-node Slurm cluster (ci/slurm-cluster.sh): the jobs' numbers equal a
local run's, a run already on Slurm is not submitted twice, and every bad input is one line with nothing submitted."""

import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.cluster.resources import Resources, engine_defaults, read_resources, time_minutes
from resnet_repro.cluster.state import queue, slurm_run

from .conftest import (
    PLAIN20_RUN,
    assert_one_line_error,
    assert_same_run,
    cli,
    cli_in_process,
    smoke_args,
    smoke_run_args,
)

# Each job asks for one CPU and no GPU, and gets the whole of a 10-minute limit.
RESOURCES = "gpus_per_node: 0\ncpus_per_task: 1\ntime: '10'\n"


def resources_file(folder: Path, text: str = RESOURCES) -> Path:
    path = folder / "resources.yaml"
    path.write_text(text)
    return path


def submitted_jobs(stdout: str) -> list[str]:
    """The job ids of the cancel line `run --slurm` ends with."""
    line = next(line for line in stdout.splitlines() if line.startswith("cancel: scancel "))
    return line.removeprefix("cancel: scancel ").split()


def in_queue(jobs: list[str]) -> bool:
    out = subprocess.run(["squeue", "--noheader", "--array", "--format=%i"], capture_output=True, text=True, check=True)
    queued = {line.split("_")[0] for line in out.stdout.split()}
    return any(job in queued for job in jobs)


def wait_for_jobs(jobs: list[str], timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    while in_queue(jobs):
        assert time.time() < deadline, f"jobs {jobs} still in the queue after {timeout_s} s"
        time.sleep(1)


def show_wide(results: Path):
    """`show` of fig1's smoke plain-20, on a console wide enough that no status cell wraps."""
    return cli("show", "fig1", "-p", "smoke", "--only", "plain-20", "--results", str(results), env={"COLUMNS": "1000"})


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")} if folder.exists() else {}


@pytest.fixture(scope="module")
def slurm_smoke(slurm_cluster, cifar_dir, tmp_path_factory):
    """fig1's two smoke runs submitted with --slurm (an array of two jobs) and followed to the end with --wait:
    (results, the submitting output)."""
    results = tmp_path_factory.mktemp("slurm-smoke")
    resources = str(resources_file(results.parent))
    submitted = cli(
        *smoke_run_args("fig1", cifar_dir, results, "--slurm", "--resources", resources, "--wait"), check=True
    )
    assert not in_queue(submitted_jobs(submitted.stdout))  # --wait returned once the outputs job had ended
    return results, submitted


def test_smoke_runs_trained_by_slurm_equal_the_local_runs(slurm_smoke, fig1_smoke):
    results, submitted = slurm_smoke
    array, outputs = submitted_jobs(submitted.stdout)
    lines = submitted.stdout.splitlines()
    assert (
        f"  cifar10/plain-20/smoke/seed0: job {array}_0" in lines
        and f"  cifar10/plain-56/smoke/seed0: job {array}_1" in lines
    )
    assert f"  then job {outputs} writes fig1's tables, figures and the report" in lines
    for run in (PLAIN20_RUN, PLAIN20_RUN.replace("plain-20", "plain-56")):
        assert_same_run(fig1_smoke / run, results / run)  # OMP_NUM_THREADS=1 reaches the jobs: the same digits
        assert f"{run.removeprefix('runs/')}: finished" in lines  # what --wait followed
    # the outputs job wrote the target's figure and the report over the runs it found
    assert (results / "fig1/smoke/fig1.png").exists() and (results / "REPORT.md").exists()
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--only", "plain-20", "--results", str(results))
    assert re.search(r"cifar10/plain-20/smoke/seed0\s+.\s+finished", shown.stdout), shown.stdout


def test_wait_ends_as_a_local_run_does_once_the_outputs_job_wrote_them(slurm_smoke):
    """`--wait` ended on the runs' last line, its one pointer the `show` of its start (the runs and the recipe), with
    nothing on the tables, figures and report the outputs job had just written; now it ends as a local run does."""
    results, submitted = slurm_smoke
    lines = submitted.stdout.splitlines()
    assert f"wrote {results}/fig1/smoke/fig1.png" in lines
    # the claim's verdict, as a local run says it; which of the two a 12-iteration run gets rests on the torch build's
    # float sums, so either mark is taken
    claim = "the deeper network has higher training error (training error: plain-20 < plain-56)"
    assert f"  ✅ holds: {claim}" in lines or f"  ❌ does not hold: {claim}" in lines, lines
    assert lines[-1] == f"report: {results}/REPORT.html (and REPORT.md beside it)"


def test_wait_says_so_when_the_outputs_job_ended_without_finishing(tmp_path):
    """An outputs job that failed (here a file stands where fig1's folder goes) left --wait exiting 0 after the runs'
    lines, no table and no report written; now it is an error naming the job and its log."""
    from resnet_repro.cli.run import _after_outputs_job
    from resnet_repro.specs.experiments import load_target, resolve_runs

    spec = load_target("fig1")
    with pytest.raises(UserError) as error:
        _after_outputs_job(spec, resolve_runs(spec, "smoke"), tmp_path, "116")
    assert str(error.value) == (
        f"job 116, which writes fig1's tables, figures and the report, ended without finishing; its log: "
        f"{tmp_path}/slurm/jobs/116_0_log.err"
    )


@pytest.mark.parametrize("record", [{"written": [], "report": 5}, {"written": [7], "report": None}])
def test_a_damaged_outputs_record_is_no_record(tmp_path, record):
    """A report or a written file that is not a path ended `--wait` in a traceback (TypeError) after the outputs job."""
    from resnet_repro.cluster.state import outputs_record_path, read_outputs_record
    from resnet_repro.store.layout import write_json

    outputs_record_path(tmp_path, "116").parent.mkdir(parents=True)
    write_json(outputs_record_path(tmp_path, "116"), {"job": "116", **record})
    assert read_outputs_record(tmp_path, "116") is None


def test_a_record_of_an_earlier_outputs_job_of_the_same_id_is_removed_at_submission(tmp_path):
    """Slurm's job ids start again when its state is wiped: an old record under the new outputs job's id would have
    --wait report that job's files as written, whatever it did."""
    from types import SimpleNamespace

    from resnet_repro.cluster.state import outputs_record_path, read_outputs_record, write_outputs_record
    from resnet_repro.cluster.submit import _record_jobs

    write_outputs_record(tmp_path, "116", [tmp_path / "fig1/smoke/table.csv"], tmp_path / "REPORT.html")
    assert read_outputs_record(tmp_path, "116") is not None
    job = SimpleNamespace(job_id="115_0", paths=SimpleNamespace(stderr=tmp_path / "slurm/jobs/115_0_0_log.err"))
    _record_jobs(tmp_path, [("cifar10/plain-20/smoke/seed0", job)], SimpleNamespace(job_id="116"), ["fig1"], cancel=[])
    assert not outputs_record_path(tmp_path, "116").exists()


def test_the_jobs_files_are_the_users_alone_and_the_runs_files_are_not(slurm_smoke):
    results, _ = slurm_smoke
    jobs = results / "slurm/jobs"
    assert stat.S_IMODE(jobs.stat().st_mode) == 0o700
    pickles = list(jobs.glob("*.pkl"))
    assert len(pickles) >= 3  # each job's command and each job's result
    for path in jobs.iterdir():
        if path.is_file() and not path.is_symlink():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # the run's own files follow the user's umask, as a local run's do
    mode = stat.S_IMODE((results / PLAIN20_RUN / "final.json").stat().st_mode)
    assert mode == 0o666 & ~_umask(), oct(mode)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_run_on_slurm_is_not_submitted_twice_and_show_follows_it(slurm_cluster, cifar_dir, tmp_path):
    resources = str(resources_file(tmp_path))
    queued = ["--slurm", "--resources", resources, "--resource", "partition=queued"]  # a partition that is down
    first = cli_in_process(*smoke_args(cifar_dir, tmp_path / "results", *queued))
    assert first.returncode == 0, first.stderr
    jobs = submitted_jobs(first.stdout)
    try:
        record = json.loads((tmp_path / "results/slurm/runs/cifar10/plain-20/smoke/seed0.json").read_text())
        assert record["job"] == jobs[0]
        before = snapshot(tmp_path / "results")
        again = cli_in_process(*smoke_args(cifar_dir, tmp_path / "results", *queued))
        assert_one_line_error(
            again,
            f"run cifar10/plain-20/smoke/seed0 is already queued on Slurm as job {jobs[0]}; follow it with "
            f"`resnet-repro show`, or cancel it with `scancel {jobs[0]}` before submitting it again",
        )
        assert snapshot(tmp_path / "results") == before
        shown = show_wide(tmp_path / "results")
        assert f"queued on Slurm (job {jobs[0]})" in shown.stdout
        listed = cli("list", "--results", str(tmp_path / "results"), env={"COLUMNS": "1000"})  # no cell wraps
        assert "smoke 0/2, 1 queued on Slurm, time left" in listed.stdout
    finally:
        subprocess.run(["scancel", *jobs], check=True)
    wait_for_jobs(jobs, timeout_s=60)
    # cancelled before it ended the run: failed on Slurm, with its log
    shown = show_wide(tmp_path / "results")
    assert f"failed on Slurm (job {jobs[0]}), log: " in shown.stdout
    found = slurm_run(tmp_path / "results", "cifar10/plain-20/smoke/seed0", queue())
    assert (
        found.describe() == f"failed on Slurm (job {jobs[0]}), log: {tmp_path}/results/slurm/jobs/{jobs[0]}_0_log.err"
    )


@pytest.mark.parametrize("stop, code, by", [(signal.SIGINT, 130, ""), (signal.SIGTERM, 143, " (by SIGTERM)")])
def test_ctrl_c_while_waiting_says_the_jobs_go_on_and_how_to_follow_or_cancel_them(
    slurm_cluster, cifar_dir, tmp_path, stop, code, by
):
    """Ctrl-C during `run --slurm --wait` printed only "interrupted", as if the jobs had stopped with it; a kill
    (SIGTERM: `kill`, a login node's session manager) ended it with exit code 143 and not a word."""
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued", "--wait"]
    command = [sys.executable, "-m", "resnet_repro", *smoke_args(cifar_dir, tmp_path / "results", *queued)]
    waiting = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "1000"}
    )
    said = []
    try:
        for line in waiting.stdout:  # --wait has drawn the run's state: it follows the jobs
            said.append(line.rstrip("\n"))
            if line.startswith("cifar10/plain-20/smoke/seed0: queued on Slurm"):
                break
        waiting.send_signal(stop)
        out, err = waiting.communicate(timeout=60)
    finally:
        waiting.kill()
        jobs = submitted_jobs("\n".join(said))
    try:
        assert waiting.returncode == code, err
        follow = next(line for line in said if line.startswith("follow: ")).removeprefix("follow: ")
        assert err.strip() == (
            f"stopped following{by}; the jobs stay queued or running on Slurm: follow them with `{follow}`, cancel them "
            f"with `scancel {' '.join(jobs)}`"
        )
        assert in_queue(jobs)  # the jobs go on
    finally:
        subprocess.run(["scancel", *jobs], check=True)


def test_two_submissions_started_together_submit_each_run_once(slurm_cluster, cifar_dir, tmp_path):
    """Two `run --slurm` of one target started at the same moment (a slow sbatch widens the moment to seconds) both
    found no job recorded, both submitted, and the second record hid the first job; now the second waits for the
    first to record its jobs, then is refused, naming the job."""
    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "sbatch").write_text(f'#!/bin/sh\nsleep 3\nexec {shutil.which("sbatch")} "$@"\n')
    (slow / "sbatch").chmod(0o755)
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued"]
    env = {**os.environ, "COLUMNS": "200", "PATH": f"{slow}:{os.environ['PATH']}"}
    command = [sys.executable, "-m", "resnet_repro", *smoke_args(cifar_dir, tmp_path / "results", *queued)]
    started = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in "ab"
    ]
    said = [process.communicate(timeout=300) for process in started]
    ok = [out for (out, _), process in zip(said, started) if process.returncode == 0]
    jobs = [job for out in ok for job in submitted_jobs(out)]
    try:
        assert len(ok) == 1, said
        refused = next(err for (_, err), process in zip(said, started) if process.returncode != 0)
        record = json.loads((tmp_path / "results/slurm/runs/cifar10/plain-20/smoke/seed0.json").read_text())
        assert refused.strip().endswith(
            f"error: run cifar10/plain-20/smoke/seed0 is already queued on Slurm as job {record['job']}; follow it "
            f"with `resnet-repro show`, or cancel it with `scancel {record['job']}` before submitting it again"
        ), refused
        assert record["job"].split("_")[0] == jobs[0]
    finally:
        if jobs:
            subprocess.run(["scancel", *jobs], check=True)


def test_ctrl_c_while_sbatch_runs_leaves_no_job_unrecorded(slurm_cluster, cifar_dir, tmp_path):
    """A Ctrl-C at the terminal (SIGINT to sbatch too) once Slurm had accepted a job, before sbatch had returned, left
    the job queued and unrecorded: `show`, `--wait` and a second submission did not know it. Now the submission
    finishes and records every job, then stops on one line naming them."""
    slow, accepted = tmp_path / "bin", tmp_path / "accepted"
    slow.mkdir()
    (slow / "sbatch").write_text(  # a Python wrapper, as sbatch itself keeps the signal mask it is started with
        f"#!{sys.executable}\nimport pathlib, subprocess, sys, time\n"
        f"done = subprocess.run([{shutil.which('sbatch')!r}, *sys.argv[1:]], capture_output=True, text=True)\n"
        f"pathlib.Path({str(accepted)!r}).touch()\ntime.sleep(1)\n"
        f"print(done.stdout, end=''); print(done.stderr, end='', file=sys.stderr); sys.exit(done.returncode)\n"
    )
    (slow / "sbatch").chmod(0o755)
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued"]
    env = {**os.environ, "COLUMNS": "1000", "PATH": f"{slow}:{os.environ['PATH']}"}
    command = [sys.executable, "-m", "resnet_repro", *smoke_args(cifar_dir, tmp_path / "results", *queued)]
    submitting = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        deadline = time.time() + 120
        while not accepted.exists():  # Slurm has the first job; sbatch has not returned
            assert time.time() < deadline and submitting.poll() is None, submitting.communicate()
            time.sleep(0.05)
        os.killpg(submitting.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole foreground group
        out, err = submitting.communicate(timeout=120)
    finally:
        submitting.kill()
    record = tmp_path / "results/slurm/runs/cifar10/plain-20/smoke/seed0.json"
    job = json.loads(record.read_text())["job"] if record.exists() else None
    jobs = subprocess.run(["squeue", "--noheader", "--format=%i|%o"], capture_output=True, text=True, check=True)
    mine = [line.split("|")[0] for line in jobs.stdout.split() if str(tmp_path) in line]  # this test's jobs
    try:
        assert job is not None and job in mine, (out, err)  # every job Slurm accepted is recorded
        assert submitting.returncode == 130, err
        follow = next(line for line in out.splitlines() if line.startswith("follow: ")).removeprefix("follow: ")
        assert err.strip() == (
            f"stopped (by SIGINT) once every job was submitted and recorded; the jobs stay queued or running on Slurm: "
            f"follow them with `{follow}`, cancel them with `scancel {' '.join(submitted_jobs(out))}`"
        )
    finally:
        if mine:
            subprocess.run(["scancel", *mine], check=True)


def test_a_recorded_run_is_not_submitted_again_while_squeue_does_not_answer(tmp_path, monkeypatch):
    """With squeue not answering (a busy controller's timeout), a run whose job was still queued was submitted again:
    two jobs for one run, and its record named the second. Now it is refused until squeue answers; a run never
    submitted is not held back."""
    from resnet_repro.cluster.state import write_record
    from resnet_repro.cluster.submit import refuse_double_submission

    down = tmp_path / "bin"
    down.mkdir()
    (down / "squeue").write_text(
        "#!/bin/sh\necho 'squeue: error: Socket timed out on send/recv operation' >&2\nexit 1\n"
    )
    (down / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", f"{down}:{os.environ['PATH']}")
    results, run = tmp_path / "results", "cifar10/plain-20/smoke/seed0"
    refuse_double_submission(results, [run])  # nothing recorded: nothing to tell
    write_record(results, run, {"job": "57", "outputs_job": "58", "log": f"{results}/slurm/jobs/57_0_log.err"})
    with pytest.raises(UserError) as error:
        refuse_double_submission(results, [run])
    assert str(error.value) == (
        f"squeue does not answer, so whether run {run}'s job 57 is still queued or running cannot be told (submitting "
        f"it again would train it twice); submit again once `squeue` answers"
    )


def test_the_queue_is_asked_in_a_form_squeue_before_20_02_takes(tmp_path, monkeypatch):
    """squeue was asked with `--me`, which Slurm before 20.02 refuses: there `show` and `--wait` could not follow the
    jobs, and a run with a job recorded was refused as if squeue did not answer. Now it is asked with `--user`, the
    uid's own name (or the uid, where it has none), which every Slurm takes."""
    import pwd

    from resnet_repro.cluster import state
    from resnet_repro.cluster.submit import refuse_double_submission

    old, asked = tmp_path / "bin", tmp_path / "asked"
    old.mkdir()
    (old / "squeue").write_text(  # Slurm 19.05's squeue: no --me; its one job of this user, queued
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {asked}\n'
        'for a; do [ "$a" = --me ] && { echo "squeue: unrecognized option \'--me\'" >&2; exit 1; }; done\n'
        "echo '57|PENDING'\n"
    )
    (old / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}:{os.environ['PATH']}")
    monkeypatch.setenv("USER", "someone-else")  # as `sudo` may leave it: squeue is asked for the uid's own jobs
    assert queue() == {"57": "PENDING"}
    name = pwd.getpwuid(os.getuid()).pw_name
    assert asked.read_text().splitlines() == [f"--user={name}", "--array", "--noheader", "--format=%i|%T"]
    results, run = tmp_path / "results", "cifar10/plain-20/smoke/seed0"
    state.write_record(results, run, {"job": "57", "outputs_job": "58", "log": f"{results}/slurm/jobs/57_0_log.err"})
    with pytest.raises(UserError, match=rf"^run {run} is already queued on Slurm as job 57;"):
        refuse_double_submission(results, [run])

    def nameless(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", nameless)  # a container's user with no entry in /etc/passwd
    assert queue() == {"57": "PENDING"}
    assert asked.read_text().splitlines()[0] == f"--user={os.getuid()}"


def test_an_outputs_job_still_queued_is_replaced_or_followed_not_doubled(tmp_path, monkeypatch):
    """`run --slurm` again while the outputs job of an earlier one was still queued (its run's job had left: cancelled,
    failed) submitted a second outputs job: the first then wrote the tables and report before the run was trained
    again, and the second once more after it. Now the earlier one, not yet started, is cancelled for the new one; and
    where every run has ended, nothing is submitted: the outputs job already on Slurm is the one to follow."""
    from resnet_repro.cluster.submit import submit_target

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sbatch").write_text(  # numbers the jobs from 500
        f"#!/bin/sh\nn=$(cat {tmp_path}/n 2>/dev/null || echo 500); echo $((n+1)) > {tmp_path}/n\n"
        'echo "Submitted batch job $n"\n'
    )
    (
        fake / "squeue"
    ).write_text(  # the jobs this test puts in the queue; from call N on no answer, where `answers` says N
        f"#!/bin/sh\nc=$(cat {tmp_path}/calls 2>/dev/null || echo 0); echo $((c+1)) > {tmp_path}/calls\n"
        f'[ -f {tmp_path}/answers ] && [ "$c" -ge "$(cat {tmp_path}/answers)" ] && exit 1\ncat {tmp_path}/queue\n'
    )
    (fake / "scancel").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/cancelled\n')
    for tool in fake.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    queued, cancelled = tmp_path / "queue", tmp_path / "cancelled"
    resources = read_resources(None, ["gpus_per_node=0"], engine_defaults(1))
    results, run, command = tmp_path / "results", "cifar10/plain-20/smoke/seed0", ["fig1", "--profile", "smoke"]

    def submit(pending: list[str], skipped: list[str], queue_now: str, again: list[str] = command):
        queued.write_text(queue_now)
        return submit_target((pending, skipped), again, resources, results, "fig1")

    assert submit([run], [], "").outputs_job == "501"  # run 500, then outputs 501
    replaced = submit([run], [], "501|PENDING\n")  # 500 cancelled; 501 waits, with nothing left to wait for
    assert (replaced.runs, replaced.outputs_job, cancelled.read_text()) == ([(run, "502")], "503", "501\n")
    assert replaced.lines("fig1", "show")[2] == (
        "  then job 503 writes fig1's tables, figures and the report (in place of job 501, cancelled)"
    )
    followed = submit([], [run], "503|PENDING\n")  # the run has ended; its outputs job has not started
    assert (followed.runs, followed.outputs_job, followed.reused) == ([], "503", True)
    assert followed.lines("fig1", "show") == [
        "nothing new submitted to Slurm for fig1:",
        f"  {run}: already ended, not submitted",
        "  job 503, submitted before and still on Slurm, writes fig1's tables, figures and the report",
        "follow: show",
        "cancel: scancel 503",
    ]
    assert (tmp_path / "n").read_text() == "504\n"  # nothing was submitted
    # squeue answers the refusal's checks and no later call: the submission judges by the answer it had, and follows
    # job 503 rather than queueing another beside it
    (tmp_path / "calls").write_text("0")
    (tmp_path / "answers").write_text("2")
    assert submit([], [run], "503|PENDING\n").reused and (tmp_path / "n").read_text() == "504\n"
    (tmp_path / "answers").unlink()
    writing = submit([run], [], "503|RUNNING\n")  # one already writing is left to finish, the new one writes after
    assert (writing.outputs_job, writing.replaced, cancelled.read_text()) == ("505", [], "501\n")
    other = submit([], [run], "505|PENDING\n", [*command, "--seeds", "3"])  # another table: its own outputs job
    assert (other.outputs_job, other.reused, cancelled.read_text()) == ("506", False, "501\n")
    record = tmp_path / "results/slurm/runs" / f"{run}.json"  # damaged by hand: an array's task as its outputs job
    record.write_text(json.dumps({**json.loads(record.read_text()), "outputs_job": "502_0"}))
    assert submit([], [run], "502_0|PENDING\n").outputs_job == "507"


def test_the_follow_line_is_a_command_a_shell_runs_as_printed(slurm_cluster, cifar_dir, tmp_path):
    """A results folder with a space, a --set value with one: the follow line printed them bare, and pasted into a
    shell it split them into other words."""
    results = tmp_path / "my results"
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued"]
    submitted = cli_in_process(*smoke_args(cifar_dir, results, "--set", "recipe.lr_steps=[8, 10]", *queued))
    assert submitted.returncode == 0, submitted.stderr
    try:
        follow = next(line for line in submitted.stdout.splitlines() if line.startswith("follow: "))
        assert shlex.split(follow.removeprefix("follow: ")) == [
            *["resnet-repro", "show", "fig1", "--profile", "smoke", "--only", "plain-20"],
            *["--set=recipe.lr_steps=[8, 10]", "--results", str(results)],
        ]
    finally:
        subprocess.run(["scancel", *submitted_jobs(submitted.stdout)], check=True)


def test_with_pack_the_runs_of_a_pack_are_one_job(slurm_cluster, cifar_dir, tmp_path):
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued"]
    submitted = cli_in_process(*smoke_run_args("fig1", cifar_dir, tmp_path / "results", *queued, "--pack", "2"))
    assert submitted.returncode == 0, submitted.stderr
    jobs = submitted_jobs(submitted.stdout)
    try:
        assert len(jobs) == 2  # one job trains both runs (--pack 2 inside it), then the outputs job
        lines = submitted.stdout.splitlines()
        assert f"  cifar10/plain-20/smoke/seed0: job {jobs[0]}" in lines
        assert f"  cifar10/plain-56/smoke/seed0: job {jobs[0]}" in lines
        script = (tmp_path / f"results/slurm/jobs/{jobs[0]}_submission.sh").read_text()
        assert "#SBATCH --array" not in script
    finally:
        subprocess.run(["scancel", *jobs], check=True)


@pytest.mark.parametrize(
    "case, says",
    [
        ("no-sbatch", "--slurm: no `sbatch` on the PATH; run this on a login node of a Slurm cluster"),
        ("partition", "partition 'nosuch' is not one of this cluster's (debug, queued); set another with --resource"),
        ("unwritable", "the jobs cannot write the results folder"),
        ("unknown-key", "resources.yaml:2: unknown key 'gpus'; known keys: partition, account"),
        ("wrong-type", "resources.yaml:1: nodes: expected a whole number, got 'two'"),
        ("override", "--resource: time: soon is not a Slurm time limit (e.g. 24:00:00, 2-00:00:00 or 90)"),
        ("newline", "resources.yaml:4: account: 'my\\nproj' holds a control character; a Slurm name is one line"),
        ("jobs", "--jobs and --devices spread runs over this machine; with --slurm each run is a job"),
        ("newline-results", "--slurm: the results folder "),
        ("percent-results", "100%x holds '%', which sbatch reads in a job's log path as a pattern ('%j' the job id"),
        ("twice", "error: --resource 'nodes=2' and --resource 'nodes=5' both set nodes; give each key once"),
        ("wait-alone", "--resource and --wait go with --slurm; add --slurm to submit the runs"),
        ("array", "error: 1002 runs are 1002 jobs, and this cluster's job arrays hold at most 1000 (MaxArraySize)"),
        ("resources-alone", "--resources goes with --slurm; add --slurm to submit the runs, or leave --resources out"),
        (
            "slurm-refuses",
            "Slurm refused the job: sbatch: error: Batch job submission failed: Invalid feature specification",
        ),
        ("link-runs", "results/slurm/runs is a link (to "),
        ("link-jobs", "results/slurm/jobs is a link (to "),
        (
            "no-gpus",
            "error: Slurm refused the job: sbatch: error: Invalid generic resource (gres) specification; each job asks "
            "for 1 GPU a node (gpus_per_node: 1): on a cluster without GPUs set gpus_per_node: 0 in the resource "
            "file (or --resource gpus_per_node=0)",
        ),
    ],
)
def test_bad_input_is_one_line_and_submits_nothing(slurm_cluster, cifar_dir, tmp_path, monkeypatch, case, says):
    results = tmp_path / "results"
    extra = ["--slurm", "--resources", str(resources_file(tmp_path))]
    if case == "no-sbatch":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    elif case == "partition":
        extra += ["--resource", "partition=nosuch"]
    elif case == "unwritable":
        (tmp_path / "a-file").write_text("")
        results = tmp_path / "a-file" / "results"
    elif case == "unknown-key":
        extra[-1] = str(resources_file(tmp_path, "cpus_per_task: 1\ngpus: 1\n"))
    elif case == "wrong-type":
        extra[-1] = str(resources_file(tmp_path, "nodes: two\n"))
    elif case == "newline":
        extra[-1] = str(resources_file(tmp_path, RESOURCES + 'account: "my\\nproj"\n'))
    elif case == "override":
        extra += ["--resource", "time=soon"]
    elif case == "newline-results":  # sbatch refused the broken #SBATCH line of the job's log, in its own words
        results = tmp_path / "a\nb"
    elif case == "percent-results":  # Slurm made %x the job's name in the log's path, and the job failed unlogged
        results = tmp_path / "100%x"
    elif case == "twice":  # the line named --set, an option not given
        extra += ["--resource", "nodes=2", "--resource", "nodes=5"]
    elif case == "jobs":
        extra += ["--jobs", "2"]
    elif case == "wait-alone":
        extra = ["--wait"]
    elif case == "array":  # sbatch: "Invalid job array specification"
        extra = ["--seeds", "501", *extra]  # of fig1's two nets
    elif case == "resources-alone":  # the runs trained here, the cluster's file named and unread
        extra = extra[1:]
    elif case == "slurm-refuses":
        extra += ["--resource", "constraint=nosuchfeature"]  # no node of the cluster has it
    elif case.startswith("link-"):  # Slurm accepted the jobs, then the records' write refused the link: cancelled,
        # their files left in results/slurm/jobs, and the records' folders made where the link leads (jobs/: the
        # jobs' commands written there)
        (tmp_path / "elsewhere").mkdir()
        (results / "slurm").mkdir(parents=True)
        (results / "slurm" / case.removeprefix("link-")).symlink_to(tmp_path / "elsewhere")
    elif case == "no-gpus":  # the default of a CIFAR run, on this cluster of CPUs: sbatch's line, and no way out
        extra = ["--slurm", "--resources", str(resources_file(tmp_path, "cpus_per_task: 1\ntime: '10'\n"))]
    before = snapshot(tmp_path)
    args = (
        smoke_run_args("fig1", cifar_dir, results, *extra)
        if case == "array"
        else smoke_args(cifar_dir, results, *extra)
    )
    result = cli_in_process(*args)
    assert_one_line_error(result, says)
    if case == "newline-results":
        assert result.stderr.strip().endswith(
            "a\\nb holds a control character, which cannot be written in a job's sbatch script (its log files live "
            "under that folder); give --results a folder without one"
        ), result.stderr
    assert snapshot(tmp_path) == before  # nothing submitted, results/ untouched (not even made)


def test_a_list_of_partitions_is_checked_name_by_name(slurm_cluster, tmp_path):
    """sbatch takes `-p debug,queued` (the job starts in whichever partition can start it first); the check refused it
    as a partition the cluster does not have."""
    from resnet_repro.cluster.submit import check_cluster

    check_cluster(Resources(partition="debug,queued"), tmp_path / "results")
    with pytest.raises(UserError, match=r"^partition 'nosuch' is not one of this cluster's \(debug, queued\); set"):
        check_cluster(Resources(partition="debug,nosuch"), tmp_path / "results")


@pytest.mark.parametrize(
    "target, extra, says",
    [
        ("gradflow", ["--slurm"], "error: --slurm: gradflow trains nothing (gradient flow at initialisation); leave"),
        ("table1", ["--slurm", "--resource", "foo=1"], "error: --slurm: table1 trains nothing (parameter and FLOP"),
        ("gradflow", ["--wait"], "error: --resource and --wait go with --slurm; add --slurm to submit the runs"),
    ],
)
def test_a_target_that_trains_nothing_is_not_made_here_when_slurm_was_asked(tmp_path, target, extra, says):
    """`run gradflow --slurm --resource foo=1 --wait` measured the target on the login node and exited 0, every Slurm
    option dropped unread; now it is one line and nothing is written."""
    result = cli_in_process("run", target, *extra, "--results", str(tmp_path / "results"))
    assert_one_line_error(result, says)
    assert not (tmp_path / "results").exists()


def test_more_jobs_than_the_clusters_arrays_hold_is_one_line_naming_the_way_round(slurm_cluster):
    """sbatch refused an array past MaxArraySize (1001 here) as "Invalid job array specification", naming neither."""
    from resnet_repro.cluster.submit import check_array_size

    check_array_size(1000, 1)
    check_array_size(1200, 2)
    with pytest.raises(UserError) as error:
        check_array_size(1001, 1)
    assert str(error.value) == (
        "1001 runs are 1001 jobs, and this cluster's job arrays hold at most 1000 (MaxArraySize); put more runs in "
        "each job with --pack 2, or submit fewer at once (--only, --seeds)"
    )


def test_a_run_a_local_process_trains_is_not_submitted(slurm_cluster, cifar_dir, tmp_path):
    """Its job would start, be refused the run's lock, and fail on Slurm while the local run trains on."""
    from resnet_repro.store.layout import RunFiles
    from resnet_repro.store.lock import run_lock

    results = tmp_path / "results"
    folder = RunFiles(results, "cifar10/plain-20/smoke/seed0").dir
    folder.mkdir(parents=True)
    with run_lock(folder, "cifar10/plain-20/smoke/seed0"):  # as a local `run` holds it while it trains
        resources = resources_file(tmp_path)
        before = snapshot(tmp_path)
        result = cli_in_process(*smoke_args(cifar_dir, results, "--slurm", "--resources", str(resources)))
    assert_one_line_error(
        result,
        f"error: run cifar10/plain-20/smoke/seed0 is being trained right now by another process (its lock in {folder} "
        f"is held); let it finish or stop it (Ctrl-C keeps its checkpoint) before submitting it to Slurm",
    )
    assert snapshot(tmp_path) == before  # nothing submitted


def test_wait_says_a_run_failed_when_its_jobs_left_and_its_records_were_removed(tmp_path, monkeypatch):
    """`--wait` while results/slurm/ (or the whole results folder) is removed: once the jobs left the queue without
    ending the runs, it said "not started" and exited 0, as if all were done. The count agrees with its noun: it said
    "1 run(s) failed"."""
    from resnet_repro.cluster import wait
    from resnet_repro.cluster.state import Submitted

    class Said:
        def __init__(self):
            self.lines = []

        def message(self, line):
            self.lines.append(line)

    monkeypatch.setattr(wait, "queue", lambda: {})  # every job has left the queue
    reporter = Said()
    submitted = Submitted([("cifar10/plain-20/smoke/seed0", "7_0")], "8", [])
    with pytest.raises(UserError, match=r"^1 run failed on Slurm: cifar10/plain-20/smoke/seed0; `resnet-repro show`"):
        wait.follow_jobs(submitted, tmp_path / "results", reporter, {})
    assert reporter.lines == ["cifar10/plain-20/smoke/seed0: failed on Slurm (job 7_0)"]


def test_wait_follows_on_through_a_poll_squeue_does_not_answer(tmp_path, monkeypatch):
    """One squeue that timed out (a busy controller) ended `--wait` at once, exit 2, hours before the jobs ended; now
    it asks again, and gives up only after a minute of squeue not answering."""
    from resnet_repro.cluster import wait
    from resnet_repro.cluster.state import Submitted

    answers = iter([None, None, {"8": "PENDING"}, None, {}])  # then the outputs job has left the queue
    monkeypatch.setattr(wait, "queue", lambda: next(answers))
    monkeypatch.setattr(wait, "POLL_S", 0.0)
    wait.follow_jobs(Submitted([], "8", []), tmp_path / "results", None, {})
    assert next(answers, "all asked") == "all asked"
    monkeypatch.setattr(wait, "queue", lambda: None)  # squeue gone for good
    with pytest.raises(UserError, match=r"^--wait: squeue does not answer; follow the jobs with `resnet-repro show`"):
        wait.follow_jobs(Submitted([], "8", []), tmp_path / "results", None, {})


@pytest.mark.parametrize("folder", ["runs[old]", "a[/b]c"])
def test_a_failed_runs_log_is_shown_as_its_path_whatever_brackets_it_holds(slurm_cluster, tmp_path, folder):
    """A results folder named runs[old]: `show` named the log under /tmp/.../runs/slurm/..., a folder that does not
    exist, and one named a[/b]c ended `show` in a traceback (rich read the brackets as its markup)."""
    from resnet_repro.cluster.state import write_record

    results = tmp_path / folder
    log = results / "slurm/jobs/99999998_0_log.err"
    write_record(
        results, "cifar10/plain-20/smoke/seed0", {"job": "99999998", "outputs_job": "99999999", "log": str(log)}
    )
    shown = show_wide(results)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert f"failed on Slurm (job 99999998), log: {log} " in shown.stdout, shown.stdout


def test_wait_says_a_failed_runs_log_as_its_path_whatever_brackets_it_holds(tmp_path, monkeypatch, capsys):
    from resnet_repro.cli.common import console
    from resnet_repro.cli.progress import RichReporter
    from resnet_repro.cluster import wait
    from resnet_repro.cluster.state import Submitted, write_record

    monkeypatch.setattr(console, "width", 400)  # the line whole, whatever COLUMNS this worker started with
    results = tmp_path / "a[/b]c"
    log = results / "slurm/jobs/7_0_log.err"
    write_record(results, "cifar10/plain-20/smoke/seed0", {"job": "7_0", "outputs_job": "8", "log": str(log)})
    monkeypatch.setattr(wait, "queue", lambda: {})  # every job has left the queue
    with pytest.raises(UserError, match=r"^1 run failed on Slurm"):
        wait.follow_jobs(Submitted([("cifar10/plain-20/smoke/seed0", "7_0")], "8", []), results, RichReporter(), {})
    assert f"cifar10/plain-20/smoke/seed0: failed on Slurm (job 7_0), log: {log}\n" in capsys.readouterr().out


def test_records_copied_from_another_results_folder_are_not_this_folders_jobs(tmp_path):
    """`cp -r results copy` while the jobs were queued: `show --results copy` said the copy's run was queued as the
    original's job, and `run --slurm --results copy` was refused, telling the user to cancel that job, which trains
    the original's run."""
    from resnet_repro.cluster.state import write_record

    run, original = "cifar10/plain-20/smoke/seed0", tmp_path / "results"
    (original / "slurm/jobs").mkdir(parents=True)
    write_record(
        original, run, {"job": "12_0", "outputs_job": "13", "log": str(original / "slurm/jobs/12_0_0_log.err")}
    )
    shutil.copytree(original, tmp_path / "copy")
    jobs = {"12_0": "PENDING", "13": "PENDING"}
    assert slurm_run(original, run, jobs).describe() == "queued on Slurm (job 12_0)"
    assert slurm_run(tmp_path / "copy", run, jobs) is None
    (tmp_path / "link").symlink_to(original)  # the same folder by another path
    assert slurm_run(tmp_path / "link", run, jobs).describe() == "queued on Slurm (job 12_0)"
    shutil.rmtree(original)  # the original gone: the copy's record is still another folder's
    assert slurm_run(tmp_path / "copy", run, jobs) is None


def test_a_damaged_record_is_shown_on_one_line():
    """A newline or a terminal's escape in a record's job or log reached the terminal as it was."""
    from resnet_repro.cluster.state import SlurmRun

    assert SlurmRun("12\n", "failed", "/r/\x1b[2Jlog").describe() == "failed on Slurm (job 12\\n), log: /r/\\x1b[2Jlog"
    assert SlurmRun("12\r", "queued", None).describe() == "queued on Slurm (job 12\\r)"


def test_jobs_whose_records_cannot_be_written_are_cancelled(slurm_cluster, cifar_dir, tmp_path):
    """A file at results/slurm/runs: Slurm has accepted the jobs when the records are written. Left in the queue,
    they would train unrecorded, and submitting again once the file is moved would not be refused. The cancelled
    jobs' files were left in results/slurm/jobs."""
    (tmp_path / "results" / "slurm").mkdir(parents=True)
    (tmp_path / "results" / "slurm" / "runs").write_text("")
    queued = ["--slurm", "--resources", str(resources_file(tmp_path)), "--resource", "partition=queued"]
    before = set(queue())
    result = cli_in_process(*smoke_args(cifar_dir, tmp_path / "results", *queued))
    assert_one_line_error(result, f"error: cannot access {tmp_path}/results/slurm/runs/cifar10/plain-20/smoke: a file")
    assert set(queue()) <= before  # nothing of this submission left in the queue
    assert not (tmp_path / "results/slurm/jobs").exists()  # nor the cancelled jobs' files (their folder was made)


@pytest.mark.parametrize(
    "text, minutes", [("90", 90), ("1:30", 2), ("2:00:00", 120), ("1-00:00:00", 1440), ("1-6", 1800), ("0:0:1", 1)]
)
def test_slurm_time_limits_read_as_minutes(text, minutes):
    assert time_minutes(text) == minutes


def test_resources_layer_the_engine_defaults_the_file_and_the_overrides(tmp_path):
    # an ImageNet run of the paper: batch 256 in BN shares of 32 is one job of 8 processes on 8 GPUs
    assert engine_defaults(8) == Resources(gpus_per_node=8, tasks_per_node=8)
    path = resources_file(tmp_path, "partition: gpu\nnodes: 2\ngpus_per_node: 4\nmem: 64G\n")
    read = read_resources(path, ["time=2-00:00:00", "partition=null"], engine_defaults(8))
    assert read == Resources(None, None, None, None, "2-00:00:00", 2, 4, 4, 4, "64G", 120, 20)
    assert read.processes == 8 and read.minutes == 2880
    # a CIFAR run stays one process whatever GPUs it is given
    assert read_resources(None, ["gpus_per_node=2"], engine_defaults(1)).tasks_per_node == 1


@pytest.mark.parametrize(
    "body, says",
    [
        ("nodes: 99999999999\n", "resources.yaml:1: nodes: must be at most 100000, got 99999999999"),
        ("time: 4294967297\n", "resources.yaml:1: time: 4294967297 is not a Slurm time limit (e.g. 24:00:00"),
        ("time: 2983000-00:00:00\n", "resources.yaml:1: time: 2983000-00:00:00 is not a Slurm time limit"),
        ("signal_before_s: 86400\n", "resources.yaml:1: signal_before_s: must be at most 65535, got 86400"),
        ("mem: lots\n", "resources.yaml:1: mem: lots is not a memory size (e.g. 32G or 64000M)"),
        ("time: !!int 5\n", "resources.yaml:1: YAML refused"),
        ("partition: a\npartition: b\n", "resources.yaml:2: YAML refused"),
        ("gpu_per_node: 2\n", "resources.yaml:1: unknown key 'gpu_per_node'; did you mean gpus_per_node?"),
        # a newline in a name broke the job script's #SBATCH line: only sbatch said so, after submitit had started
        ('partition: gpu\naccount: "my\\nproj"\n', "resources.yaml:2: account: 'my\\nproj' holds a control character"),
        ('qos: "a\\tb"\n', "resources.yaml:1: qos: 'a\\tb' holds a control character; a Slurm name is one line"),
        ('partition: "gpu\\r"\n', "resources.yaml:1: partition: 'gpu\\r' holds a control character"),
        ('constraint: "h100\\u2028"\n', "resources.yaml:1: constraint: 'h100\\u2028' holds a control character"),
        # refused at submission as `partition ''`: not what was written, nor what was wrong with it
        ("partition: gpu,\n", "resources.yaml:1: partition: 'gpu,' holds an empty name in its list of partitions;"),
        ('partition: ",gpu"\n', "resources.yaml:1: partition: ',gpu' holds an empty name in its list of partitions;"),
        ("partition: a,,b\n", "resources.yaml:1: partition: 'a,,b' holds an empty name in its list of partitions;"),
        ('partition: ""\n', "resources.yaml:1: partition: '' names no partition; name one (e.g. gpu), or leave"),
        # went to sbatch as --account= (an empty value)
        ('partition: gpu\naccount: ""\n', "resources.yaml:2: account: '' names no account; name one (e.g. my-pro"),
        ("qos: ''\n", "resources.yaml:1: qos: '' names no qos; name one (e.g. normal), or leave qos out for the clu"),
        ('constraint: " "\n', "resources.yaml:1: constraint: ' ' names no constraint; name one (e.g. h100), or"),
    ],
)
def test_the_resource_file_is_read_by_the_one_strict_reader(tmp_path, body, says):
    with pytest.raises(UserError) as error:
        read_resources(resources_file(tmp_path, body), [], engine_defaults(1))
    assert str(error.value).startswith(str(tmp_path / "resources.yaml")) and says in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("mem", ["32g", "32G", "32GB", "32gb", "64000", "64000m", "512k", "1T", "1tb", "0"])
def test_a_memory_size_is_read_as_sbatch_reads_it(tmp_path, mem):
    """`mem: 32g`, which sbatch takes (its units K, M, G, T in either case, a B after them or none), was refused as
    not a memory size."""
    assert read_resources(resources_file(tmp_path, f"mem: {mem}\n"), [], engine_defaults(1)).mem == mem
    assert read_resources(None, [f"mem={mem}"], engine_defaults(1)).mem == mem


@pytest.mark.parametrize("mem", ["32GiB", "32 G", "32.5G", "32P", "-1", "32b", "\u0663\u0662G", "32\u212a"])
def test_a_memory_size_sbatch_refuses_is_refused_before_submission(tmp_path, mem):
    with pytest.raises(UserError, match=r"mem: .* is not a memory size \(e.g. 32G or 64000M\)"):
        read_resources(None, [f"mem={mem}"], engine_defaults(1))


def test_a_partition_list_with_an_empty_name_is_refused_as_written():
    with pytest.raises(UserError) as error:
        read_resources(None, ["partition=gpu,"], engine_defaults(1))
    assert str(error.value) == (
        "--resource: partition: 'gpu,' holds an empty name in its list of partitions; separate the names with one "
        "comma each (e.g. gpu,gpu-long)"
    )


@pytest.mark.parametrize("override", ['account="my\\nproj"', "qos=a\tb", 'constraint="x\\ry"', 'partition="\\x85"'])
def test_a_name_override_with_a_control_character_is_refused(override):
    with pytest.raises(UserError) as error:
        read_resources(None, [override], engine_defaults(1))
    key = override.partition("=")[0]
    assert str(error.value).startswith(f"--resource: {key}: ") and "holds a control character" in str(error.value)


@pytest.mark.parametrize("text, minutes", [("4:00:00", 240), ("30:00", 30), ("2-12:00", 3600), ("0:10:00", 10)])
def test_a_time_override_is_read_as_slurm_writes_it(text, minutes):
    """`--resource time=4:00:00`, the example of run's --help, was refused as a YAML 1.1 base-60 number."""
    read = read_resources(None, [f"time={text}"], engine_defaults(1))
    assert (read.time, read.minutes) == (text, minutes)


@pytest.mark.parametrize(
    "body, overrides", [("time: 2\n", []), ("time: '0:30'\n", []), ("signal_before_s: 600\n", ["time=10"])]
)
def test_a_warning_no_earlier_than_the_time_limit_is_refused(tmp_path, body, overrides):
    """Slurm sends the warning at once when signal_before_s reaches back to the job's start: each job would
    checkpoint and requeue itself within seconds, until it ran out of requeues, never training."""
    with pytest.raises(UserError) as error:
        read_resources(resources_file(tmp_path, body), overrides, engine_defaults(1))
    assert str(error.value).startswith("Slurm resources: signal_before_s (") and "raise time or lower" in str(
        error.value
    )
    assert read_resources(resources_file(tmp_path, "time: 3\n"), [], engine_defaults(1)).minutes == 3  # 180 s > 120


def test_each_job_is_told_the_only_that_chose_its_runs():
    """--only also asks for a net trained only on request (fig6's plain-110): each job must resolve the same runs."""
    from resnet_repro.cli.run import slurm_job_command
    from resnet_repro.specs.experiments import load_target, resolve_runs

    command = slurm_job_command(
        "fig6", load_target("fig6"), "cpu", None, "plain-110", [], "cpu", Path("/r"), None, None
    )
    assert command[:5] == ["fig6", "--profile", "cpu", "--only", "plain-110"]
    names = [r.name for r in resolve_runs(load_target("fig6"), "paper", requested="plain-110")]
    assert any("/plain-110/" in name for name in names)


@pytest.mark.parametrize(
    "target, resources, says",
    [
        ("fig1", "nodes=2", None),  # the paper's two GPUs, 64 images each: one DDP process on each of two nodes
        ("table3", "nodes=2,gpus_per_node=4", None),  # docs/cluster.md: 2 nodes of 4 GPUs, 8 processes
        (
            "fig1",
            "nodes=4",
            "nodes: 4 x tasks_per_node: 1 is 4 processes a run, and run cifar10/plain-20/paper/seed0's",
        ),
        ("fig1", "nodes=3", "batch of 128 images in batch-norm groups of 64 (recipe.bn_batch) does not share equally"),
        ("table3", "nodes=2", "divides 8, e.g. nodes: 2 and tasks_per_node: 4 (with a GPU each)"),
        ("fig1", "tasks_per_node=2", "2 on each node, but gpus_per_node is 1: each process trains on a GPU of its own"),
    ],
)
def test_a_job_of_several_processes_must_share_each_batch_equally(target, resources, says):
    """A job of nodes x tasks_per_node processes is one DDP run. One that could not share the batch (or had fewer GPUs
    than processes on a node) was submitted, waited in the queue, and failed as it started; now it is one line first."""
    from resnet_repro.cluster.submit import check_processes
    from resnet_repro.specs.experiments import load_target, resolve_runs

    runs = resolve_runs(load_target(target), "paper")
    processes = runs[0].recipe.batch_size // runs[0].recipe.bn_batch if target == "table3" else 1
    read = read_resources(None, resources.split(","), engine_defaults(processes))
    if says is None:
        check_processes(read, runs)
        return
    with pytest.raises(UserError) as error:
        check_processes(read, runs)
    assert str(error.value).startswith("Slurm resources: nodes: ") and says in str(error.value), str(error.value)


def test_the_outputs_job_asks_for_one_process_not_for_the_runs_gpus_and_memory():
    """The outputs job (tables, figures, the report; fig7 and the ImageNet tables first measure the trained nets)
    asked for the runs' resources: table3's asked for 8 GPUs and the node's 480G of memory for one process. Now it
    asks for no GPU where it only writes (and runs on the CPU), one where it measures, and one process's memory."""
    from resnet_repro.cluster.resources import memory_share
    from resnet_repro.cluster.submit import job_parameters, on_its_device
    from resnet_repro.engines import get_engine

    assert [get_engine(name).measures for name in ("cifar", "imagenet", "layer_responses")] == [False, True, True]
    table3 = read_resources(None, ["mem=480G", "cpus_per_task=12"], engine_defaults(8)).for_outputs(measures=True)
    assert (table3.nodes, table3.tasks_per_node, table3.gpus_per_node, table3.cpus_per_task) == (1, 1, 1, 12)
    assert table3.mem == "61440M"  # 480G over the node's 8 processes
    fig1 = read_resources(None, ["mem=32G", "partition=gpu"], engine_defaults(1)).for_outputs(measures=False)
    assert (fig1.gpus_per_node, fig1.mem, fig1.partition) == (0, "32G", "gpu")
    assert "gpus_per_node" not in job_parameters(fig1, "fig1-outputs")
    command = ["fig1", "--device", "cuda:3", "--results", "/r"]
    assert on_its_device(command, fig1) == ["fig1", "--device", "cpu", "--results", "/r"]  # no GPU: no cuda there
    assert on_its_device(command, table3) == ["fig1", "--device", "cuda", "--results", "/r"]  # its one GPU
    assert [memory_share(mem, n) for mem, n in [("0", 8), ("64000", 3), ("1t", 2), ("100K", 8), (None, 8)]] == [
        "0",  # sbatch's --mem=0: all of the node's memory
        "21334M",
        "524288M",
        "1M",
        None,
    ]


def test_an_outputs_job_refused_without_a_gpu_asks_again_with_one(cifar_dir, tmp_path, monkeypatch):
    """Some sites' GPU partitions take only jobs that ask for a GPU: there the outputs job, which needs none, is
    asked for again with one, and runs on it; nothing of the refused one is left in results/slurm/jobs."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sbatch").write_text(  # a site's sbatch: refuses a job without a GPU, numbers the others from 500
        '#!/bin/sh\nif ! grep -q -- "--gpus-per-node" "$1"; then\n'
        '  echo "sbatch: error: Batch job submission failed: partition gpu takes jobs with a GPU" >&2; exit 1\nfi\n'
        f'n=$(cat {tmp_path}/n 2>/dev/null || echo 500); echo $((n+1)) > {tmp_path}/n; echo "Submitted batch job $n"\n'
    )
    (fake / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    results = tmp_path / "results"
    submitted = cli_in_process(
        *smoke_args(cifar_dir, results, "--slurm", "--resource", "partition=", "--device", "cuda")
    )
    assert submitted.returncode == 0, submitted.stderr
    assert submitted_jobs(submitted.stdout) == ["500", "501"]
    jobs = results / "slurm/jobs"
    assert "#SBATCH --gpus-per-node=1" in (jobs / "501_submission.sh").read_text()
    assert all(path.is_symlink() for path in jobs.glob(".submission_file_*"))  # the refused job's script went


def test_a_job_on_two_nodes_is_one_world_of_their_processes(monkeypatch):
    """`nodes: 2` for a CIFAR run: the second node's one process joins the first node's as rank 1 of 2, as a
    two-node torchrun launch of one process a node would set it (the same run as two processes on one node)."""
    from resnet_repro.cluster.task import distributed_environment

    slurm = {"SLURM_JOB_ID": "86", "SLURM_JOB_NODELIST": "gpu[07-08]", "SLURM_JOB_NUM_NODES": "2", "SLURM_NTASKS": "2"}
    for key, value in {"SUBMITIT_EXECUTOR": "slurm", **slurm}.items():
        monkeypatch.setenv(key, value)
    seen = []
    for rank in (0, 1):  # one task a node
        for key, value in {"SLURM_PROCID": rank, "SLURM_LOCALID": 0, "SLURM_NODEID": rank}.items():
            monkeypatch.setenv(key, str(value))
        seen.append(distributed_environment())
    assert [(e["RANK"], e["LOCAL_RANK"], e["WORLD_SIZE"], e["LOCAL_WORLD_SIZE"]) for e in seen] == [
        ("0", "0", "2", "1"),
        ("1", "0", "2", "1"),
    ]
    assert {e["MASTER_ADDR"] for e in seen} == {"gpu07"} and len({e["MASTER_PORT"] for e in seen}) == 1


def test_an_outputs_job_refused_for_another_reason_is_not_asked_again_with_a_gpu(tmp_path, monkeypatch):
    """The outputs job, refused without a GPU, was asked for again with one whatever sbatch had said: a refusal that
    had nothing to do with GPUs (an account over its limit) was hidden behind the second attempt's. Now only a
    refusal about GPUs is asked again; any other is said as sbatch said it, and the runs' jobs are cancelled."""
    from resnet_repro.cluster.submit import submit_target

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sbatch").write_text(  # takes the run's job (500); refuses the outputs job, without a GPU or with one
        "#!/bin/sh\nif grep -q -- '--job-name=fig1-outputs' \"$1\"; then\n  if grep -q -- '--gpus-per-node' \"$1\"; then\n"
        "    echo 'sbatch: error: Batch job submission failed: Requested node configuration is not available' >&2\n"
        "  else echo 'sbatch: error: Batch job submission failed: Job violates accounting/QOS policy' >&2; fi\n"
        "  exit 1\nfi\necho 'Submitted batch job 500'\n"
    )
    (fake / "squeue").write_text("#!/bin/sh\n")
    (fake / "scancel").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/cancelled\n')
    for tool in fake.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    resources, results = read_resources(None, [], engine_defaults(1)), tmp_path / "results"
    with pytest.raises(UserError) as error:
        submit_target((["cifar10/plain-20/smoke/seed0"], []), ["fig1"], resources, results, "fig1")
    assert str(error.value) == (
        "Slurm refused the job: sbatch: error: Batch job submission failed: Job violates accounting/QOS policy"
    )
    assert (tmp_path / "cancelled").read_text() == "500\n" and not results.exists()


def test_a_closed_terminal_while_waiting_says_the_jobs_go_on_as_sigterm_does(cifar_dir, tmp_path, monkeypatch):
    """SIGHUP (the terminal or the ssh session closed) during `run --slurm --wait` ended it without a word, where
    SIGTERM and Ctrl-C say that the jobs stay on Slurm and how to follow or cancel them; now it says so too, exit 129.
    A SIGHUP that the command was told to ignore (nohup) stays ignored."""
    from resnet_repro.cli.common import console
    from resnet_repro.cluster import wait

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sbatch").write_text(  # numbers the jobs from 500
        f"#!/bin/sh\nn=$(cat {tmp_path}/n 2>/dev/null || echo 500); echo $((n+1)) > {tmp_path}/n\n"
        'echo "Submitted batch job $n"\n'
    )
    (fake / "squeue").write_text("#!/bin/sh\n")
    for tool in fake.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setattr(console, "width", 400)
    polls = []

    def hung_up():  # the terminal closes as --wait follows the jobs; on the next poll the outputs job has left
        polls.append(signal.SIGHUP)
        if len(polls) == 1:
            os.kill(os.getpid(), signal.SIGHUP)
        return {"500": "PENDING", "501": "PENDING"} if len(polls) == 1 else {}

    monkeypatch.setattr(wait, "queue", hung_up)
    results, waiting = tmp_path / "results", ["--slurm", "--resource", "gpus_per_node=0", "--wait"]
    for handler in (lambda *_: None, signal.SIG_IGN):  # the first as this test's own: SIGHUP would end pytest
        previous = signal.signal(signal.SIGHUP, handler)
        try:
            result = cli_in_process(*smoke_args(cifar_dir, results, *waiting))
        finally:
            signal.signal(signal.SIGHUP, previous)
        if handler is signal.SIG_IGN:
            break
        assert result.returncode == 129, result.stderr
        follow = next(line for line in result.stdout.splitlines() if line.startswith("follow: "))
        assert result.stderr.strip() == (
            f"stopped following (by SIGHUP); the jobs stay queued or running on Slurm: follow them with "
            f"`{follow.removeprefix('follow: ')}`, cancel them with `scancel 500 501`"
        )
        shutil.rmtree(results)
        polls.clear()
    assert result.returncode == 2 and "error: 1 run failed on Slurm" in result.stderr, result.stderr  # followed on


@pytest.mark.parametrize("hangs", [1, 2])  # the run's sbatch; the outputs job's, once the run's job is accepted
def test_ctrl_c_while_sbatch_hangs_stops_promptly_and_leaves_nothing_submitted(tmp_path, hangs):
    """A Ctrl-C while sbatch hung (a controller that does not answer) waited for sbatch, however long it took: the
    submission could not be stopped. Now an sbatch that has not answered a while after the stop is stopped, its job
    taken as refused: the jobs Slurm had accepted are cancelled, results/ is as it was, and one line says so."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sbatch").write_text(  # call number `hangs` is Ctrl-C'd and hangs; the others number the jobs from 500
        f"#!{sys.executable}\nimport os, pathlib, signal, time\ncount = pathlib.Path({str(tmp_path / 'n')!r})\n"
        "n = int(count.read_text()) if count.exists() else 500\ncount.write_text(str(n + 1))\n"
        f"if n - 499 == {hangs}:\n    os.kill(os.getppid(), signal.SIGINT)\n    time.sleep(20)\n"
        "print(f'Submitted batch job {n}')\n"
    )
    (fake / "squeue").write_text("#!/bin/sh\n")
    (fake / "scancel").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/cancelled\n')
    for tool in fake.iterdir():
        tool.chmod(0o755)
    submitting = (
        "import sys\nfrom pathlib import Path\nfrom resnet_repro.basics.errors import Stopped\n"
        "from resnet_repro.cluster import submit\nfrom resnet_repro.cluster.resources import Resources\n"
        "submit.HUNG_S = 0.5\ntry:\n"
        "    submit.submit_target((['cifar10/plain-20/smoke/seed0'], []), ['fig1'], Resources(gpus_per_node=0), "
        "Path(sys.argv[1]), 'fig1')\nexcept Stopped as stop:\n    print(stop.exit_code, stop)\nelse:\n"
        "    print('submitted')\n"
    )
    results, started = tmp_path / "results", time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", submitting, str(results)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
    )
    assert done.stdout.strip() == (
        "130 stopped (by SIGINT): sbatch had not answered 0.5 s after it, so sbatch was stopped and every job of "
        "this submission Slurm had accepted was cancelled; nothing is left submitted, and the same command submits "
        "the runs again"
    ), done.stderr
    assert time.monotonic() - started < 15  # not the 20 s sbatch hangs
    assert not results.exists()  # nothing recorded, no job files left
    assert (tmp_path / "cancelled").read_text() == "500\n" if hangs == 2 else not (tmp_path / "cancelled").exists()
