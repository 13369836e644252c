"""05-image-filters: the classic image kernels on a real photograph, with Pillow.

The photograph (``chelsea.png``, scikit-image's CC0 sample, see
solutions/05-image-filters/PHOTO-LICENSE.md) is a data file of the assignment:
the grader copies it into the folder where the learner's code runs, so
``load_grayscale`` is checked on the very file the notebook opens.  The array
exercises run on :data:`EYE`, a crop of that photo stored here, and on small
synthetic images.
"""
from __future__ import annotations

import base64
import io
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage, signal

from .. import references as ref
from ..engine.compare import compare
from ..engine.outcome import WorkPath
from ..engine.spec import Case, ErrorCase, Exercise, InputFile, Misconception, OutputFile
from .generators import KINDS, matches_any, pairs_2d, pick, values

ASSIGNMENT = "05-image-filters"
BOUNDARIES = ("fill", "symm", "wrap")

#: The photograph that ships with the assignment, as the notebook opens it.
PHOTO = "chelsea.png"
PHOTO_SHAPE = (300, 451)
PHOTO_MEAN = 119.48269031781227  # of Pillow's 'L' grey levels
PHOTO_CRC = 3923271203  # zlib.crc32 of those grey levels as uint8 bytes, row by row

#: Grey levels of chelsea.png, rows 100:124 and columns 150:182 (the cat's left eye).
EYE = np.frombuffer(zlib.decompress(base64.b64decode(
    "eNodkdlSGkEUhm+c7llYh2EI6Aio5RKVwiWSaKmYqGWMmjIV3HcjIjN0z9KzMIC4Rl8h75AXyNul8eaci7P9/3fqDdclRk0zDNdG"
    "1cvTtfHTP5O9vUMTswszw4qcaPjEIbiGbeeuZdfUs+KY+Xd5OKOkepVMtvedfNfyiY4wtv3HOw+hvULu4d/3ydzogBKLJrtl8al9"
    "2yCoZnq3L23PMrZymfWTsfx0IT/eJ8oJWWrVmw3dIKT+8NT2XLyUDkaj4WSu+LEw3iPHpYTf9BzLsv3G82vbq6NCjOM4KPQvLXye"
    "zsRTsuTVies6tt96eW05TrUQEwI8yyeXi6tzw4luWbJNy7VNUm8+P/q2czkdFSDPc1Jx8dvSRCopy4aBDYIM3/391CLW8VSE51gW"
    "RHqU+fVPSkKOY6zqFsI2ebqjOvfzIQ5AFgoBcW5jIROPSzqqYVRDJmk3PayuZ3meBYAFXHh6dT4txmTbqlWRplnkvuGWNwdCAgQA"
    "Ao7nsiuL6ZgYdyysamrNMu+b6taYwPIQQAhoHvyymI5EE76n42rFILpXOVgeCrAcC+HbvPJhVglF4nXqztB0opePSquDAmRZDrA8"
    "ZRSUslI4KLu2hQ1Nw1eHuztfR3hIF1CCFBEfDkXCkZhjmzcVTVPPDvZLa7kArQm0gRfjQTEYCImKSXT1Rteuz4+OD7YKEQqHLgDh"
    "fL4nG+ZCqX6qzsD4+vzkcHd3ez7BduRBVuqTQwGOD0cznqNrCF3+Ot/Z2twsZjlaBEKw47MjNTbSbNjIMC7Pzg5LPzeWxwWOoecD"
    "byYp5vSEZ5kWscoXFyeHpdLmTBSyDGAgYJgOZvn9jImQrt1U1PLFydHej2KK7byHoQFARhyZmDINrN5cX1crV6enu9srA5R/VxfD"
    "MAAwsdHCTOE/vLm9ig=="
)), dtype=np.uint8).reshape(24, 32)

#: The lesson's 3x3 image and its asymmetric 2x2 kernel g2 (assignment 02).
LESSON_I = np.array([[255, 7, 3], [212, 240, 4], [218, 216, 230]], dtype=np.uint8)
LESSON_G2 = np.array([[-1, 1], [2, 3]])
NINE = np.arange(1, 10).reshape(3, 3)
#: A vertical-edge kernel that is not symmetric left to right (flipping it changes its sign).
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def _encode(pixels, mode: str | None = None, fmt: str = "PNG") -> bytes:
    """Bytes of an image file holding ``pixels`` (uint8), converted to ``mode``."""
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    if mode is not None and image.mode != mode:
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _image_case(name: str, pixels, mode: str | None = None, fmt: str = "PNG", **fields) -> Case:
    """A load_grayscale call on a picture file ``name`` holding ``pixels``."""
    return Case((WorkPath(name),), files=(InputFile(name, _encode(pixels, mode, fmt)),), **fields)


# -- load_grayscale ----------------------------------------------------------

#: Pure red, green / blue, white: Pillow's 'L' gives 76, 150 / 29, 255.
PRIMARIES = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], dtype=np.uint8)


def _photo_judge(got) -> str | None:
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


def _load_hidden(rng: np.random.Generator) -> list[Case]:
    layouts = [
        ("odd-sized RGB PNG", (5, 7), "RGB", "PNG"),
        ("even-sized RGB PNG", (6, 4), "RGB", "PNG"),
        ("a one-row RGB PNG", (1, 9), "RGB", "PNG"),
        ("a one-column RGB PNG", (8, 1), "RGB", "PNG"),
        ("a single-pixel RGB PNG", (1, 1), "RGB", "PNG"),
        ("an RGBA PNG (with transparency)", (4, 5), "RGBA", "PNG"),
        ("a palette PNG (mode 'P')", (6, 6), "P", "PNG"),
        ("a grey-and-alpha PNG (mode 'LA')", (3, 5), "LA", "PNG"),
        ("a grayscale PNG (mode 'L')", (7, 3), "L", "PNG"),
        ("an RGB JPEG", (9, 12), "RGB", "JPEG"),
        ("a grayscale JPEG", (8, 8), "L", "JPEG"),
    ]
    cases = []
    for n, (label, shape, mode, fmt) in enumerate(layouts):
        channels = 4 if mode == "RGBA" else 3
        pixels = rng.integers(0, 256, size=(*shape, channels), dtype=np.uint8)
        if mode == "RGBA":
            image_mode = None  # fromarray of 4 channels is already RGBA
        else:
            pixels, image_mode = pixels[..., :3], mode
        name = f"picture{n}.{'jpg' if fmt == 'JPEG' else 'png'}"
        cases.append(_image_case(name, pixels, image_mode, fmt, label=label))
    return cases


load_grayscale = Exercise(
    id="load_grayscale",
    assignment=ASSIGNMENT,
    kind="function",
    names=("load_grayscale",),
    signature="load_grayscale(path)",
    title="Open a picture with Pillow as float64 grey levels",
    reference=ref.load_grayscale,
    visible=(
        # First, so that a colour array or a wrong dtype is explained in words.
        Case((PHOTO,), judge=_photo_judge, label="the assignment's photo, chelsea.png"),
        _image_case("primaries.png", PRIMARIES, expected=np.array([[76.0, 150.0], [29.0, 255.0]]),
             label="pure red, green, blue and white pixels: ITU-R 601-2 luma gives 76, 150, 29 and 255"),
        _image_case("grey.png", [[0, 64, 128], [192, 255, 7]],
                    label="a grayscale PNG: its grey levels come back unchanged"),
    ),
    hidden_cases=_load_hidden,
    errors=(
        ErrorCase((WorkPath("no_such_photo.png"),), raises=("FileNotFoundError",), label="a file that does not exist"),
        ErrorCase((WorkPath("notes.png"),), raises=("ValueError",),
                  files=(InputFile("notes.png", b"Shopping list: milk, cat food.\n"),),
                  label="a text file named notes.png: not an image"),
    ),
)


# -- KERNELS ------------------------------------------------------------------

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


def _kernel_array(values: dict, name: str):
    """The learner's kernel as a float array, or None when it is missing or not numeric."""
    kernels = values.get("KERNELS")
    if not isinstance(kernels, dict) or name not in kernels:
        return None
    try:
        array = np.asarray(kernels[name], dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _kernel_names(values: dict) -> str | None:
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


def _kernel_shapes(values: dict) -> str | None:
    for name, right in KERNEL_VALUES.items():
        array = _kernel_array(values, name)
        if array is not None and array.shape != right.shape:
            side = right.shape[0]
            return f"KERNELS[{name!r}] has shape {array.shape}; that kernel is a {side}x{side} grid of numbers."
    return None


def _kernel_sums(names: tuple[str, ...], what: str, why: str):
    def judge(values: dict) -> str | None:
        for name in names:
            array = _kernel_array(values, name)
            if array is None or array.shape != KERNEL_VALUES[name].shape:
                continue
            total = float(array.sum())
            if not np.isclose(total, SUMS[name], atol=1e-9):
                return f"KERNELS[{name!r}] sums to {total:.6g}; {what} sums to {SUMS[name]}: {why}"
        return None
    return judge


kernels = Exercise(
    id="kernels",
    assignment=ASSIGNMENT,
    kind="value",
    names=("KERNELS",),
    title="The blog's kernels, by name",
    values={"KERNELS": KERNEL_VALUES},
    visible=(
        Case(judge=_kernel_names, label="the kernels' names"),
        Case(judge=_kernel_shapes, label="the kernels' sizes"),
        Case(judge=_kernel_sums(("box_blur", "gaussian_blur"), "a blur",
                                "it averages its neighbours, so a flat grey area keeps its grey. Divide by the sum of the weights."),
             label="the blurs sum to 1"),
        Case(judge=_kernel_sums(("edge1", "edge2", "edge3"), "an edge kernel",
                                "a flat area, where nothing changes, must come out as 0 (black)."),
             label="the edge kernels sum to 0"),
        Case(judge=_kernel_sums(("identity", "sharpen", "unsharp"), "a kernel that keeps the picture's brightness",
                                "identity, sharpen and unsharp all do. For unsharp, check the sign of the divisor."),
             label="identity, sharpen and unsharp sum to 1"),
    ),
)


# -- filter_image -------------------------------------------------------------

def _filter_args(case) -> tuple:
    image, kernel = case.args[0], case.args[1]
    boundary = case.args[2] if len(case.args) > 2 else case.kwargs.get("boundary", "fill")
    return image, kernel, boundary


_NDIMAGE_MODES = {"fill": "constant", "symm": "reflect", "wrap": "wrap"}


def _slid_without_flip(image, kernel, boundary="fill"):
    """What sliding the kernel as it is gives: three ways a learner might get there."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    return [
        ref.filter_image(image, kernel[::-1, ::-1], boundary),
        signal.correlate2d(image, kernel, "same", boundary=boundary),
        ndimage.correlate(image, kernel, mode=_NDIMAGE_MODES.get(boundary, "constant")),
    ]


def _wrapped(expected: np.ndarray) -> list[np.ndarray]:
    """The right result as uint8 arithmetic would leave it (rounded or truncated)."""
    return [np.mod(np.rint(expected), 256), np.mod(np.trunc(expected), 256)]


def _has_uint8(case) -> bool:
    return any(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in (*case.args, *case.kwargs.values()))


def _filter_wrapped(case, got) -> bool:
    if not _has_uint8(case):
        return False
    expected = case.expected if isinstance(case.expected, np.ndarray) else ref.filter_image(*_filter_args(case))
    return any(compare(w, got) is None for w in _wrapped(np.asarray(expected, dtype=float)))


def _not_image_sized(case, got) -> bool:
    image = np.asarray(case.args[0])
    return isinstance(got, np.ndarray) and image.ndim == 2 and got.ndim == 2 and got.shape != image.shape


def _filter_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, image, kernel in pairs_2d(rng):
        boundary = pick(rng, list(BOUNDARIES))
        cases.append(Case((image, kernel, boundary), label=f"boundary '{boundary}', {label}"))
    for _ in range(3):
        name = pick(rng, list(KERNEL_VALUES))
        boundary = pick(rng, list(BOUNDARIES))
        r, c = (int(v) for v in rng.integers(0, 8, size=2))
        crop = EYE[r:r + 16, c:c + 20].astype(float)
        cases.append(Case((crop, KERNEL_VALUES[name], boundary), label=f"a crop of the photo, kernel '{name}', boundary '{boundary}'"))
    return cases


filter_image = Exercise(
    id="filter_image",
    assignment=ASSIGNMENT,
    kind="function",
    names=("filter_image",),
    signature="filter_image(image, kernel, boundary='fill')",
    title="Convolve a picture with a kernel, keeping its size",
    reference=ref.filter_image,
    visible=(
        Case((LESSON_I, LESSON_G2), expected=np.array([[-255.0, 248, 4], [298, 751, 263], [206, 1118, 714]]),
             label="the lesson's uint8 image I and its 2x2 kernel g2, 'same' size"),
        Case((NINE, np.ones((3, 3)), "fill"), expected=np.array([[12.0, 21, 16], [27, 45, 33], [24, 39, 28]]),
             label="a 3x3 sum, zeros outside ('fill')"),
        Case((NINE, np.ones((3, 3)), "symm"), expected=np.array([[21.0, 27, 33], [39, 45, 51], [57, 63, 69]]),
             label="a 3x3 sum, the picture mirrored at its edges ('symm')"),
        Case((NINE, np.ones((3, 3)), "wrap"), expected=np.full((3, 3), 45.0),
             label="a 3x3 sum, the picture repeated periodically ('wrap')"),
        Case((EYE, SOBEL_X, "symm"), label="the cat's eye (uint8 crop of the photo) and a left-right edge kernel"),
        Case((EYE.astype(float), KERNEL_VALUES["unsharp"], "symm"), label="the cat's eye and the 5x5 unsharp kernel"),
    ),
    hidden_cases=_filter_hidden,
    errors=(
        ErrorCase((NINE, np.ones((3, 3)), "mirror"), label="an unknown boundary 'mirror'"),
        ErrorCase(([1, 2, 3], np.ones((3, 3))), label="a 1-D image"),
    ),
    misconceptions=(
        Misconception(
            "no-flip",
            "Your numbers are what you get by sliding the kernel over the picture as it is: that is cross-correlation. "
            "Convolution turns the kernel by 180 degrees first (rows and columns reversed). Symmetric kernels such as "
            "the blurs hide the difference; kernels like g2 or a one-sided edge kernel show it.",
            detect=matches_any(_slid_without_flip),
        ),
        Misconception(
            "uint8-wraparound",
            "The picture is uint8, and uint8 arithmetic (or an output array of the picture's dtype) keeps only the "
            "remainder modulo 256: -255 becomes 1 and 298 becomes 42. Compute in float64 and return float64; "
            "squashing into 0..255 is to_uint8's job, later.",
            detect=_filter_wrapped,
        ),
        Misconception(
            "wrong-shape",
            "filter_image must return a picture of the same size as the one it was given. A 'full' convolution is "
            "larger and a 'valid' one smaller; ask for the 'same' output size.",
            detect=_not_image_sized,
        ),
    ),
)


# -- to_uint8 -------------------------------------------------------------------

def _outside_0_255(values) -> bool:
    """Would clipping change anything? (Only then is a wrapped result evidence of a missing clip.)"""
    arr = np.asarray(values, dtype=float)
    return arr.size > 0 and bool(arr.min() < -0.5 or arr.max() >= 255.5)


def _unclipped(image):
    """Casting to uint8 without clipping: values wrap modulo 256."""
    arr = np.asarray(image, dtype=float)
    return _wrapped(arr) if _outside_0_255(arr) else []


def _to_uint8_dtype(got) -> str | None:
    if isinstance(got, np.ndarray) and got.dtype != np.uint8:
        return f"the values are right but the array has dtype {got.dtype}; pixels for display and PNG files are uint8."
    return None


def _to_uint8_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, shape in [("a 1-D row", (9,)), ("an odd-sized picture", (5, 7)), ("an even-sized picture", (4, 6)),
                         ("a one-pixel picture", (1, 1)), ("a stack of pictures (3-D)", (2, 3, 4))]:
        cases.append(Case((rng.normal(128, 150, size=shape),), label=f"{label}, floats beyond 0..255"))
    cases.append(Case((rng.integers(-400, 700, size=(4, 5)),), label="int64 values beyond 0..255"))
    cases.append(Case((rng.integers(0, 256, size=(3, 8)).astype(np.uint8),), label="uint8 values, already pixels"))
    cases.append(Case((rng.normal(128, 60, size=(6, 5)).astype(np.float32),), label="float32 values"))
    cases.append(Case(([[float(v) for v in rng.normal(100, 200, size=4)]],), label="a nested list of floats"))
    # Integer kernels only: no value lands exactly halfway between two integers.
    crop = ref.filter_image(EYE, KERNEL_VALUES[pick(rng, ["sharpen", "edge1", "edge3"])], "symm")
    cases.append(Case((crop,), label="a filtered crop of the photo"))
    return cases


to_uint8 = Exercise(
    id="to_uint8",
    assignment=ASSIGNMENT,
    kind="function",
    names=("to_uint8",),
    signature="to_uint8(image)",
    title="Squash values into 8-bit pixels: clip, round, cast",
    reference=ref.to_uint8,
    visible=(
        Case(([-5, 260],), expected=np.array([0, 255], dtype=np.uint8), label="-5 and 260, just outside 0..255"),
        Case(([[-5.0, 0.4, 127.6], [254.7, 260.0, 1000.0]],),
             expected=np.array([[0, 0, 128], [255, 255, 255]], dtype=np.uint8),
             label="floats: clipped to 0..255, then rounded to the nearest integer"),
        Case((np.array([[12.3, 300.0], [-1.0, 99.9]]),), judge=_to_uint8_dtype, label="floats beyond 0..255: the result must be uint8"),
    ),
    hidden_cases=_to_uint8_hidden,
    misconceptions=(
        Misconception(
            "no-clip",
            "Values outside 0..255 came back wrapped around: casting to uint8 keeps only the remainder modulo 256, "
            "so -5 turns into 251 (almost white) and 260 into 4 (almost black). Clip to the range 0..255 first, "
            "then round and cast.",
            detect=matches_any(_unclipped),
        ),
    ),
)


# -- edge_map -------------------------------------------------------------------

LAPLACIAN = KERNEL_VALUES["edge2"]
DOT = [[0, 0, 0], [0, 100, 0], [0, 0, 0]]
FAINT_DOT = [[0, 0, 0], [0, 10, 0], [0, 0, 0]]
RAMP = [[0, 40, 80, 120, 160]] * 4


def _other_boundaries(image, bias=0):
    grads = [np.abs(ref.filter_image(image, LAPLACIAN, b)) for b in ("fill", "wrap")]
    return [np.minimum(g + bias, 255) for g in grads]


def _uncapped(image, bias=0):
    """No cap at all, or the cap applied before the bias is added."""
    magnitude = np.abs(ref.filter_image(image, LAPLACIAN, "symm"))
    return [magnitude + bias, np.minimum(magnitude, 255) + bias]


def _edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    shapes = [("a square picture", (5, 5)), ("a wide picture", (4, 7)), ("a tall picture", (6, 3)),
              ("an even-sized picture", (6, 8)), ("a one-row picture", (1, 6)), ("a one-column picture", (5, 1)),
              ("a one-pixel picture", (1, 1)), ("a 2x2 picture", (2, 2))]
    biases = [0, 100, 40.5]
    kinds = ["uint8", "int", "float", "neg"]
    for n, (label, shape) in enumerate(shapes):
        bias, kind = biases[n % len(biases)], kinds[n % len(kinds)]
        image = values(rng, shape, kind) * (20 if kind in ("int", "neg") else 1)
        cases.append(Case((image,), {"bias": bias}, label=f"{label} of {KINDS[kind]}, bias {bias}"))
    r, c = (int(v) for v in rng.integers(0, 8, size=2))
    cases.append(Case((EYE[r:r + 16, c:c + 24],), {"bias": 100}, label="a uint8 crop of the photo, bias 100"))
    cases.append(Case((EYE[r:r + 12, c:c + 12].astype(float) * 2.5,), label="a brightened crop of the photo, bias 0"))
    return cases


edge_map = Exercise(
    id="edge_map",
    assignment=ASSIGNMENT,
    kind="function",
    names=("edge_map",),
    signature="edge_map(image, bias=0)",
    title="The lesson's edge picture: |Laplacian| + bias, capped at 255",
    reference=ref.edge_map,
    visible=(
        Case((DOT,), expected=np.array([[0.0, 100, 0], [100, 255, 100], [0, 100, 0]]),
             label="a bright dot, bias 0: |-400| is capped at 255"),
        Case((FAINT_DOT,), {"bias": 100}, expected=np.array([[100.0, 110, 100], [110, 140, 110], [100, 110, 100]]),
             label="a faint dot with the lesson's bias of 100"),
        Case((RAMP,), label="a smooth ramp: mirrored edges ('symm') keep its border dark"),
        Case((EYE,), {"bias": 100}, label="the cat's eye (uint8 crop of the photo) with bias 100"),
    ),
    hidden_cases=_edge_hidden,
    misconceptions=(
        Misconception(
            "wrong-boundary",
            "The picture's border lights up in your result. The lesson continues the picture past its edges by "
            "mirroring it (boundary 'symm'), so that a border pixel is compared with pixels like itself; zeros "
            "('fill') or the opposite edge ('wrap') invent a jump that is not in the photo.",
            detect=matches_any(_other_boundaries),
        ),
        Misconception(
            "no-clip",
            "Some of your values are above 255. After adding the bias, cap the result at 255, the brightest "
            "pixel, as the lesson does.",
            detect=matches_any(_uncapped),
        ),
    ),
)


# -- save_png -------------------------------------------------------------------

OUT = "out.png"


def _reopened_pixels(array, path=None) -> np.ndarray:
    """What reopening the reference's PNG gives (written in a private folder)."""
    with tempfile.TemporaryDirectory(prefix="autograder-ref-") as folder:
        target = Path(folder) / OUT
        ref.save_png(array, target)
        with Image.open(target) as image:
            return np.array(image)


def _reopen(case, outcome):
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


def _file_judge(got) -> str | None:
    return f"{got}." if isinstance(got, str) else None


def _save_unclipped(case, got) -> bool:
    array = np.asarray(case.args[0])
    if array.dtype.kind != "f" or not _outside_0_255(array):
        return False
    return any(compare(w.astype(np.uint8), got) is None for w in _wrapped(array))


def _save_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, shape in [("odd-sized", (5, 7)), ("even-sized", (6, 4)), ("one row", (1, 8)), ("one column", (7, 1))]:
        cases.append(Case((values(rng, shape, "uint8"), WorkPath(OUT)), label=f"{label} uint8 picture"))
    cases.append(Case((rng.integers(0, 256, size=(4, 5)), WorkPath(OUT)), label="int64 values within 0..255"))
    cases.append(Case((rng.normal(128, 150, size=(5, 6)), WorkPath(OUT)), label="floats beyond 0..255"))
    name = pick(rng, ["sharpen", "edge2", "edge3"])
    cases.append(Case((ref.filter_image(EYE, KERNEL_VALUES[name], "symm"), WorkPath(OUT)),
                      label=f"the cat's eye filtered with '{name}' (floats beyond 0..255)"))
    return cases


save_png = Exercise(
    id="save_png",
    assignment=ASSIGNMENT,
    kind="function",
    names=("save_png",),
    signature="save_png(array, path)",
    title="Write an 8-bit grayscale PNG that reopens to the same pixels",
    reference=_reopened_pixels,
    returns="none",
    visible=(
        # First, so that a missing or wrong kind of file is explained in words.
        Case((np.array([[0, 64], [128, 255]], dtype=np.uint8), WorkPath(OUT)), judge=_file_judge,
             label="it writes an 8-bit grayscale PNG at the path"),
        Case((np.array([[0, 64, 128], [192, 255, 7]], dtype=np.uint8), WorkPath(OUT)),
             expected=np.array([[0, 64, 128], [192, 255, 7]], dtype=np.uint8),
             label="uint8 pixels: the file reopens to the same pixels"),
        Case((np.array([[0.4, 254.6], [-3.0, 300.0]]), WorkPath(OUT)),
             expected=np.array([[0, 255], [0, 255]], dtype=np.uint8),
             label="floats: the file reopens to to_uint8 of them, clipped and rounded"),
    ),
    hidden_cases=_save_hidden,
    errors=(ErrorCase((np.zeros((2, 2, 3), dtype=np.uint8), WorkPath(OUT)), label="a colour picture (3-D array)"),),
    output_files=(OutputFile(OUT),),
    observe=_reopen,
    misconceptions=(
        Misconception(
            "no-clip",
            "The reopened pixels wrapped around: floats cast straight to uint8 keep only the remainder modulo 256 "
            "(300 turns into 44, -3 into 253). Pass floats through your to_uint8 before building the image.",
            detect=_save_unclipped,
        ),
    ),
)

EXERCISES = [load_grayscale, kernels, filter_image, to_uint8, edge_map, save_png]
