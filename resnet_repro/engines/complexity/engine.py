"""The complexity engine (table1): exact parameter counts and FLOPs of every net, no training.

The counting builds the nets (torch), so measure.py is imported only when `run` counts; outputs.py holds the
verdicts and the report's table, read from table.csv.
"""

from __future__ import annotations

from pathlib import Path

from ...claims import NOT_RUN, Verdict
from ...registry import register
from ...report_parts import Score, csv_rows, run_command
from ..base import Engine, Outcome
from ..sections import Net
from .outputs import READ_COLUMNS, SAYS, WHERE, report_table, verdicts

SHOWN_COLUMNS = ["model", "params", "flops", "paper_params", "paper_flops", "torchvision_params"]


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

    def has_results(self, target, profile, results: Path) -> bool:
        return False

    def report_section(self, section, results: Path, warn):
        path = results / section.target.name / "table.csv"
        rows = csv_rows(path, READ_COLUMNS, warn) if path.exists() else None
        if rows is None:
            section.not_run = run_command(section.target)
            section.scores.append(Score(section.target.name, SAYS, WHERE, "—", Verdict(NOT_RUN, ""), section.not_run))
            return section
        section.table = report_table(rows)
        section.scores += [
            Score(section.target.name, *score, "—", verdict) for *score, verdict in verdicts(section.target, rows)
        ]
        section.notes = [section.target.notes] if section.target.notes else []
        return section


ENGINE = register(ComplexityEngine())
