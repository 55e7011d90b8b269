"""The layer_responses engine (fig7): train (or reuse) the fig6 nets, measure the std of every layer's
response on the test set into responses.csv, and draw the table and figure from that file."""

from __future__ import annotations

from pathlib import Path

from ...readback.measured import read_runs
from ...specs.registry import register
from ...store.results_file import DamagedFile, open_lines
from ..base import Engine
from ..outputs import measured_csv
from .outputs import left_out_runs, read_responses, write_response_outputs


class LayerResponsesEngine(Engine):
    name = "layer_responses"
    description = "layer-response analysis"
    metrics = ("response_std",)
    seeds_metric = "response_std"
    report_columns = (("mean response std", "response_std", False),)
    paper_data = "cifar10"
    measured_file = "responses.csv"
    write_outputs = staticmethod(write_response_outputs)  # (target, runs, results): the table and figure of its CSV

    def measure(self, target, runs, context) -> None:
        from .measure import measure_runs, write_responses  # torch: only when nets are measured

        write_responses(target, measure_runs(runs, context), context.results, runs)

    def read_measured(self, found, results: Path) -> None:
        read_runs(found, results, metrics=())
        csv_path = measured_csv(found.target, results, found.profile)
        read_responses(found, csv_path, left_out_runs(found.runs, results))
        if not csv_path.exists():  # the nets may be trained (fig6 shares them), but fig7 has measured nothing
            found.started = 0

    def report_notes(self, target, results: Path) -> list[str]:
        legacy = measured_csv(target, results, None)  # an older version wrote it to the target's own folder
        if _without_profile_column(legacy):
            return [
                f"{legacy} was written by an older version that did not record which profile it measured; "
                f"`resnet-repro run {target.argument} --profile P` measures it again (no training)."
            ]
        return []


def _without_profile_column(path: Path) -> bool:
    """Whether a measured CSV is an older version's, which named no profile: its header, read from a regular file
    only and no further than its first line (an absent or damaged file is not an older version's)."""
    try:
        handle = open_lines(path)
    except (OSError, DamagedFile):
        return False
    if handle is None:
        return False
    with handle:
        return "profile" not in handle.readline(4096)


ENGINE = register(LayerResponsesEngine())
