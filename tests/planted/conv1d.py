"""Planted wrong answers for 01-conv1d."""
from . import Plant

ASSIGNMENT = "01-conv1d"

_CONV1D_HEAD = '''
def conv1d(x, h):
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("both inputs need at least one value")
'''

PLANTS = [
    Plant("by_hand_full", "no-flip", "y_by_hand = [0, 3, 10, 13, 10]"),
    Plant("by_hand_full", "length-off-by-one", "y_by_hand = [6, 11, 14, 5]"),
    Plant("by_hand_full", "not-implemented", "# YOUR CODE HERE\nraise NotImplementedError()", status="not-implemented"),
    Plant("conv1d", "no-flip", _CONV1D_HEAD + '''
    x = x.astype(float)
    h = h.astype(float)
    padded = np.concatenate([np.zeros(h.size - 1), x, np.zeros(h.size - 1)])
    # slides h along x as it is, without reversing it
    return np.array([np.sum(padded[n:n + h.size] * h) for n in range(x.size + h.size - 1)])
'''),
    Plant("conv1d", "length-off-by-one", _CONV1D_HEAD + '''
    y = np.zeros(x.size + h.size)
    for k in range(x.size):
        y[k:k + h.size] += x[k] * h
    return y
'''),
    Plant("conv1d", "uint8-wraparound", _CONV1D_HEAD + '''
    y = np.zeros(x.size + h.size - 1, dtype=x.dtype)
    for k in range(x.size):
        y[k:k + h.size] += x[k] * h
    return y
'''),
    Plant("conv1d", "returns-none", _CONV1D_HEAD + '''
    y = np.zeros(x.size + h.size - 1)
    for k in range(x.size):
        y[k:k + h.size] += x[k] * h
'''),
    Plant("conv1d", "wrong-shape", _CONV1D_HEAD + '''
    y = np.zeros((1, x.size + h.size - 1))
    for k in range(x.size):
        y[0, k:k + h.size] += x[k] * h
    return y
'''),
    Plant("conv1d", "modifies-input", '''
def conv1d(x, h):
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("both inputs need at least one value")
    h[:] = h[::-1].copy()  # flip the kernel... in the caller's array
    wide = np.result_type(x, h, np.int64) if x.dtype.kind in "biu" and h.dtype.kind in "biu" else float
    padded = np.concatenate([np.zeros(h.size - 1), x.astype(wide), np.zeros(h.size - 1)])
    return np.array([np.sum(padded[n:n + h.size] * h.astype(wide)) for n in range(x.size + h.size - 1)])
'''),
    Plant("conv1d", "forbidden-call", '''
def conv1d(x, h):
    if len(x) == 0 or len(h) == 0:
        raise ValueError("empty input")
    return np.convolve(np.asarray(x, dtype=float), np.asarray(h, dtype=float))
''', status="forbidden"),
    Plant("conv1d", "timeout", _CONV1D_HEAD + '''
    n = 0
    while n < x.size:  # n is never increased
        pass
''', status="timeout"),
    Plant("conv1d_mode", "same-left-aligned", '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode")
    full = conv1d(x, h)
    if mode == "full":
        return full
    if mode == "same":
        return full[:max(len(x), len(h))]
    short, long_ = min(len(x), len(h)), max(len(x), len(h))
    return full[short - 1:long_]
'''),
    Plant("conv1d_mode", "same-first-input-size", '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode")
    full = conv1d(x, h)
    if mode == "full":
        return full
    short, long_ = min(len(x), len(h)), max(len(x), len(h))
    if mode == "same":
        start = (len(full) - len(x)) // 2
        return full[start:start + len(x)]
    return full[short - 1:long_]
'''),
    Plant("conv1d_mode", "valid-no-swap", '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode")
    full = conv1d(x, h)
    if mode == "full":
        return full
    short, long_ = min(len(x), len(h)), max(len(x), len(h))
    if mode == "same":
        start = (short - 1) // 2
        return full[start:start + long_]
    # assumes x is the longer input
    return full[len(h) - 1:len(x)]
'''),
    Plant("conv1d_mode", "no-flip", '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode")
    if len(x) == 0 or len(h) == 0:
        raise ValueError("empty input")
    # "convolution" without turning the kernel around
    full = conv1d(x, np.asarray(h)[::-1])
    short, long_ = min(len(x), len(h)), max(len(x), len(h))
    if mode == "full":
        return full
    if mode == "same":
        start = (short - 1) // 2
        return full[start:start + long_]
    return full[short - 1:long_]
'''),
    Plant("output_length", "valid-no-swap", '''
def output_length(n, k, mode="full"):
    if mode == "full":
        return n + k - 1
    if mode == "same":
        return max(n, k)
    if mode == "valid":
        return n - k + 1
    raise ValueError("unknown mode")
'''),
    Plant("conv1d_mode", "valid-off-by-one", '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode")
    full = conv1d(x, h)
    short, long_ = min(len(x), len(h)), max(len(x), len(h))
    if mode == "full":
        return full
    if mode == "same":
        start = (short - 1) // 2
        return full[start:start + long_]
    # the positions where the short one lies inside: from short to long (one too few)
    return full[short:long_]
'''),
    Plant("output_length", "valid-off-by-one", '''
def output_length(n, k, mode="full"):
    if mode == "full":
        return n + k - 1
    if mode == "same":
        return max(n, k)
    if mode == "valid":
        return max(n, k) - min(n, k)
    raise ValueError("unknown mode")
'''),
]
