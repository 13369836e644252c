"""grade_class: the whole batch, from discovery to gradebook (see :mod:`autograder.grading`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ...course import Course, load_course
from ...exercises import for_assignment
from ...pipeline import provided_cells
from ...sandbox.session import Limits, warm_up
from .discover import Submission, discover
from .gradebook import feedback_markdown, gradebook_csv
from .late import Lateness, lateness, policy_for
from .store import GRADER_ATTEMPTS, Store, atomic_write, safe_name
from .work import make_task

RETRY_PHRASE = "it will be graded again on the next run."


@dataclass
class GradeResult:
    reports: dict[str, dict] = field(default_factory=dict)  # student id -> JSON report
    graded: list[str] = field(default_factory=list)  # graded in this run
    skipped: list[str] = field(default_factory=list)  # resumed from existing reports
    gradebook: Path | None = None
    output: Path | None = None
    grader_errors: dict[str, str] = field(default_factory=dict)  # student -> why the grader failed
    notes: dict[str, list[str]] = field(default_factory=dict)  # student -> what discovery reported (odd name, bad timestamp)
    lateness: dict[str, Lateness] = field(default_factory=dict)  # student -> how late, and the penalty


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
    policy = policy_for(course, assignment)
    exercise_ids = [ex.id for ex in for_assignment(assignment)]
    found = discover(submissions, assignment, info.notebook)
    by_student = {s.student: s for s in found}
    store = Store(output)
    store.create()
    # The seed already stored in the output wins (a rerun, even with --force, grades with the same
    # hidden cases); a new output takes the course's secret seed unless told otherwise: the same
    # hidden cases as nbgrader autograde. Another seed for an existing output takes --seed and --force.
    if seed is None and store.stored_seed() is None:
        seed = course.secret_seed()
    batch_seed = store.seed(seed, force=force)
    previous = store.load_manifest()
    result = GradeResult(output=store.root, gradebook=store.gradebook)
    result.notes = {s.student: list(s.notes) for s in found if s.notes}

    def late_of(report: dict) -> Lateness:
        s = by_student[report["student"]]
        found_late = lateness(policy, due=info.due, timestamp=s.timestamp, lms_late=s.lms_late, score=float(report["score"]))
        result.lateness[report["student"]] = found_late
        return found_late

    def pages(report: dict) -> tuple[str, str]:
        """The Markdown and HTML feedback of one report (the HTML never fails the batch)."""
        s = by_student[report["student"]]
        late = late_of(report)
        markdown = feedback_markdown(report, title=info.title, late=late, notes=s.notes)
        try:
            from ..reports.feedback import feedback_html

            page = feedback_html(report, title=info.title, late=late, notes=s.notes, notebook=str(s.path) if s.path else None)
        except Exception as exc:  # noqa: BLE001 - a page we could not make must not stop the class
            from ..reports.feedback import fallback_html

            page = fallback_html(markdown + f"\n(the full page could not be made: {type(exc).__name__})\n", report["student"])
        return markdown, page

    todo: list[Submission] = []
    for submission in found:
        stored = None if force else store.load(submission.student, assignment)
        if stored is None:
            todo.append(submission)
            continue
        result.reports[submission.student] = stored
        result.skipped.append(submission.student)
        if stored.get("grader_error"):
            result.grader_errors[submission.student] = stored["grader_error"]
        entry = _manifest_entry(submission, late_of(stored))
        if (previous.get(submission.student) != entry or not store.feedback_path(submission.student).exists()
                or not store.feedback_html_path(submission.student).exists()):
            markdown, page = pages(stored)
            atomic_write(store.feedback_path(submission.student), markdown)
            atomic_write(store.feedback_html_path(submission.student), page)

    def on_result(report: dict) -> None:
        student = report["student"]
        if report.get("grader_error"):
            attempts = 1 if force else store.previous_attempts(student) + 1
            report["grader_attempts"] = attempts
            if attempts >= GRADER_ATTEMPTS:
                final = (f"the grader failed on it in {attempts} runs, so it is kept as an error and not graded again; "
                         "regrade it with --force once the cause is fixed.")
                for e in report["exercises"]:
                    e["feedback"] = e["feedback"].replace(RETRY_PHRASE, final)
        markdown, page = pages(report)
        store.save(report, markdown, page)
        result.reports[student] = report
        result.graded.append(student)
        if report.get("grader_error"):
            result.grader_errors[student] = report["grader_error"]

    if todo:
        limits = Limits.from_settings(course.grading)
        files = course.grading_files(assignment)
        n = workers or default_workers()
        weights = course.grading.get("weights")
        provided = provided_cells(course, assignment)
        variants = {"seed": course.variant_seed, "on": info.variants}
        tasks = [make_task(s, assignment=assignment, seed=batch_seed, points=info.points, limits=limits, files=files, ship_notebook=scheduler is not None, weights=weights,
                           provided=provided, variants=variants) for s in todo]
        try:
            if scheduler is None:
                from .run_local import run_local

                warm_up()
                run_local(tasks, workers=n, on_result=on_result, progress=progress)
            else:
                from .run_dask import run_dask

                run_dask(tasks, scheduler=scheduler, workers=n, on_result=on_result, progress=progress)
        except KeyboardInterrupt:
            _write_gradebook(store, result, found, info, exercise_ids, submissions)
            raise GradingInterrupted(result, len(found) - len(result.reports)) from None
    _write_gradebook(store, result, found, info, exercise_ids, submissions)
    result.reports = dict(sorted(result.reports.items()))
    result.graded.sort()
    return result


def _manifest_entry(s: Submission, late: Lateness) -> dict:
    """What ``submissions.json`` records of one student (read by the class report and the export)."""
    return {
        "file": safe_name(s.student), "label": s.label, "notebook": str(Path(s.path).resolve()) if s.path else "",
        "source_name": s.source_name, "problem": s.problem, "notes": list(s.notes),
        "timestamp": s.timestamp, "lms_user_id": s.lms_user_id, "lms_late": s.lms_late,
        "seconds_late": late.seconds_late, "late_penalty": late.penalty, "late_policy": late.policy,
    }


def _write_gradebook(store: Store, result: GradeResult, found: list[Submission], info, exercise_ids: list[str], submissions) -> None:
    students = [s.student for s in found if s.student in result.reports]
    penalties = {s: result.lateness[s].penalty for s in students if s in result.lateness}
    text = gradebook_csv([result.reports[s] for s in students], assignment=info.id, exercise_ids=exercise_ids,
                         duedate=info.due, timestamps={s.student: s.timestamp for s in found}, penalties=penalties)
    atomic_write(store.gradebook, text)
    entries = {s.student: _manifest_entry(s, result.lateness.get(s.student, Lateness(s.timestamp))) for s in found if s.student in result.reports}
    store.write_manifest(info.id, str(Path(submissions).resolve()), entries)
