"""Reference tests for 03-cnn-layers: corr2d, channels, conv2d_layer, pool2d, backward passes.

The oracles for the multi-channel functions, the layer and pooling are plain
Python loops written here, one output value at a time; the backward passes
are checked against central-difference numeric gradients of the forward
passes, against loops that send each output's gradient back to its window,
and (stride 1, no padding) against SciPy's 'full' convolution.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.signal import convolve2d, correlate2d

from _ref_strategies import (FAST, KINDS, array_pair, arrays, assert_matches, cast,
                             computing_dtype)
from autograder.references import (conv2d, conv2d_layer, conv2d_layer_backward, corr2d,
                                   corr2d_multi_in, corr2d_multi_in_out, pool2d, pool2d_backward)

X2 = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
K2 = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])


# -- plain-loop oracles -------------------------------------------------------------

def loop_layer(X, W, b, stride=(1, 1), padding=(0, 0)):
    """Convolution layer forward pass, one output value at a time."""
    X = np.asarray(X)
    W = np.asarray(W)
    c_out, c_in, kh, kw = W.shape
    _, h, w = X.shape
    (sh, sw), (ph, pw) = stride, padding
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    out = np.zeros((c_out, oh, ow), dtype=object)
    for o in range(c_out):
        for r in range(oh):
            for c in range(ow):
                total = b[o]
                for ch in range(c_in):
                    for i in range(kh):
                        for j in range(kw):
                            row, col = r * sh + i - ph, c * sw + j - pw
                            if 0 <= row < h and 0 <= col < w:
                                total += X[ch, row, col] * W[o, ch, i, j]
                out[o, r, c] = total
    return out


def loop_pool(X, size, stride, mode):
    X = np.asarray(X)
    (ph, pw), (sh, sw) = size, stride
    rows = []
    r = 0
    while r + ph <= X.shape[0]:
        row = []
        c = 0
        while c + pw <= X.shape[1]:
            window = [X[r + i, c + j] for i in range(ph) for j in range(pw)]
            row.append(max(window) if mode == "max" else sum(window) / len(window))
            c += sw
        rows.append(row)
        r += sh
    return rows


# -- corr2d ----------------------------------------------------------------------------

def test_corr2d_lesson():
    out = corr2d(np.arange(9).reshape(3, 3), [[0, 1], [2, 3]])
    assert out.tolist() == [[19, 25], [37, 43]]
    assert out.dtype == np.int64
    # [flipped]: convolution instead of cross-correlation.
    assert conv2d(np.arange(9).reshape(3, 3), [[0, 1], [2, 3]], "valid").tolist() == [[5, 11], [23, 29]]


def test_corr2d_edge_detection_lesson():
    X = np.ones((6, 9))
    X[:, 2:6] = 0
    Y = corr2d(X, [[1, -1]])
    expected = np.zeros((6, 8))
    expected[:, 1] = 1
    expected[:, 5] = -1
    assert Y.shape == (6, 8)
    np.testing.assert_array_equal(Y, expected)
    YT = corr2d(X.T, [[1, -1]])
    assert YT.shape == (9, 5)
    assert not YT.any()


@FAST
@given(array_pair(2, max_side=8, max_kernel=8))
def test_corr2d_matches_scipy(pair):
    X, K = pair
    a, k = cast(X, K)
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        with pytest.raises(ValueError, match="fit"):
            corr2d(X, K)
        return
    assert_matches(corr2d(X, K), correlate2d(a, k, "valid"))


@FAST
@given(st.integers(6, 30), st.integers(6, 30), st.integers(1, 6), st.integers(5, 6), st.data())
def test_corr2d_large_kernel_matches_scipy(h, w, kh, kw, data):
    X = data.draw(arrays("int", (h, w)))
    K = data.draw(arrays("float", (kh, kw)))
    assert_matches(corr2d(X, K), correlate2d(X.astype(float), K, "valid"))


@pytest.mark.parametrize("X, K, match", [
    (np.ones((3, 3)), np.ones((4, 1)), "fit"),
    (np.ones((3, 3)), np.ones((1, 4)), "fit"),
    (np.ones(3), np.ones((1, 1)), "^X"),
    (np.ones((3, 3)), np.ones(2), "^K"),
    (np.ones((0, 3)), np.ones((1, 1)), "^X"),
    (np.ones((3, 3), complex), np.ones((1, 1)), "^X"),
])
def test_corr2d_errors(X, K, match):
    with pytest.raises(ValueError, match=match):
        corr2d(X, K)


# -- channels ---------------------------------------------------------------------------

def test_corr2d_multi_in_lesson():
    out = corr2d_multi_in(X2, K2)
    assert out.tolist() == [[56, 72], [104, 120]]
    # [channels-not-summed] would give the two maps separately.
    assert out.tolist() == (corr2d(X2[0], K2[0]) + corr2d(X2[1], K2[1])).tolist()


def test_corr2d_multi_in_out_lesson():
    K = np.stack((K2, K2 + 1, K2 + 2))
    assert K.shape == (3, 2, 2, 2)
    assert corr2d_multi_in_out(X2, K).tolist() == [
        [[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]


@st.composite
def channel_case(draw, max_side=7):
    kind_x = draw(st.sampled_from(KINDS))
    kind_k = draw(st.sampled_from(KINDS))
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    X = draw(arrays(kind_x, (c_in, h, w)))
    K = draw(arrays(kind_k, (c_out, c_in, kh, kw)))
    return X, K


@FAST
@given(channel_case())
def test_multi_in_out_matches_loop(case):
    X, K = case
    a, k = cast(X, K)
    expected = loop_layer(a, k, [0] * K.shape[0]).astype(computing_dtype(X, K))
    assert_matches(corr2d_multi_in_out(X, K), expected)
    assert_matches(corr2d_multi_in(X, K[0]), expected[0])


@FAST
@given(st.integers(1, 3), st.integers(6, 12), st.integers(6, 12), st.integers(5, 6), st.data())
def test_multi_in_out_large_kernels_match_loop(c_in, h, w, kside, data):
    X = data.draw(arrays("float", (c_in, h, w)))
    K = data.draw(arrays("int", (2, c_in, kside, kside)))
    expected = loop_layer(X, K.astype(float), [0, 0]).astype(float)
    assert_matches(corr2d_multi_in_out(X, K), expected)


def test_channel_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"2 input channel.*3"):
        corr2d_multi_in(X2, np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match=r"2 input channel.*3"):
        corr2d_multi_in_out(X2, np.ones((4, 3, 2, 2)))


@pytest.mark.parametrize("X, K, match", [
    (np.ones((3, 3)), np.ones((1, 2, 2)), "^X"),
    (X2, np.ones((2, 2)), "^K"),
    (X2, np.ones((2, 4, 1)), "fit"),
])
def test_corr2d_multi_in_errors(X, K, match):
    with pytest.raises(ValueError, match=match):
        corr2d_multi_in(X, K)


def test_corr2d_multi_in_out_errors():
    with pytest.raises(ValueError, match="^K"):
        corr2d_multi_in_out(X2, K2)  # 3-D K where 4-D is needed
    with pytest.raises(ValueError, match="^X"):
        corr2d_multi_in_out(X2[0], np.ones((1, 1, 2, 2)))


# -- conv2d_layer ---------------------------------------------------------------------

@pytest.mark.parametrize("kernel, padding, stride, shape", [
    ((3, 3), 1, 1, (8, 8)),
    ((5, 3), (2, 1), 1, (8, 8)),
    ((3, 3), 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
])
def test_conv2d_layer_derived_shapes(kernel, padding, stride, shape):
    X = np.random.default_rng(0).normal(size=(1, 8, 8))
    W = np.ones((1, 1) + kernel)
    out = conv2d_layer(X, W, [0.0], stride=stride, padding=padding)
    assert out.shape == (1,) + shape


def test_conv2d_layer_lesson_values():
    W = np.stack((K2, K2 + 1, K2 + 2))
    out = conv2d_layer(X2, W, [0, 0, 0])
    assert out.tolist() == corr2d_multi_in_out(X2, W).tolist()
    out = conv2d_layer(X2, W, [1, 10, 100])
    assert out[:, 0, 0].tolist() == [57, 86, 196]
    assert out.dtype == np.int64
    # padding 1, stride 2 on a 3x3 input with a 2x2 kernel: rows/cols -1 and 1.
    assert conv2d_layer(X2[:1], K2[:1][None], [0], 2, 1).tolist() == [[[0, 8], [21, 43]]]


@st.composite
def layer_case(draw):
    kind_x = draw(st.sampled_from(KINDS))
    kind_w = draw(st.sampled_from(["int", "float", "uint8"]))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh, kw = draw(st.integers(1, h + 2 * ph)), draw(st.integers(1, w + 2 * pw))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    X = draw(arrays(kind_x, (c_in, h, w)))
    W = draw(arrays(kind_w, (c_out, c_in, kh, kw)))
    b = draw(arrays(draw(st.sampled_from(["int", "float"])), (c_out,)))
    pair_or_int = draw(st.booleans())
    stride = (sh, sw) if pair_or_int or sh != sw else sh
    padding = (ph, pw) if pair_or_int or ph != pw else ph
    return X, W, b, stride, padding, (sh, sw), (ph, pw)


@FAST
@given(layer_case())
def test_conv2d_layer_matches_loop(case):
    X, W, b, stride, padding, s, p = case
    x, w, bb = cast(X, W, b)
    expected = loop_layer(x, w, bb, s, p).astype(computing_dtype(X, W, b))
    out = conv2d_layer(X, W, b, stride=stride, padding=padding)
    assert out.shape[1] == (X.shape[1] + 2 * p[0] - W.shape[2]) // s[0] + 1
    assert out.shape[2] == (X.shape[2] + 2 * p[1] - W.shape[3]) // s[1] + 1
    assert_matches(out, expected)


@pytest.mark.parametrize("kwargs, match", [
    (dict(stride=0), "^stride"),
    (dict(stride=(1, 0)), r"^stride\[1\]"),
    (dict(stride=1.0), "^stride"),
    (dict(stride=(1, 2, 3)), "^stride"),
    (dict(padding=-1), "^padding"),
    (dict(padding=(0, -2)), r"^padding\[1\]"),
    (dict(padding=0.5), "^padding"),
    (dict(padding="same"), "^padding"),
    (dict(W=np.ones((1, 1, 7, 3))), "padded input"),
    (dict(W=np.ones((1, 1, 7, 3)), padding=(0, 1)), "padded input"),
    (dict(W=np.ones((1, 2, 3, 3))), r"1 input channel.*2"),
    (dict(W=np.ones((1, 3, 3))), "^W"),
    (dict(b=[0.0, 1.0]), "^b"),
    (dict(b=[[0.0]]), "^b"),
    (dict(X=np.ones((6, 6))), "^X"),
])
def test_conv2d_layer_errors(kwargs, match):
    args = dict(X=np.ones((1, 6, 6)), W=np.ones((1, 1, 3, 3)), b=[0.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        conv2d_layer(**args)


def test_conv2d_layer_padding_allows_kernel_larger_than_input():
    out = conv2d_layer(np.ones((1, 2, 2)), np.ones((1, 1, 4, 4)), [0], padding=1)
    assert out.tolist() == [[[4.0]]]


# -- pool2d ------------------------------------------------------------------------------

def test_pool2d_lesson():
    X = np.arange(9).reshape(3, 3)
    mx = pool2d(X, (2, 2))
    assert mx.tolist() == [[4, 5], [7, 8]] and mx.dtype == np.int64
    avg = pool2d(X, (2, 2), mode="avg")
    assert avg.tolist() == [[2.0, 3.0], [5.0, 6.0]] and avg.dtype == np.float64


def test_pool2d_derived_stride_two():
    out = pool2d(np.arange(16).reshape(4, 4), (2, 2), stride=2)
    assert out.tolist() == [[5, 7], [13, 15]]
    assert out.size == 4  # 16 values become 4


def test_pool2d_floor_not_ceil():
    X = np.arange(25).reshape(5, 5)
    assert pool2d(X, 2, 2).shape == (2, 2)
    assert pool2d(X, 2, 2).tolist() == [[6, 8], [16, 18]]
    assert pool2d(X, 2).shape == (4, 4)  # default stride is 1


@FAST
@given(st.sampled_from(KINDS), st.integers(1, 7), st.integers(1, 7), st.data(),
       st.sampled_from(["max", "avg"]), st.booleans())
def test_pool2d_matches_loop(kind, h, w, data, mode, as_int):
    X = data.draw(arrays(kind, (h, w)))
    ph, pw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    sh, sw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    size = ph if as_int and ph == pw else (ph, pw)
    stride = sh if as_int and sh == sw else (sh, sw)
    out = pool2d(X, size, stride, mode)
    expected = loop_pool(cast(X)[0], (ph, pw), (sh, sw), mode)
    if mode == "max":
        assert_matches(out, np.array(expected, dtype=cast(X)[0].dtype))
    else:
        assert_matches(out, np.array(expected, dtype=np.float64), exact=False)


@pytest.mark.parametrize("args, match", [
    (((3, 3), "mean"), "'max', 'avg'"),
    (((4, 1),), "fit"),
    ((4,), "fit"),
    (((0, 1),), r"pool_size\[0\]"),
    ((-1,), "pool_size"),
    ((2, 0), "stride"),
    ((2, (1, -1)), r"stride\[1\]"),
    ((2.0,), "pool_size"),
])
def test_pool2d_errors(args, match):
    X = np.arange(9).reshape(3, 3)
    if len(args) == 2 and isinstance(args[1], str):
        with pytest.raises(ValueError, match=match):
            pool2d(X, args[0], mode=args[1])
    else:
        with pytest.raises(ValueError, match=match):
            pool2d(X, *args)


def test_pool2d_bad_X():
    with pytest.raises(ValueError, match="^X"):
        pool2d(np.arange(9), 2)


def test_pool2d_uint8_avg_does_not_wrap():
    X = np.full((2, 2), 255, dtype=np.uint8)
    assert pool2d(X, 2, mode="avg").tolist() == [[255.0]]
    assert pool2d(X, 2).dtype == np.int64


# -- activation ----------------------------------------------------------------------------

def test_conv2d_layer_relu_after_bias():
    X, W = np.arange(9).reshape(1, 3, 3), [[[[0, 1], [2, 3]]]]
    assert conv2d_layer(X, W, [-30]).tolist() == [[[-11, -5], [7, 13]]]
    relu = conv2d_layer(X, W, [-30], activation="relu")
    assert relu.tolist() == [[[0, 0], [7, 13]]] and relu.dtype == np.int64
    # After the bias, not before: max(0, 19) - 30 would be -11.
    assert conv2d_layer(X, W, [-30], activation=None).tolist() == [[[-11, -5], [7, 13]]]


@pytest.mark.parametrize("activation", ["ReLU", "sigmoid", 1, True])
def test_conv2d_layer_unknown_activation(activation):
    with pytest.raises(ValueError, match="^activation"):
        conv2d_layer(np.ones((1, 3, 3)), np.ones((1, 1, 2, 2)), [0], activation=activation)


@FAST
@given(layer_case())
def test_conv2d_layer_relu_is_max_zero(case):
    X, W, b, stride, padding, _, _ = case
    plain = conv2d_layer(X, W, b, stride, padding)
    assert_matches(conv2d_layer(X, W, b, stride, padding, activation="relu"), np.maximum(plain, 0))


# -- backward passes ---------------------------------------------------------------------

def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f at x (float64), one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f(x)
        x[index] = saved - eps
        down = f(x)
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def loop_layer_backward(dout, X, W, stride, padding):
    """Each dout[o, i, j] sent back to the window of output (i, j), one product at a time."""
    c_out, c_in, kh, kw = W.shape
    _, h, w = X.shape
    (sh, sw), (ph, pw) = stride, padding
    dX = np.zeros((c_in, h + 2 * ph, w + 2 * pw))
    dW = np.zeros(W.shape)
    Xp = np.pad(X.astype(float), ((0, 0), (ph, ph), (pw, pw)))
    for o in range(c_out):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                for c in range(c_in):
                    for a in range(kh):
                        for bb in range(kw):
                            dX[c, i * sh + a, j * sw + bb] += dout[o, i, j] * W[o, c, a, bb]
                            dW[o, c, a, bb] += dout[o, i, j] * Xp[c, i * sh + a, j * sw + bb]
    return dX[:, ph:ph + h, pw:pw + w], dW, dout.sum(axis=(1, 2))


def test_conv2d_layer_backward_derived():
    dX, dW, db = conv2d_layer_backward(np.ones((1, 2, 2), dtype=int), np.arange(9).reshape(1, 3, 3),
                                       [[[[0, 1], [2, 3]]]], [0])
    assert dX.tolist() == [[[0, 1, 1], [2, 6, 4], [2, 5, 3]]] and dX.dtype == np.int64
    assert dW.tolist() == [[[[8, 12], [20, 24]]]]
    assert db.tolist() == [4]
    # dX is the 'full' convolution of dout with the kernel (turned round) ...
    assert convolve2d(np.ones((2, 2)), [[0, 1], [2, 3]], "full").tolist() == dX[0].tolist()
    # ... and [dx-not-flipped], the 'full' correlation, is not it.
    assert correlate2d(np.ones((2, 2)), [[0, 1], [2, 3]], "full").tolist() == [[3, 5, 2], [4, 6, 2], [1, 1, 0]]
    # dW is the 'valid' correlation of X with dout.
    assert correlate2d(np.arange(9).reshape(3, 3), np.ones((2, 2)), "valid").tolist() == dW[0, 0].tolist()


@st.composite
def float_layer_case(draw):
    """A layer with float values (numeric gradients need them) and a random dout."""
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh, kw = draw(st.integers(1, h + 2 * ph)), draw(st.integers(1, w + 2 * pw))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    X = draw(arrays("float", (c_in, h, w)))
    W = draw(arrays("float", (c_out, c_in, kh, kw)))
    b = draw(arrays("float", (c_out,)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    dout = draw(arrays("float", (c_out, oh, ow)))
    return dout, X / 10, W / 10, b, (sh, sw), (ph, pw)


@settings(max_examples=40, deadline=None)
@given(float_layer_case())
def test_conv2d_layer_backward_matches_numeric_gradients(case):
    dout, X, W, b, stride, padding = case
    dX, dW, db = conv2d_layer_backward(dout, X, W, b, stride, padding)

    def loss(X_, W_, b_):
        return float(np.sum(dout * conv2d_layer(X_, W_, b_, stride, padding)))

    scale = 1 + np.abs(dout).sum()
    np.testing.assert_allclose(dX, numeric_gradient(lambda x: loss(x, W, b), X), atol=1e-5 * scale)
    np.testing.assert_allclose(dW, numeric_gradient(lambda w: loss(X, w, b), W), atol=1e-5 * scale)
    np.testing.assert_allclose(db, numeric_gradient(lambda c: loss(X, W, c), b), atol=1e-5 * scale)


@FAST
@given(layer_case(), st.data())
def test_conv2d_layer_backward_matches_loop(case, data):
    X, W, b, stride, padding, s, p = case
    out_shape = conv2d_layer(X, W, b, stride, padding).shape
    dout = data.draw(arrays(data.draw(st.sampled_from(["int", "float", "uint8"])), out_shape))
    dX, dW, db = conv2d_layer_backward(dout, X, W, b, stride=stride, padding=padding)
    eX, eW, edb = loop_layer_backward(dout.astype(float), X.astype(float), W.astype(float), s, p)
    assert dX.shape == X.shape and dW.shape == W.shape and db.shape == (W.shape[0],)
    exact = all(a.dtype.kind in "biu" for a in (dout, X, W))
    assert_matches(dX, eX.astype(np.int64) if exact else eX, exact=exact)
    assert_matches(dW, eW.astype(np.int64) if exact else eW, exact=exact)
    np.testing.assert_allclose(db, edb)


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 7), st.integers(2, 7), st.data())
def test_conv2d_layer_backward_dx_is_a_full_convolution(c_in, c_out, h, w, data):
    """Stride 1, no padding: dX[c] = sum_o convolve2d(dout[o], W[o, c], 'full')."""
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    X = data.draw(arrays("int", (c_in, h, w)))
    W = data.draw(arrays("int", (c_out, c_in, kh, kw)))
    dout = data.draw(arrays("int", (c_out, h - kh + 1, w - kw + 1)))
    dX, dW, _ = conv2d_layer_backward(dout, X, W, np.zeros(c_out, dtype=int))
    for c in range(c_in):
        expected = sum(convolve2d(dout[o], W[o, c], "full") for o in range(c_out))
        np.testing.assert_array_equal(dX[c], expected)
        for o in range(c_out):
            np.testing.assert_array_equal(dW[o, c], correlate2d(X[c], dout[o], "valid"))


@pytest.mark.parametrize("kwargs, match", [
    (dict(dout=np.ones((1, 4, 4))), "^dout has shape"),
    (dict(dout=np.ones((2, 4, 4)), stride=2), "^dout has shape"),
    (dict(dout=np.ones((4, 4))), "^dout"),
    (dict(W=np.ones((1, 2, 3, 3))), r"1 input channel.*2"),
    (dict(b=[0.0, 1.0]), "^b"),
])
def test_conv2d_layer_backward_errors(kwargs, match):
    args = dict(dout=np.ones((1, 4, 4)), X=np.ones((1, 6, 6)), W=np.ones((1, 1, 3, 3)), b=[0.0])
    args.update(kwargs)
    if "dout" in kwargs and kwargs["dout"].shape == (1, 4, 4) and "stride" not in kwargs:
        args["padding"] = 1  # the output is 6x6 then
    with pytest.raises(ValueError, match=match):
        conv2d_layer_backward(**args)


def loop_pool_backward(dout, X, size, stride, mode):
    """Each window's gradient to its first maximum ('max') or spread evenly ('avg')."""
    (ph, pw), (sh, sw) = size, stride
    dX = np.zeros(X.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            if mode == "avg":
                dX[i * sh:i * sh + ph, j * sw:j * sw + pw] += dout[i, j] / (ph * pw)
            else:
                best = max(range(ph * pw), key=lambda n: (window[n // pw, n % pw], -n))
                dX[i * sh + best // pw, j * sw + best % pw] += dout[i, j]
    return dX


def test_pool2d_backward_derived():
    dX = pool2d_backward([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2), stride=2)
    expected = np.zeros((4, 4), dtype=int)
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 1, 2, 3, 4
    assert dX.tolist() == expected.tolist() and dX.dtype == np.int64
    avg = pool2d_backward([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2), stride=2, mode="avg")
    assert avg.tolist() == [[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]]
    # Overlapping windows add up: the lesson's 3x3 grid, 2x2 windows, stride 1.
    assert pool2d_backward(np.ones((2, 2), dtype=int), np.arange(9).reshape(3, 3), (2, 2)).tolist() == \
        [[0, 0, 0], [0, 1, 1], [0, 1, 1]]
    assert pool2d_backward(np.ones((2, 2)), np.arange(9).reshape(3, 3), (2, 2), mode="avg").tolist() == \
        [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]
    # Ties: the first maximum in row-major order gets it.
    assert pool2d_backward([[5]], [[7, 7], [7, 7]], 2).tolist() == [[5, 0], [0, 0]]


@FAST
@given(st.sampled_from(KINDS), st.integers(1, 7), st.integers(1, 7), st.data(), st.sampled_from(["max", "avg"]))
def test_pool2d_backward_matches_loop(kind, h, w, data, mode):
    X = data.draw(arrays(kind, (h, w)))
    ph, pw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    sh, sw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    dout = data.draw(arrays(data.draw(st.sampled_from(["int", "float"])), pool2d(X, (ph, pw), (sh, sw)).shape))
    got = pool2d_backward(dout, X, (ph, pw), (sh, sw), mode)
    expected = loop_pool_backward(dout.astype(float), cast(X)[0], (ph, pw), (sh, sw), mode)
    assert got.shape == X.shape
    if mode == "max" and dout.dtype.kind == "i":
        assert_matches(got, expected.astype(np.int64))
    else:
        assert_matches(got, expected, exact=False)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data(), st.sampled_from(["max", "avg"]))
def test_pool2d_backward_matches_numeric_gradients(h, w, data, mode):
    # Distinct values, so that a small nudge never changes which one is the maximum.
    X = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).permutation(h * w).reshape(h, w) / 4.0
    ph, pw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    dout = data.draw(arrays("float", pool2d(X, (ph, pw), stride).shape))
    numeric = numeric_gradient(lambda x: float(np.sum(dout * pool2d(x, (ph, pw), stride, mode))), X)
    np.testing.assert_allclose(pool2d_backward(dout, X, (ph, pw), stride, mode), numeric,
                               atol=1e-6 * (1 + np.abs(dout).sum()))


@pytest.mark.parametrize("args, kwargs, match", [
    (([[1.0]], np.ones((3, 3)), 2), {}, "^dout has shape"),
    (([1.0, 2.0], np.ones((3, 3)), 2), {}, "^dout"),
    (([[1.0]], np.ones((3, 3)), 4), {}, "fit"),
    (([[1.0]], np.ones((2, 2)), 2), {"mode": "min"}, "^mode"),
])
def test_pool2d_backward_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool2d_backward(*args, **kwargs)


# -- inputs ------------------------------------------------------------------------------

def test_inputs_not_modified():
    X = X2.astype(np.uint8)
    K = np.stack((K2, K2 + 1)).astype(np.float64)
    b = np.array([1.0, 2.0])
    saved = [a.copy() for a in (X, K, b)]
    for a in (X, K, b):
        a.flags.writeable = False
    dout = np.ones((2, 2, 2), dtype=np.uint8)
    dout.flags.writeable = False
    outs = [corr2d(X[0], K[0, 0]), corr2d_multi_in(X, K[0]), corr2d_multi_in_out(X, K),
            conv2d_layer(X, K, b, 2, 1), pool2d(X[0], 2), pool2d(X[0], 2, mode="avg"),
            *conv2d_layer_backward(dout, X, K, b, 2, 1), pool2d_backward(dout[0], X[0], 2),
            pool2d_backward(dout[0], X[0], 2, mode="avg")]
    for out in outs:
        assert not np.shares_memory(out, X) and not np.shares_memory(out, dout)
    for a, a0 in zip((X, K, b), saved):
        np.testing.assert_array_equal(a, a0)
