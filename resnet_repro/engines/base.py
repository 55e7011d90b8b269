"""What every engine is: one object that says what a target of it trains, measures, writes and redraws.

`run`, `plot`, `list`, `show` and `report` know engines only through this interface (looked up by the name a
target file gives in `engine:`), so a new engine is one new folder whose engine.py registers itself, and no other code.
No torch here, nor in any engine module at import: what trains or measures imports torch inside its method.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..basics.atomic import refuse_links
from ..basics.errors import UserError
from ..claims.base import NOT_RUN, Verdict
from ..readback.measured import profiles_with_results, read_runs
from ..readback.report_parts import Score, run_command
from ..store.layout import RunFiles
from ..store.paths import output_dir, runs_profile

if TYPE_CHECKING:
    from ..readback.measured import Measured
    from ..readback.report_parts import TargetSection
    from ..specs.config import RunConfig
    from ..specs.experiments import Target
    from ..store.layout import RunRecord
    from ..train.context import RunContext


@dataclass
class Outcome:
    """What `run TARGET` did: the runs' reports (engines that train), the files written, a table to print."""

    written: list[Path] | None  # None: another process of a torchrun launch (rank 0 writes)
    reports: list = field(default_factory=list)  # train.loop.RunReport per run
    table: tuple[str, list[dict], list[str]] | None = None  # (title, rows, columns) to show on the console


class Engine:
    """The defaults are those of an engine that trains a target's runs from its recipe and reads their results
    from the run folders; an engine overrides what it does otherwise."""

    name: str = ""
    description: str = ""  # what computes the target's outputs, one phrase (`show`, errors)
    sections: dict[str, type] = {}  # YAML section -> its schema (`parse(raw, path)` where it needs the whole file)
    trains: bool = True  # whether `run` trains the target's runs (a target of it names a recipe)
    draws: bool = True  # whether `plot` can redraw its outputs from results/ alone
    metrics: tuple[str, ...] = ()  # what its runs measure: what a claim may compare
    paper_metrics: tuple[str, ...] = ()  # the paper's numbers it judges (table.paper)
    seeds_metric: str = ""  # the metric whose values count a net's finished seeds in the report
    paper_data: str | None = None  # the dataset its paper numbers are measured on; anything else is a proxy
    report_columns: tuple[tuple[str, str, bool], ...] = ()  # report table: (heading, metric, show the best seed)
    measured_file: str | None = None  # the one CSV it measures into, in the target's output folder
    # On a cluster, one run trains over batch_size / bn_batch processes (DDP), one per share of the batch that batch
    # norm normalises, as the paper's GPUs did; otherwise a run is one process (cluster/resources.py).
    splits_batch_over_processes: bool = False

    @property
    def measures(self) -> bool:
        """Whether it measures the trained nets after training (fig7's layer responses, ImageNet's 10-crop test):
        minutes of a device's work, in the outputs job on a cluster too."""
        return type(self).measure is not Engine.measure

    # ------------------------------------------------------------------ run

    def run(
        self, target: "Target", runs: list["RunConfig"], all_runs: list["RunConfig"], context: "RunContext"
    ) -> Outcome:
        """`run TARGET`: train `runs` (a selection of `all_runs`), `context.jobs` at a time, measure, and write outputs
        over `all_runs` (always all of the target's runs)."""
        # train/ imports torch: only where something trains, never when plot, report or list load an engine
        from ..train.distributed import finish_training
        from ..train.runner import train_runs

        refuse_links_on_the_way(target, all_runs, context)

        if context.jobs > 1:
            from ..train.jobs import train_runs_concurrently  # torch: only where something trains

            reports = train_runs_concurrently(runs, context)
        else:
            from ..train.pack import default_pack  # torch: only where something trains

            pack = context.pack if context.pack is not None else default_pack(runs, context.device)
            reports = train_runs(runs, dataclasses.replace(context, pack=pack))
        if not finish_training(context.device):  # the measurements and outputs below are rank 0's alone
            return Outcome(None, reports)
        tagged = bool(all_runs) and all_runs[0].run_id.tag is not None  # --set runs: their own table, no report
        context.reporter.message(after_training(self, target, report=not tagged))  # the last ETA said 0 s
        self.measure(target, all_runs, context)
        return Outcome(self.write_outputs(target, all_runs, context.results), reports)

    def measure(self, target: "Target", runs: list["RunConfig"], context: "RunContext") -> None:
        """After training, on rank 0: measurements of the trained nets the outputs are drawn from (none here)."""

    # ------------------------------------------------------------------ outputs (no torch)

    def write_outputs(self, target: "Target", runs: list["RunConfig"], results: Path) -> list[Path]:
        """The target's tables and figures from results/ alone: what `plot` does and what `run` ends with."""
        raise UserError(
            f"{target.name} is a table with nothing to draw: `resnet-repro run {target.argument}` writes it"
        )

    def drawable_profiles(self, target: "Target", results: Path) -> list[str | None]:
        """The profiles `plot TARGET` redraws: every named profile with results (none for a target without a recipe;
        an engine of such targets that draws returns [None] once its one output exists)."""
        return profiles_with_results(target, results)

    def run_status(self, target: "Target", config: "RunConfig", record: "RunRecord", results: Path) -> str:
        """A sound run's status (`read_run`'s `record`, not left out) as the target's table words it: what `show` says
        of the run. Here, the status its folder records."""
        return record.status.value

    # ------------------------------------------------------------------ what report and list read

    def read_measured(self, found: "Measured", results: Path) -> None:
        """Fill `found` (one profile's runs) with the numbers under results/: here, what the runs' folders hold."""
        read_runs(found, results)

    def report_section(
        self, section: "TargetSection", results: Path, warn: Callable[[str], None]
    ) -> "TargetSection | None":
        """The report's section of a target without profiles (`not_run_section` or `judged_section`); None: one part
        per profile with results."""
        return None

    def report_notes(self, target: "Target", results: Path) -> list[str]:
        """Notes on a target's report section beyond its profiles' own (e.g. an outdated file)."""
        return []


# ---------------------------------------------------------------------- what the default run says and checks


def after_training(engine: Engine, target: "Target", report: bool = True) -> str:
    """What a target does between its last training iteration and the end of the command (runs with --set
    overrides write their own table and figure, and no report)."""
    then = "measuring the trained nets, then writing" if engine.measures else "writing"  # minutes on a CPU
    return f"{target.name}: every run is trained; {then} its outputs" + (" and the report" if report else "")


def refuse_links_on_the_way(target: "Target", all_runs: list["RunConfig"], context: "RunContext") -> None:
    """Every folder the command will write (each run's, the target's outputs) checked for a link before anything
    trains: a link found only when the figure is written would cost the whole training first."""
    for config in all_runs:
        refuse_links(RunFiles(context.results, config.name).dir)
    refuse_links(output_dir(context.results, target, runs_profile(all_runs)))


# ---------------------------------------------------------------------- the report's section of a target without profiles


def not_run_section(section: "TargetSection", says: str, where: str) -> "TargetSection":
    """The section of a target that has not run: its claim, not run, with the command that runs it."""
    section.not_run = run_command(section.target)
    section.scores.append(Score(section.target.name, says, where, "—", Verdict(NOT_RUN, ""), section.not_run))
    return section


def judged_section(section: "TargetSection", verdicts: list[tuple[str, str, Verdict]]) -> "TargetSection":
    """The section of a target that has run: a row per (what the paper says, where, the verdict), and its notes."""
    section.scores += [Score(section.target.name, says, where, "—", verdict) for says, where, verdict in verdicts]
    section.notes = [section.target.notes] if section.target.notes else []
    return section
