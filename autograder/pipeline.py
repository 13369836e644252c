"""Check one notebook: load -> extract code -> run isolated -> compare -> diagnose -> report.

Used by ``autograder check``, by the pytest plugin and, per submission, by
``autograder grade``.  Learner code runs only in the sandboxed child
(:mod:`autograder.sandbox`); references, hidden cases and comparisons stay here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .course import Course, load_course
from .engine.evaluate import ERROR, ExerciseResult, Prepared, evaluate, evaluation_order, prepare
from .engine.spec import CreditWeights, Exercise
from .exercises import for_assignment
from .notebook.load import NotebookError, Program, load_program
from .report import Report
from .sandbox.session import Limits, Session


def prepare_assignment(exercises: Iterable[Exercise], seed: int, weights: CreditWeights | None = None) -> dict[str, Prepared]:
    """Right answers of every check, computed once per seed (trusted side); ``weights``: course.yml's split of points."""
    return {ex.id: prepare(ex, seed=seed, weights=weights) for ex in exercises}


def grade_program(program: Program, prepared: dict[str, Prepared], *, limits: Limits, files: dict[str, bytes], session_factory=Session) -> dict[str, ExerciseResult]:
    """Run ``program`` in a sandbox and evaluate every prepared exercise.

    ``session_factory`` builds the sandbox (a :class:`Session` subclass; batch
    grading passes one that can be cancelled on Ctrl-C).
    """
    results: dict[str, ExerciseResult] = {}
    with session_factory(program, limits, files) as session:
        for exercise_id in evaluation_order(prepared):  # an exercise after those it uses (conv1d before conv1d_mode)
            timeout = max(0.0, min(limits.exercise_timeout, session.remaining()))
            results[exercise_id] = evaluate(prepared[exercise_id], session, timeout=timeout, earlier=results)
        problems = session.cell_problems()
    if problems:
        note = "\nNotes on your notebook: " + "; ".join(problems[:5])
        for result in results.values():
            if result.status == ERROR and note not in result.feedback:
                result.feedback += note
    return {exercise_id: results[exercise_id] for exercise_id in prepared}


def course_weights(course: Course) -> CreditWeights:
    """course.yml's ``grading.weights``, validated (a clear CourseError otherwise)."""
    from .course import CourseError
    from .exercises import registry

    return CreditWeights.parse(course.grading.get("weights"), f"{course.path}: grading.weights", known=registry(), error=CourseError)


def unreadable(exercises: Iterable[Exercise], reason: str) -> dict[str, ExerciseResult]:
    return {ex.id: ExerciseResult(ex.id, ERROR, f"the notebook could not be read: {reason}") for ex in exercises}


def check_notebook(path: str | Path, *, course: Course | None = None, assignment: str | None = None, seed: int | None = None, prepared: dict[str, Prepared] | None = None, limits: Limits | None = None) -> Report:
    """Grade one notebook file and return its :class:`~autograder.report.Report`."""
    path = Path(path)
    course = course or load_course(start=path.parent)
    try:
        program = load_program(path)
        grade_ids = program.grade_ids
    except NotebookError as exc:
        program, grade_ids, reason = None, [], str(exc)
    info = course.assignment(assignment) if assignment else course.identify(path, grade_ids)
    exercises = for_assignment(info.id)
    if program is None:
        results = unreadable(exercises, reason)
    else:
        prepared = prepared or prepare_assignment(exercises, course.seed if seed is None else seed, course_weights(course))
        limits = limits or Limits.from_settings(course.grading)
        results = grade_program(program, prepared, limits=limits, files=course.data_files(info.id))
    report = Report(str(path), info.id)
    for ex in exercises:
        report.add(results[ex.id], info.points[ex.id])
    return report
