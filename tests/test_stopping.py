"""bench/stopping.py: how the GPU scripts stop a command past its time budget (SIGTERM, then a kill)."""

import importlib.util
import subprocess
import sys
import time

import pytest

from .conftest import REPO


def stopping():
    spec = importlib.util.spec_from_file_location("stopping", REPO / "bench" / "stopping.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# a child that says when it is ready, then either ends on SIGTERM (with the code a run's clean stop uses) or ignores it
CHILD = """
import signal, sys, time
if sys.argv[1] == "stops":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
else:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def child(behaviour: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", CHILD, behaviour], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"  # its handler is set before the budget can run out
    return process


def test_a_command_within_its_budget_is_left_alone():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(4)"])
    assert stopping().stop_past(process, budget_s=30) == (4, False)


@pytest.mark.parametrize("behaviour, code", [("stops", 3), ("ignores", -9)])
def test_past_its_budget_a_command_gets_sigterm_and_is_killed_only_if_it_goes_on(behaviour, code):
    said = []
    begin = time.monotonic()
    exit_code, stopped = stopping().stop_past(child(behaviour), 1, lambda: said.append("stop"), grace_s=2)
    assert (exit_code, stopped, said) == (code, True, ["stop"])
    assert time.monotonic() - begin < 30  # never the child's own 60 s
