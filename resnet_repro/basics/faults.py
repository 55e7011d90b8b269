"""Fault injection for tests: `RESNET_REPRO_FAULT=<point>:<iteration>` kills the process there.

Points: `after-checkpoint` (just after checkpoint N is complete), `checkpoint-write` (mid-write of
checkpoint N, before it is renamed into place), `iteration` (after update N), `eval` (during the
evaluation at iteration N). Unset in normal use; costs one dict lookup when unset.
"""

from __future__ import annotations

import os
import signal

_SPEC = os.environ.get("RESNET_REPRO_FAULT", "")


def maybe_fault(point: str, iteration: int) -> None:
    if _SPEC and _SPEC == f"{point}:{iteration}":
        os.kill(os.getpid(), signal.SIGKILL)
