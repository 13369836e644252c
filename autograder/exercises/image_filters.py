"""05-image-filters: the classic image kernels on a real photograph, with Pillow.

The photograph (``chelsea.png``, scikit-image's CC0 sample, see
solutions/05-image-filters/PHOTO-LICENSE.md) is a data file of the assignment:
the grader copies it into the folder where the learner's code runs, so
``load_grayscale`` is checked on the very file the notebook opens.  The array
exercises run on :data:`EYE`, a crop of that photo stored here, and on small
synthetic images.  The data the checks rely on, the wrong answers and the
judges are in :mod:`autograder.exercises.image_filters_detect`.
"""
from __future__ import annotations

import base64
import io
import zlib

import numpy as np
from PIL import Image

from .. import references as ref
from ..engine.outcome import WorkPath
from ..engine.spec import Case, ErrorCase, Exercise, InputFile, Misconception, OutputFile
from . import image_filters_detect as wrong
from .generators import KINDS, LARGE_KINDS, large_pairs_2d, large_shape, matches_any, pairs_2d, pick, values

ASSIGNMENT = "05-image-filters"
BOUNDARIES = ("fill", "symm", "wrap")

PHOTO = wrong.PHOTO

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
        Case((PHOTO,), judge=wrong.photo_judge, label="the assignment's photo, chelsea.png"),
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

KERNEL_VALUES = wrong.KERNEL_VALUES


kernels = Exercise(
    id="kernels",
    assignment=ASSIGNMENT,
    kind="value",
    names=("KERNELS", "horizontal_edge", "diagonal_edge"),
    title="The blog's kernels, by name, and two edge detectors of your own design",
    # The judges below check every value: the blog's kernels exactly, the two designed kernels by what they do
    # to a flat area and to straight edges.  No single design is THE answer, so the designs have no value to be
    # compared with: their judges alone grade them, and a design that fails its judge keeps at most half the points.
    values={"KERNELS": KERNEL_VALUES},
    visible=(
        Case(judge=wrong.kernel_names, label="the kernels' names"),
        Case(judge=wrong.kernel_shapes, label="the kernels' sizes"),
        Case(judge=wrong.kernel_sums(("box_blur", "gaussian_blur"), "a blur",
                                "it averages its neighbours, so a flat grey area keeps its grey. Divide by the sum of the weights."),
             label="the blurs sum to 1"),
        Case(judge=wrong.kernel_sums(("edge1", "edge2", "edge3"), "an edge kernel",
                                "a flat area, where nothing changes, must come out as 0 (black)."),
             label="the edge kernels sum to 0"),
        Case(judge=wrong.kernel_sums(("identity", "sharpen", "unsharp"), "a kernel that keeps the picture's brightness",
                                "identity, sharpen and unsharp all do. For unsharp, check the sign of the divisor."),
             label="identity, sharpen and unsharp sum to 1"),
        Case(judge=wrong.kernel_values, label="the blog's values"),
        Case(judge=wrong.horizontal_judge, cap=0.5,
             label="horizontal_edge: 0 on a flat area, strong on a horizontal edge, weak on a vertical one"),
        Case(judge=wrong.diagonal_judge, cap=0.5,
             label="diagonal_edge: 0 on a flat area, strong on one diagonal edge, weak on the other diagonal"),
    ),
)


# -- filter_image -------------------------------------------------------------

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
    for boundary, (label, image, kernel) in zip(BOUNDARIES, large_pairs_2d(rng)):
        cases.append(Case((image, kernel, boundary), label=f"boundary '{boundary}', {label}"))
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
            detect=matches_any(wrong.slid_without_flip),
            wrong=wrong.correlated,
        ),
        Misconception(
            "uint8-wraparound",
            "The picture is uint8, and uint8 arithmetic (or an output array of the picture's dtype) keeps only the "
            "remainder modulo 256: -255 becomes 1 and 298 becomes 42. Compute in float64 and return float64; "
            "squashing into 0..255 is to_uint8's job, later.",
            detect=wrong.filter_wrapped,
        ),
        Misconception(
            "wrong-shape",
            "filter_image must return a picture of the same size as the one it was given. A 'full' convolution is "
            "larger and a 'valid' one smaller; ask for the 'same' output size.",
            detect=wrong.not_image_sized,
        ),
        Misconception(
            "uint8-output",
            "Your result is 8-bit pixels (dtype uint8): what the convolution gives below 0 or above 255 is cut off (or "
            "wraps around) and fractions are lost, so an edge kernel's negative responses and a blur's fractions are gone. "
            "Return the convolution's float64 numbers as they are; turning them into pixels is to_uint8's job, later.",
            detect=wrong.uint8_pixels,
            wrong=wrong.uint8_rounded,
        ),
        Misconception(
            "boundary-ignored",
            "Your filter_image gives the same result whatever `boundary` says: it always continues the picture past its "
            "edges the same way (zeros, for instance), so only one boundary is right. Pad according to `boundary`: 'fill' "
            "with zeros, 'symm' with the picture mirrored (the edge pixel repeated), 'wrap' with the picture repeated "
            "from the opposite side.",
            wrong=wrong.boundary_ignored,
        ),
    ),
)


# -- to_uint8 -------------------------------------------------------------------

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
        Case((np.array([[12.3, 300.0], [-1.0, 99.9]]),), judge=wrong.to_uint8_dtype, label="floats beyond 0..255: the result must be uint8"),
    ),
    hidden_cases=_to_uint8_hidden,
    misconceptions=(
        Misconception(
            "no-clip",
            "Values outside 0..255 came back wrapped around: casting to uint8 keeps only the remainder modulo 256, "
            "so -5 turns into 251 (almost white) and 260 into 4 (almost black). Clip to the range 0..255 first, "
            "then round and cast.",
            detect=matches_any(wrong.unclipped),
        ),
    ),
)


# -- edge_map -------------------------------------------------------------------

DOT = [[0, 0, 0], [0, 100, 0], [0, 0, 0]]
FAINT_DOT = [[0, 0, 0], [0, 10, 0], [0, 0, 0]]
RAMP = [[0, 40, 80, 120, 160]] * 4


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
    for kind, bias in (("uint8", 100), ("big", 0)):
        shape = large_shape(rng)
        cases.append(Case((values(rng, shape, kind),), {"bias": bias}, label=f"a {shape[0]}x{shape[1]} picture of {LARGE_KINDS[kind]}, bias {bias}"))
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
        Case((RAMP,), label="a smooth ramp: mirrored edges ('symm') make its border dim (40), not bright (up to 360 with 'fill')"),
        Case((EYE,), {"bias": 100}, label="the cat's eye (uint8 crop of the photo) with bias 100"),
    ),
    hidden_cases=_edge_hidden,
    misconceptions=(
        Misconception(
            "wrong-boundary",
            "The picture's border lights up in your result. The lesson continues the picture past its edges by "
            "mirroring it (boundary 'symm'), so that a border pixel is compared with pixels like itself; zeros "
            "('fill') or the opposite edge ('wrap') invent a jump that is not in the photo.",
            detect=matches_any(wrong.other_boundaries),
        ),
        Misconception(
            "no-clip",
            "Some of your values are above 255. After adding the bias, cap the result at 255, the brightest "
            "pixel, as the lesson does.",
            detect=matches_any(wrong.uncapped),
        ),
    ),
)


# -- save_png -------------------------------------------------------------------

OUT = wrong.OUT


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
    reference=wrong.reopened_pixels,
    returns="none",
    visible=(
        # First, so that a missing or wrong kind of file is explained in words.
        Case((np.array([[0, 64], [128, 255]], dtype=np.uint8), WorkPath(OUT)), judge=wrong.file_judge,
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
    observe=wrong.reopen,
    misconceptions=(
        Misconception(
            "no-clip",
            "The reopened pixels wrapped around: floats cast straight to uint8 keep only the remainder modulo 256 "
            "(300 turns into 44, -3 into 253). Pass floats through your to_uint8 before building the image.",
            detect=wrong.save_unclipped,
        ),
    ),
)

EXERCISES = [load_grayscale, kernels, filter_image, to_uint8, edge_map, save_png]
