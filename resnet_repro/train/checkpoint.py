"""Checkpoints that survive a kill at any moment, a full disk, a damaged copy, and a planted file.

Written to a temp file, fsynced, then renamed over checkpoint.pt after the previous one is kept
as checkpoint.prev.pt. The SHA-256 of each checkpoint is recorded (checkpoints.sha256, written
atomically before the rename) and checked before a file is loaded: a file whose bytes changed
after it was written is skipped like an unreadable one, and loading falls back to the previous
file. Loading is `weights_only`: a checkpoint holds tensors and plain values, never code to run.
"""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

import torch

from ..basics.atomic import atomic_file, write_atomic
from ..basics.digest import file_digest
from ..basics.errors import UserError
from ..basics.faults import maybe_fault
from ..store.results_file import DamagedFile, read_text, regular_size

FORMAT_VERSION = 2
DIGESTS = "checkpoints.sha256"
# A file on disk is always one of the last three written (the new one, checkpoint.pt, checkpoint.prev.pt),
# whatever moment a kill picked; all three digests are kept so each of them verifies.
KEPT_DIGESTS = 3


class _HashingWriter:
    """What torch.save writes to: hashes the bytes on their way to the file, and keeps the OSError a full
    disk raises (torch's zip writer swallows it and raises a RuntimeError, 'unexpected pos ...')."""

    def __init__(self, handle):
        self.handle, self.digest, self.error = handle, hashlib.sha256(), None

    def write(self, data) -> int:
        try:
            written = self.handle.write(data)
        except OSError as error:
            self.error = self.error or error
            raise
        self.digest.update(data)
        return written

    def flush(self) -> None:
        self.handle.flush()


def save_checkpoint(path: Path, previous: Path, state: dict) -> None:
    state = {**state, "format_version": FORMAT_VERSION}
    digests = read_digests(path.parent) or []
    writer = None

    def record_and_keep_previous() -> None:
        write_atomic(path.parent / DIGESTS, "\n".join([writer.digest.hexdigest(), *digests][:KEPT_DIGESTS]) + "\n")
        if path.exists():
            path.replace(previous)

    try:
        with atomic_file(path, before_rename=record_and_keep_previous) as handle:
            writer = _HashingWriter(handle)
            torch.save(state, writer)
            handle.flush()
            maybe_fault("checkpoint-write", state["iteration"])
    except RuntimeError as error:  # torch's zip writer: the real cause is the OSError it swallowed
        cause = writer.error if writer is not None else None
        if cause is None:
            raise
        raise OSError(cause.errno or errno.EIO, cause.strerror or str(error), str(path)) from None
    except OSError as error:  # a full disk met while flushing or fsyncing: name the checkpoint
        if error.filename is None:
            error.filename = str(path)
        raise


def read_digests(folder: Path) -> list[str] | None:
    """The recorded digests, newest first; None for a folder from before digests were recorded."""
    try:
        text = read_text(folder / DIGESTS, limit=4096)  # three digests: about 200 bytes
    except (OSError, DamagedFile):
        return None
    return None if text is None else text.split()


def load_checkpoint(path: Path, previous: Path, device: torch.device) -> tuple[dict | None, list[str]]:
    """(state or None, warnings). Tries the newest checkpoint, then the one before it."""
    warnings = []
    digests = read_digests(path.parent)
    for candidate in (path, previous):
        try:  # a regular file only: a pipe would hang the digest, a link to /dev/zero never end it
            if regular_size(candidate) is None:
                continue
        except DamagedFile as damage:
            warnings.append(f"{damage}; trying an older checkpoint")
            continue
        try:
            if digests is not None and file_digest(candidate) not in digests:
                warnings.append(
                    f"{candidate} does not match the digest recorded when it was written (damaged or "
                    f"altered); trying an older checkpoint"
                )
                continue
            state = torch.load(candidate, map_location=device, weights_only=True)
        except Exception as error:  # truncated zip, a pickle asking for code, unreadable: this file is unusable
            warnings.append(f"{candidate} is unreadable ({type(error).__name__}); trying an older checkpoint")
            continue
        if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
            version = state.get("format_version") if isinstance(state, dict) else None
            raise UserError(
                f"{candidate} was written by an incompatible version (format "
                f"{version}, this is {FORMAT_VERSION}); delete the run's folder "
                f"{candidate.parent} to retrain it"
            )
        return state, warnings
    if warnings:
        warnings.append("no readable checkpoint left: the run starts from the beginning")
    return None, warnings
