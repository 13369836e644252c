"""Planted wrong answers for 04-shapes."""
from . import Plant

ASSIGNMENT = "04-shapes"

_CONV_SIZE_HEAD = '''
def conv_output_size(n, k, padding=0, stride=1, dilation=1):
    if n < 1 or k < 1 or stride < 1 or dilation < 1 or padding < 0:
        raise ValueError("sizes must be positive and padding non-negative")
'''

_SUMMARY_HEAD = '''
def model_summary(input_shape, layers):
    if len(input_shape) != 3:
        raise ValueError("input_shape must be (H, W, C)")
    names = {"conv": "conv2d", "pool": "max_pooling2d", "flatten": "flatten", "dense": "dense"}
    counts = {}
    shape = tuple(input_shape)
    rows = []
    for layer in layers:
        kind = layer[0]
        if kind not in names:
            raise ValueError(f"unknown layer {kind}")
'''

_SUMMARY_TAIL = '''
        else:
            if len(shape) != 1:
                raise ValueError("flatten before dense")
            units = layer[1]
            params = DENSE
            shape = (units,)
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        rows.append((names[kind] if n == 0 else names[kind] + "_" + str(n), shape, params))
    return rows
'''


def _summary(conv: str, pool: str, dense: str = "shape[0] * units + units") -> str:
    """A model_summary answer cell with the conv and pool branches given."""
    return _SUMMARY_HEAD + '''
        if kind == "conv":
            if len(layer) != 3 or len(shape) != 3:
                raise ValueError("conv needs (filters, kernel) and an image input")
            filters, size = layer[1], layer[2]
            kh, kw = (size, size) if isinstance(size, int) else size
            h, w, c = shape
            if kh > h or kw > w:
                raise ValueError("kernel larger than the input")
''' + conv + '''
        elif kind == "pool":
            if len(shape) != 3:
                raise ValueError("pool needs an image input")
            size = layer[1]
            ph, pw = (size, size) if isinstance(size, int) else size
            h, w, c = shape
            if ph > h or pw > w:
                raise ValueError("pool larger than the input")
''' + pool + '''
        elif kind == "flatten":
            shape = (shape[0] * shape[1] * shape[2],)
            params = 0''' + _SUMMARY_TAIL.replace("DENSE", dense)


_GOOD_CONV = '''
            shape = (h - kh + 1, w - kw + 1, filters)
            params = (kh * kw * c + 1) * filters'''
_GOOD_POOL = '''
            shape = (h // ph, w // pw, c)
            params = 0'''

_RF_HEAD = '''
def receptive_field(layers):
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError("kernels and strides must be at least 1")
'''

# The answer cell of the equivariance exercise, right, with the given both_orders at its end.
_EQUIVARIANCE = '''
def shift2d(X, dy, dx):
    X = np.asarray(X)
    h, w = X.shape
    out = np.zeros_like(X)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = X[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def shift_then_correlate(X, K, dy, dx):
    return corr2d(shift2d(X, dy, dx), K)


def correlate_then_shift(X, K, dy, dx):
    return shift2d(corr2d(X, K), dy, dx)


def both_orders(X, K, dy, dx):
    return shift_then_correlate(X, K, dy, dx), correlate_then_shift(X, K, dy, dx)
'''

PLANTS = [
    Plant("conv_output_size", "int-truncation", _CONV_SIZE_HEAD + '''
    out = int((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
    if out < 1:
        raise ValueError("the kernel does not fit in the input")
    return out
'''),
    Plant("conv_output_size", "no-floor", _CONV_SIZE_HEAD + '''
    out = (n + 2 * padding - dilation * (k - 1) - 1) / stride + 1
    if out < 1:
        raise ValueError("the kernel does not fit in the input")
    return out
'''),
    Plant("conv_output_size", "dilation-ignored", _CONV_SIZE_HEAD + '''
    if k > n + 2 * padding:
        raise ValueError("the kernel does not fit in the input")
    return (n + 2 * padding - k) // stride + 1
'''),
    Plant("conv_output_size", "returns-none", _CONV_SIZE_HEAD + '''
    span = dilation * (k - 1) + 1
    out = (n + 2 * padding - span) // stride + 1
    if out < 1:
        raise ValueError("the kernel does not fit in the input")
'''),
    Plant("conv_output_size", "timeout", _CONV_SIZE_HEAD + '''
    span = dilation * (k - 1) + 1
    count, start = 0, 0
    while start + span <= n + 2 * padding:  # count the windows one by one
        count += 1
    if count == 0:
        raise ValueError("the kernel does not fit in the input")
    return count
''', status="timeout"),
    Plant("tf_padding", "padding-symmetric", '''
def tf_padding(n, k, stride, padding):
    if padding not in ("SAME", "VALID"):
        raise ValueError("padding must be 'SAME' or 'VALID'")
    if n < 1 or k < 1 or stride < 1:
        raise ValueError("sizes must be at least 1")
    if padding == "VALID":
        if k > n:
            raise ValueError("kernel larger than the input")
        return math.ceil((n - k + 1) / stride), 0, 0
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + k - n, 0)
    after = total // 2
    return out, total - after, after
'''),
    Plant("tf_padding", "stride-ignored", '''
def tf_padding(n, k, stride, padding):
    if padding not in ("SAME", "VALID"):
        raise ValueError("padding must be 'SAME' or 'VALID'")
    if n < 1 or k < 1 or stride < 1:
        raise ValueError("sizes must be at least 1")
    if padding == "VALID":
        if k > n:
            raise ValueError("kernel larger than the input")
        return n - k + 1, 0, 0
    # 'SAME' keeps the size of the input
    total = k - 1
    return n, total // 2, total - total // 2
'''),
    Plant("pool_output_size", "ceil-not-floor", '''
def pool_output_size(n, pool, stride=None):
    if stride is None:
        stride = pool
    if n < 1 or pool < 1 or stride < 1 or pool > n:
        raise ValueError("bad pooling sizes")
    return math.ceil((n - pool) / stride) + 1
'''),
    Plant("pool_output_size", "stride-ignored", '''
def pool_output_size(n, pool, stride=None):
    if stride is None:
        stride = 1
    if n < 1 or pool < 1 or stride < 1 or pool > n:
        raise ValueError("bad pooling sizes")
    return n - pool + 1
'''),
    Plant("pool_output_size", "no-floor", '''
def pool_output_size(n, pool, stride=None):
    if stride is None:
        stride = pool
    if n < 1 or pool < 1 or stride < 1 or pool > n:
        raise ValueError("bad pooling sizes")
    return (n - pool) / stride + 1
'''),
    Plant("conv_params", "no-bias", '''
def conv_params(kh, kw, c_in, c_out, bias=True):
    if min(kh, kw, c_in, c_out) < 1:
        raise ValueError("sizes must be at least 1")
    return kh * kw * c_in * c_out
'''),
    Plant("conv_params", "channels-not-summed", '''
def conv_params(kh, kw, c_in, c_out, bias=True):
    if min(kh, kw, c_in, c_out) < 1:
        raise ValueError("sizes must be at least 1")
    per_filter = kh * kw + (1 if bias else 0)
    return per_filter * c_out
'''),
    Plant("model_summary", "no-bias", _summary(_GOOD_CONV, _GOOD_POOL, dense="shape[0] * units")),
    Plant("model_summary", "channels-not-summed", _summary('''
            shape = (h - kh + 1, w - kw + 1, filters)
            params = (kh * kw + 1) * filters''', _GOOD_POOL)),
    Plant("model_summary", "ceil-not-floor", _summary(_GOOD_CONV, '''
            shape = (math.ceil(h / ph), math.ceil(w / pw), c)
            params = 0''')),
    # Consumes the caller's list while walking it.
    Plant("model_summary", "modifies-input", _summary(_GOOD_CONV, _GOOD_POOL).replace(
        "    for layer in layers:\n", "    while layers:\n        layer = layers.pop(0)\n")),
    Plant("shape_answers", "ceil-not-floor",
          "flatten_size_32 = 3136  # 30, 15, 13, 7 (13 / 2 rounded up): 7 * 7 * 64\n"
          "c3_params_full = 2416\nreadme_erratum_valid_size = 8"),
    Plant("shape_answers", "channels-not-summed",
          "flatten_size_32 = 2304\nc3_params_full = 416  # (5 * 5 + 1) * 16\nreadme_erratum_valid_size = 8"),
    Plant("shape_answers", "no-bias",
          "flatten_size_32 = 2304\nc3_params_full = 2400  # 5 * 5 * 6 * 16\nreadme_erratum_valid_size = 8"),
    Plant("shape_answers", "length-off-by-one",
          "flatten_size_32 = 2304\nc3_params_full = 2416\nreadme_erratum_valid_size = 9  # 10 - 3 + 1"),
    Plant("shape_answers", "not-implemented", "# YOUR CODE HERE\nraise NotImplementedError()", status="not-implemented"),
    Plant("pool_output_size", "size-ignores-pool", '''
def pool_output_size(n, pool, stride=None):
    if stride is None:
        stride = pool
    if n < 1 or pool < 1 or stride < 1 or pool > n:
        raise ValueError("bad pooling sizes")
    return n // stride  # one window per stride
'''),
    Plant("model_summary", "height-width-swapped", _summary(_GOOD_CONV, _GOOD_POOL).replace(
        "kh, kw = (size, size) if isinstance(size, int) else size",
        "kw, kh = (size, size) if isinstance(size, int) else size  # (width, height)").replace(
        "ph, pw = (size, size) if isinstance(size, int) else size",
        "pw, ph = (size, size) if isinstance(size, int) else size")),
    Plant("receptive_field", "rf-ignores-stride", _RF_HEAD + '''
    field, out = 1, []
    for k, s in layers:
        field += k - 1  # each layer sees k - 1 more pixels
        out.append(field)
    return out
'''),
    Plant("receptive_field", "rf-stride-too-early", _RF_HEAD + '''
    field, jump, out = 1, 1, []
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
        out.append(field)
    return out
'''),
    Plant("dense_vs_conv", "no-bias", "dense_params = 33918976  # 784 * 43264\nconv_params_3x3 = 576"),
    Plant("dense_vs_conv", "channels-not-summed", "dense_params = 530660  # (784 + 1) * 26 * 26\nconv_params_3x3 = 640"),
    Plant("dense_vs_conv", "not-implemented", "# YOUR CODE HERE\nraise NotImplementedError()", status="not-implemented"),
    Plant("equivariance", "shift-wraps", _EQUIVARIANCE.replace('''
    h, w = X.shape
    out = np.zeros_like(X)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = X[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out''', '''
    return np.roll(X, (dy, dx), axis=(0, 1))''')),
    Plant("equivariance", "shift-direction", _EQUIVARIANCE.replace(
        "out[i, j] = X[i - dy, j - dx]", "out[i, j] = X[i + dy, j + dx]").replace('''
    h, w = X.shape
    out = np.zeros_like(X)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = X[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out''', '''
    h, w = X.shape
    out = np.zeros_like(X)
    for i in range(h):
        for j in range(w):
            if 0 <= i + dy < h and 0 <= j + dx < w:
                out[i, j] = X[i + dy, j + dx]  # dy rows further down
    return out''')),
]
