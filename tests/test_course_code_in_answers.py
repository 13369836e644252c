"""One verdict for an answer that uses the course's own package.

An answer cell that imports `autograder.references` (or the exercise
declarations) and hands back their result got 2.4/3 from the notebook's
`check()`, where the learner's kernel can import them, and 0/3 "error" with a
NameError from `autograder check` and pytest, whose sandbox cannot.  Now the
import stays in the program the grader reads (only `from autograder import
check, demo` is a self-check line) and is forbidden by what the code says,
before anything runs: the same `forbidden` verdict and message everywhere.
"""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from autograder import demo
from autograder.engine.evaluate import evaluate
from autograder.exercises import for_assignment
from autograder.frontends.inline import InProcessCaller
from autograder.notebook.load import without_self_checks
from autograder.pipeline import check_notebook, prepare_assignment

from conftest import planted_notebook, solution_path, without_numbers_note

CASES = {
    # a function that returns the reference's result
    ("03-cnn-layers", "pool2d_backward"): (
        "import autograder.references.cnn as _r\n\n"
        "def pool2d_backward(dout, X, pool_size, stride=1, mode='max'):\n"
        "    return _r.pool2d_backward(dout, X, pool_size, stride, mode)\n"
    ),
    # a value read off the course's references
    ("01-conv1d", "by_hand_full"): (
        "from autograder.references import conv1d as _conv1d\n"
        "y_by_hand = [float(v) for v in _conv1d([3, 4, 5], [2, 1, 0])]\n"
    ),
}


class KernelCaller(InProcessCaller):
    """The notebook's check() as it reads the kernel: every cell as typed, self-check lines removed."""

    def __init__(self, namespace, cells):
        super().__init__(namespace)
        self.cells = cells

    def sources(self):
        return [(None, without_self_checks(cell)) for cell in self.cells]


def _kernel(notebook, course, assignment, exercise_id):
    """Run the notebook's code cells in this process, as a learner's kernel would (the course's package importable)."""
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    namespace = {"__name__": "__main__", "demo": demo}
    for cell in cells:
        try:
            exec(compile(without_self_checks(cell), "<cell>", "exec"), namespace)  # trusted: our own plants
        except Exception:
            pass
    prepared = prepare_assignment(for_assignment(assignment), course.seed)[exercise_id]
    return evaluate(prepared, KernelCaller(namespace, cells), timeout=10)


@pytest.mark.parametrize("assignment, exercise_id", list(CASES))
def test_the_course_package_in_an_answer_is_forbidden_everywhere_alike(assignment, exercise_id, course, tmp_path):
    notebook = planted_notebook(solution_path(course, assignment), tmp_path / "nb.ipynb", {exercise_id: CASES[assignment, exercise_id]})
    sandboxed = {e.id: e for e in check_notebook(notebook, course=course, assignment=assignment).exercises}[exercise_id]
    kernel = _kernel(notebook, course, assignment, exercise_id)
    assert sandboxed.status == kernel.status == "forbidden", (sandboxed.feedback, kernel.feedback)
    assert sandboxed.score == 0 and kernel.fraction == 0
    assert without_numbers_note(sandboxed.feedback) == kernel.feedback  # the engine alone adds no note on whose numbers
    assert "autograder.references" in sandboxed.feedback and "The course's own package is the grader's" in sandboxed.feedback
    # the command line says the same (pytest and the graders go through the same check_notebook)
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "--json", str(notebook), "--assignment", assignment],
                          capture_output=True, text=True, timeout=300)
    cli = {e["id"]: e for e in json.loads(done.stdout)["exercises"]}[exercise_id]
    assert (cli["status"], cli["feedback"]) == ("forbidden", sandboxed.feedback)


def test_the_self_check_lines_stay_allowed(course):
    """`from autograder import check, demo` in an answer cell is a self-check line, not course code."""
    assert without_self_checks("from autograder import check, demo\nx = 1\n").splitlines()[1] == "x = 1"
    assert "import autograder.references" in without_self_checks("import autograder.references as r\n")
    report = check_notebook(solution_path(course, "01-conv1d"), course=course, assignment="01-conv1d")
    assert all(e.status == "passed" for e in report.exercises)
