"""06-cnn-from-scratch: the layers of 03 batched and vectorised, a loss, a gradient check, and a
small network trained on the UCI handwritten digits.

Arrays are NCHW.  The wrong implementations, detectors and judges the
misconceptions use live in :mod:`autograder.exercises.cnn_scratch_detect`;
this module declares the exercises.  Every function is by hand: no library
convolution and no automatic differentiation.
"""
from __future__ import annotations

import numpy as np

from ..engine.probes import ScalarFunction
from ..engine.spec import (AUTODIFF_FORBIDDEN, BY_HAND_FORBIDDEN, Case, ErrorCase, Exercise,
                           Misconception, Setting, Tolerance)
from ..references import scratch as nn
from . import cnn_scratch_detect as wrong
from .cnn_layers_detect import component
from .generators import KINDS, matches_any, values

ASSIGNMENT = "06-cnn-from-scratch"
BY_HAND = BY_HAND_FORBIDDEN + AUTODIFF_FORBIDDEN

#: The lessons' 3x3 grid and 2x2 kernel (notes after Dive into Deep Learning), as a batch of one.
GRID = np.arange(9).reshape(1, 1, 3, 3)
KERNEL = np.array([[[[0, 1], [2, 3]]]])
#: The two-channel example of 03, as a batch of one image.
MULTI_X = np.array([[[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]])
MULTI_K = np.array([[[[0, 1], [2, 3]], [[1, 2], [3, 4]]]])
SIXTEEN = np.arange(16).reshape(1, 1, 4, 4)


def _batch(rng: np.random.Generator, shape, kind: str) -> np.ndarray:
    return values(rng, tuple(int(n) for n in shape), kind)


def _fixed(seed: int, shape, scale: float = 1.0) -> np.ndarray:
    """Floats drawn once, rounded to two decimals (the same in every notebook and every grader)."""
    return np.round(np.random.default_rng(seed).normal(0.0, scale, shape), 2)


# ----------------------------------------------------------------------------
# im2col

def _im2col_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("one image, one channel, 2x2 windows", (1, 1, 4, 5), (2, 2), 1, 0),
        ("three images of two channels, 3x3 windows", (3, 2, 5, 5), (3, 3), 1, 0),
        ("two channels, stride 2", (2, 2, 6, 7), (2, 2), 2, 0),
        ("padding 1, 3x3 windows", (2, 1, 4, 4), (3, 3), 1, 1),
        ("three channels, padding 2, stride 3", (1, 3, 5, 6), (3, 2), 3, 2),
        ("1x1 windows", (2, 3, 3, 4), (1, 1), 1, 0),
        ("a window as large as the image", (2, 2, 3, 4), (3, 4), 1, 0),
        ("windows wider than high, stride 2, padding 1", (2, 2, 5, 6), (2, 3), 2, 1),
        ("a stride that leaves rows unused", (1, 2, 8, 7), (3, 2), 3, 0),
        ("a 1-row image padded", (2, 1, 1, 6), (3, 3), 1, 1),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, shape, (kh, kw), stride, padding) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        cases.append(Case((_batch(rng, shape, kind), kh, kw), {"stride": stride, "padding": padding}, label=f"{label}, {KINDS[kind]}"))
    cases.append(Case((_batch(rng, (4, 3, 12, 12), "float"), 3, 3), {"padding": 1}, label="four images of three channels, 12x12, padding 1"))
    return cases


im2col = Exercise(
    id="im2col",
    assignment=ASSIGNMENT,
    kind="function",
    names=("im2col",),
    signature="im2col(X, kh, kw, stride=1, padding=0)",
    title="Every window of a batch as a row of one matrix",
    reference=nn.im2col,
    visible=(
        Case((SIXTEEN, 2, 2), {"stride": 2}, expected=np.array([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]),
             label="the worked example: 2x2 windows of the 4x4 grid with stride 2"),
        Case((SIXTEEN, 3, 3), label="3x3 windows with stride 1: four windows of nine values"),
        Case((GRID, 2, 2), {"padding": 1}, label="the 3x3 grid padded by 1: sixteen windows, zeros at the border"),
        Case((np.stack([MULTI_X[0], MULTI_X[0] + 10]), 2, 2),
             label="two images of two channels: the rows image by image, the columns channel by channel"),
    ),
    hidden_cases=_im2col_hidden,
    errors=(
        ErrorCase((np.arange(9).reshape(3, 3), 2, 2), label="a single 2-D image instead of a batch (N, C, H, W)"),
        ErrorCase((np.ones((1, 1, 3, 3)), 4, 4), label="4x4 windows on a 3x3 image without padding"),
    ),
    misconceptions=(
        Misconception(
            "im2col-order",
            "Your rows hold the right values in another order: channel by channel inside each kernel position "
            "(row, column, channel). A filter bank W of shape (F, C, kh, kw) flattens as W[f].ravel(), channel first, "
            "then kernel row, then kernel column; a row of im2col must line up with it, so it lists the whole kh x kw "
            "window of channel 0, then the window of channel 1, and so on.",
            wrong=wrong.im2col_channels_last,
        ),
        Misconception(
            "stride-ignored",
            "You took a window at every position, whatever the stride. With stride s the window's top-left corner "
            "visits rows 0, s, 2s, ... and columns 0, s, 2s, ... of the padded image: (H + 2p - kh) // s + 1 "
            "positions down, and likewise across (2 and 2 for the worked example, four rows in all).",
            wrong=wrong.im2col_stride_ignored,
        ),
        Misconception(
            "padding-ignored",
            "Your windows never see the padding: padding p surrounds every image with p rows of zeros above and below "
            "and p columns left and right before the windows are cut out, so there are more windows, and the ones at "
            "the border hold some of those zeros.",
            wrong=wrong.im2col_padding_ignored,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# conv_forward

#: The speed check's batch: 64 images of 8 channels, 16x16, with 16 filters of 3x3 and padding 1.
SPEED_X = _fixed(61, (64, 8, 16, 16))
SPEED_W = _fixed(62, (16, 8, 3, 3), 0.3)
SPEED_B = _fixed(63, (16,))
SPEED_FACTOR = 10
#: The same batch in two other orders, for the speed check's further calls (the fastest call counts):
#: the same work, which no memo of the first call answers.
SPEED_ORDERS = tuple(np.random.default_rng(seed).permutation(len(SPEED_X)) for seed in (67, 68))


def _conv_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("one image, 2 channels, 3 filters of 3x3, padding 1", 1, 2, 3, (5, 6), (3, 3), 1, 1),
        ("three images, 1 channel, 2 filters, stride 2", 3, 1, 2, (7, 7), (3, 3), 2, 0),
        ("two images, 3 channels, 1 filter, stride 2, padding 1", 2, 3, 1, (8, 6), (3, 3), 2, 1),
        ("four images, 2 channels, 2 filters of 2x2", 4, 2, 2, (5, 9), (2, 2), 1, 0),
        ("two images, 1x1 filters, padding 2", 2, 3, 2, (3, 4), (1, 1), 1, 2),
        ("a filter larger than the image, padded to fit", 2, 1, 2, (2, 3), (4, 5), 1, 2),
        ("a stride larger than the filter", 2, 1, 1, (9, 9), (2, 2), 3, 0),
        ("filters wider than high", 3, 2, 2, (6, 7), (2, 4), 1, 1),
        ("a 1-row image", 2, 2, 2, (1, 8), (1, 3), 2, 0),
    ]
    kinds = ["float", "int", "neg", "float"]
    cases = []
    for n, (label, count, c, f, hw, khw, stride, padding) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = _batch(rng, (count, c, *hw), kind)
        W = _batch(rng, (f, c, *khw), "float" if kind == "float" else "neg")
        b = _batch(rng, (f,), "float")
        cases.append(Case((X, W, b), {"stride": stride, "padding": padding}, label=f"{label}, {KINDS[kind]}"))
    X = _batch(rng, (4, 3, 16, 16), "float")
    cases.append(Case((X, _batch(rng, (5, 3, 3, 3), "float"), _batch(rng, (5,), "float")), {"padding": 1},
                      label="four images of 3 channels, 16x16, 5 filters, padding 1"))
    return cases


conv_forward = Exercise(
    id="conv_forward",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv_forward",),
    signature="conv_forward(X, W, b, stride=1, padding=0)",
    title="A convolutional layer on a batch, as one matrix product",
    reference=nn.conv_forward,
    visible=(
        Case((GRID, KERNEL, [1]), expected=np.array([[[[20.0, 26.0], [38.0, 44.0]]]]),
             label="the lesson's 3x3 grid and kernel with bias 1, as a batch of one"),
        Case((MULTI_X, MULTI_K, [1]), {"stride": 2, "padding": 1}, expected=np.array([[[[5.0, 27.0], [58.0, 121.0]]]]),
             label="03's worked example: two channels, padding 1, stride 2, bias 1"),
        Case((np.concatenate([GRID, 10 - GRID]), np.concatenate([KERNEL, -KERNEL]), [1, 0]),
             label="two images, two filters: each output map depends on its own image only"),
        Case((_fixed(64, (2, 2, 6, 6)), _fixed(65, (3, 2, 3, 3)), [0.5, -1.0, 0.0]), {"stride": 2, "padding": 1},
             label="floats: two images of 6x6, three filters, stride 2, padding 1"),
        Case((SPEED_X, SPEED_W, SPEED_B), {"padding": 1}, timed=True,
             again=tuple(((SPEED_X[order], SPEED_W, SPEED_B), {"padding": 1}) for order in SPEED_ORDERS),
             judge=wrong.speed_judge(SPEED_X, SPEED_W, SPEED_B, 1, SPEED_FACTOR, SPEED_ORDERS),
             label=f"64 images of 8 channels, 16x16, with 16 filters of 3x3: at least {SPEED_FACTOR} times faster than loops"),
    ),
    hidden_cases=_conv_hidden,
    errors=(
        ErrorCase((MULTI_X, KERNEL, [1]), label="X has 2 channels, W expects 1"),
        ErrorCase((GRID, KERNEL, [1, 2]), label="two biases for one filter"),
    ),
    misconceptions=(
        Misconception(
            "flipped",
            "Your layer turns the filter round, as a true convolution would. A layer computes a cross-correlation: "
            "out[n, f, i, j] adds W[f, c, a, e] * X_pad[n, c, i*s + a, j*s + e], the same offsets (a, e) on both; "
            "im2col's rows and W.reshape(F, -1) line up that way without any flip.",
            wrong=wrong.conv_flipped,
        ),
        Misconception(
            "no-bias",
            "The bias is missing: every value of output map f gets b[f] added once, after the products are summed. "
            "The lesson's example gives 19 without it and 20 with bias 1.",
            wrong=wrong.conv_no_bias,
        ),
        Misconception(
            "bias-per-element",
            "The bias went into the sum, once for every product of a window and a filter. It is one number per "
            "filter, added once to each output value: add b to the result of the matrix product (one column per "
            "filter), not to the matrices you multiply.",
            detect=matches_any(wrong.conv_bias_per_element),
        ),
        Misconception(
            "stride-ignored",
            "Your windows move one pixel at a time whatever the stride. With stride s there are "
            "(H + 2p - kh) // s + 1 window positions down and likewise across: 2x2 for 03's worked example.",
            wrong=wrong.conv_stride_ignored,
        ),
        Misconception(
            "stride-not-in-window",
            "Your output has the strided size, but its windows do not move by the stride: output (i, j) comes from the "
            "window whose top-left corner is at row i * s and column j * s of the padded image, not at (i, j).",
            wrong=wrong.conv_stride_not_in_window,
        ),
        Misconception(
            "padding-one-side",
            "Padding p means p rows of zeros above AND below, and p columns on the left AND the right: the padded image "
            "is (H + 2p) x (W + 2p). Your zeros are on one side only.",
            detect=matches_any(wrong.conv_one_side),
        ),
        Misconception(
            "first-channel-only",
            "Your layer leaves channels out: only the first input channel, or only the first filter, takes part. Each "
            "output map sums over ALL of X's channels, and there is one map per filter, W.shape[0] of them.",
            detect=matches_any(wrong.conv_first_channel),
        ),
        Misconception(
            "batch-mixed",
            "Your output maps mix the images of the batch: values that belong to one image turn up in another's maps. "
            "im2col's rows run image by image (then output row, then output column), so the product has one row per "
            "(image, position) and one column per filter; reshape it to (N, oh, ow, F) and only then move the filter "
            "axis to second place (a transpose), rather than reshaping straight to (N, F, oh, ow).",
            detect=matches_any(wrong.conv_batch_mixed),
        ),
    ),
    forbidden=BY_HAND,
    uses=("im2col",),
)


# ----------------------------------------------------------------------------
# conv_backward

NUMERIC_X = _fixed(66, (2, 2, 4, 5))
NUMERIC_W = _fixed(67, (3, 2, 3, 2))
NUMERIC_B = np.array([0.5, -1.0, 0.25])
NUMERIC_DOUT = _fixed(68, (2, 3, 4, 6))


def _backward_hidden(rng: np.random.Generator) -> list[Case]:
    settings = [
        ("one image, 1 channel, 1 filter of 2x2", 1, 1, 1, (4, 5), (2, 2), 1, 0),
        ("two images, 2 channels, 3 filters of 3x3, padding 1", 2, 2, 3, (5, 6), (3, 3), 1, 1),
        ("three images, stride 2", 3, 1, 2, (7, 7), (3, 3), 2, 0),
        ("two images, 3 channels, stride 2, padding 1", 2, 3, 1, (6, 8), (3, 3), 2, 1),
        ("a stride larger than the filter (pixels no window reaches)", 2, 1, 2, (9, 8), (2, 2), 3, 0),
        ("1x1 filters", 3, 3, 2, (4, 3), (1, 1), 1, 0),
        ("a filter as large as the padded image", 2, 2, 1, (3, 3), (5, 5), 1, 1),
        ("four images, filters wider than high", 4, 2, 2, (5, 6), (2, 3), 1, 1),
    ]
    kinds = ["float", "neg", "float", "int"]
    cases = []
    for n, (label, count, c, f, hw, khw, stride, padding) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        X = _batch(rng, (count, c, *hw), kind)
        W = _batch(rng, (f, c, *khw), "float" if kind == "float" else "neg")
        b = _batch(rng, (f,), "neg")
        dout = _batch(rng, nn.conv_forward(X, W, b, stride, padding).shape, "float" if n % 2 else "neg")
        cases.append(Case((dout, X, W, b), {"stride": stride, "padding": padding}, label=f"{label}, {KINDS[kind]}"))
    return cases


DX_NOT_FLIPPED = (
    "Your dX slides the kernel over dout as it is stored (a correlation). Follow one weight: W[f, c, a, e] multiplied "
    "X[n, c, i + a, j + e] to make out[n, f, i, j], so dout[n, f, i, j] * W[f, c, a, e] goes back to X[n, c, i + a, j + e]. "
    "Seen from one input pixel, the outputs below and to its right reach it through the kernel's top-left weights: "
    "the kernel arrives turned round by 180 degrees, which makes dX a 'full' CONVOLUTION of dout with W. "
    "Send each dout value back through W onto its window instead, or turn W round before correlating."
)
DX_FLIPPED_TWICE = (
    "You send each dout value back onto its window, which is the right method, but through a kernel you turned round "
    "first. The scatter itself already does the turning (the outputs below and to the right of a pixel reach it through "
    "the kernel's top-left weights), so turning W as well turns it twice: scatter dout[n, f, i, j] * W[f] as W is stored."
)
BOTH_RIGHT = "dW and db are right; dX is wrong. "


def _backward_misconceptions(prefix: str = "") -> tuple[Misconception, ...]:
    """conv2d_layer_backward's misconceptions (03) for a batch; ``prefix``: none for 03's own."""
    turned = component(0, wrong.dx_turned)
    return (
        Misconception("dx-not-flipped", BOTH_RIGHT + DX_NOT_FLIPPED, detect=wrong.dx_only(turned), code=wrong.keeps_kernel),
        Misconception("dx-flipped-twice", BOTH_RIGHT + DX_FLIPPED_TWICE, detect=wrong.dx_only(turned), code=wrong.turns_kernel),
        Misconception("dx-not-flipped", DX_NOT_FLIPPED, detect=turned, code=wrong.keeps_kernel),
        Misconception("dx-flipped-twice", DX_FLIPPED_TWICE, detect=turned, code=wrong.turns_kernel),
        Misconception(
            "dx-valid-not-full",
            "Your dX is smaller than X: it looks like a 'valid' sliding of the kernel over dout. Every input pixel any "
            "window covered needs a gradient, the border ones too; send each dout value back to ALL the positions of its "
            "window (col2im of dout's rows times the filters does exactly that): dX always has the shape of X.",
            detect=wrong.dx_valid_shape,
        ),
        Misconception(
            "db-not-summed",
            "db is not the sum of dout over each filter's outputs. b[f] was added to EVERY value of map f, in every image, "
            "so each of them sends its dout back to it: db[f] = dout[:, f].sum(), one number per filter.",
            detect=component(2, wrong.db_not_summed),
        ),
        Misconception(
            "stride-ignored",
            "Your gradients treat the windows as if they moved one pixel at a time. Output (i, j) came from the window "
            "whose top-left corner is at (i * s, j * s) of the padded image: that is where its gradient goes back to "
            "(dX) and where its input values come from (dW).",
            detect=wrong.stride_ignored_backward,
        ),
        Misconception(
            "padding-not-cropped",
            "Your dX has the shape of the PADDED images. The padding's zeros are not inputs of the layer and need no "
            "gradient: compute the gradient of the padded batch, then cut p rows from the top and the bottom and p "
            "columns from each side.",
            detect=wrong.padding_not_cropped,
        ),
    )


conv_backward = Exercise(
    id="conv_backward",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv_backward",),
    signature="conv_backward(dout, X, W, b, stride=1, padding=0)",
    title="The backward pass of a convolutional layer on a batch",
    reference=nn.conv_backward,
    returns="tuple",
    visible=(
        Case((np.ones((1, 1, 2, 2)), GRID, KERNEL, [0]),
             expected=(np.array([[[[0.0, 1, 1], [2, 6, 4], [2, 5, 3]]]]), np.array([[[[8.0, 12], [20, 24]]]]), np.array([4.0])),
             label="the lesson's grid and kernel, dout all ones (03's worked example, a batch of one)"),
        Case((np.ones((2, 1, 2, 2)), np.concatenate([GRID, GRID + 1]), KERNEL, [0]),
             label="two images: dW and db add up what both images send back"),
        Case((np.ones((1, 1, 2, 2)), MULTI_X, MULTI_K, [1]), {"stride": 2, "padding": 1},
             label="03's worked example of the forward pass (two channels, padding 1, stride 2), dout all ones"),
        Case((NUMERIC_DOUT, NUMERIC_X, NUMERIC_W, NUMERIC_B), {"stride": 1, "padding": 1},
             label="floats, two images, padding 1: every gradient against nudges of every input and weight",
             judge=wrong.conv_numeric_judge(NUMERIC_DOUT, NUMERIC_X, NUMERIC_W, NUMERIC_B, 1, 1)),
    ),
    hidden_cases=_backward_hidden,
    errors=(ErrorCase((np.ones((1, 1, 3, 3)), GRID, KERNEL, [0]), label="dout of shape (1, 1, 3, 3) for a (1, 1, 2, 2) output"),),
    misconceptions=(
        *_backward_misconceptions(),
        Misconception(
            "db-per-image",
            "db was summed over each image's positions but not over the batch. The same bias b[f] served every image, so "
            "its gradient collects what ALL the images send: sum dout[:, f] over the images as well, giving one number "
            "per filter (db has the shape of b).",
            detect=component(2, wrong.db_per_image),
        ),
    ),
    forbidden=BY_HAND,
    uses=("im2col",),
)


# ----------------------------------------------------------------------------
# relu

SIGNS = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])


def _relu_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, kind in (((3, 4), "float"), ((2, 3, 4, 4), "float"), ((6,), "neg"), ((2, 2, 3, 3), "neg")):
        X = _batch(rng, shape, kind)
        cases.append(Case((X,), function="relu_forward", label=f"relu_forward on an array of shape {shape}, {KINDS[kind]}"))
    for shape, kind in (((3, 4), "float"), ((2, 3, 4, 4), "neg"), ((5,), "neg"), ((2, 2, 3, 3), "float")):
        X = _batch(rng, shape, kind)
        if kind == "float":
            X.flat[:: 3] = 0.0  # zeros, where the gradient is 0
        dout = _batch(rng, shape, "float")
        cases.append(Case((dout, X), function="relu_backward", label=f"relu_backward on an array of shape {shape}, X of {KINDS[kind]}"))
    return cases


relu = Exercise(
    id="relu",
    assignment=ASSIGNMENT,
    kind="function",
    names=("relu_forward", "relu_backward"),
    signature="relu_forward(X); relu_backward(dout, X)",
    title="The ReLU and its gradient",
    reference=lambda *args: nn.relu_forward(*args) if len(args) == 1 else nn.relu_backward(*args),
    visible=(
        Case((SIGNS,), function="relu_forward", expected=np.array([[0.0, 0.0, 0.0, 0.5, 2.0]]), label="negative values become 0"),
        Case(([[1.0, 2.0, 3.0, 4.0, 5.0]], SIGNS), function="relu_backward", expected=np.array([[0.0, 0.0, 0.0, 4.0, 5.0]]),
             label="the gradient passes where X > 0 only (not at 0)"),
        Case((np.full((1, 2, 2, 2), 3.0), np.array([[[[-1.0, 2.0], [0.0, 4.0]], [[5.0, -6.0], [7.0, 0.0]]]])), function="relu_backward",
             expected=np.array([[[[0.0, 3.0], [0.0, 3.0]], [[3.0, 0.0], [3.0, 0.0]]]]), label="a batch of one image of two channels"),
    ),
    hidden_cases=_relu_hidden,
    errors=(ErrorCase((np.ones((2, 3)), np.ones((3, 2))), function="relu_backward", label="dout and X of different shapes"),),
    misconceptions=(
        Misconception(
            "relu-grad-is-output",
            "You multiplied dout by the ReLU's OUTPUT, max(0, X). The gradient of max(0, x) is a slope, not a value: 1 "
            "where x > 0 and 0 where x <= 0. So dX is dout where X > 0 and 0 elsewhere: multiply by the mask (X > 0), "
            "not by the activation.",
            wrong=wrong.relu_grad_is_output,
        ),
        Misconception(
            "relu-grad-at-zero",
            "Your gradient passes where X is exactly 0 too. The ReLU is flat to the left of 0 and has no slope at 0 "
            "itself; the convention (PyTorch's and this course's) takes 0 there: use X > 0, not X >= 0.",
            wrong=wrong.relu_grad_at_zero,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# maxpool

NUMERIC_POOL_X = (np.random.default_rng(69).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 4.0)
NUMERIC_POOL_DOUT = _fixed(70, (2, 2, 2, 2))


def _pool_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    settings = [
        ("2x2 windows, stride 2", (2, 3, 6, 8), 2, 2),
        ("2x2 windows, stride 2, odd sides (a row and a column left over)", (3, 2, 7, 5), 2, 2),
        ("3x3 windows, stride 2 (overlapping)", (2, 2, 7, 7), 3, 2),
        ("2x2 windows, stride 1 (overlapping)", (1, 3, 4, 5), 2, 1),
        ("3x3 windows, stride 3", (2, 1, 9, 6), 3, 3),
    ]
    for n, (label, shape, size, stride) in enumerate(settings):
        kind = ["float", "neg", "float", "int", "neg"][n]
        X = _batch(rng, shape, kind)
        cases.append(Case((X,), {"size": size, "stride": stride}, function="maxpool_forward", label=f"maxpool_forward, {label}, {KINDS[kind]}"))
        dout = _batch(rng, nn.maxpool_forward(X, size, stride).shape, "float")
        cases.append(Case((dout, X), {"size": size, "stride": stride}, function="maxpool_backward", label=f"maxpool_backward, {label}, {KINDS[kind]}"))
    X = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.int64)
    dout = _batch(rng, (2, 2, 3, 3), "float")
    cases.append(Case((dout, X), function="maxpool_backward", label="maxpool_backward with many ties (values 0 to 2), default size and stride"))
    X = rng.integers(0, 2, size=(1, 2, 5, 5)).astype(np.int64)
    cases.append(Case((_batch(rng, (1, 2, 2, 2), "float"), X), {"size": 3, "stride": 2}, function="maxpool_backward",
                      label="maxpool_backward, ties in overlapping 3x3 windows (values 0 and 1)"))
    return cases


maxpool = Exercise(
    id="maxpool",
    assignment=ASSIGNMENT,
    kind="function",
    names=("maxpool_forward", "maxpool_backward"),
    signature="maxpool_forward(X, size=2, stride=2); maxpool_backward(dout, X, size=2, stride=2)",
    title="Max pooling of a batch and its backward pass",
    reference=lambda *args, **kwargs: nn.maxpool_forward(*args, **kwargs) if len(args) == 1 else nn.maxpool_backward(*args, **kwargs),
    visible=(
        Case((SIXTEEN,), function="maxpool_forward", expected=np.array([[[[5.0, 7.0], [13.0, 15.0]]]]),
             label="the 4x4 grid: 2x2 windows with stride 2, 16 values become 4"),
        Case(([[[[1.0, 2.0], [3.0, 4.0]]]], SIXTEEN), function="maxpool_backward",
             expected=np.array([[[[0.0, 0, 0, 0], [0, 1, 0, 2], [0, 0, 0, 0], [0, 3, 0, 4]]]]),
             label="the 4x4 grid: each window's gradient goes to its maximum"),
        Case(([[[[5.0]]]], np.full((1, 1, 2, 2), 7.0)), function="maxpool_backward", expected=np.array([[[[5.0, 0.0], [0.0, 0.0]]]]),
             label="a tie: only the first maximum in row-major order gets the gradient"),
        Case((np.ones((1, 1, 2, 2)), GRID), {"size": 2, "stride": 1}, function="maxpool_backward",
             expected=np.array([[[[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]]]),
             label="the lesson's 3x3 grid, 2x2 windows with stride 1: the maxima 4, 5, 7, 8 each get one window's gradient"),
        Case((np.ones((1, 1, 2, 2)), [[[[1, 5, 2], [0, 3, 4], [1, 2, 0]]]]), {"size": 2, "stride": 1}, function="maxpool_backward",
             expected=np.array([[[[0.0, 2.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]]),
             label="overlapping windows: 5 is the maximum of two of them and collects both gradients"),
        Case((NUMERIC_POOL_DOUT, NUMERIC_POOL_X), {"size": 3, "stride": 2}, function="maxpool_backward",
             label="distinct floats, 3x3 windows with stride 2: dX against nudges of every input",
             judge=wrong.pool_numeric_judge(NUMERIC_POOL_DOUT, NUMERIC_POOL_X, 3, 2)),
    ),
    hidden_cases=_pool_hidden,
    errors=(ErrorCase((np.ones((1, 1, 3, 3)), SIXTEEN), function="maxpool_backward", label="dout of shape (1, 1, 3, 3) for a (1, 1, 2, 2) output"),),
    misconceptions=(
        Misconception(
            "max-grad-all-ties",
            "Where a window holds its maximum more than once, your gradient went to every copy (the mask X == max of the "
            "window). The forward pass took ONE value, and only that one can change the output: send the window's "
            "gradient to the first maximum in row-major order (what argmax returns), and nothing to the other copies.",
            wrong=wrong.pool_all_ties,
        ),
        Misconception(
            "max-grad-everywhere",
            "Every position of a window got the window's gradient. Only the maximum reached the output; the other values "
            "could move a little without changing it, so their gradient from that window is 0.",
            wrong=wrong.pool_every_position,
        ),
        Misconception(
            "overlap-overwritten",
            "Where windows overlap, a later window replaced what an earlier one had sent (=). A value that is the maximum "
            "of several windows influences each of their outputs: its gradient is the SUM of what they send (+=).",
            wrong=wrong.pool_overlap_overwritten,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# softmax_loss

def _softmax_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, k, scale in ((4, 10, 2.0), (1, 3, 1.0), (7, 5, 4.0), (3, 2, 10.0), (16, 10, 1.0)):
        scores = np.round(rng.normal(0.0, scale, (n, k)), 3)
        cases.append(Case((scores, rng.integers(0, k, size=n)), label=f"{n} row(s) of {k} scores"))
    scores = rng.integers(-9, 10, size=(5, 4)).astype(np.int64)
    cases.append(Case((scores, rng.integers(0, 4, size=5)), label="integer scores"))
    scores = np.round(rng.normal(0.0, 300.0, (4, 6)), 1)
    scores[:, 0] += 800.0
    cases.append(Case((scores, rng.integers(0, 6, size=4)), label="scores around 800, far beyond what exp can take"))
    cases.append(Case((scores - 1600.0, rng.integers(0, 6, size=4)), label="scores around -800"))
    return cases


softmax_loss = Exercise(
    id="softmax_loss",
    assignment=ASSIGNMENT,
    kind="function",
    names=("softmax_loss",),
    signature="softmax_loss(scores, y)",
    title="The softmax cross-entropy of a batch and its gradient, computed stably",
    reference=nn.softmax_loss,
    returns="tuple",
    visible=(
        Case(([[1.0, 2.0, 3.0]], [2]), label="one row, right class 2: loss 0.407606"),
        Case(([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], [2, 0]), label="two rows: the loss and the gradient averaged over them (loss 0.753109)"),
        Case(([[1000.0, 0.0]], [1]), label="scores of 1000: exp(1000) overflows, the answer does not (loss 1000)"),
    ),
    hidden_cases=_softmax_hidden,
    errors=(
        ErrorCase(([[1.0, 2.0, 3.0]], [0, 1]), label="two labels for one row of scores"),
        ErrorCase(([[1.0, 2.0, 3.0]], [3]), label="label 3 with only 3 classes (0 to 2)"),
    ),
    misconceptions=(
        Misconception(
            "softmax-unstable",
            "Your result holds inf or nan for large scores: exp(1000) overflows a float. Subtracting a row's maximum from "
            "every score of the row changes no probability (the factor exp(-max) cancels between top and bottom) and "
            "keeps every exponent at or below 0; for the loss, use log p = s - max - log(sum(exp(s - max))) rather than "
            "the log of a probability that may have rounded to 0.",
            detect=wrong.softmax_unstable,
        ),
        Misconception(
            "loss-not-averaged",
            "Your loss is the SUM of the rows' cross-entropies; the loss of a batch is their MEAN, so that the learning rate "
            "means the same whatever the batch size (0.753109 for the two-row example, not twice that).",
            wrong=wrong.loss_not_averaged,
        ),
        Misconception(
            "grad-not-averaged",
            "Your loss is the mean over the batch, but your gradient is that of the sum: each row's p - onehot(y) must "
            "be divided by the number of rows N too, as the loss was.",
            wrong=wrong.grad_not_averaged,
        ),
        Misconception(
            "onehot-not-subtracted",
            "Your gradient is the probabilities alone. The loss is -log p[y], and its derivative with respect to score k "
            "is p[k] - 1 for the right class k = y and p[k] for the others: take 1 off at the right class of each row, "
            "then divide by N.",
            wrong=wrong.onehot_not_subtracted,
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# grad_check

def _probe(rng: np.random.Generator, shape, *, label: str, wave: bool = True) -> ScalarFunction:
    """A random function coupling every entry of x (a quadratic form), with cubes and, optionally, sines."""
    size = int(np.prod(shape))
    A = np.round(rng.normal(0.0, 1.0, (size, size)), 2)
    return ScalarFunction(shape, cubic=np.round(rng.normal(0.0, 1.0, size), 2), quadratic=A @ A.T / size,
                          linear=np.round(rng.normal(0.0, 1.0, size), 2),
                          wave=np.round(rng.normal(0.0, 1.0, size), 2) if wave else None, label=label)


SQUARES = ScalarFunction((3,), quadratic=2 * np.eye(3), label="f(x) = sum(x ** 2)")
COUPLED = ScalarFunction((2, 3), cubic=[0.5, -1.0, 0.0, 1.0, 0.25, -0.5],
                         quadratic=np.array([[2.0, 1, 0, 0, 0, 1], [1, 2, 1, 0, 0, 0], [0, 1, 2, 1, 0, 0],
                                             [0, 0, 1, 2, 1, 0], [0, 0, 0, 1, 2, 1], [1, 0, 0, 0, 1, 2]]),
                         wave=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                         label="f(X) = sum(c * X ** 3) + (a quadratic form coupling the entries) + sum(sin(X))")


def _grad_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, h in (((4,), 1e-5), ((2, 3), 1e-5), ((2, 1, 2, 2), 1e-4), ((3, 3), 1e-3), ((1,), 1e-5), ((5, 2), 1e-5)):
        label = f"a random smooth function of a {'x'.join(map(str, shape))} array, h = {h:g}"
        f = _probe(rng, shape, label="a random smooth function")
        x = np.round(rng.normal(0.0, 1.0, shape), 3)
        cases.append(Case((f, x), {"h": h}, label=label))
    return cases


grad_check = Exercise(
    id="grad_check",
    assignment=ASSIGNMENT,
    kind="function",
    names=("grad_check",),
    signature="grad_check(f, x, h=1e-5)",
    title="A numeric gradient by central differences",
    reference=nn.grad_check,
    visible=(
        Case((SQUARES, np.array([1.0, -2.0, 3.0])), {"h": 1e-3},
             label="f(x) = sum(x ** 2), h = 1e-3: central differences are exact here, [2, -4, 6]; forward ones are off by h"),
        Case((COUPLED, np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]])), {"h": 1e-4},
             label="a function of a 2x3 array whose entries interact, h = 1e-4: each nudge must be undone before the next"),
        Case((SQUARES, np.array([0.0, 0.0, 0.0])), label="f(x) = sum(x ** 2) at its minimum: the gradient is 0"),
    ),
    hidden_cases=_grad_hidden,
    tolerance=Tolerance(rtol=1e-6, atol=1e-8),
    misconceptions=(
        Misconception(
            "forward-difference",
            "You used the forward difference (f(x + h) - f(x)) / h. It leans to one side of x, and its error shrinks only "
            "like h: for f(x) = x^2 it gives 2x + h. The central difference (f(x + h) - f(x - h)) / (2h) looks both ways; "
            "the error terms of the two sides cancel, leaving one that shrinks like h^2 (for a quadratic it is exact).",
            wrong=wrong.forward_difference,
        ),
        Misconception(
            "x-not-restored",
            "After nudging an entry you did not put it back before the next one, so every later derivative is taken at a "
            "shifted point (it shows when the entries interact, as the weights of a network do). Save the entry, nudge it "
            "up, evaluate f, nudge it down, evaluate f, then set it back to the saved value.",
            detect=matches_any(wrong.x_not_restored),
        ),
    ),
    forbidden=BY_HAND,
)


# ----------------------------------------------------------------------------
# train and predict

#: What course.yml's grading.exercise_settings.train sets, and the values used when it sets nothing.
TRAIN_SETTINGS = {"epochs": 20, "lr": 0.2, "seed": 0}
#: The accuracy asked of the trained network on the test digits.
ACCURACY = 0.95
#: Weights and images for predict's worked example (fixed; the class of highest score for each image).
PREDICT_PARAMS = {"W1": _fixed(71, (8, 1, 3, 3), 0.5), "b1": _fixed(72, (8,), 0.1), "W2": _fixed(73, (128, 10), 0.2), "b2": _fixed(74, (10,), 0.1)}
PREDICT_X = np.round(np.random.default_rng(75).uniform(0.0, 1.0, (6, 1, 8, 8)), 3)


def _digits():
    """The assignment's training and test digits (the copy that ships with the package)."""
    return nn.digits_split()


def _train_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n in (5, 1, 12):
        params = {name: np.round(rng.normal(0.0, 0.3, shape), 3) for name, shape in nn.PARAM_SHAPES.items()}
        X = np.round(rng.uniform(0.0, 1.0, (n, 1, 8, 8)), 3)
        cases.append(Case((params, X), function="predict", judge=wrong.predict_judge(nn.predict(params, X)),
                          label=f"predict with random weights, {n} image{'s' * (n != 1)}"))
    X_train, y_train, _, _ = _digits()
    pick = rng.choice(len(X_train), size=64, replace=False)
    cases.append(Case((X_train[pick], y_train[pick], 0, 0.1, int(rng.integers(0, 1000))), judge=wrong.start_judge(),
                      label="train with epochs=0 on 64 digits: the starting weights and no loss yet"))
    return cases


def _train_cases() -> tuple[Case, ...]:
    X_train, y_train, X_test, y_test = _digits()
    return (
        Case((PREDICT_PARAMS, PREDICT_X), function="predict", judge=wrong.predict_judge(nn.predict(PREDICT_PARAMS, PREDICT_X)),
             label="predict with given weights: the class of highest score for each of 6 images"),
        Case((X_train, y_train, Setting("epochs"), Setting("lr"), Setting("seed")), judge=wrong.accuracy_judge(X_test, y_test, ACCURACY),
             label=f"the {len(y_train):,} training digits with course.yml's epochs, learning rate and seed: at least "
                   f"{ACCURACY:.0%} right on the {len(y_test)} test digits"),
    )


train = Exercise(
    id="train",
    assignment=ASSIGNMENT,
    kind="function",
    names=("train", "predict"),
    signature="train(X_train, y_train, epochs, lr, seed); predict(params, X)",
    title="Train the network on the digits, and predict",
    reference=None,
    visible=_train_cases(),
    hidden_cases=_train_hidden,
    returns="any",
    # a layer that fails makes the training fail too: the feedback says which layer to fix first
    uses=("conv_forward", "conv_backward", "relu", "maxpool", "softmax_loss"),
    settings=dict(TRAIN_SETTINGS),
    weights={"examples": 0.75, "hidden": 0.25},
    timeout_hint=("Training has to finish within the exercise's time limit: vectorise the layers (no Python loop over "
                  "images, filters or positions), and check the number of epochs and the batch size."),
    misconceptions=(
        Misconception(
            "loss-diverges",
            "The loss blew up instead of coming down. Either the steps are too large (a learning rate too high for your "
            "loss: a loss summed over the batch rather than averaged makes every step N times larger) or a step goes uphill: "
            "each update must be p = p - lr * dp, with dp the gradient of the loss you report. Check your gradients "
            "with grad_check on a small batch.",
            detect=wrong.diverges,
        ),
        Misconception(
            "loss-flat",
            "The loss hardly moved from where it started (about ln 10 = 2.3 for ten classes): the gradients never reach the "
            "weights. Check that each step changes the arrays the forward pass uses (p[name] = p[name] - lr * grads[name], "
            "not a copy that is thrown away), that the gradients are not zeroed or overwritten before the step, and that "
            "the learning rate is not 0.",
            detect=wrong.flat,
        ),
    ),
    forbidden=BY_HAND,
)

EXERCISES = [im2col, conv_forward, conv_backward, relu, maxpool, softmax_loss, grad_check, train]

#: The data files as the grading sandbox holds them (Course.grading_files): learner code runs beside a
#: digits.npz without the labels of the test digits its network is judged on (issue 19); the judges
#: read the package's own full copy (:func:`_digits`).
GRADING_FILES = {"digits.npz": nn.digits_for_grading}
