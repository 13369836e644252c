"""01-conv1d: convolution in one dimension, by hand, in three output sizes."""
from __future__ import annotations

import numpy as np

from .. import references as ref
from ..engine.spec import BY_HAND_FORBIDDEN, Case, ErrorCase, Exercise, Misconception, Numbers
from .generators import long_pairs_1d, matches_any, pairs_1d, same_values

ASSIGNMENT = "01-conv1d"
LESSON_X, LESSON_H = [3, 4, 5], [2, 1, 0]
STEPS_X, STEPS_H = [6, 2], [1, 2, 5, 4]
MODES = ("full", "same", "valid")


def _correlations(x, h, mode="full"):
    """What sliding without flipping gives, read in either direction."""
    x, h = np.asarray(x), np.asarray(h)
    slid = ref.conv1d_mode(x, h[::-1], mode)
    return [slid, slid[::-1], ref.conv1d_mode(x[::-1], h, mode)]


def _off_by_one(case, got) -> bool:
    expected = ref.conv1d_mode(*case.args, **case.kwargs) if case.args else None
    return isinstance(got, np.ndarray) and got.ndim == 1 and expected is not None and abs(got.size - expected.size) == 1


NO_FLIP = Misconception(
    "no-flip",
    "Your numbers are what you get by sliding h along x without reversing it: that is cross-correlation. "
    "Convolution pairs x[k] with h[n - k], so as k goes up the index into h goes down. Check y[0]: only x[0]*h[0] can contribute.",
    detect=matches_any(_correlations),
)

OFF_BY_ONE = Misconception(
    "length-off-by-one",
    "The output has one value too many or too few. Count the positions where the two sequences overlap by at least one "
    "element: for lengths M and N there are M + N - 1 of them.",
    detect=_off_by_one,
)

def draw_pair(rng: np.random.Generator) -> dict:
    """A student's x and h for the full convolution on paper: three values each, x from 1 to 6 and h from
    1 to 4 (no zero hides a product), neither the same read backwards (else sliding h unturned, or reading
    the result backwards, could land on the answer: the flip must show)."""
    while True:
        x = [int(v) for v in rng.integers(1, 7, 3)]
        h = [int(v) for v in rng.integers(1, 5, 3)]
        if h != h[::-1] and x != x[::-1]:
            return {"x": x, "h": h}


def describe_pair(numbers: dict) -> str:
    return f"x = {numbers['x']}, h = {numbers['h']}"


def title_pair(numbers: dict) -> str:
    return f"The full convolution of {describe_pair(numbers).replace(', h', ' and h')}, on paper"


def _by_hand_answers(numbers: dict) -> dict:
    return {"y_by_hand": [int(v) for v in ref.conv1d(numbers["x"], numbers["h"])]}


def _by_hand_no_flip(numbers: dict) -> list[dict]:
    return [{"y_by_hand": [int(v) for v in c]} for c in _correlations(numbers["x"], numbers["h"])]


by_hand_full = Exercise(
    id="by_hand_full",
    assignment=ASSIGNMENT,
    kind="value",
    names=("y_by_hand",),
    title="The full convolution of x = [3, 4, 5] and h = [2, 1, 0], on paper",
    values={"y_by_hand": [6, 11, 14, 5, 0]},
    on_paper=True,
    numbers=Numbers(draw=draw_pair, lesson={"x": LESSON_X, "h": LESSON_H}, answers=_by_hand_answers, describe=describe_pair,
                    wrong={"no-flip": _by_hand_no_flip}, title=title_pair),
    misconceptions=(
        Misconception(NO_FLIP.id, NO_FLIP.hint, detect=lambda _, got: any(
            same_values([int(v) for v in c], got["y_by_hand"]) for c in _correlations(LESSON_X, LESSON_H))),
        Misconception(OFF_BY_ONE.id, OFF_BY_ONE.hint, detect=lambda _, got: _is_vector(got["y_by_hand"]) and abs(len(got["y_by_hand"]) - 5) == 1),
    ),
)


def _is_vector(value) -> bool:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return array.ndim == 1


def _conv1d_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [Case((x, h), label=label) for label, x, h in pairs_1d(rng)]
    cases.append(Case(([1, 2, 3], [0, 1]), label="plain Python lists"))
    cases += [Case((x, h), label=label) for label, x, h in long_pairs_1d(rng)]
    return cases


conv1d = Exercise(
    id="conv1d",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv1d",),
    signature="conv1d(x, h)",
    title="Full linear convolution, by hand",
    reference=ref.conv1d,
    visible=(
        Case((STEPS_X, STEPS_H), label="the lesson's step-by-step example"),
        Case((LESSON_X, LESSON_H), label="the lesson's first example"),
    ),
    hidden_cases=_conv1d_hidden,
    errors=(
        ErrorCase(([], [1, 2]), label="empty x"),
        ErrorCase(([1, 2], []), label="empty h"),
    ),
    misconceptions=(NO_FLIP, OFF_BY_ONE),
    forbidden=BY_HAND_FORBIDDEN,
)


def _left_aligned(x, h, mode="full"):
    full = ref.conv1d(x, h)
    return full[: max(len(x), len(h))] if mode == "same" else None


def _first_input_size(x, h, mode="full"):
    if mode != "same":
        return None
    full = ref.conv1d(x, h)
    n, k = len(x), len(h)
    start = (k - 1) // 2
    if n >= k:
        return full[start:start + n]
    # SciPy keeps len(x) values centred on the full result.
    start = (len(full) - n) // 2
    return full[start:start + n]


def _valid_no_swap(case, got) -> bool:
    x, h = case.args[0], case.args[1]
    mode = case.args[2] if len(case.args) > 2 else case.kwargs.get("mode", "full")
    return mode == "valid" and len(h) > len(x) and isinstance(got, np.ndarray) and got.size == 0


def _mode_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, (label, x, h) in enumerate(pairs_1d(rng)):
        for mode in MODES:
            if (n + MODES.index(mode)) % 2 == 0 or "longer" in label or "even" in label:
                cases.append(Case((x, h, mode), label=f"mode '{mode}', {label}"))
    for label, x, h in long_pairs_1d(rng):
        for mode in MODES:
            cases.append(Case((x, h, mode), label=f"mode '{mode}', {label}"))
    return cases


def _valid_off_by_one(case, got) -> bool:
    """'valid' one value too long or too short, cut from the full result."""
    x, h = case.args[0], case.args[1]
    mode = case.args[2] if len(case.args) > 2 else case.kwargs.get("mode", "full")
    if mode != "valid" or not isinstance(got, np.ndarray) or got.ndim != 1:
        return False
    right = max(len(x), len(h)) - min(len(x), len(h)) + 1
    if abs(got.size - right) != 1:
        return False
    full = ref.conv1d(x, h)
    return any(np.allclose(full[start:start + got.size], got) for start in range(full.size - got.size + 1))


VALID_OFF_BY_ONE = Misconception(
    "valid-off-by-one",
    "Your 'valid' result has one value too many or too few. Count the positions where the shorter sequence lies "
    "entirely inside the longer one: the first starts at 0 and the last at (longer - shorter), so there are "
    "longer - shorter + 1 of them (3 for the lesson's lengths 2 and 4).",
    detect=_valid_off_by_one,
)


conv1d_mode = Exercise(
    id="conv1d_mode",
    assignment=ASSIGNMENT,
    kind="function",
    names=("conv1d_mode",),
    signature="conv1d_mode(x, h, mode)",
    title="'full', 'same' and 'valid', exactly as numpy.convolve",
    uses=("conv1d",),  # the lesson builds the three sizes from the full convolution
    reference=ref.conv1d_mode,
    visible=(
        Case((STEPS_X, STEPS_H, "full"), label="the lesson's 'full' example"),
        Case((STEPS_X, STEPS_H, "same"), label="the lesson's 'same' example"),
        Case((STEPS_X, STEPS_H, "valid"), label="the lesson's 'valid' example"),
    ),
    hidden_cases=_mode_hidden,
    errors=(
        ErrorCase(([1, 2], [1], "middle"), label="an unknown mode"),
        ErrorCase(([], [1], "full"), label="empty x"),
    ),
    misconceptions=(
        Misconception(
            "same-left-aligned",
            "For 'same' you kept the first max(M, N) values of the full result. NumPy centres the window instead: "
            "it drops (min(M, N) - 1) // 2 values at the start and the rest at the end.",
            wrong=_left_aligned,
        ),
        Misconception(
            "same-first-input-size",
            "Your 'same' result has the length of x, which is SciPy's convention (scipy.signal.convolve). "
            "numpy.convolve's 'same' has the length of the longer input, max(M, N).",
            wrong=_first_input_size,
        ),
        Misconception(
            "valid-no-swap",
            "When h is longer than x there is still a 'valid' part: convolution does not care which input is the "
            "signal, so let the longer one play the signal (swap them) before sliding.",
            detect=_valid_no_swap,
        ),
        Misconception(
            NO_FLIP.id, NO_FLIP.hint,
            detect=matches_any(lambda x, h, mode="full": _correlations(x, h, mode)),
        ),
        VALID_OFF_BY_ONE,
    ),
    forbidden=BY_HAND_FORBIDDEN,
)


def _length_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(12):
        n, k = (int(v) for v in rng.integers(1, 40, size=2))
        mode = MODES[int(rng.integers(3))]
        label = "n < k" if n < k else ("n = k" if n == k else "n > k")
        cases.append(Case((n, k, mode), label=f"mode '{mode}', {label}"))
    cases.append(Case((1, 1, "valid"), label="both lengths 1"))
    cases.append(Case((3, 9, "valid"), label="mode 'valid', the kernel longer than the signal"))
    for mode in MODES:
        n, k = int(rng.integers(65, 200)), int(rng.integers(2, 12))
        cases.append(Case((n, k, mode), label=f"mode '{mode}', a signal longer than 64"))
    return cases


output_length = Exercise(
    id="output_length",
    assignment=ASSIGNMENT,
    kind="function",
    names=("output_length",),
    signature="output_length(n, k, mode)",
    title="The length of each output size, from the lengths alone",
    reference=ref.output_length,
    returns="int",
    visible=(
        Case((2, 4, "full"), label="the lesson's 'full' example"),
        Case((2, 4, "same"), label="the lesson's 'same' example"),
        Case((2, 4, "valid"), label="the lesson's 'valid' example"),
        Case((3, 3, "full"), label="the lesson's first example"),
    ),
    hidden_cases=_length_hidden,
    errors=(ErrorCase((5, 3, "middle"), label="an unknown mode"),),
    misconceptions=(
        Misconception(
            "valid-no-swap",
            "For 'valid' the shorter sequence slides inside the longer one, whichever of the two it is: "
            "use max(n, k) - min(n, k) + 1.",
            detect=lambda case, got: case.args[2] == "valid" and case.args[1] > case.args[0] and isinstance(got, (int, np.integer)) and got == case.args[0] - case.args[1] + 1,
        ),
        Misconception(
            VALID_OFF_BY_ONE.id,
            "Your 'valid' length is off by one. The shorter sequence can start at 0, 1, ..., up to "
            "(longer - shorter): count those starting positions, the first one included.",
            detect=lambda case, got: case.args[2] == "valid" and isinstance(got, (int, np.integer))
            and abs(int(got) - ref.output_length(*case.args)) == 1,
        ),
    ),
)

EXERCISES = [by_hand_full, conv1d, conv1d_mode, output_length]
