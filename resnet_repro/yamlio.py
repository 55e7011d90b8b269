"""YAML reading that remembers the line of every key, so a bad value can be reported as file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .atomic import write_atomic
from .errors import UserError


class LineDict(dict):
    """A dict from YAML that also knows the (1-based) line of each of its keys."""

    lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.lines = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming the file and the line."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        line = text_line(Path(path).read_bytes(), error.start)
        raise UserError(
            f"{path}:{line}: not UTF-8 text (byte {error.object[error.start]:#04x}); save the file as UTF-8"
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = error.problem or error.context or "cannot parse"
        raise UserError(f"{path}{line}: malformed YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path}: malformed YAML: {error}") from None


def text_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


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
