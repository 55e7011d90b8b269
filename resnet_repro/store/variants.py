"""The `--set` variants a results folder holds for a target: each (profile, overrides) some of its runs trained.

A run with overrides lives in a folder of its own (`plain-20/cpu~897a08/seed0`), and its config.yaml keeps
the overrides, so `plot` can redraw that variant's figures without being told the `--set` values again.
"""

from __future__ import annotations

from pathlib import Path

from ..basics.errors import UserError
from ..specs.experiments import Target, resolve_runs
from .layout import RunFiles, read_run_config


def override_variants(target: Target, results: Path) -> list[tuple[str, list[str]]]:
    """(profile, overrides) of every `--set` variant of `target` with at least one run folder under `results`, in a
    stable order; a config that cannot be read, or whose overrides no longer resolve, is left out."""
    found: dict[tuple[str, tuple[str, ...]], None] = {}
    for config_file in sorted(results.glob("runs/*/*/*~*/seed*/config.yaml")):
        try:
            stored = read_run_config(config_file)
        except UserError:  # a planted or broken config: not a variant to draw
            continue
        overrides = stored.get("overrides") or []
        if not isinstance(overrides, list):  # nor is one whose overrides are no list of --set pairs (`overrides: 5`)
            continue
        key = (str(stored.get("profile")), tuple(str(o) for o in overrides))
        if key not in found and _belongs(target, results, *key):
            found[key] = None
    return [(profile, list(overrides)) for profile, overrides in found]


def _belongs(target: Target, results: Path, profile: str, overrides: tuple[str, ...]) -> bool:
    try:
        runs = resolve_runs(target, profile, None, list(overrides))
    except UserError:  # another target's variant (a setting this target has not), or a profile it lacks
        return False
    return bool(overrides) and any(RunFiles(results, run.name).dir.exists() for run in runs)
