"""Gradient flow at initialisation: the gradient norm that reaches each layer, plain vs residual.

Two families:
- the paper's CIFAR conv nets (with BN): the gradient w.r.t. each block 3x3 conv's BN output
  (the Fig. 7 response tensors). The paper argues BN keeps these healthy in plain nets too, so the
  degradation problem is not vanishing gradients; this measures that claim.
- the classic fully connected demonstration (no BN, PyTorch's default Linear init, width 64):
  plain h <- relu(W h) against residual h <- h + W relu(h).

Each number is the L2 norm of the gradient w.r.t. a layer's output, per image, averaged over the
images of a batch, over `batches` batches of Gaussian inputs with random labels, and over seeds.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ...models import build_model
from ...specs.experiments import Target
from ...specs.naming import model_label
from ...store.layout import write_atomic
from ..layer_responses.measure import response_layers
from ..outputs import measured_csv

FC_WIDTH = 64


class FullyConnectedLayer(nn.Module):
    """One layer of the stack: plain h <- relu(W h), residual h <- h + W relu(h)."""

    def __init__(self, width: int, residual: bool):
        super().__init__()
        self.residual = residual
        self.linear = nn.Linear(width, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.linear(F.relu(h)) if self.residual else F.relu(self.linear(h))


class FullyConnectedStack(nn.Module):
    def __init__(self, depth: int, residual: bool, width: int = FC_WIDTH, classes: int = 10):
        super().__init__()
        self.layers = nn.Sequential(*(FullyConnectedLayer(width, residual) for _ in range(depth)))
        self.head = nn.Linear(width, classes)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(h))


def gradient_norms(
    model: nn.Module, layers: list[nn.Module], input_shape: tuple[int, ...], batches: int
) -> list[float]:
    """The gradient norm at each of `layers`' outputs, per image, averaged over the images of `batches` batches of
    Gaussian inputs of `input_shape` (batch first) with random labels."""
    captured: list[torch.Tensor] = []

    def keep(module, inputs, output):
        output.retain_grad()
        captured.append(output)

    handles = [layer.register_forward_hook(keep) for layer in layers]
    totals = [0.0] * len(layers)
    try:
        for _ in range(batches):
            captured.clear()
            x, y = torch.randn(input_shape), torch.randint(0, 10, (input_shape[0],))
            F.cross_entropy(model(x), y).backward()
            totals = [total + out.grad.flatten(1).norm(dim=1).mean().item() for total, out in zip(totals, captured)]
            model.zero_grad(set_to_none=True)
    finally:
        for handle in handles:
            handle.remove()
    return [total / batches for total in totals]


def conv_gradient_norms(model_name: str, seed: int, batches: int = 2, batch_size: int = 16) -> list[float]:
    torch.manual_seed(seed)
    model = build_model(model_name)
    layers = [layer.module for layer in response_layers(model)]
    return gradient_norms(model, layers, (batch_size, 3, 32, 32), batches)


def fc_gradient_norms(depth: int, residual: bool, seed: int, batches: int = 2, batch_size: int = 64) -> list[float]:
    torch.manual_seed(seed)
    model = FullyConnectedStack(depth, residual)
    return gradient_norms(model, list(model.layers), (batch_size, FC_WIDTH), batches)


# The gradient-flow demo in its own setting: a fully connected plain net and a residual one (two-layer residual blocks,
# y = relu(x + W2 relu(W1 x))), He-initialised (std sqrt(2 / width)), and the weight-gradient norm ||dW|| of every
# layer by autograd in float64. The loss is half the mean squared output, so the gradient reaching the top is the
# output itself: what the norms show is how the nets carry it down, not a task.


def he_weights(depth: int, width: int, seed: int) -> list[np.ndarray]:
    """`depth` square weight matrices, He normal: std sqrt(2 / fan_in) (the init the demo names; torch's default
    Linear init would change the result)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((width, width)) * np.sqrt(2.0 / width) for _ in range(depth)]


def inputs(width: int, batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 1).standard_normal((batch, width))


def torch_weight_grad_norms(weights: list[np.ndarray], x: np.ndarray, residual: bool) -> list[float]:
    """The same norms by torch's autograd, in float64, from the same weights and inputs."""
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    h = torch.tensor(x, dtype=torch.float64)
    step = 2 if residual else 1
    for i in range(0, len(params), step):
        if residual:
            h = torch.relu(h + torch.relu(h @ params[i].T) @ params[i + 1].T)
        else:
            h = torch.relu(h @ params[i].T)
    (0.5 * (h**2).sum() / x.shape[0]).backward()
    return [float(p.grad.norm()) for p in params]


def gradflow_rows(settings) -> list[dict]:
    """One row per (net, layer) of the `gradflow:` section's nets: mean and std over its seeds of the per-layer
    gradient norm. First the demo's own setting (family "demo": fully connected, He init, the weight-gradient norm
    ||dW|| of every layer; width 64)."""
    batches, batch_size = settings.batches, settings.batch_size
    nets = [
        (
            "demo",
            f"{'resfc' if residual else 'plainfc'}-{depth}-he",
            lambda s, d=depth, r=residual: torch_weight_grad_norms(he_weights(d, 64, s), inputs(64, batch_size, s), r),
        )
        for depth in settings.fc_depths
        for residual in (False, True)
    ]
    nets += [
        ("conv", model_label(name), lambda s, n=name: conv_gradient_norms(n, s, batches, batch_size))
        for name in settings.conv_models
    ]
    for depth in settings.fc_depths:
        for residual in (False, True):
            label = f"{'resfc' if residual else 'plainfc'}-{depth}"
            nets.append(
                ("fc", label, lambda s, d=depth, r=residual: fc_gradient_norms(d, r, s, batches, batch_size * 8))
            )
    rows = []
    for family, label, measure in nets:
        per_seed = [measure(seed) for seed in range(settings.seeds)]
        for layer, values in enumerate(zip(*per_seed), start=1):
            rows.append(
                {
                    "family": family,
                    "net": label,
                    "residual": not label.startswith("plain"),
                    "layer": layer,
                    "grad_norm": statistics.fmean(values),
                    "grad_norm_std": statistics.stdev(values) if len(values) > 1 else 0.0,
                }
            )
    return rows


def write_gradflow_csv(target: Target, results: Path) -> None:
    """gradflow.csv: the target's `gradflow:` nets measured, a row per (net, layer)."""
    rows = gradflow_rows(target.section("gradflow"))
    write_atomic(measured_csv(target, results), pd.DataFrame(rows).to_csv(index=False))
