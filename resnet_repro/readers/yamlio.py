"""The one YAML reader of the tool: every file it reads (recipes, targets, a run's stored config.yaml) and every
`--set` value goes through `load_yaml_text`, which keeps the line of every key and list item so that a bad value
can be reported as file:line.

The reader accepts plain data only: mappings, lists, strings, decimal numbers, booleans (true/false) and null.
Everything else YAML can say is one `file:line: YAML refused: ...` line (a `UserError`), never a traceback:

- tags (`!!int ""`, `!!timestamp ...`): they ask the loader to build other types, or to convert text that
  then fails deep inside it;
- anchors and aliases (`&name`, `*name`): an alias is what makes "billion laughs" files work (a few lines
  that stand for billions of values once anything walks them), and no target or recipe needs one;
- YAML 1.1's implicit non-decimal numbers (sexagesimal `1:0:0`, `0x1f`, `0o17`, `017`, `0b101`, `1_000`):
  one reader takes them for numbers, the next (YAML 1.2, an editor's language server) for text, so they are
  refused rather than guessed; a number longer than MAX_NUMBER_CHARS is refused before it is converted;
- duplicate keys (`engine:` twice): YAML keeps the last silently, hiding the first.

Plain text that YAML 1.1 reads as a date or as yes/no stays text, as YAML 1.2 reads it.

Reading is bounded whatever a file holds: a file over MAX_YAML_BYTES is refused unread, and the document is
built from libyaml's event stream (C, when PyYAML has it) by a loop with no recursion that stops at MAX_NODES
values or MAX_DEPTH levels of nesting. A 1 MB file of small values is refused after a few milliseconds'
parsing instead of being built whole (it once took 20-40 s and 100-360 MB), and nothing that walks the result
later (merging layers, validation, quoting a value in an error) can recurse past the depth bound.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from ..basics.atomic import write_atomic
from ..basics.errors import UserError, excerpt, shorten

MAX_YAML_BYTES = 1_000_000  # target and recipe files are a few kB; a 1 MB one is a mistake or an attack
MAX_NODES = 20_000  # values in one document; the largest shipped file holds about 700
MAX_DEPTH = 32  # levels of nesting; the shipped files use 5
MAX_NUMBER_CHARS = 40  # no setting needs a longer number; a 4,300-digit one costs seconds to convert

_EVENT_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when PyYAML was built with it

# The plain words YAML 1.2's core schema reads as values: null, the booleans and the special floats.
_WORDS = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **{"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False},
    **{form: float("inf") for form in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{form: float("-inf") for form in ("-.inf", "-.Inf", "-.INF")},
    **{form: float("nan") for form in (".nan", ".NaN", ".NAN")},
}
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?")
# YAML 1.1's other ways to write a number, each with the name the refusal gives it.
_NON_DECIMAL = (
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), "a hexadecimal number"),
    (re.compile(r"[-+]?0b[01_]+"), "a binary number"),
    (re.compile(r"[-+]?0o?[0-7_]+"), "an octal number (YAML 1.1 reads a leading 0 so)"),
    (re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"), "a sexagesimal (base 60) number"),
    (re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?"), "a number with '_' or leading zeros"),
)


class LineDict(dict):
    """A dict from YAML that also knows the (1-based) line of each of its keys."""

    lines: dict[str, int]


class LineList(list):
    """A list from YAML that also knows the (1-based) line of each of its items."""

    lines: list[int]


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming the file and the line."""
    path = Path(path)
    try:  # opened without waiting (O_NONBLOCK): a named pipe there would wait for a writer forever
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)), "rb") as handle:
            if stat.S_ISFIFO(os.fstat(handle.fileno()).st_mode):
                raise UserError(f"cannot read {path}: a named pipe, not a file; name the YAML file itself")
            data = handle.read(MAX_YAML_BYTES + 1)  # never more than the bound, however large the file
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_YAML_BYTES:
        raise UserError(f"{path}: larger than {MAX_YAML_BYTES:,} bytes, far more than any target or recipe file")
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UserError(
            f"{path}:{line}: not UTF-8 text (byte {error.object[error.start]:#04x}); save the file as UTF-8"
        ) from None
    return load_yaml_text(text, str(path))


class _Refused(Exception):
    """Valid YAML that this tool will not read: not "malformed", so the message says what it is."""

    def __init__(self, line: int, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


def load_yaml_text(text: str, source: str) -> Any:
    """YAML text from `source` (a file's name, or an option) as plain data; one line on anything else."""
    if len(text) > MAX_YAML_BYTES:
        raise UserError(f"{source}: larger than {MAX_YAML_BYTES:,} bytes, far more than any target or recipe file")
    try:
        return _build(yaml.parse(text, Loader=_EVENT_PARSER))
    except _Refused as refused:
        raise UserError(f"{source}:{refused.line}: YAML refused: {refused.problem}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = shorten(error.problem or error.context or "cannot parse")
        if "nesting depth" in problem:  # libyaml's own bound (1,000 levels), met before ours when scanning ahead
            raise UserError(f"{source}{line}: YAML refused: nested too deeply (more than {MAX_DEPTH} levels)") from None
        raise UserError(f"{source}{line}: malformed YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{source}: malformed YAML: {shorten(str(error))}") from None


def _build(events) -> Any:
    """The one document of an event stream as LineDicts, LineLists and scalars; a loop, not a recursion, so
    neither a deep nor a wide document can exhaust the stack, and it stops at the first refused event."""
    stack: list[list] = []  # open containers: [container, pending key or _NO_KEY, key line, its own first line]
    document: list = []
    nodes = 0
    for event in events:
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentStartEvent):
            if document:
                raise _Refused(line, "a second document (---); a file holds one")
            continue
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(line, f"alias *{shorten(event.anchor)}: {_NO_ALIASES}")
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            value, _, _, line = stack.pop()  # a list item's line is where it starts, not where it ends
        else:
            nodes += 1
            if nodes > MAX_NODES:
                raise _Refused(line, f"more than {MAX_NODES:,} values; no target or recipe file holds so many")
            if event.anchor is not None:
                raise _Refused(line, f"anchor &{shorten(event.anchor)}: {_NO_ALIASES}")
            if event.tag is not None:
                raise _Refused(line, f"tag {_short_tag(event.tag)}: tags are not accepted here; write plain values")
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(event, line)
            else:
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(line, f"nested too deeply (more than {MAX_DEPTH} levels)")
                container = LineDict() if isinstance(event, yaml.MappingStartEvent) else LineList()
                container.lines = {} if isinstance(container, dict) else []
                stack.append([container, _NO_KEY, 0, line])
                continue
        _place(stack, document, value, line)
    return document[0] if document else None


_NO_KEY = object()
_NO_ALIASES = "anchors and aliases are not accepted here (one alias can stand for billions of values); write the value out in full"


def _place(stack: list, document: list, value: Any, line: int) -> None:
    """Put a finished value where it belongs: the document, a list's next item, or a mapping's key or value."""
    if not stack:
        document.append(value)
        return
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, list):
        container.append(value)
        container.lines.append(line)
    elif frame[1] is _NO_KEY:
        if isinstance(value, (dict, list)):
            raise _Refused(line, "a mapping or list used as a key; keys are names")
        if value in container:
            first = container.lines[value]
            raise _Refused(line, f"duplicate key {excerpt(value)} (first at line {first}); keep one of them")
        frame[1], frame[2] = value, line
    else:
        container[frame[1]] = value
        container.lines[frame[1]] = frame[2]
        frame[1] = _NO_KEY


def _scalar(event: yaml.ScalarEvent, line: int) -> Any:
    """A scalar's value under YAML 1.2's core rules; YAML 1.1's other number forms are refused."""
    text = event.value
    if not event.implicit[0]:  # quoted or a block scalar: always text
        return text
    if text in _WORDS:
        return _WORDS[text]
    if not text.lstrip("+-.")[:1].isdigit():
        return text  # cannot be a number: skip the patterns (most text is this)
    if len(text) > MAX_NUMBER_CHARS and _DECIMAL_FLOAT.fullmatch(text):
        raise _Refused(
            line, f"a number of {len(text):,} characters; write at most {MAX_NUMBER_CHARS} (or quote it for text)"
        )
    if _DECIMAL_INT.fullmatch(text):
        return int(text)
    if _DECIMAL_FLOAT.fullmatch(text) and not re.match(r"[-+]?0[0-9]", text):
        return float(text)
    for pattern, kind in _NON_DECIMAL:
        if pattern.fullmatch(text):
            raise _Refused(line, f"{excerpt(text)} is {kind}; write it in decimal digits, or quote it for text")
    return text


def _short_tag(tag: str) -> str:
    return shorten(tag.replace("tag:yaml.org,2002:", "!!"))


def line_of(container: Any, key: Any) -> int | None:
    """The line a LineDict's key or a LineList's item was read from; None for data not read from YAML."""
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key)
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return None


def write_yaml(path: Path, data: Any) -> None:
    write_atomic(Path(path), yaml.safe_dump(plain(data), sort_keys=False))


def plain(value: Any) -> Any:
    """Turn tuples and LineDicts into plain lists and dicts so safe_dump can write them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
