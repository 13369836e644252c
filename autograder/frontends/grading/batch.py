"""grade_class: the whole batch, from discovery to gradebook (see :mod:`autograder.grading`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ...course import Course, load_course
from ...exercises import for_assignment
from ...sandbox.session import Limits, warm_up
from .discover import Submission, discover
from .gradebook import feedback_markdown, gradebook_csv
from .store import Store, atomic_write
from .work import make_task, prepared_for


@dataclass
class GradeResult:
    reports: dict[str, dict] = field(default_factory=dict)  # student id -> JSON report
    graded: list[str] = field(default_factory=list)  # graded in this run
    skipped: list[str] = field(default_factory=list)  # resumed from existing reports
    gradebook: Path | None = None
    output: Path | None = None
    grader_errors: dict[str, str] = field(default_factory=dict)  # student -> why the grader failed


class GradingInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch; what was finished is written and kept."""

    def __init__(self, result: GradeResult, remaining: int):
        super().__init__(f"interrupted: {len(result.reports)} graded submission(s) kept in {result.output}, {remaining} left")
        self.result = result
        self.kept = len(result.reports)
        self.remaining = remaining


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def grade_class(submissions, assignment: str, output, *, course: Course | None = None, workers: int | None = None,
                force: bool = False, scheduler=None, seed: int | None = None, progress: bool = False) -> GradeResult:
    """Grade every submission of ``assignment`` under ``submissions`` into ``output``.

    See the module docstring for the output; ``scheduler`` is None (threads
    here), ``"local"`` (a Dask LocalCluster) or a Dask scheduler address.
    """
    course = course or load_course(start=Path(submissions))
    info = course.assignment(assignment)
    exercise_ids = [ex.id for ex in for_assignment(assignment)]
    found = discover(submissions, assignment, info.notebook)
    store = Store(output)
    store.create()
    batch_seed = store.seed(seed, force=force)
    result = GradeResult(output=store.root, gradebook=store.gradebook)
    todo: list[Submission] = []
    for submission in found:
        stored = None if force else store.load(submission.student, assignment)
        if stored is None:
            todo.append(submission)
            continue
        result.reports[submission.student] = stored
        result.skipped.append(submission.student)
        if not store.feedback_path(submission.student).exists():
            atomic_write(store.feedback_path(submission.student), feedback_markdown(stored, title=info.title))

    def on_result(report: dict) -> None:
        store.save(report, feedback_markdown(report, title=info.title))
        result.reports[report["student"]] = report
        result.graded.append(report["student"])
        if report.get("grader_error"):
            result.grader_errors[report["student"]] = report["grader_error"]

    if todo:
        limits = Limits.from_settings(course.grading)
        files = course.data_files(assignment)
        n = workers or default_workers()
        tasks = [make_task(s, assignment=assignment, seed=batch_seed, points=info.points, limits=limits, files=files, ship_notebook=scheduler is not None) for s in todo]
        try:
            if scheduler is None:
                from .run_local import run_local

                prepared_for(assignment, batch_seed)  # once, before the threads start
                warm_up()
                run_local(tasks, workers=n, on_result=on_result, progress=progress)
            else:
                from .run_dask import run_dask

                run_dask(tasks, scheduler=scheduler, workers=n, on_result=on_result, progress=progress)
        except KeyboardInterrupt:
            _write_gradebook(store, result, found, info, exercise_ids)
            raise GradingInterrupted(result, len(found) - len(result.reports)) from None
    _write_gradebook(store, result, found, info, exercise_ids)
    result.reports = dict(sorted(result.reports.items()))
    result.graded.sort()
    return result


def _write_gradebook(store: Store, result: GradeResult, found: list[Submission], info, exercise_ids: list[str]) -> None:
    students = [s.student for s in found if s.student in result.reports]
    text = gradebook_csv([result.reports[s] for s in students], assignment=info.id, exercise_ids=exercise_ids,
                         duedate=info.due, timestamps={s.student: s.timestamp for s in found})
    atomic_write(store.gradebook, text)
