"""The report's opening lines: the scoreboard's tally, hardware and compute over every run folder, and the rules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..basics.errors import UserError
from ..basics.words import agreeing, counted
from ..claims.base import FAILS, HOLDS, NOISE, NOT_RUN, PAPER_SIGMA_SOURCE, PARTIAL, REPRODUCED
from ..readback.report_parts import TESTS_THE_TOOL, Score, TargetSection, run_command
from ..specs.registry import get_engine
from ..specs.run_id import RunId, RunStatus, final_status
from ..store.layout import default_results_dir
from ..store.lock import is_training
from ..store.results_file import DamagedFile, MalformedFile, read_json_record
from .sections import needs_imagenet, target_of_run


def compute_summary(results: Path, warn: Callable[[str], None] = lambda message: None) -> dict:
    """Hardware and total compute time over every run folder; a damaged file is skipped, and said."""
    devices, wall, finished, failed, overridden = set(), 0.0, 0, 0, 0
    started_by: dict[str, str | None] = {}  # each unfinished run -> the target its command named
    running: list[str] = []  # runs without a final record that a process is training now (it holds their lock)
    for meta_path in _meta_files(results / "runs", warn):
        meta = _record(meta_path, warn, "")
        if meta is None:
            continue
        run = meta_path.parent.relative_to(results / "runs").as_posix()  # cifar10/plain-20/cpu/seed0
        devices.add(meta.get("device_name", "unknown"))
        overridden += _overridden(run)  # --set runs: not on the scoreboard
        final = _record(meta_path.parent / "final.json", warn, "; the run counts as unfinished")
        if final is not None:
            wall += final.get("wall_s") or 0.0
            finished += final_status(final) is RunStatus.FINISHED
            failed += final_status(final) is RunStatus.FAILED
        elif is_training(meta_path.parent):
            running.append(run)
        else:
            started_by[run] = _target_named(meta.get("command"))
    return {
        "devices": sorted(devices),
        "wall_s": wall,
        "finished": finished,
        "failed": failed,
        "unfinished": len(started_by),
        "unfinished_runs": sorted(started_by),
        "started_by": started_by,
        "running_runs": sorted(running),
        "overridden": overridden,
        "elsewhere": None if _is_default_folder(results) else str(results),
    }


def _target_named(command) -> str | None:
    """The target a run's recorded command ran (`resnet-repro run fig6 --profile cpu`: fig6): the same command
    continues it. Only a word a target may be named by is kept; the report checks that the target trains the run."""
    words = command.split() if isinstance(command, str) else []
    named = words[words.index("run") + 1] if "run" in words[:-1] else ""
    return named if named.replace("-", "").replace("_", "").isalnum() else None


def _record(path: Path, warn: Callable[[str], None], consequence: str) -> dict | None:
    """A run's JSON record, None (and said, unless it is simply absent) when it cannot be used."""
    try:
        return read_json_record(path)
    except MalformedFile:
        warn(f"skipped {path}: unreadable or not JSON (a copy cut short?){consequence}")
    except DamagedFile as damage:
        warn(f"skipped {path}: it {damage.reason}{consequence}")
    except OSError as error:
        warn(f"skipped {path}: {error.strerror or error}{consequence}")
    return None


def _overridden(run: str) -> bool:
    """Whether a run folder (its name under runs/) holds a run with --set overrides (a tagged profile folder,
    paper~3f2a1c)."""
    try:
        return RunId.parse(run).tag is not None
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


OUT_OF_SCOPE = "Table 5 (ensembles) and Tables 7-14 (detection and localization) are out of scope"


def opening_lines(sections: list[TargetSection]) -> list[str]:
    """The report's first words: what it covers, what a CPU alone checks, and what every other row needs (data,
    a GPU, hours), so that rows not run yet read as waiting for hardware or data, not as failures."""
    targets = [section.target for section in sections]
    covered = ", ".join(target.title.split(":")[0] for target in targets)
    untrained = [t.name for t in targets if not get_engine(t.engine).trains]
    small = [t.name for t in targets if get_engine(t.engine).trains and not needs_imagenet(t)]
    imagenet = [t.name for t in targets if needs_imagenet(t)]
    can = [f"{_names(untrained)} (no training: minutes)"] if untrained else []
    needs = []
    if small:
        can.append(f"{_names(small)} as orderings on Fashion-MNIST (`--profile cpu`: tens of minutes per net)")
        needs.append(f"CIFAR-10 and a GPU for hours (the paper's recipe of {_names(small)})")
    if imagenet:
        needs.append(f"ImageNet, which you supply (it cannot be downloaded), and GPUs for days ({_names(imagenet)})")
    lines = [f"Scope: {covered}; {OUT_OF_SCOPE}."]
    if can:
        lines.append(
            f"A CPU alone checks {'; '.join(can)}." + (f" The other rows need {' or '.join(needs)}." if needs else "")
        )
    return lines


def _names(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def summary_lines(summary: dict, scores: list[Score]) -> list[str]:
    def tally(rows: list[Score], words: dict[str, tuple[str, str]]) -> str:
        """How many rows have each status, each with its words for one row and for several."""
        counts = [(sum(s.verdict.status == status for s in rows), forms) for status, forms in words.items()]
        return ", ".join(f"{count} {agreeing(count, *forms)}" for count, forms in counts if count) or "none checked yet"

    tests = [s for s in scores if s.for_tests]  # a test profile's verdicts test the tool: no finding of the paper's
    scores = [s for s in scores if not s.for_tests]
    repeated = sum(not s.counted for s in scores)
    scores = [s for s in scores if s.counted]  # a comparison two targets make on the same runs is one finding
    claims = [s for s in scores if not s.number]
    numbers = [s for s in scores if s.number]
    waiting = sum(s.verdict.status in (NOT_RUN, PARTIAL) for s in scores)
    claim_words = {HOLDS: ("holds", "hold"), FAILS: ("does not hold", "do not hold"), NOISE: ("within noise",) * 2}
    number_words = {REPRODUCED: ("reproduced",) * 2, FAILS: ("outside seed noise",) * 2}
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
        + (f" Left out of these counts: {_test_rows(tests)}." if tests else "")
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
    running = summary.get("running_runs") or []
    also = [counted(summary["failed"], "failed run")] if summary["failed"] else []
    if running:  # training now: its own process continues it, and a second command would be refused
        also.append(f"{counted(len(running), 'run')} still running: {_first_few(running)}")
    if summary["unfinished"]:
        also.append(
            counted(summary["unfinished"], "unfinished run")
            + _unfinished_runs(summary.get("unfinished_runs") or [], summary.get("started_by") or {})
        )
    if also:
        lines.append(f"Also: {'; '.join(also)}.")
    return lines


def _test_rows(tests: list[Score]) -> str:
    """The rows of test profiles, and why none is a finding: "3 rows of the smoke profile, a test profile: ..."."""
    profiles = list(dict.fromkeys(s.profile for s in tests))
    named = f"the {_names(profiles)} {agreeing(len(profiles), 'profile', 'profiles')}"
    return f"{counted(len(tests), 'row')} of {named}, {'each ' if len(profiles) > 1 else ''}{TESTS_THE_TOOL}"


def _first_few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _unfinished_runs(names: list[str], started_by: dict[str, str]) -> str:
    """The unfinished runs, named (the first few), and the command that continues the first."""
    if not names:
        return ""
    found = target_of_run(names[0], started_by.get(names[0]))
    how = f"`{run_command(*found)}` continues {'it' if len(names) == 1 else 'the first'}" if found else ""
    return f": {_first_few(names)}" + (f" ({how})" if how else "")


RULES = (
    "A claim orders nets by a measured number; each adjacent pair holds when the gap "
    "exceeds two standard deviations of the difference of the seed means, does not hold when it is that far "
    "the other way, and is within noise otherwise (one run each: a band of 2·√2·σ = ±0.45 points); a claim the "
    "paper makes of a gap it calls marginal (≤) holds unless the order is reversed by more than the band; one of "
    "equality (≈) is an equivalence test: it holds when the whole band of the difference lies inside the claim's "
    "stated margin, does not hold when the difference is outside it by more than the band, and is within noise "
    "(undecided) otherwise; the size of a gap the paper states (by 3.5) holds when the measured gap is within the "
    "band of the paper's, and is judged only where numbers are compared with the paper's; a bound (< 0.1) holds "
    "when our "
    "mean is below it and does not hold when it is above it by more than the band of that mean; one "
    '"throughout training" holds where the file\'s share of log windows is in order. Where '
    "the paper's own gap is inside the band, a row says how many seeds per net resolve it, and the command that "
    "trains them. Training "
    "error is a run's mean over its last 10% of iterations; test error, the final iteration's. A paper "
    f"number is matched in like terms (our mean against its single run or mean, our best of 5 against its "
    f"best of 5; with fewer seeds the best row waits) and reads reproduced within seed noise. σ is {PAPER_SIGMA_SOURCE} (ImageNet claims borrow it: the paper gives no ImageNet "
    "spread) unless seeds trained here spread more; each row says which. Proxy data "
    "(Fashion-MNIST) check orderings only, never numbers against CIFAR-10's."
)
