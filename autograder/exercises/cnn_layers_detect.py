"""Wrong answers, detectors and judges for the exercises of 03-cnn-layers.

Trusted code.  ``wrong`` implementations compute what a learner holding one
misconception returns; ``detect`` functions recognise a misconception from
an answer's shape or from one of its parts; judges grade answers that have
no single right value (a learned kernel, a learning rate) or that are
checked against central-difference numeric gradients.  The declarations in
:mod:`autograder.exercises.cnn_layers` say which misconception uses which.
"""
from __future__ import annotations

import math
import re

import numpy as np

from .. import references as ref
from ..engine import render
from ..engine.compare import compare


def pair(v) -> tuple[int, int]:
    return (v, v) if np.ndim(v) == 0 else tuple(v)


def _reversed(v):
    return v if np.ndim(v) == 0 else tuple(v)[::-1]


def component(index: int, candidates):
    """A ``detect``: part ``index`` of the learner's tuple equals one of ``candidates(*args, **kwargs)``."""

    def detect(case, got) -> bool:
        if not isinstance(got, (tuple, list)) or len(got) <= index:
            return False
        part = got[index]
        return any(c is not None and compare(c, part) is None for c in candidates(*case.args, **case.kwargs))

    return detect


# ---------------------------------------------------------------------------- corr2d

def corr_flips(X, K):
    K = np.asarray(K)
    return [ref.corr2d(X, np.flip(K)), ref.corr2d(X, np.flip(K, 0)), ref.corr2d(X, np.flip(K, 1))]


def corr_off_by_one(case, got) -> bool:
    if not isinstance(got, np.ndarray) or got.ndim != 2:
        return False
    expected = ref.corr2d(*case.args)
    return max(abs(g - e) for g, e in zip(got.shape, expected.shape)) == 1


# ---------------------------------------------------------------------------- channels

def per_channel(X, K) -> np.ndarray:
    return np.stack([ref.corr2d(x, k) for x, k in zip(np.asarray(X), np.asarray(K))])


def not_summed(X, K):
    """The maps kept apart, or only the last one (each channel overwrote the one before)."""
    stack = per_channel(X, K)
    return [stack, stack[-1]] if len(stack) > 1 else []


def first_channel(X, K):
    """Only channel 0 of X and of K."""
    X, K = np.asarray(X), np.asarray(K)
    return [ref.corr2d(X[0], K[0])] if X.shape[0] > 1 else []


def channels_last(X, K):
    """Channels taken from the last axis (the Keras layout), or summed over a wrong axis."""
    X, K = np.asarray(X), np.asarray(K)
    out = []
    try:
        out.append(sum(ref.corr2d(X[..., c], K[..., c]) for c in range(K.shape[-1])))
    except (ValueError, IndexError):
        pass
    stack = per_channel(X, K)
    out += [stack.sum(axis=1), stack.sum(axis=2)]
    return out


def stacked_last(X, K):
    return [np.moveaxis(ref.corr2d_multi_in_out(X, K), 0, -1)]


def in_out_not_summed(X, K):
    X, K = np.asarray(X), np.asarray(K)
    return [np.stack([per_channel(X, k) for k in K])]


def in_out_first_channel(X, K):
    """Only input channel 0 (for every output), or only the first bank of kernels."""
    X, K = np.asarray(X), np.asarray(K)
    out = []
    if X.shape[0] > 1:
        out.append(np.stack([ref.corr2d(X[0], k[0]) for k in K]))
    if K.shape[0] > 1:
        first = ref.corr2d_multi_in(X, K[0])
        out += [first, first[np.newaxis]]
    return out


# ---------------------------------------------------------------------------- conv2d_layer

def layer_args(args, kwargs):
    names = ("X", "W", "b", "stride", "padding", "activation")
    defaults = {"stride": 1, "padding": 0, "activation": None}
    values = dict(defaults, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def _activate(out, activation):
    return np.maximum(out, 0) if activation == "relu" else out


def layer_flipped(X, W, b, stride=1, padding=0, activation=None):
    return ref.conv2d_layer(X, np.flip(np.asarray(W), (-2, -1)), b, stride, padding, activation)


def layer_no_bias(X, W, b, stride=1, padding=0, activation=None):
    return ref.conv2d_layer(X, W, np.zeros(np.shape(b)), stride, padding, activation)


def layer_stride_ignored(X, W, b, stride=1, padding=0, activation=None):
    return ref.conv2d_layer(X, W, b, 1, padding, activation)


def layer_stride_not_in_window(X, W, b, stride=1, padding=0, activation=None):
    """The strided output size, but windows that start at (i, j) instead of (i * s, j * s)."""
    right = ref.conv2d_layer(X, W, b, stride, padding, activation)
    if pair(stride) == (1, 1):
        return None
    return ref.conv2d_layer(X, W, b, 1, padding, activation)[:, :right.shape[1], :right.shape[2]]


def layer_one_side(*args, **kwargs):
    X, W, b, stride, padding, activation = layer_args(args, kwargs)
    ph, pw = pair(padding)
    if ph == 0 and pw == 0:
        return []
    X = np.asarray(X)
    out = []
    for widths in (((0, 0), (ph, 0), (pw, 0)), ((0, 0), (0, ph), (0, pw))):
        try:
            out.append(ref.conv2d_layer(np.pad(X, widths), W, b, stride, 0, activation))
        except ValueError:
            pass
    return out


def layer_hw_swapped(X, W, b, stride=1, padding=0, activation=None):
    """Pairs read as (width, height): the stride's and the padding's two numbers exchanged."""
    if _reversed(stride) == stride and _reversed(padding) == padding:
        return None
    return ref.conv2d_layer(X, W, b, _reversed(stride), _reversed(padding), activation)


def layer_bias_per_element(*args, **kwargs):
    """The bias added inside the sum, once per product: kh * kw * C_in times, or kh * kw times."""
    X, W, b, stride, padding, activation = layer_args(args, kwargs)
    c_out, c_in, kh, kw = np.shape(W)
    plain = ref.conv2d_layer(X, W, np.zeros(np.shape(b)), stride, padding)
    b = np.asarray(b)[:, np.newaxis, np.newaxis]
    return [_activate(plain + b * n, activation) for n in {kh * kw * c_in, kh * kw} if n > 1]


def layer_first_channel(*args, **kwargs):
    """Only input channel 0, or only the first filter."""
    X, W, b, stride, padding, activation = layer_args(args, kwargs)
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    out = []
    if X.shape[0] > 1:
        out.append(ref.conv2d_layer(X[:1], W[:, :1], b, stride, padding, activation))
    if W.shape[0] > 1:
        out.append(ref.conv2d_layer(X, W[:1], b[:1], stride, padding, activation))
    return out


def relu_always(X, W, b, stride=1, padding=0, activation=None):
    """A ReLU applied whatever the activation: also when activation is None."""
    if activation is not None:
        return None
    return ref.conv2d_layer(X, W, b, stride, padding, "relu")


def relu_before_bias(X, W, b, stride=1, padding=0, activation=None):
    if activation != "relu":
        return None
    plain = ref.conv2d_layer(X, W, np.zeros(np.shape(b)), stride, padding, "relu")
    return plain + np.asarray(b)[:, np.newaxis, np.newaxis]


# ---------------------------------------------------------------------------- pool2d

def pool_args(args, kwargs):
    names = ("X", "pool_size", "stride", "mode")
    values = dict({"stride": 1, "mode": "max"}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def pool_ceil_shape(case, got) -> bool:
    X, pool_size, stride, _ = pool_args(case.args, case.kwargs)
    (h, w), (ph, pw), (sh, sw) = np.shape(X), pair(pool_size), pair(stride)
    ceil = (-(-(h - ph) // sh) + 1, -(-(w - pw) // sw) + 1)
    floor = ((h - ph) // sh + 1, (w - pw) // sw + 1)
    return isinstance(got, np.ndarray) and ceil != floor and got.shape == ceil


def pool_stride_ignored(X, pool_size, stride=1, mode="max"):
    return ref.pool2d(X, pool_size, 1, mode)


def pool_swapped_modes(X, pool_size, stride=1, mode="max"):
    return ref.pool2d(X, pool_size, stride, {"max": "avg", "avg": "max"}.get(mode, mode))


def pool_always_max(X, pool_size, stride=1, mode="max"):
    """``mode`` ignored: every window gives its largest value."""
    return ref.pool2d(X, pool_size, stride, "max")


def pool_always_avg(X, pool_size, stride=1, mode="max"):
    """``mode`` ignored the other way: every window gives its mean."""
    return ref.pool2d(X, pool_size, stride, "avg")


#: The two ways of ignoring ``mode``: a learner's code holds one (see evaluate.wrong_variants).
pool_always_max.variants = (pool_always_avg,)


def pool_stride_not_in_window(X, pool_size, stride=1, mode="max"):
    if pair(stride) == (1, 1):
        return None
    right = ref.pool2d(X, pool_size, stride, mode)
    return ref.pool2d(X, pool_size, 1, mode)[:right.shape[0], :right.shape[1]]


def pool_hw_swapped(X, pool_size, stride=1, mode="max"):
    """pool_size and stride read as (width, height)."""
    if _reversed(pool_size) == pool_size and _reversed(stride) == stride:
        return None
    return ref.pool2d(X, _reversed(pool_size), _reversed(stride), mode)


def _truncated_windows(X, pool_size, stride, mode, rows: int, cols: int) -> np.ndarray:
    """rows x cols windows at (i * sh, j * sw), cut short where they run past X (as slicing does)."""
    X = np.asarray(X, dtype=float)
    (ph, pw), (sh, sw) = pair(pool_size), pair(stride)
    summary = np.max if mode == "max" else np.mean
    return np.array([[summary(X[i * sh:i * sh + ph, j * sw:j * sw + pw]) for j in range(cols)] for i in range(rows)])


def pool_size_ignores_pool(X, pool_size, stride=1, mode="max"):
    """An output size from the input and the stride alone (H // s, or H / s rounded up)."""
    (h, w), (sh, sw) = np.shape(X), pair(stride)
    sizes = {(h // sh, w // sw), (-(-h // sh), -(-w // sw))}
    return [_truncated_windows(X, pool_size, stride, mode, r, c) for r, c in sizes if r > 0 and c > 0]


# ---------------------------------------------------------------------------- conv2d_layer_backward

def backward_args(args, kwargs):
    names = ("dout", "X", "W", "b", "stride", "padding")
    values = dict({"stride": 1, "padding": 0}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def _scatter_unstrided(dout, X, W, padding):
    """dX and dW with every output (i, j) taken back to the window at (i, j), whatever the stride."""
    dout, X, W = (np.asarray(a, dtype=float) for a in (dout, X, W))
    ph, pw = pair(padding)
    c_out, c_in, kh, kw = W.shape
    _, oh, ow = dout.shape
    Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    dXp, dW = np.zeros(Xp.shape), np.zeros(W.shape)
    for a in range(kh):
        for c in range(kw):
            dW[:, :, a, c] = np.tensordot(dout, Xp[:, a:a + oh, c:c + ow], axes=([1, 2], [1, 2]))
            dXp[:, a:a + oh, c:c + ow] += np.tensordot(W[:, :, a, c], dout, axes=(0, 0))
    return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2]], dW


def dx_not_flipped(*args, **kwargs):
    """dX from a full correlation: each dout value sends back the kernel turned round."""
    dout, X, W, b, stride, padding = backward_args(args, kwargs)
    return [ref.conv2d_layer_backward(dout, X, np.flip(np.asarray(W), (-2, -1)), b, stride, padding)[0]]


#: A kernel turned round in code: np.flip, np.rot90, np.flipud / fliplr, or a [::-1] slice.
_TURNS = re.compile(r"\bflip(?:ud|lr)?\s*\(|\brot90\s*\(|::\s*-\s*1")


def turns_kernel(code: str) -> bool:
    """Does the learner's code turn something round (a flip, a rotation, a reversed slice)?"""
    return bool(_TURNS.search(code))


def keeps_kernel(code: str) -> bool:
    return not turns_kernel(code)


def dw_db_right(case, got) -> bool:
    """dW and db of the learner's (dX, dW, db) are right (only dX can be wrong)."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return False
    right = ref.conv2d_layer_backward(*case.args, **case.kwargs)
    return all(compare(right[i], got[i], returns="any") is None for i in (1, 2))


def dx_only(detect):
    """``detect``, when dW and db are right."""
    return lambda case, got: detect(case, got) and dw_db_right(case, got)


def dx_valid_shape(case, got) -> bool:
    """dX with the size of a 'valid' correlation of dout and W, not the size of X."""
    dout, X, W, *_ = backward_args(case.args, case.kwargs)
    if not isinstance(got, (tuple, list)) or not got or not isinstance(got[0], np.ndarray):
        return False
    (c_out, oh, ow), (c_in, h, w), (kh, kw) = np.shape(dout), np.shape(X), np.shape(W)[2:]
    valid = (abs(oh - kh) + 1, abs(ow - kw) + 1)
    return got[0].shape[-2:] == valid and valid != (h, w)


def db_not_summed(*args, **kwargs):
    """db left as dout itself, as ones, or as the mean instead of the sum."""
    dout = np.asarray(backward_args(args, kwargs)[0], dtype=float)
    return [dout, np.ones(dout.shape[0]), dout.mean(axis=(1, 2))]


def backward_stride_ignored(*args, **kwargs):
    dout, X, W, b, stride, padding = backward_args(args, kwargs)
    if pair(stride) == (1, 1):
        return []
    return list(_scatter_unstrided(dout, X, W, padding))


def padding_not_cropped(case, got) -> bool:
    _, X, _, _, _, padding = backward_args(case.args, case.kwargs)
    (c_in, h, w), (ph, pw) = np.shape(X), pair(padding)
    return (ph or pw) and isinstance(got, (tuple, list)) and len(got) > 0 and isinstance(got[0], np.ndarray) \
        and got[0].shape == (c_in, h + 2 * ph, w + 2 * pw)


# ---------------------------------------------------------------------------- pool2d_backward

def pool_backward_args(args, kwargs):
    names = ("dout", "X", "pool_size", "stride", "mode")
    values = dict({"stride": 1, "mode": "max"}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def _window_starts(dout, stride):
    (sh, sw) = pair(stride)
    oh, ow = np.shape(dout)
    return [(i, j, i * sh, j * sw) for i in range(oh) for j in range(ow)]


def whole_window(dout, X, pool_size, stride=1, mode="max"):
    """Every position of each window gets the window's whole dout (added up where windows overlap)."""
    (ph, pw) = pair(pool_size)
    return ref.pool2d_backward(dout, X, pool_size, stride, "avg") * (ph * pw)


def max_grad_everywhere(dout, X, pool_size, stride=1, mode="max"):
    return whole_window(dout, X, pool_size, stride) if mode == "max" else None


def max_grad_all_ties(dout, X, pool_size, stride=1, mode="max"):
    """Each window's dout sent to every position equal to its maximum (the mask x == max(x))."""
    if mode != "max":
        return None
    dout, X = np.asarray(dout, dtype=float), np.asarray(X)
    (ph, pw) = pair(pool_size)
    dX = np.zeros(X.shape)
    for i, j, r, c in _window_starts(dout, stride):
        window = X[r:r + ph, c:c + pw]
        dX[r:r + ph, c:c + pw] += (window == window.max()) * dout[i, j]
    return dX


def avg_not_divided(dout, X, pool_size, stride=1, mode="max"):
    return whole_window(dout, X, pool_size, stride) if mode == "avg" else None


def backward_always_max(dout, X, pool_size, stride=1, mode="max"):
    """``mode`` ignored: each window's gradient goes to its maximum."""
    return ref.pool2d_backward(dout, X, pool_size, stride, "max")


def backward_always_avg(dout, X, pool_size, stride=1, mode="max"):
    """``mode`` ignored the other way: each window's gradient is shared by its positions."""
    return ref.pool2d_backward(dout, X, pool_size, stride, "avg")


backward_always_max.variants = (backward_always_avg,)


def overlap_overwritten(dout, X, pool_size, stride=1, mode="max"):
    """Each window's share written with = in row-major order: the last window wins where they overlap."""
    dout, X = np.asarray(dout, dtype=float), np.asarray(X)
    (ph, pw) = pair(pool_size)
    dX = np.zeros(X.shape)
    for i, j, r, c in _window_starts(dout, stride):
        if mode == "avg":
            dX[r:r + ph, c:c + pw] = dout[i, j] / (ph * pw)
        else:
            n = int(np.argmax(X[r:r + ph, c:c + pw]))
            dX[r + n // pw, c + n % pw] = dout[i, j]
    return dX


# ---------------------------------------------------------------------------- numeric gradients

def numeric_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f`` at ``x``, one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f(x)
        x[index] = saved - eps
        down = f(x)
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def _against_numeric(name: str, got, numeric: np.ndarray, wrt: str) -> str | None:
    """Compare one returned gradient with its central-difference estimate, in words."""
    if not isinstance(got, np.ndarray):
        return f"{name} should be a NumPy array; it is {render.value(got, 60)}."
    if got.shape != numeric.shape:
        return f"{name} has shape {render.shape(got)}; a gradient has the shape of what it is taken with respect to, {wrt}, {numeric.shape}."
    close = np.isclose(np.asarray(got, dtype=float), numeric, rtol=1e-4, atol=1e-4)
    if close.all():
        return None
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    return (f"{name}{render.index(where)} is {float(got[where]):.6g}, but nudging {wrt}{render.index(where)} up and down by "
            f"1e-6 changes L = sum(dout * output) by {numeric[where]:.6g} per unit (a central difference); "
            f"{int((~close).sum())} of {close.size} entries of {name} disagree with such nudges.")


def layer_numeric_judge(dout, X, W, b, stride, padding):
    """A judge: the learner's (dX, dW, db) against central differences of the reference forward pass."""

    def loss(X_, W_, b_):
        return float(np.sum(np.asarray(dout) * ref.conv2d_layer(X_, W_, b_, stride, padding)))

    numeric = (numeric_gradient(lambda x: loss(x, W, b), X), numeric_gradient(lambda w: loss(X, w, b), W),
               numeric_gradient(lambda c: loss(X, W, c), b))

    def judge(got, **_values) -> str | None:
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return f"the result should be the tuple (dX, dW, db); it is {render.value(got, 80)}."
        for name, part, num, wrt in zip(("dX", "dW", "db"), got, numeric, ("X", "W", "b")):
            problem = _against_numeric(name, part, num, wrt)
            if problem:
                return problem
        return None

    return judge


def pool_numeric_judge(dout, X, pool_size, stride, mode):
    """A judge: the learner's dX against central differences of the reference pooling."""
    numeric = numeric_gradient(lambda x: float(np.sum(np.asarray(dout) * ref.pool2d(x, pool_size, stride, mode))), X)

    def judge(got, **_values) -> str | None:
        return _against_numeric("dX", got, numeric, "X")

    return judge


# ---------------------------------------------------------------------------- learn_kernel

def kernel_problem(got, shape) -> str | None:
    """Type and shape problems of a returned kernel, in words (None when fine)."""
    if got is None:
        return "the function returned None; end it with `return K`, the learned kernel."
    if not isinstance(got, np.ndarray):
        return f"the result should be the learned kernel as a NumPy array; it is {render.value(got, 80)}."
    if got.shape != tuple(shape):
        return f"the learned kernel has shape {render.shape(got)}, but kernel_shape is {tuple(shape)}; return K itself, with that shape."
    if got.dtype.kind not in "iuf":
        return f"the learned kernel has dtype {got.dtype}; it should hold real numbers."
    return None


def learned_judge(target, shape, tol: float, lr: float, hidden: bool):
    """A judge: the learner's kernel is within ``tol`` of ``target`` (every entry)."""
    shown_target = render.value(np.asarray(target), 60)
    target = np.asarray(target, dtype=float)

    def judge(got, **_values) -> str | None:
        problem = kernel_problem(got, shape)
        if problem:
            return problem
        K = np.asarray(got, dtype=float)
        where = "" if hidden else f" {render.value(K, 80)}"
        goal = "the kernel that made Y" if hidden else shown_target
        if not np.all(np.isfinite(K)):
            return (f"the learned kernel{where} holds inf or nan: the iteration blew up, although with lr = {lr:g} "
                    f"the exact gradient converges here. Check the sign of the update (K - lr * gradient) and the gradient itself.")
        err = float(np.max(np.abs(K - target)))
        if err <= tol:
            return None
        start = float(np.max(np.abs(target)))
        said = f"the learned kernel{where} is {err:.3g} away from {goal} (largest difference; at most {tol:g} is expected)"
        if err > start:
            return (f"{said}: it ended further away than a small starting kernel is. Each step should go downhill: "
                    f"check the sign of the update and that each weight's gradient pairs the residual with the input values that weight touched.")
        return (f"{said}: it moved towards it, but too slowly. Check that the gradient of the SUMMED squared error keeps its "
                f"factor 2 (not the mean, not half of it) and that the loop runs all `epochs` steps.")

    return judge


def start_judge(shape):
    """A judge for epochs=0: the starting kernel is small and random."""

    def judge(got, **_values) -> str | None:
        problem = kernel_problem(got, shape)
        if problem:
            return problem
        K = np.asarray(got, dtype=float)
        if not np.all(np.isfinite(K)) or np.max(np.abs(K)) > 0.1:
            return (f"with epochs=0 no step is taken, so this is your starting kernel, {render.value(K, 80)}: it should be "
                    f"small (every entry within 0.1 of 0), e.g. normal values with standard deviation 0.01.")
        if np.all(K == 0):
            return ("with epochs=0 no step is taken, so this is your starting kernel, and it is all zeros. Start from small "
                    "RANDOM values (np.random.default_rng(seed).normal(0, 0.01, kernel_shape)): below you will see that "
                    "a zero start can hide a learning rate that is too large.")
        return None

    return judge


#: What max_stable_lr's judge says of the book's limit on the notes' stripe (the book's image is one column narrower).
BOOK_MESSAGE = ("max_stable_lr is the limit of the book's 6x8 stripe. The notes' stripe is one column wider, and that "
                "column changes the curvature: redo it for the 6x9 image.")
NOTES_STRIPE = "the notes' 6x9 stripe"


def max_lr_judge(limit: float, book_limit: float, within: float = 0.05, stripe: str = NOTES_STRIPE,
                 book_message: str = BOOK_MESSAGE):
    """max_stable_lr, a value judged on its own: within ``within`` of ``limit``.

    ``stripe`` names the image asked about ("the notes' 6x9 stripe", or a student's own, "your 5x10
    stripe"); a value within ``within`` of ``book_limit`` (the limit of the same stripe one column
    narrower: the book's 6x8 for the notes' 6x9) gets ``book_message``.  What a wrong value gets is the
    method, never the side of the limit it lies on: a learner told "too large" or "too small" could
    narrow the window down by guessing.
    """

    def judge(values) -> str | None:
        value = values.get("max_stable_lr")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return (f"max_stable_lr should be a number, the largest learning rate for which gradient descent converges "
                    f"on {stripe}; it is {render.value(value, 60)}.")
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            return f"max_stable_lr is {value:g}; a learning rate is a positive number."
        if abs(value / limit - 1) <= within:
            return None
        if abs(value / book_limit - 1) <= within:
            return book_message
        return (f"max_stable_lr = {value:.4g} is not within 5 % of the limit. Work it out from the curvature: moving both "
                "weights together by t changes each output by t times the sum of the pair of pixels under the kernel, so "
                f"along that direction lambda = 1/2 of the sum of the squared pair sums over the whole of {stripe}; each step "
                "multiplies the error there by 1 - 2 * lr * lambda, and the run converges while that factor stays above -1. "
                "Check your number by experiment: a few hundred steps just below it must converge, just above it must not.")

    return judge


def design(X: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """The matrix A with corr2d(X, K).ravel() == A @ K.ravel()."""
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    return np.stack([X[a:a + oh, b:b + ow].ravel() for a in range(kh) for b in range(kw)], axis=1)


def descend(X, Y, K, lr: float, epochs: int, factor: float) -> np.ndarray:
    """Gradient descent with the gradient scaled by ``factor`` (2 is right)."""
    kh, kw = K.shape
    A = design(X, kh, kw)
    k, y = K.ravel().astype(float), Y.ravel()
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            k = k - lr * factor * (A.T @ (A @ k - y))
    return k.reshape(kh, kw)


def stable_limit(X, shape) -> float:
    """1 / lambda_max of A^T A: plain gradient descent on the summed squared error converges below it."""
    A = design(np.asarray(X, dtype=float), *shape)
    return 1.0 / float(np.linalg.eigvalsh(A.T @ A)[-1])
