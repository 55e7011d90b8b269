"""What each Slurm job asks for, written once by the user: a YAML file (--resources FILE or
$RESNET_REPRO_SLURM_RESOURCES) and `--resource KEY=VALUE` overrides, over defaults sized by the target's engine.

The whole schema is the one dataclass below: its fields, their types and their lower bounds. No torch here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import UserError, excerpt, shorten
from ..yamlio import line_of, load_yaml_text, read_yaml

RESOURCES_ENV = "RESNET_REPRO_SLURM_RESOURCES"


@dataclass(frozen=True)
class Resources:
    """One job's request. A run that trains over several processes (DDP) is one job of nodes x tasks_per_node
    processes, started by Slurm; every other run is one process."""

    partition: Optional[str] = None  # None: the cluster's default partition
    account: Optional[str] = None
    qos: Optional[str] = None
    constraint: Optional[str] = None
    time: str = "24:00:00"  # the job's time limit; a run longer than it is requeued and resumes
    nodes: int = 1
    gpus_per_node: int = 1
    tasks_per_node: int = 1  # processes per node: one per GPU for DDP
    cpus_per_task: int = 4
    mem: Optional[str] = None  # e.g. 32G; None: the partition's default
    signal_before_s: int = 120  # how long before the time limit Slurm warns the job, which then checkpoints
    max_requeues: int = 20  # how many times a job cut at its limit or preempted comes back

    @property
    def processes(self) -> int:
        return self.nodes * self.tasks_per_node

    @property
    def minutes(self) -> int:
        return time_minutes(self.time)


# The lower bound of each whole-number field; every other field is text.
MINIMUM = {"nodes": 1, "gpus_per_node": 0, "tasks_per_node": 1, "cpus_per_task": 1, "signal_before_s": 10}
MINIMUM["max_requeues"] = 0
FIELDS = {field.name: field for field in dataclasses.fields(Resources)}
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")  # Slurm's D-HH:MM:SS, HH:MM:SS, MM


def engine_defaults(processes: int) -> Resources:
    """A run that trains in one process gets one GPU; a run the engine trains over `processes` processes (an
    ImageNet run: one per share of the batch that batch norm normalises) gets that many GPUs on one node."""
    return Resources(gpus_per_node=processes, tasks_per_node=processes)


def time_minutes(text: str) -> int:
    """Slurm's time formats (minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]) in whole minutes, rounded up."""
    match = _TIME.match(str(text).strip())
    if not match:
        raise ValueError(text)
    days, first, second, third = match.groups()
    if days is not None:
        hours, minutes, seconds = int(first), int(second or 0), int(third or 0)
    elif third is not None:
        hours, minutes, seconds = int(first), int(second), int(third)
    elif second is not None:
        hours, minutes, seconds = 0, int(first), int(second)
    else:
        hours, minutes, seconds = 0, int(first), 0
    total = (int(days or 0) * 24 + hours) * 60 + minutes + (1 if seconds else 0)
    if total < 1:
        raise ValueError(text)
    return total


def read_resources(path: Optional[Path], overrides: list[str], defaults: Resources) -> Resources:
    """`defaults`, then the file's values, then each KEY=VALUE override; every value checked as it is read."""
    values = {}
    if path is not None:
        data = read_yaml(path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise UserError(
                f"{path}: expected a mapping of resource keys (partition: gpu, ...), got {shorten(str(data))}"
            )
        for key, value in data.items():
            values[key] = _checked(data, key, value, str(path))
    for text in overrides:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--resource {shorten(text)}: write KEY=VALUE, e.g. --resource partition=gpu")
        value = load_yaml_text(raw, f"--resource {key}") if raw.strip() else None
        values[key] = _checked({}, key, value, "--resource")
    if values.get("gpus_per_node") and "tasks_per_node" not in values and defaults.tasks_per_node > 1:
        values["tasks_per_node"] = values["gpus_per_node"]  # a DDP run: one process per GPU it was given
    return dataclasses.replace(defaults, **values)


def _checked(mapping, key, value, source: str):
    def fail(message: str):
        line = line_of(mapping, key)
        raise UserError(f"{source}{f':{line}' if line else ''}: {message}")

    if key not in FIELDS:
        fail(f"{shorten(str(key))}: unknown resource; known: {', '.join(FIELDS)}")
    if key in MINIMUM:
        if isinstance(value, bool) or not isinstance(value, int) or value < MINIMUM[key]:
            fail(f"{key}: expected a whole number >= {MINIMUM[key]}, got {excerpt(value)}")
        return value
    if value is None and FIELDS[key].default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        fail(f"{key}: expected text, got {excerpt(value)}")
    if key == "time":
        try:
            time_minutes(str(value))
        except ValueError:
            fail(f"{key}: {shorten(str(value))} is not a Slurm time limit (e.g. 24:00:00, 2-00:00:00 or 90)")
    if key == "mem" and not re.fullmatch(r"\d+[KMGT]?", str(value)):
        fail(f"{key}: {shorten(str(value))} is not a memory size (e.g. 32G or 64000M)")
    return str(value)
