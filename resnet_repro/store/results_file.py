"""The one way a file inside a results folder is read: a regular file only, a bounded number of bytes, and for
JSON a bounded depth and bounded numbers. No torch here.

A results folder may come from anyone (a copy, an archive, a shared disk), so a name the tool wrote can hold
anything: a link to /dev/zero (endless bytes), a named pipe (a read that never returns), a 100 MB file, a JSON
document nested 100,000 levels deep (RecursionError) or holding a 4,000-digit number. Every read opens the name
without following a link and without waiting (O_NOFOLLOW | O_NONBLOCK), asks the open file what it is (fstat:
a regular file, nothing else) and how large it is, and reads no more than a cap set far above what the tool
writes. A file that breaks one of these is a `DamagedFile`, whose reason is one line ("final.json is a named
pipe, ..."); readers of a run mark the run damaged with it, as a log that disagrees with its final record is.
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import re
import stat
from functools import partial
from pathlib import Path
from typing import Callable, TextIO

from ..basics.errors import UserError, shorten

MIB = 1 << 20
JSON_BYTES = 4 * MIB  # final.json and meta.json are a few kB (100 skipped image paths, a thread stretch per log point)
TEXT_BYTES = 16 * MIB  # tables, captions, measured CSVs: kB to a few MB for the largest
IMAGE_BYTES = 64 * MIB  # a figure's PNG is about 100 kB
JSON_DEPTH = 32  # the tool's JSON nests four levels
NUMBER_CHARS = 40  # the longest number json.dumps writes (a float's repr) is 24 characters

_KINDS = {  # what a non-regular file is, by its fstat mode: the reason names it
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}

# What a run measures, named alike as metrics.csv's columns and final.json's fields (final.json ends with the last
# row's numbers).
MEASURES = ("train_loss", "train_error", "test_loss", "test_error", "val_error")

# The values of the tool's JSON records that readers compute with: a string where a number belongs, or a number
# where a list belongs, would end in a TypeError far from the file, so each is checked where the file is read.
NUMBERS, TEXT, PAIRS, FLAG = "a number", "text", "a list of [iteration, threads] pairs", "true or false"
PERCENT = "an error rate (0 to 100)"  # an error is a share of images in percent: never negative, NaN or above 100
PROTOCOL_RECORDS = ("10-crop.json", "multi-scale.json")  # beside an ImageNet run's final.json, once measured
RECORD_FIELDS = {
    "final.json": {
        **dict.fromkeys(
            (
                "iterations",
                "params",
                "seed",
                *(m for m in MEASURES if not m.endswith("_error")),
                "warmup_ended_at",
                "wall_s",
            ),
            NUMBERS,
        ),
        **dict.fromkeys(
            (*(m for m in MEASURES if m.endswith("_error")), "test_error_moving_average", "val_error_moving_average"),
            PERCENT,
        ),
        **dict.fromkeys(("status", "run", "model", "profile", "dataset", "reason"), TEXT),
        "cpu_threads": PAIRS,
    },
    "meta.json": {
        "wall_s_this_session": NUMBERS,
        "wall_s": NUMBERS,
        "device_name": TEXT,
        "cpu_threads": PAIRS,
        # the data's report (data/sources.py), which tables and the report read: an object of its own fields
        "data": {
            **dict.fromkeys(("dataset", "folder"), TEXT),
            **dict.fromkeys(("train_images", "test_images"), NUMBERS),
            "official_checksums": FLAG,
        },
    },
    # an ImageNet run's errors under a table's test protocol (engines/imagenet/measure.py writes them)
    **dict.fromkeys(PROTOCOL_RECORDS, {"top1_error": PERCENT, "top5_error": PERCENT, "protocol": TEXT}),
}


class DamagedFile(UserError):
    """A file in a results folder that the tool could not have written. `reason` follows the file's name in a
    sentence ("is a named pipe, not a regular file"); `why` is the two together, for a run's damage note."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path} {reason}")
        self.path, self.reason = Path(path), reason

    def __reduce__(self):  # rebuilt from its parts, not its message, when it crosses a process boundary
        return type(self), (self.path, self.reason)

    @property
    def why(self) -> str:
        return f"{self.path.name} {self.reason}"


class MalformedFile(DamagedFile):
    """A file that is not what its name says (cut short, not JSON): what a copy cut short leaves. Readers treat it
    as absent (a run without a readable final.json resumes from its checkpoint), unlike the other damage."""


def read_bytes(path: Path, limit: int) -> bytes | None:
    """The bytes of the regular file `path`, or None when there is none; at most `limit` bytes are ever read.
    A link, a pipe, a device, a socket or a folder there, or a file larger than `limit`, is a DamagedFile; any
    other error opening it (a folder we may not read) is the OSError, for the caller's one line."""
    fd = _open_regular(path)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > limit:
            raise DamagedFile(path, f"is {size:,} bytes, more than any such file the tool writes ({limit:,})")
        data = handle.read(limit + 1)  # the size may have grown since fstat: the cap holds regardless
    if len(data) > limit:
        raise DamagedFile(path, f"grew past {limit:,} bytes while read, more than any such file the tool writes")
    return data


def read_text(path: Path, limit: int = TEXT_BYTES) -> str | None:
    """`read_bytes` as UTF-8 text; text that is not UTF-8 is a MalformedFile."""
    data = read_bytes(path, limit)
    if data is None:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError as error:
        raise MalformedFile(path, f"is not UTF-8 text (byte {data[error.start]:#04x} at {error.start:,})") from None


def open_lines(path: Path) -> TextIO | None:
    """A text handle on the regular file `path`, None when there is none, for a reader that bounds each line and
    the number of lines itself (metrics.csv); not UTF-8 bytes read as replacement characters."""
    fd = _open_regular(path)
    return None if fd is None else os.fdopen(fd, encoding="utf-8", errors="replace", newline="")


def regular_size(path: Path) -> int | None:
    """The size of the regular file `path` (a checkpoint, a figure), None when there is none; a link or anything
    but a regular file is a DamagedFile. Looks only (lstat): nothing is opened."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    _require_regular(path, info.st_mode)
    return info.st_size


def read_json_record(path: Path, limit: int = JSON_BYTES) -> dict | None:
    """A JSON object the tool wrote (final.json, meta.json, a protocol's errors), None when there is none.
    Cut short or not JSON: a MalformedFile. Nested deeper than JSON_DEPTH, a number longer than NUMBER_CHARS, or
    a known field of the wrong type (RECORD_FIELDS): a DamagedFile."""
    text = read_text(path, limit)
    if text is None:
        return None
    try:
        data = json.loads(text, parse_int=partial(_bounded, int), parse_float=partial(_bounded, float))
    except _LongNumber as error:
        raise DamagedFile(
            path, f"holds a number of {error.args[0]:,} characters; the tool writes none so long"
        ) from None
    except RecursionError:
        raise DamagedFile(path, f"is nested deeper than {JSON_DEPTH} levels; the tool's records nest four") from None
    except ValueError as error:
        raise MalformedFile(path, f"is not JSON ({shorten(str(error))}); a copy cut short?") from None
    if _depth_beyond(data, JSON_DEPTH):
        raise DamagedFile(path, f"is nested deeper than {JSON_DEPTH} levels; the tool's records nest four")
    if not isinstance(data, dict):
        raise MalformedFile(path, f"holds {'null' if data is None else type(data).__name__}, not a JSON object")
    if problem := field_problem(data, RECORD_FIELDS.get(Path(path).name, {})):
        raise DamagedFile(path, problem)
    return data


def flow_nesting_beyond(text: str, limit: int = JSON_DEPTH) -> bool:
    """Whether YAML `text` opens more than `limit` flow brackets ([ or {) before closing them. The YAML parser's
    time grows with the depth (seconds for 30,000 nested brackets in 64 kB), so a run's config.yaml (block style, a
    few levels) is refused on this count before it is parsed; brackets inside quoted text count too, which no
    config nears."""
    depths = itertools.accumulate(1 if char in "[{" else -1 for char in re.findall(r"[\[\]{}]", text))
    return any(depth > limit for depth in depths)


def field_problem(record: dict, fields: dict, within: str = "") -> str | None:
    """Why a known field of `record` cannot be used as `fields` says it is (None when all can); absent and null
    fields are fine (a failed run has no test error). A field whose kind is a dict is an object of those fields."""
    for key, kind in fields.items():
        value = record.get(key)
        if value is None:
            continue
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                return f"has {within}{key} {_shown(value)}, not an object"
            if problem := field_problem(value, kind, f"{within}{key}."):
                return problem
        elif not _IS_KIND[kind](value):
            said = NUMBERS if kind == PERCENT and not _is_number(value) else kind  # "low" is no number at all
            return f"has {within}{key} {_shown(value)}, not {said}"
    return None


def _open_regular(path: Path) -> int | None:
    """A read-only descriptor of `path` if it is a regular file; None if nothing is there."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP and os.path.islink(path):  # O_NOFOLLOW met a link
            raise DamagedFile(path, _link_reason(path))
        if error.errno in (errno.ENXIO, errno.EOPNOTSUPP, errno.EISDIR):  # a socket, or a folder
            _require_regular(path, os.lstat(path).st_mode)
        raise
    try:
        _require_regular(path, os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _require_regular(path: Path, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise DamagedFile(path, _link_reason(path))
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise DamagedFile(path, f"is {kind}, not a regular file; the tool writes only regular files")


def _link_reason(path: Path) -> str:
    return f"is a link (to {shorten(os.readlink(path))}); no link inside results is followed"


class _LongNumber(ValueError):
    pass


def _bounded(convert: Callable[[str], int | float], text: str) -> int | float:
    """A JSON number's text converted (int, float); a longer one than NUMBER_CHARS is refused first: converting
    4,000 digits costs time and ends in a traceback."""
    if len(text) > NUMBER_CHARS:
        raise _LongNumber(len(text))
    return convert(text)


def _is_number(value) -> bool:
    """A JSON number a reader can compute with: not a bool, and finite or one of the NaN/Infinity json.dumps
    writes for a diverged run's loss."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_pairs(value) -> bool:
    """A list of [iteration, threads] pairs of whole numbers."""
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(_is_number(n) and isinstance(n, int) for n in p) for p in value
    )


_IS_KIND = {  # RECORD_FIELDS' kinds
    NUMBERS: _is_number,
    PERCENT: lambda value: _is_number(value) and 0 <= value <= 100,
    TEXT: lambda value: isinstance(value, str),
    PAIRS: _is_pairs,
    FLAG: lambda value: isinstance(value, bool),
}


def _shown(value) -> str:
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return shorten(json.dumps(value), 40)


def _depth_beyond(data, limit: int) -> bool:
    """Whether `data` nests deeper than `limit` containers (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False
