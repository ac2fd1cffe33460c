"""Backprop gradients against finite differences and jax.grad (float64, rel. error < 1e-6)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bayesreg.mlp import (
    BinaryCrossEntropy,
    FeedForwardNetwork,
    Linear,
    SoftmaxCrossEntropy,
    SquaredError,
    gradient_check,
)
from bayesreg.mlp.layers import Identity, ReLU, ScaledReLU, Sigmoid, Tanh

ACTIVATIONS = ["sigmoid", "relu", "tanh", "identity", "scaled_relu"]


@pytest.mark.parametrize("num_layers", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_whole_networks(num_layers, activation):
    rng = np.random.default_rng(num_layers)
    net = FeedForwardNetwork(7, 4, 5, num_layers, activation, seed=num_layers, dtype=np.float64)
    result = gradient_check(net, SoftmaxCrossEntropy(), rng.normal(size=(6, 7)), rng.integers(0, 4, 6))
    assert result.passed(1e-6), result.details


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy("mean"), SoftmaxCrossEntropy("sum"),
                                  BinaryCrossEntropy("mean"), BinaryCrossEntropy("sum"),
                                  SquaredError("half_sum"), SquaredError("sum"), SquaredError("mean")])
def test_every_loss(loss):
    rng = np.random.default_rng(0)
    out = 3 if isinstance(loss, SoftmaxCrossEntropy) else 1
    net = FeedForwardNetwork(4, out, 6, 3, "tanh", seed=1, dtype=np.float64)
    X = rng.normal(size=(8, 4))
    y = (rng.integers(0, out, 8) if isinstance(loss, SoftmaxCrossEntropy)
         else rng.integers(0, 2, 8) if isinstance(loss, BinaryCrossEntropy) else rng.normal(size=(8, 1)))
    assert gradient_check(net, loss, X, y).passed(1e-6)


def test_residual_momentum_free_extras():
    rng = np.random.default_rng(2)
    net = FeedForwardNetwork(5, 3, 6, 5, "relu", seed=3, residual=True, dropout=0.3, dtype=np.float64)
    assert "Residual" in repr(net)
    assert gradient_check(net, SoftmaxCrossEntropy(), rng.normal(size=(7, 5)), rng.integers(0, 3, 7)).passed(1e-6)


@settings(max_examples=25, deadline=None)
@given(n_in=st.integers(1, 9), n_out=st.integers(2, 6), width=st.integers(1, 8), layers=st.integers(1, 4),
       batch=st.integers(1, 10), act=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 1000))
def test_random_shapes(n_in, n_out, width, layers, batch, act, seed):
    rng = np.random.default_rng(seed)
    net = FeedForwardNetwork(n_in, n_out, width, layers, act, seed=seed, dtype=np.float64)
    X = rng.normal(size=(batch, n_in))
    if act in ("relu", "scaled_relu"):
        # a central difference straddling a kink measures neither one-sided slope: keep the
        # pre-activations well away from 0, as any finite-difference check must
        assume(_min_abs_preactivation(net, X) > 1e-4)
    result = gradient_check(net, SoftmaxCrossEntropy(), X, rng.integers(0, n_out, batch))
    assert result.max_rel_error_jax < 1e-10
    assert result.max_rel_error_fd < 1e-6


def _min_abs_preactivation(net, X) -> float:
    smallest, x = np.inf, X
    for layer in net.layers:
        x = layer.forward(x)
        if isinstance(layer, Linear) and layer is not net.layers[-1]:
            smallest = min(smallest, float(np.min(np.abs(x))))
    return smallest


@pytest.mark.parametrize("layer", [Sigmoid(), Tanh(), ReLU(), ScaledReLU(5.0), Identity()])
def test_activation_input_gradients(layer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)) * 2
    g = rng.normal(size=(4, 3))
    layer.forward(x)
    analytic = layer.backward(g)
    eps, numeric = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = ((layer.forward(up) - layer.forward(down)) * g).sum() / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_linear_input_gradient_and_backward_before_forward():
    rng = np.random.default_rng(1)
    lin = Linear(3, 2, rng=rng, dtype=np.float64)
    with pytest.raises(RuntimeError, match="before forward"):
        lin.backward(np.ones((1, 2)))
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    lin.forward(x)
    np.testing.assert_allclose(lin.backward(g), g @ lin.W.T)
    np.testing.assert_allclose(lin.gW, x.T @ g)
    np.testing.assert_allclose(lin.gb, g.sum(axis=0, keepdims=True))


def test_two_layer_sigmoid_bce_closed_form():
    """dL/db2 = y_hat - y, dL/dW2_h = (y_hat - y) z1_h, dL/db1_h = (y_hat - y) W2_h z1_h (1 - z1_h),
    dL/dW1_hm = dL/db1_h x_m, for one example."""
    rng = np.random.default_rng(3)
    net = FeedForwardNetwork(4, 1, 3, 2, "sigmoid", seed=4, dtype=np.float64)
    x, y = rng.normal(size=(1, 4)), np.array([1])
    loss = BinaryCrossEntropy("sum")
    loss.forward(net.forward(x), y)
    net.backward(loss.backward())
    lin1, lin2 = net.linear_layers()
    z1 = 1 / (1 + np.exp(-(x @ lin1.W + lin1.b)))
    y_hat = 1 / (1 + np.exp(-(z1 @ lin2.W + lin2.b)))[0, 0]
    delta = y_hat - y[0]
    np.testing.assert_allclose(lin2.gb, [[delta]], rtol=1e-12)
    np.testing.assert_allclose(lin2.gW[:, 0], delta * z1[0], rtol=1e-12)
    db1 = delta * lin2.W[:, 0] * z1[0] * (1 - z1[0])
    np.testing.assert_allclose(lin1.gb[0], db1, rtol=1e-12)
    np.testing.assert_allclose(lin1.gW, np.outer(x[0], db1), rtol=1e-12)


def test_gradient_check_refuses_float32():
    net = FeedForwardNetwork(2, 2, 2, 2)
    with pytest.raises(ValueError, match="float64"):
        gradient_check(net, SoftmaxCrossEntropy(), np.ones((1, 2)), np.array([0]))
