"""The gradient-flow demo's ||dW|| per layer, once in NumPy by hand and once in torch's autograd: the same numbers."""

import math

import numpy as np
import pytest

from resnet_repro.engines.gradflow.measure import he_weights, inputs, torch_weight_grad_norms


@pytest.mark.parametrize("residual", [False, True])
def test_numpy_and_torch_give_the_same_weight_gradient_norms(residual):
    weights, x = he_weights(20, 64, seed=0), inputs(64, 16, seed=0)
    by_hand, by_torch = numpy_weight_grad_norms(weights, x, residual), torch_weight_grad_norms(weights, x, residual)
    assert len(by_hand) == len(by_torch) == 20
    for a, b in zip(by_hand, by_torch):
        assert math.isclose(a, b, rel_tol=1e-9), (a, b)


def test_with_he_init_a_10_layer_plain_nets_bottom_gradient_does_not_vanish():
    # the demo's warning: with torch's default Linear init the ratio is about 3e-4, mostly the init's doing;
    # with He init the bottom layer's ||dW|| is of the top's order
    weights, x = he_weights(10, 64, seed=0), inputs(64, 16, seed=0)
    plain = numpy_weight_grad_norms(weights, x, False)
    assert round(plain[0] / plain[-1], 3) == 1.131


def numpy_weight_grad_norms(weights: list[np.ndarray], x: np.ndarray, residual: bool) -> list[float]:
    """||dW|| (Frobenius) of each layer, bottom first, by a hand-written backward pass: the check on the demo's
    autograd version."""
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
