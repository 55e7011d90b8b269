"""Write a table as table.csv and table.md. No torch here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .layout import write_atomic


@dataclass
class ExtraTable:
    """A second table below the main one in table.md, also written as its own CSV (e.g. rows quoted from the
    paper, which were not trained here and so stay out of the main table.csv)."""

    heading: str
    csv_name: str
    rows: list[dict]
    columns: list[str]


def write_table(
    folder: Path,
    title: str,
    rows: list[dict],
    columns: list[str],
    notes: list[str],
    csv_name: str = "table.csv",
    extra: list[ExtraTable] = (),
) -> pd.DataFrame:
    frame = _write_csv(folder / csv_name, rows, columns)
    markdown = [f"# {title}", ""] + [n for n in notes if n] + ["", _markdown(frame), ""]
    for table in extra:
        if not table.rows:
            continue
        extra_frame = _write_csv(folder / table.csv_name, table.rows, table.columns)
        markdown += [f"## {table.heading}", "", _markdown(extra_frame), ""]
    write_atomic(folder / "table.md", "\n".join(markdown))
    return frame


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """`rows` as a frame of `columns`, written to `path` as CSV."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:  # counts stay exact integers even where some rows are empty
        values = [row.get(column) for row in rows if row.get(column) is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("Int64")
    write_atomic(path, frame.to_csv(index=False))
    return frame


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, float):
            return f"{value:.2f}"
        if isinstance(value, int) and abs(value) >= 10_000:
            return f"{value:,}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.astype(object).itertuples(index=False)]
    return "\n".join([header, rule, *body])
