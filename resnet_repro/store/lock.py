"""One writer per run: an exclusive, non-blocking lock file in the run's folder. No torch here."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from ..atomic import open_appending, temp_pattern
from ..errors import UserError


@contextmanager
def run_lock(folder: Path, run_name: str):
    """Hold `folder/.lock` while the run trains; a second process gets a clear refusal, not a second writer.

    flock locks die with their process, so a killed run never leaves a stale lock behind. Its temp files
    can outlive it (a kill mid-write; a ResNet-1202 checkpoint's is 155 MB): with the lock held no one else
    writes here, so every temp file left in the folder is stale and is removed.
    """
    handle = open_appending(folder / ".lock", "a+")  # not through a link: its contents are truncated below
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UserError(
            f"run {run_name} is being trained right now by {holder}; wait for it to finish, or "
            f"train into another folder with --results DIR"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        for stale in folder.glob(temp_pattern("*")):
            stale.unlink(missing_ok=True)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
