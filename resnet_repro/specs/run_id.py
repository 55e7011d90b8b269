"""Who a run is, and how far it got: the one place a run folder's path is made and read. No torch here, and no
file read (store/layout.run_status reads a run folder's status).

A run lives in results/runs/<dataset>/<label>/<profile>[~<tag>]/seed<k>, e.g.
fashion-mnist/resnet-20-A/cpu~282253/seed1: the tag names a set of --set overrides, so an overridden
run never shares a folder with the profile's own.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from ..basics.errors import UserError

_PART = r"[^/~\s]+"  # one folder name: no separator, no tag mark, no blank
_RUN_PATH = re.compile(
    rf"(?P<dataset>{_PART})/(?P<label>{_PART})/(?P<profile>{_PART})(?:~(?P<tag>{_PART}))?"
    rf"/seed(?P<seed>0|[1-9][0-9]*)"
)
SHAPE = "<dataset>/<label>/<profile>[~<tag>]/seed<k>"


@dataclass(frozen=True)
class RunId:
    dataset: str  # cifar10, fashion-mnist, imagenet, ...
    label: str  # resnet-56-A, plain-20, resnet-50-B-v1.5
    profile: str  # paper, quick, cpu, smoke
    tag: str | None  # the --set overrides' tag; None for the profile's own recipe
    seed: int

    def __post_init__(self):
        rendered = self.path
        match = _RUN_PATH.fullmatch(rendered)  # and it must read back as these very parts
        if match is None or (match["profile"], match["tag"], match["seed"]) != (self.profile, self.tag, str(self.seed)):
            raise UserError(
                f"cannot name a run folder {rendered!r}: dataset, label, profile and tag must be "
                f"plain folder names (no '/', '~' or spaces) and the seed a whole number >= 0"
            )

    @property
    def profile_folder(self) -> str:
        """The profile with its overrides tag (paper~3f2a1c), as the run folder and the tables name it."""
        return self.profile if self.tag is None else f"{self.profile}~{self.tag}"

    @property
    def path(self) -> str:
        return f"{self.dataset}/{self.label}/{self.profile_folder}/seed{self.seed}"

    def __str__(self) -> str:
        return self.path

    @classmethod
    def parse(cls, path: str) -> "RunId":
        match = _RUN_PATH.fullmatch(path)
        if match is None:
            raise UserError(f"{path!r} is not a run folder: expected {SHAPE}, e.g. cifar10/resnet-56-A/paper/seed0")
        return cls(match["dataset"], match["label"], match["profile"], match["tag"], int(match["seed"]))


class RunStatus(str, enum.Enum):
    """How far one run got, read from its folder alone."""

    NOT_STARTED = "not started"  # no folder files yet
    UNFINISHED = "unfinished"  # a checkpoint or metrics, no final.json: stopped, killed, or training now
    FINISHED = "finished"
    FAILED = "failed"  # diverged: final.json says why; rerunning repeats it, so it counts as ended

    @property
    def ended(self) -> bool:
        """Nothing is left to train: `run` skips it."""
        return self in (RunStatus.FINISHED, RunStatus.FAILED)

    def __str__(self) -> str:
        return self.value


class NotMeasurable(str):
    """A finished run's status as its table words it where the run can never be measured (it keeps no checkpoint to
    measure it from): only training it again measures it, so `list` counts it as not done."""


def final_status(final: dict | None) -> RunStatus | None:
    """The status a final.json records, None without one (or with one that names no status we write)."""
    try:
        return RunStatus((final or {}).get("status"))
    except ValueError:
        return None


def seeds_status(statuses: list[RunStatus], expected: int, running: int = 0) -> str:
    """What a table says of every seed of a model: failed if any failed, finished when all are, "running (d/e)" while
    `running` of its unfinished seeds are training now (a process holds their lock, as `list` and `show` say),
    "partial (d/e)" when some started (d finished of e), else missing."""
    if RunStatus.FAILED in statuses:
        return "failed"
    done = statuses.count(RunStatus.FINISHED)
    if done == expected:
        return "finished"
    if running:
        return f"running ({done}/{expected})"
    return f"partial ({done}/{expected})" if any(s is not RunStatus.NOT_STARTED for s in statuses) else "missing"
