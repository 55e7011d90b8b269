"""The parts of the report an engine fills in for its own target: a scoreboard row (Score), a target's section,
the command that runs it, and the readers of the tables it wrote. No torch: report/ and the engines share them.
"""

from __future__ import annotations

import csv
import io
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..claims.base import FAILS, HOLDS, NOISE, NOT_COMPARABLE, NOT_RUN, PARTIAL, REPRODUCED, Verdict
from ..specs.experiments import Target
from ..store.results_file import DamagedFile, read_text
from .measured import Measured

TESTS_THE_TOOL = "a test profile: its verdicts test the tool, not the paper"  # said of a profile (`for_tests: true`)
MARKS = {HOLDS: "✅", REPRODUCED: "✅", FAILS: "❌", NOISE: "🟡", NOT_RUN: "⏳", PARTIAL: "⏳", NOT_COMPARABLE: "➖"}


@dataclass
class Score:
    """One scoreboard row: a claim or a paper number, under one profile."""

    target: str
    what: str  # the paper's words, or "ResNet-20 test error"
    section: str  # where the paper says it
    profile: str
    verdict: Verdict
    command: str = ""  # what runs it, where it is not run yet
    number: bool = False  # a paper number (within noise: reproduced), not an ordering (within noise: undecided)
    compares: frozenset = frozenset()  # (metric, lower net's runs, higher net's runs) of each comparison it makes
    same_as: str = ""  # an earlier row's target that makes the very same comparisons on the same runs
    shares: str = ""  # an earlier row's target some of whose comparisons' runs this row uses too
    for_tests: bool = False  # a test profile's row (`for_tests: true`): its verdict tests the tool, not the paper

    @property
    def counted(self) -> bool:
        """Whether the summary counts it: a comparison made twice on the same runs is one finding, not two."""
        return not self.same_as

    @property
    def shared_note(self) -> str:
        if self.same_as:
            return f"the same comparison on the same runs as {self.same_as}'s row; counted once"
        return f"shares runs with {self.shares}'s row" if self.shares else ""

    @property
    def test_note(self) -> str:
        """Why a test profile's verdict is no finding, said beside it; where it waits, why no command runs it."""
        if not self.for_tests:
            return ""
        if self.verdict.status in (NOT_RUN, PARTIAL):
            return f"no command offered: {self.profile} is a test profile, not a way to run {self.target}"
        return f"{self.profile} is {TESTS_THE_TOOL}"

    @property
    def mark(self) -> str:
        return mark(self.verdict.status)


def mark(status: str) -> str:
    return MARKS[status]


@dataclass
class ProfileSection:
    found: Measured  # the profile's numbers, and which profile (found.profile)
    scores: list[Score]
    table: tuple[list[str], list[list[str]]]  # header, rows
    images: list[Path]
    notes: list[str]


@dataclass
class TargetSection:
    target: Target
    profiles: list[ProfileSection] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)  # the scoreboard rows of this target
    table: tuple[list[str], list[list[str]]] | None = None  # targets without profiles (table1)
    images: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_run: str = ""  # the command that runs it, when nothing has run


def run_command(target: Target, profile: str | None = None) -> str:
    """The command that runs a target under a profile (None: its default, named by no option)."""
    named = profile is not None and profile != target.default_profile
    return f"resnet-repro run {target.argument}" + (f" --profile {profile}" if named else "")


def runs_command(target: Target, runs: list) -> str:
    """The command that makes these runs of a target: their profile and the `--set` overrides they recorded (a
    variant's folder name, smoke~7e584f, is no profile a command takes)."""
    first = runs[0] if runs else None
    command = run_command(target, first.profile if first else None)
    return command + "".join(f" --set {shlex.quote(pair)}" for pair in (first.overrides if first else ()))


def csv_rows(path: Path, numbers_in: tuple[str, ...], warn: Callable[[str], None]) -> list[dict] | None:
    """The rows of a table this tool wrote; None, said, when a bad copy left it unreadable or garbled."""
    try:
        text = read_text(path)  # a regular file of bounded size (store/results_file.py)
        if text is None:
            raise FileNotFoundError(path)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        if not rows:  # every table the tool writes has rows: an empty one judged would hold over nothing
            raise ValueError(path)
        for row in rows:
            for column in numbers_in:
                if column not in ("model", "input", "net"):
                    float(row[column] or 0)
                elif row[column] is None:
                    raise ValueError(column)
    except DamagedFile as damage:
        warn(f"skipped {path}: it {damage.reason}; the command that made it redraws it")
        return None
    except (OSError, ValueError, KeyError, TypeError, csv.Error) as error:
        warn(f"skipped {path}: not a readable table ({type(error).__name__}); the command that made it redraws it")
        return None
    return rows
