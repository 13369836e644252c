"""What a verdict on one exercise is: its status and :class:`ExerciseResult`, and the hints every
exercise shares.  The rest of the engine writes results; the reports read them."""
from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, ERROR, TIMEOUT, MISSING, FORBIDDEN, NOT_IMPLEMENTED = (
    "passed", "failed", "error", "timeout", "missing", "forbidden", "not-implemented",
)
STATUSES = (PASSED, FAILED, ERROR, TIMEOUT, MISSING, FORBIDDEN, NOT_IMPLEMENTED)

#: Hints for the mistakes any exercise can show, by name.
GENERIC_HINTS = {
    "returns-none": "Your function computes something but never hands it back: end it with `return` and the result.",
    "wrong-shape": "Work out the size of the result from the sizes of the inputs before computing any value (for a sliding window: how many positions it can take); then make your result exactly that shape.",
    "modifies-input": "Your function changed an array or list it was given. The caller still needs it: work on a copy (for example `x = np.array(x, dtype=float)` or `items = list(items)`) instead of changing the argument.",
    "uint8-wraparound": "The input is uint8, whose values wrap around past 255 (250 + 10 gives 4). Convert to a wider type (np.int64 or float) before multiplying and adding.",
    "timeout": "Look for a loop whose end condition is never reached, or work that grows much faster than the input.",
    "not-implemented": "Replace `raise NotImplementedError()` with your code, then run the cell.",
    "not-on-paper": "This answer is worked out by hand: apply the formula on paper, then write down the numbers you get.",
}


@dataclass
class ExerciseResult:
    """The verdict on one exercise, ready for every report format.

    ``fraction`` is the share of the exercise's points earned (0 to 1; 1
    exactly when passed), ``breakdown`` what passed per kind of check:
    ``{"examples": {"passed": 2, "total": 2}, "hidden": {...}, "errors": {...},
    "by_hand": {...}}`` for functions, ``{"values": {...}}`` for values.
    Points come from :func:`autograder.report.points_earned`, the one place
    that turns a result into points.
    """

    id: str
    status: str
    feedback: str
    misconception: str | None = None
    checks_passed: int = 0
    checks_total: int = 0
    fraction: float = 0.0
    breakdown: dict[str, dict[str, int]] = field(default_factory=dict)
    #: the learner's function graded (function exercises), for the exercises that use it
    function: str = ""

    def __post_init__(self) -> None:
        if self.status == PASSED:
            self.fraction = 1.0
        self.fraction = min(1.0, max(0.0, float(self.fraction)))

    @property
    def passed(self) -> bool:
        return self.status == PASSED
