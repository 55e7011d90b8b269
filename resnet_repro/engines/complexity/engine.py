"""The complexity engine (table1): exact parameter counts and FLOPs of every net, no training.

The counting builds the nets (torch), so measure.py is imported only when `run` counts; outputs.py holds the
verdicts and the report's table, read from table.csv. Its `nets:` section is typed here, beside the engine that
reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ...readback.report_parts import csv_rows
from ...readers.validation import STRICT_KEYS, Expect, Number, Text, Whole
from ...specs.registry import register
from ...specs.target_checks import MAX_INPUT_SIDE, check_net, read_section
from ..base import Engine, Outcome, judged_section, not_run_section
from .outputs import READ_COLUMNS, SAYS, WHERE, report_table, verdicts

SHOWN_COLUMNS = ["model", "params", "flops", "paper_params", "paper_flops", "torchvision_params"]


@dataclass(frozen=True)
class Net:
    """One entry of `nets:` (Table 1): a net to count, its input, and the paper's figures where it gives them."""

    __pydantic_config__ = STRICT_KEYS

    model: Text
    input: Annotated[
        tuple[Whole(1, MAX_INPUT_SIDE), Whole(1, MAX_INPUT_SIDE), Whole(1, MAX_INPUT_SIDE)],
        Expect(f"expected [channels, height, width] of whole numbers from 1 to {MAX_INPUT_SIDE}"),
    ]
    shortcut: Text | None = None
    variant: Text | None = None  # None: not given (the paper's original)
    family: Text | None = None
    paper_params: Number() | None = None
    paper_flops: Number() | None = None
    torchvision_params: Number() | None = None  # a reference count where the paper gives none (ImageNet nets)

    @classmethod
    def parse(cls, raw: dict, path: Path) -> tuple["Net", ...]:
        nets = read_section(Nets, raw, "nets", path)
        for index, net in enumerate(nets):
            check_net(net, net.variant or "original", raw["nets"], index, path, "nets")
        return nets


Nets = Annotated[tuple[Net, ...], Field(min_length=1), Expect("expected a non-empty list of mappings")]


class ComplexityEngine(Engine):
    name = "complexity"
    description = "parameter and FLOP counts, no training"
    sections = {"nets": Net}
    trains = False
    draws = False

    def run(self, target, runs, all_runs, context) -> Outcome:
        from .measure import run_table1  # torch (the nets counted): only when table1 runs

        rows = run_table1(target, context.results, context.reporter.message)
        folder = context.results / target.name
        return Outcome([folder / "table.csv", folder / "table.md"], table=(target.title, rows, SHOWN_COLUMNS))

    def report_section(self, section, results: Path, warn):
        path = results / section.target.name / "table.csv"
        rows = csv_rows(path, READ_COLUMNS, warn) if path.exists() else None
        if rows is None:
            return not_run_section(section, SAYS, WHERE)
        section.table = report_table(rows)
        return judged_section(section, verdicts(section.target, rows))


ENGINE = register(ComplexityEngine())
