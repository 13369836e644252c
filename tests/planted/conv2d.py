"""Planted wrong answers for 02-conv2d."""
from . import Plant

ASSIGNMENT = "02-conv2d"

_CONV2D_HEAD = '''
def conv2d(image, kernel, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("mode must be 'full', 'same' or 'valid'")
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must both be 2-D")
    (h, w), (kh, kw) = image.shape, kernel.shape
    if mode == "valid" and not ((h >= kh and w >= kw) or (kh >= h and kw >= w)):
        raise ValueError("for 'valid' one input must fit inside the other")
'''

# Pads with zeros and slides a window over the result, the way the blog post does.
_SLIDE = '''
    padded = np.zeros((h + 2 * (kh - 1), w + 2 * (kw - 1)))
    padded[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w] = image
    full = np.zeros((h + kh - 1, w + kw - 1))
    for r in range(full.shape[0]):
        for c in range(full.shape[1]):
            full[r, c] = np.sum(padded[r:r + kh, c:c + kw] * {kernel})
'''

_CUT = '''
    if mode == "full":
        return full
    if mode == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        return full[top:top + h, left:left + w]
    return full[min(h, kh) - 1:max(h, kh), min(w, kw) - 1:max(w, kw)]
'''

_NEIGHBOURHOOD = '''
neighbourhood_3x3 = np.array([[0, 64, 128], [48, 192, 144], [142, 226, 168]])
notes_filter = np.array([[-1, 0, -2], [0.5, 4.5, -1.5], [1.5, 2, -3]])
'''

_PAD2D_HEAD = '''
def pad2d(image, pad, boundary="fill"):
    if boundary not in ("fill", "symm", "wrap"):
        raise ValueError("boundary must be 'fill', 'symm' or 'wrap'")
    if pad < 0:
        raise ValueError("pad must be >= 0")
    image = np.asarray(image)
'''

_SAME_HEAD = '''
def conv2d_same(image, kernel, boundary="fill"):
    if boundary not in ("fill", "symm", "wrap"):
        raise ValueError("boundary must be 'fill', 'symm' or 'wrap'")
    kernel = np.asarray(kernel)
    kh, kw = kernel.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError("the kernel needs odd sides")
    image = np.asarray(image)
    h, w = image.shape
'''

PLANTS = [
    # ---------------------------------------------------------------- conv2d
    Plant("conv2d", "no-flip", _CONV2D_HEAD + _SLIDE.format(kernel="kernel") + _CUT),
    Plant("conv2d", "flip-one-axis", _CONV2D_HEAD + _SLIDE.format(kernel="kernel[::-1]") + _CUT),
    Plant("conv2d", "same-left-aligned", _CONV2D_HEAD + _SLIDE.format(kernel="kernel[::-1, ::-1]") + '''
    if mode == "full":
        return full
    if mode == "same":
        return full[:h, :w]
    return full[min(h, kh) - 1:max(h, kh), min(w, kw) - 1:max(w, kw)]
'''),
    Plant("conv2d", "uint8-wraparound", _CONV2D_HEAD + '''
    padded = np.zeros((h + 2 * (kh - 1), w + 2 * (kw - 1)), dtype=image.dtype)
    padded[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w] = image
    flipped = kernel[::-1, ::-1]
    full = np.zeros((h + kh - 1, w + kw - 1), dtype=image.dtype)  # an image stays an image...
    for r in range(full.shape[0]):
        for c in range(full.shape[1]):
            full[r, c] = np.sum(padded[r:r + kh, c:c + kw] * flipped)
''' + _CUT),
    Plant("conv2d", "wrong-shape", _CONV2D_HEAD + '''
    image = image.astype(float)
    full = np.zeros((h + kh, w + kw))  # room for the image plus the kernel
    for u in range(kh):
        for v in range(kw):
            full[u:u + h, v:v + w] += kernel[u, v] * image
''' + _CUT),
    Plant("conv2d", "valid-off-by-one", _CONV2D_HEAD + _SLIDE.format(kernel="kernel[::-1, ::-1]") + '''
    if mode == "full":
        return full
    if mode == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        return full[top:top + h, left:left + w]
    # from where the smaller one is fully inside to where it starts to leave
    return full[min(h, kh):max(h, kh), min(w, kw):max(w, kw)]
'''),
    Plant("conv2d", "same-first-input-size", _CONV2D_HEAD + _SLIDE.format(kernel="kernel[::-1, ::-1]") + '''
    if mode == "full":
        return full
    if mode == "same":
        # as np.convolve: as large as the larger input, centred
        rows, cols = max(h, kh), max(w, kw)
        top, left = (min(h, kh) - 1) // 2, (min(w, kw) - 1) // 2
        return full[top:top + rows, left:left + cols]
    return full[min(h, kh) - 1:max(h, kh), min(w, kw) - 1:max(w, kw)]
'''),
    Plant("conv2d", "forbidden-call", '''
from scipy import signal

def conv2d(image, kernel, mode="full"):
    return signal.convolve2d(image, kernel, mode)
''', status="forbidden"),
    # ---------------------------------------------------------------- neighbourhood
    Plant("neighbourhood", "no-flip", _NEIGHBOURHOOD + '''
pixel_as_in_notes = 577
# the same sum: the filter is symmetric enough, isn't it?
pixel_true_convolution = 577
'''),
    Plant("neighbourhood", "flip-one-axis", _NEIGHBOURHOOD + '''
pixel_as_in_notes = 577
# the filter mirrored left to right: -2 0 -1 / -1.5 4.5 0.5 / -3 2 1.5
pixel_true_convolution = 1014
'''),
    Plant("neighbourhood", "not-implemented", _NEIGHBOURHOOD + '''
# YOUR CODE HERE
raise NotImplementedError()
''', status="not-implemented"),
    # ---------------------------------------------------------------- pad2d
    Plant("pad2d", "wrong-boundary", _PAD2D_HEAD + '''
    h, w = image.shape
    if boundary == "fill":
        out = np.zeros((h + 2 * pad, w + 2 * pad), dtype=image.dtype)
        out[pad:pad + h, pad:pad + w] = image
        return out

    def source(n):
        position = np.arange(-pad, n + pad)
        if boundary == "wrap":
            return position % n
        # a mirror: c b | a b c | b a (the edge value is the mirror's axis)
        if n == 1:
            return np.zeros_like(position)
        folded = position % (2 * n - 2)
        return np.where(folded < n, folded, 2 * n - 2 - folded)

    return image[np.ix_(source(h), source(w))]
'''),
    Plant("pad2d", "forbidden-call", _PAD2D_HEAD + '''
    modes = {"fill": "constant", "symm": "symmetric", "wrap": "wrap"}
    return np.pad(image, pad, mode=modes[boundary])
''', status="forbidden"),
    Plant("pad2d", "padding-one-side", _PAD2D_HEAD + '''
    h, w = image.shape
    rows = np.arange(h + pad)
    cols = np.arange(w + pad)
    if boundary == "fill":
        out = np.zeros((h + pad, w + pad), dtype=image.dtype)
        out[pad:, pad:] = image
        return out
    if boundary == "wrap":
        return image[np.ix_((rows - pad) % h, (cols - pad) % w)]
    r = (rows - pad) % (2 * h)
    c = (cols - pad) % (2 * w)
    return image[np.ix_(np.where(r < h, r, 2 * h - 1 - r), np.where(c < w, c, 2 * w - 1 - c))]
'''),
    # ---------------------------------------------------------------- conv2d_same
    Plant("conv2d_same", "wrong-boundary", _SAME_HEAD + '''
    # the border is taken care of by conv2d's zero padding
    return conv2d(image, kernel, "same")
'''),
    Plant("conv2d_same", "wrong-boundary", _SAME_HEAD + '''
    modes = {"fill": "constant", "symm": "reflect", "wrap": "wrap"}
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode=modes[boundary])
    return conv2d(padded, kernel, "valid")
'''),
    Plant("conv2d_same", "no-flip", _SAME_HEAD + '''
    p = max(kh, kw) // 2
    padded = pad2d(image, p, boundary)[p - kh // 2:p + h + kh // 2, p - kw // 2:p + w + kw // 2]
    out = np.zeros((h, w))
    for r in range(h):
        for c in range(w):
            # the kernel is centred on pixel (r, c) and multiplied in place
            out[r, c] = np.sum(padded[r:r + kh, c:c + kw] * kernel)
    return out
'''),
    Plant("conv2d_same", "forbidden-call", '''
import scipy.signal

def conv2d_same(image, kernel, boundary="fill"):
    kernel = np.asarray(kernel)
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError("the kernel needs odd sides")
    return scipy.signal.convolve2d(image, kernel, "same", boundary=boundary)
''', status="forbidden"),
]
