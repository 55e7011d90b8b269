"""The trained models of a target's finished runs, for measurements made after training (fig7, 10-crop)."""

from __future__ import annotations

from typing import Iterator

from torch import nn

from ..basics.errors import UserError
from ..data.sources import Splits
from ..specs.config import RunConfig
from ..specs.run_id import RunStatus, final_status
from ..store.layout import RunFiles, read_json
from ..train.checkpoint import load_checkpoint
from ..train.context import RunContext
from ..train.loop import build_run_model


def finished_models(
    runs: list[RunConfig], context: RunContext, skip=lambda files: False
) -> Iterator[tuple[RunConfig, RunFiles, nn.Module, Splits]]:
    """(config, files, model with its final weights, data) for each finished run; `skip(files)` leaves runs out
    before anything is loaded. Datasets come from the context's cache: read once per command."""
    device = context.device
    for config in runs:
        files = RunFiles(context.results, config.name)
        final = read_json(files.final)
        if final_status(final) is not RunStatus.FINISHED or skip(files):
            continue
        state, warnings = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
        if state is None and not warnings:  # checkpoints deleted (to save space): nothing to measure
            continue
        if state is None:  # every checkpoint damaged: training again starts from the first iteration
            raise UserError(
                f"run {config.name} is finished, but none of its checkpoints is intact ({warnings[0]}); delete "
                f"{files.final} and run again to train it again from the start"
            )
        if state["iteration"] != config.recipe.iterations:  # never measure an earlier model
            why = warnings[0] if warnings else f"it holds iteration {state['iteration']}"
            raise UserError(
                f"run {config.name} is finished, but its final checkpoint is damaged ({why}); delete "
                f"{files.final} and run again to retrain it from its last good checkpoint"
            )
        splits = context.splits(config)
        model = build_run_model(config, splits).to(device)
        model.load_state_dict(state["model"])
        if state.get("bn_recomputed"):  # recipe.bn_stats: recomputed: the final numbers' BN statistics
            model.load_state_dict(state["bn_recomputed"], strict=False)
        yield config, files, model, splits
