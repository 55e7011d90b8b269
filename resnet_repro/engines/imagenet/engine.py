"""The imagenet engine (fig4, tables 2-4): train the ImageNet nets; a table's nets are then measured once
under its test protocol (10-crop, multi-scale), and the table and curves are drawn from the run folders."""

from __future__ import annotations

from pathlib import Path

from ...specs.registry import register
from ...specs.run_id import RunStatus
from ...store.aggregate import collect
from ..base import Engine
from ..curves_tables import draw_curves, write_curve_table
from ..sections import FigureSection, TableSection
from .outputs import measured_run, protocol_errors, table_protocol, table_status, write_imagenet_table


class ImageNetEngine(Engine):
    name = "imagenet"
    description = "ImageNet training"
    sections = {"table": TableSection, "figure": FigureSection}
    metrics = ("train_error", "test_error", "top1_error", "top5_error")
    paper_metrics = ("top1_error", "top5_error")
    seeds_metric = "top1_error"
    report_columns = (("top-1 error", "top1_error", False), ("top-5 error", "top5_error", False))
    paper_data = "imagenet"
    splits_batch_over_processes = True  # the paper's 8 GPUs, 32 images each

    def measure(self, target, runs, context) -> None:
        if target.section("table") is not None:
            from .measure import measure_protocol  # torch: only when the trained nets are measured

            measure_protocol(runs, context, table_protocol(target))

    def write_outputs(self, target, runs, results: Path) -> list[Path]:
        models = collect(runs, results)
        written = (
            write_imagenet_table(target, runs, results)
            if target.section("table") is not None
            else write_curve_table(target, runs, results, models)
        )
        return written + draw_curves(target, runs, results, models, top=100)  # curves: the same drawing as CIFAR's

    def run_status(self, target, config, record, results: Path) -> str:
        """As the target's table words it: a finished run that can never be measured under its protocol says so."""
        if target.section("table") is None:
            return super().run_status(target, config, record, results)
        crops = protocol_errors(results, config, table_protocol(target))
        return table_status(record, crops, config, results, target)

    def read_measured(self, found, results: Path) -> None:
        """Each finished run's final errors, and its errors under the table's test protocol; a run whose numbers
        are left out (`read_run`: the report says why) counts in neither."""
        super().read_measured(found, results)
        for config in found.runs:
            run, errors = measured_run(results, config, table_protocol(found.target))
            if run.status is not RunStatus.FINISHED or run.left_out:
                continue
            for metric in ("top1_error", "top5_error"):
                if errors.get(metric) is not None:
                    found.values.setdefault(metric, {}).setdefault(found.keys[config.name], []).append(
                        float(errors[metric])
                    )


ENGINE = register(ImageNetEngine())
