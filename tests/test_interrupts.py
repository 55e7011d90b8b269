"""A stop the user asks for (Ctrl-C, SIGTERM) is not an error: one line saying where it stopped, the shell's exit code
for the signal, and no temp file left that a later command does not clear."""

import io
import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import REPO, cli_in_process

# Put first on sys.path (PYTHONPATH), this stands in for a slow machine: the command's first import of pandas
# waits, after leaving a marker, so the test's Ctrl-C lands inside the commands' imports every time, however busy
# the machine.
SLOW_IMPORT = """
import os, sys, time

class SlowPandas:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            sys.meta_path.remove(self)
            open(os.environ["IMPORTING_MARKER"], "w").close()
            time.sleep(120)
        return None

sys.meta_path.insert(0, SlowPandas())
"""


def test_ctrl_c_while_the_commands_load_is_one_line_and_exit_130(tmp_path):
    """The commands' modules take seconds to import on a busy machine: a Ctrl-C then printed a KeyboardInterrupt
    traceback."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_IMPORT)
    marker = tmp_path / "importing"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(REPO)]), "IMPORTING_MARKER": str(marker)}
    process = subprocess.Popen(
        [sys.executable, "-m", "resnet_repro", "report", "--results", str(tmp_path / "results")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell without job control starts a background command ignoring Ctrl-C, and the
        # command (like any Python program) then keeps ignoring it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while not marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the command never imported pandas"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert (process.returncode, err, out) == (130, "interrupted\n", "")


def test_ctrl_c_in_the_first_import_is_one_line_and_exit_130(monkeypatch, capsys):
    import types

    from resnet_repro import __main__ as entry

    class Loading(types.ModuleType):
        def __getattr__(self, name):
            raise KeyboardInterrupt  # as if Ctrl-C landed while this module loads

    monkeypatch.setitem(sys.modules, "resnet_repro.cli.app", Loading("resnet_repro.cli.app"))
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as exit_:
            entry.main()
    finally:
        signal.signal(signal.SIGINT, handler)  # main() leaves its quiet handler for the interpreter's teardown
    assert exit_.value.code == 130 and capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_while_report_writes_is_one_line_and_exit_130(monkeypatch, tmp_path):
    from resnet_repro.cli import report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_report", interrupted)
    result = cli_in_process("report", "--results", str(tmp_path))
    assert result.returncode == 130 and result.stderr.strip() == "interrupted" and "Traceback" not in result.stderr


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temp_files_a_killed_plot_or_report_left_are_cleared_by_the_next_command(fig1_smoke, tmp_path):
    """A SIGKILL mid-write leaves the writer's temp file beside the figure; the next write into that folder removes the
    temp files of writers no longer running, and keeps those of one that is."""
    from .conftest import copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    figures = results / "fig1/smoke"
    gone = dead_pid()
    killed = [figures / f".fig1.png.{gone}.k3j2ab.tmp", results / f".REPORT.html.{gone}.x1y2z3.tmp"]
    older = figures / ".table.csv.a8b7c6.tmp"  # a temp named without its writer's process id: an older version's
    live = figures / f".fig1.pdf.{os.getpid()}.q9w8e7.tmp"  # a writer still at work (this process)
    for temp in [*killed, older, live]:
        temp.write_bytes(b"half a file")
    assert cli_in_process("report", "--results", str(results)).returncode == 0
    assert cli_in_process("plot", "fig1", "--results", str(results)).returncode == 0
    left = sorted(path.name for path in results.rglob("*.tmp"))
    assert left == [live.name]


def test_a_resumed_run_says_so_on_a_terminal_too(monkeypatch):
    from rich.console import Console

    from resnet_repro.cli import progress

    screen = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(width=100, force_terminal=True, file=screen))
    reporter = progress.RichReporter()
    assert reporter.interactive
    reporter.start_run("cifar10/plain-20/smoke/seed0", 12, 6)
    reporter.finish_run("cifar10/plain-20/smoke/seed0")
    assert "resuming cifar10/plain-20/smoke/seed0 at iteration 6 of 12" in screen.getvalue()


def test_a_stopped_pack_names_its_runs_and_the_iteration_in_one_line():
    from resnet_repro.basics.errors import Stopped
    from resnet_repro.train.runner import stopped_runs

    one = stopped_runs([{"run": "cifar10/plain-20/smoke/seed0", "iterations": 6}], "SIGINT")
    assert str(one) == (
        "stopped at iteration 6 of run cifar10/plain-20/smoke/seed0, its checkpoint saved (by SIGINT); "
        "the same command resumes"
    )
    assert isinstance(one, Stopped) and one.exit_code == 130
    pack = stopped_runs([{"run": "a/seed0", "iterations": 9}, {"run": "b/seed0", "iterations": 9}], "SIGTERM")
    assert str(pack) == (
        "stopped at iteration 9 of runs a/seed0, b/seed0, each checkpoint saved (by SIGTERM); the same command resumes"
    )
    assert pack.exit_code == 143


def test_run_jobs_stopped_by_a_signal_is_not_an_error_unless_a_job_failed():
    from resnet_repro.basics.errors import Stopped, UserError
    from resnet_repro.train.jobs import _raise_what_stopped

    first = Stopped("stopped at iteration 3 of run a/seed0, its checkpoint saved (by SIGINT); the same command resumes")
    with pytest.raises(Stopped) as stop:
        _raise_what_stopped({0: first, 1: Stopped(str(first))}, 2, ["SIGINT"])
    assert str(stop.value) == (
        "stopped at iteration 3 of run a/seed0, its checkpoint saved (by SIGINT); 1 more run stopped likewise; "
        "2 runs not started; the same command resumes"
    )
    with pytest.raises(Stopped, match=r"^stopped by SIGTERM; 1 run not started; the same command resumes$"):
        _raise_what_stopped({}, 1, ["SIGTERM"])
    with pytest.raises(UserError) as failed:
        _raise_what_stopped({0: first, 1: "run b/seed0 crashed: ValueError: x"}, 0, ["SIGINT"])
    assert not isinstance(failed.value, Stopped) and str(failed.value) == "run b/seed0 crashed: ValueError: x"
    _raise_what_stopped({}, 0, [])  # nothing stopped: nothing raised
