"""The complexity engine (table1): exact parameter counts and FLOPs of every net, no training.

The counting builds the nets (torch), so complexity_table is imported only when `run` counts.
"""

from __future__ import annotations

from pathlib import Path

from ...claims import FAILS, HOLDS, NOT_RUN, Verdict
from ...registry import register
from ...report_parts import Score, csv_rows, run_command
from ..base import Engine, Outcome
from ..sections import Net
from .outputs import (
    FLOPS_SAYS,
    FLOPS_WHERE,
    PARAMS_SAYS,
    PARAMS_WHERE,
    fewer_params_verdict,
    paper_figures,
    vgg_share_verdict,
)

SAYS = "parameter counts and FLOPs of every net"
WHERE = "Table 1, Sec. 4.2"
IDENTITY_SAYS = (
    "the identity shortcuts introduce neither extra parameter nor computation complexity (option A: each ResNet "
    "has its plain twin's parameter count; the projections of B and C add the counts shown)"
)
IDENTITY_WHERE = "Sec. 3.2, 3.3, Table 1"
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
        columns = ("model", "input", "params", "paper_params", "flops", "paper_flops")
        rows = csv_rows(path, columns, warn) if path.exists() else None
        if rows is None:
            section.not_run = run_command(section.target)
            section.scores.append(Score(section.target.name, SAYS, WHERE, "—", Verdict(NOT_RUN, ""), section.not_run))
            return section
        header = ["net", "input", "params", "paper params", "torchvision params (not the paper's)", "mult-adds"]
        section.table = (
            header + ["paper mult-adds"],
            [
                [
                    r["model"],
                    r["input"],
                    count_text(r["params"]),
                    count_text(r["paper_params"]),
                    count_text(r.get("torchvision_params") or ""),
                    giga_text(r["flops"]),
                    giga_text(r["paper_flops"]),
                ]
                for r in rows
            ],
        )
        section.scores.append(Score(section.target.name, SAYS, WHERE, "—", complexity_verdict(rows)))
        section.scores.append(Score(section.target.name, IDENTITY_SAYS, IDENTITY_WHERE, "—", identity_verdict(rows)))
        figures = paper_figures(section.target)
        for says, where, verdict in (
            (PARAMS_SAYS, PARAMS_WHERE, fewer_params_verdict(rows, figures)),
            (FLOPS_SAYS, FLOPS_WHERE, vgg_share_verdict(rows, figures)),
        ):
            section.scores.append(Score(section.target.name, says, where, "—", verdict))
        section.notes = [section.target.notes] if section.target.notes else []
        return section


def complexity_verdict(rows: list[dict]):
    """The paper's own figures against the counts: they match when they round to the paper's (0.27M, 3.6e9, 2%).
    torchvision's parameter counts are said beside the verdict, never in it: the paper gives no ImageNet counts."""

    checked, off = 0, []
    for row in rows:
        for what, ours, theirs in (
            ("params", row["params"], row["paper_params"]),
            ("mult-adds", row["flops"], row["paper_flops"]),
        ):
            if ours and theirs:
                checked += 1
                if abs(float(ours) / float(theirs) - 1) > 0.02:
                    shown = giga_text if what == "mult-adds" else count_text
                    off.append(f"{row['model']} {what} {shown(ours)} vs {shown(theirs)}")
    reference = [r for r in rows if r.get("torchvision_params") and r["params"]]
    same = sum(int(float(r["params"])) == int(float(r["torchvision_params"])) for r in reference)
    detail = f"{checked - len(off)} of {checked} of the paper's figures match to its rounding (2%)"
    detail += f"; off: {', '.join(off)}" if off else ""
    if reference:
        detail += (
            f"; not in this verdict: {same} of {len(reference)} ImageNet parameter counts equal torchvision's "
            f"(the paper gives none)"
        )
    return Verdict(HOLDS if not off else FAILS, detail)


def identity_verdict(rows: list[dict]) -> Verdict:
    """Each ResNet's parameter count against its plain twin's (same depth and input): option A's must be equal,
    exactly (its shortcuts are parameter-free); B's and C's extra parameters, the projections', are reported
    beside it, not judged (the paper gives no count for them). v1.5 rows repeat the original's count."""
    plain = {(r["model"].split("-")[1], r["input"]): int(float(r["params"])) for r in rows if _is(r, "plain")}
    equal, unequal, extra, alone = [], [], [], []
    for row in rows:
        if not _is(row, "resnet") or row["model"].endswith("v1.5"):
            continue
        _, depth, shortcut = row["model"].split("-")
        twin = plain.get((depth, row["input"]))
        if twin is None:
            alone.append(row["model"])
            continue
        added = int(float(row["params"])) - twin
        if shortcut == "A":
            (equal if added == 0 else unequal).append(f"{row['model']} {added:+,}")
        else:
            extra.append(f"ResNet-{depth} {shortcut} {added:+,}")
    if not equal and not unequal:
        return Verdict(NOT_RUN, "no option-A ResNet beside its plain twin")
    detail = f"{len(equal)} of {len(equal) + len(unequal)} option-A ResNets have their plain twin's count exactly"
    detail += f"; off: {', '.join(unequal)}" if unequal else ""
    detail += f"; projections add (not judged): {', '.join(extra)}" if extra else ""
    detail += f"; no plain twin counted: {', '.join(alone)}" if alone else ""
    return Verdict(FAILS if unequal else HOLDS, detail)


def _is(row: dict, family: str) -> bool:
    return bool(row.get("params")) and row["model"].startswith(f"{family}-")


def giga_text(text: str) -> str:
    """Multiply-adds in one unit down the column, so 0.04 G and 3.66 G compare at a glance."""
    return f"{float(text) / 1e9:.2f} G" if text else ""


def count_text(text: str) -> str:
    if not text:
        return ""
    value = float(text)
    return f"{value / 1e9:.2f} G" if value >= 1e8 else f"{int(value):,}"


ENGINE = register(ComplexityEngine())
