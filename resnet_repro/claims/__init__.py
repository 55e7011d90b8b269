"""The paper's claims as data, and the noise-aware verdicts on them. No torch, no files: pure arithmetic.

`base.py` holds `Claim` (an ordering between nets) and what every kind shares (the verdict words, the noise rule);
`claim.py` the claim's keys and their parsing; one module per other kind (`level`, `gap`, `bound`, `curve`:
subclasses of `Claim`) its own keys, measuring, judging and words; `numbers.py` the paper's numbers against ours.
Callers import from here.
"""

from .base import (
    BORROWED_SIGMA_SOURCE,
    CURVE,
    END,
    FAILS,
    HOLDS,
    LAYERS,
    LEVEL,
    METRIC_NAMES,
    NOISE,
    NOT_COMPARABLE,
    NOT_RUN,
    PAPER_SIGMA_SOURCE,
    PARTIAL,
    RANKS,
    REPRODUCED,
    Claim,
    Judging,
    Verdict,
    evaluate_claim,
    seeds_to_resolve,
)
from .claim import ClaimSchema, claim_paper_values, parse_claims, resolve_run_key
from .curve import evaluate_curve
from .numbers import PaperNumber, evaluate_number, paper_numbers

__all__ = [
    "BORROWED_SIGMA_SOURCE",
    "CURVE",
    "END",
    "FAILS",
    "HOLDS",
    "LAYERS",
    "LEVEL",
    "METRIC_NAMES",
    "NOISE",
    "NOT_COMPARABLE",
    "NOT_RUN",
    "PAPER_SIGMA_SOURCE",
    "PARTIAL",
    "RANKS",
    "REPRODUCED",
    "Claim",
    "ClaimSchema",
    "Judging",
    "PaperNumber",
    "Verdict",
    "claim_paper_values",
    "evaluate_claim",
    "evaluate_curve",
    "evaluate_number",
    "paper_numbers",
    "parse_claims",
    "resolve_run_key",
    "seeds_to_resolve",
]
