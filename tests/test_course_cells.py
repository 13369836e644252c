"""A failure of a cell the course provided is never reported as the learner's.

In 05, whenever an exercise errored, the feedback added that the cell that
starts with `colour = np.asarray(Image.open(PHOTO))` raised
ModuleNotFoundError: the course's own plotting cell, failing in the sandbox,
reported as if the learner had written it.  Cells that are exactly as released
are now the course's: their failures are said to be not the learner's code.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import yaml

from autograder.course import load_course
from autograder.pipeline import check_notebook

from conftest import solution_path

ASSIGNMENT = "01-conv1d"
COURSE_CELL = "raise RuntimeError('a course cell that breaks in the grader')"
RAISES = "def conv1d(x, h):\n    raise ValueError('not yet')\n"


def _course_with_a_broken_cell(course, root: Path):
    """The course, with a released notebook whose extra (course-provided) cell raises."""
    root.mkdir(parents=True)
    (root / "course.yml").write_text(yaml.safe_dump(yaml.safe_load(Path(course.path).read_text())))
    (root / "solutions").symlink_to(course.root / "solutions")
    shutil.copytree(course.root / "assignments", root / "assignments")
    release = root / "assignments" / ASSIGNMENT / course.assignment(ASSIGNMENT).notebook
    nb = nbformat.read(release, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(COURSE_CELL))
    nbformat.write(nb, release)
    return load_course(root / "course.yml")


def _submission(course, target: Path, extra: str) -> Path:
    nb = nbformat.read(solution_path(course, ASSIGNMENT), as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(extra))
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "conv1d":
            cell.source = RAISES
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def test_a_course_cell_that_fails_is_not_the_learners(course, tmp_path):
    broken = _course_with_a_broken_cell(course, tmp_path / "course")
    notebook = _submission(course, tmp_path / "as-released" / "conv1d.ipynb", COURSE_CELL)
    conv1d = {e.id: e for e in check_notebook(notebook, course=broken, assignment=ASSIGNMENT).exercises}["conv1d"]
    assert conv1d.status == "error"
    assert "Not your code: the course's own cell that starts with `raise RuntimeError(" in conv1d.feedback, conv1d.feedback
    assert "Notes on your notebook" not in conv1d.feedback, conv1d.feedback


def test_the_same_failure_in_a_cell_the_learner_changed_is_theirs(course, tmp_path):
    broken = _course_with_a_broken_cell(course, tmp_path / "course")
    changed = COURSE_CELL.replace("breaks in the grader", "the learner rewrote")
    notebook = _submission(course, tmp_path / "changed" / "conv1d.ipynb", changed)
    conv1d = {e.id: e for e in check_notebook(notebook, course=broken, assignment=ASSIGNMENT).exercises}["conv1d"]
    assert "Notes on your notebook: the cell that starts with `raise RuntimeError(" in conv1d.feedback, conv1d.feedback
    assert "Not your code" not in conv1d.feedback
