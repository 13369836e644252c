"""Reference tests for 05-image-filters: Pillow I/O, the kernel catalogue, filtering."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from PIL import Image
from scipy.signal import convolve2d

from _ref_strategies import FAST, KINDS, array_pair, arrays, assert_matches
from autograder.references import (KERNELS, conv2d_same, edge_map, filter_image,
                                   load_grayscale, save_png, to_uint8)

EXPECTED_KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "edge1": [[1, 0, -1], [0, 0, 0], [-1, 0, 1]],
    "edge2": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "edge3": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "unsharp": (np.array([[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, -476, 24, 6],
                          [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]]) / -256).tolist(),
    "box_blur": (np.ones((3, 3)) / 9).tolist(),
    "gaussian_blur": (np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16).tolist(),
}


@pytest.fixture
def rgb_png(tmp_path):
    rgb = np.random.default_rng(5).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).save(path)
    return path, rgb


# -- KERNELS ---------------------------------------------------------------------------

def test_kernel_names_and_values():
    assert set(KERNELS) == set(EXPECTED_KERNELS)
    for name, values in EXPECTED_KERNELS.items():
        assert KERNELS[name].dtype == np.float64, name
        np.testing.assert_array_equal(KERNELS[name], np.array(values, dtype=np.float64), err_msg=name)


def test_kernel_sums():
    for name in ("box_blur", "gaussian_blur"):
        assert KERNELS[name].sum() == pytest.approx(1.0)
    for name in ("edge1", "edge2", "edge3"):
        assert KERNELS[name].sum() == 0
    assert KERNELS["sharpen"].sum() == 1
    assert KERNELS["unsharp"].sum() == pytest.approx(1.0)
    assert KERNELS["identity"][1, 1] == 1 and KERNELS["identity"].sum() == 1
    assert KERNELS["unsharp"].shape == (5, 5)


def test_kernels_are_protected():
    with pytest.raises(ValueError):
        KERNELS["edge2"][1, 1] = 0
    assert KERNELS["edge2"][1, 1] == -4


# -- load_grayscale ------------------------------------------------------------------------

def test_load_grayscale_matches_pillow_and_luma(rgb_png):
    path, rgb = rgb_png
    grey = load_grayscale(path)
    assert grey.dtype == np.float64 and grey.ndim == 2 and grey.shape == (17, 23)
    assert grey.flags.writeable
    with Image.open(path) as img:
        np.testing.assert_array_equal(grey, np.asarray(img.convert("L"), dtype=np.float64))
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    luma = r * 299 / 1000 + g * 587 / 1000 + b * 114 / 1000
    assert np.abs(grey - luma).max() <= 1
    grey[0, 0] = -1  # writable, and our own copy
    assert load_grayscale(str(path))[0, 0] != -1


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_load_grayscale_other_modes(tmp_path, mode):
    rgb = np.random.default_rng(6).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    img = Image.fromarray(rgb).convert(mode) if mode != "I;16" else Image.fromarray(
        rgb[..., 0].astype(np.uint16) * 200)
    path = tmp_path / f"img_{mode.replace(';', '')}.png"
    img.save(path)
    with Image.open(path) as reopened:
        expected = np.asarray(reopened.convert("L"), dtype=np.float64)
    np.testing.assert_array_equal(load_grayscale(path), expected)


def test_load_grayscale_missing_file(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_grayscale(missing)


def test_load_grayscale_not_an_image(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture\n")
    with pytest.raises(ValueError, match="not an image"):
        load_grayscale(text)


# -- filter_image --------------------------------------------------------------------------

@FAST
@given(array_pair(2, max_side=9, max_kernel=7), st.sampled_from(["fill", "symm", "wrap"]))
def test_filter_image_matches_scipy(pair, boundary):
    # Odd and even kernel sides alike, and kernels larger than the image.
    image, kernel = pair
    a, k = image.astype(np.float64), kernel.astype(np.float64)
    expected = convolve2d(a, k, "same", boundary=boundary)
    assert_matches(filter_image(image, kernel, boundary), expected, exact=False)


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
@pytest.mark.parametrize("boundary", ["fill", "symm", "wrap"])
def test_filter_image_catalogue_on_uint8(name, boundary):
    image = np.random.default_rng(7).integers(0, 256, (12, 15), dtype=np.uint8)
    expected = convolve2d(image.astype(np.float64), KERNELS[name], "same", boundary=boundary)
    got = filter_image(image, KERNELS[name], boundary)
    assert_matches(got, expected, exact=False)
    if name == "identity":
        np.testing.assert_array_equal(got, image)


def test_filter_image_flips_asymmetric_kernels():
    image = np.zeros((3, 3))
    image[1, 1] = 1
    kernel = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    # An impulse reproduces the kernel itself under convolution (not its mirror).
    np.testing.assert_array_equal(filter_image(image, kernel), kernel)


def test_filter_image_agrees_with_conv2d_same():
    image = np.random.default_rng(8).integers(0, 256, (9, 8))
    for boundary in ("fill", "symm", "wrap"):
        np.testing.assert_allclose(filter_image(image, KERNELS["sharpen"], boundary),
                                   conv2d_same(image, KERNELS["sharpen"], boundary))


@pytest.mark.parametrize("args, match", [
    (([1, 2, 3], KERNELS["edge2"]), "^image"),
    ((np.ones((4, 4)), [1, 2, 3]), "^kernel"),
    ((np.ones((4, 4)), KERNELS["edge2"], "reflect"), "'fill', 'symm', 'wrap'"),
    ((np.ones((4, 4, 3)), KERNELS["edge2"]), "^image"),
])
def test_filter_image_errors(args, match):
    with pytest.raises(ValueError, match=match):
        filter_image(*args)


# -- to_uint8 -------------------------------------------------------------------------------

def test_to_uint8_clip_and_round():
    out = to_uint8([-5, 0.4, 0.5, 1.5, 2.5, 254.5, 260, np.inf, -np.inf])
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 0, 0, 2, 2, 254, 255, 255, 0]
    # [no-clip]: a plain cast wraps around instead.
    assert np.array([-5, 260]).astype(np.uint8).tolist() == [251, 4]


@FAST
@given(st.sampled_from(KINDS), st.integers(1, 5), st.integers(1, 5), st.data())
def test_to_uint8_matches_formula(kind, h, w, data):
    image = data.draw(arrays(kind, (h, w)))
    if kind == "float":
        image = image * 3  # values beyond both ends
    expected = np.rint(np.clip(image.astype(np.float64), 0, 255)).astype(np.uint8)
    np.testing.assert_array_equal(to_uint8(image), expected)


def test_to_uint8_errors():
    with pytest.raises(ValueError, match="NaN"):
        to_uint8([[1.0, np.nan]])
    with pytest.raises(ValueError, match="complex"):
        to_uint8([1 + 1j])


# -- edge_map ---------------------------------------------------------------------------------

@FAST
@given(st.sampled_from(KINDS), st.integers(1, 8), st.integers(1, 8), st.data(),
       st.sampled_from([0, 100, 12.5, -20]))
def test_edge_map_matches_lesson_recipe(kind, h, w, data, bias):
    image = data.draw(arrays(kind, (h, w)))
    grad = convolve2d(image.astype(np.float64), KERNELS["edge2"], "same", boundary="symm")
    expected = np.abs(grad) + bias
    expected[expected > 255] = 255
    assert_matches(edge_map(image, bias), expected, exact=False)


def test_edge_map_flat_image_is_bias():
    assert edge_map(np.full((4, 5), 77, np.uint8), 100).tolist() == [[100.0] * 5] * 4
    assert edge_map(np.full((4, 5), 77, np.uint8), 300).max() == 255


@pytest.mark.parametrize("bias", [None, "100", 1j, float("nan"), True])
def test_edge_map_bad_bias(bias):
    with pytest.raises(ValueError, match="^bias"):
        edge_map(np.ones((3, 3)), bias)


# -- save_png -----------------------------------------------------------------------------------

@FAST
@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from(["uint8", "int"]), st.data())
def test_save_png_round_trip(tmp_path_factory, h, w, kind, data):
    pixels = data.draw(arrays("uint8", (h, w)))
    array = pixels if kind == "uint8" else pixels.astype(np.int64)
    path = tmp_path_factory.mktemp("png") / "out.png"
    assert save_png(array, path) is None
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "L" and img.size == (w, h)
    np.testing.assert_array_equal(load_grayscale(path), pixels.astype(np.float64))


def test_save_png_floats_go_through_to_uint8(tmp_path):
    values = np.array([[-3.0, 0.5, 1.5, 127.49], [128.5, 254.6, 300.0, 42.0]])
    path = tmp_path / "floats.png"
    save_png(values, path)
    np.testing.assert_array_equal(load_grayscale(path), to_uint8(values).astype(np.float64))


def test_save_png_writes_png_whatever_the_suffix(tmp_path):
    path = tmp_path / "picture.data"
    save_png([[1, 2], [3, 4]], path)
    with Image.open(path) as img:
        assert img.format == "PNG"


@pytest.mark.parametrize("array, match", [
    ([[0, 256]], "0..255"),
    ([[-1, 3]], "0..255"),
    (np.zeros((2, 2, 3)), "^array"),
    ([1, 2, 3], "^array"),
    ([[np.nan]], "NaN"),
])
def test_save_png_errors(tmp_path, array, match):
    with pytest.raises(ValueError, match=match):
        save_png(array, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


# -- inputs -----------------------------------------------------------------------------------

def test_inputs_not_modified(tmp_path):
    image = np.random.default_rng(9).integers(0, 256, (6, 6)).astype(np.uint8)
    kernel = np.array(KERNELS["sharpen"])
    saved = image.copy(), kernel.copy()
    image.flags.writeable = False
    kernel.flags.writeable = False
    outs = [filter_image(image, kernel, "symm"), edge_map(image, 100), to_uint8(image)]
    save_png(image, tmp_path / "x.png")
    for out in outs:
        assert not np.shares_memory(out, image)
    np.testing.assert_array_equal(image, saved[0])
    np.testing.assert_array_equal(kernel, saved[1])


def test_load_grayscale_directory_and_bad_path(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        load_grayscale(tmp_path)
    with pytest.raises(ValueError, match="^path"):
        load_grayscale(3)
    with pytest.raises(ValueError, match="^path"):
        save_png([[1]], None)
