"""The typed sections several engines read (`figure`, `table`: cifar and imagenet), built when the file is read.

Each is a schema read by `target_checks.read_section` (types, bounds and choices: a bad value is one `file:line`
error, before anything trains); `parse(raw, path)` adds the rules that need the rest of the file (a panel's models
must be the target's runs) and returns the dataclass the engine reads. Engines declare which sections they read in
`Engine.sections`; a section only one engine reads is typed in that engine's engine.py (complexity's `nets`,
gradflow's `gradflow`). No torch here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from ..basics.errors import excerpt
from ..readers.validation import STRICT_KEYS, Expect, Number, Text, refuse
from ..specs.target_checks import check_in_runs, read_section

_NAMES = Expect("expected a non-empty list of names")


@dataclass(frozen=True)
class Panel:
    __pydantic_config__ = STRICT_KEYS

    title: Annotated[Text, Expect("expected text")]
    metrics: Annotated[tuple[Literal["train_error", "test_error", "val_error"], ...], Field(min_length=1), _NAMES]
    models: Annotated[tuple[Text, ...], Field(min_length=1), _NAMES]  # model names of the target's runs


def _low_below_high(ylim: tuple[float, float]) -> tuple[float, float]:
    if not ylim[0] < ylim[1]:
        raise ValueError("low must be below high")
    return ylim


@dataclass(frozen=True)
class FigureSection:
    """`figure:` curves of error against iterations, one panel per group of nets."""

    __pydantic_config__ = STRICT_KEYS

    panels: Annotated[
        tuple[Annotated[Panel, Expect("expected {title, metrics, models}")], ...],
        Field(min_length=1),
        Expect("expected a list of panels ({title, metrics, models})"),
    ]
    ylim: Annotated[
        tuple[Number(), Number()], AfterValidator(_low_below_high), Expect("expected [low, high] with low < high")
    ] = None  # None: the engine's default

    @classmethod
    def parse(cls, raw: dict, path: Path) -> "FigureSection":
        figure = read_section(cls, raw, "figure", path)
        for index, panel in enumerate(raw["figure"]["panels"]):  # each as read, for the line of each of its nets
            check_in_runs(panel, raw, path, f"figure.panels[{index}].models")
        return figure

    def panel_specs(self) -> list[dict]:
        """The panels as plots/curves.py takes them ({title, metrics, models})."""
        return [{"title": p.title, "metrics": list(p.metrics), "models": list(p.models)} for p in self.panels]


def _paper_number(value: Any) -> Any:
    """A number, or a bound the paper gives instead of one ("< 0.1" for ResNet-1202's training error)."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
    if not (is_number or isinstance(value, str) and re.fullmatch(r"\s*[<>]=?\s*\d+(\.\d+)?\s*", value)):
        raise refuse(f'expected a number, got {excerpt(value)} (or a bound the paper states, such as "< 0.1")')
    return value


def _has_model(entry: dict) -> dict:
    if "model" not in entry:
        raise refuse("each entry needs a model")
    return entry


_MAPPING = Expect("expected a mapping (key: value, ...)")


@dataclass(frozen=True)
class TableSection:
    """`table:` the paper's numbers per net, other methods' rows quoted from the paper, the test protocol."""

    __pydantic_config__ = STRICT_KEYS

    # net -> {test_error, mean, std, ...}
    paper: Annotated[
        dict[str, Annotated[dict[str, Annotated[Any, AfterValidator(_paper_number)]], _MAPPING]], _MAPPING
    ] = field(default_factory=dict)
    # other methods' rows: {model, test_error | top1_error, ...}
    context: Annotated[
        tuple[Annotated[dict[str, Any], AfterValidator(_has_model)], ...], Expect("expected a list of mappings")
    ] = ()
    protocol: Literal["10-crop", "multi-scale"] | None = None  # ImageNet tables: None is 10-crop, the standard
