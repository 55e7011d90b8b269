"""One writer per run: an exclusive, non-blocking lock file in the run's folder. No torch here."""

from __future__ import annotations

import fcntl
import itertools
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from ..basics.atomic import TEMP_FILES, open_appending
from ..basics.errors import UserError
from .mounts import SHARED, lock_scope


@contextmanager
def run_lock(folder: Path, run_name: str, warn: Callable[[str], None] | None = None):
    """Hold `folder/.lock` while the run trains; a second process gets a clear refusal, not a second writer.

    flock locks die with their process, so a killed run never leaves a stale lock behind. Its temp files
    can outlive it (a kill mid-write; a ResNet-1202 checkpoint's is 155 MB): with the lock held no one else
    writes here, so every temp file left in the folder is stale and is removed.
    """
    # On a shared filesystem (mounts.py) the lock is a POSIX byte-range lock, which every node sees.
    scope, node_only = lock_scope(folder)
    lock = fcntl.lockf if scope == SHARED else fcntl.flock
    if node_only and warn is not None:
        warn(
            f"warning: the lock on run {run_name} holds on this node only, {node_only}; never train one run on two nodes"
        )
    handle = open_appending(folder / ".lock", "a+")  # not through a link: its contents are truncated below
    try:
        lock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):  # lockf's refusal may be EACCES
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
        for stale in folder.glob(TEMP_FILES):
            stale.unlink(missing_ok=True)
        yield
    finally:
        lock(handle, fcntl.LOCK_UN)
        handle.close()


def is_training(folder: Path) -> bool:
    """Whether a process holds `folder/.lock` now: a run that is training, not one a killed process left unfinished.
    The probe takes a shared lock for an instant, so it never waits and never looks like a second writer for long."""
    lock = fcntl.lockf if lock_scope(folder)[0] == SHARED else fcntl.flock
    try:
        handle = open(folder / ".lock", "rb")  # read-only: a folder without a lock file is not created one
    except OSError:
        return False
    with handle:
        try:
            lock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return True
        lock(handle, fcntl.LOCK_UN)
        return False


@contextmanager
def step_lock(path: Path, waiting: Callable[[], None]):
    """Hold the lock file `path` through one step that one process at a time may take (e.g. a Slurm submission's
    check of the runs already submitted and its record of the jobs it submitted), waiting while another process
    holds it; `waiting()` is told first. The file's contents are never written (a step refused leaves it as it was).
    The holder may remove `path` before it leaves (to take back what it made): a process that waited on the removed
    file then locks the one at `path` instead, so two processes never hold the step at once."""
    lock = fcntl.lockf if lock_scope(path.parent)[0] == SHARED else fcntl.flock
    told = False
    for attempt in itertools.count():
        try:
            handle = open_appending(path, "a")  # the same checks as a run's .lock: a real file, not a link
        except FileNotFoundError:  # its folder removed meanwhile by a holder taking back what it made: again
            if attempt > 100:
                raise
            continue
        try:
            try:
                lock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (BlockingIOError, PermissionError):
                if not told:
                    waiting()
                    told = True
                lock(handle, fcntl.LOCK_EX)
            if _same_file(handle, path):
                break
        except BaseException:
            handle.close()
            raise
        handle.close()  # the file was removed while this process waited on it: lock the one there now
    try:
        yield
    finally:
        lock(handle, fcntl.LOCK_UN)
        handle.close()


def _same_file(handle, path: Path) -> bool:
    try:
        there = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino)
