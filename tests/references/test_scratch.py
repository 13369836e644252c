"""Reference tests for 06-cnn-from-scratch: the batched layers, the loss, the numeric gradient, the network.

The oracles are plain loops written here, assignment 03's one-image references (checked in
test_cnn.py against SciPy), SciPy's correlate2d, and central differences for every gradient.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from autograder.engine.probes import ScalarFunction
from autograder.references import conv2d_layer, conv2d_layer_backward, pool2d, pool2d_backward
from autograder.references import scratch as nn

RNG = np.random.default_rng(2026)


def numeric(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + eps
        up = f(x)
        x[i] = keep - eps
        down = f(x)
        x[i] = keep
        g[i] = (up - down) / (2 * eps)
    return g


def loop_im2col(X, kh, kw, stride, padding):
    Xp = np.pad(np.asarray(X), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = Xp.shape
    rows = []
    for image in range(n):
        for i in range(0, h - kh + 1, stride):
            for j in range(0, w - kw + 1, stride):
                rows.append([Xp[image, ch, i + a, j + e] for ch in range(c) for a in range(kh) for e in range(kw)])
    return np.array(rows)


SETTINGS = [((2, 3, 6, 7), (4, 3, 3, 3), 1, 1), ((1, 2, 7, 7), (2, 2, 2, 3), 2, 0), ((3, 1, 5, 8), (3, 1, 3, 2), 3, 2),
            ((2, 2, 2, 3), (1, 2, 4, 5), 1, 2)]


@pytest.mark.parametrize("x_shape,w_shape,stride,padding", SETTINGS)
def test_im2col_and_conv_forward_against_loops_and_scipy(x_shape, w_shape, stride, padding):
    X, W, b = RNG.normal(size=x_shape), RNG.normal(size=w_shape), RNG.normal(size=w_shape[0])
    assert np.array_equal(nn.im2col(X, *w_shape[2:], stride, padding), loop_im2col(X, *w_shape[2:], stride, padding))
    out = nn.conv_forward(X, W, b, stride, padding)
    assert np.allclose(out, nn.conv_forward_loops(X, W, b, stride, padding))
    assert np.allclose(out, np.stack([conv2d_layer(x, W, b, stride, padding) for x in X]))
    if stride == 1:
        Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        scipy = np.array([[sum(correlate2d(Xp[n, c], W[f, c], "valid") for c in range(X.shape[1])) + b[f]
                           for f in range(len(W))] for n in range(len(X))])
        assert np.allclose(out, scipy)


def test_im2col_keeps_integers_and_the_worked_example():
    assert nn.im2col(np.arange(16).reshape(1, 1, 4, 4), 2, 2, stride=2).tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    assert nn.im2col(np.full((1, 1, 3, 3), 250, dtype=np.uint8), 2, 2).dtype == np.int64
    with pytest.raises(ValueError):
        nn.im2col(np.ones((3, 3)), 2, 2)
    with pytest.raises(ValueError):
        nn.im2col(np.ones((1, 1, 3, 3)), 4, 4)


@pytest.mark.parametrize("x_shape,w_shape,stride,padding", SETTINGS)
def test_conv_backward_against_central_differences_and_03(x_shape, w_shape, stride, padding):
    X, W, b = RNG.normal(size=x_shape), RNG.normal(size=w_shape), RNG.normal(size=w_shape[0])
    dout = RNG.normal(size=nn.conv_forward(X, W, b, stride, padding).shape)
    dX, dW, db = nn.conv_backward(dout, X, W, b, stride, padding)
    loss = lambda X_, W_, b_: float(np.sum(dout * nn.conv_forward(X_, W_, b_, stride, padding)))  # noqa: E731
    assert np.allclose(dX, numeric(lambda x: loss(x, W, b), X), atol=1e-5)
    assert np.allclose(dW, numeric(lambda w: loss(X, w, b), W), atol=1e-5)
    assert np.allclose(db, numeric(lambda c: loss(X, W, c), b), atol=1e-5)
    per_image = [conv2d_layer_backward(d, x, W, b, stride, padding) for d, x in zip(dout, X)]
    assert np.allclose(dX, np.stack([p[0] for p in per_image])) and np.allclose(dW, sum(p[1] for p in per_image))


def test_relu_and_its_gradient():
    X = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    assert nn.relu_forward(X).tolist() == [[0, 0, 0, 0.5, 2]]
    assert nn.relu_backward([[1, 2, 3, 4, 5]], X).tolist() == [[0, 0, 0, 4, 5]]
    Y = RNG.normal(size=(2, 3, 4))
    dout = RNG.normal(size=Y.shape)
    assert np.allclose(nn.relu_backward(dout, Y), numeric(lambda y: float(np.sum(dout * nn.relu_forward(y))), Y))


@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_maxpool_against_03_and_central_differences(size, stride):
    X = RNG.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 7.0  # distinct values: no ties
    out = nn.maxpool_forward(X, size, stride)
    assert np.array_equal(out, [[pool2d(x, size, stride) for x in image] for image in X])
    dout = RNG.normal(size=out.shape)
    dX = nn.maxpool_backward(dout, X, size, stride)
    assert np.allclose(dX, [[pool2d_backward(d, x, size, stride) for d, x in zip(di, xi)] for di, xi in zip(dout, X)])
    assert np.allclose(dX, numeric(lambda x: float(np.sum(dout * nn.maxpool_forward(x, size, stride))), X), atol=1e-5)


def test_maxpool_ties_go_to_the_first_maximum():
    assert nn.maxpool_backward([[[[5.0]]]], np.full((1, 1, 2, 2), 7.0)).tolist() == [[[[5, 0], [0, 0]]]]


def test_softmax_loss_numbers_stability_and_gradient():
    loss, d = nn.softmax_loss([[1, 2, 3]], [2])
    assert round(loss, 6) == 0.407606 and np.round(d, 6).tolist() == [[0.090031, 0.244728, -0.334759]]
    loss, d = nn.softmax_loss([[1, 2, 3], [1, 1, 1]], [2, 0])
    assert round(loss, 6) == 0.753109 and np.round(d, 6).tolist() == [[0.045015, 0.122364, -0.16738], [-0.333333, 0.166667, 0.166667]]
    assert nn.softmax_loss([[1000.0, 0.0]], [1]) == (1000.0, pytest.approx(np.array([[1.0, -1.0]])))
    scores, y = RNG.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])
    naive = -np.mean(np.log(np.exp(scores)[np.arange(5), y] / np.exp(scores).sum(axis=1)))
    assert nn.softmax_loss(scores, y)[0] == pytest.approx(naive)
    assert np.allclose(nn.softmax_loss(scores, y)[1], numeric(lambda s: nn.softmax_loss(s, y)[0], scores), atol=1e-6)
    for bad in ([0, 1], [3]):
        with pytest.raises(ValueError):
            nn.softmax_loss([[1.0, 2.0, 3.0]], bad)


def test_grad_check_is_a_central_difference_of_the_probe_functions():
    f = ScalarFunction((2, 3), cubic=RNG.normal(size=6), quadratic=RNG.normal(size=(6, 6)), linear=RNG.normal(size=6),
                       wave=RNG.normal(size=6), label="f")
    x = RNG.normal(size=(2, 3))
    before = x.copy()
    assert np.allclose(nn.grad_check(f, x), f.gradient(x), atol=1e-7) and np.array_equal(x, before)
    squares = ScalarFunction((3,), quadratic=2 * np.eye(3))
    assert np.allclose(nn.grad_check(squares, [1.0, -2.0, 3.0], h=1e-3), [2, -4, 6], atol=1e-12)


def test_the_split_the_network_and_its_training():
    data = nn.load_digits()
    train, test = nn.stratified_split(data["labels"], 360, 1998)
    assert np.array_equal(train, data["train"]) and np.array_equal(test, data["test"])
    X_train, y_train, X_test, y_test = nn.digits_split()
    assert X_train.shape == (1437, 1, 8, 8) and 0 <= X_train.min() and X_train.max() == 1
    params = nn.init_params(0)
    assert {k: v.shape for k, v in params.items()} == nn.PARAM_SHAPES
    first, losses = nn.train(X_train[:256], y_train[:256], 2, 0.2, 0)
    again, losses_again = nn.train(X_train[:256], y_train[:256], 2, 0.2, 0)
    assert all(np.array_equal(first[k], again[k]) for k in first) and losses == losses_again and len(losses) == 16
    assert nn.predict(first, X_test).shape == (360,) and nn.network_loss(first, X_train[:256], y_train[:256]) < losses[0]
