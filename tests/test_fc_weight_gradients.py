"""The gradient-flow demo's ||dW|| per layer, once in NumPy by hand and once in torch's autograd: the same numbers."""

import math

import pytest

from resnet_repro.engines.gradflow.fc_weight_gradients import (
    he_weights,
    inputs,
    numpy_weight_grad_norms,
    torch_weight_grad_norms,
)


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
