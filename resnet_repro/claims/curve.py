"""Claims over many points of each net rather than its final number: `over: curve` counts the log windows of the
training curves in the claimed order ("throughout training"; `until:` a share of the schedule, or
`first_lr_step`, "at the early stage"), `over: layers` counts fig7's layers by their index ("generally smaller"),
`over: ranks` once each net's stds are sorted. The share of points in order is the finding: it holds where it
reaches `fraction`, does not hold where the reverse order does, and is within noise otherwise."""

from __future__ import annotations

import statistics

from .base import (
    FAILS,
    HOLDS,
    METRIC_NAMES,
    NOISE,
    UNITS,
    Claim,
    Judging,
    Verdict,
    evaluate_claim,
    pairs,
)


class Curve(Claim):
    """The training error at every log window."""

    def measure(self, found) -> dict:
        """Run key -> each seed's training error by log window."""
        return found.curves

    def compared(self, values: dict, steps: list, measured: list, label, judging: Judging):
        """In how many log windows each pair of nets is in the claimed order, each net's error at a window being its
        mean over the seeds that logged it; a pair holds where that share reaches `fraction`, does not hold where
        the reverse order does, and is within noise otherwise. A window is one short run of batches, so its order
        swings; the share, not one window, is the finding. A claim over layers (or ranks) counts them the same way:
        `values` then maps a layer's index (or rank) to its response std. An early-stage claim
        (`until: first_lr_step`) counts the windows up to the first lr step of the profile's own schedule
        (`judging.first_step`; None: no step, so the whole run is before it). No sigma is used, so nothing is said after
        the comparisons, nor where none is made yet, and no seeds would resolve anything."""
        return (
            [self._in_order(values, low, high, label, judging.first_step) for low, high in pairs(measured)],
            [],
            "",
            0,
        )

    def _in_order(self, values: dict, low: str, high: str, label, first_step: int | None):
        """One pair's share of windows (or layers) in the claimed order: (result, the numbers behind it)."""
        a, b = _mean_curve(values[low]), _mean_curve(values[high])
        windows = sorted(set(a) & set(b))
        if windows and self.until < 1:  # an early-stage claim: the windows up to that share of what both logged
            windows = [i for i in windows if i <= self.until * windows[-1]]
        if self.early and first_step is not None:
            windows = [i for i in windows if i <= first_step]
        below = sum(a[i] < b[i] for i in windows)
        above = sum(a[i] > b[i] for i in windows)
        share = below / len(windows) if windows else 0.0
        result = HOLDS if windows and share >= self.fraction else NOISE
        if windows and above / len(windows) >= self.fraction:
            result = FAILS
        return result, (
            f"{label(low)} below {label(high)} in {below} of {len(windows)} {UNITS[self.over]}"
            + (f" of the first {self.until:.0%} of training" if self.until < 1 else "")
            + (_before_step(first_step) if self.early else "")
            + f" ({share:.0%}; holds from {self.fraction:.0%})"
        )

    def what(self) -> str:
        return f"{METRIC_NAMES[self.metric]} at every log window"


class Layers(Curve):
    """fig7's response std layer by layer, in network order."""

    def measure(self, found) -> dict:
        """Run key -> each seed's response std by layer index."""
        return found.layers

    def what(self) -> str:
        return "response std layer by layer"  # each layer's, not the mean a claim over: end compares


class Ranks(Layers):
    """Fig. 7 (bottom): each net's stds sorted in descending order, compared rank by rank."""

    def measure(self, found) -> dict:
        return {key: [ranked(seed) for seed in seeds] for key, seeds in super().measure(found).items()}

    def what(self) -> str:
        return "response std sorted, rank by rank"


def ranked(stds_by_layer: dict[int, float]) -> dict[int, float]:
    return dict(enumerate(sorted(stds_by_layer.values(), reverse=True), start=1))


def evaluate_curve(
    claim,
    curves: dict[str, list[dict[int, float]]],
    trained: set[str],
    label=str,
    first_step: int | None = None,
) -> Verdict:
    """A claim "throughout training" (or over layers) on `curves`, its early stage ending at `first_step`."""
    return evaluate_claim(claim, curves, trained, label, Judging(first_step=first_step))


def _before_step(first_step: int | None) -> str:
    if first_step is None:
        return " (no lr step in this schedule: the whole run is before it)"
    return f" up to the first lr step (iteration {first_step:,})"


def _mean_curve(seeds: list[dict[int, float]]) -> dict[int, float]:
    """Iteration -> the mean over the seeds that logged it (every seed, so seeds of different lengths never mix)."""
    common = set.intersection(*(set(curve) for curve in seeds))
    return {i: statistics.fmean(curve[i] for curve in seeds) for i in common}
