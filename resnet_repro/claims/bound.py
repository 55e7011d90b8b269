"""`below: 0.1` (or `above: 60`): a bound on each net's value by itself ("training error <0.1%"). It holds when the
mean is on its side, does not hold when the mean is past it by more than the band of that mean (2 * sigma /
sqrt(n): the bound is exact, so only our mean is noisy), and is within noise otherwise."""

from __future__ import annotations

import math
import statistics

from .base import FAILS, HOLDS, NOISE, Claim, fmt


class Bound(Claim):
    needs = 1  # a bound holds of one net
    hints = False  # the seeds hint is an order's; a bound compares no two nets

    def results(self, label, values: dict, measured: list, keys: list[str], sigma: float, unjudged: str):
        side, bound = self.bound
        for key in keys:
            mean, band = statistics.fmean(values[key]), 2 * sigma / math.sqrt(len(values[key]))
            past = (mean - bound) if side == "<" else (bound - mean)  # how far on the wrong side
            result = HOLDS if past < 0 else FAILS if past > band else NOISE
            sign = side if past < 0 else {"<": "≥", ">": "≤"}[side]
            yield result, f"{label(key)} {fmt(values[key])} {sign} {bound:g}: band ±{band:.2f}"

    def pairs(self, trained: set[str]) -> list[tuple[str, str]]:
        """Each net against the paper's number, not against another net."""
        return [(key, "") for key in self.order if key in trained]

    def words(self, steps: list[tuple[str, ...]], step_text) -> str:
        return ", ".join(f"{step_text(g)} {self.bound[0]} {self.bound[1]:g}" for g in steps)
