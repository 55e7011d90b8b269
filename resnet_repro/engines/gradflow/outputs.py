"""gradflow.csv's outputs, no torch: a verdict for each net from one stated criterion (gradflow_verdicts.csv and
.md), the claim's verdict over the plain conv nets, and the figure.

The paper's sentence (Sec. 4.1) is about vanishing: BN keeps forward signals' variances non-zero, "the backward
propagated gradients exhibit healthy norms with BN. So neither forward nor backward signals vanish." Our criterion:
the ratio of the gradient norm at the first layer to the one at the last layer. At least HEALTHY_FLOOR: the
gradient reaches the input end without vanishing, "healthy norms" (for the conv nets, which have BN, "healthy norms
with BN"); below it, "vanishing". A ratio above GROWTH_NOTED is healthy by this reading, and the row says that the
gradient grows toward the input (the plain conv nets with BN do, by orders of magnitude at depth 56 and 110).
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ...claims.base import FAILS, HOLDS, NOT_COMPARABLE, Verdict
from ...plots.style import depth_colour, save_figure  # first: it selects the Agg backend
from ...store.layout import write_atomic
from ..outputs import NUMBER, WHOLE, checked_csv

# The paper gives no number for "healthy"; this is our reading, stated wherever a verdict is shown: at most ten
# times smaller at the input end than at the output end (one order of magnitude).
HEALTHY_FLOOR = 0.1
GROWTH_NOTED = 10.0  # above this, the row adds that the gradient grows toward the input
CRITERION = (
    f"healthy when the first layer's gradient norm / the last layer's is at least {HEALTHY_FLOOR:g} "
    f"(vanished by no more than one order of magnitude), vanishing below"
)
VERDICT_COLUMNS = ("family", "net", "residual", "first_to_last", "verdict")


def checked_gradflow(path: Path) -> str:
    """gradflow.csv's text, checked (see `checked_csv`): each layer index a whole number, each norm a number."""
    return checked_csv(path, {"layer": WHOLE, "grad_norm": NUMBER})


def gradient_ratios(rows: list[dict]) -> dict[str, float]:
    """Per net, the first layer's gradient norm over the last layer's (1: no growth or decay through depth)."""
    by_net: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        by_net.setdefault(row["net"], []).append((int(row["layer"]), float(row["grad_norm"])))
    # (layer, norm) pairs: the smallest is the first layer's, the largest the last layer's
    return {net: min(points)[1] / max(points)[1] for net, points in by_net.items() if max(points)[1] > 0}


def row_verdict(ratio: float, with_bn: bool) -> str:
    if ratio < HEALTHY_FLOOR:
        return "vanishing despite BN" if with_bn else "vanishing"
    word = "healthy norms with BN" if with_bn else "healthy norms"
    return f"{word}, growing toward the input" if ratio > GROWTH_NOTED else word


def net_verdicts(rows: list[dict]) -> list[dict]:
    """One row per net of gradflow.csv, in its order: the ratio and its verdict (the conv nets are the ones with BN)."""
    ratios = gradient_ratios(rows)
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["net"], row)  # a net's family and whether it is residual: its first row's
    return [
        {
            "family": first[net].get("family", ""),
            "net": net,
            "residual": str(first[net].get("residual", "")),
            "first_to_last": f"{ratio:.3g}",
            "verdict": row_verdict(ratio, with_bn=first[net].get("family", "") == "conv"),
        }
        for net, ratio in ratios.items()
    ]


def claim_verdict(rows: list[dict]) -> Verdict:
    """The claim on gradflow.csv's rows: it holds when every plain conv net (the paper's plain nets, with BN) has
    healthy norms, and is not comparable when gradflow.csv measured none; the detail gives every net's verdict."""
    verdicts = net_verdicts(rows)
    detail = "; ".join(f"{v['net']} {v['first_to_last']} ({v['verdict']})" for v in verdicts)
    plain = [v for v in verdicts if v["family"] == "conv" and v["net"].startswith("plain")]
    if not plain:
        return Verdict(NOT_COMPARABLE, f"no plain conv net measured; {detail}")
    holds = all(v["verdict"].startswith("healthy norms with BN") for v in plain)
    names = ", ".join(v["net"] for v in plain)
    return Verdict(
        HOLDS if holds else FAILS, f"plain conv nets with BN ({names}) judged by {CRITERION}; every net: {detail}"
    )


def write_verdicts(csv_path: Path, folder: Path) -> list[Path]:
    """gradflow_verdicts.csv and .md: each net's first-to-last ratio and its verdict, with the criterion."""
    verdicts = net_verdicts(pd.read_csv(io.StringIO(checked_gradflow(csv_path))).to_dict("records"))
    frame = pd.DataFrame(verdicts, columns=list(VERDICT_COLUMNS))
    write_atomic(folder / "gradflow_verdicts.csv", frame.to_csv(index=False))
    lines = [f"Verdict per net: {CRITERION}.", "", "| " + " | ".join(VERDICT_COLUMNS) + " |"]
    lines += ["|" + "---|" * len(VERDICT_COLUMNS)]
    lines += ["| " + " | ".join(str(v[c]) for c in VERDICT_COLUMNS) + " |" for v in verdicts]
    write_atomic(folder / "gradflow_verdicts.md", "\n".join(lines) + "\n")
    return [folder / "gradflow_verdicts.csv", folder / "gradflow_verdicts.md"]


TITLES = {
    "demo": "fully connected, He init: ||dW|| per layer",
    "conv": "CIFAR conv nets (BN)",
    "fc": "fully connected stacks (no BN, torch's default init)",
}


def plot_gradflow(csv_path: Path, out: Path, title: str) -> list[Path]:
    frame = pd.read_csv(io.StringIO(checked_gradflow(csv_path)))
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
