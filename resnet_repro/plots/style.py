"""What every figure shares: the headless backend, and saving with a two-line title as PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib

from ..atomic import atomic_file

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, out: Path, title: str, subtitle: str) -> list[Path]:
    """Title the figure, write out.png and out.pdf beside each other, close it; the paths written."""
    fig.suptitle(f"{title}\n{subtitle}", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [out.with_suffix(".png"), out.with_suffix(".pdf")]
    for path in paths:  # atomically: a redraw that fails (a full disk) keeps the previous good file
        with atomic_file(path) as handle:
            fig.savefig(handle, format=path.suffix[1:], dpi=130)
    plt.close(fig)
    return paths
