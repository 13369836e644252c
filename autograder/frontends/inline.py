"""``check()``: the self-check that runs inside the learner's own notebook.

It evaluates an exercise's declaration against the objects of the notebook's
namespace with the same engine, the same cases (worked examples, bad inputs,
practice hidden cases from course.yml's public seed) and the same messages as
``autograder check`` and pytest.  It runs in the learner's process, so it is a
learning aid, not a defence: grades come from the sandbox (``nbgrader
autograde`` with this course's configuration, or ``autograder grade``), which
never runs these cells.

The verdict is printed (a failure on stderr, which Jupyter shows in red) and
never raised, so that "Run All" goes past a failed check.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from ..engine import codec
from ..engine.evaluate import evaluate
from ..engine.prepare import prepare, resolve
from ..engine.result import MISSING, NOT_IMPLEMENTED, PASSED
from ..engine.forbidden import ForbiddenCall, Tripwires
from ..engine.outcome import Call, NameInfo, Outcome, Raised
from ..engine.traceback_info import describe as describe_traceback
from ..engine.traceback_info import origin as traceback_origin
from ..exercises import get
from ..report import Report
from . import verdict

DEFAULT_TIMEOUT = 10.0


class CheckFailed(AssertionError):
    """An exercise did not pass; the message is meant for the learner.

    ``check()`` prints its verdict instead of raising; the name remains the
    ``ename`` of a failed check cell in nbgrader's autograded notebooks.
    """


class _Timeout(BaseException):
    pass


def _course():
    """The course of the notebook (None when no course.yml can be found)."""
    from ..course import CourseError, load_course

    try:
        return load_course(validate=False)
    except CourseError:
        return None


def _grading() -> tuple[int, float]:
    """The seed and per-exercise time limit of the course (course.yml's grading section)."""
    from ..course import DEFAULT_SEED

    course = _course()
    if course is not None:
        seed, timeout = course.seed, float(course.grading.get("exercise_timeout", DEFAULT_TIMEOUT))
    else:
        seed, timeout = DEFAULT_SEED, DEFAULT_TIMEOUT
    env = os.environ.get("AUTOGRADER_SEED")
    return (int(env) if env else seed), timeout


def _own_limits(exercise_id: str) -> tuple[float | None, dict]:
    """course.yml's time limit (None: the course's) and settings of one exercise (grading.exercise_timeouts, exercise_settings)."""
    course = _course()
    grading = course.grading if course is not None else {}
    timeout = (grading.get("exercise_timeouts") or {}).get(exercise_id)
    return (float(timeout) if timeout is not None else None), dict((grading.get("exercise_settings") or {}).get(exercise_id) or {})


def _weights(exercise):
    """course.yml's split of points over kinds of check, as every grader applies it."""
    from ..pipeline import course_weights

    course = _course()
    return course_weights(course, exercise.assignment) if course is not None else None


def _history() -> list[str]:
    """The cells this kernel has run, as IPython keeps them (empty outside IPython)."""
    shell = get_ipython()
    if shell is None:
        return []
    history = shell.user_ns.get("In") or shell.user_ns.get("_ih") or []
    return [cell for cell in history if isinstance(cell, str)]


def _raised(exc: BaseException) -> Raised:
    where, own = describe_traceback(exc.__traceback__)
    return Raised(type(exc).__name__, tuple(c.__name__ for c in type(exc).__mro__), str(exc)[:500], where, own, traceback_origin(exc.__traceback__))


class InProcessCaller:
    """The evaluator's Caller for objects living in this very process."""

    def __init__(self, namespace: dict[str, Any]):
        self.namespace = namespace

    def sources(self) -> list[tuple[int | None, str]]:
        from ..notebook.load import without_self_checks

        history = _history()
        if history:
            return [(None, without_self_checks(cell)) for cell in history]
        out = []
        for value in self.namespace.values():
            if inspect.isfunction(value):
                with contextlib.suppress(OSError, TypeError):
                    out.append((None, inspect.getsource(inspect.getmodule(value) or value)))
        return out

    def lookup(self, names: Sequence[str], owner: str | None = None) -> dict[str, NameInfo]:
        infos = {}
        for name in names:
            if name not in self.namespace:
                infos[name] = NameInfo(self._why_missing(name))
                continue
            value = self.namespace[name]
            if callable(value) and not isinstance(value, type):
                infos[name] = NameInfo("defined", True, codec.Opaque("function", name))
            else:
                infos[name] = NameInfo("defined", False, codec.roundtrip(value))
        return infos

    @staticmethod
    def _why_missing(name: str) -> str:
        """Not written yet (an untouched stub raised) or simply not defined."""
        from ..notebook.load import _to_python, defined_names

        for cell in reversed(_history()):
            code = _to_python(cell)
            if name in defined_names(code):
                return NOT_IMPLEMENTED if "NotImplementedError" in code else MISSING
        # A value stub binds nothing; IPython remembers the last error a cell raised.
        return NOT_IMPLEMENTED if isinstance(getattr(sys, "last_value", None), NotImplementedError) else MISSING

    #: a timed call is timed by this process's processor time (see :meth:`call`)
    times_processor = True

    def call(self, name: str, calls: Sequence[Call], *, timeout: float, forbidden: tuple[str, ...],
             timed: bool = False) -> list[Outcome]:
        """Run the calls here, in the learner's own process.  With ``timed``, an outcome's ``seconds`` are
        this process's processor time for the call and for passing its data as the sandbox passes it (the
        result and the arguments after it, encoded and decoded once), which other programs running on
        the machine barely change, and ``processor`` is set."""
        function = self.namespace[name]
        wires = Tripwires()
        wires.install()
        deadline = time.monotonic() + timeout
        outcomes: list[Outcome] = []
        try:
            for call in calls:
                outcome = self._one(function, call, wires, forbidden, deadline, timed)
                outcomes.append(outcome)
                if outcome.timed_out:
                    break
        finally:
            wires.uninstall()
        return outcomes

    def _one(self, function, call: Call, wires: Tripwires, forbidden, deadline: float, timed: bool = False) -> Outcome:
        with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
            folder = Path(tmp)
            for f in call.files:
                (folder / f.name).write_bytes(f.data)
            args = codec.roundtrip(resolve(call.args, folder))
            kwargs = codec.roundtrip(resolve(call.kwargs, folder))
            args, kwargs = codec.plain_values(args), codec.plain_values(kwargs)
            outcome = Outcome()
            started, processor = time.perf_counter(), time.process_time()
            wires.arm(forbidden)
            try:
                with _alarm(deadline):
                    outcome.value = codec.roundtrip(function(*args, **kwargs))
            except _Timeout:
                outcome.timed_out = True
            except (Exception, ForbiddenCall, SystemExit) as exc:
                outcome.raised = _raised(exc)
            finally:
                outcome.forbidden = tuple(wires.disarm())
            outcome.seconds = time.perf_counter() - started
            outcome.args_after = codec.roundtrip(tuple(args))
            if timed:
                outcome.seconds, outcome.processor = time.process_time() - processor, True
            for name in call.outputs:
                path = folder / name
                if path.is_file() and not path.is_symlink():
                    outcome.files[name] = path.read_bytes()
        return outcome


@contextlib.contextmanager
def _alarm(deadline: float):
    """Interrupt the learner's function at ``deadline`` (main thread, Unix only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    remaining = deadline - time.monotonic()
    if not usable:
        yield
        return
    if remaining <= 0:
        raise _Timeout()

    def _ring(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class demo:
    """Run a demonstration of your functions without stopping the notebook.

    Cells that *show* what your code does (print a result, draw a picture)
    wrap their lines in ``with demo():``.  Until your function is written, or
    when it raises or runs too long, the cell explains what happened in one
    line instead of stopping "Run All" at that cell.

    Parameters
    ----------
    timeout : float
        Seconds the block may run (default: course.yml's ``exercise_timeout``).

    Examples
    --------
    >>> with demo():                                  # doctest: +SKIP
    ...     print(conv1d([6, 2], [1, 2, 5, 4]))
    (conv1d is not written yet: this cell shows its result once it is.)
    """

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout
        self._alarm = None

    def __enter__(self) -> "demo":
        seconds = _grading()[1] if self.timeout is None else float(self.timeout)
        self._alarm = _alarm(time.monotonic() + seconds)
        self._seconds = seconds
        self._alarm.__enter__()
        return self

    def __exit__(self, etype, value, tb) -> bool:
        self._alarm.__exit__(None, None, None)
        if etype is None:
            return False
        if issubclass(etype, _Timeout):
            print(f"(this demonstration was stopped after {self._seconds:g} s: look for a loop that never ends)", file=sys.stderr)
            return True
        if issubclass(etype, NotImplementedError):
            name = _unwritten_function(tb)
            what = f"{name} is" if name else "a function it calls is"
            print(f"({what} not written yet: this cell shows its result once it is.)", file=sys.stderr)
            return True
        if issubclass(etype, Exception):
            raised = _raised(value)
            print(f"(this demonstration stopped: {raised.describe()})", file=sys.stderr)
            return True
        return False


def _unwritten_function(tb) -> str:
    """The learner function whose stub raised NotImplementedError (innermost learner frame)."""
    name = ""
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__") == "__main__" and frame.f_code.co_name != "<module>":
            name = frame.f_code.co_name
        tb = tb.tb_next
    return name


PRACTICE_NOTE = "The hidden checks here are practice ones; the instructor grades with other random inputs."


def check(exercise_id: str, *objects: Any, seed: int | None = None, timeout: float | None = None, hidden: bool | None = None) -> None:
    """Check an exercise in this notebook and explain any mistake.

    Runs the same checks as ``autograder check`` and ``pytest`` on the saved
    notebook: the lesson's worked examples, the bad inputs, and practice
    hidden cases drawn from course.yml's public seed (the instructor's graded
    hidden cases use a secret one).  The verdict is printed, never raised, so
    that "Run All" goes on past a failed check.

    Parameters
    ----------
    exercise_id : str
        The exercise's id, e.g. ``"conv1d"``.
    *objects
        The learner's function or values, in the order the exercise names
        them; by default they are taken from the calling notebook's namespace.
    seed : int, optional
        Seed of the practice hidden cases (default: course.yml's).
    timeout : float, optional
        Seconds for all the exercise's checks (default: course.yml's
        ``exercise_timeouts`` for this exercise, else its ``exercise_timeout``).
    hidden : bool, optional
        Accepted for notebooks written for earlier versions, where hidden
        cases were a second call; they are part of every check now, so
        ``check(id, hidden=True)`` does nothing.

    Examples
    --------
    >>> check("conv1d")                # doctest: +SKIP
    ✓ conv1d: all checks passed: 2 worked examples, 2 bad-input checks, 11 hidden randomized checks. The hidden ...
    """
    __tracebackhide__ = True  # pytest and IPython hide this frame
    exercise = get(exercise_id)
    if hidden:
        return None
    if objects:
        if len(objects) > len(exercise.names):
            raise TypeError(f"check({exercise_id!r}, ...) takes at most {len(exercise.names)} object(s): {', '.join(exercise.names)}")
        namespace = dict(zip(exercise.names, objects))
    else:
        namespace = sys._getframe(1).f_globals
    course_seed, course_timeout = _grading()
    seed = course_seed if seed is None else seed
    problem = _kit_problem(seed)
    if problem:  # a learner kit holds the practice checks of one seed
        print(f"✗ {exercise_id}: {problem}", file=sys.stderr)
        return None
    weights = _weights(exercise)
    caller = InProcessCaller(namespace)
    # The exercises this one uses are checked first, so that it can say "fix conv1d first",
    # as the other graders do.
    earlier = {}
    for used in exercise.uses:
        dependency = get(used)
        if all(name in namespace for name in dependency.names):
            own_timeout, own_settings = _own_limits(used)
            earlier[used] = evaluate(prepare(dependency, seed=seed, weights=weights), caller, timeout=timeout or own_timeout or course_timeout,
                                     earlier=earlier, settings=own_settings)
    own_timeout, own_settings = _own_limits(exercise.id)
    timeout = timeout or own_timeout or course_timeout
    exercise, numbers_note = _whose_numbers(exercise, namespace)
    prepared = prepare(exercise, seed=seed, weights=weights)
    result = evaluate(prepared, caller, timeout=timeout, earlier=earlier, settings=own_settings)
    result.feedback += numbers_note
    entry = Report("", exercise.assignment).add(result, _points(exercise))
    message = verdict.shortened(verdict.text(entry))  # the whole message: `autograder check --json`
    if entry.status == PASSED:
        print(f"{message} {PRACTICE_NOTE}" if any(c.hidden for c in prepared.checks) else message)
    else:
        print(message, file=sys.stderr)
    return None


def _declared_name(namespace) -> str | None:
    """The learner's id: ``NAME`` as the notebook's first cell sets it (in ``namespace``, else the kernel's)."""
    from ..notebook.student import NAME_VARIABLE, clean_id

    value = namespace.get(NAME_VARIABLE) if isinstance(namespace, dict) else None
    if value is None:
        shell = get_ipython()
        value = getattr(shell, "user_ns", {}).get(NAME_VARIABLE) if shell is not None else None
    return clean_id(value)


def _whose_numbers(exercise, namespace) -> tuple[Any, str]:
    """``exercise`` asking for this learner's own numbers (variants), and what the feedback must add about them."""
    from ..engine.numbers import draw_for, personalise
    from ..notebook.student import learner_id
    from ..pipeline import NO_ID_NOTE, not_on_roster_note

    course = _course()
    if exercise.numbers is None or course is None or not course.assignment(exercise.assignment).variants:
        return exercise, ""
    who = learner_id(_declared_name(namespace))
    if who is None:
        return exercise, NO_ID_NOTE
    mine = personalise(exercise, draw_for(exercise, who, course.variant_seed))
    return (exercise, not_on_roster_note(who)) if mine is None else (mine, "")


def my_numbers(exercise_id: str) -> None:
    """Print your own numbers for an exercise worked out on paper.

    Each student works through numbers of their own, drawn from their id: the
    one written in the notebook's first cell (``NAME = "..."``), else the
    JupyterHub user.  Without an id, these are the lesson's numbers.

    Examples
    --------
    >>> my_numbers("by_hand_full")                    # doctest: +SKIP
    Your numbers (student s1): x = [6, 2, 4], h = [1, 2, 2]
    """
    from ..engine.numbers import draw_for
    from ..notebook.student import learner_id

    exercise = get(exercise_id)
    spec = exercise.numbers
    if spec is None:
        print(f"{exercise_id} has the same numbers for everyone: those in the text above.")
        return
    course = _course()
    if course is None or not course.assignment(exercise.assignment).variants:
        print(f"Your numbers (the lesson's, everyone's in this course): {spec.describe(spec.lesson)}")
        return
    who = learner_id(_declared_name(sys._getframe(1).f_globals))
    if who is None:
        print("No student id yet: write yours in the first cell (NAME = \"...\"), as your instructor registered you, run it, "
              f"then run this cell again. Until then, the lesson's numbers: {spec.describe(spec.lesson)}")
        return
    print(f"Your numbers (student {who}): {spec.describe(draw_for(exercise, who, course.variant_seed))}")


def _kit_problem(seed: int) -> str | None:
    """Why a learner kit cannot check with ``seed`` (None in the instructor's install, or when it can)."""
    from ..exercises import compiled

    return compiled.seed_problem(seed) if compiled.available() else None


def _points(exercise) -> float:
    """The exercise's points in course.yml (1 when no course.yml can be found)."""
    from ..course import CourseError, load_course

    try:
        return float(load_course(validate=False).assignment(exercise.assignment).points[exercise.id])
    except (CourseError, KeyError):
        return 1.0


try:
    from IPython import get_ipython  # noqa: E402
except ImportError:  # pragma: no cover - IPython is a dependency
    def get_ipython():
        return None

