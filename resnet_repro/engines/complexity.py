"""The complexity engine (table1): exact parameter counts and FLOPs of every net, no training.

The counting builds the nets (torch), so complexity_table is imported only when `run` counts.
"""

from __future__ import annotations

from pathlib import Path

from ..claims import FAILS, HOLDS, NOT_RUN, Verdict
from ..registry import register
from ..report_parts import Score, count_text, csv_rows, giga_text, run_command
from .base import Engine, Outcome
from .sections import Net

SAYS = "parameter counts and FLOPs of every net"
WHERE = "Table 1, Sec. 4.2"
SHOWN_COLUMNS = ["model", "params", "flops", "paper_params", "paper_flops"]


class ComplexityEngine(Engine):
    name = "complexity"
    description = "parameter and FLOP counts, no training"
    sections = {"nets": Net}
    trains = False
    draws = False

    def run(self, target, runs, all_runs, context) -> Outcome:
        from .complexity_table import run_table1  # torch (the nets counted): only when table1 runs

        rows = run_table1(target, context.results, context.reporter.message)
        folder = context.results / target.name
        return Outcome([folder / "table.csv", folder / "table.md"], table=(target.title, rows, SHOWN_COLUMNS))

    def has_results(self, target, profile, results: Path) -> bool:
        return False

    def report_section(self, section, results: Path, warn):
        path = results / section.target.name / "table.csv"
        columns = ("model", "input", "params", "paper_params", "flops", "paper_flops")
        rows = csv_rows(path, columns, warn) if path.exists() else None
        if rows is None:
            section.not_run = run_command(section.target, "paper")
            section.scores.append(Score(section.target.name, SAYS, WHERE, "—", Verdict(NOT_RUN, ""), section.not_run))
            return section
        header = ["net", "input", "params", "paper params", "mult-adds", "paper mult-adds"]
        section.table = (
            header,
            [
                [
                    r["model"],
                    r["input"],
                    count_text(r["params"]),
                    count_text(r["paper_params"]),
                    giga_text(r["flops"]),
                    giga_text(r["paper_flops"]),
                ]
                for r in rows
            ],
        )
        checked, off = 0, []
        for row in rows:  # the paper rounds (0.27M, 3.6e9): a count matches when it rounds to the paper's figure
            for what, ours, theirs in (
                ("params", row["params"], row["paper_params"]),
                ("mult-adds", row["flops"], row["paper_flops"]),
            ):
                if ours and theirs:
                    checked += 1
                    if abs(float(ours) / float(theirs) - 1) > 0.02:
                        shown = giga_text if what == "mult-adds" else count_text
                        off.append(f"{row['model']} {what} {shown(ours)} vs {shown(theirs)}")
        verdict = Verdict(
            HOLDS if not off else FAILS,
            f"{checked - len(off)} of {checked} counts match the paper's to its rounding (2%)"
            + (f"; off: {', '.join(off)}" if off else ""),
        )
        section.scores.append(Score(section.target.name, SAYS, WHERE, "—", verdict))
        section.notes = [section.target.notes] if section.target.notes else []
        return section


ENGINE = register(ComplexityEngine())
