"""What a target measured under one profile, read from results/ alone (no torch): the numbers claims and
tables are judged on, which data they come from, on what hardware, in how much time.

Run folders are the source (runs/<dataset>/<label>/<profile>/seed<k>/final.json); what an engine measured into a
file of its own (fig7's responses.csv) its `read_measured` adds. Only finished runs count: a run still training has
no final number.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..basics.errors import UserError
from ..basics.words import counted
from ..specs.config import RunConfig
from ..specs.datasets import dataset_info
from ..specs.experiments import Target, load_recipe_file, resolve_runs
from ..specs.registry import get_engine
from ..specs.run_id import RunStatus
from ..store.layout import RunFiles, read_run, run_damage, run_status


@dataclass
class Measured:
    target: Target
    profile: str
    runs: list[RunConfig]
    keys: dict[str, str] = field(default_factory=dict)  # run name -> run key (resnet20, resnet34-B)
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # metric -> key -> per finished seed
    curves: dict[str, list[dict[int, float]]] = field(default_factory=dict)  # key -> training error per log window
    layers: dict[str, list[dict[int, float]]] = field(default_factory=dict)  # key -> response std per layer, per seed
    expected: dict[str, int] = field(default_factory=dict)  # key -> seeds the profile asks for
    dataset: str = ""
    unofficial: int = 0  # runs on CIFAR-10 files that are not the official release
    devices: set[str] = field(default_factory=set)
    wall_s: float = 0.0
    started: int = 0  # run folders that exist
    finished: int = 0
    data_info: dict = field(default_factory=dict)  # meta.json's data report of the first run: folder, sizes
    legacy_file: Path | None = None  # a measured CSV written without its profile: which profile it holds is unknown
    damaged: list[str] = field(default_factory=list)  # finished runs whose log disagrees with final.json: why
    mixed_threads: list[str] = field(default_factory=list)  # runs that trained on several CPU thread counts: which
    lr_drops: list[int] = field(default_factory=list)  # each finished run's first logged lr decrease (plateau rules)

    @property
    def has_results(self) -> bool:
        return self.started > 0 or any(v for per_key in self.values.values() for v in per_key.values())

    @property
    def trained_keys(self) -> set[str]:
        return set(self.expected)

    @property
    def proxy(self) -> bool:
        return bool(self.dataset) and self.dataset != (self.paper_data or self.dataset)

    @property
    def paper_data(self) -> str | None:
        """The data the paper's numbers of this target's engine are measured on; anything else is a proxy."""
        return get_engine(self.target.engine).paper_data

    def numbers_comparable(self) -> tuple[bool, str]:
        """Whether a number may be set beside the paper's, and if not, why not (one phrase)."""
        if self.proxy:
            return False, (
                f"{data_name(self.dataset)} is a proxy for {data_name(self.paper_data)}: "
                f"only the orderings are checked, never the numbers"
            )
        if self.unofficial:
            return False, f"{counted(self.unofficial, 'run')} used CIFAR-10 files that are not the official release"
        known = self.target.profile(self.profile)
        if known is None or not known.compared_with_paper:
            return False, f"the {self.profile} profile is not the paper's recipe"
        return True, ""

    @property
    def first_lr_step(self) -> int | None:
        """Where "the early stage" ends: the first lr step of this profile's schedule (its fixed `lr_steps`, else the
        earliest step a plateau rule took in a finished run's log); None where no step is known."""
        fixed = [config.recipe.lr_steps[0] for config in self.runs if config.recipe.lr_steps]
        return min(fixed or self.lr_drops, default=None)

    def per_key(self, metric: str) -> dict[str, list[float]]:
        return self.values.get(metric, {})


def data_name(name: str) -> str:
    return dataset_info(name).title


def title_for_data(title: str, name: str) -> str:
    """A paper title names the paper's data; on a proxy, name the data actually used."""
    stands_for = dataset_info(name).proxy_for if name else None
    if stands_for and data_name(stands_for) in title:
        paper = data_name(stands_for)
        return title.replace(paper, f"{data_name(name)} (a proxy for {paper})")
    return title


def measure(target: Target, profile: str, results: Path, runs: list[RunConfig] | None = None) -> Measured:
    """Everything `target` has measured under `profile` (an empty Measured for a profile it does not offer);
    `runs`: the resolved runs where the caller has them (with --set overrides, the profile is paper~3f2a1c)."""
    if runs is None:
        try:
            runs = with_seeds_on_disk(requested_on_disk(target, profile, results), results)
        except UserError:
            runs = []
    found = planned(target, profile, runs)
    get_engine(target.engine).read_measured(found, results)
    return found


def planned(target: Target, profile: str, runs: list[RunConfig]) -> Measured:
    """What `runs` will measure, before anything is read: each run's key, the seeds per key, the data (what `show`
    judges a plan by)."""
    found = Measured(target, profile, runs, dataset=runs[0].data.dataset if runs else "")
    for config in runs:
        key = target.run_key(config.run_id.label) or config.model
        found.keys[config.name] = key
        found.expected[key] = found.expected.get(key, 0) + 1
    return found


def requested_on_disk(
    target: Target, profile: str, results: Path, seeds: list[int] | None = None, overrides: list[str] = ()
) -> list[RunConfig]:
    """The profile's runs (of `seeds` and `overrides`, as resolve_runs takes them), and those of its nets trained only
    on request whose run folders exist."""
    planned = resolve_runs(target, profile, seeds, overrides)
    names = {config.name for config in planned}
    extra = [
        config
        for config in resolve_runs(target, profile, seeds, overrides, requested=True)
        if config.name not in names and RunFiles(results, config.name).dir.is_dir()
    ]
    return planned + extra


def with_seeds_on_disk(runs: list[RunConfig], results: Path) -> list[RunConfig]:
    """The profile's runs and every further seed of them trained into results/ (`run --seeds 6`, which a claim
    whose paper gap is inside the band asks for): a seed trained is a seed counted, not only the planned ones."""
    planned = {config.name for config in runs}
    first = {}  # each net's folder -> its first planned run, the config a further seed repeats
    for config in runs:
        first.setdefault(Path(config.name).parent.as_posix(), config)
    extra = []
    for parent, config in first.items():
        for seed in sorted(int(p.name[4:]) for p in _seed_folders(results / "runs" / parent)):
            if f"{parent}/seed{seed}" not in planned and _begun(RunFiles(results, f"{parent}/seed{seed}")):
                extra.append(dataclasses.replace(config, name=f"{parent}/seed{seed}", seed=seed, further=True))
    return runs + extra


def _begun(files: RunFiles) -> bool:
    """Whether a further seed's folder holds a run that began training (or damage to say): an empty folder, or one a
    run stopped in before its first checkpoint or log row, is no seed trained, and would hold its net's row at
    "partial" for good, as a run without --seeds never trains it."""
    return run_status(files) is not RunStatus.NOT_STARTED or run_damage(files) is not None


def _seed_folders(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"seed(0|[1-9][0-9]*)", p.name)]
    except OSError:  # not trained yet, or unreadable: the planned runs say what is missing
        return []


def thread_stretches(segments) -> str | None:
    """ "2 threads from iteration 0, 1 from 300" for a run that changed its CPU thread count; None otherwise (or for
    a record that is not a list of [iteration, threads] pairs)."""
    try:
        pairs = [(int(start), int(count)) for start, count in segments or []]
    except (TypeError, ValueError):
        return None
    if len({count for _, count in pairs}) < 2:
        return None
    first, *rest = pairs
    return f"{counted(first[1], 'thread')} from iteration {first[0]}, " + ", ".join(f"{c} from {i}" for i, c in rest)


def read_runs(found: Measured, results: Path, metrics=("train_error", "test_error")) -> None:
    """Each run's folder: what ran where, for how long, and a finished run's final `metrics`."""
    for config in found.runs:
        if not RunFiles(results, config.name).dir.exists():
            continue
        found.started += 1
        run = read_run(results, config)  # a damaged folder reads as empty records: no device, time or data of its own
        if run.meta.get("device_name"):
            found.devices.add(run.meta["device_name"])
        found.unofficial += (run.meta.get("data") or {}).get("official_checksums") is False
        found.data_info = found.data_info or dict(run.meta.get("data") or {})
        found.wall_s += run.final.get("wall_s") or run.meta.get("wall_s_this_session") or 0.0
        if mixed := thread_stretches(run.final.get("cpu_threads")):
            found.mixed_threads.append(f"{config.name} ({mixed})")
        if run.left_out:  # a damaged folder, or a log that disagrees with the final record: the report says why
            found.damaged.append(run.left_out)
            continue
        if run.status is not RunStatus.FINISHED:
            continue
        found.finished += 1
        key = found.keys[config.name]
        curve = {int(row["iteration"]): float(row["train_error"]) for row in run.rows if row.get("train_error")}
        if curve:  # for a claim over the whole training curve (Fig. 4: "throughout the whole training procedure")
            found.curves.setdefault(key, []).append(curve)
        if (drop := first_lr_drop(run.rows)) is not None:
            found.lr_drops.append(drop)
        for metric in metrics:
            value = run.final.get(metric)
            if metric == "train_error":  # the last tenth's mean where the log has it, steadier than the last window
                smoothed = last_tenth_train_error(run.rows, run.final.get("iterations"))
                value = smoothed if smoothed is not None else value
            if value is not None:
                found.values.setdefault(metric, {}).setdefault(key, []).append(float(value))


def first_lr_drop(rows: list[dict]) -> int | None:
    """The first logged iteration whose lr is below the window's before it (a warm-up's rise is no step)."""
    previous = None
    for row in rows:
        lr = float(row.get("lr") or "nan")  # scan_metrics keeps only rows whose values are numbers
        if previous is not None and lr < previous:
            return int(row["iteration"])
        previous = lr if lr == lr else previous
    return None


def last_tenth_train_error(rows: list[dict], iterations) -> float | None:
    """The training error of a run's last 10% of iterations: each log window's error weighted by how much of
    the window falls in (0.9 N, N]. A log window holds one short run of augmented batches, so the last one alone
    swings by a point or more; the claims and tables compare this steadier mean. None without a log."""
    if not iterations:
        return None
    start = 0.9 * int(iterations)
    by_end = {int(row["iteration"]): float(row["train_error"]) for row in rows if row.get("train_error")}
    weighted = weight = 0.0
    previous = 0
    for end in sorted(by_end):
        overlap = min(end, int(iterations)) - max(previous, start)
        if overlap > 0:
            weighted += overlap * by_end[end]
            weight += overlap
        previous = end
    return weighted / weight if weight else None


def profiles_with_results(target: Target, results: Path) -> list[str]:
    """The named profiles of a target that have anything under results/, paper first."""
    if not target.recipe:
        return []
    return [p for p in load_recipe_file(target.recipe).profiles if measure(target, p, results).has_results]
