"""The claim, and what every kind of it shares: the verdict words, the noise rule (the sigma a claim is judged by and
the band of a gap), `Claim` itself (an ordering between nets, which every other kind refines) and the chain of
comparisons a claim between nets makes.

`Claim` is an ordering between nets (`order:`, lowest first): every adjacent pair of `order` is one comparison; an entry
may be a list of nets, each compared with each net of the next entry ("the 50/101/152-layer ResNets are more
accurate than the 34-layer ones").

A comparison holds when the measured gap exceeds the band, does not hold when it is that far the other way, and is
within noise otherwise. `relation: at_most` states a claim the paper makes of a gap it calls small ("C is marginally
better than B"): it holds unless the first net is above the next by more than the band.

Where the paper's own gap between two nets is no wider than the band, even a perfect reproduction cannot clear it:
the verdict says how many seeds per net would (`seeds_to_resolve`).

sigma: the paper's only seed spread, ResNet-110's 0.16 points over 5 runs (Table 6), for error metrics (ImageNet
claims borrow it: the paper gives no ImageNet spread); a claim on another metric states its own `noise`. Where seeds
trained here spread more, the measured spread is used instead. Every verdict says which sigma it used. A comparison
between two nets has the band of twice the standard deviation of the difference of two seed means
(2 * sigma * sqrt(1/n_a + 1/n_b)); each kind says what it judges against that band.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass, field

PAPER_SIGMA = 0.16  # Table 6: ResNet-110, 6.61 +- 0.16 over 5 runs; the only seed spread the paper gives
PAPER_SIGMA_SOURCE = "the paper's seed std of ResNet-110 (0.16, Table 6)"
BORROWED_SIGMA_SOURCE = "CIFAR-10 ResNet-110's seed std (0.16, Table 6), borrowed: the paper gives none for ImageNet"
ERROR_METRICS = ("train_error", "test_error", "top1_error", "top5_error")
METRIC_NAMES = {
    "train_error": "training error",
    "test_error": "test error",
    "top1_error": "top-1 error",
    "top5_error": "top-5 error",
    "response_std": "mean response std",
}
END, CURVE = "end", "curve"  # a run's final number, or every log window of its training curve
LAYERS, RANKS = "layers", "ranks"  # fig7: layer by layer in network order, or rank by rank once sorted
OVER = (END, CURVE, LAYERS, RANKS)
UNITS = {CURVE: "log windows", LAYERS: "layers (same index)", RANKS: "ranks (each net's stds sorted, descending)"}
BELOW, AT_MOST = "below", "at_most"  # a strict order; "no higher than the next, within noise"
LEVEL = "level"  # "comparably accurate": equal within noise, either way
RELATIONS = (BELOW, AT_MOST, LEVEL)
JOINTS = {AT_MOST: " ≤ ", LEVEL: " ≈ "}  # how a claim's words join its nets, by relation

HOLDS, FAILS, NOISE, NOT_RUN = "holds", "does not hold", "within noise", "not run yet"
NOT_COMPARABLE, PARTIAL = "not compared", "not all run yet"
# A paper number within seed noise of ours is reproduced: a word of its own, never a claim's "within noise", which
# says the claim is undecided.
REPRODUCED = "reproduced"
FIRST_LR_STEP = "first_lr_step"  # `until:` of an early-stage claim: the windows before the profile's first lr step


@dataclass(frozen=True)
class Verdict:
    status: str  # HOLDS, FAILS, NOISE, NOT_RUN, PARTIAL, NOT_COMPARABLE
    detail: str  # the numbers behind it, e.g. "plain-20 16.29 < plain-56 30.59 (gap 14.30, band +-0.45)"
    seeds: int = 0  # seeds per net that would resolve the paper's own gap, where fewer are planned; else 0
    band: float | None = None  # a paper number's noise band (evaluate_number), for a table's column


@dataclass(frozen=True)
class Judging:
    """What a claim is judged with beyond its own numbers, gathered by the scorer from the target and profile; by
    default, the paper's CIFAR sigma and nothing more."""

    paper: dict[str, float] = field(default_factory=dict)  # per net (claim_paper_values); empty on proxy data
    source: str = PAPER_SIGMA_SOURCE  # which sigma the paper's spread stands for (CIFAR's, or borrowed for ImageNet)
    planned: dict[str, int] | None = None  # the seeds per net the profile trains
    unjudged: str = ""  # why a number compared with the paper's (a gap's size) is shown but not judged ("": judged)
    first_step: int | None = None  # the first lr step of the profile's schedule, where "the early stage" ends


@dataclass(frozen=True)
class Claim:
    """A claim as its target file states it (claim.py parses it), and, as this class, an ordering between nets
    compared at the end of training. Every other kind is a subclass that overrides what it does differently: what it
    reads of what a target measured, how it judges it and how it says it."""

    says: str  # the paper's words
    section: str  # where the paper says it
    metric: str
    order: tuple[str, ...]  # run keys, lowest value first
    noise: float | None = None  # sigma for a metric the paper gives no spread for
    groups: tuple[tuple[str, ...], ...] = ()  # `order` as its entries, where an entry names several nets
    relation: str = BELOW
    own: bool = False  # this project's check, not a sentence of the paper
    paper: tuple[tuple[str, float], ...] = ()  # the paper's value of each net, where the claim states them
    over: str = END
    fraction: float = 0.0  # over the curve: the share of log windows in the claimed order for it to hold
    short: tuple[tuple[str, str], ...] = ()  # (profile, why its schedule is too short for the claim, with the evidence)
    gap: float | None = None  # the paper's stated size of the gap between the two nets of `order`
    below: float | None = None  # a bound each net's value stays under, where the paper states one
    until: float = 1.0  # over the curve: the share of the schedule it looks at, from the start ("at the early stage")
    above: float | None = None  # a bound each net's value stays over ("plain-110 is higher than 60%")
    margin: float | None = None  # relation: level: the largest difference still "comparable" (an equivalence test)
    early: bool = False  # over the curve: only the windows before the first lr step of the profile's own schedule

    needs = 2  # how many of its nets a profile must train for the claim to check anything
    hints = True  # whether it says how many seeds per net would resolve the paper's narrow gaps (seeds_hint)

    def too_short(self, profile: str) -> str:
        """Why `profile` (or a `--set` variant of it) cannot be expected to show the claim; "" if nothing is said."""
        return dict(self.short).get(profile.split("~")[0], "")

    @property
    def bound(self) -> tuple[str, float] | None:
        """("<", 0.1) for `below: 0.1`, (">", 60) for `above: 60`; None for a claim between nets."""
        if self.below is not None:
            return "<", self.below
        return (">", self.above) if self.above is not None else None

    @property
    def steps(self) -> tuple[tuple[str, ...], ...]:
        """The entries of `order`, each a tuple of run keys."""
        return self.groups or tuple((key,) for key in self.order)

    def measure(self, found) -> dict:
        """What the claim judges of `found` (a Measured): run key -> the metric over the finished seeds."""
        return found.per_key(self.metric)

    def compared(self, values: dict, steps: list, measured: list, label, judging: Judging):
        """The claim's comparisons over the nets `measured` (of those trained, `steps`), judged against the noise:
        (each one's result and the numbers behind it, the words after them: the sigma used and how many seeds per
        net would resolve the paper's own gaps, what a verdict not run yet says, those seeds)."""
        keys = [key for group in measured for key in group]
        sigma, source = claim_sigma(self, [values[k] for k in keys], judging.source)
        counts = {k: len(values.get(k) or []) or (judging.planned or {}).get(k, 1) for g in steps for k in g}
        hint, seeds = self.seeds_hint(pairs(steps), judging.paper, sigma, counts, label)
        judged = list(self.results(label, values, measured, keys, sigma, judging.unjudged))
        return judged, [f"σ: {source}"] + ([hint] if hint else []), f"{hint}; σ: {source}" if hint else "", seeds

    def compare(self, a, b, gap: float, nets: str, sigma: float, unjudged: str):
        """One comparison of two nets' seeds `a` and `b`, `gap` the difference of their means (b - a) and `nets` its
        words (see measured_pair): (result, the numbers behind it)."""
        band = pair_band(sigma, len(a), len(b))
        result = judge_gap(gap, band, self.relation)
        claimed = "≤ within noise" if self.relation == AT_MOST else "<"
        expected = "" if result == HOLDS or gap > 0 else f" (the paper: {claimed})"
        return result, f"{nets}{expected}: gap {gap:+.2f}, band ±{band:.2f}"

    def results(self, label, values: dict, measured: list, keys: list[str], sigma: float, unjudged: str):
        """Each comparison over the nets measured: (result, the numbers behind it)."""
        for low, high in pairs(measured):
            a, b = values[low], values[high]
            gap = statistics.fmean(b) - statistics.fmean(a)
            yield self.compare(a, b, gap, measured_pair(label, a, b, low, high, gap), sigma, unjudged)

    def seeds_hint(self, pairs, paper: dict, sigma: float, counts: dict, label) -> tuple[str, int]:
        """Where the paper's own gap between two nets is no wider than the band at the seeds planned, say so and how
        many seeds per net would clear it; ("", 0) where every gap clears it (or the paper gives no numbers)."""
        if self.relation != BELOW or not self.hints:
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

    def narrowed(self, keys) -> list[tuple[str, ...]]:
        """The entries of `order` narrowed to the nets among `keys`, those left with none left out."""
        return [group for group in (tuple(k for k in g if k in keys) for g in self.steps) if group]

    def pairs(self, trained: set[str]) -> list[tuple[str, str]]:
        """The comparisons a claim makes over the nets a profile trains: (lower, higher) run keys."""
        return pairs(self.narrowed(trained))

    def words(self, steps: list[tuple[str, ...]], step_text) -> str:
        """The claimed ordering of the nets `steps`, e.g. "plain-20 < plain-56"."""
        return JOINTS.get(self.relation, " < ").join(step_text(g) for g in steps)

    def what(self) -> str:
        """What the claim compares, e.g. "test error" or "response std layer by layer"."""
        return METRIC_NAMES[self.metric]


# ----------------------------------------------------------------------------- noise and verdicts


def seed_sigma(samples: list[list[float]], default: float) -> tuple[float, str]:
    """The per-run std to judge by: `default`, unless seeds measured here spread more (pooled sample std
    over every net with two or more seeds)."""
    groups = [s for s in samples if len(s) >= 2]
    if groups:
        dof = sum(len(s) - 1 for s in groups)
        pooled = math.sqrt(sum((len(s) - 1) * statistics.variance(s) for s in groups) / dof)
        if pooled > default:
            return pooled, f"the measured seed std ({pooled:.2f}, {dof + len(groups)} runs)"
    return default, ""


def pair_band(sigma: float, n_low: int, n_high: int) -> float:
    """Two standard deviations of the difference of two seed means."""
    return 2 * sigma * math.sqrt(1 / n_low + 1 / n_high)


def seeds_to_resolve(gap: float, sigma: float) -> int:
    """The fewest seeds per net whose band (two nets, as many seeds each) is narrower than `gap`."""
    return next(n for n in itertools.count(1) if pair_band(sigma, n, n) - gap < -1e-9)


def claim_sigma(claim, samples: list[list[float]], default_source: str) -> tuple[float, str]:
    """The sigma a claim is judged by, and which one it is: the paper's (or the file's stated `noise`), or the
    seed spread measured here where it is larger."""
    default = claim.noise if claim.noise is not None else PAPER_SIGMA
    sigma, measured = seed_sigma(samples, default)
    if measured:
        return sigma, f"{measured}, larger than the {default:.2f} assumed"
    if claim.noise is not None:
        return sigma, f"this file's assumed seed std ({claim.noise:g}; the paper gives none for this)"
    return sigma, default_source


def pairs(steps: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    """Each net of an entry against each net of the next entry."""
    return [(low, high) for lows, highs in zip(steps, steps[1:]) for low in lows for high in highs]


def evaluate_claim(claim, values: dict[str, list[float]], trained: set[str], label=str, judging=Judging()) -> Verdict:
    """Every kind's verdict. values: run key -> the metric over its finished seeds (a curve's: each seed's by log
    window, or by layer); trained: the keys the profile trains; judging: what the scorer knows beyond them (the
    paper's numbers, the sigma's source, the seeds planned, why a size is not judged, where the early stage ends).

    Nets the profile does not train are left out of the chain (the cpu profile has no ResNet-110);
    nets it trains but that have no finished run yet make the claim not run (or not all run) yet.
    """
    steps = claim.narrowed(trained)
    measured = claim.narrowed({k for k in trained if values.get(k)})
    judged, notes, waiting, seeds = claim.compared(values, steps, measured, label, judging)
    if not judged:
        return Verdict(NOT_RUN, waiting, seeds)
    results, parts = [result for result, _ in judged], [text for _, text in judged] + notes
    if all(result == NOT_COMPARABLE for result in results):  # comparisons only shown, none judged
        return Verdict(NOT_COMPARABLE, "; ".join(parts), seeds)
    # Any comparison that fails fails the claim, else any within noise; nets not run yet leave a claim that holds so
    # far only partly checked.
    status = FAILS if FAILS in results else NOISE if NOISE in results else HOLDS
    missing = [label(k) for g in steps for k in g if not values.get(k)]
    if missing and status != FAILS:
        status = PARTIAL if status == HOLDS else status
        parts.append(f"not run yet: {', '.join(missing)}")
    return Verdict(status, "; ".join(parts), seeds)


def fmt(samples: list[float]) -> str:
    mean = statistics.fmean(samples)
    return f"{mean:.2f}" if len(samples) == 1 else f"{mean:.2f} (mean of {len(samples)})"


def measured_pair(label, a, b, low: str, high: str, gap: float) -> str:
    """ "plain-20 16.29 < plain-56 30.59": the sign shows what was measured, so a failed claim never reads as a
    true-looking "21.06 < 14.53"."""
    sign = "<" if gap > 0 else ">" if gap < 0 else "="
    return f"{label(low)} {fmt(a)} {sign} {label(high)} {fmt(b)}"


def judge_gap(gap: float, band: float, relation: str = BELOW) -> str:
    """gap: the measured difference in the direction the paper claims (positive: as claimed). A gap equal to the
    band (to rounding: 0.32 against 2 * 0.16 * 1) is not past it."""
    if gap - band > 1e-9:
        return HOLDS
    if gap + band < -1e-9:
        return FAILS
    return HOLDS if relation == AT_MOST else NOISE
