"""Reference implementations for assignment 03-cnn-layers.

What deep-learning libraries call a convolution layer is a cross-correlation:
the kernel is *not* flipped.  All functions here slide the kernel as is.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._sliding import correlate_channels, correlate_valid
from ._validate import (as_1d, as_2d, as_choice, as_int, as_ndim, as_pair,
                        as_real, promote)

__all__ = [
    "corr2d",
    "corr2d_multi_in",
    "corr2d_multi_in_out",
    "conv2d_layer",
    "conv2d_layer_backward",
    "pool2d",
    "pool2d_backward",
    "learn_kernel",
    "learn_kernel_losses",
    "POOL_MODES",
    "ACTIVATIONS",
]

#: Pooling modes of :func:`pool2d`.
POOL_MODES = ("max", "avg")
#: Activations of :func:`conv2d_layer` besides ``None`` (the identity).
ACTIVATIONS = ("relu",)


def _check_fits(x_shape, k_shape, x_name: str, k_name: str, hint: str = "") -> None:
    """Raise unless the last two sizes of k_shape fit inside those of x_shape."""
    (h, w), (kh, kw) = x_shape[-2:], k_shape[-2:]
    if kh > h or kw > w:
        raise ValueError(
            f"{k_name} is {kh}x{kw} but {x_name} is only {h}x{w}: it must fit "
            f"inside {x_name} in both dimensions{hint}."
        )


def corr2d(X, K) -> np.ndarray:
    """2-D cross-correlation, 'valid' size: the kernel slides without flipping.

    ``Y[i, j] = sum(X[i:i + kh, j:j + kw] * K)``.

    Parameters
    ----------
    X : array_like
        Non-empty 2-D input.
    K : array_like
        Non-empty 2-D kernel, no larger than ``X`` in either dimension.

    Returns
    -------
    numpy.ndarray
        Shape ``(H - kh + 1, W - kw + 1)``; ``int64`` for integer inputs,
        else ``float64``.

    Raises
    ------
    ValueError
        For non-2-D, empty or non-real input, or a kernel larger than ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> corr2d(np.arange(9).reshape(3, 3), [[0, 1], [2, 3]])
    array([[19, 25],
           [37, 43]])
    """
    X = as_2d("X", X)
    K = as_2d("K", K)
    _check_fits(X.shape, K.shape, "X", "K")
    X, K = promote(X, K)
    return correlate_valid(X, K)


def _channels(X, K, k_ndim: int) -> tuple[np.ndarray, np.ndarray]:
    X = as_ndim("X", X, 3, "a stack of channels (C, H, W)")
    what = ("one kernel per channel (C, kh, kw)" if k_ndim == 3
            else "a bank of kernels (C_out, C_in, kh, kw)")
    K = as_ndim("K", K, k_ndim, what)
    k_channels = K.shape[-3]
    if k_channels != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} input channel(s) but K has {k_channels} "
            f"(K.shape = {K.shape}); K needs one kh x kw slice per channel of X."
        )
    _check_fits(X.shape, K.shape, "X", "K")
    return promote(X, K)


def corr2d_multi_in(X, K) -> np.ndarray:
    """Cross-correlate each input channel with its own kernel and add them up.

    Parameters
    ----------
    X : array_like
        Input of shape ``(C, H, W)``.
    K : array_like
        Kernels of shape ``(C, kh, kw)``, one per channel of ``X``.

    Returns
    -------
    numpy.ndarray
        Shape ``(H - kh + 1, W - kw + 1)``: ``sum_c corr2d(X[c], K[c])``.

    Raises
    ------
    ValueError
        For wrong numbers of dimensions, different channel counts (both are
        named) or a kernel larger than the input.

    Examples
    --------
    >>> X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    >>> K = [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]
    >>> corr2d_multi_in(X, K)
    array([[ 56,  72],
           [104, 120]])
    """
    X, K = _channels(X, K, 3)
    return correlate_channels(X, K[np.newaxis])[0]


def corr2d_multi_in_out(X, K) -> np.ndarray:
    """One multi-input cross-correlation per output channel, stacked.

    Parameters
    ----------
    X : array_like
        Input of shape ``(C_in, H, W)``.
    K : array_like
        Kernels of shape ``(C_out, C_in, kh, kw)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(C_out, H - kh + 1, W - kw + 1)``; slice ``o`` equals
        ``corr2d_multi_in(X, K[o])``.

    Raises
    ------
    ValueError
        As :func:`corr2d_multi_in`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
    >>> K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
    >>> corr2d_multi_in_out(X, np.stack((K, K + 1, K + 2)))
    array([[[ 56,  72],
            [104, 120]],
    <BLANKLINE>
           [[ 76, 100],
            [148, 172]],
    <BLANKLINE>
           [[ 96, 128],
            [192, 224]]])
    """
    X, K = _channels(X, K, 4)
    return correlate_channels(X, K)


def _layer_inputs(X, W, b, stride, padding):
    """Validate a layer's arguments; return them with the zero-padded input.

    Returns ``(padded, W, b, (sh, sw), (ph, pw), (H, W))`` with ``padded`` of
    shape ``(C_in, H + 2 * ph, W + 2 * pw)`` in the computing dtype.
    """
    X = as_ndim("X", X, 3, "a stack of channels (C_in, H, W)")
    W = as_ndim("W", W, 4, "a bank of kernels (C_out, C_in, kh, kw)")
    b = as_1d("b", b)
    sh, sw = as_pair("stride", stride, 1)
    ph, pw = as_pair("padding", padding, 0)
    c_out, c_in, kh, kw = W.shape
    if c_in != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} input channel(s) but W expects {c_in} "
            f"(W.shape = {W.shape}); W must be (C_out, C_in, kh, kw) with "
            f"C_in = X.shape[0]."
        )
    if b.shape[0] != c_out:
        raise ValueError(
            f"b has {b.shape[0]} value(s) but W has {c_out} output channel(s); "
            f"pass one bias per output channel."
        )
    h, w = X.shape[1] + 2 * ph, X.shape[2] + 2 * pw
    _check_fits((h, w), (kh, kw), f"the padded input", "W's kernel",
                f" (X is {X.shape[1]}x{X.shape[2]}, padding ({ph}, {pw})); "
                f"increase padding or use a smaller kernel")
    X, W = promote(X, W)  # b joins in the forward sum; the gradients do not depend on it
    padded = np.zeros((X.shape[0], h, w), dtype=X.dtype)
    padded[:, ph:ph + X.shape[1], pw:pw + X.shape[2]] = X
    return padded, W, b, (sh, sw), (ph, pw), X.shape[1:]


def conv2d_layer(X, W, b, stride=1, padding=0, activation=None) -> np.ndarray:
    """Forward pass of a convolutional layer: cross-correlation plus bias.

    Parameters
    ----------
    X : array_like
        Input of shape ``(C_in, H, W)``.
    W : array_like
        Weights of shape ``(C_out, C_in, kh, kw)``.
    b : array_like
        Biases of shape ``(C_out,)``, one added to each output channel.
    stride : int or (int, int)
        Step between windows (rows, cols), at least 1.
    padding : int or (int, int)
        Zeros added on *every* side (``p_rows`` above and below, ``p_cols``
        left and right), at least 0.
    activation : {None, 'relu'}
        Applied after the bias: ``None`` keeps the values, ``'relu'`` replaces
        the negative ones by 0 (``max(0, value)``).

    Returns
    -------
    numpy.ndarray
        Shape ``(C_out, H_out, W_out)`` with
        ``H_out = (H + 2 * p_rows - kh) // s_rows + 1`` (likewise for columns).

    Raises
    ------
    ValueError
        For badly shaped arrays, channel or bias count mismatches, a
        non-integer/negative padding, a stride below 1, a kernel larger
        than the padded input, or an unknown activation.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((1, 8, 8))
    >>> conv2d_layer(X, np.ones((1, 1, 3, 3)), [0], padding=1).shape
    (1, 8, 8)
    >>> conv2d_layer(X, np.ones((1, 1, 3, 5)), [0], stride=(3, 4), padding=(0, 1)).shape
    (1, 2, 2)
    >>> conv2d_layer(np.arange(9).reshape(1, 3, 3), [[[[0, 1], [2, 3]]]], [1])
    array([[[20, 26],
            [38, 44]]])
    >>> conv2d_layer(np.arange(9).reshape(1, 3, 3), [[[[0, 1], [2, 3]]]], [-30], activation="relu")
    array([[[ 0,  0],
            [ 7, 13]]])
    """
    if activation is not None and (not isinstance(activation, str) or activation not in ACTIVATIONS):
        raise ValueError(f"activation must be None or 'relu'; got {activation!r}.")
    padded, W, b, stride, _, _ = _layer_inputs(X, W, b, stride, padding)
    out = correlate_channels(padded, W, stride) + b[:, np.newaxis, np.newaxis]
    if activation == "relu":
        out = np.maximum(out, 0)
    return out


def conv2d_layer_backward(dout, X, W, b, stride=1, padding=0):
    """Gradients of a convolutional layer, the backward pass of :func:`conv2d_layer`.

    For the scalar ``L = sum(dout * conv2d_layer(X, W, b, stride, padding))``
    (``dout`` is the gradient that arrives from the layers above):

    * ``db[o] = sum(dout[o])``: each bias touched every output of its channel;
    * ``dW[o, c, a, b] = sum_ij dout[o, i, j] * X_pad[c, i*sh + a, j*sw + b]``,
      a cross-correlation of the padded input with ``dout``;
    * ``dX``: every ``dout[o, i, j]`` sends ``W[o, c]`` back onto the window it
      came from.  With stride 1 this is the 'full' *convolution* of ``dout[o]``
      with ``W[o, c]`` (the kernel turned round), summed over ``o``; the
      padding's rows and columns are then cut off.

    Parameters
    ----------
    dout : array_like
        Shape ``(C_out, H_out, W_out)``, the shape of the layer's output.
    X, W, b, stride, padding
        As for :func:`conv2d_layer` (``b`` only fixes the number of outputs).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``(dX, dW, db)`` with the shapes of ``X``, ``W`` and ``b``; ``int64``
        when ``dout``, ``X`` and ``W`` are all integers, else ``float64``.

    Raises
    ------
    ValueError
        As :func:`conv2d_layer`, and for a ``dout`` whose shape is not the
        layer's output shape.

    Examples
    --------
    >>> import numpy as np
    >>> dX, dW, db = conv2d_layer_backward(np.ones((1, 2, 2), dtype=int), np.arange(9).reshape(1, 3, 3),
    ...                                    [[[[0, 1], [2, 3]]]], [0])
    >>> dX
    array([[[0, 1, 1],
            [2, 6, 4],
            [2, 5, 3]]])
    >>> dW, db
    (array([[[[ 8, 12],
             [20, 24]]]]), array([4]))
    """
    padded, W, b, (sh, sw), (ph, pw), (h, w) = _layer_inputs(X, W, b, stride, padding)
    c_out, c_in, kh, kw = W.shape
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    dout = as_ndim("dout", dout, 3, "the gradient of the layer's output (C_out, H_out, W_out)")
    if dout.shape != (c_out, oh, ow):
        raise ValueError(
            f"dout has shape {dout.shape}, but the layer's output has shape "
            f"{(c_out, oh, ow)}; dout must be the gradient of that output."
        )
    dout, padded, W = promote(dout, padded, W)
    d_padded = np.zeros(padded.shape, dtype=np.result_type(dout, W))
    dW = np.zeros(W.shape, dtype=np.result_type(dout, padded))
    for a in range(kh):
        for c in range(kw):
            rows = slice(a, a + sh * (oh - 1) + 1, sh)
            cols = slice(c, c + sw * (ow - 1) + 1, sw)
            # Weight W[:, :, a, c] met X_pad[:, a + i*sh, c + j*sw] in output (i, j).
            dW[:, :, a, c] = np.tensordot(dout, padded[:, rows, cols], axes=([1, 2], [1, 2]))
            d_padded[:, rows, cols] += np.tensordot(W[:, :, a, c], dout, axes=(0, 0))
    db = dout.sum(axis=(1, 2))
    return d_padded[:, ph:ph + h, pw:pw + w].copy(), dW, db


def pool2d(X, pool_size, stride=1, mode: str = "max") -> np.ndarray:
    """Max or average pooling over the windows that fit entirely in ``X``.

    Parameters
    ----------
    X : array_like
        Non-empty 2-D input.
    pool_size : int or (int, int)
        Window size (rows, cols), at least 1 and no larger than ``X``.
    stride : int or (int, int), default 1
        Step between windows.  The default is 1 (overlapping windows), as in
        the lesson; Keras' MaxPooling2D instead defaults to the pool size.
    mode : {'max', 'avg'}

    Returns
    -------
    numpy.ndarray
        Shape ``((H - ph) // sh + 1, (W - pw) // sw + 1)``.  'max' keeps the
        values of ``X`` (``int64`` for integers, ``float64`` otherwise); 'avg'
        is ``float64``.

    Raises
    ------
    ValueError
        For an unknown mode, sizes below 1 or a window larger than ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(9).reshape(3, 3)
    >>> pool2d(X, (2, 2))
    array([[4, 5],
           [7, 8]])
    >>> pool2d(X, (2, 2), mode='avg')
    array([[2., 3.],
           [5., 6.]])
    >>> pool2d(np.arange(16).reshape(4, 4), (2, 2), stride=2)
    array([[ 5,  7],
           [13, 15]])
    """
    mode = as_choice("mode", mode, POOL_MODES)
    X = as_2d("X", X)
    ph, pw = as_pair("pool_size", pool_size, 1)
    sh, sw = as_pair("stride", stride, 1)
    _check_fits(X.shape, (ph, pw), "X", "the pooling window")
    windows = sliding_window_view(X, (ph, pw))[::sh, ::sw]
    if mode == "max":
        return windows.max(axis=(2, 3))
    return windows.sum(axis=(2, 3), dtype=np.float64) / (ph * pw)


def pool2d_backward(dout, X, pool_size, stride=1, mode: str = "max") -> np.ndarray:
    """Gradient of :func:`pool2d` with respect to its input.

    For ``L = sum(dout * pool2d(X, pool_size, stride, mode))``:

    * ``'max'``: each window passes its ``dout`` value to the position of its
      maximum (the first one in row-major order when several values tie); the
      other positions of the window get nothing from it;
    * ``'avg'``: each window spreads its ``dout`` value evenly, ``dout / (ph * pw)``
      to each of its positions.

    Positions covered by several windows (stride smaller than the window)
    collect the sum of what each window sends them.

    Parameters
    ----------
    dout : array_like
        2-D, the shape of ``pool2d(X, pool_size, stride, mode)``.
    X, pool_size, stride, mode
        As for :func:`pool2d`.

    Returns
    -------
    numpy.ndarray
        Shape of ``X``.  'max' keeps the dtype of ``dout`` (``int64`` for
        integers, else ``float64``); 'avg' is ``float64``.

    Raises
    ------
    ValueError
        As :func:`pool2d`, and for a ``dout`` of another shape than the
        pooled output.

    Examples
    --------
    >>> import numpy as np
    >>> pool2d_backward([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2), stride=2)
    array([[0, 0, 0, 0],
           [0, 1, 0, 2],
           [0, 0, 0, 0],
           [0, 3, 0, 4]])
    >>> pool2d_backward([[4.0]], np.zeros((2, 2)), 2, mode="avg")
    array([[1., 1.],
           [1., 1.]])
    """
    mode = as_choice("mode", mode, POOL_MODES)
    X = as_2d("X", X)
    ph, pw = as_pair("pool_size", pool_size, 1)
    sh, sw = as_pair("stride", stride, 1)
    _check_fits(X.shape, (ph, pw), "X", "the pooling window")
    oh, ow = (X.shape[0] - ph) // sh + 1, (X.shape[1] - pw) // sw + 1
    dout = as_2d("dout", dout)
    if dout.shape != (oh, ow):
        raise ValueError(
            f"dout has shape {dout.shape}, but pooling X {X.shape} with "
            f"{ph}x{pw} windows and stride ({sh}, {sw}) gives {(oh, ow)}; dout "
            f"must be the gradient of that output."
        )
    if mode == "avg":
        dX = np.zeros(X.shape, dtype=np.float64)
        share = dout / (ph * pw)
        for a in range(ph):
            for c in range(pw):
                dX[a:a + sh * (oh - 1) + 1:sh, c:c + sw * (ow - 1) + 1:sw] += share
        return dX
    windows = sliding_window_view(X, (ph, pw))[::sh, ::sw].reshape(oh, ow, ph * pw)
    first_max = windows.argmax(axis=2)  # argmax returns the first of equal maxima
    rows = np.arange(oh)[:, np.newaxis] * sh + first_max // pw
    cols = np.arange(ow)[np.newaxis, :] * sw + first_max % pw
    dX = np.zeros(X.shape, dtype=dout.dtype)
    np.add.at(dX, (rows, cols), dout)  # add.at: overlapping windows add up
    return dX


def learn_kernel_losses(X, Y, kernel_shape, lr=3e-2, epochs: int = 10, seed=0):
    """Learn a kernel by gradient descent and report the loss along the way.

    Minimises ``L(K) = sum((corr2d(X, K) - Y) ** 2)`` with plain gradient
    descent ``K <- K - lr * dL/dK`` starting from
    ``numpy.random.default_rng(seed).normal(0, 0.01, kernel_shape)``.
    The gradient is written out: with residual ``R = corr2d(X, K) - Y``,
    ``dL/dK[i, j] = 2 * sum(R * X[i:i + R.shape[0], j:j + R.shape[1]])``,
    i.e. twice the residual times the input patch each weight touches.

    Too large a learning rate makes the iteration diverge; the values may
    then overflow to inf/nan, silently (no warning is emitted).

    Parameters
    ----------
    X : array_like
        2-D input image.
    Y : array_like
        2-D target of shape ``(H - kh + 1, W - kw + 1)``.
    kernel_shape : int or (int, int)
        Shape of the kernel to learn, no larger than ``X``.
    lr : float, default 3e-2
        Learning rate, a finite number > 0.
    epochs : int, default 10
        Number of gradient steps (0 or more).
    seed : int, optional
        Seed of the starting kernel.

    Returns
    -------
    K : numpy.ndarray
        The learned float64 kernel of shape ``kernel_shape``.
    losses : list of float
        ``epochs + 1`` values: ``losses[i]`` is the loss before step ``i``
        and ``losses[-1]`` the loss after the last step.

    Raises
    ------
    ValueError
        For badly shaped ``X``/``Y``, a kernel larger than ``X``, a
        non-positive learning rate or a negative number of epochs.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> Y = corr2d(X, [[1, -1]])
    >>> K, losses = learn_kernel_losses(X, Y, (1, 2))
    >>> len(losses), losses[-1] < losses[0]
    (11, True)
    """
    X = as_2d("X", X).astype(np.float64, copy=False)
    Y = as_2d("Y", Y).astype(np.float64, copy=False)
    kh, kw = as_pair("kernel_shape", kernel_shape, 1)
    _check_fits(X.shape, (kh, kw), "X", "kernel_shape")
    expected = (X.shape[0] - kh + 1, X.shape[1] - kw + 1)
    if Y.shape != expected:
        raise ValueError(
            f"Y has shape {Y.shape}, but corr2d of X {X.shape} with a "
            f"{kh}x{kw} kernel has shape {expected}; Y must be the target "
            f"output of that cross-correlation."
        )
    lr = as_real("lr", lr, positive=True)
    epochs = as_int("epochs", epochs, 0)
    K = np.random.default_rng(seed).normal(0.0, 0.01, (kh, kw))
    oh, ow = expected
    losses: list[float] = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            R = correlate_valid(X, K) - Y
            losses.append(float(np.sum(R * R)))
            grad = np.empty_like(K)
            for i in range(kh):
                for j in range(kw):
                    grad[i, j] = 2.0 * np.sum(R * X[i:i + oh, j:j + ow])
            K = K - lr * grad
        R = correlate_valid(X, K) - Y
        losses.append(float(np.sum(R * R)))
    return K, losses


def learn_kernel(X, Y, kernel_shape, lr=3e-2, epochs: int = 10, seed=0) -> np.ndarray:
    """Learn a kernel K with corr2d(X, K) close to Y by gradient descent.

    Plain gradient descent on ``sum((corr2d(X, K) - Y) ** 2)`` from a seeded
    small random kernel; see :func:`learn_kernel_losses` for the details and
    the loss history.

    Parameters
    ----------
    X : array_like
        2-D input image.
    Y : array_like
        2-D target of shape ``(H - kh + 1, W - kw + 1)``.
    kernel_shape : int or (int, int)
        Shape of the kernel to learn, no larger than ``X``.
    lr : float, default 3e-2
        Learning rate, a finite number > 0.  On the 6x8 edge image below it
        converges; above ``1 / lambda_max(A^T A)`` (1/30 there, 1/42 on the
        6x9 image) the iteration diverges.
    epochs : int, default 10
        Number of gradient steps (0 or more).
    seed : int, optional
        Seed of the starting kernel ``default_rng(seed).normal(0, 0.01, shape)``.

    Returns
    -------
    numpy.ndarray
        The float64 kernel after ``epochs`` steps (inf/nan if it diverged).

    Raises
    ------
    ValueError
        As :func:`learn_kernel_losses`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> K = learn_kernel(X, corr2d(X, [[1, -1]]), (1, 2))
    >>> bool(np.all(np.abs(K - [[1, -1]]) < 0.1))
    True
    """
    return learn_kernel_losses(X, Y, kernel_shape, lr=lr, epochs=epochs, seed=seed)[0]
