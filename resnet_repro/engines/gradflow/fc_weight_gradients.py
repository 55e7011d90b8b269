"""The gradient-flow demo in its own setting: a fully connected plain net and a residual one (two-layer residual
blocks, y = relu(x + W2 relu(W1 x))), He-initialised (std sqrt(2 / width)), and the weight-gradient norm ||dW|| of
every layer, written once in NumPy (the backward pass by hand) and once in torch (autograd), side by side.

The loss is half the mean squared output, so the gradient reaching the top is the output itself: what the norms
show is how the nets carry it down, not a task. Both versions take the same weights (`he_weights`) and inputs.
"""

from __future__ import annotations

import numpy as np


def he_weights(depth: int, width: int, seed: int) -> list[np.ndarray]:
    """`depth` square weight matrices, He normal: std sqrt(2 / fan_in) (the init the demo names; torch's default
    Linear init would change the result)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((width, width)) * np.sqrt(2.0 / width) for _ in range(depth)]


def inputs(width: int, batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 1).standard_normal((batch, width))


def numpy_weight_grad_norms(weights: list[np.ndarray], x: np.ndarray, residual: bool) -> list[float]:
    """||dW|| (Frobenius) of each layer, bottom first, by a hand-written backward pass."""
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    h, saved = x, []  # saved: what each layer's backward needs
    step = 2 if residual else 1
    for i in range(0, len(weights), step):
        if residual:
            w1, w2 = weights[i], weights[i + 1]
            a1 = h @ w1.T
            r1 = relu(a1)
            out = h + r1 @ w2.T
            saved.append((h, a1, r1, out))
            h = relu(out)
        else:
            a = h @ weights[i].T
            saved.append((h, a))
            h = relu(a)
    grad = h / x.shape[0]  # d(0.5 * mean over the batch of |h|^2) / dh
    norms: list[float] = []
    for i, record in reversed(list(enumerate(saved))):
        if residual:
            h_in, a1, r1, out = record
            w1, w2 = weights[2 * i], weights[2 * i + 1]
            d_out = grad * (out > 0)
            d_w2 = d_out.T @ r1
            d_a1 = (d_out @ w2) * (a1 > 0)
            d_w1 = d_a1.T @ h_in
            norms[:0] = [float(np.linalg.norm(d_w1)), float(np.linalg.norm(d_w2))]
            grad = d_out + d_a1 @ w1
        else:
            h_in, a = record
            d_a = grad * (a > 0)
            norms.insert(0, float(np.linalg.norm(d_a.T @ h_in)))
            grad = d_a @ weights[i]
    return norms


def torch_weight_grad_norms(weights: list[np.ndarray], x: np.ndarray, residual: bool) -> list[float]:
    """The same norms by torch's autograd, in float64, from the same weights and inputs."""
    import torch  # only this twin needs torch

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
