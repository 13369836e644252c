"""Reference implementations for assignment 04-shapes.

Output sizes, receptive fields and parameter counts of convolution and
pooling layers, computed with integer arithmetic only (``//`` floors correctly
for negative numbers, unlike ``int()`` of a float quotient, which truncates
towards zero); and the zero-filling shift with which the assignment shows
that a cross-correlation commutes with shifting away from the border.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .cnn import corr2d
from ._validate import as_2d, as_choice, as_int, as_pair

__all__ = [
    "conv_output_size",
    "tf_padding",
    "pool_output_size",
    "conv_params",
    "model_summary",
    "total_params",
    "receptive_field",
    "shift2d",
    "shift_then_correlate",
    "correlate_then_shift",
    "both_orders",
    "LAYER_NAMES",
]

#: Keras' default layer names for the layer kinds of :func:`model_summary`.
LAYER_NAMES = {
    "conv": "conv2d",
    "pool": "max_pooling2d",
    "flatten": "flatten",
    "dense": "dense",
}


def conv_output_size(n, k, padding=0, stride=1, dilation=1) -> int:
    """Output length of a convolution along one axis.

    ``floor((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``, the
    formula of PyTorch's Conv2d documentation; with the defaults it is the
    familiar ``n - k + 1``.

    Parameters
    ----------
    n : int
        Input length, at least 1.
    k : int
        Kernel length, at least 1.
    padding : int, default 0
        Zeros added on each side, at least 0.
    stride : int, default 1
        Step between windows, at least 1.
    dilation : int, default 1
        Spacing between kernel taps, at least 1 (the kernel then spans
        ``dilation * (k - 1) + 1`` input positions).

    Returns
    -------
    int
        The number of window positions, at least 1.

    Raises
    ------
    ValueError
        For non-integers, values below their minimum, or a kernel that does
        not fit in the padded input (the result would be below 1).

    Examples
    --------
    >>> conv_output_size(28, 3)
    26
    >>> conv_output_size(10, 3), conv_output_size(10, 3, padding=1)
    (8, 10)
    >>> conv_output_size(50, 3, padding=4, stride=2, dilation=3)
    26
    """
    n = as_int("n", n, 1)
    k = as_int("k", k, 1)
    padding = as_int("padding", padding, 0)
    stride = as_int("stride", stride, 1)
    dilation = as_int("dilation", dilation, 1)
    out = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    if out < 1:
        span = dilation * (k - 1) + 1
        raise ValueError(
            f"impossible configuration: a kernel of size {k} with dilation "
            f"{dilation} spans {span} positions, more than the padded input "
            f"n + 2 * padding = {n + 2 * padding}; use more padding or a "
            f"smaller kernel or dilation."
        )
    return out


def tf_padding(n, k, stride, padding) -> tuple[int, int, int]:
    """Output length and padding of TensorFlow's 'SAME' / 'VALID' rules.

    'SAME': ``out = ceil(n / stride)``; the total padding
    ``max((out - 1) * stride + k - n, 0)`` is split with the odd one out
    going *after* (bottom/right).  'VALID': ``out = ceil((n - k + 1) / stride)``
    and no padding.

    Parameters
    ----------
    n, k, stride : int
        Input length, kernel length and stride, each at least 1.
    padding : {'SAME', 'VALID'}
        Case-sensitive, as TensorFlow spells it.

    Returns
    -------
    (int, int, int)
        ``(out, pad_before, pad_after)``.

    Raises
    ------
    ValueError
        For bad sizes, another padding string, or 'VALID' with ``k > n``.

    Examples
    --------
    >>> tf_padding(10, 3, 1, 'SAME')
    (10, 1, 1)
    >>> tf_padding(10, 3, 1, 'VALID')
    (8, 0, 0)
    >>> tf_padding(13, 6, 5, 'SAME')
    (3, 1, 2)
    """
    n = as_int("n", n, 1)
    k = as_int("k", k, 1)
    stride = as_int("stride", stride, 1)
    padding = as_choice("padding", padding, ("SAME", "VALID"))
    if padding == "SAME":
        out = -(-n // stride)
        total = max((out - 1) * stride + k - n, 0)
        before = total // 2
        return out, before, total - before
    if k > n:
        raise ValueError(
            f"padding 'VALID' needs the kernel to fit in the input, but k = {k} "
            f"> n = {n}; use 'SAME' or a smaller kernel."
        )
    return -(-(n - k + 1) // stride), 0, 0


def pool_output_size(n, pool, stride=None) -> int:
    """Output length of a pooling layer (Keras MaxPooling2D, 'valid').

    ``floor((n - pool) / stride) + 1``; the stride defaults to the pool size,
    so non-overlapping windows that do not fit are dropped (rounding down).

    Parameters
    ----------
    n : int
        Input length, at least 1.
    pool : int
        Window length, from 1 to ``n``.
    stride : int, optional
        Step between windows, at least 1; ``None`` means ``pool``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For non-integers, sizes below 1 or a window longer than the input.

    Examples
    --------
    >>> pool_output_size(26, 2), pool_output_size(11, 2)
    (13, 5)
    """
    n = as_int("n", n, 1)
    pool = as_int("pool", pool, 1)
    stride = pool if stride is None else as_int("stride", stride, 1)
    if pool > n:
        raise ValueError(
            f"the pooling window ({pool}) is longer than the input ({n}); "
            f"use a window of at most {n}."
        )
    return (n - pool) // stride + 1


def conv_params(kh, kw, c_in, c_out, bias: bool = True) -> int:
    """Number of trainable parameters of a 2-D convolution layer.

    Each of the ``c_out`` filters has ``kh * kw * c_in`` weights, plus one
    bias when ``bias`` is true.

    Parameters
    ----------
    kh, kw : int
        Kernel height and width, at least 1.
    c_in, c_out : int
        Input channels and number of filters, at least 1.
    bias : bool, default True

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For non-integers or sizes below 1.

    Examples
    --------
    >>> conv_params(3, 3, 1, 64), conv_params(3, 3, 64, 64)
    (640, 36928)
    >>> conv_params(3, 3, 1, 64, bias=False)
    576
    """
    kh = as_int("kh", kh, 1)
    kw = as_int("kw", kw, 1)
    c_in = as_int("c_in", c_in, 1)
    c_out = as_int("c_out", c_out, 1)
    return kh * kw * c_in * c_out + (c_out if bias else 0)


def _layer_spec(index: int, layer: Any) -> tuple[str, tuple]:
    """Split ``layer`` into its kind and arguments, checking the arity."""
    arity = {"conv": 2, "pool": 1, "flatten": 0, "dense": 1}
    if isinstance(layer, str):
        layer = (layer,)
    if not isinstance(layer, (tuple, list)) or not layer:
        raise ValueError(
            f"layers[{index}] must be a tuple such as ('conv', 64, (3, 3)), "
            f"('pool', (2, 2)), ('flatten',) or ('dense', 10); got {layer!r}."
        )
    kind, args = layer[0], tuple(layer[1:])
    if not isinstance(kind, str) or kind not in arity:
        raise ValueError(
            f"layers[{index}] has unknown kind {kind!r}; use one of "
            f"'conv', 'pool', 'flatten', 'dense'."
        )
    if len(args) != arity[kind]:
        raise ValueError(
            f"layers[{index}] ({kind!r}) takes {arity[kind]} argument(s) after "
            f"its kind, got {len(args)}: {layer!r}."
        )
    return kind, args


def model_summary(input_shape, layers) -> list[tuple[str, tuple, int]]:
    """Walk a small Sequential model and list each layer's output and parameters.

    Parameters
    ----------
    input_shape : (int, int, int)
        ``(H, W, C)`` of one input image (no batch axis), as in Keras.
    layers : sequence of tuples
        Each one of ``('conv', filters, (kh, kw))`` (valid padding, stride 1,
        with bias), ``('pool', (ph, pw))`` (max pooling, stride = pool size,
        rounding down), ``('flatten',)`` and ``('dense', units)`` (with
        bias, needs a flat input).  Kernel and pool sizes may be an int.

    Returns
    -------
    list of (str, tuple, int)
        One ``(name, output_shape, params)`` row per layer.  Names follow
        Keras: 'conv2d', 'max_pooling2d', 'flatten', 'dense', and for later
        layers of the same kind '_1', '_2', ... ('conv2d_1').

    Raises
    ------
    ValueError
        For a bad input shape, an unknown or malformed layer, a layer that
        leaves a size below 1, a conv/pool on a flat input or a dense layer
        on an input that is not flat.

    Examples
    --------
    >>> rows = model_summary((28, 28, 1), [
    ...     ('conv', 64, (3, 3)), ('pool', (2, 2)), ('conv', 64, (3, 3)),
    ...     ('pool', (2, 2)), ('flatten',), ('dense', 128), ('dense', 10)])
    >>> for row in rows:
    ...     print(row)
    ('conv2d', (26, 26, 64), 640)
    ('max_pooling2d', (13, 13, 64), 0)
    ('conv2d_1', (11, 11, 64), 36928)
    ('max_pooling2d_1', (5, 5, 64), 0)
    ('flatten', (1600,), 0)
    ('dense', (128,), 204928)
    ('dense_1', (10,), 1290)
    >>> total_params(rows)
    243786
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be a tuple (H, W, C) of three integers, got "
            f"{input_shape!r}."
        )
    shape = tuple(as_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ValueError(f"layers must be a list of layer tuples, got {layers!r}.")
    counts: dict[str, int] = {}
    rows: list[tuple[str, tuple, int]] = []
    for index, layer in enumerate(layers):
        kind, args = _layer_spec(index, layer)
        where = f"layers[{index}] ({kind!r})"
        if kind in ("conv", "pool") and len(shape) != 3:
            raise ValueError(
                f"{where} needs an (H, W, C) input but gets the flat shape "
                f"{shape}; put convolution and pooling before 'flatten'."
            )
        if kind == "conv":
            filters = as_int(f"{where} filters", args[0], 1)
            kh, kw = as_pair(f"{where} kernel size", args[1], 1)
            h, w, c = shape
            if kh > h or kw > w:
                raise ValueError(
                    f"{where}: a {kh}x{kw} kernel does not fit the {h}x{w} input "
                    f"(output size would drop below 1); use a smaller kernel "
                    f"or fewer pooling layers before it."
                )
            params = conv_params(kh, kw, c, filters)
            shape = (h - kh + 1, w - kw + 1, filters)
        elif kind == "pool":
            ph, pw = as_pair(f"{where} pool size", args[0], 1)
            h, w, c = shape
            if ph > h or pw > w:
                raise ValueError(
                    f"{where}: a {ph}x{pw} pool does not fit the {h}x{w} input "
                    f"(output size would drop below 1); use a smaller pool."
                )
            params = 0
            shape = (pool_output_size(h, ph), pool_output_size(w, pw), c)
        elif kind == "flatten":
            params = 0
            size = 1
            for dim in shape:
                size *= dim
            shape = (size,)
        else:
            units = as_int(f"{where} units", args[0], 1)
            if len(shape) != 1:
                raise ValueError(
                    f"{where} needs a flat input but gets shape {shape}; add "
                    f"('flatten',) before it."
                )
            params = shape[0] * units + units
            shape = (units,)
        base = LAYER_NAMES[kind]
        seen = counts.get(base, 0)
        counts[base] = seen + 1
        rows.append((base if seen == 0 else f"{base}_{seen}", shape, params))
    return rows


def total_params(rows) -> int:
    """Sum of the parameter column of :func:`model_summary` rows.

    Parameters
    ----------
    rows : iterable of (name, output_shape, params)
        Rows as returned by :func:`model_summary`.

    Returns
    -------
    int
        The total number of parameters (Keras' "Total params").

    Examples
    --------
    >>> total_params([('conv2d', (28, 28, 6), 156), ('flatten', (4704,), 0)])
    156
    """
    return int(sum(row[2] for row in rows))


def receptive_field(layers) -> list[int]:
    """How many input pixels (along one axis) each layer's outputs can see.

    Walking the layers in order with ``r`` the receptive field and ``j`` the
    distance, in input pixels, between two neighbouring outputs (the product
    of the strides so far), a layer of kernel ``k`` and stride ``s`` makes
    ``r <- r + (k - 1) * j`` and then ``j <- j * s``, starting from
    ``r = j = 1`` (one pixel sees itself).  Pooling counts as a layer like any
    other: a 2x2 max pooling with stride 2 is ``(2, 2)``.

    Parameters
    ----------
    layers : sequence of (int, int)
        ``(kernel, stride)`` of each layer, both at least 1.

    Returns
    -------
    list of int
        The receptive field after each layer (empty for no layers).

    Raises
    ------
    ValueError
        For a layer that is not a pair of integers, or a size below 1.

    Examples
    --------
    >>> receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)])   # the Keras notes' model
    [3, 4, 8, 10]
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ValueError(f"layers must be a list of (kernel, stride) pairs, got {layers!r}.")
    field, jump, out = 1, 1, []
    for index, layer in enumerate(layers):
        if isinstance(layer, (str, bytes)) or not isinstance(layer, Sequence) or len(layer) != 2:
            raise ValueError(f"layers[{index}] must be a pair (kernel, stride), got {layer!r}.")
        k = as_int(f"layers[{index}][0] (the kernel)", layer[0], 1)
        s = as_int(f"layers[{index}][1] (the stride)", layer[1], 1)
        field += (k - 1) * jump
        jump *= s
        out.append(field)
    return out


def shift2d(X, dy, dx) -> np.ndarray:
    """Move a 2-D array ``dy`` rows down and ``dx`` columns right, filling with 0.

    ``out[i, j] = X[i - dy, j - dx]`` where that index lies inside ``X``, else
    0; negative shifts move up or left.  Values pushed past the edge are lost
    (nothing wraps round).

    Parameters
    ----------
    X : array_like
        Non-empty 2-D array.
    dy, dx : int
        Rows down and columns right (any sign, any size).

    Returns
    -------
    numpy.ndarray
        Same shape as ``X``, ``int64`` for integers, else ``float64``.

    Examples
    --------
    >>> shift2d([[1, 2], [3, 4]], 1, 0)
    array([[0, 0],
           [1, 2]])
    >>> shift2d([[1, 2], [3, 4]], 0, -1)
    array([[2, 0],
           [4, 0]])
    """
    X = as_2d("X", X)
    dy = as_int("dy", dy)
    dx = as_int("dx", dx)
    h, w = X.shape
    out = np.zeros_like(X)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            X[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def shift_then_correlate(X, K, dy, dx) -> np.ndarray:
    """``corr2d(shift2d(X, dy, dx), K)``: move the picture first, then correlate.

    Examples
    --------
    >>> shift_then_correlate([[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 2], [3, 4]], 0, 1)
    array([[0, 4],
           [0, 2]])
    """
    return corr2d(shift2d(X, dy, dx), K)


def correlate_then_shift(X, K, dy, dx) -> np.ndarray:
    """``shift2d(corr2d(X, K), dy, dx)``: correlate first, then move the result.

    It equals :func:`shift_then_correlate` at every output ``(i, j)`` with
    ``(i - dy, j - dx)`` inside the output; elsewhere, near one border, the
    shifted result is 0 while correlating the shifted picture still sees
    some of it.

    Examples
    --------
    >>> correlate_then_shift([[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 2], [3, 4]], 0, 1)
    array([[0, 4],
           [0, 2]])
    """
    return shift2d(corr2d(X, K), dy, dx)


def both_orders(X, K, dy, dx) -> tuple[np.ndarray, np.ndarray]:
    """``(shift_then_correlate(X, K, dy, dx), correlate_then_shift(X, K, dy, dx))``.

    Examples
    --------
    >>> a, b = both_orders([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]], 1, 0)
    >>> a.tolist(), b.tolist()
    ([[-2, -3], [-4, -4]], [[0, 0], [-4, -4]])
    """
    return shift_then_correlate(X, K, dy, dx), correlate_then_shift(X, K, dy, dx)
