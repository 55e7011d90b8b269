"""`gap: 3.5`: the size of the one gap between two nets ("reduces the top-1 error by 3.5%"). It holds when the
measured gap is within the band of the paper's, the paper's gap being itself two single runs; where this profile's
numbers are not compared with the paper's, it is shown and not judged."""

from __future__ import annotations

import math

from .base import FAILS, HOLDS, NOT_COMPARABLE, Claim


class Gap(Claim):
    hints = False  # the seeds hint is an order's; a size is judged against the paper's gap itself

    def compare(self, a, b, gap: float, nets: str, sigma: float, unjudged: str):
        if unjudged:  # a size is the paper's number: judged only where numbers compare
            return (
                NOT_COMPARABLE,
                f"{nets}: gap {gap:+.2f}, the paper's {self.gap:.2f}: shown, not judged ({unjudged})",
            )
        # The paper's gap is the difference of two single runs: its noise adds to that of ours.
        band = 2 * sigma * math.sqrt(1 / len(a) + 1 / len(b) + 2)
        result = HOLDS if abs(gap - self.gap) - band <= 1e-9 else FAILS
        words = "reproduced" if result == HOLDS else "not reproduced"
        return result, f"{nets}: gap {gap:+.2f} against the paper's {self.gap:.2f}, band ±{band:.2f}: {words}"

    def words(self, steps: list[tuple[str, ...]], step_text) -> str:
        return f"{super().words(steps, step_text)} by {self.gap:g}"
