"""The combined report: does the paper hold on this hardware? As results/REPORT.md and a self-contained REPORT.html.

It opens with a scoreboard: one row per claim of the paper (an ordering between nets) and per paper number,
across every target, run or not, each with its verdict against the seed noise (claims.py). Then one section
per target: for each profile that has results, what made them (profile, deviations, data actually used,
hardware, compute time), the claims, the numbers with their noise band, and the figure.

Reads CSV and JSON only (no torch). Each profile's table and figure are redrawn from the same files first, so
none lags behind runs that another target trained (fig1 shares fig6's nets) or that an older version drew.
"""

from __future__ import annotations

import base64
import html
import os
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .claims import (
    AT_MOST,
    BORROWED_SIGMA_SOURCE,
    CURVE,
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
    Claim,
    Verdict,
    claim_pairs,
    claim_paper_values,
    evaluate_claim,
    evaluate_curve,
    evaluate_number,
    paper_numbers,
)
from .errors import UserError
from .experiments import Target, load_recipe_file, load_target, resolve_runs, target_names
from .naming import parse_model_name
from .registry import get_engine
from .report_parts import ProfileSection, Score, TargetSection, mark, run_command
from .run_id import RunId, RunStatus, final_status
from .store.estimate import human_duration
from .store.layout import default_results_dir, read_json, write_atomic
from .store.measured import Measured, data_name, measure, profiles_with_results, title_for_data
from .store.paths import output_dir
from .words import agreeing, counted

# The paper's order, so the scoreboard reads like the paper; targets of one's own come after.
PAPER_ORDER = ["table1", "fig1", "table2", "fig4", "table3", "table4", "table6", "fig6", "fig7", "gradflow"]
COLOURS = {
    HOLDS: "#1a7f37",
    FAILS: "#cf222e",
    NOISE: "#9a6700",
    NOT_RUN: "#57606a",
    PARTIAL: "#57606a",
    NOT_COMPARABLE: "#57606a",
}


def label(key: str) -> str:
    """resnet20 -> ResNet-20, plain56 -> plain-56, resnet34-B -> ResNet-34 B (the paper's names)."""
    model, _, shortcut = key.partition("-")
    try:
        name = parse_model_name(model)
    except UserError:
        return key
    text = f"{'ResNet' if name.residual else 'plain'}-{name.depth}"
    return f"{text} {shortcut}" if shortcut else text


# ----------------------------------------------------------------------------- evaluating


def claim_scores(target: Target, found: Measured) -> list[Score]:
    """Every claim under one profile; claims whose nets the profile does not train are left out."""
    scores = []
    for claim in target.claims:
        if sum(key in found.trained_keys for key in claim.order) < claim.needs:
            continue
        verdict = judge_claim(target, claim, found.per_key(claim.metric), found.trained_keys, found)
        why_short = claim.too_short(found.profile)
        if why_short and verdict.status != HOLDS:  # the reason beside the verdict, which stays as measured
            verdict = replace(verdict, detail=f"{verdict.detail}; this profile is too short for it: {why_short}")
        scores.append(
            Score(
                target.name,
                claim_text(claim, found.trained_keys),
                claim.section,
                found.profile,
                verdict,
                claim_command(target, found.profile, verdict),
                compares=comparisons(target, claim, found.trained_keys, found.keys),
            )
        )
    return scores


def comparisons(target: Target, claim: Claim, trained: set[str], keys: dict[str, str]) -> frozenset:
    """What a claim compares, by run: (metric, one net's run folders, the next net's), for each pair it checks.
    keys: run name -> run key. Targets share runs (fig1 and fig6 train the same plain-20), so two targets' rows
    with the same comparisons are one finding; the same runs tested another way (Table 4's multi-scale test
    against Table 3's 10-crop) are not."""
    table = target.section("table")
    metric = f"{claim.metric} {table.protocol or ''}".strip() if table is not None else claim.metric
    metric += f" {claim.over}"  # a final number and a whole curve are two comparisons
    # an order, an equality and the size of a gap are three findings on the same pair of runs
    metric += f" {claim.relation} {claim.gap or ''} {claim.below if claim.below is not None else ''}".rstrip()
    runs: dict[str, list[str]] = {}
    for name, key in keys.items():
        runs.setdefault(key, []).append(name)
    # a bound compares each net with the paper's number, not with another net
    pairs = claim_pairs(claim, trained) if claim.below is None else [(k, "") for k in claim.order if k in trained]
    return frozenset(
        (metric, tuple(sorted(runs.get(low, ()))), tuple(sorted(runs.get(high, ())))) for low, high in pairs
    )


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


def judge_claim(
    target: Target,
    claim: Claim,
    values: dict,
    trained: set[str],
    found: Measured | None,
    planned: dict | None = None,
    proxy: bool = False,
) -> Verdict:
    """A claim's verdict, with the sigma it used named and, where the paper's own gaps are inside the band at the
    seeds planned, the seeds that would resolve them (never on proxy data: the paper's gaps are not its gaps)."""
    if claim.over == CURVE:
        return evaluate_curve(claim, found.curves if found is not None else {}, trained, label)
    if claim.over in (LAYERS, RANKS):
        layers = found.layers if found is not None else {}
        if claim.over == RANKS:  # Fig. 7 (bottom): each net's stds sorted in descending order, compared rank by rank
            layers = {key: [_ranked(seed) for seed in seeds] for key, seeds in layers.items()}
        return evaluate_curve(claim, layers, trained, label)
    imagenet = get_engine(target.engine).paper_data == "imagenet"
    proxy = proxy or (found is not None and found.proxy)
    paper = {} if proxy else claim_paper_values(claim, target.paper_table())
    planned = found.expected if found is not None else planned or target.paper_seeds()
    source = BORROWED_SIGMA_SOURCE if imagenet else PAPER_SIGMA_SOURCE
    return evaluate_claim(claim, values, trained, label, paper, source, planned)


def _ranked(stds_by_layer: dict[int, float]) -> dict[int, float]:
    return dict(enumerate(sorted(stds_by_layer.values(), reverse=True), start=1))


def claim_command(target: Target, profile: str, verdict: Verdict) -> str:
    """What runs a claim: the target where runs are missing, with --seeds where the planned seeds cannot resolve
    the paper's own gaps."""
    if verdict.seeds:
        return f"{run_command(target, profile)} --seeds {verdict.seeds}"
    return run_command(target, profile) if verdict.status in (NOT_RUN, PARTIAL) else ""


def claim_text(claim: Claim, trained: set[str] | None = None) -> str:
    """The claim's words, the metric and its ordering over the nets `trained` (every net of the claim: None),
    naming the nets of the paper's ordering that the profile leaves out; a check of this project's own is
    said to be one."""
    steps = [tuple(k for k in g if trained is None or k in trained) for g in claim.steps]
    joint = {AT_MOST: " ≤ ", LEVEL: " ≈ "}.get(claim.relation, " < ")
    order = joint.join(_step_text(g) for g in steps if g)
    if claim.gap is not None:
        order += f" by {claim.gap:g}"
    if claim.below is not None:
        order = ", ".join(f"{_step_text(g)} < {claim.below:g}" for g in steps if g)
    left_out = [label(k) for k in claim.order if trained is not None and k not in trained]
    more = f"; not trained by this profile: {', '.join(left_out)}" if left_out else ""
    own = "this project's own check, not the paper's: " if claim.own else ""
    curve = {CURVE: " at every log window", LAYERS: " layer by layer", RANKS: " sorted, rank by rank"}.get(
        claim.over, ""
    )
    metric = "response std" if claim.over in (LAYERS, RANKS) else METRIC_NAMES[claim.metric]  # each, not the mean
    return f"{own}{claim.says} ({metric}{curve}: {order}{more})"


def _step_text(group: tuple[str, ...]) -> str:
    return label(group[0]) if len(group) == 1 else "each of " + "/".join(label(k) for k in group)


def number_scores(target: Target, found: Measured | None) -> list[Score]:
    """The paper's numbers of a target against its paper-profile runs (found: None when nothing has run)."""
    metrics = get_engine(target.engine).paper_metrics
    numbers = paper_numbers(target.paper_table(), metrics, target.paper_seeds())
    section = target.title.split(":")[0] if ":" in target.title else target.name
    scores = []
    comparable, why = found.numbers_comparable() if found else (False, "")
    for number in numbers:
        what = f"{label(number.key)} {METRIC_NAMES[number.metric]} {number.describe()}"
        ours = found.per_key(number.metric).get(number.key, []) if found else []
        if not ours:
            verdict = Verdict(NOT_RUN, "")
        elif not comparable:
            verdict = Verdict(NOT_COMPARABLE, why)
        else:
            verdict = evaluate_number(number, ours)
        scores.append(
            Score(
                target.name,
                what,
                section,
                "paper",
                verdict,
                run_command(target, "paper") if verdict.status == NOT_RUN else "",
                number=True,
            )
        )
    return scores


def collect_sections(results: Path, warn: Callable[[str], None] = lambda message: None) -> list[TargetSection]:
    names = target_names()
    ordered = [n for n in PAPER_ORDER if n in names] + [n for n in names if n not in PAPER_ORDER]
    sections = []
    for name in ordered:
        target = load_target(name)
        try:
            sections.append(target_section(target, results, warn))
        except OSError as error:  # a run folder the user cannot read: this target reads as not run, and is said
            warn(f"skipped {error.filename or results}: {error.strerror}; {name} is shown as not run")
            sections.append(TargetSection(target, not_run=run_command(target, "paper")))
    mark_shared(_all_scores(sections))
    return sections


def target_section(target: Target, results: Path, warn: Callable[[str], None] = lambda message: None) -> TargetSection:
    engine = get_engine(target.engine)
    own = engine.report_section(TargetSection(target), results, warn)  # a target without profiles
    if own is not None:
        return own
    section = TargetSection(target)
    profiles = profiles_with_results(target, results)
    for profile in profiles:
        found = measure(target, profile, results)
        section.profiles.append(_profile_section(target, found, results))
    for claim in target.claims:  # a claim the paper recipe has not checked yet: say what runs it
        if "paper" not in profiles:
            trained = set(target.paper_seeds())
            verdict = judge_claim(target, claim, {}, trained, None)
            section.scores.append(
                Score(
                    target.name,
                    claim_text(claim),
                    claim.section,
                    "paper",
                    verdict,
                    claim_command(target, "paper", verdict),
                    compares=comparisons(target, claim, trained, _planned_keys(target)),
                )
            )
    for part in section.profiles:
        section.scores += part.scores
    if _paper_table(target):
        paper = next((p.found for p in section.profiles if p.profile == "paper"), None)
        numbers = number_scores(target, paper)
        if all(s.verdict.status == NOT_RUN for s in numbers):  # one line, not one per number, until something ran
            section.scores.append(
                Score(
                    target.name,
                    f"the {counted(len(numbers), 'number')} of {target.title.split(':')[0]}",
                    target.title.split(":")[0],
                    "paper",
                    Verdict(NOT_RUN, ""),
                    run_command(target, "paper"),
                )
            )
        else:
            section.scores += numbers
    section.notes += engine.report_notes(target, results)
    if not profiles:
        section.not_run = run_command(target, "paper")
    section.scores.sort(key=lambda s: (s.profile != "paper", s.profile))
    return section


def _planned_keys(target: Target) -> dict[str, str]:
    """Run name -> run key of the runs the paper profile plans ({} where they cannot be resolved)."""
    try:
        return {run.name: target.run_key(run.model, run.shortcut) or run.model for run in resolve_runs(target)}
    except UserError:
        return {}


def _profile_section(target: Target, found: Measured, results: Path) -> ProfileSection:
    notes = _profile_notes(target, found)
    scores = claim_scores(target, found)
    folder = output_dir(results, target, found.profile)
    image = folder / f"{target.name}.png"
    _draw(target, found, results)  # from the same files, so a figure never lags behind runs another target trained
    caption = folder / "caption.md"
    if caption.exists():
        notes.append(caption.read_text().strip())
    if found.legacy_file is not None:
        notes.append(
            f"{found.legacy_file} was written by an older version that did not record its profile; "
            f"`{run_command(target, found.profile)}` measures it again (its runs are kept)."
        )
    return ProfileSection(
        found.profile, found, scores, _numbers_table(target, found), [image] if image.exists() else [], notes
    )


def _draw(target: Target, found: Measured, results: Path) -> None:
    try:
        get_engine(target.engine).write_outputs(target, found.runs, results)
    except UserError:  # e.g. fig7 runs trained (by fig6) but not measured yet: the section says so
        pass


def _profile_notes(target: Target, found: Measured) -> list[str]:
    notes = []
    if target.recipe:
        known = load_recipe_file(target.recipe).profiles.get(found.profile)
        if known is not None:
            notes.append(f"Profile {found.profile}: {known.description}.")
            notes += [f"Deviation from the paper: {d}." for d in known.deviations]
    info = found.data_info
    if found.dataset:
        used = data_name(found.dataset)
        if info.get("train_images"):
            used += f", {info['train_images']:,} training / {info['test_images']:,} test images"
        if info.get("folder"):
            used += f", from {info['folder']}"
        if info.get("official_checksums") is True:
            used += " (the official files, checksums verified)"
        notes.append(f"Data: {used}.")
    comparable, why = found.numbers_comparable()
    if found.proxy:
        notes.append(f"{why[0].upper()}{why[1:]}.")
    elif not comparable and _paper_table(target):
        notes.append(f"Numbers shown without a verdict against the paper: {why}.")
    notes += [f"Damaged: {note}." for note in found.damaged]
    if found.mixed_threads:
        notes.append(
            "CPU thread counts changed while training (oneDNN rounds differently on each count, so these runs' last "
            f"digits are not those of one count; `--threads N` pins it): {'; '.join(found.mixed_threads)}."
        )
    hardware = ", ".join(sorted(found.devices)) or "unknown (no meta.json)"
    runs = f"{found.finished} of {counted(len(found.runs), 'run')} finished"
    notes.append(
        f"Hardware: {hardware}. Compute: {runs}, {human_duration(found.wall_s)} of training "
        f"(runs shared with other targets count in each)."
    )
    return notes


def _paper_table(target: Target) -> dict:
    """The paper's numbers per net of a target's `table:` section ({} without one)."""
    table = target.section("table")
    return table.paper if table is not None else {}


def _numbers_table(target: Target, found: Measured) -> tuple[list[str], list[list[str]]]:
    """One row per net: seeds done, the engine's columns (a mean, and the best seed where it says), and where the
    engine judges paper numbers, the paper's number and our verdict against it."""
    engine = get_engine(target.engine)
    keys = list(dict.fromkeys(found.keys.values()))
    comparable, _ = found.numbers_comparable()
    paper = target.paper_table() if not found.proxy and engine.paper_metrics else {}
    metric = engine.paper_metrics[0] if engine.paper_metrics else ""
    numbers = {n.key: n for n in paper_numbers(paper, (metric,), target.paper_seeds()) if n.kind != "best"}
    header = ["net", "seeds", *(heading for heading, _, _ in engine.report_columns)]
    if paper:
        header += ["paper", "verdict (band)"]
    rows = []
    for key in keys:
        row = [
            label(key),
            _seeds(found, key),
            *(_mean(found.per_key(column).get(key), best=best) for _, column, best in engine.report_columns),
        ]
        if paper:
            number, ours = numbers.get(key), found.per_key(metric).get(key, [])
            row.append(number.describe() if number else "")
            if number and ours and comparable:
                verdict = evaluate_number(number, ours)
                band = verdict.detail.split("(")[-1].rstrip(")") if "±" in verdict.detail else ""
                row.append(f"{mark(verdict.status, number=True)} {verdict.status} ({band.split(';')[0]})")
            else:
                row.append("")
        rows.append(row)
    return header, rows


def _seeds(found: Measured, key: str) -> str:
    done = len(found.per_key(get_engine(found.target.engine).seeds_metric).get(key, []))
    return f"{done}/{found.expected.get(key, 0)}"


def _mean(values: list[float] | None, best: bool = False) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    text = f"{statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f}"
    return f"{text} (best {min(values):.2f})" if best else text


def compute_summary(results: Path, warn: Callable[[str], None] = lambda message: None) -> dict:
    """Hardware and total compute time over every run folder; a damaged file is skipped, and said."""
    devices, wall, finished, failed, unfinished, overridden = set(), 0.0, 0, 0, 0, 0
    for meta_path in _meta_files(results / "runs", warn):
        meta = read_json(meta_path)
        if not isinstance(meta, dict):
            warn(f"skipped {meta_path}: unreadable or not JSON (a copy cut short?)")
            continue
        devices.add(meta.get("device_name", "unknown"))
        overridden += _overridden(meta_path.parent, results / "runs")  # --set runs: not on the scoreboard
        final_path = meta_path.parent / "final.json"
        final = read_json(final_path) if final_path.exists() else None
        if final_path.exists() and not isinstance(final, dict):
            warn(f"skipped {final_path}: unreadable or not JSON; the run counts as unfinished")
        if isinstance(final, dict):
            wall += final.get("wall_s") or 0.0
            finished += final_status(final) is RunStatus.FINISHED
            failed += final_status(final) is RunStatus.FAILED
        else:
            unfinished += 1
    return {
        "devices": sorted(devices),
        "wall_s": wall,
        "finished": finished,
        "failed": failed,
        "unfinished": unfinished,
        "overridden": overridden,
        "elsewhere": None if _is_default_folder(results) else str(results),
    }


def _overridden(folder: Path, runs: Path) -> bool:
    """Whether a run folder holds a run with --set overrides (a tagged profile folder, paper~3f2a1c)."""
    try:
        return RunId.parse(folder.relative_to(runs).as_posix()).tag is not None
    except UserError:  # not a run folder's shape: counted, but not as overridden
        return False


def _is_default_folder(results: Path) -> bool:
    try:
        return Path(results).resolve() == default_results_dir().resolve()
    except OSError:
        return False


def _meta_files(runs: Path, warn: Callable[[str], None]):
    """Every run's meta.json; a folder that cannot be read is skipped and said (rglob would skip it silently)."""
    if not runs.is_dir():
        return
    for folder, _, files in os.walk(runs, onerror=lambda error: warn(f"skipped {error.filename}: {error.strerror}")):
        if "meta.json" in files:
            yield Path(folder) / "meta.json"


# ----------------------------------------------------------------------------- writing


def write_report(results: Path, warn: Callable[[str], None] = lambda message: None) -> tuple[Path, Path, int]:
    sections = collect_sections(results, warn)
    summary = compute_summary(results, warn)
    write_atomic(results / "REPORT.md", _markdown(sections, summary))
    write_atomic(results / "REPORT.html", _html(sections, summary))
    return (
        results / "REPORT.md",
        results / "REPORT.html",
        sum(bool(s.profiles or s.table or s.images) for s in sections),
    )


def _summary_lines(summary: dict, scores: list[Score]) -> list[str]:
    def tally(rows: list[Score], words: dict[str, tuple[str, str]]) -> str:
        """How many rows have each status, each with its words for one row and for several."""
        counts = [(sum(s.verdict.status == status for s in rows), forms) for status, forms in words.items()]
        return ", ".join(f"{count} {agreeing(count, *forms)}" for count, forms in counts if count) or "none checked yet"

    repeated = sum(not s.counted for s in scores)
    scores = [s for s in scores if s.counted]  # a comparison two targets make on the same runs is one finding
    claims = [s for s in scores if not s.number]
    numbers = [s for s in scores if s.number]
    waiting = sum(s.verdict.status in (NOT_RUN, PARTIAL) for s in scores)
    claim_words = {HOLDS: ("holds", "hold"), FAILS: ("does not hold", "do not hold"), NOISE: ("within noise",) * 2}
    number_words = {NOISE: ("within seed noise",) * 2, FAILS: ("outside it",) * 2}
    lines = [
        f"Claims: {tally(claims, claim_words)}. "
        f"Paper numbers: {tally(numbers, number_words)}. "
        f"Not (all) run yet: {waiting} of {counted(len(scores), 'row')}."
        + (
            f" {counted(repeated, 'row')} {agreeing(repeated, 'repeats', 'repeat')} another target's comparison on "
            f"the same runs, counted once."
            if repeated
            else ""
        )
    ]
    if not summary["devices"]:
        lines.append(
            "No results yet: run a target first, e.g. `resnet-repro run fig6 --profile cpu` (Fashion-MNIST, "
            "minutes on a CPU) or `resnet-repro run table1` (seconds)."
        )
    lines += [
        f"Hardware: {', '.join(summary['devices']) or 'no training runs yet'}.",
        f"Compute: {counted(summary['finished'], 'finished run')}, {summary['wall_s'] / 3600:.2f} h of training "
        "summed over the runs (runs trained at once, packed or as jobs, overlap in wall time)"
        + (
            f"; {counted(summary['overridden'], 'run')} with `--set` overrides among them (their own tables, "
            "not the scoreboard's)."
            if summary.get("overridden")
            else "."
        ),
    ]
    if summary.get("elsewhere"):  # the commands above name no folder: they would run into ./results
        lines.append(
            f"This report's folder is {summary['elsewhere']}: add `--results {summary['elsewhere']}` to its commands."
        )
    if summary["failed"] or summary["unfinished"]:
        lines.append(
            f"Also: {summary['failed']} failed and {counted(summary['unfinished'], 'unfinished run')} "
            f"(`resnet-repro run TARGET` continues them)."
        )
    return lines


RULES = (
    "How verdicts are made: a claim orders nets by a measured number; each adjacent pair holds when the gap "
    "exceeds two standard deviations of the difference of the seed means, does not hold when it is that far "
    "the other way, and is within noise otherwise (one run each: a band of 2·√2·σ = ±0.45 points); a claim the "
    "paper makes of a gap it calls marginal (≤) holds unless the order is reversed by more than the band; one of "
    "equality (≈) holds when every gap is inside the band and does not hold otherwise; the size of a gap the paper "
    "states (by 3.5) holds when the measured gap is within the band of the paper's; a bound (< 0.1) holds when our "
    "mean is below it and does not hold when it is above it by more than the band of that mean; one "
    '"throughout training" holds where the file\'s share of log windows is in order. Where '
    "the paper's own gap is inside the band, a row says how many seeds per net resolve it, and the command that "
    "trains them. Training "
    "error is a run's mean over its last 10% of iterations; test error, the final iteration's. A paper "
    f"number is matched in like terms (our mean against its single run or mean, our best of n against its "
    f"best of 5, said so). σ is {PAPER_SIGMA_SOURCE} (ImageNet claims borrow it: the paper gives no ImageNet "
    "spread) unless seeds trained here spread more; each row says which. Proxy data "
    "(Fashion-MNIST) check orderings only, never numbers against CIFAR-10's."
)


def _split(scores: list[Score]) -> tuple[list[Score], list[Score]]:
    """The rows with a verdict, and the rows still waiting for runs (with the command that runs them)."""
    waiting = [s for s in scores if s.verdict.status in (NOT_RUN, PARTIAL)]
    return [s for s in scores if s not in waiting], waiting


def _all_scores(sections: list[TargetSection]) -> list[Score]:
    return [score for section in sections for score in section.scores]


def _heading(target: Target) -> str:
    return f"{target.title} ({target.name})"


def _markdown(sections: list[TargetSection], summary: dict) -> str:
    scores = _all_scores(sections)
    checked, waiting = _split(scores)
    out = [
        "# Does the paper hold here? He et al. 2015, Deep Residual Learning, reproduced",
        "",
        *[f"{line}  " for line in _summary_lines(summary, scores)],
        "",
        RULES,
        "",
        "## Scoreboard",
        "",
        "### Checked here",
        "",
    ]
    if checked:
        out += ["| target | the paper says | profile | result | verdict |", "|---|---|---|---|---|"]
    else:
        out.append("Nothing yet.")
    for s in checked:
        out.append(
            f"| {s.target} | {_md(s.what)} <br><sub>{_md(s.section)}</sub> | {s.profile} | "
            f"{_md(_result(s))}{_md_seeds(s)} | {s.mark} {s.verdict.status} |"
        )
    out += ["", "### Not run yet", "", "| target | the paper says | profile | what runs it |", "|---|---|---|---|"]
    for s in waiting:
        out.append(
            f"| {s.target} | {_md(s.what)} <br><sub>{_md(s.section)}</sub> | {s.profile} | "
            f"{_md(_result(s) + '; ' if _result(s) else '')}`{s.command}` |"
        )
    for section in sections:
        out += ["", f"## {_heading(section.target)}", ""]
        if section.not_run:
            out.append(f"Not run yet: `{section.not_run}`{_other_profiles(section.target)}.")
        out += [f"- {_md(note)}" for note in section.notes]
        if section.table:
            out += ["", *_md_table(*section.table)]
        out += [f"![{section.target.name}]({p.relative_to(p.parents[1]).as_posix()})" for p in section.images]
        for part in section.profiles:
            out += ["", f"### {section.target.name}, profile {part.profile}", ""]
            out += [f"- {_md(note)}" for note in part.notes]
            if part.scores:
                out += ["", "| the paper says | result | verdict |", "|---|---|---|"]
                out += [
                    f"| {_md(s.what)} | {_md(s.verdict.detail or s.command)}{_md_seeds(s)} | {s.mark} {s.verdict.status} |"
                    for s in part.scores
                ]
            if part.table[1]:
                out += ["", *_md_table(*part.table)]
            out += ["", *[f"![{section.target.name} {part.profile}]({_relative(p, section)})" for p in part.images]]
    return "\n".join(out) + "\n"


def _result(s: Score) -> str:
    """A row's numbers, and whether another target's row makes the same comparison on the same runs."""
    return "; ".join(part for part in (s.verdict.detail, s.shared_note) if part)


def _md_seeds(s: Score) -> str:
    """The command that trains the seeds a row says would resolve the paper's gap."""
    return f": `{s.command}`" if s.verdict.seeds and s.command else ""


def _relative(path: Path, section: TargetSection) -> str:
    parts = path.parts
    index = len(parts) - 1 - parts[::-1].index(section.target.name)
    return "/".join(parts[index:])


def _other_profiles(target: Target) -> str:
    if not target.recipe:
        return ""
    others = [p for p in load_recipe_file(target.recipe).profiles if p not in ("paper", "smoke")]
    if not others:
        return ""
    return " (or a shorter profile: " + ", ".join(f"`--profile {p}`" for p in others) + ")"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *["| " + " | ".join(_md(c) for c in row) + " |" for row in rows],
    ]


STYLE = """
body{font:15px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;max-width:1180px;margin:0 auto;
padding:12px 16px;color:#1f2328}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;
margin-top:1.6em}h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.5em 0;table-layout:auto}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;white-space:nowrap;overflow-wrap:normal}td.num{text-align:right;white-space:nowrap}
.verdict{font-weight:600;color:#fff;border-radius:10px;padding:1px 8px;font-size:.9em;display:inline-block}
td.key{white-space:nowrap}.where{color:#57606a;font-size:.85em}
.rules,.notes{color:#3d444d;font-size:.93em}.notes li{margin:.15em 0}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:.9em;white-space:nowrap}
img{max-width:100%;height:auto;border:1px solid #eee}
@media (max-width:760px){
 table,thead,tbody,tr,td,th{display:block;width:auto}thead tr{display:none}
 tr{border:1px solid #d0d7de;margin:.5em 0;padding:.2em 0}td{border:none;padding:2px 8px;text-align:left}
 td.num{text-align:left;white-space:normal}code{white-space:normal}
 td::before{content:attr(data-label) ": ";font-weight:600;color:#57606a}
}
"""


def _html(sections: list[TargetSection], summary: dict) -> str:
    scores = _all_scores(sections)
    body = ["<h1>Does the paper hold here? He et al. 2015, <i>Deep Residual Learning</i>, reproduced</h1>"]
    body += [f"<p>{_inline(line)}</p>" for line in _summary_lines(summary, scores)]
    body.append(f"<p class='rules'>{html.escape(RULES)}</p><h2>Scoreboard</h2>")
    body += _html_scoreboard(scores)
    for section in sections:
        body += _html_target(section)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>resnet-repro report</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _html_scoreboard(scores: list[Score]) -> list[str]:
    """The claims checked here, with their verdicts, then the ones waiting for runs, with the command."""
    checked, waiting = _split(scores)
    rows = [_html_score_row(s, _html_detail(s), _badge(s)) for s in checked]
    header = ["target", "the paper says", "profile", "result", "verdict"]
    body = ["<h3>Checked here</h3>", _html_table(header, rows) if rows else "<p>Nothing yet.</p>"]
    rows = [_html_score_row(s, _html_waiting(s)) for s in waiting]
    body += ["<h3>Not run yet</h3>", _html_table(["target", "the paper says", "profile", "what runs it"], rows)]
    return body


def _html_score_row(s: Score, *cells: str) -> list[str]:
    """A scoreboard row: the target (a link to its section), what the paper says, the profile, then `cells`."""
    claim = f"{html.escape(s.what)}<div class='where'>{html.escape(s.section)}</div>"
    return [f"<a href='#{s.target}'>{s.target}</a>", claim, html.escape(s.profile), *cells]


def _html_detail(s: Score) -> str:
    """A checked row's numbers, and the command that trains the seeds it says would resolve the paper's gap."""
    seeds = f": <code>{html.escape(s.command)}</code>" if s.verdict.seeds and s.command else ""
    return html.escape(_result(s)) + seeds


def _html_waiting(s: Score) -> str:
    """What a claim still waits for, and the command that runs it."""
    detail = html.escape(_result(s)) + "<br>" if _result(s) else ""
    return f"{detail}<code>{html.escape(s.command)}</code>"


def _html_target(section: TargetSection) -> list[str]:
    """One target's section: what is not run yet, its notes, table and figures, then each profile's part."""
    body = [f"<h2 id='{section.target.name}'>{html.escape(_heading(section.target))}</h2>"]
    if section.not_run:
        body.append(
            f"<p>Not run yet: <code>{html.escape(section.not_run)}</code>"
            f"{_inline(_other_profiles(section.target))}.</p>"
        )
    body.append(_html_notes(section.notes))
    if section.table:
        body.append(_html_table(*section.table))
    body += [_html_image(p) for p in section.images]
    for part in section.profiles:
        body.append(f"<h3>{html.escape(section.target.name)}, profile {html.escape(part.profile)}</h3>")
        body.append(_html_notes(part.notes))
        if part.scores:
            rows = [
                [html.escape(s.what), _html_detail(s) if s.verdict.detail else _html_waiting(s), _badge(s)]
                for s in part.scores
            ]
            body.append(_html_table(["the paper says", "result", "verdict"], rows))
        if part.table[1]:
            header, table_rows = part.table
            body.append(_html_table(header, [[html.escape(c) for c in row] for row in table_rows]))
        body += [_html_image(p) for p in part.images]
    return body


def _inline(text: str) -> str:
    """Markdown's `code` spans as <code>, everything else escaped."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


SYMBOLS = {"✅": "✓", "❌": "✗", "🟡": "≈", "⏳": "…", "➖": "–"}  # drawn by every font, emoji or not


def _badge(score: Score) -> str:
    status = score.verdict.status
    colour = COLOURS[HOLDS] if score.mark == "✅" else COLOURS[status]
    return (
        f"<span class='verdict' style='background:{colour}'>{SYMBOLS[score.mark]}&nbsp;"
        f"{html.escape(status).replace(' ', '&nbsp;')}</span>"
    )


def _html_notes(notes: list[str]) -> str:
    if not notes:
        return ""
    return "<ul class='notes'>" + "".join(f"<li>{_inline(n)}</li>" for n in notes) + "</ul>"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    """Cells already escaped. Each cell carries its column name, so on a phone the rows stack as labelled blocks."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td data-label='{html.escape(h)}'{_cls(c)}>{c}</td>" for h, c in zip(header, row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cls(cell: str) -> str:
    if cell.startswith(("<a href='#", "<span class='verdict'")) or cell in (
        "paper",
        "quick",
        "cpu",
        "smoke",
        "paper-steps",
        "—",
    ):
        return " class='key'"  # short keys: never broken over two lines
    stripped = cell.replace(",", "").replace(".", "").replace("/", "").replace(" G", "").replace(" ", "")
    return " class='num'" if stripped.isdigit() else ""


def _html_image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()  # inlined, so the file can be shared alone
    return f"<p><img alt='{html.escape(path.stem)}' src='data:image/png;base64,{data}'></p>"


# ----------------------------------------------------------------------------- the console, after `run`


def console_summary(target: Target, profile: str, results: Path) -> list[str]:
    """What `run` ends with: the target's claims with verdicts, each net's training and test error."""
    found = measure(target, profile, results)
    lines = [f"{title_for_data(target.title, found.dataset)} ({target.name}), profile {profile}"]
    for score in claim_scores(target, found):
        lines.append(f"  {score.mark} {score.verdict.status}: {score.what}")
        if score.verdict.detail:
            lines.append(f"      {score.verdict.detail}")
        if score.verdict.seeds:
            lines.append(f"      {score.verdict.seeds} seeds per net: {score.command}")
    header, rows = _numbers_table(target, found)
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)))
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    comparable, why = found.numbers_comparable()
    if found.proxy:
        lines.append(f"  {why}")
    return lines
