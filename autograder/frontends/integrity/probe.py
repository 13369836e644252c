"""What each submission's functions answer on inputs nobody saw: the probes.

Graded hidden checks are drawn per student (:func:`~autograder.engine.seeds.student_seed`)
and the grade reports keep statuses and messages, not outputs, so two
students' graded answers cannot be set side by side.  The integrity report
runs every submission once more on one common set of *probe* inputs: the
exercise's hidden cases drawn from a seed derived from the batch's secret seed
and the word "integrity" (:func:`probe_seed`), which no learner's self-check,
feedback or graded run ever used.  They run through the grader's own pipeline
(:func:`autograder.pipeline.grade_program`: the same sandbox, limits and
sealed processes), with a :class:`~autograder.sandbox.session.Session` that
also keeps what each call returned.

For each exercise a submission gets a :class:`Behaviour`: which probes it
answered right, and a digest of every wrong answer (values rounded to 6
decimals, shape kept, dtype ignored, so that the same wrong numbers from two
dtypes or two summation orders are the same).  Right answers are never
evidence of anything; identical wrong ones may be.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...engine.codec import Opaque
from ...engine.compare import compare
from ...engine.prepare import Prepared, prepare
from ...engine.result import FORBIDDEN, MISSING, NOT_IMPLEMENTED
from ...pipeline import grade_program
from ...sandbox.session import Limits, Session

#: statuses that say nothing about what a learner wrote (no code, or the untouched stub)
SILENT = (MISSING, NOT_IMPLEMENTED)


def probe_seed(seed: int) -> int:
    """The seed of the probe inputs of a batch: derived from its secret seed, used by nothing else."""
    digest = hashlib.sha256(f"autograder-integrity-probes\0{int(seed)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def prepare_probes(exercises, seed: int) -> dict[str, Prepared]:
    """The probe checks of every exercise (hidden cases of :func:`probe_seed`; no worked example, no bad input)."""
    return {ex.id: prepare(ex, seed=probe_seed(seed), visible=False, hidden=True, graded=True) for ex in exercises}


@dataclass
class Behaviour:
    """What one submission answered for one exercise's probes."""

    status: str
    wrong: tuple[tuple[int, str], ...] = ()  # (probe index, digest of the wrong answer), in probe order
    right: int = 0
    total: int = 0
    misconception: str | None = None  # what the grader's diagnosis named on the probes
    values: dict[str, Any] = field(default_factory=dict)  # a value exercise's values (for the variant evidence)
    kinds: frozenset[str] = frozenset()  # "value" (a wrong value), "raised", "timeout", "crash", "forbidden"

    @property
    def signature(self) -> tuple | None:
        """What two submissions must share to have answered the same wrong things (None: nothing wrong)."""
        return self.wrong or None

    def to_dict(self) -> dict:
        return {"status": self.status, "right": self.right, "total": self.total, "misconception": self.misconception,
                "wrong": [list(w) for w in self.wrong]}


# --------------------------------------------------------------------------- digests


def digest(value: Any) -> str:
    """A short digest of a learner's answer, equal for equal numbers (see the module docstring)."""
    h = hashlib.blake2b(digest_size=10)
    _feed(h, value, 0)
    return h.hexdigest()


def _numeric(value: Any) -> np.ndarray | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (list, tuple)) and value and len(value) < 1_000_000:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError, OverflowError):
            return None
        if array.dtype.kind in "iuf":
            return array.astype(np.float64)
    return None


def _feed(h, value: Any, depth: int) -> None:
    if depth > 20:
        h.update(b"deep")
        return
    array = _numeric(value)
    if array is not None:
        with np.errstate(all="ignore"):
            rounded = np.array(np.round(array, 6) + 0.0, dtype=np.float64)  # -0.0 and 0.0 alike
        np.copyto(rounded, np.nan, where=np.isnan(rounded))  # one NaN
        h.update(b"n" + repr(rounded.shape).encode() + rounded.tobytes())
        return
    if value is None or isinstance(value, (bool, np.bool_, str)):
        h.update(b"s" + repr(value if not isinstance(value, np.bool_) else bool(value)).encode("utf-8", "surrogatepass")[:10000])
    elif isinstance(value, bytes):
        h.update(b"b" + hashlib.sha256(value).digest())
    elif isinstance(value, np.ndarray):
        h.update(b"a" + str(value.dtype).encode() + repr(value.shape).encode())
        if value.dtype.kind == "b":
            h.update(value.tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(b"l%d" % len(value))
        for item in value[:10000]:
            _feed(h, item, depth + 1)
    elif isinstance(value, dict):
        h.update(b"d%d" % len(value))
        for key in sorted(value, key=repr)[:10000]:
            h.update(repr(key).encode("utf-8", "surrogatepass")[:200])
            _feed(h, value[key], depth + 1)
    elif isinstance(value, Opaque):
        h.update(b"o" + str(value.text).encode("utf-8", "surrogatepass")[:1000])
    else:
        h.update(b"t" + type(value).__name__.encode())


# --------------------------------------------------------------------------- one submission


class _Recording(Session):
    """A sandbox session that keeps what every call and lookup returned (the grader's Session otherwise)."""

    __hash__ = object.__hash__
    __eq__ = object.__eq__
    _calls: dict
    _names: dict

    def call(self, name, calls, *, timeout, forbidden):
        outcomes = super().call(name, calls, timeout=timeout, forbidden=forbidden)
        self._calls[name] = outcomes
        return outcomes

    def lookup(self, names, owner=None):
        infos = super().lookup(names, owner)
        self._names.update(infos)
        return infos


def _right(prep: Prepared, index: int, got: Any) -> bool:
    ex = prep.exercise
    check = prep.checks[index]
    try:
        if check.case.judge is not None:
            return not check.case.judge(got)
        return compare(check.expected, got, returns=ex.returns, tol=ex.tolerance, reveal="sealed") is None
    except Exception:  # a judge meeting an answer it did not foresee: not right
        return False


def _value_right(ex, name: str, value: Any) -> bool:
    try:
        return compare(ex.values[name], value, returns="any", tol=ex.tolerance, reveal="none") is None
    except Exception:
        return False


def behaviour_of(prep: Prepared, result, outcomes, names: dict) -> Behaviour:
    """The :class:`Behaviour` of one exercise from the grader's result and the recorded outcomes."""
    ex = prep.exercise
    behaviour = Behaviour(result.status, misconception=result.misconception if result.status != "passed" else None)
    if result.status in SILENT:
        return behaviour
    if ex.kind == "value":
        values = {n: names[n].value for n in ex.names if n in names and names[n].state == "defined"}
        behaviour.values = values
        behaviour.total = 1
        # the values themselves, right or wrong (how they were written, on paper or not, is the grader's business)
        if len(values) == len(ex.names) and all(_value_right(ex, n, v) for n, v in values.items()):
            behaviour.right = 1
        elif values:
            behaviour.wrong = ((0, digest(values)),)
            behaviour.kinds = frozenset({"value"})
        return behaviour
    if result.status == FORBIDDEN and not outcomes:
        behaviour.wrong = ((-1, "forbidden"),)
        behaviour.kinds = frozenset({"forbidden"})
        return behaviour
    wrong, kinds = [], set()
    behaviour.total = len(prep.checks)
    for index, outcome in list(enumerate(outcomes or []))[: len(prep.checks)]:
        if outcome.forbidden:
            wrong.append((index, "forbidden"))
            kinds.add("forbidden")
        elif outcome.timed_out:
            wrong.append((index, "timeout"))
            kinds.add("timeout")
        elif outcome.crashed:
            wrong.append((index, "crash"))
            kinds.add("crash")
        elif outcome.raised is not None:
            if outcome.raised.is_a(["NotImplementedError"]):
                continue
            wrong.append((index, "raised " + outcome.raised.type_name))
            kinds.add("raised")
        else:
            got = ex.observe(prep.checks[index].case, outcome) if ex.observe is not None else outcome.value
            if _right(prep, index, got):
                behaviour.right += 1
            else:
                wrong.append((index, digest(got)))
                kinds.add("value")
    behaviour.wrong = tuple(wrong)
    behaviour.kinds = frozenset(kinds)
    return behaviour


def probe_program(program, prepared: dict[str, Prepared], *, limits: Limits, files: dict[str, bytes]) -> dict[str, Behaviour]:
    """Run one submission on the probes, in the sandbox; its :class:`Behaviour` per exercise."""
    calls: dict = {}
    names: dict = {}

    def factory(program, limits, files, seal=()):
        session = _Recording(program, limits, files, seal)
        session._calls, session._names = calls, names
        return session

    results = grade_program(program, prepared, limits=limits, files=files, session_factory=factory)
    out = {}
    for exercise_id, prep in prepared.items():
        ex = prep.exercise
        outcomes = calls.get(ex.function_name) if ex.kind == "function" else None
        out[exercise_id] = behaviour_of(prep, results[exercise_id], outcomes, names)
    return out


def probe_class(works, prepared: dict[str, Prepared], *, limits: Limits, files: dict[str, bytes], workers: int | None = None,
                progress=None) -> tuple[dict[str, dict[str, Behaviour]], dict[str, str]]:
    """:func:`probe_program` for every readable submission, ``workers`` at a time.

    Returns ({student: {exercise: Behaviour}}, {student: why the probes failed}).
    """
    todo = [w for w in works if w.program is not None]
    workers = max(1, min(len(todo) or 1, workers or os.cpu_count() or 1))
    found: dict[str, dict[str, Behaviour]] = {}
    failed: dict[str, str] = {}

    def one(work):
        try:
            return work.student, probe_program(work.program, prepared, limits=limits, files=files), ""
        except Exception as exc:  # a grader failure on one submission: it has no probe evidence, the others do
            return work.student, {}, f"{type(exc).__name__}: {exc}"[:300]

    with ThreadPoolExecutor(workers, thread_name_prefix="autograder-integrity") as pool:
        for n, (student, behaviours, why) in enumerate(pool.map(one, todo), 1):
            if why:
                failed[student] = why
            else:
                found[student] = behaviours
            if progress is not None:
                progress(n, len(todo))
    return found, failed
