"""03-cnn-layers: cross-correlation, channels, a convolutional layer and its backward pass,
pooling and its backward pass, learning a kernel.

The wrong implementations, detectors and judges the misconceptions use live in
:mod:`autograder.exercises.cnn_layers_detect`; this module declares the exercises.
"""
from __future__ import annotations

import math

import numpy as np

from .. import references as ref
from ..engine.spec import (AUTODIFF_FORBIDDEN, BY_HAND_FORBIDDEN, Case, ErrorCase,
                           Exercise, Misconception, Numbers, Tolerance)
from . import cnn_layers_detect as wrong
from .generators import KINDS, LARGE_KINDS, large_shape, matches_any, values

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


def _large_channels(rng: np.random.Generator, c_in: int, c_out: int | None, kernel: tuple[int, int], kind: str):
    """A large multi-channel input (beyond 32x32) and its kernels, with a label."""
    shape = large_shape(rng)
    X = values(rng, (c_in, *shape), kind)
    K = values(rng, (c_in, *kernel) if c_out is None else (c_out, c_in, *kernel), kind)
    label = f"{c_in} channels of {shape[0]}x{shape[1]}, {kernel[0]}x{kernel[1]} kernels, {LARGE_KINDS[kind]}"
    return X, K, label


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


def _corr2d_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [Case((X, K), label=label) for label, X, K in _fit_pairs(rng)]
    cases.append(Case(([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, -1]]), label="plain Python lists"))
    for kind, kernel in (("big", (3, 3)), ("uint8", (4, 5))):
        shape = large_shape(rng)
        cases.append(Case((values(rng, shape, kind), values(rng, kernel, kind)),
                          label=f"a {shape[0]}x{shape[1]} image, {kernel[0]}x{kernel[1]} kernel, {LARGE_KINDS[kind]}"))
    return cases


FLIPPED_CORR = Misconception(
    "flipped",
    "Your numbers are what a true convolution gives: the kernel was turned around before sliding. "
    "A CNN layer slides K exactly as it is stored, so Y[i, j] pairs X[i + a, j + b] with K[a, b], the same offset on both. "
    "Check Y[0, 0] of the lesson's example by hand: 0*0 + 1*1 + 3*2 + 4*3 = 19.",
    detect=matches_any(wrong.corr_flips),
)

OFF_BY_ONE = Misconception(
    "length-off-by-one",
    "The output has one row or column too many or too few. A kernel of height kh fits in H - kh + 1 vertical positions "
    "(the last one starts at row H - kh), and likewise W - kw + 1 horizontal ones: a 2x2 kernel on the 3x3 lesson image "
    "gives a 2x2 result.",
    detect=wrong.corr_off_by_one,
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
    for c, kind, kernel in ((3, "big", (3, 3)), (2, "uint8", (4, 3))):
        X, K, label = _large_channels(rng, c, None, kernel, kind)
        cases.append(Case((X, K), label=label))
    return cases


NOT_SUMMED = Misconception(
    "channels-not-summed",
    "Each channel of X has its own kernel slice, but together they make ONE output map: cross-correlate X[c] with K[c] "
    "for every channel c and add the results. In the lesson, 56 = 19 (channel 0) + 37 (channel 1).",
    detect=matches_any(wrong.not_summed),
)

CHANNEL_AXIS = Misconception(
    "channel-axis",
    "Your code takes the channels along a different axis. Here, as in PyTorch and MXNet, the channel axis comes first: "
    "X has shape (C, H, W) and K has shape (C, kh, kw), so X[c] is one whole image and K[c] its kernel "
    "(Keras stores channels last, which is not the layout of this exercise).",
    detect=matches_any(wrong.channels_last),
)

FIRST_CHANNEL_ONLY = Misconception(
    "first-channel-only",
    "Your result uses only the first channel: X[0] with K[0]. Every channel of X contributes to the map, each with its "
    "own kernel slice; loop over all C of them (their number is X.shape[0]) and add what each one gives.",
    detect=matches_any(wrong.first_channel),
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
    misconceptions=(NOT_SUMMED, CHANNEL_AXIS, FIRST_CHANNEL_ONLY),
    forbidden=BY_HAND,
)


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
    for c_in, c_out, kind, kernel in ((2, 3, "big", (3, 3)), (3, 2, "uint8", (2, 3))):
        X, K, label = _large_channels(rng, c_in, c_out, kernel, kind)
        cases.append(Case((X, K), label=f"{c_out} outputs from {label}"))
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
            detect=matches_any(wrong.stacked_last),
        ),
        Misconception(
            "channels-not-summed",
            "Each output channel is ONE map: for output o, cross-correlate every input channel X[c] with K[o, c] and add "
            "them up, as corr2d_multi_in does. Your result keeps the input channels apart.",
            detect=matches_any(wrong.in_out_not_summed),
        ),
        Misconception(
            "first-channel-only",
            "Your result leaves channels out: either only the first input channel X[0] takes part, or only the first bank "
            "of kernels K[0] is used. Output o needs all of X's channels, each with its slice K[o, c], and there is one "
            "output for every bank in K (K.shape[0] of them).",
            detect=matches_any(wrong.in_out_first_channel),
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
        kwargs = {"stride": stride, "padding": padding}
        if n % 4 == 1:
            kwargs["activation"] = "relu"
            label += ", ReLU"
        cases.append(Case((X, W, b), kwargs, label=f"{label}, {KINDS[kind]}"))
    X = values(rng, (2, 6, 6), "uint8")
    W = values(rng, (2, 2, 3, 3), "uint8")
    b = values(rng, 2, "uint8")
    cases.append(Case((X, W, b), {"padding": 1}, label="uint8 input, weights and biases, large values"))
    for c_in, c_out, kind, kernel, stride, padding, activation in ((3, 2, "big", (3, 3), 2, 1, None),
                                                                    (2, 2, "uint8", (3, 2), (1, 2), (1, 0), "relu")):
        X, W, label = _large_channels(rng, c_in, c_out, kernel, kind)
        b = values(rng, c_out, "neg")
        cases.append(Case((X, W, b), {"stride": stride, "padding": padding, "activation": activation},
                          label=f"{c_out} outputs from {label}, stride {stride}, padding {padding}, activation {activation}"))
    return cases


STRIDE_NOT_IN_WINDOW = (
    "Your output has the right size, but its windows do not move by the stride: output (i, j) comes from the window "
    "whose top-left corner is at row i * s and column j * s of the padded input, not at (i, j). With stride 2 the "
    "second window starts two rows further down, so its values skip every other position."
)

HEIGHT_WIDTH_SWAPPED = (
    "Your result matches rows and columns mixed up: a pair such as stride=(1, 3) or padding=(2, 1) is (rows, columns), "
    "height first, like NumPy shapes: stride (1, 3) moves 1 row down and 3 columns across. (Pillow and OpenCV write "
    "sizes width first; NumPy and this course never do.) Check each formula against the axis it belongs to: rows with "
    "H, kh, s_rows and p_rows, columns with W, kw, s_cols and p_cols."
)

conv2d_layer = Exercise(
    id="conv2d_layer",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv2d_layer",),
    signature="conv2d_layer(X, W, b, stride=1, padding=0, activation=None)",
    title="The forward pass of a convolutional layer: padding, stride, bias, ReLU",
    reference=ref.conv2d_layer,
    visible=(
        Case(([LESSON_X], [[LESSON_K]], [1]), expected=np.array([[[20, 26], [38, 44]]]),
             label="the lesson's corr2d example plus a bias of 1"),
        Case((MULTI_X, [MULTI_K], [1]), {"stride": 2, "padding": 1}, expected=np.array([[[5, 27], [58, 121]]]),
             label="the worked example: two channels, padding 1, stride 2, bias 1"),
        Case((SHAPE_X, _weights(3, 3), [1]), {"padding": 1}, label="8x8 input, kernel 3, padding 1: 8x8 out"),
        Case((SHAPE_X, _weights(5, 3), [1]), {"padding": (2, 1)}, label="8x8 input, kernel (5, 3), padding (2, 1): 8x8 out"),
        Case((SHAPE_X, _weights(3, 3), [1]), {"stride": 2, "padding": 1}, label="8x8 input, kernel 3, padding 1, stride 2: 4x4 out"),
        Case((SHAPE_X, _weights(3, 5), [1]), {"stride": (3, 4), "padding": (0, 1)},
             label="8x8 input, kernel (3, 5), padding (0, 1), stride (3, 4): 2x2 out"),
        Case(([LESSON_X], [[LESSON_K]], [-30]), {"activation": "relu"}, expected=np.array([[[0, 0], [7, 13]]]),
             label="the lesson's example with bias -30 and activation='relu': -11 and -5 become 0"),
    ),
    hidden_cases=_layer_hidden,
    errors=(ErrorCase(([LESSON_X], [[LESSON_K]], [1]), {"activation": "sigmoid"}, label="an activation other than None and 'relu'"),),
    misconceptions=(
        Misconception(
            "flipped",
            "Your layer flips the kernel, as a true convolution would. Deep-learning libraries compute a cross-correlation: "
            "out[o, i, j] adds W[o, c, a, b] * X_padded[c, i*s + a, j*s + b], with the same offsets (a, b) on both.",
            wrong=wrong.layer_flipped,
        ),
        Misconception(
            "no-bias",
            "The bias is missing: every value of output channel o gets b[o] added once, after the sum over channels and "
            "kernel positions. In the lesson's example the cross-correlation gives 19 and the layer, with bias 1, gives 20.",
            wrong=wrong.layer_no_bias,
        ),
        Misconception(
            "bias-per-element",
            "The bias went into the sum: it was added once for every product of a window and the kernel (kh * kw times, "
            "or kh * kw * C_in times). A bias is one number per output channel, added ONCE to each output value, after "
            "the window's products have been summed. The lesson's example with bias 1 gives 20, not 19 + 4.",
            detect=matches_any(wrong.layer_bias_per_element),
        ),
        Misconception(
            "stride-ignored",
            "Your windows move one pixel at a time whatever the stride. With stride s the window's top-left corner visits "
            "rows 0, s, 2s, ... of the padded input, so there are floor((n + 2p - k) / s) + 1 of them: 4 for n = 8, k = 3, "
            "p = 1, s = 2.",
            wrong=wrong.layer_stride_ignored,
        ),
        Misconception("stride-not-in-window", STRIDE_NOT_IN_WINDOW, wrong=wrong.layer_stride_not_in_window),
        Misconception(
            "padding-one-side",
            "Padding p means p rows of zeros above AND p below (and p columns on the left AND on the right): the padded "
            "input is (H + 2p) x (W + 2p). Your zeros are on one side only.",
            detect=matches_any(wrong.layer_one_side),
        ),
        Misconception("height-width-swapped", HEIGHT_WIDTH_SWAPPED, wrong=wrong.layer_hw_swapped),
        Misconception(
            "first-channel-only",
            "Your layer leaves channels out: only the first input channel, or only the first filter, takes part. Output "
            "channel o sums over ALL input channels (each with its slice W[o, c]), and there is one output channel per "
            "filter, W.shape[0] of them.",
            detect=matches_any(wrong.layer_first_channel),
        ),
        Misconception(
            "relu-before-bias",
            "The ReLU came before the bias: you applied max(0, .) to the sums and added the bias afterwards, so the "
            "lesson's 19 (already positive, the ReLU kept it) became 19 - 30 = -11, a negative output that a ReLU layer can "
            "never give. Add the bias first, then apply max(0, .) to the result: max(0, 19 - 30) = 0.",
            wrong=wrong.relu_before_bias,
        ),
        Misconception(
            "relu-always",
            "Your layer applies the ReLU even when activation is None. The default, activation=None, leaves the values as "
            "they are, negative ones included; only activation='relu' replaces them by max(0, value). In the lesson's "
            "example with bias -30, the layer without activation gives -11 and -5 where the ReLU layer gives 0.",
            wrong=wrong.relu_always,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# conv2d_layer_backward

#: A small float layer whose gradients are compared with central differences.
NUMERIC_X = np.round(np.random.default_rng(3).normal(0, 1, (2, 4, 5)), 2)
NUMERIC_W = np.round(np.random.default_rng(4).normal(0, 1, (2, 2, 3, 2)), 2)
NUMERIC_B = np.array([0.5, -1.0])
NUMERIC_DOUT = np.round(np.random.default_rng(5).normal(0, 1, (2, 4, 2)), 2)


def _backward_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("1 input, 1 output, 2x2 kernel", 1, 1, (4, 5), (2, 2), 1, 0),
        ("2 inputs, 3 outputs, 3x3 kernels, padding 1", 2, 3, (5, 6), (3, 3), 1, 1),
        ("stride 2, no padding", 1, 2, (7, 7), (3, 3), 2, 0),
        ("stride 2, padding 1", 3, 1, (6, 8), (3, 3), 2, 1),
        ("stride and padding as pairs", 2, 2, (7, 8), (3, 2), (2, 3), (1, 0)),
        ("stride larger than the kernel (rows the gradient never reaches)", 1, 2, (9, 8), (2, 2), 3, 0),
        ("1x1 kernels", 3, 2, (4, 3), (1, 1), 1, 0),
        ("kernel as large as the padded input", 2, 1, (3, 3), (5, 5), 1, 1),
        ("1xN input", 2, 2, (1, 9), (1, 3), (1, 2), (0, 1)),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, c_in, c_out, hw, khw, stride, padding) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = values(rng, (c_in, *hw), kind)
        W = values(rng, (c_out, c_in, *khw), "neg" if kind == "uint8" else kind)
        b = values(rng, c_out, "neg")
        out_shape = ref.conv2d_layer(X, W, b, stride, padding).shape
        dout = values(rng, out_shape, "float" if n % 2 else "neg")
        cases.append(Case((dout, X, W, b), {"stride": stride, "padding": padding}, label=f"{label}, {KINDS[kind]}"))
    for c_in, c_out, kind, kernel, stride, padding in ((2, 2, "big", (3, 3), 1, 1), (3, 1, "uint8", (3, 2), (2, 1), (0, 1))):
        X, W, label = _large_channels(rng, c_in, c_out, kernel, kind)
        b = values(rng, c_out, "neg")
        dout = values(rng, ref.conv2d_layer(X, W, b, stride, padding).shape, kind)
        cases.append(Case((dout, X, W, b), {"stride": stride, "padding": padding},
                          label=f"{c_out} output(s) from {label}, stride {stride}, padding {padding}, dout of the same kind"))
    return cases


DX_NOT_FLIPPED = (
    "Your dX slides the kernel over dout as it is stored (a correlation). Follow one weight: W[a, b] multiplied "
    "X[i + a, j + b] to make out[i, j], so dout[i, j] * W[a, b] goes back to X[i + a, j + b]. Seen from one input pixel, "
    "the outputs below and to the right of it reach it with weights from the kernel's top-left corner: the kernel arrives "
    "turned by 180 degrees, which makes dX a 'full' CONVOLUTION of dout with W (flip and slide, as in assignment 1). "
    "Send each dout value back through W onto its window, or turn W round before sliding it."
)
DX_FLIPPED_TWICE = (
    "You send each dout value back onto its window through the kernel, which is the right method, but through a kernel "
    "you turned round first. Sending dout[i, j] * W[a, b] to X[i + a, j + b] already does the turning (the outputs below and "
    "to the right of a pixel reach it through the kernel's top-left weights); turning W as well turns it twice. Scatter "
    "through W exactly as it is stored."
)


def _dx_turned(not_flipped: str, flipped_twice: str) -> tuple[Misconception, ...]:
    """The two routes to the same wrong dX, named by the code that took them (a correlation of dout with W as stored,
    or a scatter through a kernel the learner turned round), each first in the words for "dW and db are right"."""
    turned = wrong.component(0, wrong.dx_not_flipped)
    right_parts = "dW and db are right; dX is wrong. "
    return (
        Misconception("dx-not-flipped", right_parts + not_flipped, detect=wrong.dx_only(turned), code=wrong.keeps_kernel),
        Misconception("dx-flipped-twice", right_parts + flipped_twice, detect=wrong.dx_only(turned), code=wrong.turns_kernel),
        Misconception("dx-not-flipped", not_flipped, detect=turned, code=wrong.keeps_kernel),
        Misconception("dx-flipped-twice", flipped_twice, detect=turned, code=wrong.turns_kernel),
    )


def _stride_ignored_backward(case, got) -> bool:
    parts = wrong.backward_stride_ignored(*case.args, **case.kwargs)
    return bool(parts) and any(wrong.component(i, lambda *a, **k: [parts[i]])(case, got) for i in range(2))


conv2d_layer_backward = Exercise(
    id="conv2d_layer_backward",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv2d_layer_backward",),
    signature="conv2d_layer_backward(dout, X, W, b, stride=1, padding=0)",
    title="The backward pass of a convolutional layer: dX, dW and db by hand",
    reference=ref.conv2d_layer_backward,
    returns="tuple",
    visible=(
        Case((np.ones((1, 2, 2), dtype=int), [LESSON_X], [[LESSON_K]], [0]),
             expected=(np.array([[[0, 1, 1], [2, 6, 4], [2, 5, 3]]]), np.array([[[[8, 12], [20, 24]]]]), np.array([4])),
             label="the lesson's 3x3 grid and kernel, dout all ones"),
        Case((np.ones((1, 2, 2), dtype=int), MULTI_X, [MULTI_K], [1]), {"stride": 2, "padding": 1},
             label="the worked example of conv2d_layer (two channels, padding 1, stride 2), dout all ones"),
        Case(([[[1, 0], [0, 0]], [[0, 0], [0, 2]]], [LESSON_X], [[LESSON_K], [[[1, 0], [0, -1]]]], [0, 0]),
             label="two output channels, each with one nonzero gradient"),
        Case((NUMERIC_DOUT, NUMERIC_X, NUMERIC_W, NUMERIC_B), {"stride": (1, 2), "padding": (1, 0)},
             label="floats, stride (1, 2), padding (1, 0): every gradient against nudges of every input and weight",
             judge=wrong.layer_numeric_judge(NUMERIC_DOUT, NUMERIC_X, NUMERIC_W, NUMERIC_B, (1, 2), (1, 0))),
    ),
    hidden_cases=_backward_hidden,
    errors=(
        ErrorCase((np.ones((1, 3, 3)), [LESSON_X], [[LESSON_K]], [0]), label="dout of shape (1, 3, 3) for a 2x2 output"),
    ),
    misconceptions=(
        *_dx_turned(DX_NOT_FLIPPED, DX_FLIPPED_TWICE),
        Misconception(
            "dx-valid-not-full",
            "Your dX is smaller than X: it looks like a 'valid' sliding of the kernel over dout. Every input pixel that any "
            "window covered needs a gradient, the ones near the border included, where fewer windows reached. Send each "
            "dout value back to ALL the positions of its window (or pad dout by kh - 1 rows and kw - 1 columns, a 'full' "
            "size): dX always has the shape of X.",
            detect=wrong.dx_valid_shape,
        ),
        Misconception(
            "db-not-summed",
            "db is not the sum of dout over each output map. The bias b[o] was added to EVERY value of output channel o, so "
            "each of those values sends its dout back to it: db[o] = dout[o].sum(), one number per output channel.",
            detect=wrong.component(2, wrong.db_not_summed),
        ),
        Misconception(
            "stride-ignored",
            "Your gradients treat the windows as if they moved one pixel at a time. Output (i, j) came from the window whose "
            "top-left corner is at (i * s_rows, j * s_cols) of the padded input, so that is where its gradient goes back "
            "to (for dX) and where its input values come from (for dW).",
            detect=_stride_ignored_backward,
        ),
        Misconception(
            "padding-not-cropped",
            "Your dX has the shape of the PADDED input. The padding's zeros are not inputs of the layer: nobody needs their "
            "gradient. Compute the gradient of the padded input, then cut p_rows rows from the top and the bottom and "
            "p_cols columns from each side, so that dX has the shape of X.",
            detect=wrong.padding_not_cropped,
        ),
    ),
    forbidden=BY_HAND + AUTODIFF_FORBIDDEN,
)


# ----------------------------------------------------------------------------
# pool2d


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
    for kind, pool, stride, mode in (("big", (3, 2), (2, 1), "max"), ("uint8", (2, 3), 2, "avg")):
        shape = large_shape(rng)
        cases.append(Case((values(rng, shape, kind), pool), {"stride": stride, "mode": mode},
                          label=f"'{mode}', a {shape[0]}x{shape[1]} input, windows {pool}, stride {stride}, {LARGE_KINDS[kind]}"))
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
            wrong=wrong.pool_stride_ignored,
        ),
        Misconception("stride-not-in-window", STRIDE_NOT_IN_WINDOW.replace(" of the padded input", " of X"),
                      wrong=wrong.pool_stride_not_in_window),
        Misconception(
            "avg-max-swapped",
            "Your 'max' and 'avg' are exchanged: 'max' keeps the largest value of each window and 'avg' the mean of its "
            "values. The lesson's first window [[0, 1], [3, 4]] gives 4 for 'max' and 2 for 'avg'.",
            wrong=wrong.pool_swapped_modes,
        ),
        Misconception(
            "mode-ignored",
            "Your pool2d gives the same kind of result whatever `mode` says: every window gives its largest value (or every "
            "window its mean), so one of the two modes is right and the other is not. Read `mode` and branch on it: 'max' "
            "keeps the largest value of each window, 'avg' the mean of its values (the lesson's first window [[0, 1], [3, 4]] "
            "gives 4 for 'max' and 2 for 'avg').",
            wrong=wrong.pool_always_max,
        ),
        Misconception(
            "ceil-not-floor",
            "Your output has an extra row or column for a window that hangs over the edge of X. Pooling here keeps only "
            "windows that fit entirely, floor((H - ph) / s) + 1 of them per axis, which is how the notes' 11x11 map "
            "becomes 5x5 after 2x2 pooling with stride 2 (rounding down).",
            detect=wrong.pool_ceil_shape,
        ),
        Misconception(
            "size-ignores-pool",
            "Your output size does not depend on the window: it looks like H / s (and W / s) positions, the last windows cut "
            "short at the edge. A window of ph rows must fit entirely, so its top row can go no further than H - ph: that "
            "leaves floor((H - ph) / s) + 1 positions (2 for the lesson's 3x3 grid with 2x2 windows and stride 1, not 3).",
            detect=matches_any(wrong.pool_size_ignores_pool),
        ),
        Misconception("height-width-swapped", HEIGHT_WIDTH_SWAPPED.replace("stride=(1, 3) or padding=(2, 1)", "pool_size=(2, 3) or stride=(1, 2)")
                      .replace(" with H, kh, s_rows and p_rows, columns with W, kw, s_cols and p_cols", " with H, ph and s_rows, columns with W, pw and s_cols"),
                      wrong=wrong.pool_hw_swapped),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# pool2d_backward

#: Distinct values (no ties), so that a nudge never changes which one is a window's maximum.
NUMERIC_POOL_X = np.random.default_rng(6).permutation(30).reshape(5, 6) / 4.0
NUMERIC_POOL_DOUT = np.round(np.random.default_rng(7).normal(0, 1, (4, 4)), 2)


def _pool_backward_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("2x2 windows, stride 2", (6, 8), (2, 2), 2),
        ("2x2 windows, stride 2, odd sides (a row and a column no window reaches)", (7, 5), (2, 2), 2),
        ("3x3 windows, stride 1 (overlapping)", (5, 6), (3, 3), 1),
        ("3x2 windows, stride (2, 1) (overlapping along the rows)", (7, 6), (3, 2), (2, 1)),
        ("window given as an int, stride 3", (7, 8), 2, 3),
        ("1x1 windows", (3, 4), (1, 1), 1),
        ("window as large as the input", (3, 5), (3, 5), 1),
        ("1xN input", (1, 9), (1, 3), (1, 2)),
    ]
    kinds = ["int", "neg", "float", "uint8"]
    cases = []
    for n, (label, shape, pool, stride) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = values(rng, shape, kind)
        for mode in ("max", "avg"):
            dout = values(rng, ref.pool2d(X, pool, stride, mode).shape, "float" if (n + len(mode)) % 2 else "neg")
            cases.append(Case((dout, X, pool), {"stride": stride, "mode": mode}, label=f"'{mode}', {label}, X of {KINDS[kind]}"))
    X = rng.integers(0, 3, size=(6, 6))
    cases.append(Case((values(rng, (5, 5), "int"), X, (2, 2)), label="'max' with many ties (values 0 to 2), default stride and mode"))
    for kind, pool, stride, mode in (("big", (3, 3), 2, "max"), ("uint8", (2, 2), 1, "avg")):
        shape = large_shape(rng)
        X = values(rng, shape, kind)
        dout = values(rng, ref.pool2d(X, pool, stride, mode).shape, "big")
        cases.append(Case((dout, X, pool), {"stride": stride, "mode": mode},
                          label=f"'{mode}', a {shape[0]}x{shape[1]} input, windows {pool}, stride {stride}, {LARGE_KINDS[kind]}"))
    return cases


pool2d_backward = Exercise(
    id="pool2d_backward",
    assignment=ASSIGNMENT,
    kind="function",
    names=("pool2d_backward",),
    signature="pool2d_backward(dout, X, pool_size, stride=1, mode='max')",
    title="The backward pass of pooling: where each window's gradient goes",
    reference=ref.pool2d_backward,
    visible=(
        Case(([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2)), {"stride": 2},
             expected=np.array([[0, 0, 0, 0], [0, 1, 0, 2], [0, 0, 0, 0], [0, 3, 0, 4]]),
             label="the 4x4 grid, 2x2 windows, stride 2, 'max': each gradient goes to its window's maximum"),
        Case(([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2)), {"stride": 2, "mode": "avg"},
             expected=np.array([[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]]),
             label="the same with 'avg': each gradient shared by the window's four positions"),
        Case((np.ones((2, 2), dtype=int), LESSON_X, (2, 2)), expected=np.array([[0, 0, 0], [0, 1, 1], [0, 1, 1]]),
             label="the lesson's 3x3 grid, 2x2 windows, stride 1: the maxima 4, 5, 7, 8 each get one window's gradient"),
        Case((np.ones((2, 2)), LESSON_X, (2, 2)), {"mode": "avg"},
             expected=np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]),
             label="the lesson's grid with 'avg': the centre is in all four windows and collects 4 x 0.25"),
        Case(([[5]], [[7, 7], [7, 7]], (2, 2)), expected=np.array([[5, 0], [0, 0]]),
             label="a tie: the first maximum in row-major order gets the gradient"),
        Case((NUMERIC_POOL_DOUT, NUMERIC_POOL_X, (2, 3)), {"stride": (1, 1)},
             label="distinct floats, 2x3 windows, stride 1: dX against nudges of every input",
             judge=wrong.pool_numeric_judge(NUMERIC_POOL_DOUT, NUMERIC_POOL_X, (2, 3), (1, 1), "max")),
    ),
    hidden_cases=_pool_backward_hidden,
    errors=(
        ErrorCase(([[1, 2], [3, 4]], LESSON_X, (2, 2)), {"mode": "min"}, label="an unknown mode"),
        ErrorCase(([[1, 2, 3]], LESSON_X, (2, 2)), label="dout of shape (1, 3) for a 2x2 output"),
    ),
    misconceptions=(
        Misconception(
            "max-grad-all-ties",
            "Where a window holds its maximum more than once, your gradient went to every copy (the mask x == max(x)). The "
            "forward pass kept ONE value, and only that one can change the output: send the window's gradient to the first "
            "maximum in row-major order (what argmax returns), and nothing to the other copies.",
            wrong=wrong.max_grad_all_ties,
        ),
        Misconception(
            "max-grad-everywhere",
            "With 'max' every position of a window got the window's gradient. Only the maximum reached the output; the other "
            "values of the window could change a little without changing it, so their gradient from this window is 0. Send "
            "dout[i, j] to the position of the window's maximum alone (the first one if several are equal).",
            wrong=wrong.max_grad_everywhere,
        ),
        Misconception(
            "avg-not-divided",
            "With 'avg' each position got the window's whole gradient. The output is the MEAN of ph * pw values, so each value "
            "counts for 1 / (ph * pw) of it: each position gets dout[i, j] / (ph * pw) from that window.",
            wrong=wrong.avg_not_divided,
        ),
        Misconception(
            "overlap-overwritten",
            "Where windows overlap, a later window replaced what an earlier one had sent (assignment, =). A value that sits "
            "in several windows, or is the maximum of several, influences each of their outputs, and its gradient is the SUM "
            "of what every window sends back: add (+=).",
            wrong=wrong.overlap_overwritten,
        ),
        Misconception(
            "mode-ignored",
            "Your pool2d_backward sends the gradient back the same way whatever `mode` says: every window's gradient goes to "
            "its maximum (or is shared by all its positions), so one of the two modes is right and the other is not. Branch "
            "on `mode`: with 'max' only the window's maximum gets dout[i, j]; with 'avg' each of its ph * pw positions gets "
            "dout[i, j] / (ph * pw).",
            wrong=wrong.backward_always_max,
        ),
    ),
    forbidden=BY_HAND + AUTODIFF_FORBIDDEN,
)


# ----------------------------------------------------------------------------
# learn_kernel

#: How close the lessons' runs must land to [[1, -1]] (the catalog's 0.1 for the
#: default run; the 6x9 run with lr = 2e-2 and 30 steps gets within 3e-4).
EDGE_TOL = 0.1
EDGE9_LR, EDGE9_EPOCHS, EDGE9_TOL = 2e-2, 30, 0.01
HIDDEN_TOL = 1e-4
#: The largest stable learning rates: 1 / 42 on the notes' 6x9 stripe, 1 / 30 on the book's 6x8 one.
MAX_STABLE_LR = wrong.stable_limit(EDGE_X, (1, 2))
BOOK_STABLE_LR = wrong.stable_limit(EDGE_X_D2L, (1, 2))


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
        A = wrong.design(X, *shape)
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
        half = wrong.descend(X, Y, np.zeros(shape), lr, epochs, 1.0)
        if np.max(np.abs(half - target)) < 20 * HIDDEN_TOL:
            continue
        args, kwargs = ((X, Y, shape, lr, epochs), {}) if positional else ((X, Y, shape), {"lr": lr, "epochs": epochs})
        return Case(args, kwargs, label=label, judge=wrong.learned_judge(target, shape, HIDDEN_TOL, lr, hidden=True))


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
                      judge=wrong.start_judge((2, 3))))
    return cases


def _edge_target(X) -> np.ndarray:
    return ref.corr2d(X, EDGE_K)


learn_kernel = Exercise(
    id="learn_kernel",
    assignment=ASSIGNMENT,
    kind="function",
    names=("learn_kernel",),
    signature="learn_kernel(X, Y, kernel_shape, lr=3e-2, epochs=10, seed=0)",
    title="Learning the edge kernel by gradient descent, gradient by hand",
    reference=ref.learn_kernel,
    visible=(
        Case((EDGE_X_D2L, _edge_target(EDGE_X_D2L), (1, 2)), {"epochs": 0}, label="epochs=0: the starting kernel",
             judge=wrong.start_judge((1, 2))),
        Case((EDGE_X_D2L, _edge_target(EDGE_X_D2L), (1, 2)),
             label="the 6x8 stripe, lr = 3e-2 and 10 steps: within 0.1 of [[1, -1]]",
             judge=wrong.learned_judge(EDGE_K, (1, 2), EDGE_TOL, 3e-2, hidden=False)),
        Case((EDGE_X, _edge_target(EDGE_X), (1, 2)), {"lr": EDGE9_LR, "epochs": EDGE9_EPOCHS},
             label="the notes' 6x9 stripe, lr = 2e-2 and 30 steps: within 0.01 of [[1, -1]]",
             judge=wrong.learned_judge(EDGE_K, (1, 2), EDGE9_TOL, EDGE9_LR, hidden=False)),
        Case((EDGE_X, _edge_target(EDGE_X), (1, 2)), {"lr": 5e-2, "epochs": 10},
             label="the notes' run with lr = 5e-2, which diverges: any kernel of shape (1, 2), even one of inf or nan",
             judge=lambda got, **_values: wrong.kernel_problem(got, (1, 2))),
    ),
    hidden_cases=_learn_hidden,
    returns="ndarray",
    forbidden=BY_HAND + AUTODIFF_FORBIDDEN,
)

# ----------------------------------------------------------------------------
# max_stable_lr: each student's own stripe

#: Each student's stripe: its rows and its columns (with two or more columns of ones on each side, two or more of zeros).
STRIPE_ROWS = (4, 8)
STRIPE_COLUMNS = (8, 12)
#: Limits closer than this ratio are not told apart: more than 2 x 5 % apart, so no rate is within 5 % of both.
SEPARATION = 1.12
#: The rates the notebook and its checks name (the experiment's 0.005 and 0.01, the start's 0.01, the check's 2e-2,
#: the book's 3e-2, the notes' 5e-2): none passes for a student's limit (within 5 %, and a point more for rounding).
NAMED_RATES = (0.005, 0.01, 0.02, 0.03, 0.05)


def stripe_image(numbers: dict) -> np.ndarray:
    """The image a student's numbers describe: ones, with the columns ``stripe[0]`` to ``stripe[1] - 1`` zero."""
    X = np.ones((numbers["rows"], numbers["columns"]))
    X[:, numbers["stripe"][0]:numbers["stripe"][1]] = 0
    return X


def _stripe_limit(numbers: dict) -> float:
    return wrong.stable_limit(stripe_image(numbers), (1, 2))


def _narrower(numbers: dict) -> dict:
    """The same stripe one column narrower (its last column of ones dropped): the book's 6x8 for the notes' 6x9."""
    return {**numbers, "columns": numbers["columns"] - 1}


def _apart(a: float, b: float) -> bool:
    return max(a, b) / min(a, b) > SEPARATION


def _tried_rate(rate: float) -> bool:
    """A rate of one or two significant digits (0.05, 0.04): one a learner tries by experiment; or one that a rate
    the notebook names would pass for."""
    return abs(float(f"{rate:.2g}") / rate - 1) < 1e-9 or any(abs(named / rate - 1) <= 0.06 for named in NAMED_RATES)


def _avoided_stripes() -> tuple:
    """The stripes no student gets: those whose limit could be taken for the lesson's or the book's, or whose
    one-column-narrower limit (a value the judge names) could be taken for the lesson's; and those whose limit is
    a round rate, which a learner trying rates would hit exactly, where the run neither converges nor diverges, or
    close enough to a rate the notebook names that this rate would pass for it."""
    out = []
    for rows in range(STRIPE_ROWS[0], STRIPE_ROWS[1] + 1):
        for columns in range(STRIPE_COLUMNS[0], STRIPE_COLUMNS[1] + 1):
            for start in range(2, columns - 3):
                for stop in range(start + 2, columns - 1):
                    numbers = {"rows": rows, "columns": columns, "stripe": [start, stop]}
                    limit, narrower = _stripe_limit(numbers), _stripe_limit(_narrower(numbers))
                    if not (_apart(limit, MAX_STABLE_LR) and _apart(limit, BOOK_STABLE_LR) and _apart(limit, narrower)
                            and _apart(narrower, MAX_STABLE_LR)) or _tried_rate(limit):
                        out.append((rows, columns, start, stop))
    return tuple(out)


#: (rows, columns, first zero column, first column of ones after the stripe) of the stripes no student gets.
AVOIDED_STRIPES = _avoided_stripes()
LESSON_STRIPE = {"rows": 6, "columns": 9, "stripe": [2, 6]}


def draw_stripe(rng: np.random.Generator) -> dict:
    """A student's own stripe: a white image (ones) with a vertical black stripe (zeros), for the largest stable rate.

    Bounds (STRIPE_ROWS, STRIPE_COLUMNS): four to eight rows and eight to twelve columns, at least two columns of
    ones on each side of the stripe and at least two of zeros in it, like the lesson's: small enough to work the
    curvature out on paper and to run by experiment, and the two weights of the kernel see the same amount of white.
    The stripes of AVOIDED_STRIPES are never drawn: their rate could be taken for the lesson's or the book's, or the
    rate of the same stripe one column narrower (which the feedback names) for the lesson's, or it is a round number
    that trying rates would hit exactly, or a rate the notebook names would pass for it. (The docstring states its
    bounds in words: a learner kit ships this code.)"""
    widest = STRIPE_COLUMNS[1]
    while True:  # every stripe within the bounds equally likely
        rows = int(rng.integers(STRIPE_ROWS[0], STRIPE_ROWS[1] + 1))
        columns = int(rng.integers(STRIPE_COLUMNS[0], widest + 1))
        start = int(rng.integers(2, widest - 3))
        stop = int(rng.integers(4, widest - 1))
        if stop - start >= 2 and columns - stop >= 2 and (rows, columns, start, stop) not in AVOIDED_STRIPES:
            return {"rows": rows, "columns": columns, "stripe": [start, stop]}


def describe_stripe(numbers: dict) -> str:
    """Two lines of NumPy that build the stripe."""
    return (f"X = np.ones(({numbers['rows']}, {numbers['columns']})); "
            f"X[:, {numbers['stripe'][0]}:{numbers['stripe'][1]}] = 0")


def title_stripe(numbers: dict) -> str:
    if numbers == LESSON_STRIPE:
        return "The largest learning rate for which gradient descent converges on the notes' 6x9 stripe"
    return f"The largest learning rate for which gradient descent converges on your {numbers['rows']}x{numbers['columns']} stripe"


def _stripe_answers(numbers: dict) -> dict:
    return {"max_stable_lr": _stripe_limit(numbers)}


def _stripe_cases(numbers: dict) -> tuple:
    """The judge for the stripe's limit; its one-column-narrower limit gets a message of its own (the book's 6x8
    for the notes' 6x9)."""
    if numbers == LESSON_STRIPE:
        return max_stable_lr.visible
    size = f"{numbers['rows']}x{numbers['columns']}"
    narrower = f"{numbers['rows']}x{numbers['columns'] - 1}"
    message = (f"max_stable_lr is the limit of the same stripe one column narrower, a {narrower} image. Yours is one column "
               f"wider, and that column changes the curvature: redo it for your {size} image.")
    judge = wrong.max_lr_judge(_stripe_limit(numbers), _stripe_limit(_narrower(numbers)), stripe=f"your {size} stripe",
                               book_message=message)
    return (Case(judge=judge, label="within 5 % of the limit"),)


max_stable_lr = Exercise(
    id="max_stable_lr",
    assignment=ASSIGNMENT,
    kind="value",
    names=("max_stable_lr",),
    title="The largest learning rate for which gradient descent converges on the notes' 6x9 stripe",
    values={"max_stable_lr": MAX_STABLE_LR},
    tolerance=Tolerance(rtol=0.05, atol=0.0),
    visible=(Case(judge=wrong.max_lr_judge(MAX_STABLE_LR, BOOK_STABLE_LR), label="within 5 % of the limit"),),
    numbers=Numbers(draw=draw_stripe, lesson=LESSON_STRIPE, answers=_stripe_answers, describe=describe_stripe,
                    title=title_stripe, cases=_stripe_cases),
)

EXERCISES = [corr2d, corr2d_multi_in, corr2d_multi_in_out, conv2d_layer, pool2d, learn_kernel, max_stable_lr,
             conv2d_layer_backward, pool2d_backward]
