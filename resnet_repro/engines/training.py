"""`run` for engines that train: train what is missing, then measure (the engine's own step) and write outputs."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..config import RunConfig
from ..context import RunContext
from ..experiments import Target
from .base import Outcome

if TYPE_CHECKING:
    from .base import Engine


def run_training_target(
    engine: "Engine", target: Target, runs: list[RunConfig], all_runs: list[RunConfig], context: RunContext
) -> Outcome:
    """Train `runs` (a selection of `all_runs`), `context.jobs` at a time; outputs always cover all of the
    target's runs."""
    from ..train.distributed import finish_training
    from ..train.runner import train_runs

    refuse_links_on_the_way(target, all_runs, context)

    if context.jobs > 1:
        from ..train.jobs import train_runs_concurrently

        reports = train_runs_concurrently(runs, context)
    else:
        from ..train.pack import default_pack

        pack = context.pack if context.pack is not None else default_pack(runs, context.device)
        reports = train_runs(runs, dataclasses.replace(context, pack=pack))
    if not finish_training(context.device):  # the measurements and outputs below are rank 0's alone
        return Outcome(None, reports)
    context.reporter.message(after_training(engine, target))  # the last ETA said 0 s: say what still runs
    engine.measure(target, all_runs, context)
    return Outcome(engine.write_outputs(target, all_runs, context.results), reports)


def after_training(engine: "Engine", target: Target) -> str:
    """What a target does between its last training iteration and the end of the command."""
    from .base import Engine

    measures = type(engine).measure is not Engine.measure  # fig7's responses, ImageNet's 10-crop: minutes on a CPU
    then = "measuring the trained nets, then writing" if measures else "writing"
    return f"{target.name}: training done; {then} its outputs and the report"


def refuse_links_on_the_way(target: Target, all_runs: list[RunConfig], context: RunContext) -> None:
    """Every folder the command will write (each run's, the target's outputs) checked for a link before anything
    trains: a link found only when the figure is written would cost the whole training first."""
    from ..atomic import refuse_links
    from ..store.layout import RunFiles
    from ..store.paths import output_dir, runs_profile

    for config in all_runs:
        refuse_links(RunFiles(context.results, config.name).dir)
    refuse_links(output_dir(context.results, target, runs_profile(all_runs)))
