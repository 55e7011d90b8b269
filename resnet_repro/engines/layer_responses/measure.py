"""Fig. 7: the standard deviation of each 3x3 conv layer's response in the trained fig6 nets, measured into
responses.csv (torch).

A response is the output of a 3x3 conv's batch norm: after BN, before the ReLU, and in a residual
block before the addition. Because every block conv is followed directly by its own BN module
(blocks.py), a forward hook on that BN sees exactly this tensor.

Our choices where the paper is silent: we measure the 6n block layers (18/54/108 for the
20/56/110-layer nets), not the stem conv, whose response is the same kind in plain and residual
nets; the images are the whole test set; the model is in eval mode (BN with running statistics);
the std is pooled over every element of the layer's response tensor (all images, channels and
positions), accumulated in float64 as sum and sum of squares.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from ...data.pipeline import EvalSet, mean_image
from ...models.blocks import BasicBlock, Bottleneck
from ...specs.config import RunConfig
from ...specs.experiments import Target
from ...store.layout import write_atomic
from ...store.paths import runs_profile
from ...train.context import RunContext
from ..curves_tables import runs_title
from ..outputs import measured_csv
from ..trained import finished_models

MEASUREMENT = (
    "std over all elements (images x channels x positions) of each block 3x3 conv's BN output, "
    "before ReLU and addition, in eval mode over the whole test set; the stem conv is not counted"
)


@dataclass(frozen=True)
class ResponseLayer:
    index: int  # 1-based, in network order
    stage: int  # 1-based
    module: nn.BatchNorm2d


def response_layers(model: nn.Module) -> list[ResponseLayer]:
    """The BN module after every 3x3 conv of every block, in network order."""
    layers = []
    for stage_index, stage in enumerate(model.stages, start=1):
        for block in stage:
            if isinstance(block, BasicBlock):
                bns = [block.bn1, block.bn2]
            elif isinstance(block, Bottleneck):
                bns = [block.bn2]  # the bottleneck's only 3x3 conv
            else:
                raise TypeError(f"unexpected block {type(block).__name__}")
            for bn in bns:
                layers.append(ResponseLayer(len(layers) + 1, stage_index, bn))
    return layers


class ResponseStats:
    """Running float64 sum, sum of squares and count of every element each hooked layer outputs."""

    def __init__(self, layers: list[ResponseLayer]):
        self.layers = layers
        self.sums = torch.zeros(len(layers), dtype=torch.float64)
        self.squares = torch.zeros(len(layers), dtype=torch.float64)
        self.counts = torch.zeros(len(layers), dtype=torch.float64)
        self._handles = []

    def __enter__(self) -> "ResponseStats":
        for position, layer in enumerate(self.layers):
            self._handles.append(layer.module.register_forward_hook(partial(self._record, position)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()

    def _record(self, position: int, module, inputs, output) -> None:
        values = output.detach().to(torch.float64)
        self.sums[position] += values.sum().cpu()
        self.squares[position] += values.square().sum().cpu()
        self.counts[position] += values.numel()

    def stds(self) -> list[float]:
        mean = self.sums / self.counts
        variance = (self.squares / self.counts - mean.square()).clamp_min(0)
        return variance.sqrt().tolist()


def measure_response_stds(model: nn.Module, batches) -> list[tuple[ResponseLayer, float]]:
    """Run every batch through the model in eval mode; the std of each layer's response."""
    layers = response_layers(model)
    was_training = model.training
    model.eval()
    with ResponseStats(layers) as stats, torch.inference_mode():
        for x, _ in batches:
            model(x)
    model.train(was_training)
    return list(zip(layers, stats.stds()))


RESPONSE_COLUMNS = ["model", "seed", "layer", "stage", "std", "profile"]


def said_every(batches, images: int, say, seconds: float = 8.0):
    """The batches, saying how many images have gone through every `seconds` (a deep net on a busy CPU takes
    minutes over the test set; a line now and then says it is still measuring). 8 s, since the check comes
    after a batch, which takes seconds of a deep net: the gaps stay near 10 s."""
    done, last = 0, time.monotonic()
    for x, y in batches:
        yield x, y
        done += len(x)
        if time.monotonic() - last >= seconds and done < images:
            say(f"  {done:,} of {images:,} test images measured")
            last = time.monotonic()


def measure_runs(runs: list[RunConfig], context: RunContext) -> list[dict]:
    """One row per (run, layer) for every finished run; unfinished runs are left out."""
    rows, device = [], context.device
    for config, _, model, splits in finished_models(runs, context):
        context.reporter.message(
            f"measuring the layer responses of {config.name} on {len(splits.test.labels):,} test images"
        )
        mean = mean_image(torch.from_numpy(splits.train.images).to(device))
        test = EvalSet(splits.test, mean, device, config.recipe.eval_batch_size)
        label = config.run_id.label
        batches = said_every(test.batches(), len(test), context.reporter.message)
        for layer, std in measure_response_stds(model, batches):
            rows.append(
                {
                    "model": label,
                    "seed": config.seed,
                    "layer": layer.index,
                    "stage": layer.stage,
                    "std": std,
                    "profile": config.run_id.profile_folder,
                }
            )
    return rows


def write_responses(target: Target, rows: list[dict], results: Path, runs: list[RunConfig]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = measured_csv(target, results, runs_profile(runs))
    write_atomic(path, buffer.getvalue())
    title = runs_title(target, runs)  # on a proxy, name the data used
    write_atomic(path.parent / "caption.md", f"{title}. Measurement: {MEASUREMENT}.\n")
