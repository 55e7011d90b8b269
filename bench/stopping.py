"""A command stopped past its time budget as a user's Ctrl-C would stop it: SIGTERM (every run finishes its
iteration and writes its checkpoint), then a kill if it has not ended a grace period later. The GPU scripts
(gpu_fig6.py, the GPU check's paper-recipe run) share it."""

from __future__ import annotations

import signal
import subprocess

STOP_GRACE_S = 45  # after SIGTERM: every packed run finishes its iteration and writes its checkpoint


def stop_past(
    process: subprocess.Popen, budget_s: float, on_stop=lambda: None, grace_s: float = STOP_GRACE_S
) -> tuple[int, bool]:
    """`process`'s exit code, and whether it was stopped: past `budget_s` it gets SIGTERM, then `on_stop()`,
    and a kill `grace_s` later."""
    try:
        return process.wait(timeout=max(budget_s, 1)), False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        on_stop()
        try:
            return process.wait(timeout=grace_s), True
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(), True
