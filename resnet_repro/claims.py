"""The paper's claims as data, and the noise-aware verdicts on them. No torch, no files: pure arithmetic.

A claim is a sentence of the paper that a target can check, stored in the target's YAML:

    claims:
      - says: "the deeper plain net has higher training error"
        section: "Sec. 4.2, Fig. 6 (left)"
        metric: train_error
        order: [plain20, plain56]        # lowest first: plain-20 < plain-56

Every adjacent pair of `order` is one comparison; an entry of `order` may be a list of nets, each of
which is compared with each net of the next entry ("the 50/101/152-layer ResNets are more accurate
than the 34-layer ones"). A comparison holds when the measured gap exceeds twice the standard
deviation of the difference of two seed means (2 * sigma * sqrt(1/n_a + 1/n_b)), does not hold when
it is that far the other way, and is within noise otherwise. For one run on each side the band is
2 * sqrt(2) * sigma. `relation: at_most` states a claim the paper makes of a gap it calls small ("C is
marginally better than B"): it holds unless the first net is above the next by more than the band.
`relation: level` states a two-sided equality ("comparably accurate", "similar training error"): it holds
when every adjacent gap is inside the band and does not hold when one is outside it.
`gap: 3.5` states the size of the one gap between two nets ("reduces the top-1 error by 3.5%"): it holds
when the measured gap is within the band of the paper's (the paper's gap is itself two single runs).
`below: 0.1` states a bound on each net's value ("training error <0.1%"): it holds when the mean is
below it, does not hold when the mean is above it by more than the band of that mean (2 * sigma / sqrt(n)).
`over: layers` (or `ranks`) with `fraction` states fig7's "generally smaller" layer by layer (or once each
net's stds are sorted): the share of layers in the claimed order, as `over: curve` counts log windows.

sigma: the paper's only seed spread, ResNet-110's 0.16 points over 5 runs (Table 6), for error
metrics (ImageNet claims borrow it: the paper gives no ImageNet spread); a claim on another metric
states its own `noise`. Where seeds trained here spread more, the measured spread is used instead.
Every verdict says which sigma it used.

Where the paper's own gap between two nets is no wider than the band, even a perfect reproduction
cannot clear it: the verdict says how many seeds per net would (`seeds_to_resolve`).
`own: true` marks a check this project adds that the paper does not state.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, fields

from .errors import UserError, excerpt

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

HOLDS, FAILS, NOISE, NOT_RUN = "holds", "does not hold", "within noise", "not run yet"
NOT_COMPARABLE, PARTIAL = "not compared", "not all run yet"
# A paper number within seed noise of ours is reproduced: a word of its own, never a claim's "within noise", which
# says the claim is undecided.
REPRODUCED = "reproduced"
FIRST_LR_STEP = "first_lr_step"  # `until:` of an early-stage claim: the windows before the profile's first lr step


@dataclass(frozen=True)
class Claim:
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

    def too_short(self, profile: str) -> str:
        """Why `profile` (or a `--set` variant of it) cannot be expected to show the claim; "" if nothing is said."""
        return dict(self.short).get(profile.split("~")[0], "")

    @property
    def needs(self) -> int:
        """How many of its nets a profile must train for the claim to check anything: a bound holds of one net."""
        return 1 if self.bound is not None else 2

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


CLAIM_KEYS = {f.name for f in fields(Claim)} - {
    "groups",
    "early",
}  # what a target file may say of a claim: groups is `order`'s


@dataclass(frozen=True)
class Verdict:
    status: str  # HOLDS, FAILS, NOISE, NOT_RUN, PARTIAL, NOT_COMPARABLE
    detail: str  # the numbers behind it, e.g. "plain-20 16.29 < plain-56 30.59 (gap 14.30, band +-0.45)"
    seeds: int = 0  # seeds per net that would resolve the paper's own gap, where fewer are planned; else 0
    band: float | None = None  # a paper number's noise band (evaluate_number), for a table's column


# ----------------------------------------------------------------------------- parsing (when a target loads)


def parse_claims(
    raw, where: str, engine: str, metrics: tuple[str, ...], run_keys: dict[str, list[str]]
) -> tuple[Claim, ...]:
    """`claims:` of a target file, checked strictly. `metrics`: what the target's engine measures (what a claim
    may compare); `run_keys`: model -> the keys its runs answer to (resnet20 -> [resnet20]; resnet34 ->
    [resnet34-A, resnet34-B, resnet34-C])."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UserError(f"{where}: claims: expected a list of claims (says, section, metric, order)")
    if not metrics:
        raise UserError(f"{where}: claims: a {engine} target measures nothing a claim can compare")
    return tuple(
        _parse_claim(entry, f"{where}: claims[{index}]", engine, metrics, run_keys) for index, entry in enumerate(raw)
    )


def _parse_claim(entry, at: str, engine: str, metrics: tuple[str, ...], run_keys: dict[str, list[str]]) -> Claim:
    if not isinstance(entry, dict):
        raise UserError(f"{at}: expected a mapping with says, section, metric, order")
    unknown = sorted(set(entry) - CLAIM_KEYS)
    if unknown:
        raise UserError(f"{at}: unknown key {excerpt(unknown[0])}; a claim has {', '.join(sorted(CLAIM_KEYS))}")
    missing = [k for k in ("says", "section", "metric", "order") if k not in entry]
    if missing:
        raise UserError(f"{at}: missing {', '.join(missing)} (a claim has says, section, metric, order)")
    if entry["metric"] not in metrics:
        raise UserError(
            f"{at}: metric {excerpt(entry['metric'])} is not one a {engine} target measures ({', '.join(metrics)})"
        )
    order = entry["order"]
    fewest = 1 if "below" in entry or "above" in entry else 2  # a bound is on each net by itself
    if not isinstance(order, list) or len(order) < fewest:
        what = "one or more runs" if fewest == 1 else f"two or more runs, lowest {entry['metric']} first"
        raise UserError(f"{at}: order: expected a list of {what}")
    groups = tuple(
        tuple(resolve_run_key(str(name), run_keys, at) for name in (item if isinstance(item, list) else [item]))
        for item in order
    )
    noise = _noise(entry, at)
    relation = entry.get("relation", BELOW)
    if relation not in RELATIONS:
        raise UserError(f"{at}: relation: {excerpt(relation)} is not one of {', '.join(RELATIONS)}")
    gap, below, above = _size_keys(entry, at, groups, relation)
    if not isinstance(entry.get("own", False), bool):
        raise UserError(f"{at}: own: expected true or false, got {excerpt(entry['own'])}")
    over, fraction = _curve_keys(entry, at)
    short = entry.get("short", {})
    if not isinstance(short, dict) or not all(isinstance(v, str) and v.strip() for v in short.values()):
        raise UserError(
            f"{at}: short: expected profile: why its schedule is too short for this claim, e.g. "
            f'short: {{cpu: "ResNet-56 passes ResNet-20 only past 16k iterations"}}'
        )
    return Claim(
        str(entry["says"]),
        str(entry["section"]),
        entry["metric"],
        tuple(key for group in groups for key in group),
        float(noise) if noise is not None else None,
        groups if any(len(group) > 1 for group in groups) else (),
        relation,
        entry.get("own", False),
        _paper_values(entry.get("paper"), run_keys, at),
        over,
        fraction,
        tuple((str(profile), text.strip()) for profile, text in short.items()),
        gap,
        below,
        _until(entry, at, over),
        above,
        _margin(entry, at, relation),
        entry.get("until") == FIRST_LR_STEP,
    )


def _until(entry: dict, at: str, over: str) -> float:
    """`until`: a claim of the early curve looks at the windows up to this share of the schedule."""
    until = entry.get("until", 1.0)
    if until == FIRST_LR_STEP:
        if over != CURVE:
            raise UserError(f"{at}: until: only a claim over: curve looks at part of training")
        return 1.0
    if isinstance(until, bool) or not isinstance(until, (int, float)) or not 0 < until <= 1:
        raise UserError(
            f"{at}: until: expected the share of training the claim looks at, e.g. 0.3, or {FIRST_LR_STEP}; "
            f"got {excerpt(until)}"
        )
    if until < 1 and over != CURVE:
        raise UserError(f"{at}: until: only a claim over: curve looks at part of training")
    return float(until)


def _margin(entry: dict, at: str, relation: str) -> float | None:
    """`margin`: an equality claim ("comparably accurate") is an equivalence test, which needs the largest
    difference it still calls equal; no other relation has one."""
    margin = entry.get("margin")
    if relation != LEVEL:
        if margin is not None:
            raise UserError(f"{at}: margin: only a claim with relation: level has an equivalence margin")
        return None
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin <= 0:
        raise UserError(
            f"{at}: margin: relation: level needs the largest difference it still calls equal, in "
            f"{entry['metric']} points, e.g. margin: 0.5; got {excerpt(margin)}"
        )
    return float(margin)


def _noise(entry: dict, at: str) -> float | None:
    """`noise`: the seed std a claim assumes, required where the paper gives no spread for its metric."""
    noise = entry.get("noise")
    if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float)) or noise <= 0):
        raise UserError(
            f"{at}: noise: expected a positive number (the seed std of {entry['metric']}), got {excerpt(noise)}"
        )
    if noise is None and entry["metric"] == "train_error" and (entry.get("below"), entry.get("above")) != (None, None):
        raise UserError(
            f"{at}: noise: a bound on the training error needs the training error's own seed std (the paper's "
            f"0.16 is the test error's); state the std this claim assumes, e.g. noise: 0.05"
        )
    if noise is None and entry["metric"] not in ERROR_METRICS and entry.get("over", END) == END:
        raise UserError(
            f"{at}: noise: the paper gives no seed spread for {entry['metric']}; state the std "
            f"this claim assumes, e.g. noise: 0.02"
        )
    return noise


def _size_keys(entry: dict, at: str, groups: tuple, relation: str) -> tuple[float | None, ...]:
    """`gap` (the paper's size of one gap between two nets), `below` and `above` (a bound on each net), each a
    plain ordering's refinement: none goes with another relation, a curve, or another of them."""
    found = {}
    for key in ("gap", "below", "above"):
        value = entry.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key == "gap" and value <= 0):
            raise UserError(f"{at}: {key}: expected a number (the paper's, in {entry['metric']}), got {excerpt(value)}")
        if relation != BELOW or entry.get("over", END) != END or len(found):
            raise UserError(f"{at}: {key}: states a size of its own; it goes with no relation, over or other size")
        found[key] = float(value)
    if "gap" in found and (len(groups) != 2 or any(len(group) != 1 for group in groups)):
        raise UserError(f"{at}: gap: the size of one gap needs exactly two nets in order, lower first")
    return found.get("gap"), found.get("below"), found.get("above")


def _curve_keys(entry: dict, at: str) -> tuple[str, float]:
    """`over: curve` with the `fraction` of log windows that must be in order (a claim "throughout training");
    `over: layers` or `ranks` with the fraction of layers (fig7's "generally smaller", per layer or sorted)."""
    over = entry.get("over", END)
    if over not in OVER:
        raise UserError(f"{at}: over: {excerpt(over)} is not one of {', '.join(OVER)}")
    fraction = entry.get("fraction")
    if over == END and fraction is not None:
        raise UserError(f"{at}: fraction: only a claim over: curve counts log windows")
    if over != END and (
        isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.5 < fraction <= 1
    ):
        raise UserError(
            f"{at}: fraction: over: {over} needs the share of {UNITS[over].split(' (')[0]} that must be in order, "
            f"above 0.5 and at most 1, e.g. fraction: 0.9; got {excerpt(fraction)}"
        )
    if over == CURVE and entry["metric"] != "train_error":
        raise UserError(f"{at}: over: curve: only the training error is logged through training")
    if over in (LAYERS, RANKS) and entry["metric"] != "response_std":
        raise UserError(f"{at}: over: {over}: only the response std is measured layer by layer")
    return over, float(fraction or 0.0)


def _paper_values(raw, run_keys: dict[str, list[str]], at: str) -> tuple[tuple[str, float], ...]:
    """A claim's own `paper:` values (net -> number), for a claim whose target has no table of them."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw.values()
    ):
        raise UserError(f"{at}: paper: expected a mapping of net to the paper's number, e.g. {{resnet20: 8.75}}")
    return tuple((resolve_run_key(str(name), run_keys, at), float(value)) for name, value in raw.items())


def resolve_run_key(name: str, run_keys: dict[str, list[str]], at: str, field: str = "order") -> str:
    """The run key a target file's net name answers to: a key itself (resnet34-B), or a model with one run
    (resnet18 where the only run is resnet18-A). Claims and `table.paper` both name nets this one way, so a
    paper number finds the same runs its claims do."""
    every = [key for keys in run_keys.values() for key in keys]
    if name in every:
        return name
    candidates = run_keys.get(name, [])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise UserError(f"{at}: {field}: {excerpt(name)} is ambiguous here; name one of {', '.join(candidates)}")
    raise UserError(f"{at}: {field}: {excerpt(name)} is not among this target's runs ({', '.join(every)})")


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


def judge(gap: float, band: float, relation: str = BELOW, margin: float | None = None) -> str:
    """gap: the measured difference in the direction the paper claims (positive: as claimed). A gap equal to the
    band (to rounding: 0.32 against 2 * 0.16 * 1) is not past it. A level claim is an equivalence test against
    its `margin`: it holds when the whole band of the difference lies inside ±margin, does not hold when the
    difference is outside it by more than the band, and is undecided (within noise) otherwise."""
    if relation == LEVEL:
        if abs(gap) + band - (margin or 0.0) <= 1e-9:
            return HOLDS
        return FAILS if abs(gap) - band - (margin or 0.0) > 1e-9 else NOISE
    if gap - band > 1e-9:
        return HOLDS
    if gap + band < -1e-9:
        return FAILS
    return HOLDS if relation == AT_MOST else NOISE


def seeds_to_resolve(gap: float, sigma: float) -> int:
    """The fewest seeds per net whose band (two nets, as many seeds each) is narrower than `gap`."""
    n = 1
    while pair_band(sigma, n, n) - gap >= -1e-9:
        n += 1
    return n


def claim_sigma(claim: Claim, samples: list[list[float]], default_source: str) -> tuple[float, str]:
    """The sigma a claim is judged by, and which one it is: the paper's (or the file's stated `noise`), or the
    seed spread measured here where it is larger."""
    default = claim.noise if claim.noise is not None else PAPER_SIGMA
    sigma, measured = seed_sigma(samples, default)
    if measured:
        return sigma, f"{measured}, larger than the {default:.2f} assumed"
    if claim.noise is not None:
        return sigma, f"this file's assumed seed std ({claim.noise:g}; the paper gives none for this)"
    return sigma, default_source


def claim_pairs(claim: Claim, trained: set[str]) -> list[tuple[str, str]]:
    """The comparisons a claim makes over the nets a profile trains: (lower, higher) run keys."""
    return _pairs([group for group in (tuple(k for k in g if k in trained) for g in claim.steps) if group])


def _pairs(steps: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    """Each net of an entry against each net of the next entry."""
    return [(low, high) for lows, highs in zip(steps, steps[1:]) for low in lows for high in highs]


def evaluate_claim(
    claim: Claim,
    values: dict[str, list[float]],
    trained: set[str],
    label=str,
    paper: dict[str, float] | None = None,  # see claim_paper_values
    default_source: str = PAPER_SIGMA_SOURCE,
    planned: dict[str, int] | None = None,
    unjudged: str = "",
) -> Verdict:
    """values: run key -> the metric over its finished seeds; trained: the keys the profile trains; paper: the
    paper's number per key (for the seeds its own gaps need); planned: the seeds the profile trains per key;
    unjudged: why a number compared with the paper's (the size of a gap) is shown but not judged here ("": judged).

    Nets the profile does not train are left out of the chain (the cpu profile has no ResNet-110);
    nets it trains but that have no finished run yet make the claim not run (or not all run) yet.
    """
    steps = [group for group in (tuple(k for k in g if k in trained) for g in claim.steps) if group]
    measured = [group for group in (tuple(k for k in g if values.get(k)) for g in steps) if group]
    keys = [key for group in measured for key in group]
    sigma, source = claim_sigma(claim, [values[k] for k in keys], default_source)
    counts = {k: len(values.get(k) or []) or (planned or {}).get(k, 1) for g in steps for k in g}
    hint, seeds = _seeds_hint(claim, _pairs(steps), paper or {}, sigma, counts, label)
    if claim.bound is not None:
        results, parts = _bounds(claim, label, values, keys, sigma)
    else:
        results, parts = [], []
        for low, high in _pairs(measured):
            result, text = _compare(claim, label, values[low], values[high], low, high, sigma, unjudged)
            results.append(result)
            parts.append(text)
    if not results:
        return Verdict(NOT_RUN, f"{hint}; σ: {source}" if hint else "", seeds)
    parts += [f"σ: {source}"] + ([hint] if hint else [])
    status = _overall(results, parts, [label(k) for g in steps for k in g if k not in keys])
    return Verdict(status, "; ".join(parts), seeds)


def _overall(results: list[str], parts: list[str], missing: list[str]) -> str:
    """Any comparison that fails fails the claim, else any within noise; nets not run yet (added to `parts`) leave
    a claim that holds so far only partly checked. Comparisons only shown, none judged, leave it not compared."""
    if results and all(result == NOT_COMPARABLE for result in results):
        return NOT_COMPARABLE
    status = FAILS if FAILS in results else NOISE if NOISE in results else HOLDS
    if missing and status != FAILS:
        status = PARTIAL if status == HOLDS else status
        parts.append(f"not run yet: {', '.join(missing)}")
    return status


def _compare(
    claim: Claim, label, a: list[float], b: list[float], low: str, high: str, sigma: float, unjudged: str = ""
):
    gap = statistics.fmean(b) - statistics.fmean(a)
    # The sign shows what was measured, so a failed claim never reads as a true-looking "21.06 < 14.53".
    sign = "<" if gap > 0 else ">" if gap < 0 else "="
    nets = f"{label(low)} {_fmt(a)} {sign} {label(high)} {_fmt(b)}"
    if claim.gap is not None and unjudged:  # a size is the paper's number: judged only where numbers compare
        return NOT_COMPARABLE, f"{nets}: gap {gap:+.2f}, the paper's {claim.gap:.2f}: shown, not judged ({unjudged})"
    if claim.gap is not None:
        # The paper's gap is the difference of two single runs: its noise adds to that of ours.
        band = 2 * sigma * math.sqrt(1 / len(a) + 1 / len(b) + 2)
        result = HOLDS if abs(gap - claim.gap) - band <= 1e-9 else FAILS
        words = "reproduced" if result == HOLDS else "not reproduced"
        return result, f"{nets}: gap {gap:+.2f} against the paper's {claim.gap:.2f}, band ±{band:.2f}: {words}"
    band = pair_band(sigma, len(a), len(b))
    result = judge(gap, band, claim.relation, claim.margin)
    if claim.relation == LEVEL:
        where = {HOLDS: "inside", FAILS: "outside"}.get(result, "across")
        return result, (
            f"{nets}: difference {gap:+.2f} ± {band:.2f} against the margin ±{claim.margin:g}: "
            f"{where} it{'' if result != NOISE else ', undecided'}"
        )
    claimed = {AT_MOST: "≤ within noise", LEVEL: "≈ within noise"}.get(claim.relation, "<")
    expected = "" if result == HOLDS or (gap > 0 and claim.relation != LEVEL) else f" (the paper: {claimed})"
    return result, f"{nets}{expected}: gap {gap:+.2f}, band ±{band:.2f}"


def _bounds(claim: Claim, label, values: dict[str, list[float]], keys: list[str], sigma: float):
    """Each measured net against the paper's bound: on its side, it holds; on the other side by more than the band
    of the mean (the bound is exact, so only our mean is noisy) does not hold; within noise otherwise."""
    results, parts = [], []
    side, bound = claim.bound
    for key in keys:
        mean, band = statistics.fmean(values[key]), 2 * sigma / math.sqrt(len(values[key]))
        past = (mean - bound) if side == "<" else (bound - mean)  # how far on the wrong side
        result = HOLDS if past < 0 else FAILS if past > band else NOISE
        sign = side if past < 0 else {"<": "≥", ">": "≤"}[side]
        results.append(result)
        parts.append(f"{label(key)} {_fmt(values[key])} {sign} {bound:g}: band ±{band:.2f}")
    return results, parts


def _seeds_hint(claim: Claim, pairs, paper: dict[str, float], sigma: float, counts: dict[str, int], label):
    """Where the paper's own gap between two nets is no wider than the band at the seeds planned, say so and how
    many seeds per net would clear it; ("", 0) where every gap clears it (or the paper gives no numbers)."""
    if claim.relation != BELOW or claim.gap is not None or claim.bound is not None:
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


def evaluate_curve(
    claim: Claim,
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
    steps = [tuple(k for k in g if k in trained and curves.get(k)) for g in claim.steps]
    pairs = _pairs([g for g in steps if g])
    if not pairs:
        return Verdict(NOT_RUN, "")
    results, parts = [], []
    for low, high in pairs:
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
    status = _overall(results, parts, missing)  # before the join: it may add the nets not run yet to parts
    return Verdict(status, "; ".join(parts))


def _before_step(first_step: int | None) -> str:
    if first_step is None:
        return " (no lr step in this schedule: the whole run is before it)"
    return f" up to the first lr step (iteration {first_step:,})"


def _mean_curve(seeds: list[dict[int, float]]) -> dict[int, float]:
    """Iteration -> the mean over the seeds that logged it (every seed, so seeds of different lengths never mix)."""
    common = set.intersection(*(set(curve) for curve in seeds))
    return {i: statistics.fmean(curve[i] for curve in seeds) for i in common}


def claim_paper_values(claim: Claim, table_paper: dict) -> dict[str, float]:
    """The paper's number of each net of a claim: the claim's own `paper:`, else the target's `table.paper`
    (for test error, the mean where the paper gives one: the claims compare seed means)."""
    values = {}
    for key, entry in (table_paper or {}).items():
        number = entry.get("mean") if claim.metric == "test_error" and "mean" in entry else entry.get(claim.metric)
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            values[key] = float(number)
    return values | dict(claim.paper)


def _fmt(samples: list[float]) -> str:
    mean = statistics.fmean(samples)
    return f"{mean:.2f}" if len(samples) == 1 else f"{mean:.2f} (mean of {len(samples)})"


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
    status = REPRODUCED if abs(delta) <= band else FAILS
    words = (
        "within seed noise"
        if status == REPRODUCED
        else "outside seed noise, " + ("worse than the paper" if delta > 0 else "better than the paper")
    )
    noise = f"; sigma from {why}" if why else ""
    return Verdict(status, f"{what}: {delta:+.2f}, {words} (±{band:.2f}){noise}", band=band)
