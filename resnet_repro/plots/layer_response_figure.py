"""Fig. 7's two panels from responses.csv: std per layer in network order, and sorted descending."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .style import depth_colour, save_figure  # first: it selects the Agg backend

# The paper's order and look: plain nets dashed, ResNets solid.
MODEL_ORDER = ["plain-20", "plain-56", "resnet-20-A", "resnet-56-A", "resnet-110-A"]


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
        style = {"linestyle": "--" if model.startswith("plain") else "-", "color": depth_colour(model), "label": model}
        top.plot(range(1, len(stds) + 1), stds, **style)
        bottom.plot(range(1, len(stds) + 1), sorted(stds, reverse=True), **style)
    top.set_title("dashed: plain, solid: ResNet; one colour per depth", fontsize=8)
    top.set_xlabel("layer index (original)")
    bottom.set_xlabel("layer index (sorted by magnitude)")
    for ax in (top, bottom):
        ax.set_ylabel("std")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, out, title, subtitle)
