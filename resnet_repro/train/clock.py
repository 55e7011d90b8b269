"""How long training has left: for `list`, from the throughput measured on this machine (runs' logs, `bench`);
while a command trains, the whole target's clock that its progress lines show. No torch."""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Collection

from ..basics.errors import UserError
from ..basics.words import human_duration
from ..specs.config import RunConfig
from ..specs.datasets import DEFAULT_IMAGE_SIZE, dataset_info
from ..specs.naming import parse_model_name
from ..specs.run_id import RunId
from ..store.layout import RunFiles, read_metrics, read_run, run_status
from ..store.results_file import DamagedFile, read_text


def measured_throughput(results: Path) -> dict[str, float]:
    """Training images/s measured on this machine: by dataset, run label and profile (fashion-mnist/resnet-56-A/cpu:
    the median over every seed that logged some; a profile's data, image size and batch set the rate), and by
    CIFAR net, precision, compilation and image size (resnet56/fp32, resnet56/fp32/compiled, resnet56/fp32@28: the
    latest `resnet-repro bench`), so a target's time can be estimated before any of its runs has trained."""
    rates = _bench_throughput(results / "bench" / "bench.csv")
    samples: dict[str, list[float]] = {}
    for metrics in (results / "runs").rglob("metrics.csv"):
        try:
            run_id = RunId.parse(metrics.parent.relative_to(results / "runs").as_posix())
        except UserError:
            continue  # not a run folder (a file someone left under runs/)
        logged = (float(r["images_per_s"]) for r in read_metrics(metrics)[1:] if r.get("images_per_s"))
        run_rates = [rate for rate in logged if _is_rate(rate)]
        if run_rates:
            samples.setdefault(_measured_key(run_id), []).append(statistics.median(run_rates))
    rates.update({key: statistics.median(values) for key, values in samples.items()})
    return rates


def _is_rate(rate: float) -> bool:
    """Whether a logged img/s can be a measured speed: a log edited by hand or damaged (nan, 0, -50, inf) gives no
    estimate, never "nan h left" or a negative time."""
    return math.isfinite(rate) and rate > 0


def _bench_throughput(path: Path) -> dict[str, float]:
    """bench measures CIFAR nets at an image size (32x32 unless --image-size): each rate stands for runs of that
    net, precision and size."""
    rates = {}
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path) or "", newline="")))
    except (OSError, DamagedFile, csv.Error):
        return rates
    for row in rows:
        try:
            model = parse_model_name(row["model"])
            rate = float(row["train_images_per_s"])
            size = int(row.get("image_size") or DEFAULT_IMAGE_SIZE)  # older files have no column: 32x32
        except (KeyError, ValueError, UserError):
            continue  # a row from an older or hand-edited file: no estimate rather than a wrong one
        if model.family == "cifar" and _is_rate(rate):
            compiled = row.get("compiled") in ("True", "true", "1")
            rates[_bench_key(model.canonical, row.get("precision", "fp32"), compiled, size)] = rate
    return rates


def _bench_key(model: str, precision: str, compiled: bool, image_size: int) -> str:
    """resnet56/fp32, resnet56/fp32/compiled at CIFAR's 32x32; resnet56/fp32@28 at another side."""
    suffix = ("/compiled" if compiled else "") + ("" if image_size == DEFAULT_IMAGE_SIZE else f"@{image_size}")
    return f"{model}/{precision}{suffix}"


def _measured_key(run_id: RunId) -> str:
    return f"{run_id.dataset}/{run_id.label}/{run_id.profile_folder}"


def seconds_left(
    runs: list[RunConfig], results: Path, throughput: dict[str, float], again: Collection[str] = ()
) -> float | None:
    """Training seconds left for the unfinished runs; None when a needed model was never measured. A damaged run whose
    fix (store/layout.damage_fix) is to train it again counts whole, however far its folder says it got, and so does a
    run named in `again` (a finished ImageNet run that keeps no checkpoint to measure it from)."""
    total = 0.0
    for config, rate in zip(runs, _run_rates(runs, throughput)):
        files = RunFiles(results, config.name)
        from_start = read_run(results, config).from_start or config.name in again
        if not from_start and run_status(files).ended:
            continue
        if rate is None:
            return None
        # the work left as a running job's clock counts it: its test passes too (a fifth of the cpu profile's time)
        pending = PendingRun.of(config, files)
        total += (pending.images_left(0) if from_start else pending.images_left()) / rate
    return total


def unmeasured_models(runs: list[RunConfig], throughput: dict[str, float]) -> list[str]:
    """The nets, in the runs' order, whose training speed on this machine is not known: what `seconds_left` lacks."""
    rates = _run_rates(runs, throughput)
    return list(dict.fromkeys(config.model for config, rate in zip(runs, rates) if rate is None))


def _run_rates(runs: list[RunConfig], throughput: dict[str, float]) -> list[float | None]:
    """Each run's img/s: its own measured rate (any seed of its net, data and profile), else bench's for its net and
    settings, else scaled by depth from the img/s another CIFAR net of the same runs logged (same data, profile and
    machine), as in the target clock; None where none is known. Not scaled from bench's rates: for those,
    `resnet-repro bench` measures the missing nets themselves."""
    rates = []
    for config in runs:
        options = config.settings.train
        size = config.data.image_size or DEFAULT_IMAGE_SIZE
        bench_key = _bench_key(config.model, options.precision, options.compile, size)
        same_data = (other for other in runs if other.data == config.data)
        logged = ((other.model, throughput.get(_measured_key(other.run_id))) for other in same_data)
        own = throughput.get(_measured_key(config.run_id)) or throughput.get(bench_key)
        rates.append(own or _scaled_by_depth(config.model, logged))
    return rates


# A test pass is forward only: about 3 test images in the time of one training image (the cpu profile's five test
# passes over 10,000 images took about a fifth of its 36 minutes, beside 64,000 training images).
TEST_IMAGES_PER_TRAINING_IMAGE = 3
# The rate a clock follows is the images over the seconds of this command's windows, older windows counting less
# with this half-life: a thread count that flips between 1 and 2 every minute or two (other work on the machine)
# averages out instead of swinging the time left by a third each time, while a lasting change still takes over
# within the half hour.
HALF_LIFE_S = 1800.0


@dataclass(frozen=True)
class PendingRun:
    """One run a target still has to train, as the target clock sees it."""

    label: str  # resnet-56-A: the key of measured rates
    model: str  # resnet56
    iterations: int
    batch_size: int
    done: int = 0  # iterations trained before this command (a resumed run)
    name: str = ""  # fashion-mnist/resnet-56-A/cpu/seed0: how the runs of `run --jobs` report
    eval_every: int = 0  # a test pass every this many iterations, and at the end (0: none counted)
    test_images: int = 0  # images in each test pass

    @classmethod
    def of(cls, config: RunConfig, files: RunFiles) -> PendingRun:
        """A run as a clock sees it, with the iterations its metrics.csv logged trained (a resumed run has fewer
        left)."""
        test_images = config.data.test_subset or dataset_info(config.data.dataset).test_images
        recipe = config.recipe
        rows = read_metrics(files.metrics, recipe.iterations, recipe.log_every)
        return cls(
            config.run_id.label,
            config.model,
            recipe.iterations,
            recipe.batch_size,
            int(rows[-1]["iteration"]) if rows else 0,
            config.name,
            recipe.eval_every,
            test_images,
        )

    def images_left(self, iteration: int | None = None) -> float:
        """Training images left, plus the test passes left in training-image terms (a test image costs a forward
        pass, about a third of a training image's forward and backward)."""
        at = self.done if iteration is None else iteration
        train = (self.iterations - at) * self.batch_size
        return train + self.test_passes_left(at) * self.test_images / TEST_IMAGES_PER_TRAINING_IMAGE

    def test_passes_left(self, at: int) -> int:
        if not self.eval_every or at >= self.iterations:
            return 0
        at_the_end = 1 if self.iterations % self.eval_every else 0  # the last iteration is always evaluated
        return self.iterations // self.eval_every - at // self.eval_every + at_the_end


class TargetClock:
    """The whole target's time left while it trains: 'run 3 of 4, fig6 about 12 min left'.

    Each run's rate is the one measured for its net (given, or seen in this command's runs); a CIFAR net
    not yet measured is scaled from a measured one by depth, since the CIFAR nets' FLOPs per image grow in
    proportion to their depth (every block of a stage costs the same). Without any measured CIFAR rate, or
    for an ImageNet net never measured, only the count is shown. With `jobs` runs training at once, the time
    left is the work left shared out over the jobs, and never less than the longest run left. A pack (`lockstep`)
    trains `jobs` runs at a time in step: a rate measured on one of them is every one's, and a pack takes as long
    as its longest run.
    """

    def __init__(
        self,
        target: str,
        runs: list[PendingRun],
        rates: dict[str, float] | None = None,
        jobs: int = 1,
        lockstep: bool = False,
    ):
        self.target, self.runs, self.rates, self.jobs = target, runs, dict(rates or {}), max(1, jobs)
        self.lockstep = lockstep
        self.latest: str | None = None  # the label measured last: the machine as it is now
        self.index = 0  # the run in progress, for runs trained one at a time
        self.reached: dict[int, int] = {}  # run index -> the iteration it has reached in this command
        self.seen: dict[str, tuple[float, float]] = {}  # label -> (images, seconds) of its windows, decayed

    def run_started(self, index: int) -> None:
        """`index` starts, so every run before it has ended; in a pack (`lockstep`), every run before its pack."""
        for earlier in range(index - index % self.jobs if self.lockstep else index):
            self.reached[earlier] = self.runs[earlier].iterations
        self.index = index

    def line(self, iteration: int, live_rate: float | None, run: str | None = None) -> str | None:
        """The progress text while a run is at `iteration`, training at `live_rate` images/s: the run in progress,
        or the one named `run` (`run --jobs`); None for a run this clock does not know."""
        index = self.index if run is None else next((k for k, r in enumerate(self.runs) if r.name == run), None)
        if index is None:
            return None
        before = self.reached.get(index, self.runs[index].done)
        self.reached[index] = iteration
        pack = range(index - index % self.jobs, min(index - index % self.jobs + self.jobs, len(self.runs)))
        if live_rate:
            images = max(iteration - before, 0) * self.runs[index].batch_size
            for k in pack if self.lockstep else [index]:
                self._follow(self.runs[k].label, live_rate, images)
            if not self.lockstep:  # a pack's rate is every member's, whatever its depth: not one to scale from
                self.latest = self.runs[index].label
        count = f"run {index + 1} of {len(self.runs)}"
        total = self.seconds_left()
        return count if total is None else f"{count}, {self.target} about {human_duration(total)} left"

    def seconds_left(self) -> float | None:
        """The whole target's time left as the clock sees it now; None while a pending run's rate is unknown."""
        seconds = {}
        for k, pending in enumerate(self.runs):
            left = pending.images_left(self.reached.get(k))
            if left <= 0:
                continue
            rate = self._rate(pending)
            if rate is None:
                return None
            seconds[k] = left / rate
        if self.lockstep:  # packs one after another, each as long as its longest run
            packs = groupby(seconds.items(), key=lambda item: item[0] // self.jobs)
            return sum(max(time_left for _, time_left in pack) for _, pack in packs)
        return max(max(seconds.values(), default=0.0), sum(seconds.values()) / self.jobs)

    def _follow(self, label: str, live_rate: float, images: int) -> None:
        """The rate seen in this command: its windows' images over their seconds (a window that trained at half the
        speed counts for twice the time), older windows fading with HALF_LIFE_S. One window's rate jumps with an
        evaluation, a checkpoint, or a thread count that other work on the machine moved; a rate from before the
        command is replaced by the first one seen."""
        images = images or 1  # a window of unknown size: its rate alone
        seconds = images / live_rate
        total_images, total_seconds = self.seen.get(label, (0.0, 0.0))
        fade = 0.5 ** (seconds / HALF_LIFE_S)
        total_images, total_seconds = total_images * fade + images, total_seconds * fade + seconds
        self.seen[label] = (total_images, total_seconds)
        self.rates[label] = total_images / total_seconds

    def _rate(self, run: PendingRun) -> float | None:
        if run.label in self.rates:
            return self.rates[run.label]
        # The nets of this target (same data, precision and machine), the one measured last first: a core that came
        # free, or other work that started, shows in its rate and not yet in the earlier nets'.
        others = sorted(self.runs, key=lambda pending: pending.label != self.latest)
        return _scaled_by_depth(run.model, ((other.model, self.rates.get(other.label)) for other in others))


def _scaled_by_depth(model: str, measured) -> float | None:
    """A CIFAR net's img/s from the first of `measured` ((net, its img/s or None) pairs) that is a CIFAR net with a
    rate: the CIFAR nets' FLOPs per image grow in proportion to their depth. None for any other net."""
    depth = _cifar_depth(model)
    if depth is None:
        return None
    for other, rate in measured:
        other_depth = _cifar_depth(other)
        if rate is not None and other_depth:
            return rate * other_depth / depth
    return None


def _cifar_depth(model: str) -> int | None:
    try:
        name = parse_model_name(model)
    except UserError:
        return None
    return name.depth if name.family == "cifar" else None
