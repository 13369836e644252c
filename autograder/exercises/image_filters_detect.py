"""Data, wrong answers, detectors and judges for the exercises of 05-image-filters.

Trusted code: the facts about the assignment's photo and the blog's kernels
that the checks rely on, what a learner holding one misconception would
compute, and the judges for answers without one right value (the edge
kernels a learner designs, the photo checked by checksum).  The declarations
are in :mod:`autograder.exercises.image_filters`.
"""
from __future__ import annotations

import io
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage, signal

from .. import references as ref
from ..engine.compare import compare

#: The photograph that ships with the assignment, as the notebook opens it.
PHOTO = "chelsea.png"
PHOTO_SHAPE = (300, 451)
PHOTO_MEAN = 119.48269031781227  # of Pillow's 'L' grey levels
PHOTO_CRC = 3923271203  # zlib.crc32 of those grey levels as uint8 bytes, row by row

KERNEL_VALUES = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "edge1": np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], dtype=float),
    "edge2": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "edge3": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "unsharp": np.array([[1, 4, 6, 4, 1],
                         [4, 16, 24, 16, 4],
                         [6, 24, -476, 24, 6],
                         [4, 16, 24, 16, 4],
                         [1, 4, 6, 4, 1]], dtype=float) / -256,
    "box_blur": np.ones((3, 3)) / 9,
    "gaussian_blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
}
SUMS = {"identity": 1, "sharpen": 1, "unsharp": 1, "box_blur": 1, "gaussian_blur": 1, "edge1": 0, "edge2": 0, "edge3": 0}
LAPLACIAN = KERNEL_VALUES["edge2"]
#: The file save_png writes in the grader's checks.
OUT = "out.png"


def photo_judge(got) -> str | None:
    """load_grayscale('chelsea.png'): shape, dtype and every grey level (by checksum)."""
    if got is None:
        return "load_grayscale returned None; end the function with `return` and the array."
    if not isinstance(got, np.ndarray):
        return f"load_grayscale returned a {type(got).__name__}; return a 2-D NumPy array of grey levels."
    if got.ndim == 3:
        return (f"the array has shape {got.shape}: it still has one value per colour channel. "
                "Convert the picture to a single grey level per pixel (Pillow's mode 'L') before making the array.")
    if got.shape != PHOTO_SHAPE:
        return (f"the array has shape {got.shape}; the photo is 451 pixels wide and 300 high, "
                f"so its array has shape (rows, columns) = {PHOTO_SHAPE}.")
    if got.dtype != np.float64:
        return (f"the array has dtype {got.dtype}; return float64 grey levels, so that the filters that follow "
                "compute with fractions and negative numbers instead of wrapping around like uint8.")
    grey = got.astype(np.float64)
    if not np.array_equal(grey, np.rint(grey)) or grey.min() < 0 or grey.max() > 255 \
            or zlib.crc32(grey.astype(np.uint8).tobytes()) != PHOTO_CRC:
        return (f"these grey levels are not Pillow's 'L' conversion of the photo (their mean is {grey.mean():.2f}; "
                f"Pillow's is {PHOTO_MEAN:.2f}). Let Pillow convert the picture (ITU-R 601-2 luma) rather than "
                "averaging the channels yourself.")
    return None



def kernel_array(values: dict, name: str):
    """The learner's kernel as a float array, or None when it is missing or not numeric."""
    kernels = values.get("KERNELS")
    if not isinstance(kernels, dict) or name not in kernels:
        return None
    try:
        array = np.asarray(kernels[name], dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def kernel_names(values: dict) -> str | None:
    kernels = values.get("KERNELS")
    if not isinstance(kernels, dict):
        return f"KERNELS should be a dict from kernel names to 2-D arrays; it is a {type(kernels).__name__}."
    missing = [name for name in KERNEL_VALUES if name not in kernels]
    extra = [repr(name) for name in kernels if name not in KERNEL_VALUES]
    if missing or extra:
        parts = []
        if missing:
            parts.append("has no " + ", ".join(repr(n) for n in missing))
        if extra:
            parts.append("has unexpected names " + ", ".join(extra))
        return f"KERNELS {' and '.join(parts)}; use exactly the eight names of the table: {', '.join(KERNEL_VALUES)}."
    return None


def kernel_shapes(values: dict) -> str | None:
    for name, right in KERNEL_VALUES.items():
        array = kernel_array(values, name)
        if array is not None and array.shape != right.shape:
            side = right.shape[0]
            return f"KERNELS[{name!r}] has shape {array.shape}; that kernel is a {side}x{side} grid of numbers."
    return None


def kernel_sums(names: tuple[str, ...], what: str, why: str):
    def judge(values: dict) -> str | None:
        for name in names:
            array = kernel_array(values, name)
            if array is None or array.shape != KERNEL_VALUES[name].shape:
                continue
            total = float(array.sum())
            if not np.isclose(total, SUMS[name], atol=1e-9):
                return f"KERNELS[{name!r}] sums to {total:.6g}; {what} sums to {SUMS[name]}: {why}"
        return None
    return judge



def filter_args(case) -> tuple:
    image, kernel = case.args[0], case.args[1]
    boundary = case.args[2] if len(case.args) > 2 else case.kwargs.get("boundary", "fill")
    return image, kernel, boundary


_NDIMAGE_MODES = {"fill": "constant", "symm": "reflect", "wrap": "wrap"}


def slid_without_flip(image, kernel, boundary="fill"):
    """What sliding the kernel as it is gives: three ways a learner might get there."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    return [
        ref.filter_image(image, kernel[::-1, ::-1], boundary),
        signal.correlate2d(image, kernel, "same", boundary=boundary),
        ndimage.correlate(image, kernel, mode=_NDIMAGE_MODES.get(boundary, "constant")),
    ]


def correlated(image, kernel, boundary="fill"):
    """[no-flip]: the kernel slid as it is, centred as a loop over a picture padded by k // 2 centres it."""
    return ref.filter_image(image, np.asarray(kernel, dtype=float)[::-1, ::-1], boundary)


def correlated_scipy(image, kernel, boundary="fill"):
    """[no-flip] by scipy.signal.correlate2d 'same', which centres an even kernel one place further."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    return signal.correlate2d(image, kernel, "same", boundary=boundary)


def correlated_ndimage(image, kernel, boundary="fill"):
    """[no-flip] by scipy.ndimage.correlate, which centres an even kernel its own way."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    return ndimage.correlate(image, kernel, mode=_NDIMAGE_MODES.get(boundary, "constant"))


correlated.variants = (correlated_scipy, correlated_ndimage)


def _as_pixels(image, kernel, boundary, cast) -> np.ndarray:
    return cast(ref.filter_image(image, kernel, boundary)).astype(np.uint8)


def uint8_rounded(image, kernel, boundary="fill"):
    """[uint8-output]: the right numbers returned as 8-bit pixels, through the blog's squash step (clipped, rounded)."""
    return _as_pixels(image, kernel, boundary, ref.to_uint8)


def uint8_clipped(image, kernel, boundary="fill"):
    """[uint8-output] clipped to 0..255 and cut to whole numbers (``astype``), a whole number's rounding noise aside."""
    return _as_pixels(image, kernel, boundary, lambda v: np.trunc(np.clip(v, 0, 255) + 1e-9))


def uint8_unclipped(image, kernel, boundary="fill"):
    """[uint8-output] cast without clipping, whatever the input's dtype: the values wrap modulo 256."""
    return _as_pixels(image, kernel, boundary, lambda v: np.mod(np.trunc(v + 1e-9), 256))


uint8_rounded.variants = (uint8_clipped, uint8_unclipped)


def uint8_pixels(case, got) -> bool:
    """[uint8-output]: a uint8 result within 1 of the right numbers clipped to 0..255 (rounded or cut, with the
    rounding noise of whole numbers computed in floats), or of the right numbers modulo 256 (cast unclipped)."""
    if not isinstance(got, np.ndarray) or got.dtype != np.uint8:
        return False
    expected = ref.filter_image(*filter_args(case))
    if got.shape != expected.shape:
        return False
    values = got.astype(float)
    if np.all(np.abs(values - np.clip(expected, 0, 255)) <= 1):
        return True
    return bool(np.all(np.isin(np.mod(values - np.trunc(expected), 256), (0, 1, 255))))


def _padded_with(mode: str):
    """The filter with the picture continued by ``numpy.pad``'s ``mode`` whatever boundary was asked for."""
    def filtered(image, kernel, boundary="fill"):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        (kh, kw), (h, w) = kernel.shape, image.shape
        padded = np.pad(image, ((kh - 1, kh - 1), (kw - 1, kw - 1)), mode=mode)
        return ref.filter_image(padded, kernel, "fill")[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w]
    return filtered


def _always(fixed: str):
    def filtered(image, kernel, boundary="fill"):
        return ref.filter_image(image, kernel, fixed)
    return filtered


def boundary_ignored(image, kernel, boundary="fill"):
    """[boundary-ignored]: zeros around the picture whatever ``boundary`` says (the commonest way)."""
    return ref.filter_image(image, kernel, "fill")


def _ndimage_always(mode: str):
    """scipy.ndimage.convolve with one ``mode`` whatever boundary was asked for (it centres an even kernel its own way)."""
    def filtered(image, kernel, boundary="fill"):
        return ndimage.convolve(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), mode=mode)
    return filtered


#: The other fixed ways: one of the three asked for, or the edge pixel repeated (np.pad 'edge',
#: OpenCV's BORDER_REPLICATE), or a mirror without the edge pixel (np.pad 'reflect', OpenCV's default),
#: or scipy.ndimage.convolve's default ('reflect', SciPy's 'symm') or zeros around.
boundary_ignored.variants = (_always("symm"), _always("wrap"), _padded_with("edge"), _padded_with("reflect"),
                             _ndimage_always("reflect"), _ndimage_always("constant"))


def wrapped(expected: np.ndarray) -> list[np.ndarray]:
    """The right result as uint8 arithmetic would leave it (rounded or truncated)."""
    return [np.mod(np.rint(expected), 256), np.mod(np.trunc(expected), 256)]


def has_uint8(case) -> bool:
    return any(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in (*case.args, *case.kwargs.values()))


def filter_wrapped(case, got) -> bool:
    if not has_uint8(case):
        return False
    expected = case.expected if isinstance(case.expected, np.ndarray) else ref.filter_image(*filter_args(case))
    return any(compare(w, got) is None for w in wrapped(np.asarray(expected, dtype=float)))


def not_image_sized(case, got) -> bool:
    image = np.asarray(case.args[0])
    return isinstance(got, np.ndarray) and image.ndim == 2 and got.ndim == 2 and got.shape != image.shape



def outside_0_255(values) -> bool:
    """Would clipping change anything? (Only then is a wrapped result evidence of a missing clip.)"""
    arr = np.asarray(values, dtype=float)
    return arr.size > 0 and bool(arr.min() < -0.5 or arr.max() >= 255.5)


def unclipped(image):
    """Casting to uint8 without clipping: values wrap modulo 256."""
    arr = np.asarray(image, dtype=float)
    return wrapped(arr) if outside_0_255(arr) else []


def to_uint8_dtype(got) -> str | None:
    if isinstance(got, np.ndarray) and got.dtype != np.uint8:
        return f"the values are right but the array has dtype {got.dtype}; pixels for display and PNG files are uint8."
    return None



def other_boundaries(image, bias=0):
    grads = [np.abs(ref.filter_image(image, LAPLACIAN, b)) for b in ("fill", "wrap")]
    return [np.minimum(g + bias, 255) for g in grads]


def uncapped(image, bias=0):
    """No cap at all, or the cap applied before the bias is added."""
    magnitude = np.abs(ref.filter_image(image, LAPLACIAN, "symm"))
    return [magnitude + bias, np.minimum(magnitude, 255) + bias]



def reopened_pixels(array, path=None) -> np.ndarray:
    """What reopening the reference's PNG gives (written in a private folder)."""
    with tempfile.TemporaryDirectory(prefix="autograder-ref-") as folder:
        target = Path(folder) / OUT
        ref.save_png(array, target)
        with Image.open(target) as image:
            return np.array(image)


def reopen(case, outcome):
    """The pixels of the PNG the learner wrote, or a sentence saying what is wrong with the file."""
    data = outcome.files.get(OUT)
    if data is None:
        return "no file was written at the path it was given"
    rows, cols = np.shape(case.args[0])[:2]
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, mode, size = image.format, image.mode, image.size
            if fmt != "PNG":
                return f"the file it wrote is a {fmt or 'non-PNG'} file, not a PNG"
            if mode != "L":
                return (f"the PNG it wrote has mode {mode!r}; an 8-bit grayscale PNG has mode 'L', "
                        f"one uint8 value per pixel")
            if size != (cols, rows):
                return f"the PNG it wrote is {size[0]} pixels wide and {size[1]} high; the array is {cols} wide and {rows} high"
            return np.array(image)
    except Exception as exc:  # anything Pillow cannot read is the learner's file, not a grader error
        return f"the file it wrote cannot be opened as an image ({type(exc).__name__})"


def file_judge(got) -> str | None:
    return f"{got}." if isinstance(got, str) else None


def save_unclipped(case, got) -> bool:
    array = np.asarray(case.args[0])
    if array.dtype.kind != "f" or not outside_0_255(array):
        return False
    return any(compare(w.astype(np.uint8), got) is None for w in wrapped(array))



def kernel_values(values: dict) -> str | None:
    """Every value of the blog's kernels, exactly (nothing of the right value is shown)."""
    for name, right in KERNEL_VALUES.items():
        array = kernel_array(values, name)
        if array is None or array.shape != right.shape:
            continue
        wrong = ~np.isclose(array, right, rtol=0, atol=1e-9)
        if wrong.any():
            where = tuple(int(i) for i in np.argwhere(wrong)[0])
            return (f"KERNELS[{name!r}] has a wrong value at {list(where)}: {array[where]:.6g}, which is not the blog's "
                    f"(compare with the table; {int(wrong.sum())} of its {array.size} values differ).")
    return None


# -- the edge kernels the learner designs ----------------------------------------

_N = 9
_ROWS, _COLS = np.mgrid[0:_N, 0:_N]
#: Test pictures, 0 (black) and 100 (grey): a flat area and the four orientations of a straight edge.
FLAT = np.full((_N, _N), 100.0)
EDGES = {
    "horizontal": np.where(_ROWS >= _N // 2, 100.0, 0.0),  # dark above, bright below
    "vertical": np.where(_COLS >= _N // 2, 100.0, 0.0),  # dark left, bright right
    "diagonal": np.where(_COLS > _ROWS, 100.0, 0.0),  # bright above the line from top-left to bottom-right
    "anti-diagonal": np.where(_ROWS + _COLS > _N - 1, 100.0, 0.0),  # bright below the line from top-right to bottom-left
}
#: A response counts as strong from a quarter of the most a 3x3 kernel with these weights can give
#: (half its total absolute weight, times the step of 100), and as weak below a quarter of the strong one.
STRONG, WEAK = 0.25, 0.25


def response(picture: np.ndarray, kernel: np.ndarray) -> float:
    """The largest absolute value of the kernel slid over the picture (positions where it fits)."""
    return float(np.max(np.abs(ref.corr2d(picture, kernel))))


def _designed(values: dict, name: str):
    """The learner's designed kernel as a 3x3 float array, or a sentence saying why it is not one."""
    value = values.get(name)
    try:
        kernel = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return f"{name} should be a 3x3 array of numbers; it is {type(value).__name__}."
    if kernel.shape != (3, 3):
        return f"{name} has shape {kernel.shape}; design a 3x3 kernel."
    if not np.all(np.isfinite(kernel)):
        return f"{name} holds inf or nan; its nine weights should be ordinary numbers."
    if not np.any(kernel):
        return f"{name} is all zeros: it answers 0 to everything, edges included."
    return kernel


def _flat_problem(name: str, kernel: np.ndarray) -> str | None:
    flat = float(ref.corr2d(FLAT, kernel)[0, 0])
    if abs(flat) > 1e-9 * 100 * np.abs(kernel).sum():
        return (f"{name} turns a flat grey area (every pixel 100) into {flat:.6g}, not 0: an edge detector must stay "
                f"silent where nothing changes, so its weights have to add up to 0 (yours add up to {kernel.sum():.6g}).")
    return None


def horizontal_judge(values: dict) -> str | None:
    """horizontal_edge: silent on flat areas, strong on a horizontal edge, weak on a vertical one."""
    kernel = _designed(values, "horizontal_edge")
    if isinstance(kernel, str):
        return kernel
    problem = _flat_problem("horizontal_edge", kernel)
    if problem:
        return problem
    most = 100 * np.abs(kernel).sum() / 2
    across, along = response(EDGES["horizontal"], kernel), response(EDGES["vertical"], kernel)
    if across < STRONG * most:
        return (f"horizontal_edge barely answers a horizontal edge (dark rows above bright rows): at most {across:.3g}, "
                f"where kernels of the same total weight reach {most:.3g}. Put weights of one sign on one side of the "
                f"middle row and of the other sign on the other side, so that it compares the rows above with the rows below.")
    if along > WEAK * across:
        return (f"horizontal_edge answers a vertical edge ({along:.3g}) almost as much as a horizontal one ({across:.3g}). "
                f"On a vertical edge every column of the picture is one grey level, so the kernel gives each of its "
                f"column sums times that column's grey, added up: it should compare rows, and leave columns alone.")
    return None


def diagonal_judge(values: dict) -> str | None:
    """diagonal_edge: silent on flat areas, strong on one diagonal edge, weak on the other one."""
    kernel = _designed(values, "diagonal_edge")
    if isinstance(kernel, str):
        return kernel
    problem = _flat_problem("diagonal_edge", kernel)
    if problem:
        return problem
    most = 100 * np.abs(kernel).sum() / 2
    first, second = response(EDGES["diagonal"], kernel), response(EDGES["anti-diagonal"], kernel)
    strong, weak = max(first, second), min(first, second)
    if strong < STRONG * most:
        return (f"diagonal_edge barely answers a diagonal edge: at most {strong:.3g}, where kernels of the same total "
                f"weight reach {most:.3g}. Put weights of one sign on one side of a diagonal of the kernel and of the "
                f"other sign on the other side.")
    if weak > WEAK * strong:
        return (f"diagonal_edge answers both diagonals about as much ({first:.3g} for an edge running from top-left to "
                f"bottom-right, {second:.3g} for one from top-right to bottom-left): it does not tell the two orientations "
                f"apart. Make it compare the two sides of ONE diagonal, and keep it unchanged along that diagonal.")
    return None
