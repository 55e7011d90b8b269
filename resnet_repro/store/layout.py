"""Where everything lives under results/, and small atomic file helpers. No torch here."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

# write_atomic is also re-exported: the writers of results/ import it from here
from ..atomic import confine_writes, open_appending, write_atomic
from ..errors import require_utf8

METRIC_COLUMNS = [
    "iteration",
    "epoch",
    "lr",
    "train_loss",
    "train_error",
    "test_loss",
    "test_error",
    "val_error",
    "images_per_s",
    "elapsed_s",
]
TIMING_COLUMNS = ("images_per_s", "elapsed_s")


def resolve_results_dir(cli_value: str | None) -> Path:
    """--results, else $RESNET_REPRO_RESULTS, else ./results. Every command finds its results folder here, so
    here it is also made the folder that no write inside passes a link out of (atomic.confine_writes)."""
    folder = Path(cli_value or os.environ.get("RESNET_REPRO_RESULTS") or "results")
    require_utf8(str(folder), "the results folder")
    confine_writes(folder)
    return folder


@dataclass(frozen=True)
class RunFiles:
    root: Path  # results/
    name: str  # cifar10/resnet-56-A/paper/seed0

    @property
    def dir(self) -> Path:
        return self.root / "runs" / self.name

    @property
    def config(self) -> Path:
        return self.dir / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.dir / "metrics.csv"

    @property
    def final(self) -> Path:
        return self.dir / "final.json"

    @property
    def meta(self) -> Path:
        return self.dir / "meta.json"

    @property
    def checkpoint(self) -> Path:
        return self.dir / "checkpoint.pt"

    @property
    def previous_checkpoint(self) -> Path:
        return self.dir / "checkpoint.prev.pt"


def target_dir(root: Path, target: str) -> Path:
    return root / target


def write_json(path: Path, data: dict) -> None:
    # A name that is not UTF-8 (a folder, a file) would be written as surrogate escapes, another name than the
    # one on disk; every entry point refuses such names, and this is the last check before one is recorded.
    for text in _texts(data):
        require_utf8(text, f"{path.name}: the name")
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def _texts(value):
    """Every string a JSON record holds, keys included (other values as json.dumps(default=str) writes them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif not isinstance(value, (int, float, bool)) and value is not None:
        yield str(value)


def read_json(path: Path) -> dict | None:
    """The object in a JSON file; None when it is missing, unreadable, cut short or not an object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_metrics(path: Path) -> list[dict]:
    """The complete rows of a metrics.csv; a last line without its newline (a kill mid-write) is dropped, and
    so is a damaged row (a value that is not a number), so no reader stumbles on it."""
    if not path.is_file():
        return []
    text = path.read_text(errors="replace")
    complete = text[: text.rfind("\n") + 1]
    return [row for row in csv.DictReader(complete.splitlines()) if None not in row.values() and _numeric(row)]


def _numeric(row: dict) -> bool:
    try:
        int(row["iteration"])
        for value in row.values():
            if value:
                float(value)
    except (KeyError, TypeError, ValueError):
        return False
    return True


class MetricsLog:
    """metrics.csv, one row per log point; rows past a resumed checkpoint are dropped first."""

    def __init__(self, path: Path, resume_from: int):
        self.path = path
        kept = [row for row in read_metrics(path) if int(row["iteration"]) <= resume_from]
        lines = [",".join(METRIC_COLUMNS)] + [",".join(row.get(c, "") for c in METRIC_COLUMNS) for row in kept]
        write_atomic(path, "\n".join(lines) + "\n")

    def append(self, row: dict) -> None:
        values = [_fmt(row.get(column)) for column in METRIC_COLUMNS]
        with open_appending(self.path) as handle:
            handle.write(",".join(values) + "\n")
            handle.flush()


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
