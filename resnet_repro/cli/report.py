"""`resnet-repro report`: every target that has results, as results/REPORT.md and REPORT.html (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..basics.words import counted
from ..report import write_report
from .common import ResultsOption, existing_results_dir, say


def report_command(results: Optional[Path] = ResultsOption) -> None:
    """Write results/REPORT.md and a self-contained REPORT.html from the tables and figures under results/."""
    results_dir = existing_results_dir(results)
    markdown, html_path, count = write_report(results_dir, warn=lambda message: say(f"warning: {message}"))
    say(f"wrote {markdown} and {html_path} ({counted(count, 'target')})")
