"""Scoreboard rows: each claim of a target judged under one profile, and the paper's numbers against its runs."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from ..basics.errors import UserError
from ..claims.base import (
    BORROWED_SIGMA_SOURCE,
    HOLDS,
    METRIC_NAMES,
    NOT_COMPARABLE,
    NOT_RUN,
    PAPER_SIGMA_SOURCE,
    PARTIAL,
    Claim,
    Judging,
    Verdict,
    evaluate_claim,
)
from ..claims.claim import claim_paper_values
from ..claims.numbers import evaluate_number, paper_numbers
from ..readback.measured import Measured
from ..readback.report_parts import Score, run_command
from ..specs.experiments import Target, is_test_profile
from ..specs.naming import parse_model_name
from ..specs.registry import get_engine


def label(key: str) -> str:
    """resnet20 -> ResNet-20, plain56 -> plain-56, resnet34-B -> ResNet-34 B (the paper's names)."""
    model, _, shortcut = key.partition("-")
    try:
        name = parse_model_name(model)
    except UserError:
        return key
    text = f"{'ResNet' if name.residual else 'plain'}-{name.depth}"
    return f"{text} {shortcut}" if shortcut else text


def claim_scores(target: Target, found: Measured) -> list[Score]:
    """Every claim under one profile; claims whose nets the profile does not train are left out."""
    scores = []
    for claim in target.claims:
        if sum(key in found.trained_keys for key in claim.order) < claim.needs:
            if asked_for(target, claim, found.profile):  # its net is trained on request: say how
                scores.append(claim_score(target, claim, found.profile, Verdict(NOT_RUN, "")))
            continue
        verdict = judge_claim(target, claim, {}, found.trained_keys, found)  # it measures found itself
        why_short = claim.too_short(found.profile)
        if why_short and verdict.status != HOLDS:  # the reason beside the verdict, which stays as measured
            short = f"this profile is too short for it: {why_short}"
            verdict = replace(verdict, detail="; ".join(part for part in (verdict.detail, short) if part))
        compares = comparisons(target, claim, found.trained_keys, found.keys)
        scores.append(claim_score(target, claim, found.profile, verdict, found.trained_keys, compares))
    return scores


def claim_score(
    target: Target,
    claim: Claim,
    profile: str,
    verdict: Verdict,
    trained: set[str] | None = None,
    compares: frozenset = frozenset(),
) -> Score:
    """A claim's scoreboard row under `profile`: its words over the nets `trained` (None: every net of the claim),
    its verdict, the command that runs it where it waits, what it compares (see `comparisons`), and whether the
    profile only tests the tool."""
    tests = is_test_profile(profile)
    command = "" if tests else claim_command(target, profile, verdict, claim)  # a test profile is never offered
    what = claim_text(claim, trained)
    return Score(target.name, what, claim.section, profile, verdict, command, compares=compares, for_tests=tests)


def asked_for(target: Target, claim: Claim, profile: str) -> list[str]:
    """The `--only` labels of a claim's nets that are trained only on request and that `profile` may train."""
    models = target.selections.get(profile.split("~")[0], {}).get("models")
    wanted = {k for k in target.on_request() if models is None or any(k == m or k.startswith(f"{m}-") for m in models)}
    return [target.on_request()[key] for key in claim.order if key in wanted]


def comparisons(target: Target, claim: Claim, trained: set[str], keys: dict[str, str]) -> frozenset:
    """What a claim compares, by run: (metric, one net's run folders, the next net's), for each pair it checks.
    keys: run name -> run key. Targets share runs (fig1 and fig6 train the same plain-20), so two targets' rows
    with the same comparisons are one finding; the same runs tested another way (Table 4's multi-scale test
    against Table 3's 10-crop) are not."""
    table = target.section("table")
    metric = f"{claim.metric} {table.protocol or ''}".strip() if table is not None else claim.metric
    metric += f" {claim.over}"  # a final number and a whole curve are two comparisons
    # an order, an equality and the size of a gap are three findings on the same pair of runs
    metric += f" {claim.relation} {claim.gap or ''} {''.join(map(str, claim.bound or ''))}".rstrip()
    names_of = defaultdict(list)  # a run key -> its run names, sorted
    for name, key in sorted(keys.items()):
        names_of[key].append(name)
    return frozenset((metric, tuple(names_of[low]), tuple(names_of[high])) for low, high in claim.pairs(trained))


def mark_shared(scores: list[Score]) -> None:
    """Mark each claim row whose comparisons an earlier row of the same profile already made on the same runs
    (counted once), or whose runs and metric it shares in part."""
    seen: list[Score] = []
    for score in scores:
        if score.number or not score.compares:
            continue
        for earlier in seen:
            if earlier.profile != score.profile:
                continue
            if earlier.compares == score.compares:
                score.same_as = earlier.target
                break
            if _runs_of(earlier) & _runs_of(score) and not score.shares:
                score.shares = earlier.target
        seen.append(score)


def _runs_of(score: Score) -> set[tuple[str, str]]:
    return {(metric, run) for metric, low, high in score.compares for run in low + high}


def judge_claim(target: Target, claim: Claim, values: dict, trained: set[str], found: Measured | None) -> Verdict:
    """A claim's verdict on what `found` measured (`claim.measure(found)`; where found is None, on `values`), with
    the sigma it used named and, where the paper's own gaps are inside the band at the seeds planned (found's, or
    the paper's where nothing is planned), the seeds that would resolve them (never on proxy data: the paper's gaps
    are not its gaps)."""
    # The size of a gap is a number of the paper's: judged only where this profile's numbers are compared with it.
    comparable, why = found.numbers_comparable() if found is not None else (True, "")
    judging = Judging(
        paper={} if found is not None and found.proxy else claim_paper_values(claim, target.paper_table()),
        source=BORROWED_SIGMA_SOURCE if get_engine(target.engine).paper_data == "imagenet" else PAPER_SIGMA_SOURCE,
        planned=found.expected if found is not None else target.paper_seeds(),
        unjudged="" if comparable else why,
        first_step=found.first_lr_step if found is not None else None,
    )
    return evaluate_claim(claim, values if found is None else claim.measure(found), trained, label, judging)


def claim_command(target: Target, profile: str, verdict: Verdict, claim: Claim | None = None) -> str:
    """What runs a claim: the target where runs are missing (with --only for a net trained only on request), with
    --seeds where the planned seeds cannot resolve the paper's own gaps."""
    if verdict.seeds:
        return f"{run_command(target, profile)} --seeds {verdict.seeds}"
    if verdict.status not in (NOT_RUN, PARTIAL):
        return ""
    asked = [target.on_request()[k] for k in (claim.order if claim else ()) if k in target.on_request()]
    return run_command(target, profile) + (f" --only {asked[0]}" if asked else "")


def claim_text(claim: Claim, trained: set[str] | None = None) -> str:
    """The claim's words, what it compares and its ordering over the nets `trained` (every net of the claim: None),
    naming the nets of the paper's ordering that the profile leaves out; a check of this project's own is
    said to be one."""
    order = claim.words(claim.narrowed(claim.order if trained is None else trained), _step_text)
    left_out = [label(k) for k in sorted(claim.order, key=_depth) if trained is not None and k not in trained]
    more = f"; not trained by this profile: {', '.join(left_out)}" if left_out else ""
    own = "this project's own check, not the paper's: " if claim.own else ""
    return f"{own}{claim.says} ({claim.what()}: {order}{more})"


def _depth(key: str) -> float:
    """A net's depth (resnet110-A: 110), so that nets are named shallowest first; a key that names no net, last."""
    try:
        return parse_model_name(key.partition("-")[0]).depth
    except UserError:
        return math.inf


def _step_text(group: tuple[str, ...]) -> str:
    return label(group[0]) if len(group) == 1 else "each of " + "/".join(label(k) for k in group)


def number_scores(target: Target, found: Measured | None) -> list[Score]:
    """The paper's numbers of a target against its paper-profile runs (found: None when nothing has run)."""
    numbers = paper_numbers(target.paper_table(), get_engine(target.engine).paper_metrics, target.paper_seeds())
    section = target.title.split(":")[0] if ":" in target.title else target.name
    scores = []
    comparable, why = found.numbers_comparable() if found else (False, "")
    for number in numbers:
        what = f"{label(number.key)} {METRIC_NAMES[number.metric]} {number.describe()}"
        ours = found.per_key(number.metric).get(number.key, []) if found else []
        # with no runs of ours, evaluate_number says it is not run yet
        verdict = Verdict(NOT_COMPARABLE, why) if ours and not comparable else evaluate_number(number, ours)
        scores.append(
            Score(
                target.name,
                what,
                section,
                target.default_profile,
                verdict,
                run_command(target) if verdict.status == NOT_RUN else "",
                number=True,
            )
        )
    return scores
