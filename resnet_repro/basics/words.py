"""Counts in what the tool prints, with the noun's number agreeing ("1 thread", "2 threads"): a printed "1 threads"
or "run(s)" reads as a tool that did not look at its own numbers."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is exactly one; `plural` where adding "s" is wrong."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


SHOWN_DAMAGED = 3  # the other damaged runs one line names; past these it counts them


def also_damaged(others: list[str]) -> str:
    """The other damaged runs, after the first one's note: a user who fixes that one learns of the rest now, not one
    command at a time. The first SHOWN_DAMAGED are named, the rest counted."""
    if not others:
        return ""
    named = "; ".join(others[:SHOWN_DAMAGED])
    rest = f"; and {len(others) - SHOWN_DAMAGED} more" if len(others) > SHOWN_DAMAGED else ""
    return f" (and {counted(len(others), 'more damaged run')}: {named}{rest})"


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
