"""`relation: level`: a two-sided equality ("comparably accurate", "similar training error"), an equivalence test
against its `margin`, the largest difference it still calls equal. It holds when the whole band of every adjacent
difference lies inside ±margin, does not hold when one is outside it by more than the band, and is undecided
(within noise) otherwise."""

from __future__ import annotations

from .base import FAILS, HOLDS, NOISE, Claim, pair_band


class Level(Claim):
    def compare(self, a, b, gap: float, nets: str, sigma: float, unjudged: str):
        band = pair_band(sigma, len(a), len(b))
        result = judge(gap, band, self.margin)
        where = {HOLDS: "inside", FAILS: "outside"}.get(result, "across")
        return result, (
            f"{nets}: difference {gap:+.2f} ± {band:.2f} against the margin "
            f"±{self.margin:g}: {where} it{'' if result != NOISE else ', undecided'}"
        )


def judge(gap: float, band: float, margin: float | None) -> str:
    if abs(gap) + band - (margin or 0.0) <= 1e-9:
        return HOLDS
    return FAILS if abs(gap) - band - (margin or 0.0) > 1e-9 else NOISE
