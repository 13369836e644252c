"""Wrong answers, detectors and judges for the exercises of 06-cnn-from-scratch.

Trusted code.  ``wrong`` implementations compute what a learner holding one
misconception returns (most are 03's, applied to a batch); detectors
recognise a misconception from one part of an answer or from a training
run's loss curve; judges grade what has no single right value: gradients
against central differences, a speed against the loop version timed here,
a trained network by its accuracy on the test digits.  The declarations are
in :mod:`autograder.exercises.cnn_scratch`.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import references as ref
from ..engine import render
from ..engine.codec import roundtrip
from ..engine.compare import compare
from ..references import scratch as nn
from .cnn_layers_detect import _against_numeric, component, keeps_kernel, numeric_gradient, turns_kernel  # noqa: F401 (used by the declarations)

# ---------------------------------------------------------------------------- arguments

def layer_args(args, kwargs):
    """(X, W, b, stride, padding) of a conv_forward call."""
    names = ("X", "W", "b", "stride", "padding")
    values = dict({"stride": 1, "padding": 0}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def backward_args(args, kwargs):
    names = ("dout", "X", "W", "b", "stride", "padding")
    values = dict({"stride": 1, "padding": 0}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def _floats(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _differs(candidate, right) -> bool:
    return candidate is not None and compare(right, candidate, returns="any") is not None


# ---------------------------------------------------------------------------- im2col

def im2col_channels_last(X, kh, kw, stride=1, padding=0):
    """Columns in (kernel row, kernel column, channel) order instead of (channel, kernel row, kernel column)."""
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[1] == 1:
        return None  # one channel: both orders are the same
    rows = nn.im2col(X, kh, kw, stride, padding)
    return rows.reshape(len(rows), X.shape[1], kh, kw).transpose(0, 2, 3, 1).reshape(len(rows), -1)


def im2col_stride_ignored(X, kh, kw, stride=1, padding=0):
    return nn.im2col(X, kh, kw, 1, padding) if stride != 1 else None


def im2col_padding_ignored(X, kh, kw, stride=1, padding=0):
    if padding == 0:
        return None
    try:
        return nn.im2col(X, kh, kw, stride, 0)
    except ValueError:  # the window does not fit without the padding
        return None


# ---------------------------------------------------------------------------- conv_forward

def _conv(X, W, b, stride, padding):
    return nn.conv_forward(X, W, b, stride, padding)


def conv_flipped(X, W, b, stride=1, padding=0):
    return _conv(X, np.flip(np.asarray(W), (-2, -1)), b, stride, padding)


def conv_no_bias(X, W, b, stride=1, padding=0):
    return _conv(X, W, np.zeros(np.shape(b)), stride, padding)


def conv_bias_per_element(*args, **kwargs):
    """The bias added once per product of a window and a filter: C * kh * kw times, or kh * kw times."""
    X, W, b, stride, padding = layer_args(args, kwargs)
    f, c, kh, kw = np.shape(W)
    plain = _conv(X, W, np.zeros(f), stride, padding)
    b = np.asarray(b, dtype=np.float64)[None, :, None, None]
    return [plain + b * n for n in {c * kh * kw, kh * kw} if n > 1]


def conv_stride_ignored(X, W, b, stride=1, padding=0):
    return _conv(X, W, b, 1, padding) if stride != 1 else None


def conv_stride_not_in_window(X, W, b, stride=1, padding=0):
    """The strided output size, but windows starting at (i, j) instead of (i * s, j * s)."""
    if stride == 1:
        return None
    right = _conv(X, W, b, stride, padding)
    return _conv(X, W, b, 1, padding)[:, :, :right.shape[2], :right.shape[3]]


def conv_one_side(*args, **kwargs):
    """Zeros above and to the left only, or below and to the right only."""
    X, W, b, stride, padding = layer_args(args, kwargs)
    if not padding:
        return []
    X = np.asarray(X, dtype=np.float64)
    out = []
    for widths in (((0, 0), (0, 0), (padding, 0), (padding, 0)), ((0, 0), (0, 0), (0, padding), (0, padding))):
        try:
            out.append(_conv(np.pad(X, widths), W, b, stride, 0))
        except ValueError:
            pass
    return out


def conv_first_channel(*args, **kwargs):
    """Only input channel 0, or only the first filter."""
    X, W, b, stride, padding = layer_args(args, kwargs)
    X, W, b = _floats(X, W, b)
    out = []
    if X.shape[1] > 1:
        out.append(_conv(X[:, :1], W[:, :1], b, stride, padding))
    if W.shape[0] > 1:
        out.append(_conv(X, W[:1], b[:1], stride, padding))
    return out


def conv_batch_mixed(*args, **kwargs):
    """Outputs whose values come from other images of the batch.

    * ``W_rows @ cols.T`` (filters by windows of every image) reshaped straight to (N, F, oh, ow);
    * rows taken in (window row, window column, image) order but read as (image, row, column);
    * every image given the sum of the batch's responses.
    """
    X, W, b, stride, padding = layer_args(args, kwargs)
    X, W, b = _floats(X, W, b)
    n, f = X.shape[0], W.shape[0]
    if n < 2:
        return []
    right = _conv(X, W, b, stride, padding)
    oh, ow = right.shape[2:]
    rows = right.transpose(0, 2, 3, 1).reshape(-1, f)  # (n, i, j) x f, as im2col @ W.T gives
    out = [rows.T.reshape(n, f, oh, ow)]
    by_position = right.transpose(2, 3, 0, 1).reshape(-1, f)  # (i, j, n) x f
    out.append(by_position.reshape(n, oh, ow, f).transpose(0, 3, 1, 2))
    plain = right - b[None, :, None, None]
    out.append(np.broadcast_to(plain.sum(axis=0) + b[:, None, None], right.shape).copy())
    return [o for o in out if _differs(o, right)]


# ---------------------------------------------------------------------------- conv_backward

def _per_image(dout, X, W, b, stride, padding, grads):
    """Apply a one-image gradient function of 03 to each image; dX stacked, dW and db added up."""
    parts = [grads(d, x, W, b, stride, padding) for d, x in zip(np.asarray(dout, dtype=np.float64), np.asarray(X, dtype=np.float64))]
    return (np.stack([p[0] for p in parts]), sum(p[1] for p in parts), sum(p[2] for p in parts))


def dx_turned(*args, **kwargs):
    """dX with the kernel turned round: a correlation of dout with W as stored, or (the same numbers) a
    scatter of dout through a kernel turned round by the learner."""
    dout, X, W, b, stride, padding = backward_args(args, kwargs)
    flipped = np.flip(np.asarray(W, dtype=np.float64), (-2, -1))
    return [_per_image(dout, X, flipped, b, stride, padding, ref.conv2d_layer_backward)[0]]


def backward_parts_right(case, got, parts=(1, 2)) -> bool:
    """The parts ``parts`` of the learner's (dX, dW, db) are right."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return False
    right = nn.conv_backward(*case.args, **case.kwargs)
    return all(compare(right[i], got[i], returns="any") is None for i in parts)


def dx_only(detect):
    """``detect``, when dW and db are right (only dX is wrong)."""
    return lambda case, got: detect(case, got) and backward_parts_right(case, got)


def dx_valid_shape(case, got) -> bool:
    """dX with the size of a 'valid' sliding of W over dout rather than the size of X."""
    dout, X, W, *_ = backward_args(case.args, case.kwargs)
    if not isinstance(got, (tuple, list)) or not got or not isinstance(got[0], np.ndarray) or got[0].ndim != 4:
        return False
    (n, f, oh, ow), (_, c, h, w), (kh, kw) = np.shape(dout), np.shape(X), np.shape(W)[2:]
    valid = (abs(oh - kh) + 1, abs(ow - kw) + 1)
    return got[0].shape[-2:] == valid and valid != (h, w)


def _other_than_right(candidates):
    """``candidates(*args)`` without those equal to the right db (no evidence where the mistake changes nothing)."""

    def wrong_only(*args, **kwargs):
        right = nn.conv_backward(*args, **kwargs)[2]
        return [c for c in candidates(*args, **kwargs) if _differs(c, right)]

    return wrong_only


@_other_than_right
def db_not_summed(*args, **kwargs):
    """db left as dout itself, as ones, or as a mean instead of a sum (over every image and position)."""
    dout = np.asarray(backward_args(args, kwargs)[0], dtype=np.float64)
    return [dout, np.ones(dout.shape[1]), dout.mean(axis=(0, 2, 3))]


@_other_than_right
def db_per_image(*args, **kwargs):
    """db summed over positions but not over the batch: one row per image, or the first image's only,
    or their mean."""
    dout = np.asarray(backward_args(args, kwargs)[0], dtype=np.float64)
    per_image = dout.sum(axis=(2, 3))
    return [per_image, per_image[0], per_image.mean(axis=0)]


def backward_stride_ignored(*args, **kwargs):
    """dX and dW as if the windows moved one pixel at a time, whatever the stride."""
    from .cnn_layers_detect import _scatter_unstrided

    dout, X, W, b, stride, padding = backward_args(args, kwargs)
    if stride == 1:
        return []
    parts = [_scatter_unstrided(d, x, W, padding) for d, x in zip(np.asarray(dout, dtype=np.float64), np.asarray(X, dtype=np.float64))]
    return [np.stack([p[0] for p in parts]), sum(p[1] for p in parts)]


def stride_ignored_backward(case, got) -> bool:
    parts = backward_stride_ignored(*case.args, **case.kwargs)
    return bool(parts) and any(component(i, lambda *a, **k: [parts[i]])(case, got) for i in range(2))


def padding_not_cropped(case, got) -> bool:
    _, X, _, _, _, padding = backward_args(case.args, case.kwargs)
    n, c, h, w = np.shape(X)
    return bool(padding) and isinstance(got, (tuple, list)) and len(got) > 0 and isinstance(got[0], np.ndarray) \
        and got[0].shape == (n, c, h + 2 * padding, w + 2 * padding)


def gradients_judge(numeric, names: tuple, wrts: tuple):
    """A judge: the learner's gradients against central differences.

    ``names`` are the parts of the result (``("dX", "dW", "db")``: a tuple of that length; one name: one
    array), ``wrts`` what each is taken with respect to, ``numeric`` their central-difference estimates,
    or a function computing them on first use (importing the declarations stays quick).
    """
    cache: list = []

    def judge(got, **_values) -> str | None:
        parts = (got,)
        if len(names) > 1:
            if not isinstance(got, (tuple, list)) or len(got) != len(names):
                return f"the result should be the tuple ({', '.join(names)}); it is {render.value(got, 80)}."
            parts = got
        if not cache:
            cache.append(numeric() if callable(numeric) else numeric)
        for name, part, num, wrt in zip(names, parts, cache[0], wrts):
            problem = _against_numeric(name, part, np.asarray(num), wrt)
            if problem:
                return problem
        return None

    return judge


def conv_numeric_judge(dout, X, W, b, stride, padding):
    """A judge: the learner's (dX, dW, db) against central differences of the reference forward pass."""

    def loss(X_, W_, b_):
        return float(np.sum(np.asarray(dout) * nn.conv_forward(X_, W_, b_, stride, padding)))

    def numeric():
        return [numeric_gradient(lambda x: loss(x, W, b), X), numeric_gradient(lambda w: loss(X, w, b), W),
                numeric_gradient(lambda c: loss(X, W, c), b)]

    return gradients_judge(numeric, ("dX", "dW", "db"), ("X", "W", "b"))


# ---------------------------------------------------------------------------- conv_forward's speed

def speed_ratio(X, W, b, padding: int, seconds: float, sample: int = 8, processor: bool = False) -> tuple[float, float, float]:
    """How many times faster than four nested loops a conv_forward call on (X, W, b) was.

    ``seconds`` is the call's time as the grader measured it (see
    :func:`autograder.engine.calls.run_calls`): with ``processor``, the processor time of the
    learner's process, read from the kernel, which includes its decoding the batch and encoding the
    result (and the batch again, as it was after the call); otherwise a wall-clock time, which also
    includes this process's side of passing the data.  The passing is not the learner's: it is
    estimated as this thread's processor time to encode and decode the same arguments and result (the
    child's share once, a wall-clock time twice), and taken off, keeping at least a quarter of the
    measured time.  The loop version (:func:`~autograder.references.scratch.conv_forward_loops`) is
    timed by this thread's processor time (at most a minute before: see :func:`_loops_seconds`), on
    ``sample`` of the batch's images and scaled to all of them: its four loops take a time
    proportional to the number of images.  Returns (the learner's own seconds, the loops' seconds, ratio).
    """
    started = time.thread_time()
    for _ in range(1 if processor else 2):
        roundtrip(((X, W, b), {"padding": padding}))
    roundtrip(np.zeros((len(X), len(W), X.shape[2] + 2 * padding - W.shape[2] + 1, X.shape[3] + 2 * padding - W.shape[3] + 1)))
    passing = time.thread_time() - started
    own = max(seconds - passing, seconds / 4)
    return own, (loops := _loops_seconds(X, W, b, padding, sample)), loops / own


#: How long a timing of the loop version stands for this process (a class graded in one batch times it
#: once a minute, not once per submission: 0.85 s each on this machine).
LOOPS_FRESH = 60.0
_LOOPS: dict = {}


def _loops_seconds(X, W, b, padding: int, sample: int) -> float:
    """The loop version's seconds on (X, W, b), timed here on ``sample`` images and scaled to all of them;
    the same figure for the same batch within :data:`LOOPS_FRESH` seconds."""
    key = (X.shape, W.shape, padding, sample)
    now = time.monotonic()
    cached = _LOOPS.get(key)
    if cached is not None and now - cached[1] < LOOPS_FRESH:
        return cached[0]
    started = time.thread_time()
    nn.conv_forward_loops(X[:sample], W, b, 1, padding)
    loops = (time.thread_time() - started) * len(X) / sample
    _LOOPS[key] = (loops, now)
    return loops


def speed_judge(X, W, b, padding: int, factor: float = 10.0, orders=()):
    """A judge for the speed check: the right values (on the batch, and on the batch in each of
    ``orders``, the case's further calls), and at least ``factor`` times faster than four nested loops on
    the same batch (:func:`speed_ratio`; the fastest call counts); the message gives the ratio."""
    expected = nn.conv_forward(X, W, b, 1, padding)

    def judge(got, seconds=None, processor=False, again=(), **_values) -> str | None:
        mismatch = compare(expected, got, returns="ndarray")
        if mismatch is not None:
            return f"the values are not right here either ({mismatch.detail.splitlines()[0]}), so the speed was not compared; fix the values first."
        for order, value in zip(orders, again or ()):
            if compare(expected[order], value, returns="ndarray") is not None:
                return ("right on this batch, but wrong on the same images in another order (the call is timed "
                        "more than once, the images reordered): each output map must come from its own image and "
                        "nothing else, whatever the order of the batch and whatever was computed before.")
        if not seconds or seconds <= 0:
            return None  # nothing to compare with (a grader that does not time calls)
        own, loops, ratio = speed_ratio(X, W, b, padding, seconds, processor=processor)
        if ratio >= factor:
            return None
        return slow_message(ratio, factor, own, seconds, loops, processor)

    return judge


def window_loops_seconds(x_shape, w_shape, padding: int, sample: int = 8) -> float:
    """A learner kit's stand-in for timing :func:`~autograder.references.scratch.conv_forward_loops`
    (a kit holds no convolution): the same four nested loops over (image, filter, row, column), each step
    a product of a window-sized block with a filter, summed, plus a bias, stored, but on blocks drawn at
    random rather than windows of the images.  Timed on ``sample`` images and scaled to all of them:
    within a few per cent of the loop version's time (``benchmarks/kit_speed_loops.py`` prints both)."""
    images, _, height, width = x_shape
    filters, channels, kh, kw = w_shape
    oh, ow = height + 2 * padding - kh + 1, width + 2 * padding - kw + 1
    rng = np.random.default_rng(0)
    blocks = rng.normal(size=(64, channels, kh + 1, kw + 1))
    weights, bias = rng.normal(size=tuple(w_shape)), rng.normal(size=filters)
    out = np.zeros((sample, filters, oh, ow))
    started = time.perf_counter()
    for n in range(sample):
        for k in range(filters):
            for i in range(oh):
                for j in range(ow):
                    block = blocks[(i * ow + j) % 64, :, i % 2:i % 2 + kh, j % 2:j % 2 + kw]
                    out[n, k, i, j] = np.sum(block * weights[k]) + bias[k]
    return (time.perf_counter() - started) * images / sample


def slow_message(ratio: float, factor: float, own: float, seconds: float, loops: float, processor: bool = False) -> str:
    of = " of processor time" if processor else ""
    return (f"yours is {ratio:.1f} times as fast as four nested loops over (image, filter, row, column), and at least "
            f"{factor:g} times is asked: conv_forward took {own * 1000:.0f} ms{of} on this batch (besides "
            f"{(seconds - own) * 1000:.0f} ms of passing the arrays to it and back), the loops {loops * 1000:.0f} ms. "
            "Build im2col's matrix once for the whole batch and multiply it by the filters in one matrix product, "
            "with no Python loop over images, filters or positions.")


def kit_speed_judge(first, shape, x_shape, w_shape, padding: int, factor: float = 10.0):
    """A learner kit's judge of the speed check: the output's shape and its ``first`` images' values (the
    others are checked by the other cases), then the time against :func:`window_loops_seconds`."""

    def judge(got, seconds=None, **_values) -> str | None:
        if not isinstance(got, np.ndarray) or got.shape != tuple(shape):
            return (f"the output should be an array of shape {tuple(shape)}; it is {render.value(got, 60)}, so the speed "
                    "was not compared; fix the values first.")
        mismatch = compare(first, got[:len(first)], returns="ndarray")
        if mismatch is not None:
            return f"the values are not right here either ({mismatch.detail.splitlines()[0]}), so the speed was not compared; fix the values first."
        if not seconds or seconds <= 0:
            return None
        started = time.perf_counter()
        for _ in range(2):  # the arguments go there and the result comes back: the same sizes as the grader's
            roundtrip(((np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0])), {"padding": padding}))
        roundtrip(np.zeros(shape))
        passing = time.perf_counter() - started
        own = max(seconds - passing, seconds / 4)
        loops = window_loops_seconds(x_shape, w_shape, padding)
        ratio = loops / own
        return None if ratio >= factor else slow_message(ratio, factor, own, seconds, loops)

    return judge


# ---------------------------------------------------------------------------- ReLU

def relu_grad_is_output(dout, X):
    """dout multiplied by the activation max(0, X) instead of by the mask X > 0."""
    return np.asarray(dout, dtype=np.float64) * np.maximum(np.asarray(X, dtype=np.float64), 0)


def relu_grad_at_zero(dout, X):
    """The gradient let through where X == 0 as well (X >= 0)."""
    X = np.asarray(X)
    if not np.any(X == 0):
        return None
    return np.where(X >= 0, np.asarray(dout, dtype=np.float64), 0.0)


# ---------------------------------------------------------------------------- max pooling

def pool_args(args, kwargs):
    names = ("dout", "X", "size", "stride")
    values = dict({"size": 2, "stride": 2}, **dict(zip(names, args)), **kwargs)
    return tuple(values[n] for n in names)


def _windows(X, size, stride, oh, ow):
    X = np.asarray(X, dtype=np.float64)
    return [(i, j, i * stride, j * stride) for i in range(oh) for j in range(ow)], X


def pool_every_position(dout, X, size=2, stride=2):
    """Every position of each window gets the window's dout (added up where windows overlap)."""
    dout, X = _floats(dout, X)
    dX = np.zeros(X.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += dout[:, :, i:i + 1, j:j + 1]
    return dX


def pool_all_ties(dout, X, size=2, stride=2):
    """Each window's dout sent to every position equal to its maximum (the mask X == max)."""
    dout, X = _floats(dout, X)
    dX = np.zeros(X.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = X[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += mask * dout[:, :, i:i + 1, j:j + 1]
    return dX


def pool_overlap_overwritten(dout, X, size=2, stride=2):
    """Each window's gradient written with = in row-major order: where windows overlap, the last one wins."""
    if stride >= size:
        return None
    dout, X = _floats(dout, X)
    dX = np.zeros(X.shape)
    for n in range(X.shape[0]):
        for c in range(X.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = X[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    k = int(np.argmax(window))
                    dX[n, c, i * stride + k // size, j * stride + k % size] = dout[n, c, i, j]
    return dX


def pool_numeric_judge(dout, X, size, stride):
    """A judge: the learner's dX against central differences of the reference max pooling."""

    def numeric():
        return [numeric_gradient(lambda x: float(np.sum(np.asarray(dout) * nn.maxpool_forward(x, size, stride))), X)]

    return gradients_judge(numeric, ("dX",), ("X",))


# ---------------------------------------------------------------------------- softmax_loss

def _probabilities(scores):
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    return p / p.sum(axis=1, keepdims=True)


def _onehot(y, k):
    y = np.asarray(y)
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out


def loss_not_averaged(scores, y):
    """The loss summed over the batch (the gradient right)."""
    if len(y) < 2:
        return None
    loss, d = nn.softmax_loss(scores, y)
    return loss * len(y), d


def grad_not_averaged(scores, y):
    """The gradient p - onehot(y) not divided by N (the loss right)."""
    if len(y) < 2:
        return None
    loss, d = nn.softmax_loss(scores, y)
    return loss, d * len(y)


def onehot_not_subtracted(scores, y):
    """The gradient p / N: the 1 of the right class never taken off."""
    loss, _ = nn.softmax_loss(scores, y)
    return loss, _probabilities(scores) / len(y)


def softmax_unstable(case, got) -> bool:
    """Scores large enough that exp overflows, and an answer holding inf or nan."""
    scores = np.asarray(case.args[0], dtype=np.float64)
    if np.max(np.abs(scores)) < 700 or not isinstance(got, (tuple, list)) or len(got) != 2:
        return False
    parts = []
    for part in got:
        try:
            parts.append(np.asarray(part, dtype=np.float64))
        except (TypeError, ValueError):
            return False
    return any(not np.all(np.isfinite(p)) for p in parts)


# ---------------------------------------------------------------------------- grad_check

def forward_difference(f, x, h=1e-5):
    """(f(x + h) - f(x)) / h for every entry."""
    point = np.array(x, dtype=np.float64)
    base = f(point)
    grad = np.zeros(point.shape)
    for index in np.ndindex(point.shape):
        saved = point[index]
        point[index] = saved + h
        grad[index] = (f(point) - base) / h
        point[index] = saved
    return grad


def x_not_restored(f, x, h=1e-5):
    """Central differences that leave each entry nudged (down, or up when nudged down first) for the next."""
    out = []
    for first in (1, -1):
        point = np.array(x, dtype=np.float64)
        grad = np.zeros(point.shape)
        for index in np.ndindex(point.shape):
            point[index] += first * h
            one = f(point)
            point[index] -= 2 * first * h
            other = f(point)
            grad[index] = first * (one - other) / (2 * h)
        out.append(grad)
    return out


# ---------------------------------------------------------------------------- train and predict

PARAM_SHAPES = dict(nn.PARAM_SHAPES)
PARAM_NAMES = tuple(PARAM_SHAPES)
LN10 = math.log(10)


def params_problem(params) -> str | None:
    """What is wrong with the form of a parameter dict (None when it is W1, b1, W2, b2 of the right shapes)."""
    if not isinstance(params, dict):
        return f"the parameters should be a dict with keys {', '.join(map(repr, PARAM_NAMES))}; they are {render.value(params, 80)}."
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        return f"the parameter dict has no {', '.join(map(repr, missing))}; it should hold {', '.join(map(repr, PARAM_NAMES))}."
    for name, shape in PARAM_SHAPES.items():
        value = params[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
            return f"params[{name!r}] should be a NumPy array of numbers; it is {render.value(value, 60)}."
        if value.shape != shape:
            return f"params[{name!r}] has shape {render.shape(value)}; it should be {shape}."
    return None


def _run(got):
    """(params, losses as a float array, or None) of what train returned; (None, None) when it has no such form."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None
    params, losses = got
    try:
        losses = np.asarray(losses, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        losses = None
    return params, losses


def _ends(losses: np.ndarray) -> tuple[float, float]:
    """The mean loss of the first and of the last tenth of the run (at least one step each)."""
    k = max(1, len(losses) // 10)
    return float(np.mean(losses[:k])), float(np.mean(losses[-k:]))


def diverges(case, got) -> bool:
    """[loss-diverges]: the loss curve blows up (inf or nan, or ends well above where it began), or the weights do."""
    params, losses = _run(got)
    if isinstance(params, dict) and any(isinstance(v, np.ndarray) and v.dtype.kind == "f" and not np.all(np.isfinite(v)) for v in params.values()):
        return True
    if losses is None or len(losses) == 0:
        return False
    if not np.all(np.isfinite(losses)):
        return True
    first, last = _ends(losses)
    return last > max(1.5 * first, LN10 + 0.5)


def flat(case, got) -> bool:
    """[loss-flat]: a finite loss curve that hardly comes down (the last tenth within 10 % of the first)."""
    params, losses = _run(got)
    if losses is None or len(losses) < 2 or not np.all(np.isfinite(losses)):
        return False
    first, last = _ends(losses)
    return last >= 0.9 * first


def predict_judge(expected):
    """predict's labels: an int array equal to the reference's (the class of highest score)."""

    def judge(got, **_values) -> str | None:
        if not isinstance(got, np.ndarray):
            return f"predict should return a NumPy array of labels; it returned {render.value(got, 60)}."
        if got.dtype.kind not in "iu":
            return (f"predict returned an array of dtype {got.dtype}; labels are whole numbers: take the index of the highest "
                    "score (argmax over the classes), which is an integer.")
        mismatch = compare(expected, got, returns="ndarray")
        return None if mismatch is None else mismatch.detail

    return judge


def run_problem(got) -> str | None:
    """What is wrong with the form of what train returned (None when it is (params, losses) as asked)."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return (f"train should return the pair (params, losses): the dict of trained weights and the list of the "
                f"loss of every step; it returned {render.value(got, 80)}.")
    problem = params_problem(got[0])
    if problem:
        return problem
    try:
        np.asarray(got[1], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return f"losses should be a list of numbers, the loss of every step; it is {render.value(got[1], 60)}."
    return None


def accuracy_problem(labels, y_test, threshold: float, losses) -> str | None:
    """The network's accuracy from its ``labels`` for the test digits, in words when below ``threshold``."""
    accuracy = float(np.mean(np.asarray(labels) == y_test))
    if accuracy >= threshold:
        return None
    losses = np.asarray(losses, dtype=np.float64).reshape(-1)
    run = ""
    if len(losses) and np.all(np.isfinite(losses)):
        first, last = _ends(losses)
        run = f" Over its {len(losses)} steps the loss went from {first:.3g} to {last:.3g} (averages of the first and last tenth)."
    elif len(losses):
        run = " Its loss reached inf or nan."
    return f"the trained network reads {accuracy:.1%} of the {len(y_test)} test digits right; at least {threshold:.0%} is asked.{run}"


def accuracy_judge(X_test, y_test, threshold: float = 0.95):
    """The training run: (params, losses) of the right form, and the network's accuracy on the test digits.

    The accuracy is measured here, with the reference's forward pass on the returned weights
    (the learner's predict is checked on its own cases): a predict that looked labels up could not
    pass it off as learning.
    """

    def judge(got, **_values) -> str | None:
        problem = run_problem(got)
        if problem:
            return problem
        params, losses = got
        with np.errstate(all="ignore"):
            labels = nn.predict({k: np.asarray(params[k], dtype=np.float64) for k in PARAM_NAMES}, X_test)
        return accuracy_problem(labels, y_test, threshold, losses)

    return judge


def kit_accuracy_judge(y_test, threshold: float = 0.95):
    """A learner kit's judge of the training run: as :func:`accuracy_judge`, with the test digits' labels
    from the learner's own predict (``then``; the kit holds no forward pass), which its own cases check."""

    def judge(got, then=None, **_values) -> str | None:
        problem = run_problem(got)
        if problem:
            return problem
        if not isinstance(then, np.ndarray) or then.shape != np.shape(y_test):
            return ("predict(params, X_test) on the trained weights did not return one label per test digit, so this kit "
                    "cannot measure the accuracy (the grader measures it with its own forward pass): fix predict first.")
        return accuracy_problem(then, y_test, threshold, got[1])

    return judge


def start_judge():
    """train with epochs=0: the starting weights, drawn with the seed, and no loss yet."""

    def judge(got, **_values) -> str | None:
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return f"train should return the pair (params, losses); it returned {render.value(got, 80)}."
        params, losses = got
        problem = params_problem(params)
        if problem:
            return problem
        try:
            count = len(losses)
        except TypeError:
            return f"losses should be a list of the loss of every step; it is {render.value(losses, 60)}."
        if count:
            return f"with epochs=0 no step is taken, so the list of losses should be empty; it has {count} value(s)."
        for name in ("W1", "W2"):
            weights = np.asarray(params[name], dtype=np.float64)
            if not np.all(np.isfinite(weights)) or np.all(weights == 0) or np.max(np.abs(weights)) > 5:
                return (f"with epochs=0 this is your starting {name}: {render.value(weights, 60)}. Draw the starting weights with "
                        "np.random.default_rng(seed), small and random (for example normal with standard deviation "
                        "sqrt(2 / fan-in)), never all zeros: filters that start equal stay equal.")
        return None

    return judge
