"""The gradflow figure from gradflow.csv: gradient norm per layer on a log scale, one panel per family."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ...plots.style import depth_colour, save_figure  # first: it selects the Agg backend

TITLES = {
    "demo": "fully connected, He init: ||dW|| per layer",
    "conv": "CIFAR conv nets (BN)",
    "fc": "fully connected stacks (no BN, torch's default init)",
}


def plot_gradflow(csv_path: Path, out: Path, title: str) -> list[Path]:
    frame = pd.read_csv(csv_path)
    families = [f for f in ("demo", "conv", "fc") if f in set(frame["family"])]
    fig, axes = plt.subplots(1, len(families), figsize=(6 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        part = frame[frame["family"] == family]
        for net, rows in part.groupby("net", sort=False):
            residual = bool(rows["residual"].iloc[0])
            ax.plot(
                rows["layer"],
                rows["grad_norm"],
                label=net,
                color=depth_colour(net),
                linestyle="-" if residual else "--",
            )
        ax.set_yscale("log")
        ax.set_xlabel("layer (input -> output)")
        ax.set_ylabel("||dW|| of the layer's weights" if family == "demo" else "gradient norm at the layer's output")
        ax.set_title(TITLES[family])
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    return save_figure(fig, out, title, "dashed: plain, solid: residual")
