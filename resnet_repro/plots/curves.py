"""Error-vs-iteration figures in the paper's style (Fig. 1 and Fig. 6).

Dashed thin lines: training error; bold lines: test error; x in units of 1e4 iterations (plain
iterations for short schedules); the paper's y range (0-20%) unless the data past the first tenth of
training lie above it (or a net whose training has not ended has no point past it yet: its newest point). Earlier points above the
range are cut off, as in the paper, and the subtitle says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from ..specs.naming import model_label
from ..store.aggregate import ModelRuns, mean_curve
from .style import depth_colour, paper_label, save_figure  # first: it selects the Agg backend

Y_STEP = 5.0  # a y-limit raised above the paper's is rounded up to a multiple of this, so the ticks stay round

METRIC_STYLE = {
    "train_error": {"linestyle": "--", "linewidth": 1.0},
    "test_error": {"linestyle": "-", "linewidth": 2.2},
    "val_error": {"linestyle": ":", "linewidth": 1.6},
}
METRIC_NAMES = {"train_error": "dashed: training", "test_error": "bold: test", "val_error": "dotted: validation"}


def plot_error_curves(
    panels: list[dict],
    models: dict[str, ModelRuns],
    title: str,
    subtitle: str,
    out: Path,
    ylim: tuple[float, float] = (0, 20),
) -> list[Path]:
    """Draw one panel per spec ({title, metrics, models}); write out.png and out.pdf.

    A panel none of whose models the profile trains (the cpu profile has no ResNet-1202) is left out;
    a panel whose runs are merely not trained yet is drawn empty, saying so.
    """
    kept = [p for p in panels if any(m in models for m in p["models"])] or panels[:1]
    left_out = [p for p in panels if p not in kept]
    if left_out:  # say so, rather than leave the reader to wonder where the paper's third panel went
        subtitle += f"; not drawn (this profile trains none of its nets): {', '.join(p['title'] for p in left_out)}"
    named = {model for panel in left_out for model in panel["models"]}  # a panel's subtitle does not name them again
    fig, axes = plt.subplots(1, len(kept), figsize=(4.6 * len(kept), 4.6), squeeze=False)
    max_iteration = max((c["iteration"].max() for r in models.values() for c in r.curves), default=0)
    scale, unit = (1e4, "iter. (1e4)") if max_iteration >= 2e4 else (1, "iterations")
    top, highest = ylim[1], 0.0  # the highest point drawn, to say whether the y range cuts any off
    for ax, panel in zip(axes[0], kept):
        panel_top, panel_highest = _draw_panel(ax, panel, models, (scale, unit), max_iteration, named)
        top, highest = max(top, panel_top), max(highest, panel_highest)
    if highest > top:
        subtitle += f"; early points above {top:g}% are off the axis"
    for ax in axes[0]:  # the same axes in every panel, so the panels compare at a glance
        ax.set_ylim(ylim[0], top)
        if max_iteration:
            ax.set_xlim(0, max_iteration / scale)
    return save_figure(fig, out, title, subtitle)


def _draw_panel(
    ax, panel: dict, models: dict[str, ModelRuns], x_axis: tuple[float, str], max_iteration: float, named: set[str]
) -> tuple[float, float]:
    """One panel's curves, title and legend, iterations divided by x_axis's scale and named by its unit: (the top its
    curves need past the first tenth, its highest point). The nets this profile does not train are named under the
    title, but for those the figure's subtitle `named` already."""
    scale, unit = x_axis
    top, highest = 0.0, 0.0
    handles = []  # one colour per net, then the key to the line styles; none where no curve is drawn
    for model in panel["models"]:
        runs = models.get(model)
        if runs is None or not runs.curves:
            continue
        for metric in panel["metrics"]:
            curve = mean_curve(runs.curves, metric)
            if curve.empty:
                continue
            ax.plot(
                curve["iteration"] / scale,
                curve[metric],
                color=depth_colour(model),
                marker="o" if len(curve) == 1 else None,  # one evaluation: a line of one point draws nothing
                **METRIC_STYLE[metric],
            )
            unended = bool(runs.unfinished_at)  # training now, or stopped to resume: not a run that failed early
            top = max(top, curve_top(curve["iteration"].tolist(), curve[metric].tolist(), max_iteration, unended))
            highest = max(highest, float(curve[metric].max()))
            if not handles or handles[-1].get_label() != paper_label(runs.label):
                handles.append(Line2D([], [], color=depth_colour(model), linewidth=2.2, label=paper_label(runs.label)))
    missing = [m for m in panel["models"] if m not in models and m not in named]  # nets this profile does not train
    absent = ", ".join(paper_label(model_label(m)) for m in missing)
    ax.set_title(panel["title"] + (f"\n({absent}: not in this profile)" if missing else ""), fontsize=11)
    ax.set_xlabel(unit)
    ax.set_ylabel("error (%)")
    ax.grid(alpha=0.3)
    if handles:
        for metric in panel["metrics"]:  # the key to the line styles, in black
            handles.append(Line2D([], [], color="black", label=METRIC_NAMES[metric], **METRIC_STYLE[metric]))
        # Below the panel, never over it: the curves fill the upper right (plain-56 stays high there).
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    else:
        ax.text(0.5, 0.5, "no runs yet", ha="center", va="center", transform=ax.transAxes, color="grey")
    return top, highest


def curve_top(iterations: list[float], values: list[float], horizon: float, unended: bool = False) -> float:
    """The y-limit that shows every point of a curve after its first log point and past the first tenth of the
    schedule (`horizon` iterations), rounded up to a Y_STEP; at most 100%. The early points are the net's
    near-chance start (ResNet-110's warm-up lasts hundreds of iterations): making room for them would squash the
    differences of the last tenth, which is what the figure is read for. The curve of a net whose training has not
    ended (`unended`: it trains now, or was stopped to resume) and that has no point past them yet keeps its newest
    point in view; a run that failed early does not set the axis."""
    later = [v for i, (it, v) in enumerate(zip(iterations, values)) if i > 0 and it > horizon / 10]
    if unended and not later:  # so that every net the legend names as still to come has a line in view
        later = values[-1:]
    if not later:
        return 0.0
    return min(100.0, math.ceil(max(later) * 1.02 / Y_STEP) * Y_STEP)
