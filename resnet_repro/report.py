"""The combined report: every target with results, reproduced vs paper, as Markdown and as HTML.

Reads CSV and JSON only (no torch). A verdict says "reproduced" when |delta| is within the paper's
own seed spread. The only spread the paper reports is ResNet-110's std of 0.16 over 5 runs, so
that is the tolerance for every CIFAR-10 row (a row's own std where the paper gives one).
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from .experiments import Target, load_recipe_file, load_target, target_names
from .results.layout import read_json, write_atomic

PAPER_SEED_SPREAD = 0.16  # Table 6: ResNet-110, 6.61 +- 0.16 over 5 runs


@dataclass
class Section:
    target: Target
    table: pd.DataFrame | None
    images: list[Path]
    notes: list[str]


def verdict(row: pd.Series, spread: float) -> str:
    if str(row.get("status", "finished")) not in ("finished", "nan"):
        return f"not yet ({row['status']})"
    if pd.isna(row.get("paper_test_error")):
        return ""
    if pd.isna(row.get("delta")):
        data = row.get("data")
        return f"not comparable: trained on {data}" if isinstance(data, str) else "not comparable (not CIFAR-10)"
    return "reproduced" if abs(row["delta"]) <= spread else "not reproduced"


def collect_sections(results: Path, warn: Callable[[str], None] = lambda message: None) -> list[Section]:
    sections = []
    for name in target_names():
        target = load_target(name)
        folder = results / name
        table_path = folder / "table.csv"
        images = [p for p in (folder / f"{name}.png",) if p.exists()]
        if not table_path.exists() and not images:
            continue
        table = _read_table(table_path, warn) if table_path.exists() else None
        notes = []
        if table is not None and "paper_test_error" in table:
            paper = (target.section("table") or {}).get("paper") or {}
            spreads = {m: v.get("std", PAPER_SEED_SPREAD) for m, v in paper.items()}
            table["verdict"] = [verdict(row, spreads.get(_canonical(row["model"]), PAPER_SEED_SPREAD))
                                for _, row in table.iterrows()]
            for profile in sorted(set(table["profile"].dropna().astype(str))):
                notes += _profile_notes(target, profile)
        caption = folder / "caption.md"
        if caption.exists():
            notes.append(caption.read_text().strip())
        if target.section("notes"):
            notes.append(str(target.section("notes")).strip())
        sections.append(Section(target, table, images, notes))
    return sections


def compute_summary(results: Path, warn: Callable[[str], None] = lambda message: None) -> dict:
    """Hardware and total compute time over every run folder; a damaged file is skipped, and said."""
    devices, wall, finished, failed, unfinished = set(), 0.0, 0, 0, 0
    for meta_path in _meta_files(results / "runs", warn):
        meta = read_json(meta_path)
        if not isinstance(meta, dict):
            warn(f"skipped {meta_path}: unreadable or not JSON (a copy cut short?)")
            continue
        devices.add(meta.get("device_name", "unknown"))
        final_path = meta_path.parent / "final.json"
        final = read_json(final_path) if final_path.exists() else None
        if final_path.exists() and not isinstance(final, dict):
            warn(f"skipped {final_path}: unreadable or not JSON; the run counts as unfinished")
        if isinstance(final, dict):
            wall += final.get("wall_s") or 0.0
            finished += final.get("status") == "finished"
            failed += final.get("status") == "failed"
        else:
            unfinished += 1
    return {"devices": sorted(devices), "wall_s": wall, "finished": finished, "failed": failed,
            "unfinished": unfinished}


def write_report(results: Path, warn: Callable[[str], None] = lambda message: None) -> tuple[Path, Path, int]:
    sections = collect_sections(results, warn)
    summary = compute_summary(results, warn)
    markdown = _markdown(sections, summary)
    html_text = _html(sections, summary)
    write_atomic(results / "REPORT.md", markdown)
    write_atomic(results / "REPORT.html", html_text)
    return results / "REPORT.md", results / "REPORT.html", len(sections)


def _meta_files(runs: Path, warn: Callable[[str], None]):
    """Every run's meta.json; a folder that cannot be read is skipped and said (rglob would skip it silently)."""
    if not runs.is_dir():
        return
    for folder, _, files in os.walk(runs, onerror=lambda error: warn(f"skipped {error.filename}: {error.strerror}")):
        if "meta.json" in files:
            yield Path(folder) / "meta.json"


def _read_table(path: Path, warn: Callable[[str], None]) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path)
    except (ValueError, OSError) as error:  # pandas' parser and empty-data errors are ValueErrors
        warn(f"skipped {path}: not a readable table ({type(error).__name__}); `resnet-repro plot` redraws it")
        return None


def _summary_lines(summary: dict) -> list[str]:
    hours = summary["wall_s"] / 3600
    lines = [f"Hardware: {', '.join(summary['devices']) or 'no training runs yet'}.",
             f"Compute: {summary['finished']} finished run(s), {hours:.2f} h of training wall time in total."]
    if summary["failed"] or summary["unfinished"]:
        lines.append(f"Also: {summary['failed']} failed and {summary['unfinished']} unfinished run(s) "
                     f"(`resnet-repro run TARGET` continues them).")
    return lines


def _markdown(sections: list[Section], summary: dict) -> str:
    out = ["# resnet-repro: reproduced vs paper", "", *_summary_lines(summary), ""]
    if not sections:
        out.append("No results yet: run a target first, e.g. `resnet-repro run table1`.")
    for section in sections:
        out += [f"## {section.target.name}: {section.target.title}", ""]
        out += [f"- {note}" for note in section.notes]
        if section.table is not None:
            out += ["", _markdown_table(section.table), ""]
        out += [f"![{section.target.name}]({p.parent.name}/{p.name})" for p in section.images]
        out.append("")
    return "\n".join(out) + "\n"


def _html(sections: list[Section], summary: dict) -> str:
    body = ["<h1>resnet-repro: reproduced vs paper</h1>"] + [f"<p>{html.escape(s)}</p>"
                                                             for s in _summary_lines(summary)]
    for section in sections:
        body.append(f"<h2>{html.escape(section.target.name)}: {html.escape(section.target.title)}</h2>")
        body += ["<ul>"] + [f"<li>{html.escape(n)}</li>" for n in section.notes] + ["</ul>"]
        if section.table is not None:
            body.append(section.table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.2f}"))
        for image in section.images:  # inlined, so the file can be shared alone
            data = base64.b64encode(image.read_bytes()).decode()
            body.append(f'<img alt="{html.escape(image.stem)}" src="data:image/png;base64,{data}" '
                        f'style="max-width:100%">')
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>resnet-repro report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        if pd.isna(value):
            return ""
        if isinstance(value, float):
            return f"{value:,.0f}" if value.is_integer() and abs(value) >= 10_000 else f"{value:.2f}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    return "\n".join([header, rule] + ["| " + " | ".join(cell(v) for v in row) + " |"
                                       for row in frame.astype(object).itertuples(index=False)])


def _profile_notes(target: Target, profile: str) -> list[str]:
    base = profile.split("~")[0]
    if not target.recipe:
        return []
    known = load_recipe_file(target.recipe).profiles.get(base)
    if known is None:
        return [f"profile {profile}"]
    notes = [f"profile {profile}: {known.description}"]
    notes += [f"deviation from the paper: {d}" for d in known.deviations]
    if "~" in profile:
        notes.append("with --set overrides (see each run's config.yaml)")
    return notes


def _canonical(label: str) -> str:
    parts = str(label).split("-")
    return f"{parts[0]}{parts[1]}" if len(parts) > 1 else label
