"""Write the committed summary of a results folder's cpu main job: the one source of every number the README and
docs quote about it (tests/test_readme.py fails when they disagree with it).

    python scripts/results_summary.py RESULTS > docs/results-cpu.json

RESULTS holds `run fig6 --profile cpu` (and `run fig7 --profile cpu` for the layer responses): the figures' tables
give each net's errors, each run's final.json its training time, and meta.json where it ran.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

PROFILE = "cpu"
SEED_FOLDER = "seed0"


def summary(results: Path) -> dict:
    nets = _rows(results / "fig6" / PROFILE / "table.csv")
    metas = sorted(results.glob(f"runs/fashion-mnist/*/{PROFILE}/{SEED_FOLDER}/meta.json"))
    if not nets or not metas:
        raise SystemExit(f"{results} holds no finished `resnet-repro run fig6 --profile {PROFILE}`")
    fig6 = {}
    for row in nets:
        final = json.loads(
            next(results.glob(f"runs/fashion-mnist/{row['model']}/{PROFILE}/{SEED_FOLDER}/final.json")).read_text()
        )
        fig6[row["model"]] = {
            "train_error": round(float(row["train_error"]), 2),
            "test_error": round(float(row["test_error"]), 2),
            "wall_s": round(final["wall_s"]),
        }
    meta = json.loads(metas[0].read_text())
    responses = _rows(results / "fig7" / PROFILE / "table.csv")
    return {
        "what": f"seed 0 of `resnet-repro run fig6 --profile {PROFILE}` and `run fig7 --profile {PROFILE}`",
        "started_at": min(json.loads(path.read_text())["started_at"] for path in metas),
        "git_commit": meta["git_commit"][:7],
        "torch": meta["versions"]["torch"],
        "fig6": fig6,
        "fig7_mean_response_std": {row["model"]: round(float(row["response_std"]), 2) for row in responses},
    }


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path) as handle:
        return list(csv.DictReader(handle))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/results_summary.py RESULTS > docs/results-cpu.json")
    print(json.dumps(summary(Path(sys.argv[1])), indent=2))
