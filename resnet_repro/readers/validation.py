"""Typed validation of data read by the strict YAML reader: one call, a typed object or one `file:line` line.

A schema is a dataclass (or a pydantic model) whose fields use the types below; pydantic checks the types and the
bounds, and `validate` turns its first complaint into the one line a user sees, at the line the value was read
from. The same words serve every file, so a message pinned for one reads the same in another:

    validate(Recipe, raw, where)                   # where: dotted key -> "file:line"
    validate(Warmup, raw, lines_in(raw, path))     # raw read by yamlio.read_yaml, located by its line marks

Bounds are part of the types (`Whole(1, 65_536)`) and are checked by pydantic before the value is converted or
used, so a huge value is one line before anything is created.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import operator
import re
import typing
from typing import Annotated, Any, Callable, Literal, TypeVar

from pydantic import AllowInfNan, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from ..basics.errors import UserError, excerpt
from .yamlio import line_of

T = TypeVar("T")
Where = Callable[[str], str]  # a dotted key -> where it was set ("file:line", "--set", or the file alone)

# Every schema refuses a key it does not know (a typo would otherwise be dropped unseen).
STRICT_KEYS = ConfigDict(extra="forbid")


def _whole_float_to_int(value: Any) -> Any:
    """64e3 is a float in YAML; it is still a whole number."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def Whole(low: int | None = None, high: int | None = None) -> Any:
    """A whole number in [low, high]: no text, no booleans, no fractions."""
    return Annotated[int, Field(ge=low, le=high), Strict(), BeforeValidator(_whole_float_to_int)]  # in this order, the
    # JSON Schema names the bounds minimum and maximum


def Number(*, ge: float | None = None, gt: float | None = None, le: float | None = None, lt: float | None = None):
    """A finite number within the given bounds (a whole number is taken as one)."""
    return Annotated[float, Strict(), AllowInfNan(False), Field(ge=ge, gt=gt, le=le, lt=lt)]


Flag = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]


@dataclasses.dataclass(frozen=True)
class Expect:
    """A field's own words for any problem of its value itself (`Annotated[Whole(1, 9), Expect("expected ...")]`):
    the line reads `key: WORDS, got VALUE` (`show=False`: without the value). A missing key inside it reads so too."""

    words: str
    show: bool = True


# Where a missing key goes and how to add it, from the dotted keys of the mapping that lacks it ('' for the top) and
# of the key.
Missing = Callable[[str, str], tuple[str, str]]


def validate(schema: type[T], raw: Any, where: Where, *, missing: str | Missing = "", prefix: str = "") -> T:
    """`raw` checked against `schema`: the typed object, or a UserError of one line for the first problem,
    located by `where`. A missing required key is placed where the mapping that lacks it was set, `missing`
    appended (how to add it); or `missing` says both, given the dotted keys of that mapping and of the key. `prefix` names where `raw`
    sits in its file (`figure`), so keys read `figure.ylim`."""
    try:
        return _adapter(schema).validate_python(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        first = next((p for p in problems if p["type"] in _UNKNOWN_KEY), problems[0])
        raise UserError(_one_line(schema, raw, first, where, missing, prefix)) from None


def refuse(words: str) -> PydanticCustomError:
    """Raised by a schema's own validator: `words` is the whole of what the line says after the key."""
    return PydanticCustomError("own_words", words)


def lines_in(raw: Any, source: str) -> Where:
    """A `Where` for data read straight from a file: the line of the dotted key's nearest part that has one."""

    def where(dotted: str) -> str:
        node, best = raw, None
        for part in _parts(dotted):
            line = line_of(node, part)
            if line is None:
                break
            best = line
            node = node[part]
        return f"{source}:{best}" if best else source

    return where


def did_you_mean(name: Any, known: list[str], otherwise: str = "", parent: str = "") -> str:
    """The hint for a name none of `known` is: "; did you mean KEY?" naming the closest of them (`parent` before it:
    the dotted key of its mapping), `otherwise` where none is close."""
    close = difflib.get_close_matches(str(name), known, n=1)
    return f"; did you mean {parent}{close[0]}?" if close else otherwise


def at_key(where: Where, dotted: str, name: Any) -> str:
    """`where` of the key `name` of the mapping at `dotted` (a net named in `table.paper`): the key's own line, the
    mapping's where a name holding a dot or a bracket cannot be one part of a dotted key."""
    text = str(name)
    return where(dotted if "." in text or "[" in text else f"{dotted}.{text}")


_adapter = functools.cache(TypeAdapter)  # a schema's validator, built once


_PART = re.compile(r"([^.\[]+)|\[([0-9]+)\]")  # a key, or a list's index in brackets


def _parts(dotted: str) -> list:
    """'table.paper[2].x' -> ['table', 'paper', 2, 'x']."""
    return [int(index) if index else name for name, index in _PART.findall(dotted)]


def _dotted(loc: tuple, prefix: str = "") -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _value_at(raw: Any, loc: tuple) -> Any:
    return functools.reduce(operator.getitem, loc, raw)


def _field_type(schema: type, loc: tuple) -> Any:
    """The annotation of the field at `loc` (None where the path leaves the schema): to name choices, and to tell
    a list's item from the list."""
    tp: Any = schema
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            args = typing.get_args(tp)
            tp = args[0] if args else None
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif dataclasses.is_dataclass(tp) or hasattr(tp, "model_fields"):
            tp = typing.get_type_hints(tp, include_extras=True).get(part)
        else:
            return None
    return tp


def _wrappings(tp: Any) -> list:
    """`tp` and what each Optional[X] or Annotated[X, ...] in it wraps, outermost first: [Optional[A[int, m]],
    A[int, m], int]."""
    found = [tp]
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        elif type(None) in typing.get_args(tp) and typing.get_origin(tp) is not Literal:
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return found
        found.append(tp)


def _unwrap(tp: Any) -> Any:
    """Optional[X] -> X, Annotated[X, ...] -> X."""
    return _wrappings(tp)[-1]


# A key the schema does not know: a model says extra_forbidden, a dataclass an unexpected keyword argument.
_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")
# Every schema's scalars are strict (Whole, Number, Flag, Text), so a wrong type is one of these, never a
# *_parsing error of lax conversion.
_EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "string_type": "a string",
}
_BOUND_WORDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "greater than"),
    "less_than": ("lt", "less than"),
}


def _expect_at(schema: type, loc: tuple) -> Expect | None:
    """The field's own words (an `Expect` in its annotation, at any depth of Optional and Annotated), if it has them."""
    layers = _wrappings(_field_type(schema, loc))
    return next((m for tp in layers for m in getattr(tp, "__metadata__", ()) if isinstance(m, Expect)), None)


def _one_line(schema: type, raw: Any, problem: dict, where: Where, missing: str | Missing, prefix: str) -> str:
    loc = problem["loc"]
    kind = problem["type"]
    own = loc[:-1] if kind == "missing" else loc
    # A bad item of a list is named by its list, as a whole, but placed at its own line (`- plain57` below the key).
    at = where(_dotted(own, prefix))
    if kind == "own_words":
        return f"{at}: {_dotted(loc, prefix)}: {problem['msg']}"
    if kind == "literal_error":  # a bad choice; in a list, name the list
        choices = typing.get_args(_unwrap(_field_type(schema, loc)))
        named = _dotted(loc[:-1] if loc and isinstance(loc[-1], int) else loc, prefix)
        return f"{at}: {named}: {excerpt(problem['input'])} is not one of {', '.join(map(str, choices))}"
    # The field's own words; for a bad item of a list without them, the list's (at any depth).
    while (expect := _expect_at(schema, own)) is None and own and isinstance(own[-1], int):
        own = own[:-1]
    if expect is not None and kind not in _UNKNOWN_KEY:
        got = f", got {_show(_value_at(raw, own))}" if expect.show else ""
        return f"{at}: {_dotted(own, prefix)}: {expect.words}{got}"
    if loc and isinstance(loc[-1], int) and kind in _EXPECTED:  # a bad item: name the list, as a whole
        loc, kind = loc[:-1], "list_type"
    dotted = _dotted(loc, prefix)
    value = _value_at(raw, loc) if kind == "list_type" else problem.get("input")
    if kind in ("tuple_type", "list_type"):
        item = _unwrap(_field_type(schema, loc + (0,)))
        noun = {int: "whole numbers", float: "numbers", str: "names"}.get(item, "values")
        return f"{at}: {dotted}: expected a list of {noun}, got {_show(value)}"
    if kind == "missing":
        mapping = _dotted(loc[:-1], prefix)
        at, how = missing(mapping, dotted) if callable(missing) else (where(mapping), missing)
        return f"{at}: missing required key {dotted!r}{how}"
    if kind in _UNKNOWN_KEY:
        known = [k for k in typing.get_type_hints(_unwrap(_field_type(schema, loc[:-1]))) if not k.startswith("_")]
        parent = _dotted(loc[:-1], prefix)
        parent = f"{parent}." if parent else ""
        hint = did_you_mean(loc[-1], known, f"; known keys: {', '.join(known)}", parent)
        return f"{at}: unknown key {excerpt(dotted)}{hint}"
    if kind in _EXPECTED:
        return f"{at}: {dotted}: expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind in _BOUND_WORDS:
        name, words = _BOUND_WORDS[kind]
        bound = problem["ctx"][name]
        value = _value_at(raw, loc)  # as written (1e+300), not as converted to a whole number
        shown = float(value) if isinstance(bound, float) else value
        return f"{at}: {dotted}: must be {words} {bound}, got {excerpt(shown)}"
    if kind in ("dataclass_type", "model_type", "dict_type"):
        return f"{at}: {dotted or 'config'} must be a mapping, got {_show(value)}"
    return f"{at}: {dotted}: {problem['msg']}, got {_show(value)}"


def _show(value: Any) -> str:
    return "nothing (null)" if value is None else excerpt(value)
