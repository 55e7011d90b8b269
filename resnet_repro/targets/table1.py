"""Table 1: exact parameter counts and FLOPs of every net, no training."""

from __future__ import annotations

from pathlib import Path

import torch

from ..analysis.complexity import count_multiply_adds, count_parameters
from ..errors import UserError
from ..experiments import Target
from ..models import build_model, model_label
from ..results.tables import write_table

COLUMNS = ["model", "params", "flops", "paper_params", "paper_flops", "family", "variant", "input"]


def table1_rows(target: Target) -> list[dict]:
    rows = []
    for index, net in enumerate(target.section("nets") or []):
        if not isinstance(net, dict) or "model" not in net or "input" not in net:
            raise UserError(f"{target.path}: nets[{index}] needs model and input, e.g. "
                            f"{{model: resnet50, input: [3, 224, 224]}}")
        variant = net.get("variant", "original")
        with torch.device("meta"):  # shapes only: counting costs no memory or compute
            model = build_model(net["model"], shortcut=net.get("shortcut"), variant=variant,
                                in_channels=net["input"][0])
        label = model_label(net["model"], net.get("shortcut"))
        depth_is_bottleneck = model.depth in (50, 101, 152) and hasattr(model, "maxpool")
        rows.append({
            "model": label + (" v1.5" if variant == "v1.5" else ""),
            "params": count_parameters(model),
            "flops": count_multiply_adds(model, tuple(net["input"])),
            "paper_params": _int_or_none(net.get("paper_params")),
            "paper_flops": _int_or_none(net.get("paper_flops")),
            "family": "imagenet" if hasattr(model, "maxpool") else "cifar",
            "variant": variant if depth_is_bottleneck else "",
            "input": "x".join(map(str, net["input"])),
        })
    return rows


def run_table1(target: Target, results: Path) -> list[dict]:
    rows = table1_rows(target)
    notes = [str(target.section("notes", "")).strip(), "profile: none (exact counts, no training)"]
    write_table(results / target.name, target.title, rows, COLUMNS, notes)
    return rows


def _int_or_none(value):
    return None if value is None else int(float(value))
