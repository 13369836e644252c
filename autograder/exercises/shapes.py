"""04-shapes: output sizes of convolution and pooling, parameter counts, a model summary."""
from __future__ import annotations

import math

import numpy as np

from .. import references as ref
from ..engine.spec import Case, ErrorCase, Exercise, Misconception

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
KERAS_TOTAL = 243786


def _is_float(got) -> bool:
    return isinstance(got, (float, np.floating))


# --------------------------------------------------------------------------- conv_output_size

def _truncating(n, k, padding=0, stride=1, dilation=1):
    """int() of the quotient: rounds -0.5 up to 0, so a window that does not fit counts once."""
    if min(k, stride, dilation) < 1 or padding < 0 or n < 1:
        raise ValueError("bad size")
    out = int((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
    if out < 1:
        raise ValueError("does not fit")
    return out


def _dilation_ignored(n, k, padding=0, stride=1, dilation=1):
    if dilation == 1:
        return None
    return ref.conv_output_size(n, k, padding, stride, 1)


NO_FLOOR = Misconception(
    "no-floor",
    "An output size counts window positions, so it is a whole number. With `/` you get a float, and when the stride "
    "does not divide evenly its fraction stands for part of a window, which does not exist. Round down with "
    "floor division `//`, which also keeps the result an int.",
    detect=lambda case, got: _is_float(got),
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
        Case((10, 3), expected=8, label="the TensorFlow lesson: 'VALID' on a 10x10 image, 10 - 3 + 1 = 8"),
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
            wrong=_truncating,
        ),
        NO_FLOOR,
        Misconception(
            "dilation-ignored",
            "With dilation d the kernel's k taps are d positions apart, so it spans d*(k - 1) + 1 input positions, "
            "not k. Use that span where the undilated formula uses k.",
            wrong=_dilation_ignored,
        ),
    ),
)


# --------------------------------------------------------------------------- tf_padding

def _symmetric(n, k, stride, padding):
    out, before, after = ref.tf_padding(n, k, stride, padding)
    return (out, after, before) if before != after else None


def _stride_ignored_tf(n, k, stride, padding):
    return None if stride == 1 else ref.tf_padding(n, k, 1, padding)


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
        Case((10, 3, 1, "VALID"), expected=(8, 0, 0), label="the TensorFlow lesson: 'VALID', 10 - 3 + 1 = 8"),
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
            wrong=_symmetric,
        ),
        Misconception(
            "stride-ignored",
            "With a stride s, 'SAME' does not keep n outputs: it keeps ceil(n / s), one output for every s inputs. "
            "The padding then only has to let the last of those windows fit, and 'VALID' also takes every s-th "
            "window.",
            wrong=_stride_ignored_tf,
        ),
    ),
)


# --------------------------------------------------------------------------- pool_output_size

def _pool_ceil(n, pool, stride=None):
    stride = pool if stride is None else stride
    return -(-(n - pool) // stride) + 1


def _pool_stride_one(n, pool, stride=None):
    return n - pool + 1


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
            wrong=_pool_ceil,
        ),
        Misconception(
            "stride-ignored",
            "Your windows move one step at a time. A pooling layer's stride defaults to its pool size, so the "
            "windows sit side by side without overlapping; when a stride is given, the windows move by that much.",
            wrong=_pool_stride_one,
        ),
        NO_FLOOR,
    ),
)


# --------------------------------------------------------------------------- conv_params

def _params_no_bias(kh, kw, c_in, c_out, bias=True):
    return kh * kw * c_in * c_out if bias else None


def _params_one_channel(kh, kw, c_in, c_out, bias=True):
    return kh * kw * c_out + (c_out if bias else 0) if c_in != 1 else None


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
        Misconception(NO_BIAS.id, NO_BIAS.hint, wrong=_params_no_bias),
        Misconception(CHANNELS_NOT_SUMMED.id, CHANNELS_NOT_SUMMED.hint, wrong=_params_one_channel),
    ),
)


# --------------------------------------------------------------------------- model_summary

def _walk(input_shape, layers, *, pool_round=math.floor):
    """(kind, shape, params, bias, params_if_one_channel) for a valid model (trusted)."""
    shape = tuple(input_shape)
    out = []
    for layer in layers:
        layer = (layer,) if isinstance(layer, str) else tuple(layer)
        kind = layer[0]
        if kind == "conv":
            f, size = layer[1], layer[2]
            kh, kw = (size, size) if isinstance(size, int) else tuple(size)
            h, w, c = shape
            shape = (h - kh + 1, w - kw + 1, f)
            out.append((kind, shape, kh * kw * c * f + f, f, kh * kw * f + f))
        elif kind == "pool":
            size = layer[1]
            ph, pw = (size, size) if isinstance(size, int) else tuple(size)
            h, w, c = shape
            shape = (int(pool_round((h - ph) / ph)) + 1, int(pool_round((w - pw) / pw)) + 1, c)
            out.append((kind, shape, 0, 0, 0))
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
            out.append((kind, shape, 0, 0, 0))
        else:
            units = layer[1]
            params = shape[0] * units + units
            shape = (units,)
            out.append((kind, shape, params, units, params))
    return out


def _rows_like(got, expected) -> bool:
    """Same number of rows, each (name, shape) right: only the parameter column may differ."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    for g, e in zip(got, expected):
        if not isinstance(g, (list, tuple)) or len(g) != 3 or g[0] != e[0]:
            return False
        if tuple(int(v) for v in g[1]) != tuple(e[1]):
            return False
    return True


def _params_detect(which: int):
    """detect(): every parameter count is right or has the misconception's value, and one has it."""
    def detect(case, got) -> bool:
        input_shape, layers = case.args[0], case.args[1]
        expected = ref.model_summary(input_shape, layers)
        if not _rows_like(got, expected):
            return False
        walked = _walk(input_shape, layers)
        seen = False
        for g, e, w in zip(got, expected, walked):
            right = e[2]
            wrong = right - w[3] if which == 3 else w[4]
            if int(g[2]) == right:
                continue
            if int(g[2]) != wrong:
                return False
            seen = True
        return seen
    return detect


def _summary_ceil(input_shape, layers):
    walked = _walk(input_shape, layers, pool_round=math.ceil)
    names, rows = {}, []
    for kind, shape, params, _, _ in walked:
        base = ref.LAYER_NAMES[kind]
        seen = names.get(base, 0)
        names[base] = seen + 1
        rows.append((base if seen == 0 else f"{base}_{seen}", shape, params))
    return rows


def _total_is_keras(rows) -> str | None:
    try:
        total = sum(int(row[2]) for row in rows)
    except Exception:
        return "the rows should be (name, output_shape, params) triples whose params add up to Keras's total."
    if total != KERAS_TOTAL:
        return f"your parameter counts add up to {total}; Keras reports Total params: {KERAS_TOTAL} for this model."
    return None


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
        Case((KERAS_INPUT, KERAS_LAYERS), judge=_total_is_keras, label="Keras's Total params for that model, 243786"),
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
                      "(Dense(10) after 128 values has 128 * 10 + 10).", detect=_params_detect(3)),
        Misconception(CHANNELS_NOT_SUMMED.id, CHANNELS_NOT_SUMMED.hint + " The second Conv2D of the Keras model "
                      "sees 64 channels.", detect=_params_detect(4)),
        Misconception(
            "ceil-not-floor",
            "A 2x2 pooling of an odd size rounds down: the last row and column that do not fill a window are "
            "dropped, so 11 becomes 5, not 6. Every later shape depends on it.",
            wrong=_summary_ceil,
        ),
    ),
)


# --------------------------------------------------------------------------- shape_answers

shape_answers = Exercise(
    id="shape_answers",
    assignment=ASSIGNMENT,
    kind="value",
    names=("flatten_size", "lenet_c1_shape", "readme_erratum_valid_size"),
    title="Three sizes worked out from the lessons",
    values={"flatten_size": 1600, "lenet_c1_shape": (28, 28, 6), "readme_erratum_valid_size": 8},
    misconceptions=(
        Misconception(
            "ceil-not-floor",
            "The second pooling layer gets 11 x 11 values. Its 2 x 2 windows are not padded: the last row and "
            "column, which have no partner, are dropped (rounding down), so the pooled maps are smaller than 6 x 6.",
            wrong=lambda: {"flatten_size": 6 * 6 * 64},
        ),
        Misconception(
            "channel-axis",
            "Keras writes shapes channels last, (height, width, channels), as in the input (32, 32, 1).",
            wrong=lambda: {"lenet_c1_shape": (6, 28, 28)},
        ),
        Misconception(
            "length-off-by-one",
            "That is the README's slip. Redo its subtraction, or count the positions where a 3-wide window "
            "can start so that it still ends inside the 10 values.",
            wrong=lambda: {"readme_erratum_valid_size": 9},
        ),
    ),
)

EXERCISES = [conv_output_size, tf_padding, pool_output_size, conv_params, model_summary, shape_answers]
