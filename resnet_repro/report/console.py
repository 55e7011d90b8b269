"""What `run` prints at its end: the target's claims with their verdicts, and each net's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..readback.measured import measure, title_for_data
from ..readback.report_parts import TESTS_THE_TOOL, Score
from ..specs.experiments import Target, is_test_profile
from .scoring import claim_scores
from .sections import numbers_table, target_section


def console_summary(target: Target, profile: str, results: Path) -> list[str]:
    """What `run` ends with: the target's claims with verdicts, each net's training and test error."""
    found = measure(target, profile, results)
    lines = [f"{title_for_data(target.title, found.dataset)} ({target.name}), profile {profile}"]
    named = profile.partition("~")[0]  # a variant (smoke~3f2a1c) of a test profile tests the tool as much
    if is_test_profile(named):  # said before its verdicts: none of them is a finding of the paper's
        lines.append(f"  {named} is {TESTS_THE_TOOL}")
    lines += _verdict_lines(claim_scores(target, found))
    header, rows = numbers_table(target, found)
    if rows:
        lines += _aligned(header, rows)
    comparable, why = found.numbers_comparable()
    if found.proxy:  # why its numbers are not set beside the paper's
        lines.append(f"  {why}")
    elif not comparable and rows and "paper" in header:  # the paper's numbers beside ours, with no verdict: why
        lines.append(f"  Numbers shown without a verdict against the paper: {why}.")
    return lines


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    """The numbers table as `show` prints its tables: the net (and the verdict, the paper's column's neighbour) to the
    left, every number to the right, and no line ending in spaces."""
    left = {0, len(header) - 1} if "paper" in header else {0}
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  " + "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(cells).rstrip() for cells in (header, *rows)]


def section_summary(target: Target, results: Path) -> list[str]:
    """What `run` ends with for a target that trains nothing (table1, gradflow): its claims with their verdicts, as
    the report judges them from the files just written."""
    return [f"{target.title} ({target.name})", *_verdict_lines(target_section(target, results).scores)]


def _verdict_lines(scores: list[Score]) -> Iterator[str]:
    """Each claim's verdict, its numbers, and the command that trains the seeds it says would resolve the paper's
    gap."""
    for score in scores:
        yield f"  {score.mark} {score.verdict.status}: {score.what}"
        if score.verdict.detail:
            yield f"      {score.verdict.detail}"
        if score.verdict.seeds and score.command:  # none where a test profile's row waits: it offers no command
            yield f"      {score.verdict.seeds} seeds per net: {score.command}"
