"""``nbgrader autograde`` through the hardened sandbox.

nbgrader 0.9 autogrades a submission in two passes of preprocessors: the
*sanitize* pass (clear outputs, restore the instructor's test cells from the
gradebook, ...) and the *autograde* pass, whose list
(``Autograde.autograde_preprocessors``) starts with ``Execute``: it runs the
notebook in a Jupyter kernel, so the test cells run inside the learner's own
process, where the learner's code can fake them.

The nbgrader_config.py that ``autograder nbgrader-config`` derives from
course.yml replaces ``Execute`` by :class:`SandboxGrade`.  It grades the
notebook as ``autograder grade`` reads it (the submitted file, read without
following links by :class:`~.submitted.HardenedAutograde`, which that
configuration installs; a refused or unreadable notebook scores 0 with the
reason) with the same pipeline and the same hidden cases as ``autograder
grade`` (the instructor's secret seed, never course.yml's public one): the
learner's code cells run in the sandbox, the references, hidden cases and
comparisons stay in this process.  It then writes each check cell's
verdict into that cell (:mod:`autograder.frontends.verdict`), and nbgrader's
own ``SaveAutoGrades`` records it: full points, partial credit, or none.
Nothing the learner's code does can reach a check cell's output.  No kernel
is started, so nothing else in the notebook gets outputs; the feedback shows
each check cell's verdict.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from nbformat import from_dict
from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from ...course import FILE_NAME, Course, CourseError, load_course, validate_assignments
from ...exercises import for_assignment
from ...notebook.load import NotebookError, extract_program
from ...pipeline import Whose, grade_program, provided_cells, unreadable
from ...report import Report
from ...sandbox.session import Limits, warm_up
from .. import verdict
from .submitted import submitted_for
from ..grading.discover import visible
from ..grading.work import prepared_for

CHECK_PREFIX = "check_"

_COURSES: dict[str, Course] = {}
_VALIDATED: set[tuple[str, str]] = set()
_LOCK = threading.Lock()


def _course_root(preprocessor) -> Path:
    """The course root nbgrader is working in (its CourseDirectory.root)."""
    converter = getattr(getattr(preprocessor, "parent", None), "parent", None)
    coursedir = getattr(converter, "coursedir", None)
    root = getattr(coursedir, "root", None)
    if not root:
        try:
            root = preprocessor.config.CourseDirectory.root
        except AttributeError:
            root = None
    return Path(root if isinstance(root, str) and root else os.getcwd())


def _course(root: Path, assignment_id: str) -> Course:
    """course.yml of the course root, checked against this assignment's declarations (once)."""
    key = str(root.resolve())
    with _LOCK:
        if key not in _COURSES:
            _COURSES[key] = load_course(root / FILE_NAME, validate=False)
        course = _COURSES[key]
        if (key, assignment_id) not in _VALIDATED:
            validate_assignments(course, [assignment_id])
            _VALIDATED.add((key, assignment_id))
        return course


def start_servers() -> None:
    """Called by nbgrader_config.py when nbgrader autograde starts, before it reads any
    submission: the sandbox's fork servers become copies of nbgrader's process at a moment
    it holds nothing of any student (see autograder.sandbox.servers)."""
    from ...sandbox.servers import start_for as start_sandbox_servers

    start_sandbox_servers(everything=True)


def grade_notebook(nb, *, course: Course, assignment_id: str, student: str, label: str = "") -> Report:
    """The hardened report of one (sanitized) notebook, graded on ``student``'s hidden cases of the secret seed."""
    info = course.assignment(assignment_id)
    exercises = for_assignment(assignment_id)
    prepared = prepared_for(assignment_id, course.secret_seed(), course.grading.get("weights"), student=student)
    limits = Limits.from_settings(course.grading)
    try:  # within course.yml's bounds, as autograder grade reads it (too many cells: the notebook is refused)
        program = extract_program(nb, label, limits.bounds())
    except NotebookError as exc:
        results = unreadable(exercises, str(exc))
    else:
        results = grade_program(program, prepared, limits=limits, files=course.grading_files(assignment_id), provided=provided_cells(course, assignment_id),
                                whose=Whose.of(course, assignment_id, student))
    report = Report(label, assignment_id)
    for ex in exercises:
        report.add(results[ex.id], info.points[ex.id])
    return report


def write_verdicts(nb, report: Report) -> list[str]:
    """Put each exercise's verdict into its check cell; return the exercises whose cell was missing.

    A check cell the learner deleted is added back at the end of the
    notebook (with the instructor's metadata), so that nbgrader records the
    hardened score for it too.
    """
    entries = {CHECK_PREFIX + e.id: e for e in report.exercises}
    seen = set()
    for cell in nb.cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        entry = entries.get(meta.get("grade_id"))
        if entry is None or meta.get("grade_id") in seen:
            continue
        seen.add(meta.get("grade_id"))
        cell.outputs = [from_dict(o) for o in verdict.nbgrader_outputs(entry)]
        cell.execution_count = None
    missing = [e for grade_id, e in entries.items() if grade_id not in seen]
    for entry in missing:
        cell = new_code_cell(f'from autograder import check\ncheck("{entry.id}")')
        cell.metadata["nbgrader"] = {
            "grade": True, "grade_id": CHECK_PREFIX + entry.id, "locked": True, "points": entry.max_score,
            "schema_version": 3, "solution": False, "task": False,
        }
        cell.outputs = [from_dict(o) for o in verdict.nbgrader_outputs(entry)]
        nb.cells.append(cell)
    return [e.id for e in missing]


class SandboxGrade(NbGraderPreprocessor):
    """Grade the submission in the sandbox and write every check cell's verdict (see the module docstring)."""

    def preprocess(self, nb, resources):
        meta = resources.get("nbgrader", {})
        assignment_id = meta.get("assignment")
        root = _course_root(self)
        try:
            course = _course(root, assignment_id)
        except CourseError as exc:
            raise RuntimeError(f"autograder: cannot grade {assignment_id!r} in {root}: {exc}") from None
        warm_up()
        label = f"{meta.get('student', '')}/{assignment_id}/{meta.get('notebook', '')}.ipynb"
        student = visible(str(meta.get("student", "")))  # the id `autograder grade` gives the same folder
        # the learner's file as `autograder grade` reads it (None: nbgrader's own Autograde read it)
        submitted = submitted_for(self, resources)
        if submitted is not None and submitted.refused:
            report = submitted.report(course=course, assignment_id=assignment_id, label=label)
        else:
            report = grade_notebook(nb if submitted is None else submitted.raw, course=course, assignment_id=assignment_id, student=student, label=label)
        restored = write_verdicts(nb, report)
        if restored and not (submitted is not None and submitted.refused):  # a refused notebook has none by design
            self.log.warning("autograder: %s had no check cell for %s; added back with its hardened verdict", label, ", ".join(restored))
        self.log.info("autograder: %s scored %g/%g in the sandbox", label, report.score, report.max_score)
        return nb, resources
