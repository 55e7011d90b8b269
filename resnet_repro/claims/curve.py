"""Claims over many points of each net rather than its final number: `over: curve` counts the log windows of the
training curves in the claimed order ("throughout training"; `until:` a share of the schedule, or
`first_lr_step`, "at the early stage"), `over: layers` counts fig7's layers by their index ("generally smaller"),
`over: ranks` once each net's stds are sorted. The share of points in order is the finding: it holds where it
reaches `fraction`, does not hold where the reverse order does, and is within noise otherwise."""

from __future__ import annotations

import statistics

from .base import (
    CURVE,
    FAILS,
    HOLDS,
    METRIC_NAMES,
    NOISE,
    NOT_RUN,
    UNITS,
    Claim,
    Judging,
    Verdict,
    overall,
    pairs,
)


class Curve(Claim):
    """The training error at every log window."""

    def measure(self, found) -> dict:
        """Run key -> each seed's training error by log window."""
        return found.curves

    def judge(self, measured: dict, trained: set[str], label, judging: Judging) -> Verdict:
        return evaluate_curve(self, measured, trained, label, judging.first_step)

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
    """A claim "throughout training": in how many log windows the nets are in the claimed order, each net's error
    at a window being its mean over the seeds that logged it; holds where that share reaches `fraction`, does not
    hold where the reverse order does, and is within noise otherwise. A window is one short run of batches, so
    its order swings; the share, not one window, is the finding. A claim over layers (or ranks) counts them the
    same way: `curves` then maps a layer's index (or rank) to its response std. An early-stage claim
    (`until: first_lr_step`) counts the windows up to `first_step`, the first lr step of the profile's own schedule
    (None: no step, so the whole run is before it)."""
    unit = UNITS.get(claim.over, UNITS[CURVE])
    compared = pairs(claim.narrowed({k for k in trained if curves.get(k)}))
    if not compared:
        return Verdict(NOT_RUN, "")
    results, parts = [], []
    for low, high in compared:
        a, b = _mean_curve(curves[low]), _mean_curve(curves[high])
        windows = sorted(set(a) & set(b))
        if windows and claim.until < 1:  # an early-stage claim: the windows up to that share of what both logged
            windows = [i for i in windows if i <= claim.until * windows[-1]]
        if claim.early and first_step is not None:
            windows = [i for i in windows if i <= first_step]
        below = sum(a[i] < b[i] for i in windows)
        above = sum(a[i] > b[i] for i in windows)
        share = below / len(windows) if windows else 0.0
        result = HOLDS if windows and share >= claim.fraction else NOISE
        if windows and above / len(windows) >= claim.fraction:
            result = FAILS
        results.append(result)
        parts.append(
            f"{label(low)} below {label(high)} in {below} of {len(windows)} {unit}"
            + (f" of the first {claim.until:.0%} of training" if claim.until < 1 else "")
            + (_before_step(first_step) if claim.early else "")
            + f" ({share:.0%}; holds from {claim.fraction:.0%})"
        )
    missing = [label(k) for g in claim.steps for k in g if k in trained and not curves.get(k)]
    status = overall(results, parts, missing)  # before the join: it may add the nets not run yet to parts
    return Verdict(status, "; ".join(parts))


def _before_step(first_step: int | None) -> str:
    if first_step is None:
        return " (no lr step in this schedule: the whole run is before it)"
    return f" up to the first lr step (iteration {first_step:,})"


def _mean_curve(seeds: list[dict[int, float]]) -> dict[int, float]:
    """Iteration -> the mean over the seeds that logged it (every seed, so seeds of different lengths never mix)."""
    common = set.intersection(*(set(curve) for curve in seeds))
    return {i: statistics.fmean(curve[i] for curve in seeds) for i in common}
