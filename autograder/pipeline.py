"""Check one notebook: load -> extract code -> run isolated -> compare -> diagnose -> report.

Used by ``autograder check``, by the pytest plugin and, per submission, by
``autograder grade``.  Learner code runs only in the sandboxed child
(:mod:`autograder.sandbox`); references, hidden cases and comparisons stay here.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .course import Course, load_course, validate_assignments
from .engine.evaluate import evaluate
from .engine.prepare import Prepared, evaluation_order, prepare
from .engine.result import ERROR, ExerciseResult
from .engine.numbers import draw_for, personalise
from .engine.seeds import student_seed
from .engine.spec import AUTODIFF_FORBIDDEN, CreditWeights, Exercise
from .exercises import for_assignment
from .notebook.load import NotebookError, Program, imported_modules, load_program, mark_provided, released_sources
from .notebook.student import declared_student, learner_id
from .report import Report
from .sandbox.session import Limits, Session, warm_up


def prepare_assignment(exercises: Iterable[Exercise], seed: int, weights: CreditWeights | None = None, *, graded: bool = False) -> dict[str, Prepared]:
    """Right answers of every check, computed once per seed (trusted side); ``weights``: course.yml's split of points.

    ``graded``: the hidden checks are graded ones (feedback shows none of their values).
    """
    return {ex.id: prepare(ex, seed=seed, weights=weights, graded=graded) for ex in exercises}


@dataclass(frozen=True)
class Whose:
    """Whose numbers an assignment's on-paper exercises ask for (each student's own: variants).

    ``seed``: course.yml's variant seed; ``on``: variants on for the assignment; ``student``: the id a
    grader grades (``graded``), else None and the learner's own id is read from the notebook's ``NAME``
    cell (or the JupyterHub user).  Plain data, so that a grading task can carry it.
    """

    seed: int
    on: bool = True
    student: str | None = None
    graded: bool = False

    @classmethod
    def of(cls, course: Course, assignment_id: str, student: str | None = None) -> "Whose":
        return cls(course.variant_seed, course.assignment(assignment_id).variants, student, student is not None)


#: Said under an on-paper exercise with numbers of its own when the learner's self-check knows no id.
NO_ID_NOTE = ("\nYour own numbers: this notebook names no student (its first cell, NAME = \"...\", is empty), so these answers "
              "were checked on the lesson's numbers. Write your id there as your instructor registered you, run that cell, "
              "then run the cell that shows your numbers again: you are graded on those.")


def not_on_roster_note(student: str) -> str:
    return (f"\nYour own numbers: {student!r} is not on the roster this learner kit was built with, so it cannot check the "
            "answers for your numbers; these were checked on the lesson's numbers. Check the id in the NAME cell, or ask "
            "your instructor for a kit built with you on its roster; the grader grades your own numbers either way.")


def mismatch_note(declared: str, student: str) -> str:
    return (f"\nYour own numbers: this notebook names the student {declared!r} in its NAME cell, but it was handed in as "
            f"{student!r}, so the answers asked for a student's own numbers were graded on {student!r}'s numbers.")


def for_student(prepared: dict[str, Prepared], program: Program | None, whose: "Whose | None") -> tuple[dict[str, Prepared], dict[str, str]]:
    """``prepared`` with each on-paper exercise that has numbers of its own asking for the student's
    (:func:`~autograder.engine.numbers.personalise`), and a note per exercise where the feedback must say
    whose numbers were used (no id known; a notebook naming another student than the one graded)."""
    personal = {k: p for k, p in prepared.items() if p.exercise.numbers is not None}
    if whose is None or not whose.on or not personal or program is None:
        return prepared, {}
    declared = declared_student(program)
    who = whose.student if whose.graded else learner_id(declared)
    other = declared if whose.graded and declared and declared != who else None
    out, notes = dict(prepared), {}
    for exercise_id, p in personal.items():
        ex = p.exercise
        if who is None:
            notes[exercise_id] = NO_ID_NOTE
            continue  # the lesson's numbers: the declaration as it is
        mine = personalise(ex, draw_for(ex, who, whose.seed), declared=other,
                           declared_numbers=draw_for(ex, other, whose.seed) if other else None, student=who)
        if mine is None:  # a learner kit without this student's answers: the lesson's numbers
            notes[exercise_id] = not_on_roster_note(who)
            continue
        out[exercise_id] = prepare(mine, seed=p.seed, weights=p.weights, graded=p.graded)
        if other:
            notes[exercise_id] = mismatch_note(other, who)
    return out, notes


def seal_for(exercise: Exercise) -> tuple[str, ...]:
    """What the process running ``exercise`` is sealed against (by-hand exercises).

    Every by-hand exercise is also kept from automatic differentiation (libraries
    a course notebook never loads, so it costs nothing), so that the exercises
    of one assignment share a sealed process wherever their rules allow.
    """
    if exercise.kind != "function" or not exercise.forbidden:
        return ()
    return tuple(sorted(set(exercise.forbidden) | set(AUTODIFF_FORBIDDEN)))


def sandbox_groups(prepared: dict[str, Prepared]) -> dict[tuple[str, ...], list[str]]:
    """Exercises by the sandbox they run in: one per set of forbidden names, one unsealed.

    Each group is a child process of its own (the notebook's cells run in each).
    Value exercises join the unsealed child when there is one, else the first
    sealed one, so that a notebook of by-hand exercises starts one child.
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    values = []
    for exercise_id, prep in prepared.items():
        if prep.exercise.kind == "value":
            values.append(exercise_id)
        else:
            groups.setdefault(seal_for(prep.exercise), []).append(exercise_id)
    if values:
        home = () if () in groups or not groups else next(iter(groups))
        groups.setdefault(home, [])[:0] = values
    return groups


def provided_cells(course: Course, assignment_id: str) -> frozenset[str]:
    """The course's own code cells of the released notebook (see :func:`~autograder.notebook.load.released_sources`)."""
    path = course.release_dir(assignment_id) / course.assignment(assignment_id).notebook
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return frozenset()
    key = (str(path), stamp)
    if key not in _PROVIDED:
        _PROVIDED[key] = released_sources(path)
    return _PROVIDED[key]


_PROVIDED: dict[tuple[str, int], frozenset[str]] = {}


def grade_program(program: Program, prepared: dict[str, Prepared], *, limits: Limits, files: dict[str, bytes], session_factory=Session,
                  provided: frozenset[str] = frozenset(), whose: Whose | None = None) -> dict[str, ExerciseResult]:
    """Run ``program`` in the sandbox and evaluate every prepared exercise.

    ``whose``: whose numbers the on-paper exercises with numbers of their own ask for (:func:`for_student`);
    None: the lesson's, as declared.

    ``provided``: the course's own cells as released (:func:`provided_cells`): when one
    of them fails here, the feedback says it is not the learner's code.

    ``session_factory(program, limits, files, seal)`` builds each sandbox (a
    :class:`Session` subclass; batch grading passes one that can be
    cancelled on Ctrl-C).
    """
    results: dict[str, ExerciseResult] = {}
    problems: list[str] = []
    prepared, numbers_notes = for_student(prepared, program, whose)
    mark_provided(program, provided)
    order = {exercise_id: n for n, exercise_id in enumerate(evaluation_order(prepared))}
    groups = sorted(sandbox_groups(prepared).items(), key=lambda group: min(order[e] for e in group[1]))
    warm_up([seal for seal, _ in groups], imported_modules(program))  # every server starts now, side by side

    course_problems: list[str] = []

    def run(group) -> list[str]:
        seal, exercise_ids = group
        with session_factory(program, limits, files, seal) as session:
            # An exercise after those it uses, so that it can say "fix conv1d first".
            for exercise_id in sorted(exercise_ids, key=order.__getitem__):
                timeout = max(0.0, min(limits.timeout_for(exercise_id), session.remaining()))
                results[exercise_id] = evaluate(prepared[exercise_id], session, timeout=timeout, earlier=results,
                                                settings=limits.settings_for(exercise_id))
            course_problems.extend(p for p in session.course_cell_problems() if p not in course_problems)
            return session.cell_problems()

    home = {exercise_id: n for n, (_, ids) in enumerate(groups) for exercise_id in ids}
    crossing = any(home.get(used, n) != n for exercise_id, n in home.items() for used in prepared[exercise_id].exercise.uses)
    if len(groups) > 1 and not crossing:
        # Independent sandboxes run side by side (each its own process).
        with ThreadPoolExecutor(len(groups), thread_name_prefix="autograder-group") as pool:
            reports = list(pool.map(run, groups))
    else:
        reports = [run(group) for group in groups]
    for report in reports:
        problems += [p for p in report if p not in problems]
    notes = []
    if problems:
        notes.append("\nNotes on your notebook: " + "; ".join(problems[:5]))
    if course_problems:
        # The course's own cell, as released: never the learner's doing, and said so.
        notes.append("\nNot your code: the course's own " + "; ".join(p.replace("the cell that", "cell that", 1) for p in sorted(course_problems)[:3])
                     + " when the grader ran it. If an exercise failed because of it, tell your instructor.")
    for note in notes:
        for result in results.values():
            if result.status == ERROR and note not in result.feedback:
                result.feedback += note
    for note in dict.fromkeys(numbers_notes.values()):  # once per report: under the first exercise it concerns
        first = next(exercise_id for exercise_id in prepared if numbers_notes.get(exercise_id) == note)
        results[first].feedback += note
    return {exercise_id: results[exercise_id] for exercise_id in prepared}


def course_weights(course: Course, assignment: str | None = None) -> CreditWeights:
    """course.yml's ``grading.weights``, validated (a clear CourseError otherwise).

    With ``assignment``, only that assignment's declarations are loaded (and
    overrides for other assignments' exercises are set aside).
    """
    from .course import CourseError
    from .exercises import for_assignment, registry

    weights = course.grading.get("weights")
    if assignment is None:
        known = registry()
    else:
        known = {ex.id: ex for ex in for_assignment(assignment)}
        if isinstance(weights, dict) and isinstance(weights.get("exercises"), dict):
            weights = {**weights, "exercises": {k: v for k, v in weights["exercises"].items() if k in known}}
    return CreditWeights.parse(weights, f"{course.path}: grading.weights", known=known, error=CourseError)


def unreadable(exercises: Iterable[Exercise], reason: str) -> dict[str, ExerciseResult]:
    return {ex.id: ExerciseResult(ex.id, ERROR, f"the notebook could not be read: {reason}") for ex in exercises}


def check_notebook(path: str | Path, *, course: Course | None = None, assignment: str | None = None, seed: int | None = None, prepared: dict[str, Prepared] | None = None, limits: Limits | None = None,
                   student: str | None = None) -> Report:
    """Grade one notebook file and return its :class:`~autograder.report.Report`.

    With ``student``, grade it as the graders grade that student in the batch of
    ``seed`` (their own graded hidden cases, no hidden value in the feedback);
    otherwise as a self-check (course.yml's practice seed unless ``seed`` is given).
    """
    path = Path(path)
    course = course or load_course(start=path.parent, validate=False)
    limits = limits or Limits.from_settings(course.grading)
    try:
        program = load_program(path, limits.bounds())
        grade_ids = program.grade_ids
    except NotebookError as exc:
        program, grade_ids, reason = None, [], str(exc)
    info = course.assignment(assignment) if assignment else course.identify(path, grade_ids)
    validate_assignments(course, [info.id])
    exercises = for_assignment(info.id)
    if program is not None:  # sealed servers seal while the checks are prepared
        warm_up(sorted({seal_for(ex) for ex in exercises}), imported_modules(program))
    if program is None:
        results = unreadable(exercises, reason)
    else:
        if prepared is None:
            seed = course.seed if seed is None else seed
            if student is not None:
                seed = student_seed(seed, student)
            prepared = prepare_assignment(exercises, seed, course_weights(course, info.id), graded=student is not None)
        results = grade_program(program, prepared, limits=limits, files=course.grading_files(info.id), provided=provided_cells(course, info.id),
                                whose=Whose.of(course, info.id, student))
    report = Report(str(path), info.id)
    for ex in exercises:
        if ex.id in results:  # ``prepared`` may hold some of the exercises only
            report.add(results[ex.id], info.points[ex.id])
    return report
