"""What a command hands down to the code that trains and measures: one object instead of a long parameter list.

`run` builds it once; training, the measurements after training (fig7's responses, ImageNet's 10-crop) and
the engines read from it. The datasets it reads are kept in one cache, so each distinct dataset is read once
per command, by whichever step needs it first. No torch at import (plot and report code import engines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.sources import Splits, load_image_sets

if TYPE_CHECKING:
    import torch

    from ..specs.config import RunConfig


class Reporter:
    """Progress callbacks; the CLI supplies a rich progress bar, tests use this silent one."""

    def start(self, run_name: str, total: int, done: int) -> None: ...

    def update(self, iteration: int, stats: dict) -> None: ...

    def advance(self, iteration: int) -> None:
        """Between log points, now and then: the iteration reached (a bar moves; its numbers stay the last log
        point's, which alone are measured)."""

    def message(self, text: str) -> None: ...

    def say_once(self, text: str) -> None:
        """A message said once per command however many runs meet it (the data's warning, which every run shares)."""
        said = self.__dict__.setdefault("_said", set())
        if text not in said:
            said.add(text)
            self.message(text)

    def finish(self) -> None: ...

    def follow_target(self, clock) -> None:
        """The clock (train.clock.TargetClock) of every run this command trains, for a whole-target ETA."""

    def lane(self, run_name: str) -> "Reporter":
        """The reporter for one of several runs training at once (run --jobs)."""
        return self


@dataclass
class RunContext:
    results: Path  # the results folder (--results)
    data_dir: Path = Path("data")  # where datasets are found (--data-dir)
    device: "torch.device | None" = None  # None: the CPU
    job_devices: list = field(default_factory=list)  # devices --jobs spreads runs over [default: device]
    jobs: int = 1  # runs trained at once, each in its own process
    download: bool = False  # fetch a missing dataset
    reporter: Reporter = field(default_factory=Reporter)  # progress callbacks; the default is silent
    command: str | None = None  # the command line, recorded in each run's meta.json
    target: str | None = None  # the target's name, for the progress line's whole-target ETA
    pack: int | None = None  # runs trained together in this process (--pack); None: train/pack.py's default_pack
    data_dir_named: bool = False  # the user named data_dir: the only place looked in (no system folders)
    datasets: dict = field(default_factory=dict, repr=False)  # (data spec, holdout) -> its Splits, read once

    def __post_init__(self) -> None:
        if self.device is None:
            import torch  # a context is built only where something trains or measures

            self.device = torch.device("cpu")
        self.job_devices = list(self.job_devices) or [self.device]

    def splits(self, config: "RunConfig") -> "Splits":
        """The data `config` trains and is measured on, read once per command: the runs of a target and their
        measurements share it."""
        key = (config.data, config.recipe.holdout)
        if key not in self.datasets:
            self.datasets[key] = load_image_sets(
                config.data,
                self.data_dir,
                config.recipe.holdout,
                self.download,
                self.data_dir_named,
                self.reporter.message,
            )
        return self.datasets[key]
