"""04-shapes: output sizes of convolution and pooling, parameter counts, a model summary,
and why convolutions: receptive fields, a dense layer's parameters, translation equivariance.

The wrong implementations and detectors the misconceptions use live in
:mod:`autograder.exercises.shapes_detect`; this module declares the exercises.
"""
from __future__ import annotations

import numpy as np

from .. import references as ref
from ..engine.spec import Case, ErrorCase, Exercise, Misconception, Numbers
from . import shapes_detect as wrong
from .generators import KINDS, LARGE_KINDS, large_shape, matches_any, values

ASSIGNMENT = "04-shapes"

#: The Keras notes' model: two conv/pool blocks, then flatten and two dense layers.
KERAS_INPUT = (28, 28, 1)
KERAS_LAYERS = [
    ("conv", 64, (3, 3)),
    ("pool", (2, 2)),
    ("conv", 64, (3, 3)),
    ("pool", (2, 2)),
    ("flatten",),
    ("dense", 128),
    ("dense", 10),
]
KERAS_ROWS = [
    ("conv2d", (26, 26, 64), 640),
    ("max_pooling2d", (13, 13, 64), 0),
    ("conv2d_1", (11, 11, 64), 36928),
    ("max_pooling2d_1", (5, 5, 64), 0),
    ("flatten", (1600,), 0),
    ("dense", (128,), 204928),
    ("dense_1", (10,), 1290),
]
KERAS_TOTAL = wrong.KERAS_TOTAL


# --------------------------------------------------------------------------- conv_output_size

NO_FLOOR = Misconception(
    "no-floor",
    "An output size counts window positions, so it is a whole number. With `/` you get a float, and when the stride "
    "does not divide evenly its fraction stands for part of a window, which does not exist. Round down with "
    "floor division `//`, which also keeps the result an int.",
    detect=lambda case, got: wrong.is_float(got),
)


def _conv_size_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    templates = [
        # label, padding range, stride range, dilation range
        ("odd input, no padding", (0, 0), (1, 1), (1, 1), 1),
        ("even input, no padding", (0, 0), (1, 1), (1, 1), 0),
        ("padding only", (1, 4), (1, 1), (1, 1), None),
        ("stride 2 on an odd span (rounds down)", (0, 2), (2, 2), (1, 1), 1),
        ("stride 3", (0, 3), (3, 3), (1, 1), None),
        ("dilation 2", (0, 2), (1, 1), (2, 2), None),
        ("dilation 3 with stride 2", (0, 3), (2, 2), (3, 3), None),
        ("padding, stride and dilation", (1, 5), (2, 4), (2, 4), None),
        ("large input", (0, 3), (1, 4), (1, 3), None),
    ]
    for label, (p0, p1), (s0, s1), (d0, d1), parity in templates:
        k = int(rng.integers(1, 8))
        p = int(rng.integers(p0, p1 + 1))
        s = int(rng.integers(s0, s1 + 1))
        d = int(rng.integers(d0, d1 + 1))
        span = d * (k - 1) + 1
        low = max(1, span - 2 * p)
        n = int(rng.integers(low, low + (200 if label == "large input" else 30)))
        if parity is not None and n % 2 != parity:
            n += 1
        kwargs = {}
        if p:
            kwargs["padding"] = p
        if s != 1:
            kwargs["stride"] = s
        if d != 1:
            kwargs["dilation"] = d
        cases.append(Case((n, k), kwargs, label=label))
    k = int(rng.integers(2, 6))
    cases.append(Case((k, k), label="the kernel exactly as long as the input"))
    p = int(rng.integers(1, 3))
    cases.append(Case((1, 2 * p + 1), {"padding": p}, label="an input of length 1 saved by padding"))
    cases.append(Case((1, 1), label="input and kernel of length 1"))
    n = int(rng.integers(3, 9))
    cases.append(Case((n, 1), {"stride": n + int(rng.integers(1, 4))}, label="a stride longer than the input"))
    n = int(rng.integers(8, 20))
    cases.append(Case((np.int64(n), np.int64(3)), {"padding": np.int64(1)}, label="NumPy integers as arguments"))
    # A span that leaves a remainder smaller than the stride: floor matters.
    s = int(rng.integers(3, 6))
    k = int(rng.integers(2, 5))
    n = k + s * int(rng.integers(1, 4)) + s - 1
    cases.append(Case((n, k), {"stride": s}, label="a stride that does not divide the span"))
    return cases


conv_output_size = Exercise(
    id="conv_output_size",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv_output_size",),
    signature="conv_output_size(n, k, padding=0, stride=1, dilation=1)",
    title="The output length of a convolution with padding, stride and dilation",
    reference=ref.conv_output_size,
    returns="int",
    visible=(
        Case((28, 3), expected=26, label="the Keras notes: a 3x3 filter on a 28x28 image"),
        Case((10, 3), expected=8, label="the TensorFlow lesson: 'VALID' on a 10x10 image with a 3x3 kernel"),
        Case((10, 3), {"padding": 1}, expected=10, label="the TensorFlow lesson: 'SAME' keeps 10"),
        Case((32, 5), expected=28, label="LeNet-5's first layer: a 5x5 filter on 32x32"),
        Case((50, 3), {"padding": 4, "stride": 2, "dilation": 3}, expected=26,
             label="PyTorch's Conv2d documentation: the height of a 50x100 input"),
    ),
    hidden_cases=_conv_size_hidden,
    errors=(
        ErrorCase((10, 0), label="a kernel of length 0"),
        ErrorCase((10, 3), {"stride": 0}, label="stride 0"),
        ErrorCase((10, 3), {"dilation": 0}, label="dilation 0"),
        ErrorCase((10, 3), {"padding": -1}, label="negative padding"),
        ErrorCase((3, 5), label="a kernel longer than the input"),
        ErrorCase((5, 3), {"dilation": 3}, label="a dilated kernel spanning 7 positions on an input of 5"),
        ErrorCase((2, 3), {"stride": 2}, label="a kernel longer than the input, with stride 2"),
        ErrorCase((4, 3), {"stride": 3, "dilation": 2}, label="a dilated kernel longer than the input, with stride 3"),
    ),
    misconceptions=(
        Misconception(
            "int-truncation",
            "Here no window fits, so the numerator n + 2*padding - dilation*(k - 1) - 1 is negative, and divided "
            "by the stride it lies between -1 and 0 (for example -1 / 2 = -0.5). int() rounds towards zero, to 0, "
            "so the size comes out as 1 as if a window fitted. Floor division rounds down (-1 // 2 is -1): the "
            "size comes out as 0, a result below 1, which must raise ValueError.",
            wrong=wrong.truncating,
        ),
        NO_FLOOR,
        Misconception(
            "dilation-ignored",
            "With dilation d the kernel's k taps are d positions apart, so it spans d*(k - 1) + 1 input positions, "
            "not k. Use that span where the undilated formula uses k.",
            wrong=wrong.dilation_ignored,
        ),
    ),
)


# --------------------------------------------------------------------------- tf_padding

def _tf_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, s_range, mode in [
        ("'SAME', stride 1, odd kernel", (1, 1), "SAME"),
        ("'SAME', stride 1, even kernel", (1, 1), "SAME"),
        ("'SAME', stride 2", (2, 2), "SAME"),
        ("'SAME', stride 3", (3, 3), "SAME"),
        ("'SAME', larger stride", (4, 7), "SAME"),
        ("'SAME', stride 2, odd total padding", (2, 2), "SAME"),
        ("'VALID', stride 1", (1, 1), "VALID"),
        ("'VALID', stride 2", (2, 2), "VALID"),
        ("'VALID', stride 3", (3, 5), "VALID"),
    ]:
        s = int(rng.integers(s_range[0], s_range[1] + 1))
        k = int(rng.integers(1, 8))
        if "odd kernel" in label and k % 2 == 0:
            k += 1
        if "even kernel" in label and k % 2 == 1:
            k += 1
        n = int(rng.integers(k, k + 30))
        if "odd total padding" in label:
            # n even, stride 2: total = (n/2 - 1) * 2 + k - n = k - 2, odd for an odd k >= 3.
            n += n % 2
            k = max(3, k + 1 - k % 2)
        cases.append(Case((n, k, s, mode), label=label))
    n = int(rng.integers(2, 5))
    cases.append(Case((n, n + int(rng.integers(1, 4)), 1, "SAME"), label="'SAME' with a kernel longer than the input"))
    cases.append(Case((1, 1, 1, "SAME"), label="'SAME', input and kernel of length 1"))
    cases.append(Case((1, 1, 1, "VALID"), label="'VALID', input and kernel of length 1"))
    n = int(rng.integers(3, 8))
    cases.append(Case((n, 1, n + 2, "SAME"), label="'SAME' with a stride longer than the input"))
    k = int(rng.integers(2, 6))
    cases.append(Case((k, k, 2, "VALID"), label="'VALID' with the kernel as long as the input"))
    return cases


tf_padding = Exercise(
    id="tf_padding",
    assignment=ASSIGNMENT,
    kind="function",
    names=("tf_padding",),
    signature="tf_padding(n, k, stride, padding)",
    title="TensorFlow's 'SAME' and 'VALID': output length and padding on each side",
    reference=ref.tf_padding,
    returns="tuple",
    visible=(
        Case((10, 3, 1, "SAME"), expected=(10, 1, 1), label="the TensorFlow lesson: 'SAME' on a 10x10 image"),
        Case((10, 3, 1, "VALID"), expected=(8, 0, 0), label="the TensorFlow lesson: 'VALID' on a 10x10 image with a 3x3 kernel"),
        Case((13, 6, 5, "SAME"), expected=(3, 1, 2), label="13 inputs, kernel 6, stride 5: 3 pads to share"),
    ),
    hidden_cases=_tf_hidden,
    errors=(
        ErrorCase((10, 3, 1, "FULL"), label="a padding other than 'SAME' or 'VALID'"),
        ErrorCase((3, 5, 1, "VALID"), label="'VALID' with a kernel longer than the input"),
        ErrorCase((10, 3, 0, "SAME"), label="stride 0"),
        ErrorCase((10, 0, 1, "SAME"), label="a kernel of length 0"),
    ),
    misconceptions=(
        Misconception(
            "padding-symmetric",
            "When the total padding is odd it cannot be split evenly, and TensorFlow puts the extra zero after "
            "the input (bottom or right), not before: pad_before is total // 2 and pad_after gets the rest.",
            wrong=wrong.symmetric,
        ),
        Misconception(
            "stride-ignored",
            "With a stride s, 'SAME' does not keep n outputs: it keeps ceil(n / s), one output for every s inputs. "
            "The padding then only has to let the last of those windows fit, and 'VALID' also takes every s-th "
            "window.",
            wrong=wrong.stride_ignored_tf,
        ),
    ),
)


# --------------------------------------------------------------------------- pool_output_size

def _pool_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, parity in [("even input, default stride", 0), ("odd input, default stride (rounds down)", 1)]:
        pool = int(rng.integers(2, 5))
        n = int(rng.integers(pool, 60))
        if n % 2 != parity:
            n += 1
        cases.append(Case((n, pool), label=label))
    pool = int(rng.integers(2, 4))
    cases.append(Case((pool * int(rng.integers(3, 9)) + pool - 1, pool), label="a remainder one short of a window"))
    for label, rel in [("overlapping windows (stride < pool)", -1), ("gaps between windows (stride > pool)", 1),
                       ("stride equal to the pool, given explicitly", 0)]:
        pool = int(rng.integers(2, 5))
        stride = max(1, pool + rel * int(rng.integers(1, 3)))
        n = int(rng.integers(pool, 50))
        cases.append(Case((n, pool), {"stride": stride}, label=label))
    cases.append(Case((int(rng.integers(2, 9)), 1), label="a 1-wide pool"))
    n = int(rng.integers(2, 9))
    cases.append(Case((n, n), label="a pool as long as the input"))
    cases.append(Case((1, 1), label="input and pool of length 1"))
    pool = int(rng.integers(2, 4))
    cases.append(Case((pool + 1, pool), {"stride": pool + 5}, label="a stride longer than the input"))
    cases.append(Case((np.int64(int(rng.integers(10, 40))), np.int64(2)), label="NumPy integers as arguments"))
    cases.append(Case((int(rng.integers(100, 1000)), 3), label="a large input"))
    return cases


pool_output_size = Exercise(
    id="pool_output_size",
    assignment=ASSIGNMENT,
    kind="function",
    names=("pool_output_size",),
    signature="pool_output_size(n, pool, stride=None)",
    title="The output length of a max-pooling layer",
    reference=ref.pool_output_size,
    returns="int",
    visible=(
        Case((26, 2), expected=13, label="the Keras notes: the first 2x2 pooling, 26 -> 13"),
        Case((11, 2), expected=5, label="the Keras notes: the second 2x2 pooling rounds 11 down to 5"),
    ),
    hidden_cases=_pool_hidden,
    errors=(
        ErrorCase((3, 4), label="a pool longer than the input"),
        ErrorCase((10, 0), label="a pool of length 0"),
        ErrorCase((10, 2), {"stride": 0}, label="stride 0"),
    ),
    misconceptions=(
        Misconception(
            "ceil-not-floor",
            "A pooling window that would hang over the edge is dropped, not padded: MaxPooling2D rounds down. "
            "11 values in windows of 2 give 5 outputs, and the 11th value is simply not used.",
            wrong=wrong.pool_ceil,
        ),
        Misconception(
            "stride-ignored",
            "Your windows move one step at a time. A pooling layer's stride defaults to its pool size, so the "
            "windows sit side by side without overlapping; when a stride is given, the windows move by that much.",
            wrong=wrong.pool_stride_one,
        ),
        Misconception(
            "size-ignores-pool",
            "Your count leaves the window out: it looks like n / stride, the input cut into strides. The window must fit "
            "entirely, so the last one starts at most at n - pool: count the starts 0, s, 2s, ... up to there, "
            "floor((n - pool) / s) + 1 of them. With the default stride the two happen to agree; with pool 3 and "
            "stride 2 on 20 values they do not (9 windows, not 10).",
            detect=matches_any(wrong.pool_size_ignores_pool),
        ),
        NO_FLOOR,
    ),
)


# --------------------------------------------------------------------------- conv_params

NO_BIAS = Misconception(
    "no-bias",
    "Each filter also learns one bias, a number added to every value of its output map. With bias=True a layer "
    "of c_out filters has c_out extra parameters.",
)
CHANNELS_NOT_SUMMED = Misconception(
    "channels-not-summed",
    "A filter is as deep as its input: on an input with c_in channels it has one kh x kw slice of weights per "
    "channel and adds up their responses. Its weights therefore number kh * kw * c_in, not kh * kw.",
)


def _conv_params_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, square, bias in [
        ("square kernel, with bias", True, True),
        ("non-square kernel, with bias", False, True),
        ("square kernel, without bias", True, False),
        ("non-square kernel, without bias", False, False),
        ("RGB input", True, True),
        ("many channels", True, True),
    ]:
        kh = int(rng.integers(1, 8))
        kw = kh if square else kh + int(rng.integers(1, 4))
        c_in = 3 if label == "RGB input" else int(rng.integers(2, 600 if label == "many channels" else 70))
        c_out = int(rng.integers(1, 600 if label == "many channels" else 130))
        kwargs = {} if bias else {"bias": False}
        cases.append(Case((kh, kw, c_in, c_out), kwargs, label=label))
    cases.append(Case((1, 1, int(rng.integers(2, 256)), int(rng.integers(2, 256))), label="a 1x1 convolution"))
    cases.append(Case((1, 1, 1, 1), label="one 1x1 filter on one channel"))
    cases.append(Case((1, 1, 1, 1), {"bias": False}, label="one 1x1 filter on one channel, without bias"))
    cases.append(Case((int(rng.integers(2, 6)), int(rng.integers(2, 6)), 1, int(rng.integers(2, 40))),
                      {"bias": True}, label="a grayscale input, bias=True given explicitly"))
    return cases


conv_params = Exercise(
    id="conv_params",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv_params",),
    signature="conv_params(kh, kw, c_in, c_out, bias=True)",
    title="The number of trainable parameters of a Conv2D layer",
    reference=ref.conv_params,
    returns="int",
    visible=(
        Case((3, 3, 1, 64), expected=640, label="the Keras notes' first layer: Conv2D(64, (3, 3)) on 1 channel"),
        Case((3, 3, 64, 64), expected=36928, label="the Keras notes' second Conv2D(64, (3, 3)), on 64 channels"),
        Case((5, 5, 1, 6), expected=156, label="LeNet-5's first layer: 6 filters of 5x5 on 1 channel"),
    ),
    hidden_cases=_conv_params_hidden,
    errors=(
        ErrorCase((0, 3, 1, 64), label="a kernel height of 0"),
        ErrorCase((3, 3, 0, 64), label="0 input channels"),
        ErrorCase((3, 3, 1, 0), label="0 filters"),
    ),
    misconceptions=(
        Misconception(NO_BIAS.id, NO_BIAS.hint, wrong=wrong.params_no_bias),
        Misconception(CHANNELS_NOT_SUMMED.id, CHANNELS_NOT_SUMMED.hint, wrong=wrong.params_one_channel),
    ),
)


# --------------------------------------------------------------------------- model_summary

def _random_model(rng: np.random.Generator, blocks: int, *, square: bool = True, int_sizes: bool = False):
    h, w, c = int(rng.integers(12, 48)), int(rng.integers(12, 48)), int(pick_from(rng, [1, 3]))
    if square:
        w = h
    layers = []
    sh, sw = h, w
    for _ in range(blocks):
        kh = int(rng.integers(1, 4)) * 2 + 1 if square else int(rng.integers(2, 6))
        kw = kh if square else int(rng.integers(1, 6))
        if kh > sh or kw > sw:
            break
        filters = int(rng.integers(2, 65))
        layers.append(("conv", filters, kh if int_sizes and kh == kw else (kh, kw)))
        sh, sw = sh - kh + 1, sw - kw + 1
        ph = int(rng.integers(2, 4))
        pw = ph if square else int(rng.integers(1, 4))
        if ph > sh or pw > sw:
            break
        layers.append(("pool", ph if int_sizes and ph == pw else (ph, pw)))
        sh, sw = (sh - ph) // ph + 1, (sw - pw) // pw + 1
    layers.append(("flatten",))
    for _ in range(int(rng.integers(1, 3))):
        layers.append(("dense", int(rng.integers(2, 130))))
    return (h, w, c), layers


def pick_from(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _summary_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, blocks, square, int_sizes in [
        ("one conv/pool block", 1, True, False),
        ("two conv/pool blocks", 2, True, False),
        ("three conv/pool blocks", 3, True, False),
        ("non-square kernels and pools", 2, False, False),
        ("sizes given as single ints", 2, True, True),
        ("a tall input, non-square", 1, False, False),
    ]:
        shape, layers = _random_model(rng, blocks, square=square, int_sizes=int_sizes)
        cases.append(Case((shape, layers), label=label))
    h = int(rng.integers(10, 30))
    f = int(rng.integers(2, 20))
    cases.append(Case(((h, h, 3), [("conv", f, (3, 3)), ("conv", f, (3, 3)), ("pool", (2, 2)), ("flatten",), ("dense", 10)]),
                      label="two convolutions in a row on an RGB input"))
    h = int(rng.integers(5, 12)) * 2 + 1
    cases.append(Case(((h, h, 1), [("pool", (2, 2)), ("pool", (2, 2)), ("flatten",)]), label="pooling an odd size twice"))
    n = int(rng.integers(2, 10))
    cases.append(Case(((n, n, int(rng.integers(1, 5))), [("flatten",), ("dense", int(rng.integers(1, 20)))]),
                      label="flatten straight away"))
    k = int(rng.integers(2, 6))
    cases.append(Case(((k, k, 2), [("conv", 4, (k, k)), ("flatten",)]), label="a kernel as large as the input (1x1 output)"))
    cases.append(Case(((1, 1, 1), [("conv", 1, (1, 1)), ("flatten",), ("dense", 1)]), label="every size 1"))
    return cases


model_summary = Exercise(
    id="model_summary",
    assignment=ASSIGNMENT,
    kind="function",
    names=("model_summary",),
    signature="model_summary(input_shape, layers)",
    title="A model's summary: each layer's output shape and parameter count",
    reference=ref.model_summary,
    returns="rows",
    visible=(
        Case((KERAS_INPUT, KERAS_LAYERS), expected=KERAS_ROWS, label="the Keras notes' model on 28x28x1 images"),
        Case((KERAS_INPUT, KERAS_LAYERS), judge=wrong.total_is_keras, label="Keras's Total params for that model, 243786"),
        Case(((32, 32, 1), [("conv", 6, (5, 5))]), expected=[("conv2d", (28, 28, 6), 156)],
             label="LeNet-5's first layer: six 5x5 filters on 32x32x1"),
    ),
    hidden_cases=_summary_hidden,
    errors=(
        ErrorCase(((28, 28), [("flatten",)]), label="an input shape without a channel axis"),
        ErrorCase(((28, 28, 1), [("dropout", 0.5)]), label="an unknown layer kind"),
        ErrorCase(((28, 28, 1), [("conv", 64)]), label="a conv layer without its kernel size"),
        ErrorCase(((28, 28, 1), [("dense", 10)]), label="a dense layer on an unflattened input"),
        ErrorCase(((28, 28, 1), [("flatten",), ("conv", 8, (3, 3))]), label="a convolution after flatten"),
        ErrorCase(((4, 4, 1), [("conv", 8, (5, 5))]), label="a kernel larger than the input"),
        ErrorCase(((4, 4, 1), [("conv", 8, (3, 3)), ("pool", (3, 3))]), label="a pool larger than its input"),
    ),
    misconceptions=(
        Misconception(NO_BIAS.id, "Convolution filters and dense units each learn one bias besides their weights: "
                      "a conv layer has filters extra parameters and a dense layer units extra ones "
                      "(Dense(10) after 128 values has 128 * 10 + 10).", detect=wrong.params_detect(3)),
        Misconception(CHANNELS_NOT_SUMMED.id, CHANNELS_NOT_SUMMED.hint + " The second Conv2D of the Keras model "
                      "sees 64 channels.", detect=wrong.params_detect(4)),
        Misconception(
            "ceil-not-floor",
            "A 2x2 pooling of an odd size rounds down: the last row and column that do not fill a window are "
            "dropped, so 11 becomes 5, not 6. Every later shape depends on it.",
            wrong=wrong.summary_ceil,
        ),
        Misconception(
            "height-width-swapped",
            "Your shapes mix up height and width: a kernel or pool size (3, 5) is (rows, columns), height first, like the "
            "input shape (H, W, C). A (3, 5) kernel on a (28, 28, 1) image gives (26, 24, filters), not (24, 26, filters).",
            wrong=wrong.summary_hw_swapped,
        ),
    ),
)


# --------------------------------------------------------------------------- shape_answers

#: The lesson's three questions: the Keras notes' model (64 filters per Conv2D) on 32x32x1 images, LeNet-5's C3
#: (16 filters of 5x5 on 6 maps) fully connected, and the README's 'VALID' example (a 3x3 kernel on 10x10).
SHAPE_LESSON = {"size": 32, "filters": 64, "c3_filters": 16, "c3_kernel": 5, "c3_maps": 6, "valid_n": 10, "valid_k": 3}


def draw_shapes(rng: np.random.Generator) -> dict:
    """A student's three on-paper sizes: the Keras notes' model (conv 3x3, pool 2, conv 3x3, pool 2, flatten)
    with ``filters`` filters per Conv2D on ``size`` x ``size`` x 1 images; a layer of ``c3_filters`` filters of
    ``c3_kernel`` x ``c3_kernel`` on ``c3_maps`` maps, each with a bias; a ``valid_k`` x ``valid_k`` kernel on a
    ``valid_n`` x ``valid_n`` image with 'VALID' padding.

    Bounds, for arithmetic by hand: images of 20 to 40 pixels (a flattened side of 3 to 8) and 8, 16 or 32
    filters (never the lesson's 64, so the flattened size is never the lesson's); kernels 3 or 5 on 2 to 8 maps
    and 4 to 32 filters (one product of two small numbers); 'VALID' on 15 to 40 pixels with a kernel of 3, 5 or 7
    (more outputs than the lesson's 10x10 image has). This docstring ships in a learner kit: no arithmetic here.
    Not degenerate: a size that is 2 more than a multiple of 4 is never drawn, since only then do both poolings
    see an even size and rounding up would give the right answer; more than one map, so that a filter one map
    deep has fewer weights; kernels above 1, so that no misconception's count ties with another's.
    Nothing the notebook works through or checks for everyone: not the size its table follows through the model
    (28, section 5) nor the lesson's own (32: with NAME empty the check grades the lesson's numbers), not a kernel
    and map count whose filter it counts (5x5 on 3 maps, section 4) nor C3's (5x5 on 6), not a 'VALID' example
    of section 1 (3 on 28, 5 on 32)."""
    while True:
        size = int(rng.integers(20, 41))
        filters = int((8, 16, 32)[int(rng.integers(0, 3))])
        c3_filters, c3_kernel, c3_maps = int(rng.integers(4, 33)), int((3, 5)[int(rng.integers(0, 2))]), int(rng.integers(2, 9))
        valid_n, valid_k = int(rng.integers(15, 41)), int((3, 5, 7)[int(rng.integers(0, 3))])
        if size % 4 == 2 or size in (28, 32) or (c3_kernel, c3_maps) in ((5, 6), (5, 3)) or (valid_n, valid_k) in ((28, 3), (32, 5)):
            continue
        return {"size": size, "filters": filters, "c3_filters": c3_filters, "c3_kernel": c3_kernel, "c3_maps": c3_maps,
                "valid_n": valid_n, "valid_k": valid_k}


def describe_shapes(numbers: dict) -> str:
    return (f"flatten_size_32: the Keras notes' model with {numbers['filters']} filters in each Conv2D, on "
            f"{numbers['size']}x{numbers['size']}x1 images; c3_params_full: {numbers['c3_filters']} filters of "
            f"{numbers['c3_kernel']}x{numbers['c3_kernel']} on {numbers['c3_maps']} maps, each with a bias; "
            f"readme_erratum_valid_size: 'VALID', a {numbers['valid_k']}x{numbers['valid_k']} kernel on a "
            f"{numbers['valid_n']}x{numbers['valid_n']} image")


def title_shapes(numbers: dict) -> str:
    return (f"Three sizes worked out on paper: {numbers['size']}x{numbers['size']} images, {numbers['c3_filters']} "
            f"filters of {numbers['c3_kernel']}x{numbers['c3_kernel']} on {numbers['c3_maps']} maps, 'VALID' "
            f"{numbers['valid_k']}x{numbers['valid_k']} on {numbers['valid_n']}x{numbers['valid_n']}")


def _flatten_size(numbers: dict, ceil_at=()) -> int:
    """The flattened size of the notes' model on ``numbers``' images; pools listed in ``ceil_at`` (0, 1) round up."""
    side = numbers["size"]
    for pool in (0, 1):
        side -= 2  # a 3x3 convolution, valid padding
        side = -(-side // 2) if pool in ceil_at else side // 2
    return side * side * numbers["filters"]


def _shape_answers(numbers: dict) -> dict:
    k = numbers["c3_kernel"]
    return {"flatten_size_32": _flatten_size(numbers),
            "c3_params_full": (k * k * numbers["c3_maps"] + 1) * numbers["c3_filters"],
            "readme_erratum_valid_size": numbers["valid_n"] - numbers["valid_k"] + 1}


def _shapes_ceil(numbers: dict) -> list[dict]:
    """Rounding up at the poolings (on sizes from 20 to 40, rounding up at either odd one gives the same)."""
    rounded_up = _flatten_size(numbers, (0, 1))
    return [{"flatten_size_32": rounded_up}] if rounded_up != _flatten_size(numbers) else []


def _shapes_one_map(numbers: dict) -> list[dict]:
    k = numbers["c3_kernel"]
    return [{"c3_params_full": (k * k + 1) * numbers["c3_filters"]}]


def _shapes_no_bias(numbers: dict) -> list[dict]:
    k = numbers["c3_kernel"]
    return [{"c3_params_full": k * k * numbers["c3_maps"] * numbers["c3_filters"]}]


def _shapes_off_by_one(numbers: dict) -> list[dict]:
    span = numbers["valid_n"] - numbers["valid_k"]
    return [{"readme_erratum_valid_size": span + 2}, {"readme_erratum_valid_size": span}]


shape_answers = Exercise(
    id="shape_answers",
    assignment=ASSIGNMENT,
    kind="value",
    names=("flatten_size_32", "c3_params_full", "readme_erratum_valid_size"),
    title="Three sizes worked out on paper",
    values={"flatten_size_32": 2304, "c3_params_full": 2416, "readme_erratum_valid_size": 8},
    on_paper=True,
    numbers=Numbers(draw=draw_shapes, lesson=SHAPE_LESSON, answers=_shape_answers, describe=describe_shapes,
                    wrong={"ceil-not-floor": _shapes_ceil, "channels-not-summed": _shapes_one_map,
                           "no-bias": _shapes_no_bias, "length-off-by-one": _shapes_off_by_one},
                    title=title_shapes),
    misconceptions=(
        Misconception(
            "ceil-not-floor",
            "A 2 x 2 pooling of an odd size cannot pair the last row and column with anything: they are dropped "
            "(rounding down), not padded. Follow the size through all four layers before Flatten and round down at "
            "each pooling.",
            wrong=lambda: {"flatten_size_32": 7 * 7 * 64},
        ),
        Misconception(
            "channels-not-summed",
            "Fully connected over all the maps before it means every filter is as deep as its input: it has one "
            "kernel-sized slice of weights for EACH of those maps, not a single one.",
            wrong=lambda: {"c3_params_full": (5 * 5 + 1) * 16},
        ),
        Misconception(
            "no-bias",
            "Each filter also learns one bias.",
            wrong=lambda: {"c3_params_full": 5 * 5 * 6 * 16},
        ),
        Misconception(
            "length-off-by-one",
            "One off: the README's slip. Redo the subtraction n - k + 1, or count the positions where a k-wide "
            "window can start so that it still ends inside the n values: 0, 1, ..., n - k.",
            wrong=lambda: {"readme_erratum_valid_size": 9},
        ),
    ),
)


# --------------------------------------------------------------------------- receptive_field

NOTES_RF = [(3, 1), (2, 2), (3, 1), (2, 2)]
LENET_RF = [(5, 1), (2, 2), (5, 1), (2, 2)]


def _rf_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, depth, k_range, s_range in [
        ("convolutions only, stride 1", 3, (2, 8), (1, 2)),
        ("strided convolutions", 3, (2, 6), (2, 4)),
        ("conv/pool blocks of random sizes", 6, (1, 6), (1, 3)),
        ("a deep stack", 8, (1, 4), (1, 3)),
        ("1x1 kernels between the others", 4, (1, 2), (1, 3)),
    ]:
        layers = [(int(rng.integers(*k_range)), int(rng.integers(*s_range))) for _ in range(depth)]
        cases.append(Case((layers,), label=label))
    s = int(rng.integers(2, 5))
    cases.append(Case(([(1, s), (3, 1)],), label="a stride with a 1-wide kernel first: it still spreads what follows"))
    cases.append(Case(([(int(rng.integers(2, 9)), int(rng.integers(2, 4)))],), label="a single strided layer (its own stride does not count)"))
    cases.append(Case(([],), label="no layers at all: an empty list"))
    cases.append(Case((tuple((int(rng.integers(1, 5)), int(rng.integers(1, 3))) for _ in range(3)),), label="layers given as a tuple"))
    return cases


receptive_field = Exercise(
    id="receptive_field",
    assignment=ASSIGNMENT,
    kind="function",
    names=("receptive_field",),
    signature="receptive_field(layers)",
    title="How many input pixels each layer's outputs can see",
    reference=ref.receptive_field,
    returns="array_like",
    visible=(
        Case(([(3, 1)],), expected=[3], label="one 3x3 convolution sees 3 pixels"),
        Case(([(3, 1), (3, 1)],), expected=[3, 5], label="two 3x3 convolutions, stride 1"),
        Case((NOTES_RF,), expected=[3, 4, 8, 10], label="the Keras notes' model: conv 3, pool 2, conv 3, pool 2"),
        Case((LENET_RF,), expected=[5, 6, 14, 16], label="LeNet-5's conv 5, pool 2, conv 5, pool 2"),
    ),
    hidden_cases=_rf_hidden,
    errors=(
        ErrorCase(([(3, 0)],), label="a stride of 0"),
        ErrorCase(([(0, 1)],), label="a kernel of 0"),
    ),
    misconceptions=(
        Misconception(
            "rf-ignores-stride",
            "Your receptive field grows by k - 1 at every layer. That is right only while every stride before the layer is "
            "1. After a layer with stride 2, two neighbouring outputs are 2 input pixels apart, so each extra kernel tap "
            "of the next layer reaches 2 pixels further: keep the product of the strides so far, j, and add (k - 1) * j.",
            wrong=wrong.rf_ignores_stride,
        ),
        Misconception(
            "rf-stride-too-early",
            "Your receptive field counts a layer's own stride in its own growth. A layer's stride decides how far apart its "
            "OUTPUTS are, which matters to the layers after it; its kernel still steps over the outputs of the layer "
            "before, which are j apart. Add (k - 1) * j first, then multiply j by the stride.",
            wrong=wrong.rf_stride_too_early,
        ),
    ),
)


# --------------------------------------------------------------------------- dense_vs_conv

#: The lesson's layer: the notes' first Conv2D(64, (3, 3)), on 28x28x1 images.
DENSE_LESSON = {"height": 28, "width": 28, "channels": 1, "filters": 64}


def draw_dense(rng: np.random.Generator) -> dict:
    """A student's layer: Conv2D(``filters``, (3, 3)) on ``height`` x ``width`` x ``channels`` images (the
    kernel stays 3x3: the answer's name says so).

    Bounds, for arithmetic by hand: sides of 5 to 12 pixels, 1 channel (grayscale) or 3 (RGB), 2 to 12 filters:
    the dense layer's count is at most one product of a three-digit and a four-digit number, far below the
    lesson's, and the convolution's is never the lesson's (64 filters are never drawn). This docstring ships in
    a learner kit: no arithmetic here. Not degenerate: at least 2 filters (a dense layer that forgets the filters
    must count fewer units), and a side of at least 5 (an output of at least 3 x 3 positions, so sharing one
    filter across them shows)."""
    channels = int((1, 3)[int(rng.integers(0, 2))])
    return {"height": int(rng.integers(5, 13)), "width": int(rng.integers(5, 13)), "channels": channels,
            "filters": int(rng.integers(2, 13))}


def describe_dense(numbers: dict) -> str:
    h, w, c, f = numbers["height"], numbers["width"], numbers["channels"], numbers["filters"]
    return f"Conv2D({f}, (3, 3)) on {h}x{w}x{c} images ({h} rows, {w} columns, {c} channel{'s' * (c != 1)})"


def title_dense(numbers: dict) -> str:
    h, w, c, f = numbers["height"], numbers["width"], numbers["channels"], numbers["filters"]
    return f"The same output shape from a dense layer and from Conv2D({f}, (3, 3)) on {h}x{w}x{c} images: their parameters"


def _dense_answers(numbers: dict) -> dict:
    h, w, c, f = numbers["height"], numbers["width"], numbers["channels"], numbers["filters"]
    return {"dense_params": (h * w * c + 1) * (h - 2) * (w - 2) * f, "conv_params_3x3": (3 * 3 * c + 1) * f}


def _dense_no_bias(numbers: dict) -> list[dict]:
    h, w, c, f = numbers["height"], numbers["width"], numbers["channels"], numbers["filters"]
    return [{"dense_params": h * w * c * (h - 2) * (w - 2) * f}, {"conv_params_3x3": 3 * 3 * c * f}]


def _dense_channels(numbers: dict) -> list[dict]:
    """The filters left out of the dense layer's units; on RGB also the input's channels, in either layer."""
    h, w, c, f = numbers["height"], numbers["width"], numbers["channels"], numbers["filters"]
    positions = (h - 2) * (w - 2)
    out = [{"dense_params": (h * w * c + 1) * positions}]
    if c > 1:
        out += [{"dense_params": (h * w + 1) * positions * f}, {"dense_params": (h * w + 1) * positions},
                {"conv_params_3x3": (3 * 3 + 1) * f}]
    return out


dense_vs_conv = Exercise(
    id="dense_vs_conv",
    assignment=ASSIGNMENT,
    kind="value",
    names=("dense_params", "conv_params_3x3"),
    title="The same output shape from a dense layer and from a convolution: their parameters",
    values={"dense_params": 33962240, "conv_params_3x3": 640},
    on_paper=True,
    numbers=Numbers(draw=draw_dense, lesson=DENSE_LESSON, answers=_dense_answers, describe=describe_dense,
                    wrong={"no-bias": _dense_no_bias, "channels-not-summed": _dense_channels}, title=title_dense),
    misconceptions=(
        Misconception(
            "no-bias",
            "Each output unit of the dense layer, and each filter of the convolution, also learns one bias.",
            wrong=lambda: {"dense_params": 28 * 28 * 26 * 26 * 64, "conv_params_3x3": 576},
        ),
        Misconception(
            "channels-not-summed",
            "Count every channel. The dense layer has one output unit for every value of the convolution's output, "
            "height x width x filters of them, and each unit is connected to every value of the input, all its "
            "channels included (plus its bias). A filter of the convolution, too, is as deep as its input.",
            wrong=lambda: {"dense_params": 28 * 28 * 26 * 26 + 26 * 26},
        ),
    ),
)


# --------------------------------------------------------------------------- equivariance

#: The notes' stripe (6x9) and its edge kernel: moved one column right, the stripe's edge map moves with it.
STRIPE = np.ones((6, 9), dtype=int)
STRIPE[:, 2:6] = 0
GRID = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def _equivariance_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    kinds = list(KINDS)
    settings = [
        ("a shift down and right", (6, 7), (2, 2), (1, 2)),
        ("a shift up and left", (7, 6), (3, 2), (-2, -1)),
        ("a shift down and left", (5, 8), (2, 3), (2, -3)),
        ("no shift at all", (5, 5), (3, 3), (0, 0)),
        ("a shift along the rows only", (8, 5), (1, 3), (3, 0)),
        ("a shift larger than the picture", (4, 6), (2, 2), (5, -7)),
        ("a 1x1 kernel", (5, 6), (1, 1), (-1, 2)),
        ("a kernel as large as the picture", (3, 4), (3, 4), (1, 1)),
    ]
    for n, (label, shape, kernel, (dy, dx)) in enumerate(settings):
        kind = kinds[n % len(kinds)]
        cases.append(Case((values(rng, shape, kind), values(rng, kernel, kind), dy, dx), label=f"{label}, {KINDS[kind]}"))
    for kind, kernel in (("big", (3, 3)), ("uint8", (4, 3))):
        shape = large_shape(rng)
        dy, dx = (int(v) for v in rng.integers(-5, 6, size=2))
        cases.append(Case((values(rng, shape, kind), values(rng, kernel, kind), dy, dx),
                          label=f"a {shape[0]}x{shape[1]} picture, {kernel[0]}x{kernel[1]} kernel, shift ({dy}, {dx}), {LARGE_KINDS[kind]}"))
    return cases


equivariance = Exercise(
    id="equivariance",
    assignment=ASSIGNMENT,
    kind="function",
    names=("both_orders",),
    signature="both_orders(X, K, dy, dx)",
    title="Shift, then correlate; correlate, then shift: equal away from the border",
    reference=ref.both_orders,
    returns="tuple",
    visible=(
        Case((STRIPE, [[1, -1]], 0, 1),
             label="the notes' stripe moved one column right: result[0] is shift_then_correlate, result[1] correlate_then_shift"),
        Case((GRID, [[0, 1], [2, 3]], 1, 0), label="the lesson's 3x3 grid and kernel, moved one row down"),
        Case((GRID, [[0, 1], [2, 3]], -1, -1), label="the same, moved one row up and one column left"),
        Case((STRIPE, [[1, -1]], 6, 0), label="a shift of 6 rows pushes the whole stripe out: only zeros are left"),
    ),
    hidden_cases=_equivariance_hidden,
    misconceptions=(
        Misconception(
            "shift-wraps",
            "Your shift wraps round: what leaves at one edge comes back at the other, as numpy.roll does. shift2d fills "
            "with zeros: the rows and columns it uncovers are 0 and whatever is pushed past the edge is gone. (With "
            "wrapping, the two orders would agree everywhere, which is exactly what a picture's border does not do.)",
            wrong=wrong.rolled,
        ),
        Misconception(
            "shift-direction",
            "Your shift goes the wrong way. shift2d(X, dy, dx) moves the picture dy rows DOWN and dx columns RIGHT: the "
            "value at X[i, j] ends up at out[i + dy, j + dx], so out[i, j] = X[i - dy, j - dx]; negative dy and dx "
            "move it up and left.",
            wrong=wrong.shifted_the_other_way,
        ),
    ),
    # Not by hand: the notebook gives corr2d as SciPy's correlate2d (this assignment is about shapes).
)

EXERCISES = [conv_output_size, tf_padding, pool_output_size, conv_params, model_summary, shape_answers,
             receptive_field, dense_vs_conv, equivariance]
