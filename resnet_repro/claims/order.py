"""An ordering between nets (`order:`, lowest first): every adjacent pair of `order` is one comparison; an entry
may be a list of nets, each compared with each net of the next entry ("the 50/101/152-layer ResNets are more
accurate than the 34-layer ones").

A comparison holds when the measured gap exceeds the band, does not hold when it is that far the other way, and is
within noise otherwise. `relation: at_most` states a claim the paper makes of a gap it calls small ("C is marginally
better than B"): it holds unless the first net is above the next by more than the band.

Where the paper's own gap between two nets is no wider than the band, even a perfect reproduction cannot clear it:
the verdict says how many seeds per net would (`seeds_to_resolve`).
"""

from __future__ import annotations

from .base import AT_MOST, BELOW, FAILS, HOLDS, NOISE, Kind, pair_band, seeds_to_resolve


class Order(Kind):
    def compare(self, claim, a, b, gap: float, nets: str, sigma: float, unjudged: str):
        band = pair_band(sigma, len(a), len(b))
        result = judge(gap, band, claim.relation)
        claimed = "≤ within noise" if claim.relation == AT_MOST else "<"
        expected = "" if result == HOLDS or gap > 0 else f" (the paper: {claimed})"
        return result, f"{nets}{expected}: gap {gap:+.2f}, band ±{band:.2f}"

    def seeds_hint(self, claim, pairs, paper: dict, sigma: float, counts: dict, label) -> tuple[str, int]:
        """Where the paper's own gap between two nets is no wider than the band at the seeds planned, say so and how
        many seeds per net would clear it; ("", 0) where every gap clears it (or the paper gives no numbers)."""
        if claim.relation != BELOW:
            return "", 0
        short = []
        for low, high in pairs:
            if low not in paper or high not in paper:
                continue
            gap, n = paper[high] - paper[low], min(counts[low], counts[high])
            if 0 < gap and gap - pair_band(sigma, counts[low], counts[high]) <= 1e-9:
                short.append((gap, f"{label(low)} vs {label(high)}", n))
        if not short:
            return "", 0
        seeds = max(seeds_to_resolve(gap, sigma) for gap, _, _ in short)
        gaps = " and ".join(f"{gap:.2f} ({pair})" for gap, pair, _ in short)
        n = min(n for _, _, n in short)
        plural = "gaps are" if len(short) > 1 else "gap is"
        return (
            f"the paper's {plural} {gaps}, inside the band at {n} seed{'s' if n > 1 else ''} per net: "
            f"{seeds} seeds per net resolve {'them' if len(short) > 1 else 'it'}"
        ), seeds


def judge(gap: float, band: float, relation: str = BELOW) -> str:
    """gap: the measured difference in the direction the paper claims (positive: as claimed). A gap equal to the
    band (to rounding: 0.32 against 2 * 0.16 * 1) is not past it."""
    if gap - band > 1e-9:
        return HOLDS
    if gap + band < -1e-9:
        return FAILS
    return HOLDS if relation == AT_MOST else NOISE
