"""Grade one submission: the unit of work of both the local pool and Dask.

:func:`grade_task` takes a plain dict (a *task*) and returns a plain dict (the
JSON report plus ``"student"``), so the same function runs in a thread of
this process or on a Dask worker.  The learner's code runs in the sandbox
(:mod:`autograder.sandbox`); this function is the trusted side.

The right answers of the hidden checks are prepared once per (assignment,
seed) in each process and reused for every submission graded there.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ...pipeline import Whose, grade_program, prepare_assignment, unreadable
from ...engine.prepare import Prepared
from ...engine.result import ERROR
from ...engine.seeds import student_seed
from ...engine.spec import CreditWeights
from ...exercises import for_assignment
from ...notebook.files import UnsafeFile, read_regular
from ...notebook.load import NotebookError, load_program
from ...report import Report
from ...sandbox.session import Limits, Session

_PREPARED: "OrderedDict[tuple, dict[str, Prepared]]" = OrderedDict()  # (assignment, seed, weights as JSON, graded)
_PREPARED_LOCK = threading.Lock()
#: prepared seeds kept per process: a batch's submissions each have their own seed,
#: so only the few being graded at once are worth keeping.
_PREPARED_KEPT = 16


class Cancelled(Exception):
    """The batch was interrupted while this submission was being graded."""


def prepared_for(assignment: str, seed: int, weights: dict | None = None, *, student: str | None = None) -> dict[str, Prepared]:
    """Right answers of ``assignment``'s checks for ``seed``, computed once per process.

    ``weights`` is course.yml's ``grading.weights`` as written (plain data, so
    that a task can carry it to a Dask worker).  With ``student``, these are
    the *graded* checks of that student: hidden cases drawn from the batch's
    ``seed`` and the student's id (:func:`~autograder.engine.seeds.student_seed`),
    whose values graded feedback never shows.
    """
    graded = student is not None
    if graded:
        seed = student_seed(seed, student)
    key = (assignment, seed, json.dumps(weights, sort_keys=True, default=str), graded)
    with _PREPARED_LOCK:
        if key in _PREPARED:
            _PREPARED.move_to_end(key)
            return _PREPARED[key]
    exercises = for_assignment(assignment)
    known = {ex.id: ex for ex in exercises}
    plain = weights
    if isinstance(plain, dict) and isinstance(plain.get("exercises"), dict):
        plain = {**plain, "exercises": {k: v for k, v in plain["exercises"].items() if k in known}}
    prepared = prepare_assignment(exercises, seed, CreditWeights.parse(plain, "grading.weights", known=known), graded=graded)
    with _PREPARED_LOCK:
        prepared = _PREPARED.setdefault(key, prepared)
        while len(_PREPARED) > _PREPARED_KEPT:
            _PREPARED.popitem(last=False)
        return prepared


def make_task(submission, *, assignment: str, seed: int, points: dict[str, float], limits: Limits, files: dict[str, bytes], ship_notebook: bool = False, weights: dict | None = None,
              provided: frozenset[str] = frozenset(), variants: dict | None = None) -> dict:
    """The plain-data description of one submission's grading.

    ``ship_notebook`` puts the notebook's bytes in the task (for workers that
    may not see this machine's files); otherwise the worker reads the path.
    Either way the notebook is read without following a link below the
    submissions folder (``submission.base``): a link swapped in since
    discovery is refused, never read.
    """
    task: dict[str, Any] = {
        "student": submission.student,
        "label": submission.label,
        "problem": submission.problem,
        "path": str(submission.path) if submission.path else None,
        "base": str(submission.base) if getattr(submission, "base", None) else None,
        "content": None,
        "assignment": assignment,
        "seed": seed,
        "weights": weights,
        "points": dict(points),
        "limits": {k: getattr(limits, k) for k in Limits.__dataclass_fields__},
        "files": dict(files),
        "provided": sorted(provided),  # the course's own cells, as released: their failures are not the learner's
        # each student's own numbers in the on-paper exercises: {"seed": course.yml's variant seed, "on": bool}
        "variants": dict(variants) if variants else None,
    }
    if ship_notebook and submission.path is not None and not submission.problem:
        try:
            task["content"] = read_regular(submission.path, under=task["base"])
        except UnsafeFile as exc:
            task["problem"] = str(exc)
        except OSError as exc:
            task["problem"] = f"the notebook could not be read ({exc.strerror or exc})"
    return task


def grade_task(task: dict, *, batch: "Batch | None" = None) -> dict:
    """Grade the submission described by ``task``; return its JSON report.

    Never raises for a problem of the submission: a notebook that cannot be
    read, or a grader failure, becomes a report whose exercises say so (the
    latter marked ``"grader_error"`` so that a rerun tries again).
    """
    assignment = task["assignment"]
    exercises = for_assignment(assignment)
    grader_error = ""
    try:
        if task.get("problem"):
            results = unreadable(exercises, task["problem"])
            for result in results.values():
                result.feedback = task["problem"] + "."
        else:
            results = _run(task, exercises, batch)
    except Cancelled:
        raise
    except Exception as exc:  # a grader failure: this submission only
        if batch is not None and batch.cancelled:
            raise Cancelled() from exc
        grader_error = f"{type(exc).__name__}: {exc}"[:500]
        results = {ex.id: _grader_failed(ex.id, grader_error) for ex in exercises}
    if batch is not None and batch.cancelled:
        raise Cancelled()  # its verdicts may come from killed children: keep nothing
    report = Report(task["label"], assignment)
    for ex in exercises:
        report.add(results[ex.id], float(task["points"][ex.id]))
    data = {"student": task["student"], **report.to_dict()}
    if grader_error:
        data["grader_error"] = grader_error
    return data


def _grader_failed(exercise_id: str, reason: str):
    from ...engine.result import ExerciseResult

    return ExerciseResult(exercise_id, ERROR, f"the grader could not grade this notebook ({reason}); it will be graded again on the next run.")


def _run(task: dict, exercises, batch) -> dict:
    limits = Limits(**task["limits"])
    prepared = prepared_for(task["assignment"], int(task["seed"]), task.get("weights"), student=task["student"])
    variants = task.get("variants")
    whose = Whose(int(variants["seed"]), bool(variants["on"]), task["student"], graded=True) if variants else None
    content = task.get("content")
    if content is None:
        return _grade_path(Path(task["path"]), exercises, prepared, limits, task["files"], batch, task.get("base"), frozenset(task.get("provided") or ()), whose)
    name = os.path.basename(task["label"]) or "notebook.ipynb"
    with tempfile.TemporaryDirectory(prefix="autograder-submission-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        return _grade_path(path, exercises, prepared, limits, task["files"], batch, provided=frozenset(task.get("provided") or ()), whose=whose)


def _grade_path(path: Path, exercises, prepared, limits, files, batch, base: str | None = None, provided: frozenset[str] = frozenset(),
                whose: Whose | None = None) -> dict:
    try:
        # a learner's file: no link at or below the submissions folder is followed
        program = load_program(path, limits.bounds(), follow_links=False, under=base)
    except NotebookError as exc:
        return unreadable(exercises, str(exc).replace(str(path.parent) + os.sep, ""))
    factory = batch.session if batch is not None else Session
    return grade_program(program, prepared, limits=limits, files=files, session_factory=factory, provided=provided, whose=whose)


class Batch:
    """The sandboxes of a running batch, so that Ctrl-C can end them all at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._live: set[Session] = set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def session(self, program, limits, files, seal=()) -> Session:
        session = _CancellableSession(program, limits, files, seal)
        session._batch = self
        return session

    def cancel(self) -> None:
        """Stop every sandbox now; submissions in progress are not recorded."""
        self._event.set()
        with self._lock:
            live = list(self._live)
        for session in live:
            session.cancel()

    def _add(self, session) -> None:
        with self._lock:
            self._live.add(session)

    def _discard(self, session) -> None:
        with self._lock:
            self._live.discard(session)


class _CancellableSession(Session):
    """A :class:`Session` that a batch can stop from another thread.

    Cancelling uses the session's own mechanics: the submission deadline is
    moved to now (so no further cell runs, no child is restarted and every
    wait ends at once) and the child's whole process tree is killed.
    """

    _batch: Batch

    __hash__ = object.__hash__
    __eq__ = object.__eq__

    def __enter__(self):
        self._batch._add(self)
        try:
            if self._batch.cancelled:
                raise Cancelled()
            return super().__enter__()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._batch._discard(self)

    def _load(self) -> None:
        if self._batch.cancelled:
            self._deadline = 0.0
            return
        super()._load()

    def cancel(self) -> None:
        self._deadline = 0.0
        try:
            self._kill()
        except Exception:
            pass
