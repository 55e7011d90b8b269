"""Where a target's outputs live under results/, per profile. No torch here.

The default profile (the recipe's `default: true`, the paper's recipe) keeps the plain path (results/fig6/); every
other profile writes below a folder that names it (results/fig6/cpu/), so drawing one profile never overwrites another's figure or table.
"""

from __future__ import annotations

from pathlib import Path


def output_dir(results: Path, target, profile: str | None) -> Path:
    """results/<target>/ for the target's default profile and for targets without profiles, else
    results/<target>/<profile>/."""
    if profile is None or profile == target.default_profile:  # a Target (specs/experiments.py sits above this layer)
        return results / target.name
    return results / target.name / profile


def runs_profile(runs) -> str | None:
    """The profile folder of a set of runs (with its overrides tag: paper~3f2a1c), None without runs."""
    return runs[0].run_id.profile_folder if runs else None
