"""The vocabulary in which every exercise is declared once, as data.

An :class:`Exercise` says what the learner writes (a function or some values),
what the right answer is (a trusted reference), which inputs prove it (visible
lesson cases, seeded hidden cases, error cases), how answers are compared, and
which wrong answers have a name (misconceptions).  Every user of an exercise -
the notebook's test cell, ``autograder check``, pytest, ``autograder grade`` and
nbgrader - reads the same declaration through :mod:`autograder.engine.evaluate`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

#: Library routes to a convolution, a correlation, a polynomial product or an FFT,
#: which "by hand" exercises may not take: refused statically, and removed from the
#: process that runs the exercise (autograder.sandbox.seal). Private entry points
#: (numpy._core._multiarray_umath.correlate2, scipy.signal._sigtools, ...) are covered
#: by their packages here and by engine.forbidden.expand.
BY_HAND_FORBIDDEN = (
    "numpy.convolve",
    "numpy.correlate",
    "numpy.polymul",
    "numpy.polynomial",
    "numpy.fft",
    "scipy.signal",
    "scipy.ndimage",
    "scipy.fft",
    "scipy.fftpack",
    "scipy.linalg.convolution_matrix",
    "PIL.ImageFilter",
    "PIL.Image.Image.filter",
)

#: Automatic differentiation libraries; learn_kernel writes its gradient by hand.
AUTODIFF_FORBIDDEN = ("torch", "jax", "autograd", "tensorflow", "mxnet")

#: What to do instead, by rule: the first rule a forbidden name falls under gives the hint.
FORBIDDEN_HINTS = (
    (("autograder",), "The course's own package is the grader's, not part of your answer: write the function yourself "
                      "(only `from autograder import check, demo` belongs in a notebook)."),
    (AUTODIFF_FORBIDDEN, "This exercise is about writing the gradient yourself: replace the automatic differentiation by its formula, worked out by hand."),
    (BY_HAND_FORBIDDEN, "This exercise is about doing the computation yourself: replace the library call by your own loops or slicing."),
)
#: The hint for a forbidden name under none of the rules above (e.g. ``numpy.pad`` in pad2d).
FORBIDDEN_HINT = "This exercise is about doing it yourself: replace the library call by your own code."

#: The kinds of check an exercise's points are split over (see :class:`CreditWeights`):
#: the lesson's worked examples (visible cases), the hidden randomized values
#: (hidden cases), edge cases and bad input (error cases), and the by-hand rule.
CREDIT_KINDS = ("examples", "hidden", "errors", "by_hand")
#: The engine's default split.  The by-hand rule is a gate (a forbidden call
#: scores 0 for the exercise) and earns nothing by itself unless a course
#: gives it a weight.
DEFAULT_WEIGHTS = {"examples": 0.4, "hidden": 0.4, "errors": 0.2, "by_hand": 0.0}
#: the limits of :mod:`autograder.engine.credit`, set beside the weights in course.yml
CREDIT_LIMITS = ("whole_property", "rules_floor")


class _Unset:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Setting:
    """An argument that course.yml sets: ``grading.exercise_settings.<exercise>.<name>``,
    else the exercise's declared default (:attr:`Exercise.settings`).  Resolved when the
    exercise is graded (:func:`~autograder.engine.prepare.with_settings`), so only
    judged cases take one: no right answer is computed for them beforehand."""

    name: str

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Setting({self.name!r})"


@dataclass(frozen=True)
class InputFile:
    """A file the learner's function reads, written into its working folder first."""

    name: str
    data: bytes


@dataclass(frozen=True)
class OutputFile:
    """A file name in the learner's working folder that the function must write."""

    name: str


@dataclass(frozen=True)
class Tolerance:
    """How numbers are compared: integers exactly, floats with ``numpy.isclose``."""

    rtol: float = 1e-6
    atol: float = 1e-6

    def describe(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


@dataclass
class Case:
    """One call of the learner's function (or one look at the learner's values).

    ``expected`` is computed by the exercise's reference when left unset.
    ``label`` names what makes the case interesting ("kernel longer than the
    signal"); it is shown in feedback even for hidden cases, whose inputs are not.
    ``judge`` replaces value comparison for behaviour-graded cases: it receives
    the learner's (decoded) output and returns ``None`` when it is acceptable or
    a sentence saying what is wrong.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = UNSET
    label: str = ""
    hidden: bool = False
    judge: Callable[[Any], str | None] | None = None
    files: tuple[InputFile, ...] = ()
    #: the learner's function this case calls when not the exercise's first name
    #: (``relu_backward`` in the exercise ``relu``); it must be one of the exercise's names
    function: str = ""
    #: the call is made on its own and timed by the grader (never by the learner's process's own
    #: report); the judge receives ``seconds=`` besides the output (a speed check): the fastest of the
    #: call and its ``again`` calls
    timed: bool = False
    #: a timed case's further calls, as ``(args, kwargs)`` pairs: the same work on other inputs (the batch
    #: in another order), so that no memo of the first call answers them; the judge receives
    #: ``again=`` their results (fewer when one raised, crashed or ran out of time).  Without them a
    #: timed call is repeated as it is.
    again: tuple = ()
    #: after the call, another of the exercise's functions is called on one part of its result:
    #: ``("predict", 0, (X_test,))`` calls ``predict(result[0], X_test)`` (a learner kit measures a
    #: trained network with the learner's own predict); the judge receives ``then=`` its result
    #: (None when that call raised or the result has no such part)
    then: tuple | None = None
    #: value exercises: when this check fails, the exercise earns at most this share of its
    #: points, however many others pass (a designed kernel that does not do its job)
    cap: float | None = None


@dataclass
class ErrorCase:
    """Bad input that must raise one of ``raises`` (names of exception classes).

    ``own``: the exception must come from a ``raise`` in the learner's own code
    (validation), not from a library their code called by accident.  ``None``
    (the default) requires it when ``ValueError`` is what must be raised; a
    case like "a file that does not exist" (FileNotFoundError, raised by
    Pillow) leaves it to the library.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    raises: tuple[str, ...] = ("ValueError",)
    label: str = ""
    files: tuple[InputFile, ...] = ()
    own: bool | None = None
    #: the learner's function this case calls (see :attr:`Case.function`)
    function: str = ""
    timed = False  # bad input is never timed

    @property
    def needs_own_raise(self) -> bool:
        return self.own if self.own is not None else "ValueError" in self.raises


@dataclass(frozen=True)
class Misconception:
    """A named wrong answer and a hint that teaches without giving the code away.

    It is recognised on a failing case when the learner's output equals what
    ``wrong`` returns for the same inputs (compared as answers are), or when
    ``detect(case, got)`` says so.  For value exercises ``wrong`` takes no
    arguments and returns the wrong values as a dict ``{name: value}``.
    """

    id: str
    hint: str
    wrong: Callable[..., Any] | None = None
    detect: Callable[[Case, Any], bool] | None = None
    #: besides the numbers, what the learner's code must show (``code(source)`` of their function and
    #: the functions it calls): two ways of writing that give the same wrong numbers, named apart
    code: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class Numbers:
    """Each student's own numbers for a value exercise (a *variant*), drawn from their id.

    ``draw(rng)`` returns the numbers the exercise asks about, by name (``{"x": [...], "h": [...]}``),
    small enough to work by hand and chosen so that the lesson's method is what reaches the answer (no
    zeros where they would hide it, no symmetric kernel where the flip would not show); it is public (a
    notebook prints a learner's numbers, and a learner kit ships it).  ``lesson`` are the lesson's own
    numbers, worked through in the text: everyone's when variants are off or no student id is known.
    ``answers(numbers)`` gives the right values by name, and ``wrong[misconception id](numbers)`` the
    values that misconception gives, a list of alternatives (trusted: neither ships in a kit).
    ``describe(numbers)`` is the sentence that states them; ``title(numbers)`` the exercise's title.
    ``cases(numbers)``: the exercise's checks for those numbers, when a judge holds what they decide
    (``max_stable_lr``'s judge holds its limit); the declared ``visible`` checks otherwise.
    """

    draw: Callable[[np.random.Generator], dict[str, Any]]
    lesson: dict[str, Any]
    answers: Callable[[dict[str, Any]], dict[str, Any]]
    describe: Callable[[dict[str, Any]], str]
    wrong: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    title: Callable[[dict[str, Any]], str] | None = None
    cases: Callable[[dict[str, Any]], tuple] | None = None


@dataclass
class Exercise:
    """The single declaration of an exercise.

    kind
        ``"function"``: ``names[0]`` is the learner's function; further names
        are values read alongside it (e.g. ``diverging_lr``).
        ``"value"``: ``names`` are variables the learner assigns.
    returns
        What a function must return: ``"ndarray"`` (a NumPy array, lists are
        refused), ``"array_like"`` (list, tuple or array), ``"int"``,
        ``"number"``, ``"tuple"``, ``"rows"``, ``"none"`` (e.g. save_png), or
        ``"any"``.
    hidden_cases
        ``hidden_cases(rng)`` returns randomized cases drawn from the seeded
        ``numpy.random.Generator``; the seed is the grader's, never the learner's.
    observe
        For exercises judged on a side effect: ``observe(case, outcome)`` turns
        the call's outcome (with the files it wrote) into the value compared.
    """

    id: str
    assignment: str
    kind: str
    names: tuple[str, ...]
    title: str
    reference: Callable[..., Any] | None = None
    visible: Sequence[Case] = ()
    hidden_cases: Callable[[np.random.Generator], list[Case]] | None = None
    errors: Sequence[ErrorCase] = ()
    values: dict[str, Any] = field(default_factory=dict)
    returns: str = "ndarray"
    tolerance: Tolerance = Tolerance()
    misconceptions: Sequence[Misconception] = ()
    forbidden: tuple[str, ...] = ()
    check_modifies_input: bool = True
    output_files: tuple[OutputFile, ...] = ()
    observe: Callable[[Case, Any], Any] | None = None
    signature: str = ""
    #: value exercises worked out on paper: the answer cell must assign literals (no library call computes it)
    on_paper: bool = False
    #: ids of exercises whose functions this one's solution calls (conv1d_mode calls conv1d): when one of
    #: them fails and the learner's function calls it, the feedback says to fix that one first
    uses: tuple[str, ...] = ()
    #: how this exercise's points are split over kinds of check, when not as the engine's DEFAULT_WEIGHTS
    #: (a partial mapping, e.g. ``{"errors": 0.5}`` for an exercise about validation); course.yml may override
    weights: dict[str, float] = field(default_factory=dict)
    #: what to do instead of a forbidden call, when the rule's hint (FORBIDDEN_HINTS) does not fit
    forbidden_hint: str = ""
    #: what course.yml's ``grading.exercise_settings.<id>`` may set, with the values used when it does not;
    #: a case refers to one with a :class:`Setting` argument (train's epochs and learning rate)
    settings: dict[str, Any] = field(default_factory=dict)
    #: what to look at when the checks run out of time, when the generic hint does not fit
    timeout_hint: str = ""
    #: value exercises: each student's own numbers (see :class:`Numbers`); ``values`` are the lesson's answers
    numbers: Numbers | None = None

    @property
    def function_name(self) -> str:
        return self.names[0]

    def expected_for(self, case: Case) -> Any:
        """The right answer for ``case``: given, or computed by the reference."""
        if case.expected is not UNSET:
            return case.expected
        if self.reference is None:
            raise RuntimeError(f"exercise {self.id!r} has no reference for {case!r}")
        return self.reference(*case.args, **case.kwargs)


def _weight_mapping(value: Any, where: str, error: type[Exception]) -> dict[str, float]:
    if not isinstance(value, dict):
        raise error(f"{where} should map kinds of check ({', '.join(CREDIT_KINDS)}) to weights, not {value!r}")
    out = {}
    for kind, weight in value.items():
        if kind in CREDIT_LIMITS:
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
                raise error(f"{where}.{kind} should be a share of the points between 0 and 1, not {weight!r}")
            out[str(kind)] = float(weight)
            continue
        if kind not in CREDIT_KINDS:
            raise error(f"{where}: unknown kind of check {kind!r}; the kinds are {', '.join(CREDIT_KINDS)} "
                        f"(and the limits {', '.join(CREDIT_LIMITS)})")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0 or weight == float("inf"):
            raise error(f"{where}.{kind} should be a number >= 0, not {weight!r}")
        out[str(kind)] = float(weight)
    return out


@dataclass(frozen=True)
class CreditWeights:
    """course.yml's ``grading.weights``: how exercises split their points over kinds of check.

    ::

        grading:
          weights:                 # course-wide (any of the kinds; the others keep their default)
            examples: 0.3
            hidden: 0.5
            errors: 0.2
            exercises:             # per exercise, over everything else
              conv_output_size: {errors: 0.5}

    Weights are relative: they need not sum to 1.  For one exercise they are,
    from the most general to the most specific, the engine's
    :data:`DEFAULT_WEIGHTS`, the course-wide weights, the exercise's own
    declaration (``Exercise.weights``) and the course's override for it.
    Kinds an exercise does not have (no hidden cases, no bad input) drop out
    and the rest share its points.
    """

    course: dict[str, float] = field(default_factory=dict)
    exercises: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: Any, where: str = "grading.weights", *, known: Any = None, error: type[Exception] = ValueError) -> "CreditWeights":
        """Validate course.yml's ``grading.weights`` (``None`` when absent); ``known``: the exercise ids."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise error(f"{where} should be a mapping of kinds of check ({', '.join(CREDIT_KINDS)}) to weights, and 'exercises'")
        course = _weight_mapping({k: v for k, v in value.items() if k != "exercises"}, where, error)
        exercises = {}
        per_exercise = value.get("exercises") or {}
        if not isinstance(per_exercise, dict):
            raise error(f"{where}.exercises should map exercise ids to weights, not {per_exercise!r}")
        known = set(known) if known is not None else None
        for exercise_id, mapping in per_exercise.items():
            if known is not None and exercise_id not in known:
                raise error(f"{where}.exercises: no exercise {exercise_id!r}")
            exercises[str(exercise_id)] = _weight_mapping(mapping, f"{where}.exercises.{exercise_id}", error)
        weights = cls(course, exercises)
        if course and not any({**DEFAULT_WEIGHTS, **course}[k] > 0 for k in ("examples", "hidden", "errors")):
            raise error(f"{where}: at least one of examples, hidden and errors needs a weight above 0")
        return weights

    def for_exercise(self, ex: "Exercise") -> dict[str, float]:
        """The weights of every kind for ``ex`` (see the class docstring)."""
        return resolve_weights(ex, self)


def resolve_weights(ex: "Exercise", course: CreditWeights | None = None) -> dict[str, float]:
    """The weight of every kind of check for ``ex``: default < course < declaration < course override."""
    course = course or CreditWeights()
    weights = {**DEFAULT_WEIGHTS, **course.course}
    weights.update(_weight_mapping(ex.weights, f"the declaration of {ex.id}: weights", ValueError) if ex.weights else {})
    weights.update(course.exercises.get(ex.id, {}))
    return weights
