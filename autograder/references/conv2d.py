"""Reference implementations for assignment 02-conv2d (convolution in 2-D).

Everything is a 'valid' cross-correlation (``_sliding.correlate_valid``) of a
suitably extended image with the kernel turned by 180 degrees:

* full: zero-extend by ``k - 1`` on every side;
* same: the full result cropped from ``(k - 1) // 2`` per axis (SciPy's rule);
* valid: no extension; the smaller input is the kernel;
* same with a boundary: extend by ``k // 2`` before and ``(k - 1) // 2`` after
  with the boundary rule, then take the valid part.

Behaviour checked against SciPy 1.17 (``scipy.signal.convolve2d``): for
``boundary='symm'`` and ``'wrap'`` its 'same' output equals "extend the image
with ``numpy.pad`` (symmetric / wrap) and take the valid part" for *every*
kernel size, including kernels many times larger than the image, where the
extension has to repeat the image several times.  SciPy releases before 1.9
read memory outside the image in that case (scipy/scipy#8684, #12686, fixed
by #16134); the course requires SciPy >= 1.11, so no size is refused here.
"""
from __future__ import annotations

import numpy as np

from ._sliding import correlate_valid
from ._validate import as_2d, as_choice, as_int, promote

__all__ = ["conv2d", "pad2d", "conv2d_same", "MODES", "BOUNDARIES"]

#: Output sizes of :func:`conv2d`.
MODES = ("full", "same", "valid")
#: Boundary rules of :func:`pad2d` / :func:`conv2d_same`, with the matching
#: ``numpy.pad`` mode: 'fill' = constant 0, 'symm' = symmetric, 'wrap' = wrap.
BOUNDARIES = ("fill", "symm", "wrap")


def _flip(kernel: np.ndarray) -> np.ndarray:
    """The kernel turned by 180 degrees: convolution = correlation with this."""
    return kernel[::-1, ::-1]


def _source_index(n: int, before: int, after: int, boundary: str) -> np.ndarray:
    """For each position of an axis extended by before/after, the source index.

    Positions run from ``-before`` to ``n + after - 1``.  'wrap' repeats the
    axis with period n; 'symm' mirrors it with the edge value repeated, which
    is periodic with period 2n (n values forwards, then n values backwards),
    so any extension length works, even one longer than the axis.
    """
    pos = np.arange(-before, n + after)
    if boundary == "wrap":
        return pos % n
    folded = pos % (2 * n)
    return np.where(folded < n, folded, 2 * n - 1 - folded)


def _extend(image: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
            boundary: str) -> np.ndarray:
    """Extend a 2-D array by (before, after) rows and columns; keeps the dtype."""
    h, w = image.shape
    if boundary == "fill":
        out = np.zeros((h + rows[0] + rows[1], w + cols[0] + cols[1]), dtype=image.dtype)
        out[rows[0]:rows[0] + h, cols[0]:cols[0] + w] = image
        return out
    r = _source_index(h, rows[0], rows[1], boundary)
    c = _source_index(w, cols[0], cols[1], boundary)
    return image[np.ix_(r, c)]


def _convolve_full(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    # Full convolution is symmetric in its inputs: slide the one with fewer
    # elements over the zero-extended other (cheaper, same numbers).
    big, small = (image, kernel) if image.size >= kernel.size else (kernel, image)
    kh, kw = small.shape
    extended = _extend(big, (kh - 1, kh - 1), (kw - 1, kw - 1), "fill")
    return correlate_valid(extended, _flip(small))


def _convolve_same(image: np.ndarray, kernel: np.ndarray, boundary: str) -> np.ndarray:
    """SciPy's 'same' convolution with a boundary rule, for any kernel size.

    Output pixel (r, c) uses image positions r - kh//2 ... r + (kh-1)//2, so the
    image is extended by kh//2 rows before and (kh-1)//2 after (likewise for
    columns); for an even side the extra row/column goes before.  Inputs are
    validated arrays of a common dtype.
    """
    kh, kw = kernel.shape
    extended = _extend(image, (kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2), boundary)
    return correlate_valid(extended, _flip(kernel))


def conv2d(image, kernel, mode: str = "full") -> np.ndarray:
    """2-D convolution by hand, with the output sizes of scipy's convolve2d.

    Parameters
    ----------
    image, kernel : array_like
        Non-empty 2-D arrays of real numbers.
    mode : {'full', 'same', 'valid'}
        ``'full'``: shape ``(H + kh - 1, W + kw - 1)``, zeros outside the image.
        ``'same'``: the image's shape, the full result cropped starting at
        row ``(kh - 1) // 2`` and column ``(kw - 1) // 2``.
        ``'valid'``: only positions where one input covers the other
        completely, shape ``|H - kh| + 1`` by ``|W - kw| + 1``; one input must
        be at least as large as the other in both dimensions.

    Returns
    -------
    numpy.ndarray
        ``int64`` for integer/boolean inputs (``uint8`` does not wrap),
        else ``float64``.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or non-numeric input, an unknown mode, or
        'valid' when neither input is at least as large as the other in
        every dimension.

    Examples
    --------
    >>> I = [[255, 7, 3], [212, 240, 4], [218, 216, 230]]
    >>> conv2d(I, [[-1, 1]], 'valid')
    array([[248,   4],
           [-28, 236],
           [  2, -14]])
    >>> conv2d(I, [[-1, 1], [2, 3]], 'same')
    array([[-255,  248,    4],
           [ 298,  751,  263],
           [ 206, 1118,  714]])
    >>> conv2d(I, [[-1, 1], [2, 3]], 'valid')
    array([[ 751,  263],
           [1118,  714]])
    """
    mode = as_choice("mode", mode, MODES)
    image = as_2d("image", image)
    kernel = as_2d("kernel", kernel)
    image, kernel = promote(image, kernel)
    (h, w), (kh, kw) = image.shape, kernel.shape
    if mode == "full":
        return _convolve_full(image, kernel)
    if mode == "same":
        full = _convolve_full(image, kernel)
        r0, c0 = (kh - 1) // 2, (kw - 1) // 2
        return full[r0:r0 + h, c0:c0 + w].copy()
    if h >= kh and w >= kw:
        return correlate_valid(image, _flip(kernel))
    if kh >= h and kw >= w:
        # SciPy swaps the inputs: the image slides inside the larger kernel.
        return correlate_valid(kernel, _flip(image))
    raise ValueError(
        f"mode 'valid' needs one input at least as large as the other in both "
        f"dimensions, but image has shape {image.shape} and kernel has shape "
        f"{kernel.shape}; use mode 'full' or 'same', or a kernel that fits "
        f"inside the image."
    )


def pad2d(image, pad, boundary: str = "fill") -> np.ndarray:
    """Pad every side of a 2-D array by ``pad`` values, by index arithmetic.

    Parameters
    ----------
    image : array_like
        Non-empty 2-D array of real numbers.  Its dtype is kept.
    pad : int
        How many rows/columns to add on each side (0 or more).  It may exceed
        the image size: the boundary rule is then applied repeatedly.
    boundary : {'fill', 'symm', 'wrap'}
        ``'fill'``: zeros (``numpy.pad`` mode 'constant').
        ``'symm'``: mirror image with the edge value repeated ('symmetric').
        ``'wrap'``: periodic continuation ('wrap').

    Returns
    -------
    numpy.ndarray
        Shape ``(H + 2 * pad, W + 2 * pad)``, same dtype as ``image``, a new
        array even when ``pad`` is 0.

    Raises
    ------
    ValueError
        For a bad image, a ``pad`` that is not an integer >= 0, or an
        unknown boundary.

    Examples
    --------
    >>> pad2d([[1, 2], [3, 4]], 1, 'symm')
    array([[1, 1, 2, 2],
           [1, 1, 2, 2],
           [3, 3, 4, 4],
           [3, 3, 4, 4]])
    >>> pad2d([[1, 2], [3, 4]], 1, 'wrap')
    array([[4, 3, 4, 3],
           [2, 1, 2, 1],
           [4, 3, 4, 3],
           [2, 1, 2, 1]])
    """
    image = as_2d("image", image, keep_dtype=True)
    pad = as_int("pad", pad, 0)
    boundary = as_choice("boundary", boundary, BOUNDARIES)
    return _extend(image, (pad, pad), (pad, pad), boundary)


def conv2d_same(image, kernel, boundary: str = "fill") -> np.ndarray:
    """Image-sized 2-D convolution with a boundary rule (odd kernels).

    Equal to ``scipy.signal.convolve2d(image, kernel, 'same',
    boundary=boundary)``: the image is padded by ``kh // 2`` rows and
    ``kw // 2`` columns on each side with :func:`pad2d`'s rule, then only the
    positions where the kernel lies completely inside the padded image are
    kept.  Works for kernels larger than the image too.

    Parameters
    ----------
    image, kernel : array_like
        Non-empty 2-D arrays of real numbers; both kernel sides odd.
    boundary : {'fill', 'symm', 'wrap'}
        'fill' pads with zeros, 'symm' mirrors, 'wrap' repeats periodically.

    Returns
    -------
    numpy.ndarray
        The image's shape; ``int64`` for integer inputs, else ``float64``.

    Raises
    ------
    ValueError
        For bad arrays, an unknown boundary, or a kernel with an even side
        (it has no centre pixel).

    Examples
    --------
    >>> img = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    >>> conv2d_same(img, [[1, 1, 1]] * 3)
    array([[12, 21, 16],
           [27, 45, 33],
           [24, 39, 28]])
    >>> conv2d_same(img, [[1, 1, 1]] * 3, 'symm')
    array([[21, 27, 33],
           [39, 45, 51],
           [57, 63, 69]])
    >>> conv2d_same(img, [[1, 1, 1]] * 3, 'wrap')
    array([[45, 45, 45],
           [45, 45, 45],
           [45, 45, 45]])
    """
    boundary = as_choice("boundary", boundary, BOUNDARIES)
    image = as_2d("image", image)
    kernel = as_2d("kernel", kernel)
    kh, kw = kernel.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(
            f"kernel has shape {kernel.shape}, but conv2d_same needs odd sides: "
            f"a kernel with an even side has no centre pixel, so it cannot sit "
            f"centred on each image pixel and equal padding on both sides does "
            f"not give an image-sized result. Use an odd-sized kernel (e.g. pad "
            f"it with a row/column of zeros) or conv2d(..., mode='same')."
        )
    image, kernel = promote(image, kernel)
    # No size limit for 'symm'/'wrap': SciPy (>= 1.9) continues the image
    # periodically however far a large kernel reaches, exactly as numpy.pad
    # and pad2d do (checked for kernels many times the image size).
    return _convolve_same(image, kernel, boundary)
