"""Every file the tool writes goes through here: a reader, or a crash, never sees a half-written file.

The bytes go to a temp file in the same folder (same filesystem, so the rename is atomic), are
fsynced, and only then renamed over the target. A failed write (a full disk, a kill) leaves the
previous file as it was; a kill can leave a `.NAME.*.tmp`, which the next run of that folder
removes (results/lock.py). No torch here.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

TEMP_SUFFIX = ".tmp"


def temp_pattern(name: str) -> str:
    """The glob of the temp files a write of `name` makes."""
    return f".{name}.*{TEMP_SUFFIX}"


@contextmanager
def atomic_file(path: Path, before_rename: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace `path` only once the block ends without an error.

    `before_rename` runs after the data is on disk and before the rename (checkpoints use it to
    record the new file's digest and keep the previous file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8), all or nothing."""
    with atomic_file(path) as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
