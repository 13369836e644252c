"""The one sliding-window sum that every 2-D reference is built on.

``correlate_channels`` computes a 'valid' cross-correlation (no flip) of a
stack of input channels with a bank of kernels.  Two vectorised strategies,
chosen by kernel size, give the same numbers:

* small kernels: one whole-array multiply-add per kernel offset (the loop
  runs over the kh * kw offsets, never over pixels);
* large kernels: ``einsum`` over a ``sliding_window_view`` of the input, so a
  50 x 50 kernel does not cost 2500 Python iterations.

No library convolution (``numpy.convolve``, ``scipy.signal``, FFTs) is used:
these functions are the independent side of every comparison the tests make.
Callers validate shapes and dtypes first; nothing here checks arguments.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Kernels with more elements than this use the einsum strategy.
_OFFSET_LOOP_MAX = 25


def correlate_channels(X: np.ndarray, K: np.ndarray,
                       stride: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Valid cross-correlation of X (C_in, H, W) with K (C_out, C_in, kh, kw).

    out[o, r, c] = sum_{ch, i, j} K[o, ch, i, j] * X[ch, r*sh + i, c*sw + j]
    for every window that fits entirely; the result is (C_out, oh, ow) with
    oh = (H - kh) // sh + 1 and ow = (W - kw) // sw + 1.  Requires kh <= H and
    kw <= W.  The dtype is the common dtype of X and K.
    """
    c_out, _, kh, kw = K.shape
    _, h, w = X.shape
    sh, sw = stride
    oh = (h - kh) // sh + 1
    ow = (w - kw) // sw + 1
    dtype = np.result_type(X, K)
    if kh * kw > _OFFSET_LOOP_MAX:
        windows = sliding_window_view(X, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
        return np.einsum("chwij,ocij->ohw", windows, K).astype(dtype, copy=False)
    out = np.zeros((c_out, oh, ow), dtype=dtype)
    row_stop = sh * (oh - 1) + 1
    col_stop = sw * (ow - 1) + 1
    for i in range(kh):
        for j in range(kw):
            patch = X[:, i:i + row_stop:sh, j:j + col_stop:sw]
            out += np.tensordot(K[:, :, i, j], patch, axes=(1, 0))
    return out


def correlate_valid(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid 2-D cross-correlation of ``a`` with ``k`` (k no larger than a).

    The single-channel case of :func:`correlate_channels`, kept separate
    because a scalar multiply-add is several times cheaper than tensordot.
    """
    kh, kw = k.shape
    oh = a.shape[0] - kh + 1
    ow = a.shape[1] - kw + 1
    dtype = np.result_type(a, k)
    if kh * kw > _OFFSET_LOOP_MAX:
        windows = sliding_window_view(a, (kh, kw))
        return np.einsum("hwij,ij->hw", windows, k).astype(dtype, copy=False)
    out = np.zeros((oh, ow), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            out += k[i, j] * a[i:i + oh, j:j + ow]
    return out
