"""`relation: level`: a two-sided equality ("comparably accurate", "similar training error"), an equivalence test
against its `margin`, the largest difference it still calls equal. It holds when the whole band of every adjacent
difference lies inside ±margin, does not hold when one is outside it by more than the band, and is undecided
(within noise) otherwise."""

from __future__ import annotations

from collections.abc import Callable

from ..basics.errors import UserError
from .base import FAILS, HOLDS, LEVEL, NOISE, Claim, pair_band


class Level(Claim):
    @classmethod
    def parse_margin(cls, entry, at: Callable[[str], str]) -> float | None:
        """`margin`: an equality claim is an equivalence test, which needs the largest difference it still calls
        equal; no other relation has one. `entry` is typed (claim.ClaimSchema)."""
        if entry.relation != LEVEL and entry.margin is not None:
            raise UserError(f"{at('margin')}: margin: only a claim with relation: level has an equivalence margin")
        if entry.relation == LEVEL and entry.margin is None:
            raise UserError(
                f"{at('margin')}: margin: relation: level needs the largest difference it still calls equal, in "
                f"{entry.metric} points, e.g. margin: 0.5; got nothing (null)"
            )
        return entry.margin

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
