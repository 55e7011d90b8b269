"""The number of processes a torchrun launch describes in the environment, read without torch: every command
asks, since a launched process ends differently (cli.app.main) and trains its share of each run."""

from __future__ import annotations

import os

from .errors import UserError


def launched_world_size() -> int:
    """WORLD_SIZE as torchrun sets it; 1 when unset or empty (a plain command)."""
    text = os.environ.get("WORLD_SIZE", "").strip() or "1"
    if not text.isdigit() or int(text) < 1:
        raise UserError(
            f"WORLD_SIZE={text!r} is not a number of processes: torchrun sets it; unset it for a plain command"
        )
    return int(text)
