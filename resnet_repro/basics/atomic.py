"""Every file the tool writes goes through here: a reader, or a crash, never sees a half-written file.

The bytes go to a temp file in the same folder (same filesystem, so the rename is atomic), are
fsynced, and only then renamed over the target. A failed write (a full disk, a kill) leaves the
previous file as it was; a kill can leave a `.NAME.PID.*.tmp`. The next write into that folder removes the temp
files of writers that are gone (their process id no longer runs), so a killed `plot` or `report` leaves none
behind after the next command; a run's folder is also swept when its lock is taken (store/lock.py). No torch here.

Nothing is written through a link inside a results folder. A folder inside results/ that is a symlink to
elsewhere would carry every file written below it (figures, tables, checkpoints) out of the folder the user
named, so each write first checks the folders between the results folder (`confine_writes`) and the file,
and refuses a link with one line that names it. The results folder itself may be a link: the user chose it.
A file that is a link is never followed either: renames replace the link, and appends open with O_NOFOLLOW.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, TextIO

from .errors import UserError

TEMP_SUFFIX = ".tmp"
TEMP_FILES = f".*.*{TEMP_SUFFIX}"  # the glob of the temp files writes make: .NAME.PID.RANDOM.tmp
_ROOTS: set[Path] = set()  # results folders of this process: writes inside them never pass through a link


def confine_writes(root: Path) -> None:
    """Every later write below `root` (a results folder) refuses a symlinked folder between `root` and the file."""
    _ROOTS.add(Path(os.path.abspath(root)))


def refuse_links(folder: Path) -> None:
    """A UserError naming the first symlink among the folders from a results folder down to `folder` (existing or
    not); nothing when `folder` is outside every results folder. Paths are compared as written (abspath, not
    realpath), so the check sees the link a path goes through rather than where it leads."""
    absolute = Path(os.path.abspath(folder))
    for root in _ROOTS:
        for current in [*reversed(absolute.parents), absolute]:  # from the top down
            if root in current.parents and current.is_symlink():
                raise UserError(
                    f"{current} is a link (to {os.readlink(current)}); nothing is written through a link inside "
                    f"{root}, which could put results outside it. Replace the link with a real folder, or point "
                    f"--results at the place it leads to"
                )


def make_dirs(folder: Path) -> None:
    """mkdir -p, after `refuse_links`: a folder is never created through a link, outside the results folder."""
    refuse_links(folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file at the folder's own name or on its path: named, as ENOTDIR
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(_in_the_way(Path(folder)))) from None


def _in_the_way(folder: Path) -> Path:
    """The file that stands where `folder`, or a folder above it, belongs: the first of them that is there but is no
    folder (mkdir names the folder it was making, below it); `folder` where none is (anymore)."""
    return next((part for part in (*reversed(folder.parents), folder) if part.exists() and not part.is_dir()), folder)


def open_appending(path: Path, mode: str = "a") -> TextIO:
    """`path` opened to append (metrics rows, a lock file), its folders created; never through a link, folder or
    file (a planted `metrics.csv` link would take the rows wherever it points), and only a regular file with no
    other name: a hard link planted at `.lock` would have the lock's truncate and write land in the file it
    shares its bytes with, wherever that is. Opened without waiting (O_NONBLOCK), so a named pipe there is
    refused rather than waited on."""
    path = Path(path)
    make_dirs(path.parent)
    try:
        handle = open(path, mode, opener=_no_link_opener)
    except OSError as error:
        if path.is_symlink():  # O_NOFOLLOW's ELOOP: say what it means
            raise UserError(
                f"{path} is a link (to {os.readlink(path)}); the tool writes only real files inside the results "
                f"folder. Delete the link and run again"
            ) from None
        if os.path.lexists(path):  # a pipe with no reader (ENXIO), a socket: name what is there
            _require_own_regular_file(path, os.lstat(path))
        raise error
    try:
        _require_own_regular_file(path, os.fstat(handle.fileno()))
        os.set_blocking(handle.fileno(), True)
    except BaseException:
        handle.close()
        raise
    return handle


def _no_link_opener(name: str, flags: int) -> int:
    return os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)


def _require_own_regular_file(path: Path, info: os.stat_result) -> None:
    """Refuse, in one line, what an in-place write must not touch: anything but a regular file, or a regular file
    that has other names (st_nlink > 1), whose bytes belong to somewhere else too."""
    if not stat.S_ISREG(info.st_mode):
        raise UserError(
            f"{path} is not a regular file (a pipe, device or socket); the tool writes only regular files inside the "
            f"results folder. Delete it and run again"
        )
    if info.st_nlink > 1:
        raise UserError(
            f"{path} is a hard link ({info.st_nlink} names share its bytes, some maybe outside the results folder); "
            f"the tool writes in place only into files of its own. Delete it and run again"
        )


def _writer_gone(temp: Path) -> bool:
    """Whether the process that made `temp` (.NAME.PID.RANDOM.tmp) has ended. A name without a process id (an older
    version's) counts as gone: no write of this version makes one."""
    parts = temp.name[: -len(TEMP_SUFFIX)].split(".")
    try:
        pid = int(parts[-2])
    except (IndexError, ValueError):
        return True
    try:
        os.kill(pid, 0)  # this process, or another that runs: no error
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


def clear_stale_temps(folder: Path) -> None:
    """Remove the temp files that writers which no longer run left in `folder` (a kill mid-write)."""
    for temp in Path(folder).glob(TEMP_FILES):
        if _writer_gone(temp):
            temp.unlink(missing_ok=True)


@contextmanager
def atomic_file(path: Path, before_rename: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace `path` only once the block ends without an error.

    `before_rename` runs after the data is on disk and before the rename (checkpoints use it to
    record the new file's digest and keep the previous file).
    """
    path = Path(path)
    make_dirs(path.parent)
    clear_stale_temps(path.parent)
    # the writer's process id in the name: a later write can tell a temp file left by a kill from one being written
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if before_rename is not None:
            before_rename()
        try:
            os.replace(tmp, path)
        except OSError as error:  # a folder where the file belongs: the error names `path`, not the temp file
            raise OSError(error.errno, error.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8), all or nothing."""
    with atomic_file(path) as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
