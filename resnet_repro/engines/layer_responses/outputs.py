"""Fig. 7 from responses.csv, no torch: the table (each net's mean response std over layers, per profile), the
figure (std per layer in network order, and sorted descending), and the numbers the claims and the report read."""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ...plots.style import depth_colour, paper_label, save_figure  # first: it selects the Agg backend
from ...readback.measured import Measured, measure
from ...readback.report_parts import runs_command
from ...specs.config import RunConfig
from ...specs.experiments import Target
from ...store.layout import read_run
from ...store.paths import output_dir, runs_profile
from ...store.results_file import DamagedFile
from ...store.tables import write_table
from ..curves_tables import profile_note, runs_title
from ..outputs import NUMBER, WHOLE, checked_csv, measured_csv_of

COLUMNS = ["model", "response_std", "n_seeds", "profile", "data"]


def write_response_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    """The profile's responses.csv, and the table and figure drawn from it in the profile's folder: the files."""
    profile = runs_profile(runs)
    csv_path = measured_csv_of(target, results, runs, checked_responses)
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
    title, note = runs_title(target, runs), profile_note(runs)
    write_table(
        folder,
        title,
        rows,
        COLUMNS,
        [
            note,
            "response_std: the mean over layers of each layer's response std (mean over "
            "seeds); responses.csv holds every layer.",
        ],
    )
    figure = plot_responses(csv_path, folder / target.name, title, note, profile, left_out_runs(runs, results))
    return [csv_path, folder / "table.csv", folder / "table.md", *figure]


# The paper's order and look: plain nets dashed, ResNets solid.
MODEL_ORDER = ["plain-20", "plain-56", "resnet-20-A", "resnet-56-A", "resnet-110-A"]
LOG_SPAN = 100.0  # above two decades between the smallest and largest std, a linear axis shows only the largest net


def left_out_runs(runs: list[RunConfig], results: Path) -> set[tuple[str, str]]:
    """(label, seed) of each run whose numbers are left out (`read_run`: a damaged folder, a log that disagrees with
    its final record): its responses were measured from weights no table or claim vouches for, so they count nowhere,
    as its errors do not."""
    return {(config.run_id.label, str(config.seed)) for config in runs if read_run(results, config).left_out}


def plot_responses(
    csv_path: Path,
    out: Path,
    title: str,
    subtitle: str,
    profile: str | None = None,
    left_out: set[tuple[str, str]] = frozenset(),
) -> list[Path]:
    frame = pd.read_csv(io.StringIO(checked_responses(csv_path)))
    if profile is not None and "profile" in frame:
        frame = frame[frame["profile"] == profile]
    if left_out and "seed" in frame:
        frame = frame[[(model, str(seed)) not in left_out for model, seed in zip(frame["model"], frame["seed"])]]
    per_layer = frame.groupby(["model", "layer"], as_index=False)["std"].mean()  # mean over seeds
    models = [m for m in MODEL_ORDER if m in set(per_layer["model"])]
    models += sorted(set(per_layer["model"]) - set(models))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.5))
    for model in models:
        stds = per_layer[per_layer["model"] == model].sort_values("layer")["std"].to_numpy()
        style = {
            "linestyle": "--" if model.startswith("plain") else "-",
            "color": depth_colour(model),
            "label": paper_label(model),  # the names Fig. 6 uses
        }
        top.plot(range(1, len(stds) + 1), stds, **style)
        bottom.plot(range(1, len(stds) + 1), sorted(stds, reverse=True), **style)
    top.set_title("dashed: plain, solid: ResNet; one colour per depth", fontsize=8)
    top.set_xlabel("layer index (original)")
    bottom.set_xlabel("layer index (sorted by magnitude)")
    scale = "log" if spans_decades(per_layer["std"].tolist()) else "linear"
    for ax in (top, bottom):
        ax.set_yscale(scale)
        ax.set_ylabel("std" + (" (log scale)" if scale == "log" else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, out, title, subtitle)


def spans_decades(values: list[float]) -> bool:
    """Whether the positive values span more than LOG_SPAN (largest over smallest)."""
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) > LOG_SPAN * min(positive)


def checked_responses(path: Path) -> str:
    """responses.csv's text, checked (see `checked_csv`): each std a number, each layer index a whole number."""
    return checked_csv(path, {"std": NUMBER, "layer": WHOLE})


def read_responses(found: Measured, path: Path, left_out: set[tuple[str, str]] = frozenset()) -> None:
    """response_std per (net, seed): the mean over layers of each layer's response std; and each layer's std by its
    index in network order (`layers`), for the claims made layer by layer. A damaged file is left out, and said; so
    are the rows of `left_out` runs (see `left_out_runs`), whose damage the report says."""
    try:
        text = checked_responses(path)
    except DamagedFile as damage:
        found.damaged.append(f"{damage}; `{runs_command(found.target, found.runs)}` measures it again")
        return
    except OSError:
        return
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    label_to_key = {config.run_id.label: found.keys[config.name] for config in found.runs}
    per_seed: dict[tuple[str, str], list[float]] = {}
    per_layer: dict[tuple[str, str], dict[int, float]] = {}
    if rows and "profile" not in rows[0]:
        found.legacy_file = path
        return
    for row in rows:
        if row["profile"] != found.profile:
            continue
        key = label_to_key.get(row.get("model", ""))
        if key is None or (row.get("model", ""), row.get("seed", "0")) in left_out:
            continue
        per_seed.setdefault((key, row.get("seed", "0")), []).append(float(row["std"]))
        if row.get("layer"):
            per_layer.setdefault((key, row.get("seed", "0")), {})[int(row["layer"])] = float(row["std"])
    for (key, _), stds in sorted(per_seed.items()):
        found.values.setdefault("response_std", {}).setdefault(key, []).append(statistics.fmean(stds))
    for (key, _), stds_by_layer in sorted(per_layer.items()):
        found.layers.setdefault(key, []).append(stds_by_layer)
