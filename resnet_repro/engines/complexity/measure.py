"""Table 1: exact parameter counts and FLOPs of every net, no training."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from ...analysis.complexity import count_multiply_adds, count_parameters
from ...models import build_model
from ...specs.experiments import Target
from ...specs.naming import model_label
from ...store.tables import ExtraTable, write_table

COLUMNS = [
    "model",
    "params",
    "flops",
    "paper_params",
    "paper_flops",
    "family",
    "variant",
    "input",
    "torchvision_params",
]
LAYOUT_COLUMNS = ["model", "stage", "output_size", "block", "blocks"]


def _rows_and_layouts(target: Target, say: Callable[[str], None] = print) -> tuple[list[dict], list[dict]]:
    """(one row of counts per net, the per-stage layout of each residual net, as Table 1 lays it out); `say` gets a
    line per net counted, since the ImageNet nets take a second or more each."""
    rows, layouts, laid_out = [], [], set()
    nets = target.section("nets", ())  # checked when the file was read (engine.py)
    for index, net in enumerate(nets):
        variant = net.variant or "original"
        with torch.device("meta"):  # shapes only: counting costs no memory or compute
            model = build_model(net.model, shortcut=net.shortcut, variant=variant, in_channels=net.input[0])
        label = model_label(net.model, net.shortcut)
        name = f"{label.rsplit('-', 1)[0]}{' v1.5' if variant == 'v1.5' else ''}"  # resnet-50: any shortcut
        if label.startswith("resnet") and name not in laid_out:  # a plain twin has the same layout
            laid_out.add(name)
            layouts += stage_layout(model, name, net.input)
        depth_is_bottleneck = model.depth in (50, 101, 152) and hasattr(model, "maxpool")
        rows.append(
            {
                "model": label + (" v1.5" if variant == "v1.5" else ""),
                "params": count_parameters(model),
                "flops": count_multiply_adds(model, net.input),
                "paper_params": _int_or_none(net.paper_params),
                "paper_flops": _int_or_none(net.paper_flops),
                "family": "imagenet" if hasattr(model, "maxpool") else "cifar",
                "variant": variant if depth_is_bottleneck else "",
                "input": "x".join(map(str, net.input)),
                "torchvision_params": _int_or_none(net.torchvision_params),
            }
        )
        row = rows[-1]
        say(
            f"counted {row['model']}: {row['params']:,} parameters, {_short(row['flops'])} multiply-adds "
            f"({index + 1} of {len(nets)})"
        )
    return rows, layouts


def stage_layout(model: torch.nn.Module, name: str, input_shape: tuple[int, ...]) -> list[dict]:
    """Table 1's layout of a built net, read from the net itself: each stage's output size, the convolutions of
    its blocks (kernel, filters) and how many blocks it has (the first block of a stage subsamples)."""
    sizes = {}
    hooks = [
        module.register_forward_hook(lambda m, args, out, key=key: sizes.__setitem__(key, tuple(out.shape[2:])))
        for key, module in [("stem", model.conv1), *((f"stage{i}", stage) for i, stage in enumerate(model.stages))]
    ]
    with torch.device("meta"):
        model(torch.empty(1, *input_shape))
    for hook in hooks:
        hook.remove()
    size = lambda key: "x".join(map(str, sizes[key]))  # noqa: E731

    def row(stage: str, output_size: str, block: str, blocks: int) -> dict:
        return {"model": name, "stage": stage, "output_size": output_size, "block": block, "blocks": blocks}

    stem = model.conv1
    stem_block = f"{stem.kernel_size[0]}x{stem.kernel_size[1]}, {stem.out_channels}, stride {stem.stride[0]}"
    rows = [row("conv1", size("stem"), stem_block, 1)]
    imagenet = hasattr(model, "maxpool")
    for index, stage in enumerate(model.stages):
        first = stage[0]
        convs = [first.conv1, first.conv2] + ([first.conv3] if hasattr(first, "conv3") else [])
        block = (
            "["
            + "; ".join(
                f"{c.kernel_size[0]}x{c.kernel_size[1]}, {c.out_channels}"
                + (f" (stride {c.stride[0]} in the first block)" if c.stride[0] > 1 else "")
                for c in convs
            )
            + "]"
        )
        if imagenet and index == 0:
            block = f"3x3 max pool, stride 2; {block}"
        # Table 1 numbers ImageNet stages conv2_x..conv5_x; Sec. 4.2 names CIFAR's by their map size only.
        stage_name = f"conv{index + 2}_x" if imagenet else f"stage {index + 1}"
        rows.append(row(stage_name, size(f"stage{index}"), block, len(stage)))
    rows.append(row("pool, fc", "1x1", f"global average pool, {model.fc.out_features}-way fc", 1))
    return rows


def run_table1(target: Target, results: Path, say: Callable[[str], None] = print) -> list[dict]:
    rows, layouts = _rows_and_layouts(target, say)
    notes = [target.notes, "profile: none (exact counts, no training)"]
    extra = [
        ExtraTable(
            "Layer layout per stage, read from the built nets (plain twins: the same without shortcuts)",
            "layout.csv",
            layouts,
            LAYOUT_COLUMNS,
        )
    ]
    write_table(results / target.name, target.title, rows, COLUMNS, notes, extra=extra)
    return rows


def _short(count: int) -> str:
    """3.64 G for an ImageNet net, 40.6 M for a CIFAR one."""
    return f"{count / 1e9:.2f} G" if count >= 1e9 else f"{count / 1e6:.1f} M"


def _int_or_none(value):
    return None if value is None else int(float(value))
