"""03-cnn-layers: cross-correlation, channels, a convolutional layer, pooling, learning a kernel."""
from __future__ import annotations

import math

import numpy as np

from .. import references as ref
from ..engine import render
from ..engine.spec import (AUTODIFF_FORBIDDEN, BY_HAND_FORBIDDEN, Case, ErrorCase,
                           Exercise, Misconception)
from .generators import KINDS, matches_any, values

ASSIGNMENT = "03-cnn-layers"

# The lessons' inputs (notes after Dive into Deep Learning).
LESSON_X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
LESSON_K = [[0, 1], [2, 3]]
MULTI_X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
MULTI_K = [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]
EDGE_K = [[1, -1]]


def edge_image(width: int) -> np.ndarray:
    """The lessons' black stripe on white: ones with columns 2..5 set to zero."""
    X = np.ones((6, width))
    X[:, 2:6] = 0
    return X


EDGE_X = edge_image(9)  # the notes' image (6x9)
EDGE_X_D2L = edge_image(8)  # the image of the source the notes follow (6x8)


def _edge_map() -> np.ndarray:
    """What the lesson prints for corr2d(EDGE_X, [[1, -1]]): +1 and -1 at the two edges."""
    Y = np.zeros((6, 8))
    Y[:, 1] = 1
    Y[:, 5] = -1
    return Y


BY_HAND = BY_HAND_FORBIDDEN


# ----------------------------------------------------------------------------
# corr2d


def _fit_pairs(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, image, kernel) with the kernel no larger than the image."""
    shapes = [
        ("square image, 3x3 kernel", (5, 5), (3, 3)),
        ("wide image, 1x2 kernel", (4, 7), (1, 2)),
        ("tall image, 2x3 kernel", (6, 3), (2, 3)),
        ("even-sided image and kernel", (6, 8), (2, 4)),
        ("kernel as large as the image", (3, 4), (3, 4)),
        ("1x1 kernel", (3, 4), (1, 1)),
        ("1xN image", (1, 6), (1, 3)),
        ("Nx1 image", (5, 1), (3, 1)),
        ("1x1 image and kernel", (1, 1), (1, 1)),
        ("5x5 kernel", (7, 6), (5, 5)),
        ("odd image, even kernel", (7, 5), (4, 2)),
    ]
    kinds = list(KINDS)
    out = []
    for n, (label, image_shape, kernel_shape) in enumerate(shapes):
        kind = kinds[n % len(kinds)]
        out.append((f"{label}, {KINDS[kind]}", values(rng, image_shape, kind), values(rng, kernel_shape, kind)))
    out.append(("uint8 image and kernel, large values", values(rng, (6, 6), "uint8"), values(rng, (3, 2), "uint8")))
    out.append(("float image, integer kernel", values(rng, (5, 7), "float"), values(rng, (2, 3), "neg")))
    return out


def _flips(X, K):
    K = np.asarray(K)
    return [ref.corr2d(X, np.flip(K)), ref.corr2d(X, np.flip(K, 0)), ref.corr2d(X, np.flip(K, 1))]


def _off_by_one(case, got) -> bool:
    if not isinstance(got, np.ndarray) or got.ndim != 2:
        return False
    expected = ref.corr2d(*case.args)
    diff = [abs(g - e) for g, e in zip(got.shape, expected.shape)]
    return max(diff) == 1


def _corr2d_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [Case((X, K), label=label) for label, X, K in _fit_pairs(rng)]
    cases.append(Case(([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, -1]]), label="plain Python lists"))
    return cases


FLIPPED_CORR = Misconception(
    "flipped",
    "Your numbers are what a true convolution gives: the kernel was turned around before sliding. "
    "A CNN layer slides K exactly as it is stored, so Y[i, j] pairs X[i + a, j + b] with K[a, b], the same offset on both. "
    "Check Y[0, 0] of the lesson's example by hand: 0*0 + 1*1 + 3*2 + 4*3 = 19.",
    detect=matches_any(_flips),
)

OFF_BY_ONE = Misconception(
    "length-off-by-one",
    "The output has one row or column too many or too few. A kernel of height kh fits in H - kh + 1 vertical positions "
    "(the last one starts at row H - kh), and likewise W - kw + 1 horizontal ones: a 2x2 kernel on the 3x3 lesson image "
    "gives a 2x2 result.",
    detect=_off_by_one,
)

corr2d = Exercise(
    id="corr2d",
    assignment=ASSIGNMENT,
    kind="function",
    names=("corr2d",),
    signature="corr2d(X, K)",
    title="2-D cross-correlation, 'valid' size, by hand",
    reference=ref.corr2d,
    visible=(
        Case((LESSON_X, LESSON_K), expected=np.array([[19, 25], [37, 43]]), label="the lesson's 3x3 example"),
        Case((EDGE_X, EDGE_K), expected=_edge_map(), label="the lesson's stripe: 1 and -1 at its two vertical edges"),
        Case((EDGE_X.T, EDGE_K), expected=np.zeros((9, 5)), label="the stripe transposed: [[1, -1]] sees no horizontal edges"),
    ),
    hidden_cases=_corr2d_hidden,
    misconceptions=(FLIPPED_CORR, OFF_BY_ONE),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# corr2d_multi_in and corr2d_multi_in_out


def _per_channel(X, K) -> np.ndarray:
    return np.stack([ref.corr2d(x, k) for x, k in zip(np.asarray(X), np.asarray(K))])


def _not_summed(X, K):
    stack = _per_channel(X, K)
    return [stack, stack[0], stack[-1]]


def _channels_last(X, K):
    """Channels taken from the last axis (the Keras layout), or summed over a wrong axis."""
    X, K = np.asarray(X), np.asarray(K)
    out = []
    try:
        out.append(sum(ref.corr2d(X[..., c], K[..., c]) for c in range(K.shape[-1])))
    except (ValueError, IndexError):
        pass
    stack = _per_channel(X, K)
    out += [stack.sum(axis=1), stack.sum(axis=2)]
    return out


def _multi_in_hidden(rng: np.random.Generator) -> list[Case]:
    shapes = [
        ("three channels, 2x2 kernels", 3, (5, 6), (2, 2)),
        ("one channel", 1, (4, 5), (2, 3)),
        ("two channels, kernels as wide as the image", 2, (5, 3), (2, 3)),
        ("four channels, 3x3 kernels", 4, (6, 6), (3, 3)),
        ("two channels, 1x1 kernels", 2, (3, 4), (1, 1)),
        ("three channels, kernel as large as the image", 3, (3, 3), (3, 3)),
        ("two channels, even-sided image", 2, (6, 8), (3, 2)),
        ("five channels, 1xN image", 5, (1, 7), (1, 3)),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, c, hw, khw) in enumerate(shapes):
        kind = kinds[n % len(kinds)]
        X = values(rng, (c, *hw), kind)
        K = values(rng, (c, *khw), kind)
        cases.append(Case((X, K), label=f"{label}, {KINDS[kind]}"))
    cases.append(Case((values(rng, (3, 5, 5), "uint8"), values(rng, (3, 2, 2), "uint8")), label="uint8 input and kernels, large values"))
    cases.append(Case((values(rng, (2, 4, 6), "float"), values(rng, (2, 3, 2), "neg")), label="float input, integer kernels"))
    return cases


NOT_SUMMED = Misconception(
    "channels-not-summed",
    "Each channel of X has its own kernel slice, but together they make ONE output map: cross-correlate X[c] with K[c] "
    "for every channel c and add the results. In the lesson, 56 = 19 (channel 0) + 37 (channel 1).",
    detect=matches_any(_not_summed),
)

CHANNEL_AXIS = Misconception(
    "channel-axis",
    "Your code takes the channels along a different axis. Here, as in PyTorch and MXNet, the channel axis comes first: "
    "X has shape (C, H, W) and K has shape (C, kh, kw), so X[c] is one whole image and K[c] its kernel "
    "(Keras stores channels last, which is not the layout of this exercise).",
    detect=matches_any(_channels_last),
)

corr2d_multi_in = Exercise(
    id="corr2d_multi_in",
    assignment=ASSIGNMENT,
    kind="function",
    names=("corr2d_multi_in",),
    signature="corr2d_multi_in(X, K)",
    title="Several input channels: one kernel slice per channel, results added",
    reference=ref.corr2d_multi_in,
    visible=(
        Case((MULTI_X, MULTI_K), expected=np.array([[56, 72], [104, 120]]), label="the lesson's two-channel example"),
    ),
    hidden_cases=_multi_in_hidden,
    errors=(
        ErrorCase((MULTI_X, [MULTI_K[0]]), label="X has 2 channels, K has 1"),
        ErrorCase((MULTI_X, MULTI_K + [[[1, 1], [1, 1]]]), label="X has 2 channels, K has 3"),
    ),
    misconceptions=(NOT_SUMMED, CHANNEL_AXIS),
    forbidden=BY_HAND,
)


def _stacked_last(X, K):
    out = ref.corr2d_multi_in_out(X, K)
    return [np.moveaxis(out, 0, -1)]


def _in_out_not_summed(X, K):
    X, K = np.asarray(X), np.asarray(K)
    return [np.stack([_per_channel(X, k) for k in K])]


def _multi_in_out_hidden(rng: np.random.Generator) -> list[Case]:
    shapes = [
        ("3 outputs from 2 inputs, 2x2 kernels", 3, 2, (5, 6), (2, 2)),
        ("1 output from 3 inputs", 1, 3, (4, 4), (3, 3)),
        ("4 outputs from 1 input", 4, 1, (5, 3), (2, 1)),
        ("2 outputs from 2 inputs, 1x1 kernels", 2, 2, (3, 5), (1, 1)),
        ("2 outputs from 4 inputs, kernel as large as the image", 2, 4, (3, 2), (3, 2)),
        ("3 outputs from 3 inputs, even-sided image", 3, 3, (6, 8), (2, 4)),
        ("5 outputs from 2 inputs, 1xN image", 5, 2, (1, 6), (1, 2)),
        ("2 outputs from 3 inputs, Nx1 image", 2, 3, (6, 1), (3, 1)),
        ("1 output from 1 input", 1, 1, (4, 5), (2, 3)),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, c_out, c_in, hw, khw) in enumerate(shapes):
        kind = kinds[n % len(kinds)]
        cases.append(Case((values(rng, (c_in, *hw), kind), values(rng, (c_out, c_in, *khw), kind)), label=f"{label}, {KINDS[kind]}"))
    cases.append(Case((values(rng, (2, 5, 5), "uint8"), values(rng, (3, 2, 2, 2), "uint8")), label="uint8 input and kernels, large values"))
    return cases


corr2d_multi_in_out = Exercise(
    id="corr2d_multi_in_out",
    assignment=ASSIGNMENT,
    kind="function",
    names=("corr2d_multi_in_out",),
    signature="corr2d_multi_in_out(X, K)",
    title="Several output channels: one multi-input cross-correlation per output",
    reference=ref.corr2d_multi_in_out,
    visible=(
        Case((MULTI_X, np.stack([np.array(MULTI_K) + i for i in range(3)])),
             expected=np.array([[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]),
             label="the lesson's kernels stacked as (K, K + 1, K + 2)"),
    ),
    hidden_cases=_multi_in_out_hidden,
    errors=(ErrorCase((MULTI_X, [[[[1]]], [[[2]]]]), label="X has 2 channels, K expects 1"),),
    misconceptions=(
        Misconception(
            "channel-axis",
            "The output channels belong on the first axis: the result has shape (C_out, H', W'), and result[o] is the map "
            "made with the kernels K[o]. Your maps are stacked along another axis.",
            detect=matches_any(_stacked_last),
        ),
        Misconception(
            "channels-not-summed",
            "Each output channel is ONE map: for output o, cross-correlate every input channel X[c] with K[o, c] and add "
            "them up, as corr2d_multi_in does. Your result keeps the input channels apart.",
            detect=matches_any(_in_out_not_summed),
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# conv2d_layer

SHAPE_X = np.arange(64).reshape(1, 8, 8)


def _weights(kh: int, kw: int) -> np.ndarray:
    """A small, lopsided kernel (so that a flip shows) of shape (1, 1, kh, kw)."""
    return (np.arange(kh * kw) % 4 - 1).reshape(1, 1, kh, kw)


def _layer_args(args, kwargs):
    X, W, b = args[:3]
    stride = args[3] if len(args) > 3 else kwargs.get("stride", 1)
    padding = args[4] if len(args) > 4 else kwargs.get("padding", 0)
    return X, W, b, stride, padding


def _pair(v):
    return (v, v) if np.ndim(v) == 0 else tuple(v)


def _one_side(*args, **kwargs):
    X, W, b, stride, padding = _layer_args(args, kwargs)
    ph, pw = _pair(padding)
    if ph == 0 and pw == 0:
        return []
    X = np.asarray(X)
    out = []
    for before in (True, False):
        widths = ((0, 0), (ph, 0), (pw, 0)) if before else ((0, 0), (0, ph), (0, pw))
        try:
            out.append(ref.conv2d_layer(np.pad(X, widths), W, b, stride, 0))
        except ValueError:
            pass
    return out


def _layer_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    kinds = list(KINDS)
    settings = [
        ("2 inputs, 3 outputs, 3x3 kernels, padding 1", 2, 3, (6, 7), (3, 3), 1, 1),
        ("stride 2, no padding", 1, 2, (7, 7), (3, 3), 2, 0),
        ("stride 2, padding 1", 3, 1, (8, 6), (3, 3), 2, 1),
        ("stride as a pair (1, 3)", 2, 2, (5, 9), (2, 2), (1, 3), 0),
        ("padding as a pair (2, 0)", 1, 2, (4, 6), (3, 3), 1, (2, 0)),
        ("stride and padding as pairs", 2, 2, (7, 8), (3, 5), (3, 2), (1, 2)),
        ("stride larger than the kernel", 1, 1, (9, 9), (2, 2), 3, 0),
        ("1x1 kernels with padding 2", 3, 2, (3, 4), (1, 1), 1, 2),
        ("kernel larger than the input, padded to fit", 1, 2, (2, 3), (4, 5), 1, 2),
        ("even kernel, stride 2, padding 1", 2, 1, (6, 6), (2, 4), 2, 1),
        ("stride that leaves rows unused", 1, 3, (8, 7), (3, 2), (3, 4), 0),
        ("1xN input", 2, 2, (1, 8), (1, 3), (1, 2), (0, 1)),
    ]
    for n, (label, c_in, c_out, hw, khw, stride, padding) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = values(rng, (c_in, *hw), kind)
        W = values(rng, (c_out, c_in, *khw), kind if kind != "uint8" else "neg")
        b = values(rng, c_out, "float" if n % 3 == 0 else "neg")
        cases.append(Case((X, W, b), {"stride": stride, "padding": padding}, label=f"{label}, {KINDS[kind]}"))
    X = values(rng, (2, 6, 6), "uint8")
    W = values(rng, (2, 2, 3, 3), "uint8")
    b = values(rng, 2, "uint8")
    cases.append(Case((X, W, b), {"padding": 1}, label="uint8 input, weights and biases, large values"))
    return cases


conv2d_layer = Exercise(
    id="conv2d_layer",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv2d_layer",),
    signature="conv2d_layer(X, W, b, stride=1, padding=0)",
    title="The forward pass of a convolutional layer: padding, stride, bias",
    reference=ref.conv2d_layer,
    visible=(
        Case(([LESSON_X], [[LESSON_K]], [1]), expected=np.array([[[20, 26], [38, 44]]]),
             label="the lesson's corr2d example plus a bias of 1"),
        Case((SHAPE_X, _weights(3, 3), [1]), {"padding": 1}, label="8x8 input, kernel 3, padding 1: 8x8 out"),
        Case((SHAPE_X, _weights(5, 3), [1]), {"padding": (2, 1)}, label="8x8 input, kernel (5, 3), padding (2, 1): 8x8 out"),
        Case((SHAPE_X, _weights(3, 3), [1]), {"stride": 2, "padding": 1}, label="8x8 input, kernel 3, padding 1, stride 2: 4x4 out"),
        Case((SHAPE_X, _weights(3, 5), [1]), {"stride": (3, 4), "padding": (0, 1)},
             label="8x8 input, kernel (3, 5), padding (0, 1), stride (3, 4): 2x2 out"),
    ),
    hidden_cases=_layer_hidden,
    misconceptions=(
        Misconception(
            "flipped",
            "Your layer flips the kernel, as a true convolution would. Deep-learning libraries compute a cross-correlation: "
            "out[o, i, j] adds W[o, c, a, b] * X_padded[c, i*s + a, j*s + b], with the same offsets (a, b) on both.",
            wrong=lambda X, W, b, stride=1, padding=0: ref.conv2d_layer(X, np.flip(np.asarray(W), (-2, -1)), b, stride, padding),
        ),
        Misconception(
            "no-bias",
            "The bias is missing: every value of output channel o gets b[o] added once, after the sum over channels and "
            "kernel positions. In the lesson's example the cross-correlation gives 19 and the layer, with bias 1, gives 20.",
            wrong=lambda X, W, b, stride=1, padding=0: ref.conv2d_layer(X, W, np.zeros(np.shape(b)), stride, padding),
        ),
        Misconception(
            "stride-ignored",
            "Your windows move one pixel at a time whatever the stride. With stride s the window's top-left corner visits "
            "rows 0, s, 2s, ... of the padded input, so there are floor((n + 2p - k) / s) + 1 of them: 4 for n = 8, k = 3, "
            "p = 1, s = 2.",
            wrong=lambda X, W, b, stride=1, padding=0: ref.conv2d_layer(X, W, b, 1, padding),
        ),
        Misconception(
            "padding-one-side",
            "Padding p means p rows of zeros above AND p below (and p columns on the left AND on the right): the padded "
            "input is (H + 2p) x (W + 2p). Your zeros are on one side only.",
            detect=matches_any(_one_side),
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# pool2d


def _pool_args(args, kwargs):
    X, pool_size = args[:2]
    stride = args[2] if len(args) > 2 else kwargs.get("stride", 1)
    mode = args[3] if len(args) > 3 else kwargs.get("mode", "max")
    return X, pool_size, stride, mode


def _ceil_shape(case, got) -> bool:
    X, pool_size, stride, _ = _pool_args(case.args, case.kwargs)
    (h, w), (ph, pw), (sh, sw) = np.shape(X), _pair(pool_size), _pair(stride)
    ceil = (-(-(h - ph) // sh) + 1, -(-(w - pw) // sw) + 1)
    floor = ((h - ph) // sh + 1, (w - pw) // sw + 1)
    return isinstance(got, np.ndarray) and ceil != floor and got.shape == ceil


def _pool_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("2x2 windows, stride 2, even sides", (6, 8), (2, 2), 2),
        ("2x2 windows, stride 2, odd sides (a row and a column left over)", (7, 5), (2, 2), 2),
        ("3x3 windows, stride 1", (5, 6), (3, 3), 1),
        ("3x3 windows, stride 2", (8, 8), (3, 3), 2),
        ("window given as an int", (5, 7), 2, 3),
        ("stride as a pair", (6, 9), (2, 3), (1, 2)),
        ("1x1 window, stride 2", (5, 4), (1, 1), 2),
        ("window as large as the input", (3, 4), (3, 4), 1),
        ("1xN input", (1, 9), (1, 3), (1, 3)),
        ("stride larger than the window", (9, 7), (2, 2), 3),
        ("the notes' 11x11 map, 2x2 windows, stride 2", (11, 11), (2, 2), 2),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, shape, pool, stride) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = values(rng, shape, kind)
        for mode in ("max", "avg"):
            if n % 2 == 0 or mode == "max" or "odd" in label or "notes" in label:
                cases.append(Case((X, pool), {"stride": stride, "mode": mode}, label=f"'{mode}', {label}, {KINDS[kind]}"))
    cases.append(Case((values(rng, (4, 6), "neg"), (2, 3)), label="default stride and mode, negative integers"))
    return cases


pool2d = Exercise(
    id="pool2d",
    assignment=ASSIGNMENT,
    kind="function",
    names=("pool2d",),
    signature="pool2d(X, pool_size, stride=1, mode='max')",
    title="Max and average pooling over the windows that fit",
    reference=ref.pool2d,
    visible=(
        Case((LESSON_X, (2, 2)), expected=np.array([[4, 5], [7, 8]]), label="the lesson's max pooling"),
        Case((LESSON_X, (2, 2)), {"mode": "avg"}, expected=np.array([[2.0, 3.0], [5.0, 6.0]]), label="the lesson's average pooling"),
        Case((np.arange(16).reshape(4, 4), (2, 2)), {"stride": 2}, expected=np.array([[5, 7], [13, 15]]),
             label="2x2 windows with stride 2: 16 values become 4"),
    ),
    hidden_cases=_pool_hidden,
    errors=(ErrorCase((LESSON_X, (2, 2)), {"mode": "min"}, label="an unknown mode"),),
    misconceptions=(
        Misconception(
            "stride-ignored",
            "Your windows move one step at a time whatever the stride. With stride s the window starts at rows 0, s, 2s, ... "
            "and columns 0, s, 2s, ...: 2x2 windows with stride 2 on a 4x4 input give 2x2 values, not 3x3.",
            wrong=lambda X, pool_size, stride=1, mode="max": ref.pool2d(X, pool_size, 1, mode),
        ),
        Misconception(
            "avg-max-swapped",
            "Your 'max' and 'avg' are exchanged: 'max' keeps the largest value of each window and 'avg' the mean of its "
            "values. The lesson's first window [[0, 1], [3, 4]] gives 4 for 'max' and 2 for 'avg'.",
            wrong=lambda X, pool_size, stride=1, mode="max": ref.pool2d(X, pool_size, stride, {"max": "avg", "avg": "max"}.get(mode, mode)),
        ),
        Misconception(
            "ceil-not-floor",
            "Your output has an extra row or column for a window that hangs over the edge of X. Pooling here keeps only "
            "windows that fit entirely, floor((H - ph) / s) + 1 of them per axis, which is how the notes' 11x11 map "
            "becomes 5x5 after 2x2 pooling with stride 2 (rounding down).",
            detect=_ceil_shape,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# learn_kernel

#: How close the lessons' runs must land to [[1, -1]] (the catalog's 0.1 for the
#: default run; the 6x9 run with lr = 2e-2 and 30 steps gets within 3e-4).
EDGE_TOL = 0.1
EDGE9_LR, EDGE9_EPOCHS, EDGE9_TOL = 2e-2, 30, 0.01
HIDDEN_TOL = 1e-4


def _kernel_problem(got, shape) -> str | None:
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


def _learned_judge(target, shape, tol: float, lr: float, hidden: bool):
    """A judge: the learner's kernel is within ``tol`` of ``target`` (every entry)."""
    shown_target = render.value(np.asarray(target), 60)
    target = np.asarray(target, dtype=float)

    def judge(got, **_values) -> str | None:
        problem = _kernel_problem(got, shape)
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


def _start_judge(shape):
    """A judge for epochs=0: the starting kernel is small and random."""

    def judge(got, **_values) -> str | None:
        problem = _kernel_problem(got, shape)
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


def _diverging_judge(shape):
    """The 5e-2 run: any kernel of the right shape, and diverging_lr must be True."""

    def judge(got, diverging_lr=None, **_values) -> str | None:
        if got is not None and isinstance(got, np.ndarray) and got.shape != tuple(shape):
            return _kernel_problem(got, shape)
        if not isinstance(diverging_lr, (bool, np.bool_)):
            return (f"diverging_lr should be True or False, from what your own run with lr = 5e-2 shows; "
                    f"it is {render.value(diverging_lr, 60)}.")
        if not diverging_lr:
            return ("diverging_lr is False, which is not what this run does. Run learn_kernel on the notes' 6x9 image with "
                    "lr=5e-2 for 1, 2, ..., 10 epochs and watch the loss, or look at the kernel after 10 steps.")
        return None

    return judge


def _design(X: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """The matrix A with corr2d(X, K).ravel() == A @ K.ravel()."""
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    return np.stack([X[a:a + oh, b:b + ow].ravel() for a in range(kh) for b in range(kw)], axis=1)


def _descend(X, Y, K, lr: float, epochs: int, factor: float) -> np.ndarray:
    """Gradient descent with the gradient scaled by ``factor`` (2 is right)."""
    kh, kw = K.shape
    A = _design(X, kh, kw)
    k, y = K.ravel().astype(float), Y.ravel()
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            k = k - lr * factor * (A.T @ (A @ k - y))
    return k.reshape(kh, kw)


def _learn_case(rng: np.random.Generator, shape: tuple[int, int], label: str, kind: str, positional: bool = False) -> Case:
    """A random image and target kernel, with lr and epochs chosen so that plain GD converges.

    lr = 1 / (lam_max + lam_min) of A^T A is the best fixed step for the summed squared
    error; every error component then shrinks by at most rho = (kappa - 1) / (kappa + 1)
    per step.  epochs makes rho**epochs * (|target| + 1) <= HIDDEN_TOL / 10, so every
    start within distance 1 of 0 lands within the tolerance.  Draws are rejected until
    the gradient without its factor 2 (half steps) misses by at least 20 tolerances.
    """
    while True:
        hw = (int(rng.integers(5, 9)), int(rng.integers(5, 9)))
        X = values(rng, hw, kind).astype(float) if kind != "float" else np.round(rng.normal(0.0, 1.0, hw), 2)
        A = _design(X, *shape)
        eig = np.linalg.eigvalsh(A.T @ A)
        if eig[0] <= 0:
            continue
        lr = float(f"{1.0 / (eig[-1] + eig[0]):.2g}")
        rho = float(np.max(np.abs(1.0 - 2.0 * lr * eig)))
        if rho > 0.5:
            continue
        rho = max(rho, 1e-3)  # a single weight can converge in one step
        target = np.round(rng.normal(0.0, 1.0, shape), 2)
        Y = ref.corr2d(X, target)
        epochs = int(math.ceil(math.log(HIDDEN_TOL / 10 / (np.linalg.norm(target) + 1)) / math.log(rho)))
        half = _descend(X, Y, np.zeros(shape), lr, epochs, 1.0)
        if np.max(np.abs(half - target)) < 20 * HIDDEN_TOL:
            continue
        args, kwargs = ((X, Y, shape, lr, epochs), {}) if positional else ((X, Y, shape), {"lr": lr, "epochs": epochs})
        return Case(args, kwargs, label=label, judge=_learned_judge(target, shape, HIDDEN_TOL, lr, hidden=True))


def _learn_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [
        _learn_case(rng, (1, 2), "a random 1x2 kernel on a random float image", "float"),
        _learn_case(rng, (2, 1), "a random 2x1 kernel on a random float image, lr and epochs passed by position", "float", positional=True),
        _learn_case(rng, (3, 1), "a random 3x1 kernel on a random float image", "float"),
        _learn_case(rng, (1, 1), "a single weight on an image of negative integers", "neg"),
        _learn_case(rng, (2, 2), "a random 2x2 kernel on a random float image", "float"),
        _learn_case(rng, (1, 3), "a random 1x3 kernel on an image of negative integers", "neg"),
        _learn_case(rng, (2, 2), "a random 2x2 kernel on an image of negative integers", "neg"),
    ]
    X = np.round(rng.normal(0.0, 1.0, (4, 5)), 2)
    cases.append(Case((X, np.zeros((3, 3)), (2, 3)), {"epochs": 0}, label="epochs=0 with a 2x3 kernel",
                      judge=_start_judge((2, 3))))
    return cases


def _edge_target(X) -> np.ndarray:
    return ref.corr2d(X, EDGE_K)


learn_kernel = Exercise(
    id="learn_kernel",
    assignment=ASSIGNMENT,
    kind="function",
    names=("learn_kernel", "diverging_lr"),
    signature="learn_kernel(X, Y, kernel_shape, lr=3e-2, epochs=10, seed=0)",
    title="Learning the edge kernel by gradient descent, gradient by hand",
    reference=ref.learn_kernel,
    visible=(
        Case((EDGE_X_D2L, _edge_target(EDGE_X_D2L), (1, 2)), {"epochs": 0}, label="epochs=0: the starting kernel",
             judge=_start_judge((1, 2))),
        Case((EDGE_X_D2L, _edge_target(EDGE_X_D2L), (1, 2)),
             label="the 6x8 stripe, lr = 3e-2 and 10 steps: within 0.1 of [[1, -1]]",
             judge=_learned_judge(EDGE_K, (1, 2), EDGE_TOL, 3e-2, hidden=False)),
        Case((EDGE_X, _edge_target(EDGE_X), (1, 2)), {"lr": EDGE9_LR, "epochs": EDGE9_EPOCHS},
             label="the notes' 6x9 stripe, lr = 2e-2 and 30 steps: within 0.01 of [[1, -1]]",
             judge=_learned_judge(EDGE_K, (1, 2), EDGE9_TOL, EDGE9_LR, hidden=False)),
        Case((EDGE_X, _edge_target(EDGE_X), (1, 2)), {"lr": 5e-2, "epochs": 10},
             label="the notes' run with lr = 5e-2, and your diverging_lr",
             judge=_diverging_judge((1, 2))),
    ),
    hidden_cases=_learn_hidden,
    returns="ndarray",
    forbidden=BY_HAND + AUTODIFF_FORBIDDEN,
)

EXERCISES = [corr2d, corr2d_multi_in, corr2d_multi_in_out, conv2d_layer, pool2d, learn_kernel]
