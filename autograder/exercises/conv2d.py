"""02-conv2d: convolution in two dimensions, by hand, with boundary rules."""
from __future__ import annotations

import numpy as np

from .. import references as ref
from ..engine.spec import BY_HAND_FORBIDDEN, Case, ErrorCase, Exercise, Misconception, Numbers
from . import conv2d_detect as wrong
from .generators import KINDS, LARGE_KINDS, large_pairs_2d, large_shape, matches_any, pairs_2d, pick, values

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


# ---------------------------------------------------------------- conv2d

NO_FLIP = Misconception(
    "no-flip",
    "Your numbers are what you get by laying the kernel on the image as it is and sliding it: that is "
    "cross-correlation. Convolution pairs I[x - u, y - v] with g[u, v], so the kernel must be turned by "
    "180 degrees (rows reversed and columns reversed) before it slides. Check the first 'full' value: only the "
    "kernel's top-left entry g[0, 0] can meet the image's top-left pixel.",
    detect=matches_any(wrong.not_flipped),
)

FLIP_ONE_AXIS = Misconception(
    "flip-one-axis",
    "Your numbers match a kernel turned around along one axis only: its rows put in reverse order but each "
    "row left as it is, or the other way round. Convolution does both, a 180-degree turn. Note that for a "
    "one-row kernel such as [[-1, 1]] reversing the order of the rows changes nothing: its columns are what "
    "needs reversing.",
    detect=matches_any(wrong.one_axis),
)

SAME_LEFT_ALIGNED = Misconception(
    "same-left-aligned",
    "For 'same' you kept the top-left corner of the full result. SciPy keeps a centred window instead: it "
    "starts (kh - 1) // 2 rows down and (kw - 1) // 2 columns across, so a 3x3 kernel loses one row and one "
    "column on every side of the full result.",
    wrong=wrong.same_left_aligned,
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
    for n, (label, image, kernel) in enumerate(large_pairs_2d(rng)):
        for mode in (MODES[n], "valid") if n != 2 else MODES:
            cases.append(Case((image, kernel, mode), label=f"mode '{mode}', {label}"))
    return cases


VALID_OFF_BY_ONE = Misconception(
    "valid-off-by-one",
    "Your 'valid' result has a row or a column too many or too few. Along each axis the smaller input fits "
    "inside the larger one at positions 0, 1, ..., (larger - smaller): that is |H - kh| + 1 rows and "
    "|W - kw| + 1 columns (2 x 2 for the lesson's 3x3 image and 2x2 kernel).",
    detect=wrong.valid_off_by_one,
)

SAME_FIRST_INPUT_SIZE = Misconception(
    "same-first-input-size",
    "Your 'same' result has the size of the larger input, as numpy.convolve's 'same' does in 1-D. SciPy's "
    "convolve2d, which this function follows, keeps the size of its FIRST input, the image, even when the kernel "
    "is larger: cut an H x W window from the full result, starting (kh - 1) // 2 rows and (kw - 1) // 2 columns in.",
    detect=wrong.same_larger_size,
)


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
    misconceptions=(NO_FLIP, FLIP_ONE_AXIS, SAME_LEFT_ALIGNED, VALID_OFF_BY_ONE, SAME_FIRST_INPUT_SIZE),
    forbidden=BY_HAND_FORBIDDEN,
)


# ---------------------------------------------------------------- neighbourhood

_PLAIN = wrong.product_sum(NEIGHBOURHOOD, NOTES_FILTER, None)
_TURNED = wrong.product_sum(NEIGHBOURHOOD, NOTES_FILTER, "both")
_ONE_AXIS = (wrong.product_sum(NEIGHBOURHOOD, NOTES_FILTER, "rows"), wrong.product_sum(NEIGHBOURHOOD, NOTES_FILTER, "cols"))

#: Each student's pixels and filter entries: pixels 1 to 9, filter entries -3 to 3 without 0.
PIXELS = (1, 9)
FILTER_VALUES = (-3, -2, -1, 1, 2, 3)
#: The four pairs of positions a 180-degree turn swaps (the centre stays).
TURN_PAIRS = (((0, 0), (2, 2)), ((0, 1), (2, 1)), ((0, 2), (2, 0)), ((1, 0), (1, 2)))


def draw_neighbourhood(rng: np.random.Generator) -> dict:
    """A student's 3x3 neighbourhood and 3x3 filter, for one pixel computed twice on paper.

    Bounds (PIXELS, FILTER_VALUES): pixels from one to nine and filter entries from minus three to three without
    zero, so each of the eighteen products is a one-digit multiplication and each sum stays small (the lesson's
    pixels and half-integer filter are worked through in the text; here the point is the turn, not long
    multiplication). No zero anywhere: a zero would hide the term it multiplies. The four pairs of positions the
    half turn swaps (TURN_PAIRS) hold different values, in the neighbourhood and in the filter: every pair shows the
    turn, and the filter is not symmetric. And the four sums (the filter as printed, turned all the way round, its
    rows reversed only, its columns reversed only) differ from each other and neither answer is zero: sliding the
    filter unturned, or turning it along one axis, never lands on the right number, and no answer looks like a
    blank. (The docstring states its bounds in words: a learner kit ships this code.)"""
    while True:
        image = rng.integers(PIXELS[0], PIXELS[1] + 1, (3, 3))
        kernel = np.asarray(FILTER_VALUES)[rng.integers(0, len(FILTER_VALUES), (3, 3))]
        if any(image[p] == image[q] or kernel[p] == kernel[q] for p, q in TURN_PAIRS):
            continue
        sums = [int(np.sum(image * k)) for k in (kernel, kernel[::-1, ::-1], kernel[::-1, :], kernel[:, ::-1])]
        if len(set(sums)) == 4 and 0 not in sums[:2]:
            return {"neighbourhood": image.tolist(), "filter": kernel.tolist()}


def describe_neighbourhood(numbers: dict) -> str:
    return f"neighbourhood = {numbers['neighbourhood']}, filter = {numbers['filter']}"


def title_neighbourhood(numbers: dict) -> str:
    if numbers["neighbourhood"] == NEIGHBOURHOOD and numbers["filter"] == NOTES_FILTER:
        return "The Keras notes' 3x3 neighbourhood: what the notes compute, and true convolution"
    return (f"The 3x3 neighbourhood of your pixel {numbers['neighbourhood'][1][1]}: what the notes would compute, "
            "and true convolution")


def _neighbourhood_sum(numbers: dict, turn: str | None) -> float:
    return wrong.product_sum(numbers["neighbourhood"], numbers["filter"], turn)


def _neighbourhood_answers(numbers: dict) -> dict:
    return {"pixel_as_in_notes": _neighbourhood_sum(numbers, None), "pixel_true_convolution": _neighbourhood_sum(numbers, "both")}


def _neighbourhood_no_flip(numbers: dict) -> list[dict]:
    """Either number computed the other way: the filter left as printed for the convolution, or turned for the notes' sum."""
    return [{"pixel_true_convolution": _neighbourhood_sum(numbers, None)},
            {"pixel_as_in_notes": _neighbourhood_sum(numbers, "both")}]


def _neighbourhood_one_axis(numbers: dict) -> list[dict]:
    """The convolution with the filter reversed along one axis only (its rows, or its columns)."""
    return [{"pixel_true_convolution": _neighbourhood_sum(numbers, turn)} for turn in ("rows", "cols")]


neighbourhood = Exercise(
    id="neighbourhood",
    assignment=ASSIGNMENT,
    kind="value",
    names=("pixel_as_in_notes", "pixel_true_convolution"),
    title="The Keras notes' 3x3 neighbourhood: what the notes compute, and true convolution",
    values={"pixel_as_in_notes": 577.0, "pixel_true_convolution": 732.0},
    on_paper=True,
    numbers=Numbers(draw=draw_neighbourhood, lesson={"neighbourhood": NEIGHBOURHOOD, "filter": NOTES_FILTER},
                    answers=_neighbourhood_answers, describe=describe_neighbourhood,
                    wrong={"no-flip": _neighbourhood_no_flip, "flip-one-axis": _neighbourhood_one_axis},
                    title=title_neighbourhood),
    misconceptions=(
        Misconception(
            "no-flip",
            "One of your numbers was not computed the way its name says. The notes multiply every neighbour by "
            "the filter entry in the same position, with the filter as printed: that is cross-correlation, and it "
            "belongs in pixel_as_in_notes. A true convolution first turns the filter by 180 degrees (the top-left "
            "entry trades places with the bottom-right one, the centre stays) and only then multiplies position by "
            "position; that belongs in pixel_true_convolution.",
            detect=lambda _, got: wrong.near(got["pixel_true_convolution"], _PLAIN) or wrong.near(got["pixel_as_in_notes"], _TURNED),
        ),
        Misconception(
            "flip-one-axis",
            "pixel_true_convolution looks like the filter reversed along one axis only. Turning it by 180 degrees "
            "reverses both the order of its rows and the order of its columns: the top-left entry ends up where the "
            "bottom-right one was (in the notes' filter, the corner -1 where -3 was).",
            detect=lambda _, got: any(wrong.near(got["pixel_true_convolution"], v) for v in _ONE_AXIS),
        ),
    ),
)


# ---------------------------------------------------------------- pad2d

WRONG_BOUNDARY_PAD = Misconception(
    "wrong-boundary",
    "The padding follows a different boundary rule than the one asked for. 'fill' puts zeros around the "
    "image; 'symm' mirrors it with the edge value repeated (numpy.pad's 'symmetric', not 'reflect', which "
    "skips the edge); 'wrap' continues with the opposite side of the image, as if it were tiled.",
    detect=matches_any(wrong.padded_other_ways),
)


PADDING_ONE_SIDE = Misconception(
    "padding-one-side",
    "The result grew by pad rows and pad columns, not 2 * pad: you padded only one side of each axis. "
    "Every side gets pad new rows or columns: top and bottom, left and right.",
    detect=wrong.one_sided,
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
    for boundary, kind in zip(BOUNDARIES, ("big", "uint8", "big")):
        shape, pad = large_shape(rng), int(rng.integers(2, 6))
        cases.append(Case((values(rng, shape, kind), pad, boundary),
                          label=f"boundary '{boundary}', pad {pad}, a {shape[0]}x{shape[1]} image, {LARGE_KINDS[kind]}"))
    # Pads wider than the image: the mirror reflects again, the wrap goes round more than once.
    for shape, kind in (((1, 1), "int"), ((3, 2), "neg"), ((2, 4), "float")):
        image = values(rng, shape, kind)
        pad = int(rng.integers(max(shape) + 1, 2 * max(shape) + 4))
        for boundary in ("symm", "wrap"):
            cases.append(Case((image, pad, boundary), label=f"boundary '{boundary}', pad {pad} on a {shape[0]}x{shape[1]} image, {KINDS[kind]}"))
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
    # By hand: the point is the index arithmetic of each rule, not numpy.pad's names for them.
    forbidden=BY_HAND_FORBIDDEN + ("numpy.pad",),
)


# ---------------------------------------------------------------- conv2d_same

def _same_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, (label, image, kernel) in enumerate(pairs_2d(rng, odd_kernels=True)):
        for boundary in (BOUNDARIES[n % 3], BOUNDARIES[(n + 1) % 3]):
            cases.append(Case((image, kernel, boundary), label=f"boundary '{boundary}', {label}"))
    for boundary, (label, image, kernel) in zip(BOUNDARIES, large_pairs_2d(rng, odd_kernels=True)):
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
    uses=("pad2d", "conv2d"),
    misconceptions=(
        Misconception(
            "wrong-boundary",
            "The values away from the border are right, but the border follows a different rule than the one "
            "asked for (or none at all). Pad the image with the requested rule first, 'fill' with zeros, 'symm' "
            "mirrored with the edge repeated, 'wrap' with the opposite side, and only then slide the kernel.",
            detect=matches_any(wrong.same_other_boundaries),
        ),
        Misconception(NO_FLIP.id, NO_FLIP.hint.replace(" Check the first 'full' value: only the kernel's top-left entry "
                                                        "g[0, 0] can meet the image's top-left pixel.", ""),
                      detect=matches_any(wrong.same_not_flipped)),
    ),
    forbidden=BY_HAND_FORBIDDEN,
)

EXERCISES = [conv2d, neighbourhood, pad2d, conv2d_same]
