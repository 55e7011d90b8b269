"""Fig. 7's table from responses.csv (no torch): each net's mean response std over layers, per profile."""

from __future__ import annotations

import statistics
from pathlib import Path

from ...config import RunConfig
from ...experiments import Target
from ...measured import measure
from ...store.paths import output_dir, runs_profile
from ...store.tables import write_table
from ..curves_tables import profile_note, runs_title

COLUMNS = ["model", "response_std", "n_seeds", "profile", "data"]


def write_response_table(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    profile = runs_profile(runs)
    found = measure(target, profile, results, runs)
    labels = {found.keys[r.name]: r.run_id.label for r in runs}
    rows = [
        {
            "model": labels[key],
            "response_std": statistics.fmean(values),
            "n_seeds": len(values),
            "profile": profile,
            "data": found.dataset,
        }
        for key, values in found.per_key("response_std").items()
    ]
    folder = output_dir(results, target, profile)
    write_table(
        folder,
        runs_title(target, runs),
        rows,
        COLUMNS,
        [
            profile_note(runs),
            "response_std: the mean over layers of each layer's response std (mean over "
            "seeds); responses.csv holds every layer.",
        ],
    )
    return [folder / "table.csv", folder / "table.md"]
