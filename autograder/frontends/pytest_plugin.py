"""Self-check a notebook with pytest: one test per exercise.

    pytest assignments/01-conv1d/conv1d.ipynb

A notebook is collected only when it is named on the command line, so the
project's own test run never picks up notebooks by accident.  The notebook is
graded once, in the sandbox, by the same pipeline as ``autograder check``; a
failing test shows the same learner-facing message and no traceback.
"""
from __future__ import annotations

from pathlib import Path

import pytest


def _named_on_command_line(config, path: Path) -> bool:
    wanted = set()
    for arg in config.args:
        candidate = Path(str(arg).split("::")[0])
        wanted.add(str(candidate.resolve()))
    return str(path.resolve()) in wanted


def pytest_configure(config) -> None:
    """Notebooks named on the command line: start the sandbox's fork server now, as a
    copy of this process (it holds nothing secret yet), while pytest collects."""
    notebooks = [str(arg).split("::")[0] for arg in config.args if str(arg).split("::")[0].endswith(".ipynb")]
    if notebooks:
        from ..sandbox.servers import start_for as start_sandbox_servers

        start_sandbox_servers([n for n in notebooks if Path(n).is_file()])


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".ipynb" and _named_on_command_line(parent.config, file_path):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    """A learner's notebook; its items are the assignment's exercises."""

    _report = None

    def collect(self):
        from ..course import load_course, validate_assignments
        from ..exercises import for_assignment
        from ..notebook.load import NotebookError, load_program

        from ..exercises import compiled

        self.course = load_course(start=self.path.parent, validate=False)
        problem = compiled.seed_problem(self.course.seed) if compiled.available() else None
        if problem:  # a learner kit holds the practice checks of one seed
            raise pytest.UsageError(f"{self.path.name}: {problem}")
        try:
            grade_ids = load_program(self.path).grade_ids
        except NotebookError:
            grade_ids = []
        self.assignment = self.course.identify(self.path, grade_ids)
        validate_assignments(self.course, [self.assignment.id])
        for exercise in for_assignment(self.assignment.id):
            yield ExerciseItem.from_parent(self, name=exercise.id, exercise_id=exercise.id)

    def report(self):
        if self._report is None:
            from ..pipeline import check_notebook

            self._report = check_notebook(self.path, course=self.course, assignment=self.assignment.id)
        return self._report


class ExerciseFailed(Exception):
    pass


class ExerciseItem(pytest.Item):
    def __init__(self, *, exercise_id: str, **kwargs):
        super().__init__(**kwargs)
        self.exercise_id = exercise_id

    def runtest(self):
        report = self.parent.report()
        entry = next(e for e in report.exercises if e.id == self.exercise_id)
        if entry.status != "passed":
            raise ExerciseFailed(f"{entry.id} ({entry.status}, {entry.score:g}/{entry.max_score:g} points): {entry.feedback}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExerciseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.exercise_id}"
