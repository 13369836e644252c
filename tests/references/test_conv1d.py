"""Reference tests for 01-conv1d: conv1d, conv1d_mode, output_length."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from _ref_strategies import FAST, array_pair, arrays, assert_matches, cast
from autograder.references import conv1d, conv1d_mode, output_length

X, H = [6, 2], [1, 2, 5, 4]


# -- lesson numbers -----------------------------------------------------------

def test_by_hand_full_value():
    assert conv1d([3, 4, 5], [2, 1, 0]).tolist() == [6, 11, 14, 5, 0]


def test_lesson_full():
    y = conv1d(X, H)
    assert y.tolist() == [6, 14, 34, 34, 8]
    assert isinstance(y, np.ndarray) and y.dtype == np.int64


def test_lesson_modes():
    assert conv1d_mode(X, H, "full").tolist() == [6, 14, 34, 34, 8]
    assert conv1d_mode(X, H, "same").tolist() == [6, 14, 34, 34]
    assert conv1d_mode(X, H, "valid").tolist() == [14, 34, 34]
    assert conv1d_mode(X, H).tolist() == [6, 14, 34, 34, 8]


def test_misconception_values_differ_from_reference():
    # [no-flip]: sliding h unflipped over x gives the cross-correlation.
    no_flip = [24, 38, 22, 10, 2]
    assert np.correlate(H, X, "full")[::-1].tolist() == no_flip
    assert conv1d(X, H).tolist() != no_flip
    # [same-left-aligned] and [same-first-input-size] on an even kernel.
    full = conv1d([1, 2, 3, 4, 5], [1, 1, 1, 1]).tolist()
    same = conv1d_mode([1, 2, 3, 4, 5], [1, 1, 1, 1], "same").tolist()
    assert same == full[1:6] and same != full[:5]
    assert len(conv1d_mode(X, H, "same")) == 4  # max(M, N), not len(x)


def test_float_input_gives_float64():
    y = conv1d([0.5, 1.0], [2, 4])
    assert y.dtype == np.float64
    assert y.tolist() == [1.0, 4.0, 4.0]


def test_uint8_does_not_wrap():
    x = np.array([200, 250], dtype=np.uint8)
    h = np.array([2, 3], dtype=np.uint8)
    y = conv1d(x, h)
    assert y.dtype == np.int64
    assert y.tolist() == [400, 1100, 750]
    assert conv1d_mode(x, h, "valid").tolist() == [1100]


def test_bool_input_counts():
    assert conv1d([True, True], [True, True, True]).tolist() == [1, 2, 2, 1]


# -- agreement with numpy.convolve --------------------------------------------

@FAST
@given(array_pair(1, max_side=12, max_kernel=15))
def test_conv1d_matches_numpy(pair):
    x, h = pair
    xo, ho = cast(x, h)
    assert_matches(conv1d(x, h), np.convolve(xo, ho))


@FAST
@given(array_pair(1, max_side=12, max_kernel=15), st.sampled_from(["full", "same", "valid"]))
def test_conv1d_mode_matches_numpy(pair, mode):
    x, h = pair
    xo, ho = cast(x, h)
    assert_matches(conv1d_mode(x, h, mode), np.convolve(xo, ho, mode))


@FAST
@given(st.integers(1, 90), st.integers(1, 90), st.sampled_from(["full", "same", "valid"]),
       st.sampled_from(["int", "float"]), st.data())
def test_long_inputs_match_numpy(n, m, mode, kind, data):
    # Long enough for the einsum branch (both inputs longer than 32 taps).
    x = data.draw(arrays(kind, n))
    h = data.draw(arrays(kind, m))
    xo, ho = cast(x, h)
    assert_matches(conv1d_mode(x, h, mode), np.convolve(xo, ho, mode))


def test_every_small_size_and_both_orders():
    rng = np.random.default_rng(1)
    for n in range(1, 10):
        for m in range(1, 10):
            x = rng.integers(-9, 10, n)
            h = rng.integers(-9, 10, m)
            for mode in ("full", "same", "valid"):
                expected = np.convolve(x, h, mode)
                assert conv1d_mode(x, h, mode).tolist() == expected.tolist()
                assert conv1d_mode(h, x, mode).tolist() == np.convolve(h, x, mode).tolist()


def test_lists_and_arrays_agree():
    assert conv1d(np.array(X), tuple(H)).tolist() == conv1d(X, H).tolist()


# -- output_length --------------------------------------------------------------

def test_output_length_lesson():
    assert output_length(2, 4) == 5
    assert output_length(2, 4, "same") == 4
    assert output_length(2, 4, "valid") == 3
    assert output_length(3, 3, "full") == 5


def test_output_length_matches_numpy_brute_force():
    for n in range(1, 13):
        for k in range(1, 13):
            for mode in ("full", "same", "valid"):
                got = output_length(n, k, mode)
                assert type(got) is int
                assert got == len(np.convolve(np.ones(n), np.ones(k), mode))


def test_output_length_accepts_numpy_integers():
    assert output_length(np.int64(3), np.int32(2)) == 4


@pytest.mark.parametrize("n, k", [(0, 3), (3, 0), (-1, 2), (2.0, 3), (3, 1.5), (True, 3),
                                  ("3", 3), (None, 3)])
def test_output_length_bad_sizes(n, k):
    with pytest.raises(ValueError, match=r"\b[nk]\b"):
        output_length(n, k)


def test_output_length_bad_mode():
    with pytest.raises(ValueError, match="'full', 'same', 'valid'"):
        output_length(3, 2, "middle")


# -- bad input ------------------------------------------------------------------

@pytest.mark.parametrize("x, h, name", [
    ([], [1, 2], "x"),
    ([1, 2], [], "h"),
    ([[1, 2], [3, 4]], [1], "x"),
    ([1, 2], [[1]], "h"),
    (5, [1, 2], "x"),
    ([1, 2], np.float64(3.0), "h"),
    ([1 + 2j, 3], [1], "x"),
    ([1, 2], ["a", "b"], "h"),
    ([1, [2, 3]], [1], "x"),
])
def test_bad_inputs_name_the_argument(x, h, name):
    with pytest.raises(ValueError, match=rf"^{name} "):
        conv1d(x, h)
    with pytest.raises(ValueError, match=rf"^{name} "):
        conv1d_mode(x, h, "same")


@pytest.mark.parametrize("mode", ["Full", "centre", "", None, 0, 1])
def test_unknown_mode(mode):
    with pytest.raises(ValueError, match="'full', 'same', 'valid'"):
        conv1d_mode([1, 2, 3], [1, 1], mode)


def test_inputs_not_modified_and_not_shared():
    x = np.array([3, 4, 5], dtype=np.uint8)
    h = np.array([2.0, 1.0, 0.0])
    x0, h0 = x.copy(), h.copy()
    x.flags.writeable = False
    h.flags.writeable = False
    for mode in ("full", "same", "valid"):
        y = conv1d_mode(x, h, mode)
        assert not np.shares_memory(y, x) and not np.shares_memory(y, h)
    conv1d(x, h)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(h, h0)
    xs, hs = [6, 2], [1, 2, 5, 4]
    conv1d(xs, hs)
    assert xs == [6, 2] and hs == [1, 2, 5, 4]
