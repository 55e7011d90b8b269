"""Options shared by several commands, and the console they print to."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ..basics.errors import PATH_CHARS, UserError, excerpt, shorten
from ..specs.experiments import profile_names
from ..store.layout import resolve_results_dir

# Piped into a file or a log, rich would assume 80 columns and cut table cells short ("resne…"); give
# tables room there unless COLUMNS says otherwise. A terminal keeps its own width.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
err_console = Console(stderr=True)


def say(line: str) -> None:
    """One line as it is: a path whole on one line however long (a log keeps it whole, to copy), and no text in it
    read as rich's markup (a results folder named results[old] is no style)."""
    console.print(line, soft_wrap=True, markup=False, highlight=False)


# The environment variables behind --results and --data-dir are read where the folders are resolved
# (store.layout.resolve_results_dir, data.sources.resolve_data_dir), not here as well.
ResultsOption = typer.Option(None, "--results", help="Results folder [default: $RESNET_REPRO_RESULTS, else ./results].")
DataDirOption = typer.Option(
    None,
    "--data-dir",
    help="Dataset folder, the only place looked in when named [default: $RESNET_REPRO_DATA, else ./data, then the "
    "system's datasets].",
)
DeviceOption = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N.")


def profile_help() -> str:
    """The profiles the recipe files offer, read from them (a broken recipe file is said by the command that reads
    it, not by the help)."""
    try:
        offered = ", ".join(profile_names())
    except UserError:
        offered = "those of the target's recipe"
    return (
        f"A recipe profile: {offered} (`show TARGET` lists a target's, with what each changes) "
        "[default: the one the recipe marks `default: true`, its paper recipe]."
    )


ProfileOption = typer.Option(None, "--profile", "-p", help=profile_help())
SeedsOption = typer.Option(None, "--seeds", help="A count (5 = seeds 0-4) or a list (0,3,7) [default: per run].")
OnlyOption = typer.Option(None, "--only", help="Only runs whose name contains this (case, '-' and '_' ignored).")
SetOption = typer.Option(
    None, "--set", metavar="KEY=VALUE", help="Override a config key, e.g. --set recipe.lr=0.05 (repeatable)."
)


def sets(values: Optional[list[str]], option: str = "--set") -> list[str]:
    """The --set pairs (or `option`'s: --resource), each key given once: two values for one key (`--set
    recipe.lr=0.1 --set recipe.lr=0.2`), or a key and a key inside it (`recipe.warmup=null` and
    `recipe.warmup.lr=0.01`), contradict each other, and taking one of them quietly would train a config the user
    did not ask for."""
    pairs = list(values or [])
    seen: dict[str, str] = {}
    for pair in pairs:
        key = pair.partition("=")[0].strip()
        for earlier_key, earlier in seen.items():
            if key == earlier_key or key.startswith(f"{earlier_key}.") or earlier_key.startswith(f"{key}."):
                raise UserError(
                    f"{option} {excerpt(earlier)} and {option} {excerpt(pair)} both set {shorten(min(key, earlier_key))}; "
                    f"give each key once"
                )
        seen[key] = pair
    return pairs


def check_writable(folder: Path, files: tuple[str, ...] = ()) -> None:
    """A folder a command writes into only after its work (bench's minutes of measuring): it, or the nearest folder
    above it that exists, must be a folder this user may write, and none of the `files` it writes there a folder.
    Checked by permission before the work, without writing anything, so that the work is not lost to a path that
    could never be written."""
    existing = folder
    while not existing.exists() and existing != existing.parent:  # a name under a file does not exist either
        existing = existing.parent
    shown = shorten(str(existing), PATH_CHARS)
    if not existing.is_dir():
        problem = f"{shorten(str(folder), PATH_CHARS)}: {shown} is a file, not a folder; move the file away"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{shorten(str(folder), PATH_CHARS)}: {shown} is a folder you may not write; fix its permissions"
    elif taken := next((folder / name for name in files if (folder / name).is_dir()), None):
        problem = f"{shorten(str(taken), PATH_CHARS)}: it is a folder, not a file; move the folder away"
    else:
        return
    raise UserError(f"cannot write {problem}, or point --results elsewhere")


def existing_results_dir(results: Optional[Path]) -> Path:
    """The results folder a command reads (--results, $RESNET_REPRO_RESULTS, ./results), which must exist: a
    mistyped path would otherwise read as "nothing run yet", and `report` would write into a new folder."""
    folder = resolve_results_dir(str(results) if results else None)
    if not folder.is_dir():
        raise UserError(
            f"no results folder at {folder}: pass the folder `resnet-repro run` wrote into (--results or "
            f"RESNET_REPRO_RESULTS), or run a target first, e.g. `resnet-repro run fig6 --profile cpu`"
        )
    return folder
