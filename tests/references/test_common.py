"""Properties every reference shares: independence from the oracles, exports, dtypes.

The references must not call the routines the tests use as oracles, or the
comparisons would prove nothing.  This is checked statically (no such name in
the source) and at run time (the routines are replaced by traps).
"""
from __future__ import annotations

import ast
import inspect
import pathlib

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

import autograder.references as refs
from autograder.references import _validate

PACKAGE_DIR = pathlib.Path(refs.__file__).parent
MODULES = sorted(PACKAGE_DIR.glob("*.py"))
PUBLIC_FUNCTIONS = [
    "conv1d", "conv1d_mode", "output_length", "conv2d", "pad2d", "conv2d_same",
    "corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "conv2d_layer", "pool2d",
    "learn_kernel", "learn_kernel_losses", "conv_output_size", "tf_padding",
    "pool_output_size", "conv_params", "model_summary", "total_params",
    "load_grayscale", "filter_image", "to_uint8", "edge_map", "save_png",
]


def test_everything_is_exported():
    for name in PUBLIC_FUNCTIONS + ["KERNELS"]:
        assert name in refs.__all__, name
        assert hasattr(refs, name), name


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_docstrings_have_examples(name):
    doc = inspect.getdoc(getattr(refs, name))
    assert doc and "Examples\n--------" in doc and ">>>" in doc, name


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_forbidden_routine_in_source(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.Name):
            names = [node.id]
        else:
            continue
        for name in names:
            assert not name.startswith("scipy"), (path.name, name)
            assert name not in ("convolve", "correlate", "fft", "convolve2d", "correlate2d",
                                "fftconvolve", "oaconvolve"), (path.name, name)


@pytest.fixture
def trapped(monkeypatch):
    """Make every oracle routine raise if a reference calls it."""
    def trap(*args, **kwargs):
        raise AssertionError("a reference called a forbidden library routine")

    monkeypatch.setattr(np, "convolve", trap)
    monkeypatch.setattr(np, "correlate", trap)
    for name in ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "rfftn"):
        monkeypatch.setattr(np.fft, name, trap)
    for name in ("convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve"):
        monkeypatch.setattr(scipy.signal, name, trap)
    for name in ("convolve", "correlate", "maximum_filter", "uniform_filter"):
        monkeypatch.setattr(scipy.ndimage, name, trap)


def test_no_forbidden_routine_at_run_time(trapped, tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 10)).astype(np.uint8)
    big = rng.normal(size=(7, 9))
    refs.conv1d(rng.normal(size=40), rng.normal(size=35))
    refs.conv1d_mode([1, 2, 3], [1, 1], "same")
    for mode in ("full", "same", "valid"):
        refs.conv2d(img, [[1, 2], [3, 4]], mode)
        refs.conv2d(img, big, mode)
    refs.pad2d(img, 3, "symm")
    refs.conv2d_same(img, np.ones((7, 7)), "wrap")
    refs.corr2d(img, big)
    refs.corr2d_multi_in_out(rng.normal(size=(2, 9, 9)), rng.normal(size=(3, 2, 6, 6)))
    refs.conv2d_layer(rng.normal(size=(2, 9, 9)), rng.normal(size=(3, 2, 3, 3)), np.ones(3), 2, 1)
    refs.pool2d(img, 2, 2, "avg")
    refs.learn_kernel(np.ones((6, 8)), np.zeros((6, 7)), (1, 2))
    refs.filter_image(img, refs.KERNELS["unsharp"], "symm")
    refs.edge_map(img, 100)
    refs.save_png(img, tmp_path / "a.png")
    refs.load_grayscale(tmp_path / "a.png")


@pytest.mark.parametrize("call", [
    lambda: refs.conv1d([1j], [1]),
    lambda: refs.conv1d_mode([1], [1j], "same"),
    lambda: refs.conv2d([[1j]], [[1]]),
    lambda: refs.conv2d_same([[1]], [[1j]]),
    lambda: refs.pad2d([[1j]], 1),
    lambda: refs.corr2d([[1j]], [[1]]),
    lambda: refs.corr2d_multi_in([[[1j]]], [[[1]]]),
    lambda: refs.corr2d_multi_in_out([[[1]]], [[[[1j]]]]),
    lambda: refs.conv2d_layer([[[1]]], [[[[1]]]], [1j]),
    lambda: refs.pool2d([[1j]], 1),
    lambda: refs.learn_kernel([[1j]], [[1]], 1),
    lambda: refs.filter_image([[1j]], [[1]]),
    lambda: refs.to_uint8([[1j]]),
    lambda: refs.edge_map([[1j]]),
    lambda: refs.save_png([[1j]], "never.png"),
], ids=range(15))
def test_complex_input_is_refused(call):
    with pytest.raises(ValueError, match="complex"):
        call()


@pytest.mark.parametrize("value, dtype", [
    ([1, 2], np.int64), (np.array([1, 2], np.uint8), np.int64), ([True], np.int64),
    (np.array([1], np.uint64), np.int64), ([1.5], np.float64),
    (np.array([1], np.float32), np.float64), (np.array([1], np.float16), np.float64),
])
def test_computing_dtypes(value, dtype):
    assert _validate.as_array("v", value).dtype == dtype


def test_validation_helpers():
    assert _validate.as_pair("s", 2) == (2, 2)
    assert _validate.as_pair("s", (1, np.int64(3))) == (1, 3)
    assert _validate.as_pair("s", np.array([4, 5])) == (4, 5)
    with pytest.raises(ValueError, match=r"^s\[1\]"):
        _validate.as_pair("s", (1, 2.0))
    with pytest.raises(ValueError, match="^s "):
        _validate.as_pair("s", "22")
    assert _validate.as_int("n", np.int8(4), 1) == 4 and type(_validate.as_int("n", np.int8(4))) is int
    with pytest.raises(ValueError, match="at least 1"):
        _validate.as_int("n", 0, 1)
    assert _validate.as_real("lr", np.float32(0.5), positive=True) == 0.5
    with pytest.raises(ValueError, match="one of 'a', 'b'"):
        _validate.as_choice("mode", "c", ("a", "b"))
    with pytest.raises(ValueError, match="^x must contain numbers"):
        _validate.as_array("x", ["a"])
    with pytest.raises(ValueError, match="^x must contain numbers"):
        _validate.as_array("x", [None, 1])


def test_huge_uint64_is_refused():
    with pytest.raises(ValueError, match="too large"):
        refs.conv1d(np.array([2 ** 63], dtype=np.uint64), [1])
    assert refs.conv1d(np.array([2 ** 62], dtype=np.uint64), [1]).tolist() == [2 ** 62]
