"""Reference implementations for assignment 05-image-filters.

Pillow reads and writes the pictures; the filtering reuses the 'same'
convolution of :mod:`conv2d`, which agrees with
``scipy.signal.convolve2d(image, kernel, 'same', boundary=...)``.
"""
from __future__ import annotations

import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._validate import as_2d, as_array, as_choice, as_path, as_real
from .conv2d import BOUNDARIES, _convolve_same

__all__ = ["load_grayscale", "KERNELS", "filter_image", "to_uint8", "edge_map", "save_png"]


def _kernel(rows, scale: float = 1.0) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.float64) * scale
    arr.flags.writeable = False  # shared by every caller: keep it intact
    return arr


#: The classic image kernels of the lesson, as read-only float64 arrays.
KERNELS: dict[str, np.ndarray] = {
    "identity": _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "edge1": _kernel([[1, 0, -1], [0, 0, 0], [-1, 0, 1]]),
    "edge2": _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "edge3": _kernel([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "sharpen": _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "unsharp": _kernel([[1, 4, 6, 4, 1],
                        [4, 16, 24, 16, 4],
                        [6, 24, -476, 24, 6],
                        [4, 16, 24, 16, 4],
                        [1, 4, 6, 4, 1]], 1 / -256),
    "box_blur": _kernel(np.ones((3, 3)), 1 / 9),
    "gaussian_blur": _kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
}


def load_grayscale(path) -> np.ndarray:
    """Read a picture and return its grey levels as a float64 array.

    Pillow's ``convert('L')`` applies the ITU-R 601-2 luma transform
    ``L = R * 299/1000 + G * 587/1000 + B * 114/1000`` (rounded to 0..255).

    Parameters
    ----------
    path : str or os.PathLike
        The image file (PNG, JPEG, ... anything Pillow opens).

    Returns
    -------
    numpy.ndarray
        A writable 2-D float64 array (rows x columns) of values 0..255.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not an image Pillow can read (or is a directory), or
        ``path`` is not a str/PathLike.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, 'tiny.png')
    ...     save_png([[0, 128], [255, 7]], path)
    ...     grey = load_grayscale(path)
    >>> grey
    array([[  0., 128.],
           [255.,   7.]])
    """
    path = as_path("path", path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"no image file at {path!r}; check the file name and the working "
            f"directory ({os.getcwd()!r})."
        )
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not an image file; pass a PNG or JPEG file.")
    try:
        with Image.open(path) as img:
            grey = img.convert("L")
    except UnidentifiedImageError:
        raise ValueError(
            f"{path!r} is not an image Pillow can read; pass a PNG or JPEG file."
        ) from None
    return np.array(grey, dtype=np.float64)


def filter_image(image, kernel, boundary: str = "fill") -> np.ndarray:
    """Convolve a grayscale image with a kernel, keeping the image's size.

    Equal to ``scipy.signal.convolve2d(image, kernel, 'same',
    boundary=boundary)`` for any kernel size (odd or even sides), computed
    in float64 so that ``uint8`` pixels never wrap around.

    Parameters
    ----------
    image : array_like
        Non-empty 2-D image.
    kernel : array_like
        Non-empty 2-D kernel, e.g. one of :data:`KERNELS`.
    boundary : {'fill', 'symm', 'wrap'}
        How the image is continued past its edges: zeros, mirror, periodic.

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``image``; not clipped (see :func:`to_uint8`).

    Raises
    ------
    ValueError
        For non-2-D, empty or non-real arrays or an unknown boundary.

    Examples
    --------
    >>> img = [[10, 20, 30], [40, 50, 60], [70, 80, 90]]
    >>> filter_image(img, KERNELS['identity'])
    array([[10., 20., 30.],
           [40., 50., 60.],
           [70., 80., 90.]])
    >>> filter_image(img, KERNELS['box_blur'], 'wrap')[1, 1]
    np.float64(50.0)
    """
    boundary = as_choice("boundary", boundary, BOUNDARIES)
    image = as_2d("image", image).astype(np.float64, copy=False)
    kernel = as_2d("kernel", kernel).astype(np.float64, copy=False)
    return _convolve_same(image, kernel, boundary)


def to_uint8(image) -> np.ndarray:
    """Squash values into displayable 8-bit pixels.

    Values are clipped to [0, 255], rounded to the nearest integer (halves
    to even, as ``numpy.rint`` does) and cast to ``uint8``.

    Parameters
    ----------
    image : array_like
        Real numbers of any shape; no NaN.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape.

    Raises
    ------
    ValueError
        If ``image`` contains NaN or is not real.

    Examples
    --------
    >>> to_uint8([-5, 0.5, 1.5, 127.6, 260])
    array([  0,   0,   2, 128, 255], dtype=uint8)
    """
    arr = as_array("image", image)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(
            "image contains NaN, which has no pixel value; replace it first "
            "(for example with numpy.nan_to_num)."
        )
    return np.rint(np.clip(arr, 0, 255)).astype(np.uint8)


def edge_map(image, bias=0) -> np.ndarray:
    """The lesson's edge picture: |Laplacian| plus a bias, capped at 255.

    ``min(|conv2d_same(image, KERNELS['edge2'], 'symm')| + bias, 255)``.

    Parameters
    ----------
    image : array_like
        Non-empty 2-D grayscale image.
    bias : float, default 0
        Added to every magnitude to brighten the picture (the lesson used 100).

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``image``, at most 255.

    Raises
    ------
    ValueError
        For a bad image or a bias that is not a finite real number.

    Examples
    --------
    >>> edge_map([[0, 0, 0], [0, 100, 0], [0, 0, 0]])
    array([[  0., 100.,   0.],
           [100., 255., 100.],
           [  0., 100.,   0.]])
    >>> edge_map([[0, 0, 0], [0, 10, 0], [0, 0, 0]], bias=100)
    array([[100., 110., 100.],
           [110., 140., 110.],
           [100., 110., 100.]])
    """
    bias = as_real("bias", bias)
    image = as_2d("image", image).astype(np.float64, copy=False)
    grad = _convolve_same(image, np.asarray(KERNELS["edge2"]), "symm")
    return np.minimum(np.abs(grad) + bias, 255.0)


def save_png(array, path) -> None:
    """Write a 2-D array as an 8-bit grayscale ('L') PNG file.

    Floats go through :func:`to_uint8` (clip, round, cast); integers must
    already be pixel values 0..255.

    Parameters
    ----------
    array : array_like
        Non-empty 2-D image.
    path : str or os.PathLike
        Where to write; the file is PNG whatever its extension.

    Raises
    ------
    ValueError
        For a non-2-D array, integers outside 0..255, NaN values or a
        ``path`` that is not a str/PathLike.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, 'out.png')
    ...     save_png([[0.4, 254.6]], path)
    ...     grey = load_grayscale(path)
    >>> grey
    array([[  0., 255.]])
    """
    arr = as_2d("array", array)
    path = as_path("path", path)
    if arr.dtype.kind == "f":
        pixels = to_uint8(arr)
    else:
        low, high = int(arr.min()), int(arr.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"array holds integers from {low} to {high}, but 8-bit pixels "
                f"are 0..255; rescale it or pass floats to be clipped by to_uint8."
            )
        pixels = arr.astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, format="PNG")
