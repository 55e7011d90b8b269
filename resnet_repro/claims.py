"""The paper's claims as data, and the noise-aware verdicts on them. No torch, no files: pure arithmetic.

A claim is a sentence of the paper that a target can check, stored in the target's YAML:

    claims:
      - says: "the deeper plain net has higher training error"
        section: "Sec. 4.2, Fig. 6 (left)"
        metric: train_error
        order: [plain20, plain56]        # lowest first: plain-20 < plain-56

Every adjacent pair of `order` is one comparison. A comparison holds when the measured gap exceeds
twice the standard deviation of the difference of two seed means (sigma * sqrt(1/n_a + 1/n_b)), does
not hold when it is that far the other way, and is within noise otherwise. For one run on each side
the band is 2 * sqrt(2) * sigma.

sigma: the paper's only seed spread, ResNet-110's 0.16 points over 5 runs (Table 6), for error
metrics; a claim on another metric states its own `noise`. Where the user has trained several seeds
of the nets compared and they spread more, the measured spread is used instead.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from .errors import UserError, excerpt

PAPER_SIGMA = 0.16  # Table 6: ResNet-110, 6.61 +- 0.16 over 5 runs; the only seed spread the paper gives
PAPER_SIGMA_SOURCE = "the paper's seed std of ResNet-110 (0.16, Table 6)"
ERROR_METRICS = ("train_error", "test_error", "top1_error", "top5_error")
METRIC_NAMES = {
    "train_error": "training error",
    "test_error": "test error",
    "top1_error": "top-1 error",
    "top5_error": "top-5 error",
    "response_std": "mean response std",
}
CLAIM_KEYS = {"says", "section", "metric", "order", "noise"}

HOLDS, FAILS, NOISE, NOT_RUN = "holds", "does not hold", "within noise", "not run yet"
NOT_COMPARABLE, PARTIAL = "not compared", "not all run yet"


@dataclass(frozen=True)
class Claim:
    says: str  # the paper's words
    section: str  # where the paper says it
    metric: str
    order: tuple[str, ...]  # run keys, lowest value first
    noise: float | None = None  # sigma for a metric the paper gives no spread for


@dataclass(frozen=True)
class Verdict:
    status: str  # HOLDS, FAILS, NOISE, NOT_RUN, PARTIAL, NOT_COMPARABLE
    detail: str  # the numbers behind it, e.g. "plain-20 16.29 < plain-56 30.59 (gap 14.30, band +-0.45)"


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
    claims = []
    for index, entry in enumerate(raw):
        at = f"{where}: claims[{index}]"
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
        if not isinstance(order, list) or len(order) < 2:
            raise UserError(f"{at}: order: expected a list of two or more runs, lowest {entry['metric']} first")
        keys = tuple(_resolve_key(str(name), run_keys, at) for name in order)
        noise = entry.get("noise")
        if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float)) or noise <= 0):
            raise UserError(
                f"{at}: noise: expected a positive number (the seed std of {entry['metric']}), got {excerpt(noise)}"
            )
        if noise is None and entry["metric"] not in ERROR_METRICS:
            raise UserError(
                f"{at}: noise: the paper gives no seed spread for {entry['metric']}; state the std "
                f"this claim assumes, e.g. noise: 0.02"
            )
        claims.append(
            Claim(
                str(entry["says"]),
                str(entry["section"]),
                entry["metric"],
                keys,
                float(noise) if noise is not None else None,
            )
        )
    return tuple(claims)


def _resolve_key(name: str, run_keys: dict[str, list[str]], at: str) -> str:
    every = [key for keys in run_keys.values() for key in keys]
    if name in every:
        return name
    candidates = run_keys.get(name, [])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise UserError(f"{at}: order: {excerpt(name)} is ambiguous here; name one of {', '.join(candidates)}")
    raise UserError(f"{at}: order: {excerpt(name)} is not among this target's runs ({', '.join(every)})")


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


def judge(gap: float, band: float) -> str:
    """gap: the measured difference in the direction the paper claims (positive: as claimed)."""
    if gap > band:
        return HOLDS
    if gap < -band:
        return FAILS
    return NOISE


def evaluate_claim(claim: Claim, values: dict[str, list[float]], trained: set[str], label=str) -> Verdict:
    """values: run key -> the metric over its finished seeds; trained: the keys the profile trains.

    Nets the profile does not train are left out of the chain (the cpu profile has no ResNet-110);
    nets it trains but that have no finished run yet make the claim not run (or not all run) yet.
    """
    chain = [key for key in claim.order if key in trained]
    measured = [key for key in chain if values.get(key)]
    if len(measured) < 2:
        return Verdict(NOT_RUN, "")
    default = claim.noise if claim.noise is not None else PAPER_SIGMA
    sigma, _ = seed_sigma([values[k] for k in measured], default)
    results, parts = [], []
    for low, high in zip(measured, measured[1:]):
        a, b = values[low], values[high]
        gap = statistics.fmean(b) - statistics.fmean(a)
        band = pair_band(sigma, len(a), len(b))
        results.append(judge(gap, band))
        # The sign shows what was measured, so a failed claim never reads as a true-looking "21.06 < 14.53".
        sign = "<" if gap > 0 else ">" if gap < 0 else "="
        expected = "" if gap > 0 else " (the paper: <)"
        parts.append(
            f"{label(low)} {_fmt(a)} {sign} {label(high)} {_fmt(b)}{expected}: gap {gap:+.2f}, band ±{band:.2f}"
        )
    status = FAILS if FAILS in results else NOISE if NOISE in results else HOLDS
    missing = [label(k) for k in chain if k not in measured]
    if missing and status != FAILS:
        status = PARTIAL if status == HOLDS else status
        parts.append(f"not run yet: {', '.join(missing)}")
    return Verdict(status, "; ".join(parts))


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
        return {
            "single": f"{self.value:.2f}",
            "mean": f"{self.value:.2f} (mean of {self.runs})",
            "best": f"{self.value:.2f} (best of {self.runs})",
        }[self.kind]


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


def evaluate_number(number: PaperNumber, ours: list[float], sigma: float = PAPER_SIGMA) -> Verdict:
    """Our runs against one paper number, in like terms: our mean against a single run or a mean (the band
    of the difference of the two), our best of n against the paper's best of its runs, stated as such."""
    if not ours:
        return Verdict(NOT_RUN, "")
    sigma, why = seed_sigma([ours], sigma)
    n = len(ours)
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
    status = NOISE if abs(delta) <= band else FAILS
    words = (
        "within seed noise"
        if status == NOISE
        else "outside seed noise, " + ("worse than the paper" if delta > 0 else "better than the paper")
    )
    noise = f"; sigma from {why}" if why else ""
    return Verdict(status, f"{what}: {delta:+.2f}, {words} (±{band:.2f}){noise}")
