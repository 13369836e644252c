"""Reference implementations for assignment 01-conv1d (convolution in 1-D).

The full convolution y[n] = sum_k x[k] h[n - k] is computed by hand; the
'same' and 'valid' outputs are slices of it, cut exactly where
``numpy.convolve`` cuts them.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_1d, as_choice, as_int, promote

__all__ = ["conv1d", "conv1d_mode", "output_length", "MODES"]

#: The output sizes understood by :func:`conv1d_mode` and :func:`output_length`.
MODES = ("full", "same", "valid")

#: Above this many taps in the shorter input, einsum replaces the offset loop.
_OFFSET_LOOP_MAX = 32


def _full(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Full convolution of two validated 1-D arrays of the same dtype."""
    # Convolution is commutative, so loop over the shorter of the two.
    long_, short = (x, h) if x.size >= h.size else (h, x)
    n, m = long_.size, short.size
    if m > _OFFSET_LOOP_MAX:
        # Each output is the dot product of a window of the zero-padded long
        # input with the reversed short one.
        padded = np.zeros(n + 2 * (m - 1), dtype=long_.dtype)
        padded[m - 1:m - 1 + n] = long_
        windows = sliding_window_view(padded, m)
        return np.einsum("ij,j->i", windows, short[::-1]).astype(long_.dtype, copy=False)
    out = np.zeros(n + m - 1, dtype=long_.dtype)
    for j in range(m):
        # Tap j of the short input shifts the whole long input by j places.
        out[j:j + n] += short[j] * long_
    return out


def _inputs(x, h) -> tuple[np.ndarray, np.ndarray]:
    x = as_1d("x", x)
    h = as_1d("h", h)
    return promote(x, h)


def conv1d(x, h) -> np.ndarray:
    """Full linear convolution of two 1-D sequences, computed by hand.

    Parameters
    ----------
    x, h : array_like
        Non-empty 1-D sequences of real numbers (lists or arrays).

    Returns
    -------
    numpy.ndarray
        ``y`` of length ``len(x) + len(h) - 1`` with
        ``y[n] = sum_k x[k] * h[n - k]``.  ``int64`` when both inputs are
        integers or booleans (``uint8`` does not wrap), else ``float64``.

    Raises
    ------
    ValueError
        If ``x`` or ``h`` is empty, not 1-D, complex or not numeric.

    Examples
    --------
    >>> conv1d([3, 4, 5], [2, 1, 0])
    array([ 6, 11, 14,  5,  0])
    >>> conv1d([6, 2], [1, 2, 5, 4])
    array([ 6, 14, 34, 34,  8])
    """
    x, h = _inputs(x, h)
    return _full(x, h)


def conv1d_mode(x, h, mode: str = "full") -> np.ndarray:
    """1-D convolution with numpy.convolve's three output sizes.

    Parameters
    ----------
    x, h : array_like
        Non-empty 1-D sequences of real numbers.
    mode : {'full', 'same', 'valid'}
        ``'full'``: every overlap, length ``M + N - 1``.
        ``'same'``: length ``max(M, N)``, centred on the full result as NumPy
        centres it: with ``m = min(M, N)``, ``(m - 1) // 2`` values are
        dropped at the start and the rest at the end (for an even ``m``
        one more at the end).
        ``'valid'``: only complete overlaps, length ``max(M, N) - min(M, N) + 1``.
        As in NumPy the longer input plays the signal, so the result does
        not depend on the order of ``x`` and ``h``.

    Returns
    -------
    numpy.ndarray
        ``int64`` for integer/boolean inputs, else ``float64``.

    Raises
    ------
    ValueError
        For an unknown ``mode`` or a bad ``x`` / ``h`` (see :func:`conv1d`).

    Examples
    --------
    >>> conv1d_mode([6, 2], [1, 2, 5, 4], 'same')
    array([ 6, 14, 34, 34])
    >>> conv1d_mode([6, 2], [1, 2, 5, 4], 'valid')
    array([14, 34, 34])
    """
    mode = as_choice("mode", mode, MODES)
    x, h = _inputs(x, h)
    full = _full(x, h)
    if mode == "full":
        return full
    short = min(x.size, h.size)
    if mode == "same":
        start = (short - 1) // 2
        length = max(x.size, h.size)
    else:
        start = short - 1
        length = max(x.size, h.size) - short + 1
    return full[start:start + length].copy()


def output_length(n, k, mode: str = "full") -> int:
    """Length of the 1-D convolution of sequences of lengths ``n`` and ``k``.

    Parameters
    ----------
    n, k : int
        The two lengths, integers of at least 1 (``True`` is not a length).
    mode : {'full', 'same', 'valid'}

    Returns
    -------
    int
        ``n + k - 1`` (full), ``max(n, k)`` (same) or
        ``max(n, k) - min(n, k) + 1`` (valid).

    Raises
    ------
    ValueError
        If ``n`` or ``k`` is not an integer of at least 1, or ``mode`` is unknown.

    Examples
    --------
    >>> output_length(2, 4)
    5
    >>> output_length(2, 4, 'same'), output_length(2, 4, 'valid')
    (4, 3)
    """
    n = as_int("n", n, 1)
    k = as_int("k", k, 1)
    mode = as_choice("mode", mode, MODES)
    if mode == "full":
        return n + k - 1
    if mode == "same":
        return max(n, k)
    return max(n, k) - min(n, k) + 1
