"""ImageNet tables (2, 3, 4) from runs/*/final.json and runs/*/<protocol>.json (no torch): ours beside the paper's."""

from __future__ import annotations

from pathlib import Path

from ...specs.config import RunConfig
from ...specs.experiments import Target
from ...specs.run_id import NotMeasurable, RunStatus
from ...store.layout import RunFiles, RunRecord, again, kept_checkpoint, read_json, read_run
from ...store.lock import is_training
from ...store.paths import output_dir, runs_profile
from ..curves_tables import profile_note, schedule_note, write_with_quoted

COLUMNS = [
    "model",
    "params",
    "top1_error",
    "top5_error",
    "paper_top1_error",
    "paper_top5_error",
    "delta_top1",
    "profile",
    "iterations",
    "status",
]


def imagenet_rows(target: Target, runs: list[RunConfig], results: Path) -> list[dict]:
    paper = target.section("table").paper
    known = target.profile(runs[0].profile) if runs else None
    comparable = known is not None and known.compared_with_paper and not runs[0].overrides
    rows = []
    for config in runs:
        run, crops = measured_run(results, config, table_protocol(target))
        final = {} if run.left_out else run.final
        reference = paper.get(f"{config.model}-{config.shortcut}") or paper.get(config.model) or {}
        top1 = crops.get("top1_error")
        rows.append(
            {
                "model": config.run_id.label,
                "params": final.get("params"),
                "top1_error": top1,
                "top5_error": crops.get("top5_error"),
                "paper_top1_error": reference.get("top1_error"),
                "paper_top5_error": reference.get("top5_error"),
                "delta_top1": top1 - reference["top1_error"]
                if comparable and top1 is not None and reference.get("top1_error") is not None
                else None,
                "profile": config.run_id.profile_folder,
                "iterations": config.recipe.iterations,
                "status": f"damaged: {run.left_out}"
                if run.left_out
                else table_status(run, crops, config, results, target),
            }
        )
    return rows


def table_status(run: RunRecord, crops: dict, config: RunConfig, results: Path, target: Target) -> str:
    """The run's status, as the other tables give it; a finished run that has no errors under the table's protocol
    and keeps no checkpoint to measure them from (deleted to save space) says so: `run` has nothing to measure.
    `show` says the same (the engine's `run_status`)."""
    files = RunFiles(results, config.name)
    if run.status is RunStatus.UNFINISHED and is_training(files.dir):  # a process holds its lock: as `show` says
        return "running"
    if run.status is RunStatus.FINISHED and not crops and not kept_checkpoint(files):
        return NotMeasurable(
            f"finished, not measured ({table_protocol(target)}): it keeps no checkpoint to measure it from (delete its "
            f"folder {again('to train it again', config.seed if config.further else None, files)})"
        )
    return run.status.value


def measured_run(results: Path, config: RunConfig, protocol: str) -> tuple[RunRecord, dict]:
    """A run as tables and the report read it (`read_run`), and its errors under `protocol`: {} where none are
    measured, or where its numbers are left out (a damaged folder, a finished run whose log disagrees with
    final.json), so a run left out of the final errors is left out of the protocol's too."""
    run = read_run(results, config)
    return run, {} if run.left_out else protocol_errors(results, config, protocol)


def protocol_errors(results: Path, config: RunConfig, protocol: str) -> dict:
    """A run's errors under `protocol`, {} where none are measured."""
    return read_json(RunFiles(results, config.name).dir / protocol_file(protocol)) or {}


def protocol_file(protocol: str) -> str:
    """Where a run's errors under a test protocol are stored, beside its final.json."""
    return f"{protocol}.json"


def table_protocol(target: Target) -> str:
    """The test protocol a table reports: `table: {protocol: multi-scale}`, else the standard 10-crop."""
    table = target.section("table")
    return (table.protocol if table is not None else None) or "10-crop"


PROTOCOL_NOTES = {
    "10-crop": "standard 10-crop (corners, centre, their flips; softmax averaged)",
    "multi-scale": "fully convolutional, whole images at shorter sides {scales}, softmax averaged{flips}",
}


QUOTED_COLUMNS = ["model", "top1_error", "top5_error", "source"]


def write_imagenet_table(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    folder = output_dir(results, target, runs_profile(runs))
    protocol = table_protocol(target)
    notes = [
        profile_note(runs),
        schedule_note(runs),
        f"top-1/top-5 error (%) on the val folder, {_protocol_note(protocol, runs)}, final iteration; delta only "
        "for the paper profile.",
    ]
    rows = imagenet_rows(target, runs, results)
    return write_with_quoted(folder, target.title, rows, COLUMNS, notes, quoted_rows(target), QUOTED_COLUMNS)


def quoted_rows(target: Target) -> list[dict]:
    """Other methods' rows, quoted from the paper, each with the paper's own mark where it gives one (Table 4's
    VGG 8.43 is "reported on the test set", not the val set of every other row)."""
    return [
        {
            "model": c["model"],
            "top1_error": c.get("top1_error"),
            "top5_error": c.get("top5_error"),
            "source": "quoted from the paper (other methods, not trained here)"
            + (f"; {c['note']}" if c.get("note") else ""),
        }
        for c in target.section("table").context
    ]


def _protocol_note(protocol: str, runs: list[RunConfig]) -> str:
    """The protocol in words, with the test scales the runs' recipe names (data.test_scales) and, for multi-scale,
    whether each scale is also flipped (data.multiscale_flip)."""
    data = runs[0].data if runs else None
    scales = "/".join(map(str, data.test_scales)) if data and data.test_scales else "the recipe's data.test_scales"
    flips = "" if data is None else ", each scale also flipped" if data.multiscale_flip else ", no flipped views"
    return PROTOCOL_NOTES[protocol].format(scales=scales, flips=flips)
