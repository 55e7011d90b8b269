"""Exact parameter counts and FLOPs (multiply-adds per image), counted the paper's way.

FLOPs come from torch's own counter (torch.utils.flop_counter.FlopCounterMode), run on the
meta device so even ResNet-1202 costs no real compute. It counts the matrix work of convolutions
and the fc layer, which is what the paper's Table 1 counts; it reports 2 FLOPs per multiply-add,
so we halve it. Batch norm, ReLU, pooling and the shortcut additions are not counted (nor are they
in the paper).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_multiply_adds(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Multiply-adds of one forward pass for one image of shape (C, H, W)."""
    on_meta = next(model.parameters()).device.type == "meta"
    meta_model = model if on_meta else copy.deepcopy(model).to("meta")  # shapes only: nothing is computed
    meta_model.eval()
    x = torch.empty((1, *input_shape), device="meta")
    with FlopCounterMode(display=False) as counter:
        meta_model(x)
    return int(counter.get_total_flops()) // 2
