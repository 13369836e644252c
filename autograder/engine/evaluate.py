"""Run one exercise's declaration against learner code and explain the verdict.

The pipeline for one exercise: look the names up -> static forbidden-call
check -> call the function on every prepared case -> compare -> diagnose the
first failure (misconceptions) -> one :class:`ExerciseResult`.  This module is
trusted code; it sees learner results only as decoded plain data.
"""
from __future__ import annotations

import contextlib
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from . import render
from .codec import roundtrip
from .compare import Mismatch, compare
from .forbidden import parse_cells, static_findings
from .outcome import Call, Caller, NameInfo, Outcome, WorkPath
from .spec import UNSET, Case, ErrorCase, Exercise, InputFile

PASSED, FAILED, ERROR, TIMEOUT, MISSING, FORBIDDEN, NOT_IMPLEMENTED = (
    "passed", "failed", "error", "timeout", "missing", "forbidden", "not-implemented",
)
STATUSES = (PASSED, FAILED, ERROR, TIMEOUT, MISSING, FORBIDDEN, NOT_IMPLEMENTED)

_GENERIC_HINTS = {
    "returns-none": "Your function computes something but never hands it back: end it with `return` and the result.",
    "wrong-shape": "Work out the size of the result from the sizes of the inputs before computing any value (for a sliding window: how many positions it can take); then make your result exactly that shape.",
    "modifies-input": "Your function changed an array or list it was given. The caller still needs it: work on a copy (for example `x = np.array(x, dtype=float)` or `items = list(items)`) instead of changing the argument.",
    "uint8-wraparound": "The input is uint8, whose values wrap around past 255 (250 + 10 gives 4). Convert to a wider type (np.int64 or float) before multiplying and adding.",
    "timeout": "Look for a loop whose end condition is never reached, or work that grows much faster than the input.",
    "forbidden-call": "This exercise is about doing the computation yourself: replace the library call by your own loops or slicing (for a gradient, write out its formula).",
    "not-implemented": "Replace `raise NotImplementedError()` with your code, then run the cell.",
}


@dataclass
class ExerciseResult:
    """The verdict on one exercise, ready for every report format."""

    id: str
    status: str
    feedback: str
    misconception: str | None = None
    checks_passed: int = 0
    checks_total: int = 0

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class Check:
    """A case ready to run: its kind (visible, error or hidden) and right answer."""

    case: Case | ErrorCase
    kind: str
    expected: Any = None

    @property
    def hidden(self) -> bool:
        return self.kind == "hidden"


@dataclass
class Prepared:
    """An exercise's checks for one seed, with the right answers computed once.

    Batch grading prepares each exercise once and evaluates every submission
    against it; wrong-implementation outputs are cached here as they are needed.
    """

    exercise: Exercise
    checks: list[Check]
    seed: int
    _wrong: dict[tuple[int, str], Any] = field(default_factory=dict)

    def wrong_output(self, index: int, misconception) -> Any:
        key = (index, misconception.id)
        if key not in self._wrong:
            case = self.checks[index].case
            try:
                with materialize(case.files, case.args, case.kwargs) as folder:
                    self._wrong[key] = misconception.wrong(*resolve(case.args, folder), **resolve(case.kwargs, folder))
            except Exception:  # the wrong implementation does not apply to this input
                self._wrong[key] = UNSET
        return self._wrong[key]


def case_rng(seed: int, exercise_id: str) -> np.random.Generator:
    """The generator of an exercise's hidden cases: one stream per (seed, exercise)."""
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(exercise_id.encode())])


def prepare(ex: Exercise, *, seed: int, visible: bool = True, hidden: bool = True) -> Prepared:
    """Collect the checks of ``ex`` and compute their right answers."""
    checks: list[Check] = []
    if visible:
        checks += [Check(c, "visible") for c in ex.visible]
        checks += [Check(c, "error") for c in ex.errors]
    if hidden and ex.hidden_cases is not None:
        for case in ex.hidden_cases(case_rng(seed, ex.id)):
            case.hidden = True
            checks.append(Check(case, "hidden"))
    for check in checks:
        if isinstance(check.case, Case) and check.case.judge is None and ex.kind == "function":
            with materialize(check.case.files, check.case.args, check.case.kwargs) as folder:
                if check.case.expected is not UNSET:
                    check.expected = check.case.expected
                else:
                    check.expected = ex.reference(*resolve(check.case.args, folder), **resolve(check.case.kwargs, folder))
                if ex.observe is not None and check.case.expected is UNSET:
                    check.expected = roundtrip(check.expected)
    return Prepared(ex, checks, seed)


@contextlib.contextmanager
def materialize(files: Sequence[InputFile], *arguments: Any) -> Iterator[Path | None]:
    """A temporary folder holding ``files``, removed afterwards.

    None when there are no files and no :class:`WorkPath` among ``arguments``
    (most cases), so that preparing a check costs no folder.
    """
    if not files and not _mentions_workpath(arguments):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="autograder-ref-") as tmp:
        for f in files:
            (Path(tmp) / f.name).write_bytes(f.data)
        yield Path(tmp)


def _mentions_workpath(obj: Any) -> bool:
    if isinstance(obj, WorkPath):
        return True
    if type(obj) in (tuple, list):
        return any(_mentions_workpath(v) for v in obj)
    if type(obj) is dict:
        return any(_mentions_workpath(v) for v in obj.values())
    return False


def resolve(obj: Any, folder: Path | None) -> Any:
    """Replace :class:`WorkPath` placeholders by paths inside ``folder`` (see :func:`materialize`)."""
    if isinstance(obj, WorkPath):
        if folder is None:
            raise ValueError(f"{obj} needs a folder: resolve it inside materialize(files, args, kwargs)")
        return str(folder / obj.name)
    if type(obj) is tuple:
        return tuple(resolve(v, folder) for v in obj)
    if type(obj) is dict:
        return {k: resolve(v, folder) for k, v in obj.items()}
    return obj


def arg_names(ex: Exercise) -> tuple[str, ...]:
    match = re.search(r"\((.*)\)", ex.signature)
    if not match:
        return ()
    return tuple(part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip())


def _missing(ex: Exercise, name: str, info: NameInfo) -> ExerciseResult:
    if info.state == NOT_IMPLEMENTED:
        what = "function" if ex.kind == "function" and name == ex.function_name else "value"
        return ExerciseResult(ex.id, NOT_IMPLEMENTED, f"{name} is not written yet (the {what} still raises NotImplementedError). {_GENERIC_HINTS['not-implemented']}", "not-implemented")
    if info.state == ERROR:
        return ExerciseResult(ex.id, ERROR, f"{name} could not be defined: {info.detail}")
    if info.state == TIMEOUT:
        return ExerciseResult(ex.id, TIMEOUT, f"{name} could not be defined: {info.detail}", "timeout")
    return ExerciseResult(
        ex.id, MISSING,
        f"{name} is not defined in the notebook. Check that its cell is a code cell, that it runs without error, and that the name is spelled `{name}`.",
    )


def evaluate(prepared: Prepared, caller: Caller, *, timeout: float) -> ExerciseResult:
    """Grade one exercise through ``caller`` (see :mod:`autograder.engine.outcome`)."""
    ex = prepared.exercise
    infos = caller.lookup(ex.names, owner=ex.id)
    for name in ex.names:
        info = infos[name]
        if info.state != "defined":
            return _missing(ex, name, info)
    if ex.kind == "value":
        return _evaluate_values(prepared, infos)
    function = infos[ex.function_name]
    if not function.is_callable:
        return ExerciseResult(ex.id, FAILED, f"{ex.function_name} should be a function (def {ex.signature or ex.function_name + '(...)'}:); it is {render.value(function.value, 80)}.")
    findings = static_findings(parse_cells(caller.sources()), ex.function_name, ex.forbidden)
    if findings:
        return _forbidden(ex, [f.describe() for f in findings])
    extra = {n: infos[n].value for n in ex.names[1:]}
    calls = [
        Call(c.case.args, c.case.kwargs, c.case.files, tuple(f.name for f in ex.output_files))
        for c in prepared.checks
    ]
    outcomes = caller.call(ex.function_name, calls, timeout=timeout, forbidden=ex.forbidden) if calls else []
    return _judge_all(prepared, outcomes, extra)


def _forbidden(ex: Exercise, uses: list[str]) -> ExerciseResult:
    listing = "; ".join(uses)
    return ExerciseResult(
        ex.id, FORBIDDEN,
        f"[forbidden-call] {ex.function_name} uses {listing}. {_GENERIC_HINTS['forbidden-call']}",
        "forbidden-call",
    )


@dataclass
class _Failure:
    index: int
    status: str
    message: str
    mismatch: Mismatch | None = None
    got: Any = None


def _label(check: Check) -> str:
    label = check.case.label
    if check.hidden:
        return f" (hidden check: {label})" if label else " (hidden check)"
    return f" ({label})" if label else ""


def _judge_all(prepared: Prepared, outcomes: list[Outcome], extra: dict[str, Any]) -> ExerciseResult:
    ex = prepared.exercise
    names = arg_names(ex)
    total = len(prepared.checks)
    # Two phases, as the notebook runs them: the worked examples and bad inputs
    # (check(id)), then the hidden cases (check(id, hidden=True)). A mistake is
    # explained from the first phase that shows it, so every grader says the same.
    phases = [
        [i for i, c in enumerate(prepared.checks) if not c.hidden],
        [i for i, c in enumerate(prepared.checks) if c.hidden],
    ]
    judged = 0
    for phase in phases:
        failures: list[_Failure] = []
        for index in phase:
            check = prepared.checks[index]
            call_text = render.call(ex.function_name, check.case.args, check.case.kwargs, hidden=check.hidden, arg_names=names) + _label(check)
            if index >= len(outcomes):
                # Every check needs an answer: a child that stops early (or forges "done") earns nothing.
                return ExerciseResult(ex.id, ERROR, f"{call_text} got no answer from the process running your code: it stopped before all checks were run.", None, judged, total)
            outcome = outcomes[index]
            if outcome.timed_out:
                return ExerciseResult(ex.id, TIMEOUT, f"[timeout] {call_text} did not finish in time. {_GENERIC_HINTS['timeout']}", "timeout", judged, total)
            if outcome.crashed:
                return ExerciseResult(ex.id, ERROR, f"{call_text} stopped the process that ran it: {outcome.crashed}", None, judged, total)
            if outcome.forbidden:
                return _forbidden(ex, [f"{name} (called at run time)" for name in outcome.forbidden])
            if outcome.raised is not None and outcome.raised.is_a(["NotImplementedError"]):
                return _missing(ex, ex.function_name, NameInfo(NOT_IMPLEMENTED))
            failure = _judge(prepared, index, check, outcome, call_text, extra)
            judged += 1
            if failure:
                failures.append(failure)
        if failures:
            return _diagnose(prepared, failures, outcomes, total, passed=judged - len(failures))
        if ex.check_modifies_input:
            for index in phase:
                check = prepared.checks[index]
                changed = _modified(check.case, outcomes[index], names)
                if changed:
                    call_text = render.call(ex.function_name, check.case.args, check.case.kwargs, hidden=check.hidden, arg_names=names) + _label(check)
                    return ExerciseResult(ex.id, FAILED, f"{call_text}: {changed}\n[modifies-input] {_GENERIC_HINTS['modifies-input']}", "modifies-input", judged - 1, total)
    return ExerciseResult(ex.id, PASSED, _passed_summary(prepared), None, total, total)


def _passed_summary(prepared: Prepared) -> str:
    kinds = {"visible": 0, "error": 0, "hidden": 0}
    for check in prepared.checks:
        kinds[check.kind] += 1
    parts = []
    if kinds["visible"]:
        parts.append(f"{kinds['visible']} worked example{'s' * (kinds['visible'] != 1)}")
    if kinds["error"]:
        parts.append(f"{kinds['error']} bad-input check{'s' * (kinds['error'] != 1)}")
    if kinds["hidden"]:
        parts.append(f"{kinds['hidden']} hidden randomized check{'s' * (kinds['hidden'] != 1)}")
    return "all checks passed: " + ", ".join(parts) + "." if parts else "all checks passed."


def _judge(prepared: Prepared, index: int, check: Check, outcome: Outcome, call_text: str, extra: dict[str, Any]) -> _Failure | None:
    ex = prepared.exercise
    case = check.case
    if isinstance(case, ErrorCase):
        wanted = " or ".join(case.raises)
        if outcome.raised is None:
            return _Failure(
                index, FAILED,
                f"{call_text} should raise {wanted}, but it returned {render.value(outcome.value, 120)}. Check the input first and raise {case.raises[0]} with a message that says what is wrong.",
                Mismatch("no-raise", "returned a value instead of raising"), outcome.value,
            )
        if not outcome.raised.is_a(case.raises):
            return _Failure(index, FAILED, f"{call_text} should raise {wanted}, but it raised {outcome.raised.describe()}.")
        return None
    if outcome.raised is not None:
        return _Failure(index, ERROR, f"{call_text} raised {outcome.raised.describe()}.")
    got = ex.observe(case, outcome) if ex.observe is not None else outcome.value
    if case.judge is not None:
        problem = case.judge(got, **extra) if extra else case.judge(got)
        return _Failure(index, FAILED, f"{call_text}: {problem}", None, got) if problem else None
    reveal = "full" if check.kind == "visible" else "partial"
    mismatch = compare(check.expected, got, returns=ex.returns, tol=ex.tolerance, reveal=reveal)
    if mismatch is None:
        return None
    return _Failure(index, FAILED, f"{call_text}: {mismatch.detail}", mismatch, got)


def _explains(prepared: Prepared, misconception, failure: _Failure) -> bool:
    check = prepared.checks[failure.index]
    if failure.mismatch is None or failure.mismatch.kind == "none":
        return False
    if misconception.detect is not None:
        try:
            if misconception.detect(check.case, failure.got):
                return True
        except Exception:
            pass
    if misconception.wrong is None:
        return False
    wrong = prepared.wrong_output(failure.index, misconception)
    if wrong is UNSET:
        return False
    ex = prepared.exercise
    try:
        if failure.mismatch.kind == "no-raise":  # the reference raises here; the wrong one returned this
            return compare(wrong, failure.got, returns="any", tol=ex.tolerance) is None
        if compare(check.expected, wrong, returns="any", tol=ex.tolerance) is None:
            return False  # the wrong implementation is right on this input: no evidence
        return compare(wrong, failure.got, returns="any", tol=ex.tolerance) is None
    except TypeError:
        return False


def _uint8_explains(prepared: Prepared, failure: _Failure) -> bool:
    check = prepared.checks[failure.index]
    inputs = list(check.case.args) + list(check.case.kwargs.values())
    if not any(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in inputs):
        return False
    expected = check.expected
    if not isinstance(expected, np.ndarray) or expected.dtype.kind not in "iu" or failure.mismatch is None or failure.mismatch.kind != "value":
        return False
    wrapped = np.mod(expected.astype(np.int64), 256)
    if np.array_equal(wrapped, expected):
        return False
    return compare(wrapped, failure.got, returns="any") is None


def _diagnose(prepared: Prepared, failures: list[_Failure], outcomes: list[Outcome], total: int, *, passed: int) -> ExerciseResult:
    ex = prepared.exercise
    first = failures[0]
    if first.status == ERROR or first.mismatch is None:
        return ExerciseResult(ex.id, first.status, first.message, None, passed, total)
    if first.mismatch.kind == "none":
        return ExerciseResult(ex.id, FAILED, f"{first.message}\n[returns-none] {_GENERIC_HINTS['returns-none']}", "returns-none", passed, total)
    value_failures = [f for f in failures if f.mismatch is not None]
    best, best_score = None, 0
    for misconception in ex.misconceptions:
        if not _explains(prepared, misconception, first):
            continue
        score = sum(_explains(prepared, misconception, f) for f in value_failures)
        if score > best_score:
            best, best_score = misconception, score
    if best is not None:
        return ExerciseResult(ex.id, FAILED, f"{first.message}\nThis looks like [{best.id}]: {best.hint}", best.id, passed, total)
    wrap = next((f for f in value_failures if _uint8_explains(prepared, f)), None)
    if wrap is not None and "uint8-wraparound" not in {m.id for m in ex.misconceptions}:
        return ExerciseResult(ex.id, FAILED, f"{wrap.message}\nThis looks like [uint8-wraparound]: {_GENERIC_HINTS['uint8-wraparound']}", "uint8-wraparound", passed, total)
    if first.mismatch.kind == "shape":
        return ExerciseResult(ex.id, FAILED, f"{first.message}\n[wrong-shape] {_GENERIC_HINTS['wrong-shape']}", "wrong-shape", passed, total)
    return ExerciseResult(ex.id, FAILED, first.message, None, passed, total)


def _modified(case: Case | ErrorCase, outcome: Outcome, names: tuple[str, ...]) -> str:
    """Which argument the call changed in place, and where (empty when none)."""
    if outcome.args_after is None:
        return ""
    for i, (before, after) in enumerate(zip(case.args, outcome.args_after)):
        if isinstance(before, (np.ndarray, list)):
            label = names[i] if i < len(names) else f"argument {i + 1}"
            if isinstance(before, list):
                numeric = _numeric_array(before)
                if numeric is None:
                    # Ragged or non-numeric (a list of layer tuples): decoded data compares plainly.
                    if _plain(before) != _plain(after):
                        return f"the call changed {label} in place"
                    continue
                before = numeric
            mismatch = compare(before, after, returns="any", tol=_EXACT, reveal="partial", what=label)
            if mismatch is not None:
                where = mismatch.detail.splitlines()[-1].strip().replace("expected", "was").replace("got", "is now")
                return f"the call changed {label} in place ({where})"
    return ""


def _numeric_array(value: list) -> np.ndarray | None:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def _plain(value: Any) -> Any:
    """Tuples and lists alike, arrays as lists: what the codec may turn one into."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Exact:
    rtol = 0.0
    atol = 0.0

    @staticmethod
    def describe() -> str:
        return "exactly"


_EXACT: Any = _Exact()


def _evaluate_values(prepared: Prepared, infos: dict[str, NameInfo]) -> ExerciseResult:
    ex = prepared.exercise
    got = {name: infos[name].value for name in ex.names}
    checks = [c for c in prepared.checks if isinstance(c.case, Case)]
    total = len(checks) + len(ex.names)
    for n, check in enumerate(checks):
        try:
            problem = check.case.judge(got) if check.case.judge is not None else None
        except Exception as exc:  # a judge meeting an answer it did not foresee: the answer is wrong, not the grader
            problem = f"{', '.join(ex.names)}: this answer could not be checked ({type(exc).__name__}: {exc})"
        if problem:
            return ExerciseResult(ex.id, FAILED, f"{problem}{_label(check)}", None, n, total)
    for n, name in enumerate(ex.names):
        mismatch = compare(ex.values[name], got[name], returns="any", tol=ex.tolerance, reveal="none", what=name)
        if mismatch is None:
            continue
        for misconception in ex.misconceptions:
            if _value_misconception(misconception, name, got, ex):
                return ExerciseResult(ex.id, FAILED, f"{mismatch.detail}\nThis looks like [{misconception.id}]: {misconception.hint}", misconception.id, len(checks) + n, total)
        return ExerciseResult(ex.id, FAILED, mismatch.detail, None, len(checks) + n, total)
    return ExerciseResult(ex.id, PASSED, f"all {len(ex.names)} value{'s' * (len(ex.names) != 1)} right.", None, total, total)


def _value_misconception(misconception, name: str, got: dict[str, Any], ex: Exercise) -> bool:
    """Does a value misconception explain the wrong value under ``name``?

    ``wrong()`` returns the wrong values as a dict; ``detect(None, got)``
    receives every value the learner gave, by name.
    """
    try:
        if misconception.detect is not None and misconception.detect(None, got):
            return True
        wrong = misconception.wrong() if misconception.wrong is not None else {}
    except Exception:  # a detector that cannot read this value does not apply
        return False
    return name in wrong and compare(wrong[name], got[name], returns="any", tol=ex.tolerance) is None
