"""Counts in what the tool prints, with the noun's number agreeing ("1 thread", "2 threads"): a printed "1 threads"
or "run(s)" reads as a tool that did not look at its own numbers."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is exactly one; `plural` where adding "s" is wrong."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def agreeing(count: int, singular: str, plural: str) -> str:
    """The verb (or phrase) that agrees with `count`: agreeing(1, "holds", "hold") is "holds"."""
    return singular if count == 1 else plural


def human_duration(seconds: float) -> str:
    """90 s, 35 min, 2.5 h: a duration in the unit that reads at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
