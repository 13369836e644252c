"""What a runner of learner code reports back to the trusted evaluator.

The evaluator (:mod:`autograder.engine.evaluate`) never touches learner
objects: it asks a :class:`Caller` to look names up and call functions, and
gets plain data back.  Two callers exist: one in the notebook's own process
(:mod:`autograder.frontends.inline`, for the self-check cells) and one across a process
boundary (:mod:`autograder.sandbox.session`, for ``autograder check`` and
``autograder grade``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from .spec import InputFile


class WorkPath:
    """An argument that stands for a file in the working folder of the call.

    The process that runs the call replaces it by an absolute path string.
    """

    __slots__ = ("name",)

    def __init__(self, name: str):
        if "/" in name or name.startswith("."):
            raise ValueError(f"WorkPath takes a plain file name, not {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return repr(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkPath) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("WorkPath", self.name))


def mentions_workpath(obj: Any) -> bool:
    """Whether ``obj`` (arguments: tuples, lists and dicts of values) holds a :class:`WorkPath`."""
    if isinstance(obj, WorkPath):
        return True
    if type(obj) in (tuple, list):
        return any(mentions_workpath(v) for v in obj)
    if type(obj) is dict:
        return any(mentions_workpath(v) for v in obj.values())
    return False


@dataclass
class NameInfo:
    """What the learner's program left under one name.

    ``state`` is ``defined``, ``missing``, ``not-implemented`` (the defining
    cell raised NotImplementedError, as an untouched nbgrader stub does) or
    ``error`` (the defining cell raised something else or ended the process).
    """

    state: str
    is_callable: bool = False
    value: Any = None
    detail: str = ""


@dataclass
class Raised:
    """An exception raised by learner code, described as plain data."""

    type_name: str
    lineage: tuple[str, ...]  # class names along the MRO
    message: str
    where: str = ""
    #: raised by a ``raise`` (or ``assert``) in the learner's own code, not by a library it called
    own: bool = False
    #: the library whose code raised it (``"NumPy"``), when one did in Python code
    origin: str = ""

    def is_a(self, names: Sequence[str]) -> bool:
        return any(n in self.lineage for n in names)

    def describe(self, message: bool = True) -> str:
        """``ValueError: bad size (line 3)``; without ``message`` only the type and where."""
        text = f"{self.type_name}: {self.message}" if self.message and message else self.type_name
        return f"{text} ({self.where})" if self.where else text


@dataclass
class Call:
    """One call to make: arguments may hold :class:`WorkPath` placeholders."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    files: tuple[InputFile, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclass
class Outcome:
    """The result of one call, already decoded on the trusted side."""

    value: Any = None
    raised: Raised | None = None
    args_after: tuple | None = None
    kwargs_after: dict | None = None
    forbidden: tuple[str, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)
    timed_out: bool = False
    crashed: str = ""
    seconds: float = 0.0
    #: ``seconds`` are the processor time of the learner's process, read by the grader from the kernel
    #: (a timed call in the sandbox), not a wall-clock time
    processor: bool = False
    #: the result of the check's ``then`` call (see :attr:`autograder.engine.spec.Case.then`)
    then: Any = None
    #: the results of a timed check's ``again`` calls (see :attr:`autograder.engine.spec.Case.again`)
    again: list = field(default_factory=list)


class Caller(Protocol):
    """How the evaluator reaches learner code (see the module docstring)."""

    def lookup(self, names: Sequence[str], owner: str | None = None) -> dict[str, NameInfo]:
        """Look names up; values (not functions) come back decoded.

        ``owner`` is the exercise id, which is also the grade_id of its answer
        cell: it tells why a name is missing when that cell failed.
        """

    def sources(self) -> list[tuple[int | None, str]]:
        """The learner's code as (cell index, source) pairs, for static analysis."""

    def call(self, name: str, calls: Sequence[Call], *, timeout: float, forbidden: tuple[str, ...]) -> list[Outcome]:
        """Run the calls in order; stop early after a timeout or a crash."""
