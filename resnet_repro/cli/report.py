"""`resnet-repro report`: every target that has results, in one Markdown document (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..experiments import load_target, target_names
from ..results.layout import resolve_results_dir, write_atomic
from .common import ResultsOption, console


def report_command(results: Optional[Path] = ResultsOption) -> None:
    """Write results/REPORT.md from the tables and figures present under results/."""
    results_dir = resolve_results_dir(str(results) if results else None)
    sections = ["# resnet-repro: reproduced vs paper", ""]
    found = 0
    for name in target_names():
        folder = results_dir / name
        table = folder / "table.md"
        figure = folder / f"{name}.png"
        if not table.exists() and not figure.exists():
            continue
        found += 1
        sections.append(f"## {name}: {load_target(name).title}")
        if table.exists():
            sections += ["", table.read_text().split("\n", 2)[-1].strip(), ""]
        if figure.exists():
            sections += [f"![{name}]({name}/{name}.png)", ""]
    if not found:
        sections.append("No results yet: run a target first, e.g. `resnet-repro run table1`.")
    write_atomic(results_dir / "REPORT.md", "\n".join(sections) + "\n")
    console.print(f"wrote {results_dir / 'REPORT.md'} ({found} target(s))")
