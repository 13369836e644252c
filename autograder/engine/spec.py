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

#: Library calls that "by hand" exercises may not make (static and run-time).
BY_HAND_FORBIDDEN = (
    "numpy.convolve",
    "numpy.correlate",
    "numpy.fft",
    "scipy.signal",
    "scipy.ndimage",
    "scipy.fft",
    "scipy.fftpack",
)

#: Automatic differentiation libraries; learn_kernel writes its gradient by hand.
AUTODIFF_FORBIDDEN = ("torch", "jax", "autograd", "tensorflow", "mxnet")


class _Unset:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "UNSET"


UNSET: Any = _Unset()


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


@dataclass
class ErrorCase:
    """Bad input that must raise one of ``raises`` (names of exception classes)."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    raises: tuple[str, ...] = ("ValueError",)
    label: str = ""
    files: tuple[InputFile, ...] = ()


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
