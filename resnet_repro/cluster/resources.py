"""What each Slurm job asks for, written once by the user: a YAML file (--resources FILE or
$RESNET_REPRO_SLURM_RESOURCES) and `--resource KEY=VALUE` overrides, over defaults sized by the target's engine.

The whole schema is the one dataclass below: its fields, their types and their bounds, read through the one reader
(readers/validation.py) as every other file is. No torch here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BeforeValidator

from ..basics.errors import UserError, excerpt, one_line, shorten
from ..readers.validation import STRICT_KEYS, Text, Whole, lines_in, refuse, validate
from ..readers.yamlio import load_yaml_text, read_yaml

RESOURCES_ENV = "RESNET_REPRO_SLURM_RESOURCES"
# Slurm holds a time limit as 32-bit minutes, 0xFFFFFFFF meaning no limit: a larger number wraps (4294967297
# minutes is submitted as 1 minute) or reads as no limit at all, so none beyond this is passed on
MAX_MINUTES = 2**32 - 2
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")  # Slurm's D-HH:MM:SS, HH:MM:SS, MM


def _as_text(value: Any) -> Any:
    """`time: 90` is a number in YAML; Slurm reads it as text (minutes)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _slurm_time(text: str) -> str:
    try:
        time_minutes(text)
    except ValueError:
        raise refuse(f"{shorten(text)} is not a Slurm time limit (e.g. 24:00:00, 2-00:00:00 or 90)") from None
    return text


def _memory(text: str) -> str:
    """sbatch's --mem: a whole number of megabytes, or of the unit K, M, G or T after it, in either case and with
    or without a B (32G, 32g, 32GB, 64000M, 64000)."""
    if not re.fullmatch(r"\d+(?:[KMGT]B?)?", text, re.IGNORECASE | re.ASCII):  # ASCII: sbatch reads no other digits
        raise refuse(f"{shorten(text)} is not a memory size (e.g. 32G or 64000M)")
    return text


def _one_line_name(text: str) -> str:
    """Each name is one `#SBATCH --key=NAME` line of the job's script: a newline (or any control character) in it
    breaks that line, or another one of the script, and only sbatch would say so, after the files were written."""
    if one_line(text) != text:
        raise refuse(f"{excerpt(text)} holds a control character; a Slurm name is one line of printable text")
    return text


def _partitions(text: str) -> str:
    """sbatch takes a list of partitions, gpu,gpu-long (the job starts in whichever can start it first): each name
    in it is one, none empty."""
    if not text:
        raise refuse("'' names no partition; name one (e.g. gpu), or leave partition out for the cluster's default")
    if "" in text.split(","):
        raise refuse(
            f"{excerpt(text)} holds an empty name in its list of partitions; separate the names with one comma each "
            f"(e.g. gpu,gpu-long)"
        )
    return text


def _named(key: str, example: str) -> AfterValidator:
    """`account: ""` went to sbatch as `--account=`, an empty value: a key is a name or is left out."""

    def check(text: str) -> str:
        if not text.strip():
            raise refuse(
                f"{excerpt(text)} names no {key}; name one (e.g. {example}), or leave {key} out for the cluster's default"
            )
        return text

    return AfterValidator(check)


Name = Annotated[Text, BeforeValidator(_as_text), AfterValidator(_one_line_name)]  # an account, QoS, feature
Partitions = Annotated[Name, AfterValidator(_partitions)]
SlurmTime = Annotated[Text, BeforeValidator(_as_text), AfterValidator(_slurm_time)]
Memory = Annotated[Text, BeforeValidator(_as_text), AfterValidator(_memory)]


@dataclass(frozen=True)
class Resources:
    """One job's request. A run that trains over several processes (DDP) is one job of nodes x tasks_per_node
    processes, started by Slurm; every other run is one process. Read through the one reader (readers/validation.py):
    the types and bounds below are the whole schema."""

    __pydantic_config__ = STRICT_KEYS

    partition: Optional[Partitions] = None  # None: the cluster's default partition
    account: Optional[Annotated[Name, _named("account", "my-project")]] = None
    qos: Optional[Annotated[Name, _named("qos", "normal")]] = None
    constraint: Optional[Annotated[Name, _named("constraint", "h100")]] = None
    time: SlurmTime = "24:00:00"  # the job's time limit; a run longer than it is requeued and resumes
    nodes: Whole(1, 100_000) = 1
    gpus_per_node: Whole(0, 1_024) = 1
    tasks_per_node: Whole(1, 1_024) = 1  # processes per node: one per GPU for DDP
    cpus_per_task: Whole(1, 100_000) = 4
    mem: Optional[Memory] = None  # e.g. 32G; None: the partition's default
    # how long before the time limit Slurm warns the job, which checkpoints; sbatch's --signal takes at most 65535 s
    signal_before_s: Whole(10, 65_535) = 120
    max_requeues: Whole(0, 10_000) = 20  # how many times a job cut at its limit or preempted comes back

    @property
    def processes(self) -> int:
        return self.nodes * self.tasks_per_node

    @property
    def minutes(self) -> int:
        return time_minutes(self.time)

    def for_outputs(self, measures: bool) -> Resources:
        """The outputs job's request: one process that trains nothing. It writes tables and figures from the runs'
        files, on no GPU; where the engine first `measures` the trained nets (fig7's layer responses, ImageNet's
        10-crop test) it does so on one GPU (none if the runs had none). Its memory is one training process's share
        of a node's (`mem` is per node); the rest (partition, account, time, CPUs a process) is the runs' own."""
        return dataclasses.replace(
            self,
            nodes=1,
            tasks_per_node=1,
            gpus_per_node=min(self.gpus_per_node, 1) if measures else 0,
            mem=memory_share(self.mem, self.tasks_per_node),
        )


def memory_share(mem: str | None, processes: int) -> str | None:
    """One of `processes`' equal shares of sbatch's --mem (a node's), in whole megabytes rounded up; 0 (sbatch: all of
    a node's memory) and a single process's stay as written."""
    found = re.fullmatch(r"(\d+)([KMGT]?)B?", mem or "", re.IGNORECASE | re.ASCII)
    if found is None or processes == 1 or int(found.group(1)) == 0:
        return mem
    kilobytes = int(found.group(1)) * 1024 ** "KMGT".index(found.group(2).upper() or "M")
    return f"{-(-kilobytes // (1024 * processes))}M"


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
    if days is None and third is None:  # MM or MM:SS: the first number is minutes, not hours
        first, second, third = "0", first, second
    hours, minutes, seconds = int(first), int(second or 0), int(third or 0)
    total = (int(days or 0) * 24 + hours) * 60 + minutes + (1 if seconds else 0)
    if not 1 <= total <= MAX_MINUTES:
        raise ValueError(text)
    return total


def read_resources(path: Optional[Path], overrides: list[str], defaults: Resources) -> Resources:
    """`defaults`, then the file's values, then each KEY=VALUE override; every value checked by the one reader."""
    raw: Any = {}
    if path is not None:
        raw = read_yaml(path)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise UserError(
                f"{path}: expected a mapping of resource keys (partition: gpu, ...), got {shorten(str(raw))}"
            )
        validate(Resources, raw, lines_in(raw, str(path)))  # each key at its file:line
    values = dict(raw)
    for text in overrides:
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--resource {shorten(text)}: write KEY=VALUE, e.g. --resource partition=gpu")
        if key == "time" and _TIME.match(value.strip()):  # time=4:00:00 is Slurm's text, not YAML 1.1's base 60
            values[key] = value.strip()
        else:
            values[key] = load_yaml_text(value, f"--resource {key}") if value.strip() else None
        validate(Resources, {key: values[key]}, lambda _: "--resource")
    if values.get("gpus_per_node") and "tasks_per_node" not in values and defaults.tasks_per_node > 1:
        values["tasks_per_node"] = values["gpus_per_node"]  # a DDP run: one process per GPU it was given
    resources = validate(Resources, {**dataclasses.asdict(defaults), **values}, lambda _: "--resource")
    if resources.signal_before_s >= resources.minutes * 60:  # Slurm warns the job as it starts: it never trains
        raise UserError(
            f"Slurm resources: signal_before_s ({resources.signal_before_s} s) is not less than the time limit "
            f"(time: {resources.time}, {resources.minutes * 60} s): each job would be warned as it starts and requeue "
            f"itself before training; raise time or lower signal_before_s"
        )
    return resources
