"""The same class, seed and notebooks give byte-identical grading output in every run.

Whatever the worker count and whatever the machine's load: a learner's process
that ends itself (``os._exit``) is described with the status it exited with, not
with what the fork server could report back in time (once "status 255" in one
run of three, with the note on the notebook repeated); the pages, reports and
gradebook come out the same bytes.
"""
from __future__ import annotations

from pathlib import Path

from autograder.frontends.grading import grade_class
from autograder.frontends.reports.classreport import write_report

from conftest import personal_answers, personal_notebook

ASSIGNMENT = "01-conv1d"
SEED = 8675309

EXIT_AT_TOP = "import os\nos._exit(0)\n"  # then the student's own answer
EXIT_IN_CALL = "import os\n\ndef conv1d(x, h):\n    os._exit(3)\n"
RAISES = "def conv1d(x, h):\n    return total / 0\n"


def _class(root: Path, course) -> None:
    """Each notebook as its student hands it in: their id and their own numbers' answers."""
    notebook = course.assignment(ASSIGNMENT).notebook

    def own(student: str, replacements: dict[str, str] | None = None) -> None:
        personal_notebook(course, ASSIGNMENT, student, root / student / ASSIGNMENT / notebook, replacements=replacements)

    for i in range(4):
        student = f"exits-{i}"
        own(student, {"by_hand_full": EXIT_AT_TOP + personal_answers(course, ASSIGNMENT, student)["by_hand_full"]})
    own("exits-in-call", {"conv1d": EXIT_IN_CALL})
    own("raises", {"conv1d": RAISES})
    for student in ("honest-a", "honest-b"):
        own(student)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "submissions.json"}


def test_three_runs_one_and_two_workers_give_the_same_bytes(tmp_path, course):
    submissions = tmp_path / "submitted"
    _class(submissions, course)
    runs = []
    for n, workers in enumerate((1, 2, 2)):
        output = tmp_path / f"run{n}"
        result = grade_class(submissions, ASSIGNMENT, output, course=course, workers=workers, seed=SEED)
        write_report([output], course=course)
        runs.append((result, _tree(output)))
    first_result, first = runs[0]
    assert any(name.startswith("report/") for name in first), sorted(first)
    for result, tree in runs[1:]:
        assert sorted(tree) == sorted(first)
        different = [name for name in first if tree[name] != first[name]]
        assert not different, different
    # what the learner who exited is told: the status their code exited with, once
    exits = next(e for e in first_result.reports["exits-0"]["exercises"] if e["id"] == "by_hand_full")
    assert "it exited with status 0 (sys.exit() or os._exit()" in exits["feedback"], exits["feedback"]
    assert exits["feedback"].count("it exited with status") == 2, exits["feedback"]  # the verdict, and one note on the notebook
    in_call = next(e for e in first_result.reports["exits-in-call"]["exercises"] if e["id"] == "conv1d")
    assert "it exited with status 3" in in_call["feedback"], in_call["feedback"]
