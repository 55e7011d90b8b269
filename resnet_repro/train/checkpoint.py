"""Checkpoints that survive a kill at any moment.

Written to a temp file, fsynced, then renamed over checkpoint.pt after the previous one is kept
as checkpoint.prev.pt. Loading falls back to the previous file if the newest is unreadable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from ..errors import UserError
from ..faults import maybe_fault

FORMAT_VERSION = 2


def save_checkpoint(path: Path, previous: Path, state: dict) -> None:
    state = {**state, "format_version": FORMAT_VERSION}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            maybe_fault("checkpoint-write", state["iteration"])
            os.fsync(handle.fileno())
        if path.exists():
            os.replace(path, previous)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path, previous: Path, device: torch.device) -> tuple[dict | None, list[str]]:
    """(state or None, warnings). Tries the newest checkpoint, then the one before it."""
    warnings = []
    for candidate in (path, previous):
        if not candidate.exists():
            continue
        try:
            state = torch.load(candidate, map_location=device, weights_only=False)
        except Exception as error:  # truncated zip, bad pickle: any failure means this file is unusable
            warnings.append(f"{candidate} is unreadable ({type(error).__name__}); trying an older checkpoint")
            continue
        if state.get("format_version") != FORMAT_VERSION:
            raise UserError(f"{candidate} was written by an incompatible version (format "
                            f"{state.get('format_version')}, this is {FORMAT_VERSION}); delete the run's folder "
                            f"{candidate.parent} to retrain it")
        return state, warnings
    if warnings:
        warnings.append("no readable checkpoint left: the run starts from the beginning")
    return None, warnings
