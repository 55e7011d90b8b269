"""One section per target, in the targets' own order: each profile's notes, claims, numbers table and figure."""

from __future__ import annotations

import statistics
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..basics.errors import UserError
from ..basics.words import counted, human_duration
from ..claims.base import NOT_RUN, PARTIAL, Verdict
from ..claims.numbers import evaluate_number, paper_numbers
from ..engines.outputs import trained_not_measured
from ..readback.measured import Measured, data_name, measure, planned, profiles_with_results, title_for_data
from ..readback.report_parts import TESTS_THE_TOOL, ProfileSection, Score, TargetSection, mark, run_command
from ..specs.datasets import dataset_info
from ..specs.experiments import Target, is_test_profile, load_recipe_file, load_target, resolve_runs, target_names
from ..specs.registry import get_engine
from ..specs.run_id import RunId
from ..store.paths import output_dir
from ..store.results_file import DamagedFile, read_text
from .scoring import (
    claim_score,
    claim_scores,
    comparisons,
    judge_claim,
    label,
    mark_shared,
    number_scores,
)


def collect_sections(results: Path, warn: Callable[[str], None] = lambda message: None) -> list[TargetSection]:
    sections = []
    for target in _targets_in_order():
        try:
            sections.append(target_section(target, results, warn))
        except OSError as error:  # a run folder the user cannot read: this target reads as not run, and is said
            warn(f"skipped {error.filename or results}: {error.strerror}; {target.name} is shown as not run")
            sections.append(TargetSection(target, not_run=run_command(target)))
    mark_shared(all_scores(sections))
    return sections


def _targets_in_order() -> list[Target]:
    """Every target, by its file's `order:` (the paper's order, so the report reads like the paper); one's own after."""
    return sorted((load_target(name) for name in target_names()), key=lambda t: (t.order is None, t.order or 0, t.name))


def target_section(target: Target, results: Path, warn: Callable[[str], None] = lambda message: None) -> TargetSection:
    engine = get_engine(target.engine)
    own = engine.report_section(TargetSection(target), results, warn)  # a target without profiles
    if own is not None:
        return own
    section = TargetSection(target)
    default, name = target.default_profile, target.title.split(":")[0]  # the target's short name: "Table 6"
    profiles = profiles_with_results(target, results)
    for profile in profiles:
        part = _profile_section(target, measure(target, profile, results), results)
        section.profiles.append(part)
        section.scores += part.scores
    if default not in profiles:  # the claims the default profile has not checked yet: say what runs each
        trained, keys = set(target.paper_seeds()), _planned_keys(target)
        for claim in target.claims:
            verdict = judge_claim(target, claim, {}, trained, None)
            compares = comparisons(target, claim, trained, keys)
            section.scores.append(claim_score(target, claim, default, verdict, compares=compares))
    if target.paper_table():
        paper = next((p.found for p in section.profiles if p.found.profile == default), None)
        numbers = number_scores(target, paper)
        if all(s.verdict.status == NOT_RUN for s in numbers):  # one line, not one per number, until something ran
            what = f"the {counted(len(numbers), 'number')} of {name}"
            section.scores.append(Score(target.name, what, name, default, Verdict(NOT_RUN, ""), run_command(target)))
        else:
            section.scores += numbers
    section.notes += engine.report_notes(target, results)
    if not profiles:
        section.not_run = run_command(target)
    need = paper_needs(target)
    section.scores = [  # a row not run yet at the default (paper) recipe says first what running it takes
        replace(s, verdict=replace(s.verdict, detail="; ".join(p for p in (need, s.verdict.detail) if p)))
        if s.profile == default and s.verdict.status == NOT_RUN
        else s
        for s in section.scores
    ]
    for profile in trained_not_measured(target, results):  # fig7 after `run fig6 --profile cpu`: minutes, not a GPU
        waits = Verdict(NOT_RUN, "its nets are trained; measuring them takes minutes, no training")
        what = f"the claims of {name} over the {profile} profile's nets"
        tests = is_test_profile(profile)
        command = "" if tests else run_command(target, profile)  # a test profile is offered as no way to run it
        row = Score(target.name, what, name, profile, waits, command, for_tests=tests)
        measures = f"; {row.test_note}" if tests else f": `{command}` measures them (no training)"
        section.notes.append(f"Its nets are trained under the {profile} profile, not measured yet{measures}.")
        if profile != default:  # at the default, each of its claims is a row not run yet already, with this command
            section.scores.append(row)
    section.scores.sort(key=lambda s: (s.profile != default, s.profile))
    return section


def _planned_keys(target: Target) -> dict[str, str]:
    """Run name -> run key of the runs the paper profile plans ({} where they cannot be resolved)."""
    try:
        return planned(target, target.default_profile, resolve_runs(target)).keys
    except UserError:
        return {}


def _profile_section(target: Target, found: Measured, results: Path) -> ProfileSection:
    notes = _profile_notes(target, found)
    scores = claim_scores(target, found)
    folder = output_dir(results, target, found.profile)
    image = folder / f"{target.name}.png"
    # drawn from the same files, so a figure never lags behind runs another target trained; a figure that cannot be
    # drawn yet (fig7's runs trained by fig6, not measured yet) is left out, and the section says so
    with suppress(UserError):
        get_engine(target.engine).write_outputs(target, found.runs, results)
    if caption := _caption(folder / "caption.md"):
        notes.append(caption)
    if found.legacy_file is not None:
        notes.append(
            f"{found.legacy_file} was written by an older version that did not record its profile; "
            f"`{run_command(target, found.profile)}` measures it again (its runs are kept)."
        )
    return ProfileSection(found, scores, numbers_table(target, found), [image] if image.exists() else [], notes)


def _caption(path: Path) -> str | None:
    """A measuring engine's caption.md (a regular file of bounded size), None when it is absent or unusable."""
    try:
        return (read_text(path, limit=64 * 1024) or "").strip() or None
    except (OSError, DamagedFile):
        return None


def _profile_notes(target: Target, found: Measured) -> list[str]:
    notes = []
    if target.recipe:
        known = load_recipe_file(target.recipe).profiles.get(found.profile)
        if known is not None:
            notes.append(f"Profile {found.profile}: {known.description}.")
            if is_test_profile(found.profile):  # its verdicts below are no findings, and the summary counts none
                notes.append(f"Profile {found.profile} is {TESTS_THE_TOOL}; the report's counts leave them out.")
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
    elif not comparable and target.paper_table():
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


def numbers_table(target: Target, found: Measured) -> tuple[list[str], list[list[str]]]:
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
            f"{len(found.per_key(engine.seeds_metric).get(key, []))}/{found.expected.get(key, 0)}",  # seeds done/planned
            *(_mean(found.per_key(column).get(key), best=best) for _, column, best in engine.report_columns),
        ]
        if paper:
            number, ours = numbers.get(key), found.per_key(metric).get(key, [])
            row.append(number.describe() if number else "")
            if number and ours and comparable:
                verdict = evaluate_number(number, ours)
                row.append(f"{mark(verdict.status)} {verdict.status} (±{verdict.band:.2f})")
            else:
                row.append("")
        rows.append(row)
    return header, rows


def _mean(values: list[float] | None, best: bool = False) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    text = f"{statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f}"
    return f"{text} (best {min(values):.2f})" if best else text


def split_waiting(scores: list[Score]) -> tuple[list[Score], list[Score]]:
    """The rows with a verdict, and the rows still waiting for runs (with the command that runs them)."""
    checked = [s for s in scores if s.verdict.status not in (NOT_RUN, PARTIAL)]
    # a test profile's rows wait for nothing the report offers: they stay in their profile's part alone
    return checked, [s for s in scores if s not in checked and not s.for_tests]


def all_scores(sections: list[TargetSection]) -> list[Score]:
    return [score for section in sections for score in section.scores]


def heading(section: TargetSection) -> str:
    """The target's title, naming the data its results were trained on where every profile shown used one proxy."""
    datasets = _datasets(section)
    title = section.target.title
    return f"{title_for_data(title, datasets[0]) if len(datasets) == 1 else title} ({section.target.name})"


def profile_heading(section: TargetSection, part: ProfileSection) -> str:
    """A profile's part of a section, naming its data where the section's title cannot (profiles on several)."""
    data = f", on {data_name(part.found.dataset)}" if part.found.proxy and len(_datasets(section)) > 1 else ""
    return f"{section.target.name}, profile {part.found.profile}{data}"


def _datasets(section: TargetSection) -> list[str]:
    return sorted({part.found.dataset for part in section.profiles if part.found.dataset})


def result_text(s: Score) -> str:
    """A row's numbers, whether another target's row makes the same comparison on the same runs, and where a test
    profile judged it, that this says nothing of the paper."""
    return "; ".join(part for part in (s.verdict.detail, s.shared_note, s.test_note) if part)


def not_run_line(section: TargetSection) -> str:
    """A target nothing has run for, in Markdown: what running it takes, its command, and any shorter profile."""
    need = paper_needs(section.target)
    return f"Not run yet{f'; it {need}' if need else ''}: `{section.not_run}`{other_profiles(section.target)}."


def other_profiles(target: Target) -> str:
    """The profiles a user may run instead that train for fewer iterations than the default one (never the tests')."""
    if not target.recipe:
        return ""
    recipe = load_recipe_file(target.recipe)
    full = recipe.iterations(recipe.default_profile) if recipe.default_profile else None
    if full is None:
        return ""
    shorter = (p for p in recipe.profiles.values() if not (p.default or p.for_tests))
    others = [p.name for p in shorter if (length := recipe.iterations(p.name)) is not None and length < full]
    if not others:
        return ""
    return " (or a shorter profile: " + ", ".join(f"`--profile {p}`" for p in others) + ")"


def needs_imagenet(target: Target) -> bool:
    """Whether the target's paper numbers are measured on ImageNet (class folders a user supplies; no download)."""
    paper_data = get_engine(target.engine).paper_data
    return bool(paper_data) and dataset_info(paper_data).class_folders


def paper_needs(target: Target) -> str:
    """What running a target at the paper's recipe takes, said before its command: data, hardware, time."""
    if not get_engine(target.engine).trains:
        return ""
    if needs_imagenet(target):
        return "needs ImageNet (you supply it: it cannot be downloaded) and GPUs for days"
    return "needs CIFAR-10 (`--download` fetches it) and a GPU for hours"


def target_of_run(name: str, started_by: str | None = None) -> tuple[Target, str] | None:
    """The target whose profile trains run `name`, and that profile: the command that continues an unfinished run.
    The target the run's own command ran (`started_by`) where it trains the run; else, of the targets that share
    it, the one that trains the most runs (the first in the report's order on a tie): a run of fig1's and fig6's is
    continued by fig6's command, which finishes fig1's runs too, and not the other way. None for a run no target
    lists (a folder of an older version, a --set variant)."""
    try:
        run_id = RunId.parse(name)
    except UserError:
        return None
    if run_id.tag is not None:
        return None
    found, most = None, 0
    for target in _targets_in_order():
        if target.recipe and run_id.profile in load_recipe_file(target.recipe).profiles:
            runs = [run.name for run in resolve_runs(target, run_id.profile)]
            if name in runs and target.name == started_by:
                return target, run_id.profile
            if name in runs and len(runs) > most:
                found, most = (target, run_id.profile), len(runs)
    return found
