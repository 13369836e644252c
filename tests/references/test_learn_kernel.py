"""Reference tests for learn_kernel / learn_kernel_losses (03-cnn-layers).

The gradient is checked against central finite differences of a loss computed
with scipy.signal.correlate2d (exact up to rounding, the loss being quadratic),
and the whole descent against a loop that uses those finite differences.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.signal import correlate2d

from _ref_strategies import FAST, arrays
from autograder.references import corr2d, learn_kernel, learn_kernel_losses


def edge_image(width: int) -> np.ndarray:
    X = np.ones((6, width))
    X[:, 2:6] = 0
    return X


def loss(X, Y, K) -> float:
    return float(np.sum((correlate2d(X, K, "valid") - Y) ** 2))


def fd_gradient(X, Y, K, eps=1e-3) -> np.ndarray:
    grad = np.zeros_like(K)
    for idx in np.ndindex(K.shape):
        step = np.zeros_like(K)
        step[idx] = eps
        grad[idx] = (loss(X, Y, K + step) - loss(X, Y, K - step)) / (2 * eps)
    return grad


def design_matrix(X, kernel_shape) -> np.ndarray:
    """A with corr2d(X, K).ravel() == A @ K.ravel()."""
    kh, kw = kernel_shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    return np.stack([X[i:i + oh, j:j + ow].ravel() for i in range(kh) for j in range(kw)], axis=1)


# -- the lessons' runs ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_defaults_learn_the_edge_kernel_on_6x8(seed):
    X = edge_image(8)
    Y = corr2d(X, [[1, -1]])
    K = learn_kernel(X, Y, (1, 2), seed=seed)
    assert K.shape == (1, 2) and K.dtype == np.float64
    assert np.all(np.abs(K - [[1, -1]]) < 0.1)
    _, losses = learn_kernel_losses(X, Y, (1, 2), seed=seed)
    assert len(losses) == 11
    assert losses[-1] < 1e-2 * losses[0]


def test_stability_limits_of_the_two_images():
    eig8 = np.linalg.eigvalsh(design_matrix(edge_image(8), (1, 2)).T @ design_matrix(edge_image(8), (1, 2)))
    eig9 = np.linalg.eigvalsh(design_matrix(edge_image(9), (1, 2)).T @ design_matrix(edge_image(9), (1, 2)))
    np.testing.assert_allclose(eig8, [6, 30])
    np.testing.assert_allclose(eig9, [6, 42])
    # Gradient descent on sum of squares is stable iff lr < 1 / lambda_max(A^T A).
    assert 1 / 42 < 3e-2 < 1 / 30
    assert 5e-2 > 1 / 42


@pytest.mark.parametrize("seed", range(20))
def test_notes_rate_diverges_on_6x9(seed):
    X = edge_image(9)
    Y = corr2d(X, [[1, -1]])
    K, losses = learn_kernel_losses(X, Y, (1, 2), lr=5e-2, seed=seed)
    assert losses[-1] > 50 * losses[0]
    assert losses[-1] > 1e4 * min(losses)
    # Along the unstable direction the loss grows by (1 - 2 * 0.05 * 42) ** 2 = 10.24 per step.
    assert all(losses[i + 1] > 5 * losses[i] for i in range(6, 10))


def test_default_rate_is_not_stable_on_6x9_either():
    X = edge_image(9)
    Y = corr2d(X, [[1, -1]])
    for lr, factor in ((3e-2, 1 - 2 * 3e-2 * 42), (5e-2, 1 - 2 * 5e-2 * 42)):
        # K[0] + K[1] is the component along the top eigenvector [1, 1] (the
        # target's component is 0): each step multiplies it by 1 - 2 lr 42.
        sums = [learn_kernel(X, Y, (1, 2), lr=lr, epochs=t, seed=3).sum() for t in range(11)]
        for before, after in zip(sums, sums[1:]):
            assert after == pytest.approx(factor * before, rel=1e-6)
        assert abs(factor) > 1
    for seed in range(20):
        _, losses = learn_kernel_losses(X, Y, (1, 2), lr=3e-2, epochs=40, seed=seed)
        assert losses[-1] > 1e3 * losses[0]
    # On 6x8 the same rate contracts that component by |1 - 2 * 0.03 * 30| = 0.8.
    X8 = edge_image(8)
    sums = [learn_kernel(X8, corr2d(X8, [[1, -1]]), (1, 2), epochs=t, seed=3).sum() for t in range(5)]
    for before, after in zip(sums, sums[1:]):
        assert after == pytest.approx(-0.8 * before, rel=1e-6)


def test_divergence_is_silent():
    X = edge_image(9)
    Y = corr2d(X, [[1, -1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        K, losses = learn_kernel_losses(X, Y, (1, 2), lr=10.0, epochs=300)
    assert not np.all(np.isfinite(K))
    assert not np.isfinite(losses[-1])


# -- the gradient and the descent ---------------------------------------------------------------

def test_starting_kernel_and_loss_history():
    X = edge_image(8)
    Y = corr2d(X, [[1, -1]])
    K0 = np.random.default_rng(7).normal(0, 0.01, (1, 2))
    np.testing.assert_array_equal(learn_kernel(X, Y, (1, 2), epochs=0, seed=7), K0)
    K, losses = learn_kernel_losses(X, Y, (1, 2), epochs=3, seed=7)
    assert len(losses) == 4
    assert losses[0] == pytest.approx(loss(X, Y, K0))
    assert losses[-1] == pytest.approx(loss(X, Y, K))


@FAST
@given(st.integers(1, 6), st.integers(1, 6), st.data(), st.integers(0, 2 ** 32 - 1))
def test_gradient_matches_finite_differences(h, w, data, seed):
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    X = data.draw(arrays("float", (h, w))) / 10
    Y = data.draw(arrays("float", (h - kh + 1, w - kw + 1)))
    lr = 1e-3
    K0 = np.random.default_rng(seed).normal(0, 0.01, (kh, kw))
    K1, losses = learn_kernel_losses(X, Y, (kh, kw), lr=lr, epochs=1, seed=seed)
    grad = (K0 - K1) / lr
    expected = fd_gradient(X, Y, K0)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-5 * (1 + np.abs(expected).max()))
    assert losses[0] == pytest.approx(loss(X, Y, K0), rel=1e-9, abs=1e-9)


@FAST
@given(st.integers(2, 6), st.integers(2, 6), st.data())
def test_descent_matches_loop_with_numerical_gradient(h, w, data):
    kh, kw = data.draw(st.integers(1, min(h, 3))), data.draw(st.integers(1, min(w, 3)))
    X = data.draw(arrays(data.draw(st.sampled_from(["int", "uint8", "bool"])), (h, w)))
    Xf = X.astype(np.float64)
    Y = data.draw(arrays("float", (h - kh + 1, w - kw + 1)))
    A = design_matrix(Xf, (kh, kw))
    lr = 0.5 / max(np.linalg.eigvalsh(A.T @ A).max(), 1.0)  # a stable rate
    K = np.random.default_rng(1).normal(0, 0.01, (kh, kw))
    for _ in range(5):
        K = K - lr * fd_gradient(Xf, Y, K)
    got = learn_kernel(X, Y, (kh, kw), lr=lr, epochs=5, seed=1)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, K, rtol=1e-6, atol=1e-8)


def test_integer_inputs_and_int_kernel_shape():
    X = np.arange(12, dtype=np.uint8).reshape(3, 4)
    Y = np.zeros((1, 2), dtype=np.int64)
    K = learn_kernel(X, Y, 3, lr=1e-4, epochs=2)
    assert K.shape == (3, 3) and K.dtype == np.float64


# -- errors and inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(Y=np.zeros((6, 8))), "^Y"),
    (dict(kernel_shape=(7, 1)), "fit"),
    (dict(kernel_shape=(0, 2)), r"kernel_shape\[0\]"),
    (dict(kernel_shape=(1, 2, 3)), "kernel_shape"),
    (dict(lr=0), "^lr"),
    (dict(lr=-0.1), "^lr"),
    (dict(lr=float("nan")), "^lr"),
    (dict(lr="0.1"), "^lr"),
    (dict(lr=True), "^lr"),
    (dict(epochs=-1), "^epochs"),
    (dict(epochs=2.5), "^epochs"),
    (dict(X=np.ones(8)), "^X"),
    (dict(Y=np.ones(7)), "^Y"),
])
def test_errors(kwargs, match):
    X = edge_image(8)
    args = dict(X=X, Y=corr2d(X, [[1, -1]]), kernel_shape=(1, 2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        learn_kernel(**args)
    with pytest.raises(ValueError, match=match):
        learn_kernel_losses(**args)


def test_inputs_not_modified():
    X = edge_image(8)
    Y = corr2d(X, [[1, -1]])
    X0, Y0 = X.copy(), Y.copy()
    X.flags.writeable = False
    Y.flags.writeable = False
    learn_kernel_losses(X, Y, (1, 2))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
