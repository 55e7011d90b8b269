"""The paper's numbers (a target's `table.paper`) against ours, in like terms: a single run, a mean or a best."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .base import FAILS, NOT_COMPARABLE, NOT_RUN, PAPER_SIGMA, REPRODUCED, Verdict, pair_band, seed_sigma


@dataclass(frozen=True)
class PaperNumber:
    key: str  # run key: resnet110, resnet34-B
    metric: str  # test_error, top1_error, ...
    value: float
    kind: str  # "single" (one run), "mean" (mean of n runs) or "best" (best of n runs)
    runs: int  # how many runs the paper's number summarises

    def describe(self) -> str:
        """7.51, 6.61 (mean of 5) or 6.43 (best of 5)."""
        return f"{self.value:.2f}" if self.kind == "single" else f"{self.value:.2f} ({self.kind} of {self.runs})"


def paper_numbers(table_paper: dict, metrics: tuple[str, ...], seeds: dict[str, int]) -> list[PaperNumber]:
    """The numbers of a target's `table.paper`, each with what it summarises: with `mean`, the main value
    is the best of the runs (the paper's "best (mean +- std)"), `seeds` being how many the paper ran."""
    numbers = []
    for key, entry in (table_paper or {}).items():
        for metric in metrics:
            if metric not in entry:
                continue
            runs = seeds.get(key, 1)
            if metric == "test_error" and "mean" in entry:
                numbers.append(PaperNumber(key, metric, float(entry[metric]), "best", runs))
                numbers.append(PaperNumber(key, metric, float(entry["mean"]), "mean", runs))
            else:
                numbers.append(PaperNumber(key, metric, float(entry[metric]), "single", 1))
    return numbers


def evaluate_number(number: PaperNumber, ours: list[float]) -> Verdict:
    """Our runs against one paper number, in like terms: our mean against a single run or a mean (the band
    of the difference of the two), our best of n against the paper's best of its runs, stated as such."""
    if not ours:
        return Verdict(NOT_RUN, "")
    sigma, why = seed_sigma([ours], PAPER_SIGMA)
    n = len(ours)
    if number.kind == "best" and n < number.runs:  # the best of fewer runs is expected to be worse: unlike terms
        return Verdict(
            NOT_COMPARABLE,
            f"best of {n} here {min(ours):.2f}, the paper's best of {number.runs} {number.value:.2f}: compared once "
            f"{number.runs} seeds have finished (`--seeds {number.runs}`); the mean row compares the mean of {n} now",
        )
    if number.kind == "best":
        mine = min(ours)
        band = pair_band(sigma, 1, 1)
        what = f"best of {n} {mine:.2f}, paper best of {number.runs} {number.value:.2f}"
    else:
        mine = statistics.fmean(ours)
        band = pair_band(sigma, n, number.runs)
        ours_text = f"{mine:.2f}" if n == 1 else f"mean of {n} {mine:.2f}"
        what = f"{ours_text}, paper {number.describe()}"
    delta = mine - number.value
    # A number is reproduced when it lies within the seed noise of the paper's; outside it, either way, it is not.
    if abs(delta) <= band:
        status, words = REPRODUCED, "within seed noise"
    else:
        status, words = FAILS, f"outside seed noise, {'worse' if delta > 0 else 'better'} than the paper"
    noise = f"; sigma from {why}" if why else ""
    return Verdict(status, f"{what}: {delta:+.2f}, {words} (±{band:.2f}){noise}", band=band)
