"""Where everything lives under results/, and small atomic file helpers. No torch here."""

from __future__ import annotations

import json
import math
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# write_atomic is also re-exported: the writers of results/ import it from here
from ..basics.atomic import confine_writes, open_appending, write_atomic
from ..basics.errors import PATH_CHARS, UserError, excerpt, require_utf8, shorten
from ..readers.yamlio import load_yaml_text, plain
from ..specs.config import RunConfig
from ..specs.run_id import RunId, RunStatus, final_status
from .results_file import (
    JSON_DEPTH,
    MEASURES,
    PROTOCOL_RECORDS,
    DamagedFile,
    MalformedFile,
    flow_nesting_beyond,
    open_lines,
    read_bytes,
    read_json_record,
    regular_size,
)

TIMING_COLUMNS = ("images_per_s", "elapsed_s")
METRIC_COLUMNS = ["iteration", "epoch", "lr", *MEASURES, *TIMING_COLUMNS]


def default_results_dir() -> Path:
    """The folder a command without --results uses: $RESNET_REPRO_RESULTS, else ./results."""
    return Path(os.environ.get("RESNET_REPRO_RESULTS") or "results")


def resolve_results_dir(cli_value: str | None) -> Path:
    """--results, else $RESNET_REPRO_RESULTS, else ./results. Every command finds its results folder here, so
    here it is also made the folder that no write inside passes a link out of (atomic.confine_writes)."""
    folder = Path(cli_value) if cli_value else default_results_dir()
    require_utf8(str(folder), "the results folder")
    if folder.exists() and not folder.is_dir():  # not a matter of space or permissions: say what it is
        raise UserError(
            f"the results folder {shorten(str(folder), PATH_CHARS)} is a file, not a folder (--results or "
            f"RESNET_REPRO_RESULTS): name a folder (one that does not exist yet is made), or move the file away"
        )
    confine_writes(folder)
    return folder


def _run_file(name: str) -> property:
    """The file `name` in the run's folder."""
    return property(lambda files: files.dir / name)


@dataclass(frozen=True)
class RunFiles:
    root: Path  # results/
    name: str  # cifar10/resnet-56-A/paper/seed0

    @property
    def dir(self) -> Path:
        return self.root / "runs" / self.name

    config = _run_file("config.yaml")
    metrics = _run_file("metrics.csv")
    final = _run_file("final.json")
    meta = _run_file("meta.json")
    checkpoint = _run_file("checkpoint.pt")
    previous_checkpoint = _run_file("checkpoint.prev.pt")
    lock = _run_file(".lock")


def write_json(path: Path, data: dict) -> None:
    # A name that is not UTF-8 (a folder, a file) would be written as surrogate escapes, another name than the
    # one on disk; every entry point refuses such names, and this is the last check before one is recorded.
    for text in _texts(data):
        require_utf8(text, f"{path.name}: the name")
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def _texts(value):
    """Every string a JSON record holds, keys included (other values as json.dumps(default=str) writes them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif not isinstance(value, (int, float, bool)) and value is not None:
        yield str(value)


def read_json(path: Path) -> dict | None:
    """The object in a JSON file in results; None when it is missing, unreadable, cut short, not an object, or
    damaged (see results_file.read_json_record; `run_damage` says why a run's files are damaged)."""
    try:
        return read_json_record(path)
    except (OSError, DamagedFile):
        return None


# Every file the tool keeps in a run folder: each must be a regular file (JSON records are also read, bounded).
RUN_FILES = (
    "config.yaml",
    "final.json",
    "meta.json",
    "metrics.csv",
    "checkpoint.pt",
    "checkpoint.prev.pt",
    "checkpoints.sha256",
    ".lock",
    *PROTOCOL_RECORDS,
)


def run_damage(files: RunFiles) -> str | None:
    """Why a run's folder holds a file the tool could not have written (a link, a pipe or a device where a file
    belongs; a record too large, too deep, with a number too long or a field of the wrong type, or naming another
    run), None when it does not. A JSON record merely cut short is not damage: it counts as absent, and the run
    resumes."""
    link = folder_link(files)  # every file below it would be read from wherever it leads: not this run's
    if link is not None:
        to = shorten(os.readlink(link), PATH_CHARS)
        named = shorten(link.relative_to(files.root).as_posix(), PATH_CHARS)
        where = f"a link (to {to})" if link == files.dir else f"below a link ({named} leads to {to})"
        return f"its folder is {where}; no link inside results is followed"
    blocked = folder_blocked(files)
    if blocked is not None:  # nothing can be written below it: `run` cannot make the run's folder
        return f"{BLOCKED}{shorten(blocked.relative_to(files.root).as_posix(), PATH_CHARS)} is a file, not a folder"
    for name in RUN_FILES:
        path = files.dir / name
        try:
            if name.endswith(".json"):
                named = (read_json_record(path) or {}).get("run")
                if named is not None and named != files.name:  # another run's folder copied here: not its numbers
                    return f"{name} is the record of run {shorten(named, PATH_CHARS)}, not of this folder's run"
            elif name == "config.yaml" and read_bytes(path, MAX_CONFIG_BYTES) is not None:
                read_run_config(path)  # YAML `run` cannot compare its config with: it refuses the folder
            else:
                regular_size(path)
        except (MalformedFile, OSError):  # cut short (absent, as above), or unreadable: the readers say so
            continue
        except DamagedFile as damage:
            return damage.why
    return None


def folder_link(files: RunFiles) -> Path | None:
    """The first folder from results/runs down to the run's own that is a link (runs/cifar10/plain-20 leading
    elsewhere, or the run's folder itself), None where none is."""
    return next((folder for folder in _folders_down(files) if folder.is_symlink()), None)


def _folders_down(files: RunFiles):
    """results/runs, then each folder below it down to the run's own."""
    folder = files.root
    for part in ("runs", *Path(files.name).parts):
        folder = folder / part
        yield folder


BLOCKED = (
    "its folder cannot be made: "  # run_damage's words for a file where the run's folder, or one above it, must be
)


def folder_blocked(files: RunFiles) -> Path | None:
    """The first path from results/runs down to the run's own folder that is there but no folder (a file, a pipe), None
    where none is: `run` cannot make the run's folder below it."""
    return next((folder for folder in _folders_down(files) if os.path.lexists(folder) and not folder.is_dir()), None)


def blocked_folder(problem: str) -> bool:
    """Whether `problem` (run_damage's) is a file where the run's folder, or one above it, must be (`folder_blocked`).
    Its fix moves that file away: the run has no folder to delete."""
    return problem.startswith(BLOCKED)


def run_status(files: RunFiles) -> RunStatus:
    """The one place a run's status is worked out: final.json if there is one, else whether it started."""
    recorded = final_status(read_json(files.final))
    if recorded is not None:
        return recorded
    return RunStatus.UNFINISHED if files.checkpoint.exists() or files.metrics.exists() else RunStatus.NOT_STARTED


MAX_ROW_CHARS = 1000  # a row this tool writes is about 100 characters; a longer line is not one of ours
UNBOUND_ROWS = 100_000  # the most rows a reader that does not know the run's iterations reads


MAX_CONFIG_BYTES = 64 * 1024  # a run's config.yaml is about 2 kB


def read_run_config(path: Path) -> dict:
    """A run folder's config.yaml, read with the target files' bounds (no aliases, no more than a run's config can
    hold): a planted one is a DamagedFile saying it is unreadable, never an expansion (`run_damage` calls the run
    damaged for it)."""
    try:
        data = read_bytes(path, MAX_CONFIG_BYTES)
        if data is None:
            raise FileNotFoundError(path)
        text = data.decode()
        if flow_nesting_beyond(text):
            raise DamagedFile(path, f"is nested deeper than {JSON_DEPTH} levels; a run's config nests four")
        stored = load_yaml_text(text, str(path))
    except DamagedFile as damage:
        raise DamagedFile(path, f"is unreadable (it {damage.reason[:160]})") from None
    except UserError as error:
        reason = str(error).split("malformed YAML: ")[-1]  # the file is named once, in front
        raise DamagedFile(path, f"is unreadable ({reason[:120]})") from None
    except (OSError, ValueError):  # ValueError: not UTF-8 text
        raise DamagedFile(path, "is unreadable") from None
    if not isinstance(stored, dict):
        raise DamagedFile(path, "is unreadable (not a mapping)")
    return stored


def stored_config_conflict(files: RunFiles, config: RunConfig) -> str | None:
    """None if the run folder is new or was made with this config; else the first differences between its
    config.yaml and `config` (what the recipe resolves to now). `run` refuses such a folder; `show`, the tables and
    the report say so beside its numbers."""
    if not files.config.exists():
        return None
    try:
        stored = read_run_config(files.config)
    except UserError as error:
        return str(error)
    requested = yaml.safe_load(yaml.safe_dump(plain(config.to_dict())))
    return _first_difference(stored, requested)


def config_conflict_fix(files: RunFiles) -> str:
    """What to do with a run folder trained with another config than the one requested (`stored_config_conflict`)."""
    return f"To keep it, train the new config into another folder with --results DIR; to replace it, delete {files.dir}"


_ABSENT = object()  # a key the stored config does not have at all


def _first_difference(stored, requested) -> str | None:
    """The differences a user should see first: changed values before settings a newer version added (a new key
    stored as None changes nothing the run did); at most three, and how many there are."""
    found = sorted(_differences(stored, requested), key=lambda d: d[1] is _ABSENT)
    if not found:
        return None
    shown = "; ".join(
        f"{key}: stored {'(absent: an older version)' if old is _ABSENT else repr(old)}, requested {new!r}"
        for key, old, new in found[:3]
    )
    return shown + (f"; and {len(found) - 3} more" if len(found) > 3 else "")


def _differences(stored, requested, prefix: str = "") -> list[tuple[str, object, object]]:
    if isinstance(stored, dict) and isinstance(requested, dict):
        keys = list(requested) + [k for k in stored if k not in requested]
        return [
            d
            for key in keys
            for d in _differences(stored.get(key, _ABSENT), requested.get(key, _ABSENT), f"{prefix}{key}.")
        ]
    if stored is _ABSENT and requested is None:
        return []  # a setting added since, left unset: the run did what it does unset (e.g. data.image_size)
    if stored != requested:
        return [(prefix.rstrip(".").removeprefix("settings."), stored, requested)]
    return []


@dataclass(frozen=True)
class MetricsRead:
    """The rows of a metrics.csv that can be the run's, and why some cannot (None when all can)."""

    rows: list[dict]
    problem: str | None = None


def read_metrics(path: Path, iterations: int | None = None, log_every: int = 1) -> list[dict]:
    """The rows of a metrics.csv a reader may use; see `scan_metrics` (rows that cannot be the run's are left out)."""
    return scan_metrics(path, iterations, log_every).rows


def scan_metrics(path: Path, iterations: int | None = None, log_every: int = 1) -> MetricsRead:
    """A metrics.csv read in time and memory in proportion to the run's own log: a run of N iterations logged
    every k writes at most N // k + 1 rows, so reading stops one row past that, and at a line longer than any row
    this tool writes. Rows are kept when complete, numeric, in increasing iteration order and (given the run's
    `iterations`) not past its end; the first row that is not is the problem. A last line without its newline (a
    kill mid-write) is dropped silently: the next resume rewrites it."""
    bound = iterations // log_every + 1 if iterations is not None else UNBOUND_ROWS
    rows: list[dict] = []
    problems: list[str] = []
    try:
        handle = open_lines(path)  # a regular file only: never a pipe's endless wait, nor a link
    except DamagedFile as damage:
        return MetricsRead([], damage.why)
    except OSError:
        handle = None
    if handle is None:
        return MetricsRead([])  # no log (yet): not a problem of the log's
    with handle:
        header = handle.readline(MAX_ROW_CHARS).rstrip("\r\n").split(",")
        if "iteration" not in header:
            return MetricsRead([], "metrics.csv has no header row naming its columns")
        previous = -1
        for number in range(1, bound + 2):
            line = handle.readline(MAX_ROW_CHARS)
            if not line.endswith("\n"):
                if len(line) >= MAX_ROW_CHARS:
                    problems.append(f"metrics.csv row {number} is longer than any row this tool writes")
                break  # the end, or a last line cut short by a kill
            if number > bound:
                problems.append(f"metrics.csv has more rows than {_log_size(iterations, log_every)} can write")
                break
            row, why = _parse_row(header, line, previous, iterations)
            if why:
                problems.append(f"metrics.csv row {number} {why}")
                continue
            rows.append(row)
            previous = int(row["iteration"])
    return MetricsRead(rows, problems[0] if problems else None)


def _log_size(iterations: int | None, log_every: int) -> str:
    if iterations is None:
        return f"this tool reads ({UNBOUND_ROWS:,})"
    return f"a run of {iterations:,} iterations logged every {log_every}"


def _parse_row(header: list[str], line: str, previous: int, iterations: int | None) -> tuple[dict, str | None]:
    """One line as a row, or why it cannot be one of the run's rows."""
    values = line.rstrip("\r\n").split(",")
    if len(values) != len(header):
        return {}, f"has {len(values)} values, the header names {len(header)} columns"
    row = dict(zip(header, values))
    for column, value in row.items():
        try:
            float(value or 0)  # an empty value is a measure not taken at this log point
        except ValueError:
            return {}, f"has {column} = {excerpt(value)}, not a number"
    try:
        iteration = int(row["iteration"])
    except ValueError:
        return {}, f"has iteration = {excerpt(row['iteration'])}, not a whole number"
    if iterations is not None and iteration > iterations:
        return {}, f"is at iteration {iteration:,}, past the run's {iterations:,} iterations"
    if iteration <= previous:
        return {}, f"is at iteration {iteration:,}, not after the row before it ({previous:,})"
    return row, None


def lock_damaged(problem: str) -> bool:
    """Whether `problem` (run_damage's) is the run's `.lock` alone: a folder, link or pipe where the lock file belongs.
    The lock holds a process id and nothing of the run, so removing it is the fix; the folder's checkpoints and
    records stay."""
    return problem.startswith(".lock ")


def protocol_damaged(problem: str) -> str | None:
    """The protocol record (10-crop.json, multi-scale.json) that `problem` (run_damage's) names, None when it names
    another file. run_damage checks these records last, so every other file of the run is sound: the record is
    derived from the run's final checkpoint after training, and removing it alone has it measured again."""
    return next((name for name in PROTOCOL_RECORDS if problem.startswith(f"{name} ")), None)


def linked_folder(problem: str) -> bool:
    """Whether `problem` (run_damage's) is the run's folder being a link, or a folder above it (`folder_link`). Its
    fix removes the link alone: `rm -r` on it with a trailing slash, what "delete its folder" could lead to, deletes
    the folder it leads to."""
    return problem.startswith(("its folder is a link ", "its folder is below a link "))


def kept_checkpoint(files: RunFiles) -> bool:
    """Whether the run keeps a checkpoint to measure a protocol record again from: a finished run whose checkpoints
    were deleted (to save space) is measured from none, so removing its record alone would leave it unmeasured."""
    return files.checkpoint.exists() or files.previous_checkpoint.exists()


def damage_fix(files: RunFiles, problem: str) -> str:
    """How to clear a run's damage (run_damage's `problem`) before training it: the lock alone, a protocol record
    alone (where a checkpoint is kept to measure it again from), or the whole folder."""
    if lock_damaged(problem):
        return f"Remove {files.lock} (the run's lock: its checkpoints and records stay) and run again"
    if linked_folder(problem):
        link = folder_link(files) or files.dir
        return (
            f"Remove the link itself, not the folder it leads to: `rm {shlex.quote(str(link))}` (no -r, no trailing /), "
            f"then run again to train it"
        )
    if blocked_folder(problem):
        return f"Move {folder_blocked(files) or files.dir} away (a file where a folder must be) and run again"
    record = protocol_damaged(problem)
    if record and kept_checkpoint(files):
        return (
            f"Remove {files.dir / record} (measured from the run's final checkpoint after training: its checkpoints "
            f"and other records stay) and run again to measure it again"
        )
    if record:
        return (
            f"The run keeps no checkpoint to measure {record} again from: delete its folder {files.dir} to train it "
            f"again"
        )
    return f"Delete its folder {files.dir} to train it again"


def damage_retrains(files: RunFiles, problem: str) -> bool:
    """Whether clearing a run's damage as `damage_fix` says trains the run again from its first iteration: all damage
    but the lock alone, and a protocol record the run keeps a checkpoint to measure again from."""
    return not lock_damaged(problem) and not (protocol_damaged(problem) and kept_checkpoint(files))


def damage_note(files: RunFiles, problem: str, further: int | None = None) -> str:
    """What tables and the report say of a run whose numbers are left out (see `read_run`); `further`: the run's seed
    where it is one beyond those planned (`RunConfig.further`), which `run` trains or measures again only when its
    --seeds names it."""
    run = files.name
    if blocked_folder(problem):
        return f"run {run}: {problem}; it has no numbers (move the file away {again('to train it', further, files)})"
    return f"run {run}: {problem}; its numbers are left out ({_to_read_again(files, problem, further)})"


def _to_read_again(files: RunFiles, problem: str, further: int | None) -> str:
    """What brings back the numbers `damage_note` says are left out (all of the run's damage but a blocked folder)."""
    if lock_damaged(problem):
        return "remove its .lock alone, which holds nothing of the run, to read them again"
    record = protocol_damaged(problem)
    if record and kept_checkpoint(files):
        measure = f"run with {_seed_alone(files, further)}" if further is not None else "run it"
        return f"remove its {record} alone and {measure} to measure it again{_left_out_without_seeds(further)}"
    retrain = again("to train it again", further, files)
    if linked_folder(problem):
        return f"remove the link alone, with `rm` and no trailing /, not the folder it leads to, {retrain}"
    if record:
        return f"it keeps no checkpoint to measure {record} again from: delete its folder {retrain}"
    return f"delete its folder {retrain}"


def again(words: str, further: int | None, files: RunFiles) -> str:
    """`words` ("to train it again") after the advice to delete a run's folder, where a `run` alone trains it again;
    for a seed beyond the planned ones (`further`, its number), the options that train that seed of that net alone."""
    if further is None:
        return words
    return f"and run with {_seed_alone(files, further)} {words}{_left_out_without_seeds(further)}"


def _seed_alone(files: RunFiles, seed: int) -> str:
    """--seeds and --only that name one seed of one net (`--seeds 3,` is seed 3 alone; `--seeds 4` would be 0 to 3)."""
    return f"`--seeds {seed}, --only {RunId.parse(files.name).label}`"


def _left_out_without_seeds(further: int | None) -> str:
    return "" if further is None else f"; without --seeds, run leaves seed {further} out"


@dataclass(frozen=True)
class RunRecord:
    """A run folder as tables and the report read it back (`read_run`): its status, final and meta records ({} where
    absent) and its log's rows. A folder holding a file the tool could not have written reads as empty records:
    nothing in it is trusted."""

    left_out: str | None  # why its numbers are left out (a damage_note), if they are
    from_start: bool = False  # whether the fix that note gives trains the run again from its first iteration
    status: RunStatus | None = None  # None where the folder is damaged
    final: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    # how its config.yaml differs from the config the recipe resolves to now (`stored_config_conflict`): `run` refuses
    # the folder; its numbers are kept, said to be of that other config
    differs: str | None = None


def read_run(results: Path, config: RunConfig) -> RunRecord:
    """The one reader of a run folder for tables and the report. Its numbers are left out where the folder is
    damaged, or where a finished run's log disagrees with its final record (a row that cannot be the run's, see
    `scan_metrics`, or a last row that is not the one final.json gives): which of the two is wrong is unknown, so
    neither is used."""
    files = RunFiles(results, config.name)
    further = config.seed if config.further else None  # a seed `run` trains again only when --seeds names it
    if damage := run_damage(files):  # a link, a pipe, a record no run writes
        return RunRecord(damage_note(files, damage, further), damage_retrains(files, damage))
    final = read_json(files.final) or {}
    status = run_status(files)
    log = scan_metrics(files.metrics, config.recipe.iterations, config.recipe.log_every)
    problem = (log.problem or _last_row_problem(log.rows, final)) if status is RunStatus.FINISHED else None
    left_out = damage_note(files, problem, further) if problem else None
    differs = stored_config_conflict(files, config)
    return RunRecord(left_out, bool(problem), status, final, read_json(files.meta) or {}, log.rows, differs)


def _last_row_problem(rows: list[dict], final: dict) -> str | None:
    """Why a finished run's last logged row is not the one its final.json gives: its training error differs
    (final.json takes it from that row, at full precision; the CSV keeps 6 digits)."""
    last = rows[-1] if rows else {}
    recorded = final.get("train_error")
    if last.get("train_error") and int(last["iteration"]) == final.get("iterations") and recorded is not None:
        logged = float(last["train_error"])
        if not math.isclose(logged, float(recorded), rel_tol=1e-5, abs_tol=1e-6):
            return f"metrics.csv's last row has train_error {logged:g}, final.json {float(recorded):g}"
    return None


class MetricsLog:
    """metrics.csv, one row per log point; rows past a resumed checkpoint are dropped first."""

    def __init__(self, path: Path, resume_from: int):
        self.path = path
        kept = read_metrics(path, iterations=resume_from)  # rows past the checkpoint are left out, and not read
        lines = [",".join(METRIC_COLUMNS)] + [",".join(row.get(c, "") for c in METRIC_COLUMNS) for row in kept]
        write_atomic(path, "\n".join(lines) + "\n")

    def append(self, row: dict) -> None:
        values = [_fmt(row.get(column)) for column in METRIC_COLUMNS]
        with open_appending(self.path) as handle:  # closed, so flushed, before the next step
            handle.write(",".join(values) + "\n")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
