"""Reference tests for 02-conv2d: conv2d, pad2d, conv2d_same (and the neighbourhood values)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.signal import convolve2d, correlate2d

from _ref_strategies import FAST, KINDS, array_pair, arrays, assert_matches, cast
from autograder.references import conv2d, conv2d_same, corr2d, pad2d

I = [[255, 7, 3], [212, 240, 4], [218, 216, 230]]
G1 = [[-1, 1]]
G2 = [[-1, 1], [2, 3]]
NUMPY_MODE = {"fill": "constant", "symm": "symmetric", "wrap": "wrap"}


# -- lesson and derived numbers -------------------------------------------------

def test_lesson_g1():
    assert conv2d(I, G1, "valid").tolist() == [[248, 4], [-28, 236], [2, -14]]
    assert conv2d(I, G1, "full").tolist() == [[-255, 248, 4, 3], [-212, -28, 236, 4],
                                              [-218, 2, -14, 230]]
    assert conv2d(I, G1).tolist() == conv2d(I, G1, "full").tolist()


def test_lesson_g2():
    assert conv2d(I, G2, "full").tolist() == [[-255, 248, 4, 3], [298, 751, 263, 13],
                                              [206, 1118, 714, 242], [436, 1086, 1108, 690]]
    assert conv2d(I, G2, "same").tolist() == [[-255, 248, 4], [298, 751, 263], [206, 1118, 714]]
    assert conv2d(I, G2, "valid").tolist() == [[751, 263], [1118, 714]]
    assert conv2d(I, G2, "valid").dtype == np.int64


def test_derived_misconception_values():
    no_flip = [[896, 488], [1112, 886]]
    rows_only = [[1364, 732], [1058, 1344]]
    assert correlate2d(I, G2, "valid").tolist() == no_flip
    # Only one axis flipped: each kernel row reversed, the row order kept.
    assert correlate2d(I, np.fliplr(G2), "valid").tolist() == rows_only
    assert convolve2d(I, np.flipud(G2), "valid").tolist() == rows_only
    ours = conv2d(I, G2, "valid").tolist()
    assert ours != no_flip and ours != rows_only


def test_neighbourhood_values():
    patch = np.array([[0, 64, 128], [48, 192, 144], [142, 226, 168]])
    filt = np.array([[-1, 0, -2], [0.5, 4.5, -1.5], [1.5, 2, -3]])
    assert corr2d(patch, filt).tolist() == [[577.0]]       # pixel_as_in_notes
    assert conv2d(patch, filt, "valid").tolist() == [[732.0]]  # pixel_true_convolution
    assert float(np.sum(patch * filt)) == 577.0


def test_conv2d_same_derived():
    img = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    k = np.ones((3, 3))
    assert conv2d_same(img, k).tolist() == [[12, 21, 16], [27, 45, 33], [24, 39, 28]]
    assert conv2d_same(img, k, "symm").tolist() == [[21, 27, 33], [39, 45, 51], [57, 63, 69]]
    assert conv2d_same(img, k, "wrap").tolist() == [[45] * 3] * 3
    assert conv2d_same(img, k).dtype == np.float64          # ones((3, 3)) is float
    assert conv2d_same(img, np.ones((3, 3), int)).dtype == np.int64


def test_uint8_does_not_wrap():
    img = np.full((3, 3), 250, dtype=np.uint8)
    k = np.ones((2, 2), dtype=np.uint8)
    assert conv2d(img, k, "valid").tolist() == [[1000, 1000], [1000, 1000]]
    assert conv2d_same(img, np.ones((3, 3), np.uint8), "symm").tolist() == [[2250] * 3] * 3


# -- agreement with scipy.signal.convolve2d ---------------------------------------

@FAST
@given(array_pair(2, max_side=7, max_kernel=9), st.sampled_from(["full", "same", "valid"]))
def test_conv2d_matches_scipy(pair, mode):
    image, kernel = pair
    a, k = cast(image, kernel)
    try:
        expected = convolve2d(a, k, mode)
    except ValueError:
        with pytest.raises(ValueError, match="at least as large"):
            conv2d(image, kernel, mode)
        return
    assert_matches(conv2d(image, kernel, mode), expected)


@FAST
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 40),
       st.sampled_from(["full", "same", "valid"]), st.data())
def test_conv2d_large_kernels_match_scipy(h, w, kh, kw, mode, data):
    # Covers the einsum branch (kernels of more than 25 elements).
    image = data.draw(arrays("float", (h, w)))
    kernel = data.draw(arrays("int", (kh, kw)))
    a, k = cast(image, kernel)
    try:
        expected = convolve2d(a, k, mode)
    except ValueError:
        with pytest.raises(ValueError):
            conv2d(image, kernel, mode)
        return
    assert_matches(conv2d(image, kernel, mode), expected)


def test_conv2d_valid_rule_every_small_shape():
    rng = np.random.default_rng(2)
    for h in range(1, 5):
        for w in range(1, 5):
            for kh in range(1, 6):
                for kw in range(1, 6):
                    a = rng.integers(-5, 6, (h, w))
                    k = rng.integers(-5, 6, (kh, kw))
                    fits = (h >= kh and w >= kw) or (kh >= h and kw >= w)
                    if fits:
                        assert conv2d(a, k, "valid").tolist() == convolve2d(a, k, "valid").tolist()
                    else:
                        with pytest.raises(ValueError, match="at least as large"):
                            conv2d(a, k, "valid")
                    for mode in ("full", "same"):
                        assert conv2d(a, k, mode).tolist() == convolve2d(a, k, mode).tolist()


# -- pad2d ----------------------------------------------------------------------

@FAST
@given(st.sampled_from(KINDS + ("float32",)), st.integers(1, 5), st.integers(1, 5),
       st.integers(0, 12), st.sampled_from(["fill", "symm", "wrap"]), st.data())
def test_pad2d_matches_numpy_pad(kind, h, w, pad, boundary, data):
    if kind == "float32":
        image = data.draw(arrays("float", (h, w))).astype(np.float32)
    else:
        image = data.draw(arrays(kind, (h, w)))
    got = pad2d(image, pad, boundary)
    expected = np.pad(image, pad, mode=NUMPY_MODE[boundary])
    assert got.dtype == image.dtype
    np.testing.assert_array_equal(got, expected)


def test_pad2d_examples():
    assert pad2d([[1, 2], [3, 4]], 1).tolist() == [[0, 0, 0, 0], [0, 1, 2, 0],
                                                   [0, 3, 4, 0], [0, 0, 0, 0]]
    assert pad2d([[7]], 3, "symm").tolist() == [[7] * 7] * 7
    assert pad2d([[1, 2, 3]], 4, "symm")[0].tolist() == [3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1]
    assert pad2d([[1, 2, 3]], 4, "wrap")[0].tolist() == [3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]


def test_pad2d_zero_pad_is_a_copy():
    image = np.arange(6).reshape(2, 3)
    for boundary in ("fill", "symm", "wrap"):
        out = pad2d(image, 0, boundary)
        np.testing.assert_array_equal(out, image)
        assert not np.shares_memory(out, image)


@pytest.mark.parametrize("pad", [-1, 1.0, 2.5, True, "1", None, (1, 1)])
def test_pad2d_bad_pad(pad):
    with pytest.raises(ValueError, match="^pad"):
        pad2d([[1, 2], [3, 4]], pad)


@pytest.mark.parametrize("boundary", ["reflect", "constant", "SYMM", None])
def test_pad2d_bad_boundary(boundary):
    with pytest.raises(ValueError, match="'fill', 'symm', 'wrap'"):
        pad2d([[1, 2], [3, 4]], 1, boundary)


@pytest.mark.parametrize("image", [[1, 2, 3], [[[1]]], np.zeros((0, 3)), [[1j]], [["a"]]])
def test_pad2d_bad_image(image):
    with pytest.raises(ValueError, match="^image"):
        pad2d(image, 1)


# -- conv2d_same -----------------------------------------------------------------

@st.composite
def odd_kernel_case(draw, max_side=6, max_kernel=15):
    kind_a = draw(st.sampled_from(KINDS))
    kind_b = draw(st.sampled_from(KINDS))
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    kshape = (2 * draw(st.integers(0, max_kernel // 2)) + 1,
              2 * draw(st.integers(0, max_kernel // 2)) + 1)
    return draw(arrays(kind_a, shape)), draw(arrays(kind_b, kshape))


@FAST
@given(odd_kernel_case(), st.sampled_from(["fill", "symm", "wrap"]))
def test_conv2d_same_matches_scipy(case, boundary):
    # Includes kernels up to 15x15 on images down to 1x1: SciPy >= 1.9 extends
    # the image as often as needed, exactly like numpy.pad, and so do we.
    image, kernel = case
    a, k = cast(image, kernel)
    expected = convolve2d(a, k, "same", boundary=boundary)
    assert_matches(conv2d_same(image, kernel, boundary), expected)


def test_conv2d_same_is_pad_then_valid():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (4, 5)).astype(np.uint8)
    kernel = rng.integers(-3, 4, (7, 3))
    for boundary in ("fill", "symm", "wrap"):
        padded = np.pad(image.astype(np.int64), ((3, 3), (1, 1)), mode=NUMPY_MODE[boundary])
        expected = convolve2d(padded, kernel, "valid")
        assert conv2d_same(image, kernel, boundary).tolist() == expected.tolist()


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 4), (1, 2), (4, 1)])
def test_conv2d_same_even_kernel(shape):
    with pytest.raises(ValueError, match="odd"):
        conv2d_same(np.ones((5, 5)), np.ones(shape))


def test_conv2d_same_bad_arguments():
    with pytest.raises(ValueError, match="'fill', 'symm', 'wrap'"):
        conv2d_same(np.ones((3, 3)), np.ones((3, 3)), "reflect")
    with pytest.raises(ValueError, match="^image"):
        conv2d_same(np.ones(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match="^kernel"):
        conv2d_same(np.ones((3, 3)), np.ones((0, 3)))


# -- conv2d bad input ------------------------------------------------------------

@pytest.mark.parametrize("image, kernel, name", [
    ([1, 2, 3], [[1]], "image"),
    ([[1]], [1, 2], "kernel"),
    (np.ones((2, 2, 2)), [[1]], "image"),
    (np.zeros((0, 2)), [[1]], "image"),
    ([[1]], np.zeros((1, 0)), "kernel"),
    ([[1j]], [[1]], "image"),
    ([[1, 2], [3]], [[1]], "image"),
])
def test_conv2d_bad_input(image, kernel, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        conv2d(image, kernel)


def test_conv2d_bad_mode():
    with pytest.raises(ValueError, match="'full', 'same', 'valid'"):
        conv2d(I, G1, "circular")


def test_inputs_not_modified():
    image = np.array(I, dtype=np.uint8)
    kernel = np.array(G2, dtype=np.float64)
    saved = image.copy(), kernel.copy()
    image.flags.writeable = False
    kernel.flags.writeable = False
    for mode in ("full", "same", "valid"):
        out = conv2d(image, kernel, mode)
        assert not np.shares_memory(out, image)
    for boundary in ("fill", "symm", "wrap"):
        conv2d_same(image, [[0, 1, 0]], boundary)
        pad2d(image, 2, boundary)
    np.testing.assert_array_equal(image, saved[0])
    np.testing.assert_array_equal(kernel, saved[1])


@pytest.mark.parametrize("boundary", ["fill", "symm", "wrap"])
def test_conv2d_same_kernel_many_times_larger_than_image(boundary):
    # SciPy < 1.9 read memory outside the image here (scipy/scipy#8684, #16134);
    # current SciPy repeats the boundary rule as far as needed, as numpy.pad does.
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (1, 2)).astype(np.uint8)
    kernel = rng.integers(-5, 6, (21, 23))
    expected = convolve2d(image.astype(np.int64), kernel, "same", boundary=boundary)
    assert conv2d_same(image, kernel, boundary).tolist() == expected.tolist()
    padded = np.pad(image.astype(np.int64), ((10, 10), (11, 11)), mode=NUMPY_MODE[boundary])
    assert expected.tolist() == convolve2d(padded, kernel, "valid").tolist()
