"""Planted wrong answers for 05-image-filters."""
from . import Plant

ASSIGNMENT = "05-image-filters"

_FILTER_HEAD = '''
def filter_image(image, kernel, boundary="fill"):
    """Convolve a grayscale picture with a kernel, keeping the picture's size."""
    if boundary not in ("fill", "symm", "wrap"):
        raise ValueError("unknown boundary")
    if np.ndim(image) != 2 or np.ndim(kernel) != 2:
        raise ValueError("image and kernel must be 2-D")
'''

_EDGE_HEAD = '''
def edge_map(image, bias=0):
    """The lesson's edge picture."""
'''

PLANTS = [
    Plant("load_grayscale", "not-implemented", '''
def load_grayscale(path):
    """Open a picture with Pillow and return its grey levels."""
    # YOUR CODE HERE
    raise NotImplementedError()
''', status="not-implemented"),
    Plant("filter_image", "no-flip", _FILTER_HEAD + '''
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    # slide the kernel over the picture, as in the blog's loop
    return signal.correlate2d(image, kernel, mode="same", boundary=boundary)
'''),
    Plant("filter_image", "uint8-wraparound", _FILTER_HEAD + '''
    result = signal.convolve2d(image, kernel, mode="same", boundary=boundary)
    return result.astype(np.asarray(image).dtype)  # keep the picture's type
'''),
    Plant("filter_image", "uint8-output", _FILTER_HEAD + '''
    result = signal.convolve2d(np.asarray(image, dtype=float), kernel, mode="same", boundary=boundary)
    return np.rint(np.clip(result, 0, 255)).astype(np.uint8)  # pixels, ready to show
'''),
    Plant("filter_image", "boundary-ignored", _FILTER_HEAD + '''
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)[::-1, ::-1]
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)))  # zeros around the picture
    out = np.zeros(image.shape)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = np.sum(padded[i:i + kh, j:j + kw] * kernel)
    return out
'''),
    Plant("filter_image", "wrong-shape", _FILTER_HEAD + '''
    image = np.asarray(image, dtype=float)
    return signal.convolve2d(image, np.asarray(kernel, dtype=float), boundary=boundary)
'''),
    Plant("to_uint8", "no-clip", '''
def to_uint8(image):
    """Squash real values into 8-bit pixels."""
    return np.rint(np.asarray(image, dtype=float)).astype(np.uint8)
'''),
    Plant("to_uint8", "modifies-input", '''
def to_uint8(image):
    """Squash real values into 8-bit pixels."""
    image = np.asarray(image)
    np.clip(image, 0, 255, out=image)  # clip in place to save memory
    return np.rint(image).astype(np.uint8)
'''),
    Plant("edge_map", "wrong-boundary", _EDGE_HEAD + '''
    magnitude = np.abs(filter_image(image, KERNELS["edge2"]))
    return np.minimum(magnitude + bias, 255)
'''),
    Plant("edge_map", "no-clip", _EDGE_HEAD + '''
    return np.abs(filter_image(image, KERNELS["edge2"], "symm")) + bias
'''),
    Plant("edge_map", "returns-none", _EDGE_HEAD + '''
    magnitude = np.abs(filter_image(image, KERNELS["edge2"], "symm"))
    result = np.minimum(magnitude + bias, 255)
'''),
    Plant("save_png", "no-clip", '''
def save_png(array, path):
    """Write a 2-D array as an 8-bit grayscale PNG file."""
    pixels = np.asarray(array).astype(np.uint8)
    Image.fromarray(pixels).save(path)
'''),
]
