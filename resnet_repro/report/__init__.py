"""The combined report: does the paper hold on this hardware? As results/REPORT.md and a self-contained REPORT.html.

It opens with a scoreboard: one row per claim of the paper (an ordering between nets) and per paper number,
across every target, run or not, each with its verdict against the seed noise (claims/). Then one section
per target: for each profile that has results, what made them (profile, deviations, data actually used,
hardware, compute time), the claims, the numbers with their noise band, and the figure.

Reads CSV and JSON only (no torch). Each profile's table and figure are redrawn from the same files first, so
none lags behind runs that another target trained (fig1 shares fig6's nets) or that an older version drew.

The rooms: scoring.py judges claims and paper numbers (scoreboard rows); sections.py gathers each target's
section from results/; summary.py counts hardware and compute; markdown_page.py and html_page.py write the two
files; console.py is what `run` prints at its end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..store.layout import write_atomic
from .html_page import html_page
from .markdown_page import markdown_page
from .sections import all_scores, collect_sections
from .summary import compute_summary, opening_lines, summary_lines


def write_report(results: Path, warn: Callable[[str], None] = lambda message: None) -> tuple[Path, Path, int]:
    """REPORT.md and REPORT.html in `results`, and how many targets have something to show; `warn` hears of
    every file skipped as unreadable."""
    sections = collect_sections(results, warn)
    opening = opening_lines(sections) + summary_lines(compute_summary(results, warn), all_scores(sections))
    markdown, page = results / "REPORT.md", results / "REPORT.html"
    write_atomic(markdown, markdown_page(sections, opening))
    write_atomic(page, html_page(sections, opening))
    return markdown, page, sum(bool(s.profiles or s.table or s.images) for s in sections)
