"""The gradflow engine: measure gradient norms at initialisation (seconds on a CPU), write gradflow.csv, plot it.

Its `gradflow:` section (which nets, seeds and batches) is typed here, beside the engine that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from ...basics.errors import UserError
from ...readback.report_parts import csv_rows
from ...readers.validation import STRICT_KEYS, Expect, Text, Whole
from ...specs.naming import parse_model_name
from ...specs.registry import register
from ...specs.target_checks import MAX_SEEDS, at_item, read_section
from ...store.results_file import DamagedFile
from ..base import Engine, Outcome, judged_section, not_run_section
from ..outputs import measured_csv, measured_csv_of
from .outputs import checked_gradflow, claim_verdict, plot_gradflow, write_verdicts

SAYS = "with BN, the plain nets' backward propagated gradients exhibit healthy norms"
WHERE = "Sec. 4.1 (no figure or number in the paper; measured here at initialisation)"


@dataclass(frozen=True)
class GradflowSection:
    """`gradflow:` which nets to measure at initialisation, over how many seeds and batches."""

    __pydantic_config__ = STRICT_KEYS

    conv_models: Annotated[tuple[Text, ...], Expect("expected a list of names")]
    fc_depths: Annotated[tuple[Whole(1, 10_000), ...], Expect("expected a list of whole numbers from 1 to 10000")]
    seeds: Annotated[Whole(1, MAX_SEEDS), Expect(f"expected a whole number >= 1 and <= {MAX_SEEDS}")]
    batches: Annotated[Whole(1, 10_000), Expect("expected a whole number >= 1 and <= 10000")]
    batch_size: Annotated[Whole(1, 65_536), Expect("expected a whole number >= 1 and <= 65536")]

    @classmethod
    def parse(cls, raw: dict, path: Path) -> "GradflowSection":
        section = read_section(cls, raw, "gradflow", path)
        for index, model in enumerate(section.conv_models):
            try:
                parse_model_name(model)
            except UserError as error:
                raise UserError(
                    f"{at_item(path, raw['gradflow'], 'conv_models', index)}: gradflow.conv_models[{index}]: {error}"
                ) from None
        index, odd = next(((i, depth) for i, depth in enumerate(section.fc_depths) if depth % 2), (0, None))
        if odd is not None:  # the demo's residual blocks are two layers each (measuring it raised an IndexError)
            raise UserError(
                f"{at_item(path, raw['gradflow'], 'fc_depths', index)}: gradflow.fc_depths: {odd} is odd: the demo's "
                f"residual blocks have two layers each; give even depths, e.g. [10, 30, 50]"
            )
        return section


class GradflowEngine(Engine):
    name = "gradflow"
    description = "gradient flow at initialisation"
    sections = {"gradflow": GradflowSection}
    trains = False
    measured_file = "gradflow.csv"

    def run(self, target, runs, all_runs, context) -> Outcome:
        from ...train.threads import FreeCoreWatch  # torch: only when gradflow runs
        from .measure import write_gradflow_csv

        # The measurement runs on this CPU: only its free cores, as `run` trains (2 threads on 2 cores with one
        # busy measured 68-98 s here, 1 thread 6 s).
        FreeCoreWatch(context.reporter.message).start_run()  # the count at a run's start, not watched after
        write_gradflow_csv(target, context.results)
        return Outcome(self.write_outputs(target, [], context.results))

    def write_outputs(self, target, runs, results: Path) -> list[Path]:
        csv_path = measured_csv_of(target, results, runs, checked_gradflow)
        return [
            csv_path,
            *write_verdicts(csv_path, csv_path.parent),
            *plot_gradflow(csv_path, csv_path.parent / target.name, target.title),
        ]

    def drawable_profiles(self, target, results: Path) -> list[str | None]:
        return [None] if measured_csv(target, results).exists() else []

    def report_section(self, section, results: Path, warn):
        csv_path = measured_csv(section.target, results)
        rows = csv_rows(csv_path, ("net", "layer", "grad_norm"), warn) if csv_path.exists() else None
        try:
            if rows is not None:
                checked_gradflow(csv_path)  # a number in each cell the verdicts compute with
        except DamagedFile as damage:
            warn(f"skipped {csv_path}: it {damage.reason}; the command that made it redraws it")
            rows = None
        if rows is None:
            return not_run_section(section, SAYS, WHERE)
        image = csv_path.parent / f"{section.target.name}.png"
        if not image.exists():
            self.write_outputs(section.target, [], results)
        section.images = [image]
        return judged_section(section, [(SAYS, WHERE, claim_verdict(rows))])


ENGINE = register(GradflowEngine())
