"""What every figure shares: the headless backend, and saving with a two-line title as PNG and PDF."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

from ..basics.atomic import atomic_file

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use("Agg"): a headless backend, chosen before pyplot loads

# One hue per depth in every figure, as the paper does: plain-20 and ResNet-20 share a colour, and the
# colour of a depth is the same in Fig. 1, 6 and 7 (and in both panels of each).
DEPTH_COLOURS = {
    10: "#e377c2",
    30: "#bcbd22",
    18: "#1f77b4",
    20: "#1f77b4",
    32: "#2ca02c",
    34: "#d62728",
    44: "#9467bd",
    50: "#2ca02c",
    56: "#d62728",
    101: "#9467bd",
    110: "#ff7f0e",
    152: "#8c564b",
    1202: "#17becf",
}


def depth_colour(name: str) -> str:
    """The colour of a net by its depth: 'resnet-56-A', 'plain56' and 'resnet56' all give 56's."""
    digits = "".join(ch if ch.isdigit() else " " for ch in str(name)).split()
    return DEPTH_COLOURS.get(int(digits[0]) if digits else 0, "#7f7f7f")


def paper_label(label: str) -> str:
    """A run label as the paper names the net: resnet-20-A -> ResNet-20, resnet-34-B -> ResNet-34 B, plain-20."""
    parts = str(label).split("-")
    if parts[0] != "resnet" or len(parts) < 2:
        return label
    shortcut = f" {parts[2]}" if len(parts) > 2 and parts[2] != "A" else ""
    return f"ResNet-{parts[1]}{shortcut}"


# A PDF would otherwise carry the time it was drawn: no CreationDate, so the same figure is the same bytes.
FIXED_METADATA = {".pdf": {"CreationDate": None}}


def save_figure(fig, out: Path, title: str, subtitle: str) -> list[Path]:
    """Title the figure, write out.png and out.pdf beside each other, close it; the paths written."""
    # A long subtitle (a run's overrides) is wrapped to the figure's width rather than cut off at both sides.
    width = max(60, int(fig.get_size_inches()[0] * 14))
    fig.suptitle("\n".join([title, *textwrap.wrap(subtitle, width)]), fontsize=10)
    fig.tight_layout()
    paths = [out.with_suffix(".png"), out.with_suffix(".pdf")]
    for path in paths:  # atomically, its folder made: a redraw that fails (a full disk) keeps the previous good file
        with atomic_file(path) as handle:
            fig.savefig(handle, format=path.suffix[1:], dpi=130, metadata=FIXED_METADATA.get(path.suffix))
    plt.close(fig)
    return paths
