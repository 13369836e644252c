"""02-conv2d: convolution in two dimensions, by hand, with boundary rules."""
from __future__ import annotations

import numpy as np

from .. import references as ref
from ..engine.spec import BY_HAND_FORBIDDEN, Case, ErrorCase, Exercise, Misconception
from .generators import KINDS, matches_any, pairs_2d, pick, values

ASSIGNMENT = "02-conv2d"

#: The lesson's image and kernels.
LESSON_I = [[255, 7, 3], [212, 240, 4], [218, 216, 230]]
G1 = [[-1, 1]]
G2 = [[-1, 1], [2, 3]]
#: The lesson's edge kernel (used with boundary='symm' on a photo).
LAPLACE = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
#: The Keras notes' 3x3 neighbourhood (centre 192) and filter.
NEIGHBOURHOOD = [[0, 64, 128], [48, 192, 144], [142, 226, 168]]
NOTES_FILTER = [[-1, 0, -2], [0.5, 4.5, -1.5], [1.5, 2, -3]]
#: A small image and a box kernel whose three boundary results are easy to check by hand.
DIGITS = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
BOX3 = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
#: A kernel whose only 1 sits right of centre: convolution moves the image one column right.
SHIFT_RIGHT = [[0, 0, 0], [0, 0, 1], [0, 0, 0]]

MODES = ("full", "same", "valid")
BOUNDARIES = ref.BOUNDARIES
#: numpy.pad's name for each boundary rule, and numpy's two rules that SciPy's names are confused with.
NUMPY_MODE = {"fill": "constant", "symm": "symmetric", "wrap": "wrap"}
OTHER_NUMPY_MODES = ("reflect", "edge")


def _mode(args, kwargs, position: int, name: str, default: str) -> str:
    return args[position] if len(args) > position else kwargs.get(name, default)


def _turned(kernel, how: str) -> np.ndarray:
    kernel = np.asarray(kernel)
    return {"both": kernel[::-1, ::-1], "rows": kernel[::-1, :], "cols": kernel[:, ::-1]}[how]


# ---------------------------------------------------------------- conv2d

def _conv2d_not_flipped(image, kernel, mode="full"):
    """Sliding the kernel as it is (cross-correlation), cut to the same size."""
    return [ref.conv2d(image, _turned(kernel, "both"), mode)]


def _conv2d_one_axis(image, kernel, mode="full"):
    """The kernel reversed along one axis only (either one)."""
    return [ref.conv2d(image, _turned(kernel, "rows"), mode), ref.conv2d(image, _turned(kernel, "cols"), mode)]


def _same_left_aligned(image, kernel, mode="full"):
    if mode != "same":
        return None
    h, w = np.shape(image)
    return ref.conv2d(image, kernel, "full")[:h, :w]


NO_FLIP = Misconception(
    "no-flip",
    "Your numbers are what you get by laying the kernel on the image as it is and sliding it: that is "
    "cross-correlation. Convolution pairs I[x - u, y - v] with g[u, v], so the kernel must be turned by "
    "180 degrees (rows reversed and columns reversed) before it slides. Check the first 'full' value: only the "
    "kernel's top-left entry g[0, 0] can meet the image's top-left pixel.",
    detect=matches_any(_conv2d_not_flipped),
)

FLIP_ONE_AXIS = Misconception(
    "flip-one-axis",
    "Your numbers match a kernel turned around along one axis only: its rows put in reverse order but each "
    "row left as it is, or the other way round. Convolution does both, a 180-degree turn. Note that for a "
    "one-row kernel such as [[-1, 1]] reversing the order of the rows changes nothing: its columns are what "
    "needs reversing.",
    detect=matches_any(_conv2d_one_axis),
)

SAME_LEFT_ALIGNED = Misconception(
    "same-left-aligned",
    "For 'same' you kept the top-left corner of the full result. SciPy keeps a centred window instead: it "
    "starts (kh - 1) // 2 rows down and (kw - 1) // 2 columns across, so a 3x3 kernel loses one row and one "
    "column on every side of the full result.",
    wrong=_same_left_aligned,
)


def _conv2d_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, (label, image, kernel) in enumerate(pairs_2d(rng)):
        modes = {MODES[n % 3], MODES[(n + 1) % 3]}
        if "larger" in label:
            modes.add("valid")  # the image slides inside the kernel
        if "even" in label:
            modes.add("same")  # an even kernel has no centre: where does 'same' start?
        if "uint8" in label:
            modes = set(MODES)
        for mode in MODES:
            if mode in modes:
                cases.append(Case((image, kernel, mode), label=f"mode '{mode}', {label}"))
    image = values(rng, (4, 5), "neg").tolist()
    cases.append(Case((image, [[1, -2], [3, 0]]), label="plain Python lists, mode left at its default"))
    return cases


conv2d = Exercise(
    id="conv2d",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv2d",),
    signature="conv2d(image, kernel, mode='full')",
    title="2-D convolution by hand, in 'full', 'same' and 'valid' sizes",
    reference=ref.conv2d,
    visible=(
        Case((LESSON_I, G1, "valid"), expected=np.array([[248, 4], [-28, 236], [2, -14]]),
             label="the lesson's g1 without zero padding"),
        Case((LESSON_I, G1), expected=np.array([[-255, 248, 4, 3], [-212, -28, 236, 4], [-218, 2, -14, 230]]),
             label="the lesson's g1 with zero padding: mode 'full' is the default"),
        Case((LESSON_I, G2, "full"),
             expected=np.array([[-255, 248, 4, 3], [298, 751, 263, 13], [206, 1118, 714, 242], [436, 1086, 1108, 690]]),
             label="the lesson's two-row kernel g2, 'full'"),
        Case((LESSON_I, G2, "same"), expected=np.array([[-255, 248, 4], [298, 751, 263], [206, 1118, 714]]),
             label="the lesson's g2, 'same'"),
        Case((LESSON_I, G2, "valid"), expected=np.array([[751, 263], [1118, 714]]),
             label="the lesson's g2, 'valid'"),
        Case((np.array(LESSON_I, dtype=np.uint8), G2, "valid"), expected=np.array([[751, 263], [1118, 714]]),
             label="the lesson's image stored as uint8 pixels, as images usually are"),
        Case((DIGITS, BOX3, "same"), expected=np.array([[12, 21, 16], [27, 45, 33], [24, 39, 28]]),
             label="a 3x3 kernel: 'same' is the centre of 'full'"),
    ),
    hidden_cases=_conv2d_hidden,
    errors=(
        ErrorCase(([255, 7, 3], G1), label="a 1-D image"),
        ErrorCase((LESSON_I, [[[-1, 1]]]), label="a 3-D kernel"),
        ErrorCase(([[1, 2, 3, 4]], [[1], [2]], "valid"), label="'valid' when neither input fits inside the other"),
        ErrorCase((LESSON_I, G1, "middle"), label="an unknown mode"),
    ),
    misconceptions=(NO_FLIP, FLIP_ONE_AXIS, SAME_LEFT_ALIGNED),
    forbidden=BY_HAND_FORBIDDEN,
)


# ---------------------------------------------------------------- neighbourhood

def _near(value, target: float) -> bool:
    try:
        return bool(np.isclose(float(value), target, rtol=1e-6, atol=1e-6))
    except (TypeError, ValueError):
        return False


def _sum_with(turn: str | None) -> float:
    """The neighbourhood times the filter, position by position, the filter turned as asked."""
    kernel = np.asarray(NOTES_FILTER) if turn is None else _turned(NOTES_FILTER, turn)
    return float(np.sum(np.asarray(NEIGHBOURHOOD) * kernel))


_PLAIN = _sum_with(None)
_TURNED = _sum_with("both")
_ONE_AXIS = (_sum_with("rows"), _sum_with("cols"))

neighbourhood = Exercise(
    id="neighbourhood",
    assignment=ASSIGNMENT,
    kind="value",
    names=("pixel_as_in_notes", "pixel_true_convolution"),
    title="The Keras notes' 3x3 neighbourhood: what the notes compute, and true convolution",
    values={"pixel_as_in_notes": 577.0, "pixel_true_convolution": 732.0},
    misconceptions=(
        Misconception(
            "no-flip",
            "One of your numbers was not computed the way its name says. The notes multiply every neighbour by "
            "the filter entry in the same position, with the filter as printed: that is cross-correlation, and it "
            "belongs in pixel_as_in_notes. A true convolution first turns the filter by 180 degrees (the top-left "
            "entry trades places with the bottom-right one, the centre stays) and only then multiplies position by "
            "position; that belongs in pixel_true_convolution.",
            detect=lambda _, got: _near(got["pixel_true_convolution"], _PLAIN) or _near(got["pixel_as_in_notes"], _TURNED),
        ),
        Misconception(
            "flip-one-axis",
            "pixel_true_convolution looks like the filter reversed along one axis only. Turning it by 180 degrees "
            "reverses both the order of its rows and the order of its columns: the corner -1 ends up where -3 was.",
            detect=lambda _, got: any(_near(got["pixel_true_convolution"], v) for v in _ONE_AXIS),
        ),
    ),
)


# ---------------------------------------------------------------- pad2d

def _padded_other_ways(image, pad, boundary="fill"):
    """numpy.pad with every rule except the one asked for."""
    image = np.asarray(image)
    wanted = NUMPY_MODE.get(boundary)
    out = []
    for mode in tuple(NUMPY_MODE.values()) + OTHER_NUMPY_MODES:
        if mode != wanted:
            try:
                out.append(np.pad(image, pad, mode))
            except ValueError:
                pass
    return out


WRONG_BOUNDARY_PAD = Misconception(
    "wrong-boundary",
    "The padding follows a different boundary rule than the one asked for. 'fill' puts zeros around the "
    "image; 'symm' mirrors it with the edge value repeated (numpy.pad's 'symmetric', not 'reflect', which "
    "skips the edge); 'wrap' continues with the opposite side of the image, as if it were tiled.",
    detect=matches_any(_padded_other_ways),
)


def _one_sided(case, got) -> bool:
    image, pad = case.args[0], case.args[1]
    h, w = np.shape(image)
    return isinstance(got, np.ndarray) and got.ndim == 2 and pad > 0 and got.shape == (h + pad, w + pad)


PADDING_ONE_SIDE = Misconception(
    "padding-one-side",
    "The result grew by pad rows and pad columns, not 2 * pad: you padded only one side of each axis. "
    "Every side gets pad new rows or columns: top and bottom, left and right.",
    detect=_one_sided,
)


def _pad_hidden(rng: np.random.Generator) -> list[Case]:
    shapes = [
        ("square image", (4, 4)),
        ("wide image", (3, 6)),
        ("tall image", (5, 2)),
        ("1x1 image", (1, 1)),
        ("one-row image", (1, 5)),
        ("one-column image", (4, 1)),
    ]
    kinds = list(KINDS)
    cases = []
    for n, (label, shape) in enumerate(shapes):
        kind = kinds[n % len(kinds)]
        image = values(rng, shape, kind)
        for boundary in BOUNDARIES:
            pad = int(rng.integers(1, min(shape) + 1))
            cases.append(Case((image, pad, boundary), label=f"boundary '{boundary}', pad {pad}, {label}, {KINDS[kind]}"))
    image = values(rng, (2, 3), "int")
    for boundary in ("symm", "wrap"):
        cases.append(Case((image, 5, boundary), label=f"boundary '{boundary}', pad larger than the image"))
    cases.append(Case((values(rng, (3, 4), "float"), 0, pick(rng, list(BOUNDARIES))), label="pad 0: a copy of the image"))
    return cases


pad2d = Exercise(
    id="pad2d",
    assignment=ASSIGNMENT,
    kind="function",
    names=("pad2d",),
    signature="pad2d(image, pad, boundary='fill')",
    title="Padding an image with the boundary rules 'fill', 'symm' and 'wrap'",
    reference=ref.pad2d,
    visible=(
        Case(([[1, 2], [3, 4]], 1), expected=np.array([[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]]),
             label="'fill' (the default): a ring of zeros"),
        Case(([[1, 2], [3, 4]], 1, "symm"), expected=np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]),
             label="'symm': a mirror, edge values repeated"),
        Case(([[1, 2], [3, 4]], 1, "wrap"), expected=np.array([[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]]),
             label="'wrap': the opposite side comes around"),
        Case(([[1, 2, 3], [4, 5, 6]], 2, "symm"),
             expected=np.array([[5, 4, 4, 5, 6, 6, 5], [2, 1, 1, 2, 3, 3, 2], [2, 1, 1, 2, 3, 3, 2], [5, 4, 4, 5, 6, 6, 5],
                                [5, 4, 4, 5, 6, 6, 5], [2, 1, 1, 2, 3, 3, 2]]),
             label="'symm' on a 2x3 image, two values on every side"),
        Case((LESSON_I, 1, "wrap"),
             expected=np.array([[230, 218, 216, 230, 218], [3, 255, 7, 3, 255], [4, 212, 240, 4, 212],
                                [230, 218, 216, 230, 218], [3, 255, 7, 3, 255]]),
             label="the lesson's image, 'wrap'"),
    ),
    hidden_cases=_pad_hidden,
    errors=(
        ErrorCase(([[1, 2], [3, 4]], 1, "reflect"), label="boundary 'reflect', a numpy.pad name that is not one of ours"),
        ErrorCase(([[1, 2], [3, 4]], -1, "fill"), label="a negative pad"),
    ),
    misconceptions=(WRONG_BOUNDARY_PAD, PADDING_ONE_SIDE),
)


# ---------------------------------------------------------------- conv2d_same

def _same_other_boundaries(image, kernel, boundary="fill"):
    """The kernel applied after padding with every rule except the one asked for."""
    image, kernel = np.asarray(image), np.asarray(kernel)
    ph, pw = kernel.shape[0] // 2, kernel.shape[1] // 2
    wanted = NUMPY_MODE.get(boundary)
    out = []
    for mode in tuple(NUMPY_MODE.values()) + OTHER_NUMPY_MODES:
        if mode != wanted:
            try:
                out.append(ref.conv2d(np.pad(image, ((ph, ph), (pw, pw)), mode), kernel, "valid"))
            except ValueError:
                pass
    return out


def _same_not_flipped(image, kernel, boundary="fill"):
    return [ref.conv2d_same(image, _turned(kernel, "both"), boundary)]


def _same_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, (label, image, kernel) in enumerate(pairs_2d(rng, odd_kernels=True)):
        for boundary in (BOUNDARIES[n % 3], BOUNDARIES[(n + 1) % 3]):
            cases.append(Case((image, kernel, boundary), label=f"boundary '{boundary}', {label}"))
    return cases


conv2d_same = Exercise(
    id="conv2d_same",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv2d_same",),
    signature="conv2d_same(image, kernel, boundary='fill')",
    title="Image-sized convolution with a boundary rule",
    reference=ref.conv2d_same,
    visible=(
        Case((DIGITS, BOX3), expected=np.array([[12, 21, 16], [27, 45, 33], [24, 39, 28]]),
             label="a 3x3 box, boundary 'fill' (the default)"),
        Case((DIGITS, BOX3, "symm"), expected=np.array([[21, 27, 33], [39, 45, 51], [57, 63, 69]]),
             label="a 3x3 box, boundary 'symm'"),
        Case((DIGITS, BOX3, "wrap"), expected=np.array([[45, 45, 45], [45, 45, 45], [45, 45, 45]]),
             label="a 3x3 box, boundary 'wrap': every window holds all nine values"),
        Case((LESSON_I, LAPLACE, "symm"), label="the lesson's edge kernel with boundary 'symm', on the lesson's image"),
        Case((LESSON_I, SHIFT_RIGHT, "wrap"), expected=np.array([[3, 255, 7], [4, 212, 240], [230, 218, 216]]),
             label="a kernel that moves the image one column right; 'wrap' brings the last column round"),
    ),
    hidden_cases=_same_hidden,
    errors=(
        ErrorCase((LESSON_I, G2), label="the lesson's 2x2 kernel g2 has no centre pixel"),
        ErrorCase((LESSON_I, [[1, 2, 1], [2, 4, 2]], "symm"), label="a 2x3 kernel: an even number of rows"),
        ErrorCase((DIGITS, BOX3, "reflect"), label="an unknown boundary"),
    ),
    misconceptions=(
        Misconception(
            "wrong-boundary",
            "The values away from the border are right, but the border follows a different rule than the one "
            "asked for (or none at all). Pad the image with the requested rule first, 'fill' with zeros, 'symm' "
            "mirrored with the edge repeated, 'wrap' with the opposite side, and only then slide the kernel.",
            detect=matches_any(_same_other_boundaries),
        ),
        Misconception(NO_FLIP.id, NO_FLIP.hint.replace(" Check the first 'full' value: only the kernel's top-left entry "
                                                        "g[0, 0] can meet the image's top-left pixel.", ""),
                      detect=matches_any(_same_not_flipped)),
    ),
    forbidden=BY_HAND_FORBIDDEN,
)

EXERCISES = [conv2d, neighbourhood, pad2d, conv2d_same]
