"""What a target measured under one profile, read from results/ alone (no torch): the numbers claims and
tables are judged on, which data they come from, on what hardware, in how much time.

Run folders are the source (runs/<dataset>/<label>/<profile>/seed<k>/final.json); fig7's responses come
from the profile's responses.csv. Only finished runs count: a run still training has no final number.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..config import RunConfig
from ..errors import UserError
from ..experiments import Target, load_recipe_file, resolve_runs
from .layout import RunFiles, read_json
from .paths import output_dir

# The data each engine's paper numbers are measured on; anything else is a proxy: claims only, no numbers.
PAPER_DATA = {"cifar": "cifar10", "imagenet": "imagenet", "responses": "cifar10"}
DATA_NAMES = {"cifar10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST", "imagenet": "ImageNet"}
RESPONSES_CSV = "responses.csv"


@dataclass
class Measured:
    target: Target
    profile: str
    runs: list[RunConfig]
    keys: dict[str, str] = field(default_factory=dict)  # run name -> run key (resnet20, resnet34-B)
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # metric -> key -> per finished seed
    expected: dict[str, int] = field(default_factory=dict)  # key -> seeds the profile asks for
    status: dict[str, str] = field(default_factory=dict)  # key -> finished / partial (k/n) / failed / not run
    dataset: str = ""
    unofficial: int = 0  # runs on CIFAR-10 files that are not the official release
    devices: set[str] = field(default_factory=set)
    wall_s: float = 0.0
    started: int = 0  # run folders that exist
    finished: int = 0
    data_info: dict = field(default_factory=dict)  # meta.json's data report of the first run: folder, sizes
    legacy_file: Path | None = None  # a measured CSV written without its profile: which profile it holds is unknown

    @property
    def has_results(self) -> bool:
        return self.started > 0 or any(v for per_key in self.values.values() for v in per_key.values())

    @property
    def trained_keys(self) -> set[str]:
        return set(self.expected)

    @property
    def proxy(self) -> bool:
        return bool(self.dataset) and self.dataset != PAPER_DATA.get(self.target.engine, self.dataset)

    def numbers_comparable(self) -> tuple[bool, str]:
        """Whether a number may be set beside the paper's, and if not, why not (one phrase)."""
        if self.proxy:
            return False, (f"{data_name(self.dataset)} is a proxy for {data_name(PAPER_DATA[self.target.engine])}: "
                           f"only the orderings are checked, never the numbers")
        if self.unofficial:
            return False, f"{self.unofficial} run(s) used CIFAR-10 files that are not the official release"
        if self.profile != "paper":
            return False, f"the {self.profile} profile is not the paper's recipe"
        return True, ""

    def per_key(self, metric: str) -> dict[str, list[float]]:
        return self.values.get(metric, {})


def data_name(dataset: str) -> str:
    return DATA_NAMES.get(dataset, dataset)


def title_for_data(title: str, dataset: str) -> str:
    """A paper title names the paper's data; on a proxy, name the data actually used."""
    if dataset and dataset != "cifar10" and "CIFAR-10" in title:
        return title.replace("CIFAR-10", f"{data_name(dataset)} (a proxy for CIFAR-10)")
    return title


def measure(target: Target, profile: str, results: Path, runs: list[RunConfig] | None = None) -> Measured:
    """Everything `target` has measured under `profile` (an empty Measured for a profile it does not offer);
    `runs`: the resolved runs where the caller has them (with --set overrides, the profile is paper~3f2a1c)."""
    if runs is None:
        try:
            runs = resolve_runs(target, profile)
        except UserError:
            runs = []
    found = Measured(target, profile, runs)
    if runs:
        found.dataset = runs[0].data.dataset
    for config in runs:
        key = target.run_key(config.model, config.shortcut) or config.model
        found.keys[config.name] = key
        found.expected[key] = found.expected.get(key, 0) + 1
    if target.engine in ("cifar", "imagenet"):
        _read_runs(found, results)
    elif target.engine == "responses":
        _read_runs(found, results, metrics=())
        csv_path = output_dir(results, target, profile) / RESPONSES_CSV
        _read_responses(found, csv_path)
        if not csv_path.exists():  # the nets may be trained (fig6 shares them), but fig7 has measured nothing
            found.started = 0
    return found


def _read_runs(found: Measured, results: Path, metrics=("train_error", "test_error")) -> None:
    from ..targets.imagenet_outputs import protocol_file, table_protocol  # no torch there either

    counts: dict[str, list[str]] = {}
    for config in found.runs:
        key = found.keys[config.name]
        files = RunFiles(results, config.name)
        if not files.dir.exists():
            counts.setdefault(key, [])
            continue
        found.started += 1
        meta = read_json(files.meta) or {}
        if meta.get("device_name"):
            found.devices.add(meta["device_name"])
        found.unofficial += (meta.get("data") or {}).get("official_checksums") is False
        found.data_info = found.data_info or dict(meta.get("data") or {})
        final = read_json(files.final) or {}
        status = final.get("status") or "unfinished"
        counts.setdefault(key, []).append(status)
        found.wall_s += final.get("wall_s") or meta.get("wall_s_this_session") or 0.0
        if status != "finished":
            continue
        found.finished += 1
        for metric in metrics:
            if final.get(metric) is not None:
                found.values.setdefault(metric, {}).setdefault(key, []).append(float(final[metric]))
        if found.target.engine == "imagenet":
            errors = read_json(files.dir / protocol_file(table_protocol(found.target))) or {}
            for metric in ("top1_error", "top5_error"):
                if errors.get(metric) is not None:
                    found.values.setdefault(metric, {}).setdefault(key, []).append(float(errors[metric]))
    for key, statuses in counts.items():
        done, expected = statuses.count("finished"), found.expected[key]
        found.status[key] = ("failed" if "failed" in statuses else "finished" if done == expected
                             else f"partial ({done}/{expected})" if statuses else "not run")


def _read_responses(found: Measured, path: Path) -> None:
    """response_std per (net, seed): the mean over layers of each layer's response std."""
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        return
    label_to_key = {config.run_id.label: found.keys[config.name] for config in found.runs}
    per_seed: dict[tuple[str, str], list[float]] = {}
    if rows and "profile" not in rows[0]:
        found.legacy_file = path
        return
    for row in rows:
        if row["profile"] != found.profile:
            continue
        key = label_to_key.get(row.get("model", ""))
        if key is None:
            continue
        per_seed.setdefault((key, row.get("seed", "0")), []).append(float(row["std"]))
    for (key, _), stds in sorted(per_seed.items()):
        found.values.setdefault("response_std", {}).setdefault(key, []).append(statistics.fmean(stds))


def profiles_with_results(target: Target, results: Path) -> list[str]:
    """The named profiles of a target that have anything under results/, paper first."""
    if not target.recipe:
        return []
    names = list(load_recipe_file(target.recipe).profiles)
    return [p for p in names if measure(target, p, results).has_results]
