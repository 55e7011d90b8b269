"""Fig. 7's two panels from responses.csv: std per layer in network order, and sorted descending."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ...plots.style import depth_colour, paper_label, save_figure  # first: it selects the Agg backend

# The paper's order and look: plain nets dashed, ResNets solid.
MODEL_ORDER = ["plain-20", "plain-56", "resnet-20-A", "resnet-56-A", "resnet-110-A"]
LOG_SPAN = 100.0  # above two decades between the smallest and largest std, a linear axis shows only the largest net


def plot_responses(csv_path: Path, out: Path, title: str, subtitle: str, profile: str | None = None) -> list[Path]:
    frame = pd.read_csv(csv_path)
    if profile is not None and "profile" in frame:
        frame = frame[frame["profile"] == profile]
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
