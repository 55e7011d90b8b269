"""YAML reading that remembers the line of every key, so a bad value can be reported as file:line.

Reading is bounded whatever a file holds: a file larger than any target or recipe is refused unread, and
aliases (`*name`) are refused where the parser meets them. An alias is what makes "billion laughs" files
work: a few lines whose aliases nest a few levels deep stand for billions of values, and everything that
walks the values (merging the layers, hashing overrides, quoting a value in an error) would expand them.
No target or recipe needs one, so refusing them costs nothing and keeps time and memory in proportion to
the file's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .atomic import write_atomic
from .errors import UserError, shorten

MAX_YAML_BYTES = 1_000_000  # target and recipe files are a few kB; a 1 MB one is a mistake or an attack


class LineDict(dict):
    """A dict from YAML that also knows the (1-based) line of each of its keys."""

    lines: dict[str, int]


class _RefusedAlias(yaml.MarkedYAMLError):
    """Valid YAML that this tool will not read: not "malformed", so the message says what it is."""


class _LineLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _RefusedAlias(
                problem=f"alias *{shorten(event.anchor)}: aliases are not accepted here (one can stand "
                f"for billions of values); write the value out in full",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as error:  # a 5000-digit number, a 13th month: not YAML errors
            raise yaml.MarkedYAMLError(problem=shorten(str(error)), problem_mark=node.start_mark) from None

    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.lines = {self.construct_object(key, deep=True): key.start_mark.line + 1 for key, _ in node.value}
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming the file and the line."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
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


def load_yaml_text(text: str, source: str) -> Any:
    """YAML text from `source` (a file's name, or an option), parsed without aliases; one line on any error."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = error.problem or error.context or "cannot parse"
        kind = "YAML refused" if isinstance(error, _RefusedAlias) else "malformed YAML"
        raise UserError(f"{source}{line}: {kind}: {problem}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{source}: malformed YAML: {shorten(str(error))}") from None
    except RecursionError:  # thousands of nested brackets
        raise UserError(f"{source}: malformed YAML: nested too deeply") from None


def line_of(mapping: Any, key: str) -> int | None:
    return getattr(mapping, "lines", {}).get(key)


def write_yaml(path: Path, data: Any) -> None:
    write_atomic(Path(path), yaml.safe_dump(plain(data), sort_keys=False))


def plain(value: Any) -> Any:
    """Turn tuples and LineDicts into plain lists and dicts so safe_dump can write them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
