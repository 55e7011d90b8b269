"""Error-vs-iteration figures in the paper's style (Fig. 1 and Fig. 6).

Dashed thin lines: training error; bold lines: test error; x in units of 1e4 iterations (plain
iterations for short schedules); the paper's y range (0-20%) unless the data lie above it.
"""

from __future__ import annotations

from pathlib import Path

from .style import save_figure  # noqa: I001 (selects the Agg backend first)
import matplotlib.pyplot as plt

from ..results.aggregate import ModelRuns, mean_curve

METRIC_STYLE = {
    "train_error": {"linestyle": "--", "linewidth": 1.0},
    "test_error": {"linestyle": "-", "linewidth": 2.2},
    "val_error": {"linestyle": ":", "linewidth": 1.6},
}


def plot_error_curves(panels: list[dict], models: dict[str, ModelRuns], title: str, subtitle: str, out: Path,
                      ylim: tuple[float, float] = (0, 20)) -> list[Path]:
    """Draw one panel per spec ({title, metrics, models}); write out.png and out.pdf.

    A panel none of whose models the profile trains (the cpu profile has no ResNet-1202) is left out;
    a panel whose runs are merely not trained yet is drawn empty, saying so.
    """
    panels = [p for p in panels if any(m in models for m in p["models"])] or panels[:1]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.8), squeeze=False)
    all_models = [m for p in panels for m in p["models"]]
    colours = {m: plt.cm.tab10(i % 10) for i, m in enumerate(dict.fromkeys(all_models))}
    max_iteration = max((c["iteration"].max() for r in models.values() for c in r.curves), default=0)
    scale, unit = (1e4, "iter. (1e4)") if max_iteration >= 2e4 else (1, "iterations")
    top = ylim[1]
    for ax, panel in zip(axes[0], panels):
        drawn = False
        for model in panel["models"]:
            runs = models.get(model)
            if runs is None or not runs.curves:
                continue
            for metric in panel["metrics"]:
                curve = mean_curve(runs.curves, metric)
                if curve.empty:
                    continue
                label = runs.label if metric == panel["metrics"][-1] else None
                ax.plot(curve["iteration"] / scale, curve[metric], color=colours[model], label=label,
                        **METRIC_STYLE[metric])
                top = max(top, min(100.0, float(curve[metric].quantile(0.9)) * 1.1))
                drawn = True
        ax.set_title(panel["title"])
        ax.set_xlabel(unit)
        ax.set_ylabel("error (%)")
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(fontsize=8, loc="upper right")
        else:
            ax.text(0.5, 0.5, "no runs yet", ha="center", va="center", transform=ax.transAxes, color="grey")
    for ax in axes[0]:
        ax.set_ylim(ylim[0], top)
    return save_figure(fig, out, title, subtitle)
