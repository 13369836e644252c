"""Reference tests for 04-shapes: output sizes, TensorFlow padding, parameter counts,
receptive fields and the shift that shows translation equivariance.

Every formula is checked against brute-force counting of window positions;
receptive fields against the input pixels a stack of windows reaches; the
shift against index arithmetic one pixel at a time.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from _ref_strategies import FAST, arrays
from autograder.references import (both_orders, conv_output_size, conv_params, corr2d,
                                   correlate_then_shift, model_summary, pool_output_size,
                                   receptive_field, shift2d, shift_then_correlate, tf_padding,
                                   total_params)

NOTES_MODEL = [("conv", 64, (3, 3)), ("pool", (2, 2)), ("conv", 64, (3, 3)),
               ("pool", (2, 2)), ("flatten",), ("dense", 128), ("dense", 10)]


def count_windows(length: int, span: int, stride: int) -> int:
    """Window starts s = 0, stride, 2 * stride, ... with s + span <= length."""
    return sum(1 for start in range(0, max(length, 0), stride) if start + span <= length)


# -- conv_output_size -------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, expected", [
    ((28, 3), {}, 26),
    ((10, 3), {}, 8),
    ((10, 3), dict(padding=1), 10),
    ((32, 5), {}, 28),
    ((50, 3), dict(padding=4, stride=2, dilation=3), 26),
    ((8, 3), dict(padding=1, stride=2), 4),
    ((1, 1), {}, 1),
])
def test_conv_output_size_lesson(args, kwargs, expected):
    got = conv_output_size(*args, **kwargs)
    assert got == expected and type(got) is int


def test_readme_erratum():
    assert conv_output_size(10, 3) == 10 - 3 + 1 == 8


@FAST
@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 5), st.integers(1, 5), st.integers(1, 4))
def test_conv_output_size_brute_force(n, k, p, s, d):
    span = d * (k - 1) + 1
    expected = count_windows(n + 2 * p, span, s)
    if expected == 0:
        with pytest.raises(ValueError, match="impossible"):
            conv_output_size(n, k, p, s, d)
    else:
        assert conv_output_size(n, k, padding=p, stride=s, dilation=d) == expected


def test_int_truncation_misconception():
    # (3 - 3 - 1) / 2 = -0.5: floor gives -1 (+1 = 0: impossible), int() gives 0 (+1 = 1).
    with pytest.raises(ValueError, match="impossible"):
        conv_output_size(3, 4, stride=2)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0, k=1), "n"), (dict(n=5, k=0), "k"), (dict(n=5, k=3, padding=-1), "padding"),
    (dict(n=5, k=3, stride=0), "stride"), (dict(n=5, k=3, dilation=0), "dilation"),
    (dict(n=5.0, k=3), "n"), (dict(n=5, k=True), "k"), (dict(n=5, k=3, stride=1.5), "stride"),
    (dict(n=5, k=3, padding="1"), "padding"),
])
def test_conv_output_size_errors(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        conv_output_size(**kwargs)


def test_conv_output_size_impossible():
    with pytest.raises(ValueError, match="impossible"):
        conv_output_size(5, 7)
    with pytest.raises(ValueError, match="impossible"):
        conv_output_size(5, 3, dilation=3)
    assert conv_output_size(5, 7, padding=1) == 1


# -- tf_padding ----------------------------------------------------------------------------

def test_tf_padding_lesson():
    assert tf_padding(10, 3, 1, "SAME") == (10, 1, 1)
    assert tf_padding(10, 3, 1, "VALID") == (8, 0, 0)
    assert tf_padding(13, 6, 5, "SAME") == (3, 1, 2)
    assert all(type(v) is int for v in tf_padding(13, 6, 5, "SAME"))


def brute_force_same(n, k, s):
    out = math.ceil(n / s)
    # The least total padding with which `out` windows of size k, stride s fit.
    total = next(t for t in range(0, k + s + n) if count_windows(n + t, k, s) >= out)
    return out, total // 2, total - total // 2


@FAST
@given(st.integers(1, 30), st.integers(1, 9), st.integers(1, 6))
def test_tf_padding_brute_force(n, k, s):
    assert tf_padding(n, k, s, "SAME") == brute_force_same(n, k, s)
    if k > n:
        with pytest.raises(ValueError, match="VALID"):
            tf_padding(n, k, s, "VALID")
    else:
        assert tf_padding(n, k, s, "VALID") == (count_windows(n, k, s), 0, 0)


def test_tf_padding_extra_goes_after():
    out, before, after = tf_padding(10, 4, 1, "SAME")
    assert (out, before, after) == (10, 1, 2)  # [padding-symmetric] would put 2 before


@pytest.mark.parametrize("padding", ["same", "valid", "Same", "FULL", None, 1])
def test_tf_padding_bad_padding(padding):
    with pytest.raises(ValueError, match="'SAME', 'VALID'"):
        tf_padding(10, 3, 1, padding)


@pytest.mark.parametrize("args, name", [((0, 3, 1), "n"), ((10, 0, 1), "k"),
                                        ((10, 3, 0), "stride"), ((10, 3.0, 1), "k")])
def test_tf_padding_bad_sizes(args, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        tf_padding(*args, "SAME")


# -- pool_output_size ---------------------------------------------------------------------

def test_pool_output_size_lesson():
    assert pool_output_size(26, 2) == 13
    assert pool_output_size(11, 2) == 5
    assert pool_output_size(11, 2, 1) == 10


@FAST
@given(st.integers(1, 40), st.integers(1, 8), st.one_of(st.none(), st.integers(1, 6)))
def test_pool_output_size_brute_force(n, pool, stride):
    if pool > n:
        with pytest.raises(ValueError, match="pool"):
            pool_output_size(n, pool, stride)
        return
    got = pool_output_size(n, pool, stride)
    assert type(got) is int
    assert got == count_windows(n, pool, pool if stride is None else stride)


@pytest.mark.parametrize("args, name", [((0, 2), "n"), ((5, 0), "pool"), ((5, 2, 0), "stride"),
                                        ((5, 2.0), "pool"), ((5, 2, False), "stride")])
def test_pool_output_size_errors(args, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        pool_output_size(*args)


# -- conv_params --------------------------------------------------------------------------

def test_conv_params_derived():
    assert conv_params(3, 3, 1, 64) == 640
    assert conv_params(3, 3, 64, 64) == 36928
    assert conv_params(5, 5, 1, 6) == 156
    assert conv_params(3, 3, 1, 64, bias=False) == 576


@FAST
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 16), st.integers(1, 16), st.booleans())
def test_conv_params_counts_every_weight(kh, kw, c_in, c_out, bias):
    weights = np.zeros((c_out, c_in, kh, kw))
    assert conv_params(kh, kw, c_in, c_out, bias) == weights.size + (c_out if bias else 0)


@pytest.mark.parametrize("args, name", [((0, 3, 1, 1), "kh"), ((3, 0, 1, 1), "kw"),
                                        ((3, 3, 0, 1), "c_in"), ((3, 3, 1, -4), "c_out"),
                                        ((3, 3, 1.5, 1), "c_in")])
def test_conv_params_errors(args, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        conv_params(*args)


# -- model_summary ------------------------------------------------------------------------

def test_notes_model_summary():
    rows = model_summary((28, 28, 1), NOTES_MODEL)
    assert [r[0] for r in rows] == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                                    "flatten", "dense", "dense_1"]
    assert [r[1] for r in rows] == [(26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64),
                                    (1600,), (128,), (10,)]
    assert [r[2] for r in rows] == [640, 0, 36928, 0, 0, 204928, 1290]
    assert total_params(rows) == 243786
    assert all(type(r[2]) is int for r in rows)


def test_lenet_first_layer():
    assert model_summary((32, 32, 1), [("conv", 6, (5, 5))]) == [("conv2d", (28, 28, 6), 156)]


def test_model_summary_int_sizes_and_names():
    rows = model_summary((28, 28, 3), [("conv", 8, 3), ("conv", 8, 3), ("conv", 4, (1, 1)),
                                       ("pool", 2), ("flatten",), ("dense", 5)])
    assert [r[0] for r in rows] == ["conv2d", "conv2d_1", "conv2d_2", "max_pooling2d",
                                    "flatten", "dense"]
    assert rows[0] == ("conv2d", (26, 26, 8), 3 * 3 * 3 * 8 + 8)
    assert rows[3][1] == (12, 12, 4)
    assert rows[-1] == ("dense", (5,), 576 * 5 + 5)
    assert model_summary((4, 4, 1), []) == []


@FAST
@given(st.integers(8, 40), st.integers(8, 40), st.integers(1, 4), st.integers(1, 5),
       st.integers(1, 5), st.integers(1, 4), st.integers(1, 20))
def test_model_summary_brute_force(h, w, c, k, pool, filters, units):
    layers = [("conv", filters, (k, k)), ("pool", (pool, pool)), ("flatten",), ("dense", units)]
    oh, ow = count_windows(h, k, 1), count_windows(w, k, 1)
    ph, pw = count_windows(oh, pool, pool), count_windows(ow, pool, pool)
    if min(oh, ow) < pool:
        with pytest.raises(ValueError):
            model_summary((h, w, c), layers)
        return
    rows = model_summary((h, w, c), layers)
    assert rows == [("conv2d", (oh, ow, filters), k * k * c * filters + filters),
                    ("max_pooling2d", (ph, pw, filters), 0),
                    ("flatten", (ph * pw * filters,), 0),
                    ("dense", (units,), ph * pw * filters * units + units)]


@pytest.mark.parametrize("layers, match", [
    ([("dropout", 0.5)], "unknown kind"),
    ([("conv", 64)], "argument"),
    ([("conv", 64, (29, 3))], "does not fit"),
    ([("conv", 64, (3, 3)), ("pool", (2, 2)), ("conv", 64, (3, 3)), ("pool", (2, 2)),
      ("conv", 64, (3, 3)), ("pool", (2, 2)), ("conv", 64, (3, 3))], "does not fit"),
    ([("pool", (30, 2))], "does not fit"),
    ([("dense", 10)], "flatten"),
    ([("flatten",), ("conv", 8, (3, 3))], "flat"),
    ([("flatten",), ("pool", 2)], "flat"),
    ([("conv", 0, (3, 3))], "filters"),
    ([("conv", 8, (3, 0))], "kernel size"),
    ([("dense",)], "argument"),
    ([42], "layers\\[0\\]"),
])
def test_model_summary_errors(layers, match):
    with pytest.raises(ValueError, match=match):
        model_summary((28, 28, 1), layers)


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 0), (28.0, 28, 1), "28x28x1", None])
def test_model_summary_bad_input_shape(shape):
    with pytest.raises(ValueError, match="input_shape"):
        model_summary(shape, NOTES_MODEL)


def test_model_summary_does_not_modify_layers():
    layers = [tuple(layer) for layer in NOTES_MODEL]
    model_summary((28, 28, 1), layers)
    assert layers == NOTES_MODEL



# -- receptive_field ---------------------------------------------------------------------

def reached(layers) -> list[int]:
    """Brute force: the input pixels that output 0 of each layer depends on, counted."""
    out = []
    for depth in range(1, len(layers) + 1):
        positions = {0}  # output 0 of the last layer
        for k, s in reversed(layers[:depth]):
            positions = {p * s + a for p in positions for a in range(k)}
        out.append(max(positions) - min(positions) + 1)
    return out


def test_receptive_field_of_the_notes_model():
    assert receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)]) == [3, 4, 8, 10]
    # [rf-ignores-stride] adds k - 1 each time: 3, 4, 6, 7.
    assert [1 + sum(k - 1 for k, _ in [(3, 1), (2, 2), (3, 1), (2, 2)][:n]) for n in range(1, 5)] == [3, 4, 6, 7]


@FAST
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 4)), max_size=6))
def test_receptive_field_matches_brute_force(layers):
    got = receptive_field(layers)
    assert got == reached(layers)
    assert all(type(v) is int for v in got)


@pytest.mark.parametrize("layers, match", [
    ([(3, 0)], r"layers\[0\]\[1\]"),
    ([(3, 1), (0, 1)], r"layers\[1\]\[0\]"),
    ([(3,)], r"layers\[0\]"),
    ([3], r"layers\[0\]"),
    ([(2.0, 1)], r"layers\[0\]\[0\]"),
    ("3, 1", "^layers"),
])
def test_receptive_field_errors(layers, match):
    with pytest.raises(ValueError, match=match):
        receptive_field(layers)


# -- shift2d and equivariance ------------------------------------------------------------

def loop_shift(X, dy, dx):
    h, w = X.shape
    out = np.zeros_like(X)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = X[i - dy, j - dx]
    return out


@FAST
@given(st.integers(1, 8), st.integers(1, 8), st.integers(-10, 10), st.integers(-10, 10), st.data())
def test_shift2d_matches_loop(h, w, dy, dx, data):
    X = data.draw(arrays(data.draw(st.sampled_from(["int", "float"])), (h, w)))
    got = shift2d(X, dy, dx)
    np.testing.assert_array_equal(got, loop_shift(X, dy, dx))
    assert got.shape == X.shape and not np.shares_memory(got, X)


def test_shift2d_examples():
    assert shift2d([[1, 2], [3, 4]], 1, 0).tolist() == [[0, 0], [1, 2]]
    assert shift2d([[1, 2], [3, 4]], -1, 1).tolist() == [[0, 3], [0, 0]]
    assert shift2d([[1, 2], [3, 4]], 0, 0).tolist() == [[1, 2], [3, 4]]
    assert not shift2d(np.ones((2, 3)), 2, 0).any()
    with pytest.raises(ValueError, match="^dy"):
        shift2d([[1]], 1.5, 0)


@FAST
@given(st.integers(2, 9), st.integers(2, 9), st.integers(-4, 4), st.integers(-4, 4), st.data())
def test_the_two_orders_agree_away_from_the_border(h, w, dy, dx, data):
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    X = data.draw(arrays("int", (h, w)))
    K = data.draw(arrays("int", (kh, kw)))
    first, second = both_orders(X, K, dy, dx)
    np.testing.assert_array_equal(first, shift_then_correlate(X, K, dy, dx))
    np.testing.assert_array_equal(second, correlate_then_shift(X, K, dy, dx))
    np.testing.assert_array_equal(first, corr2d(loop_shift(X, dy, dx), K))
    oh, ow = first.shape
    for i in range(oh):
        for j in range(ow):
            if 0 <= i - dy < oh and 0 <= j - dx < ow:
                assert first[i, j] == second[i, j]
            else:
                assert second[i, j] == 0
