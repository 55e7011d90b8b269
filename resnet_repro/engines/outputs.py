"""Where an engine that measures writes its CSV, which its figure is drawn from; no torch here."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

from ..basics.errors import UserError, excerpt, shorten
from ..readback.report_parts import runs_command
from ..specs.experiments import Target, load_recipe_file, resolve_runs
from ..specs.registry import get_engine
from ..specs.run_id import RunStatus
from ..store.layout import RunRecord, read_run
from ..store.paths import output_dir, runs_profile
from ..store.results_file import DamagedFile, read_text

WHOLE, NUMBER = (int, "a whole number"), (float, "a number")  # what a measured CSV's numeric column holds


def measured_csv(target: Target, results: Path, profile: str | None = None) -> Path:
    """The CSV an engine that measures trained or fresh nets writes (fig7, gradflow); its figure is drawn from it."""
    return output_dir(results, target, profile) / get_engine(target.engine).measured_file


def measured_csv_of(target: Target, results: Path, runs: list, check: Callable[[Path], str]) -> Path:
    """The CSV these runs' profile measured, for drawing from, once `check` (the engine's `checked_csv`) passes it; one
    line naming the command that measures it where it is not there yet (and trains its nets first where they are not
    all trained: a --set variant's, fig6 never trained), or measures it again where it is damaged (said before any
    output is drawn from it)."""
    path = measured_csv(target, results, runs_profile(runs))
    if not path.exists():
        if all(_trained(read_run(results, run)) for run in runs):
            raise UserError(f"{path} does not exist yet: `{runs_command(target, runs)}` measures it")
        raise UserError(
            f"{path} does not exist yet, and the nets it measures are not all trained: "
            f"`{runs_command(target, runs)}` trains and measures them"
        )
    try:
        check(path)
    except DamagedFile as damage:
        raise UserError(f"{damage}; `{runs_command(target, runs)}` measures it again") from None
    return path


def trained_not_measured(target: Target, results: Path) -> list[str]:
    """The profiles whose nets a measuring target (fig7) finds all trained (fig6 trains the same runs) but has not
    measured yet: nothing to draw, though no training is left; `run` measures them."""
    if target.recipe is None or get_engine(target.engine).measured_file is None:
        return []
    return [
        profile
        for profile in load_recipe_file(target.recipe).profiles
        if not measured_csv(target, results, profile).exists()
        and (runs := resolve_runs(target, profile))
        and all(_trained(read_run(results, run)) for run in runs)
    ]


def _trained(record: RunRecord) -> bool:
    """A finished run whose folder is sound: `run` refuses a damaged one before measuring anything."""
    return record.status is RunStatus.FINISHED and not record.left_out


def checked_csv(path: Path, numbers: dict[str, tuple]) -> str:
    """A measured CSV's text, read as a regular file of bounded size ("" when there is none), once each row holds
    every column and each column of `numbers` holds what it must (WHOLE, NUMBER): a file the measurement could not
    have written (a pipe, a copy cut short, an edit) is a DamagedFile naming the line."""
    text = read_text(path)
    if text is None:
        return ""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames:
            raise DamagedFile(path, "has no header row naming its columns")
        for row in reader:
            values = [v for v in row.values() if v is not None] + row.get(None, [])
            if len(values) != len(reader.fieldnames):
                raise DamagedFile(
                    path,
                    f"has {len(values)} values on line {reader.line_num}, the header names {len(reader.fieldnames)} columns",
                )
            for column, (parse, kind) in numbers.items():
                try:
                    parse(row.get(column, "0"))
                except ValueError:
                    raise DamagedFile(
                        path, f"has {column} = {excerpt(row[column])} on line {reader.line_num}, not {kind}"
                    )
    except csv.Error as error:
        raise DamagedFile(path, f"is not a CSV table ({shorten(str(error))})") from None
    return text
