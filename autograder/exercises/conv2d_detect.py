"""Wrong answers and detectors for the misconceptions of 02-conv2d.

Trusted code: each function computes what a learner holding one
misconception would return (``wrong`` implementations, or candidate lists
for :func:`~autograder.exercises.generators.matches_any`), or recognises it
from the shape of an answer (``detect``).  The declarations in
:mod:`autograder.exercises.conv2d` say which misconception uses which.
"""
from __future__ import annotations

import numpy as np

from .. import references as ref

#: numpy.pad's name for each boundary rule, and numpy's two rules that SciPy's names are confused with.
NUMPY_MODE = {"fill": "constant", "symm": "symmetric", "wrap": "wrap"}
OTHER_NUMPY_MODES = ("reflect", "edge")


def mode_of(args, kwargs, position: int = 2, name: str = "mode", default: str = "full") -> str:
    return args[position] if len(args) > position else kwargs.get(name, default)


def turned(kernel, how: str) -> np.ndarray:
    """The kernel turned by 180 degrees ('both') or reversed along one axis ('rows', 'cols')."""
    kernel = np.asarray(kernel)
    return {"both": kernel[::-1, ::-1], "rows": kernel[::-1, :], "cols": kernel[:, ::-1]}[how]


def is_block_of(got, full: np.ndarray) -> bool:
    """Is ``got`` a contiguous block of ``full`` (a cut of the full result)?"""
    if not isinstance(got, np.ndarray) or got.ndim != 2 or got.shape[0] > full.shape[0] or got.shape[1] > full.shape[1]:
        return False
    rows, cols = got.shape
    return any(np.allclose(full[r:r + rows, c:c + cols], got)
               for r in range(full.shape[0] - rows + 1) for c in range(full.shape[1] - cols + 1))


# ---------------------------------------------------------------- conv2d

def not_flipped(image, kernel, mode="full"):
    """Sliding the kernel as it is (cross-correlation), cut to the same size."""
    return [ref.conv2d(image, turned(kernel, "both"), mode)]


def one_axis(image, kernel, mode="full"):
    """The kernel reversed along one axis only (either one)."""
    return [ref.conv2d(image, turned(kernel, "rows"), mode), ref.conv2d(image, turned(kernel, "cols"), mode)]


def same_left_aligned(image, kernel, mode="full"):
    if mode != "same":
        return None
    h, w = np.shape(image)
    return ref.conv2d(image, kernel, "full")[:h, :w]


def valid_off_by_one(case, got) -> bool:
    """'valid' with a row or column too many or too few, cut from the full result."""
    image, kernel = case.args[0], case.args[1]
    if mode_of(case.args, case.kwargs) != "valid" or not isinstance(got, np.ndarray) or got.ndim != 2:
        return False
    (h, w), (kh, kw) = np.shape(image), np.shape(kernel)
    right = (abs(h - kh) + 1, abs(w - kw) + 1)
    diff = [abs(g - r) for g, r in zip(got.shape, right)]
    return max(diff) == 1 and is_block_of(got, ref.conv2d(image, kernel, "full"))


def same_larger_size(case, got) -> bool:
    """'same' the size of the larger input (NumPy's 1-D rule) where SciPy keeps the image's size."""
    image, kernel = case.args[0], case.args[1]
    if mode_of(case.args, case.kwargs) != "same" or not isinstance(got, np.ndarray) or got.ndim != 2:
        return False
    (h, w), (kh, kw) = np.shape(image), np.shape(kernel)
    larger = (max(h, kh), max(w, kw))
    return larger != (h, w) and got.shape == larger and is_block_of(got, ref.conv2d(image, kernel, "full"))


# ---------------------------------------------------------------- neighbourhood

def near(value, target: float) -> bool:
    try:
        return bool(np.isclose(float(value), target, rtol=1e-6, atol=1e-6))
    except (TypeError, ValueError):
        return False


def product_sum(neighbourhood, notes_filter, turn: str | None) -> float:
    """The neighbourhood times the filter, position by position, the filter turned as asked."""
    kernel = np.asarray(notes_filter) if turn is None else turned(notes_filter, turn)
    return float(np.sum(np.asarray(neighbourhood) * kernel))


# ---------------------------------------------------------------- pad2d

def padded_other_ways(image, pad, boundary="fill"):
    """numpy.pad with every rule except the one asked for."""
    image = np.asarray(image)
    wanted = NUMPY_MODE.get(boundary)
    out = []
    for mode in tuple(NUMPY_MODE.values()) + OTHER_NUMPY_MODES:
        if mode != wanted:
            try:
                out.append(np.pad(image, pad, mode))
            except ValueError:
                pass
    return out


def one_sided(case, got) -> bool:
    image, pad = case.args[0], case.args[1]
    h, w = np.shape(image)
    return isinstance(got, np.ndarray) and got.ndim == 2 and pad > 0 and got.shape == (h + pad, w + pad)


# ---------------------------------------------------------------- conv2d_same

def same_other_boundaries(image, kernel, boundary="fill"):
    """The kernel applied after padding with every rule except the one asked for."""
    image, kernel = np.asarray(image), np.asarray(kernel)
    ph, pw = kernel.shape[0] // 2, kernel.shape[1] // 2
    wanted = NUMPY_MODE.get(boundary)
    out = []
    for mode in tuple(NUMPY_MODE.values()) + OTHER_NUMPY_MODES:
        if mode != wanted:
            try:
                out.append(ref.conv2d(np.pad(image, ((ph, ph), (pw, pw)), mode), kernel, "valid"))
            except ValueError:
                pass
    return out


def same_not_flipped(image, kernel, boundary="fill"):
    return [ref.conv2d_same(image, turned(kernel, "both"), boundary)]
