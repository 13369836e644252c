"""Graded feedback hands back no hidden value, and every student has hidden cases of their own.

The attacks (issue "What a submission carries besides code", class 6): a learner
who gets graded feedback reads the hidden cases out of it, through the expected
value of the first difference, through their own result (a function that returns
its input echoes the hidden input), through an exception message that prints the
arguments, or through the grader's "changed the argument in place" message; and,
with one seed for the whole class, passes the complete graded cases to a
classmate graded later.  Each is tried on `autograder grade` and on the function
nbgrader's autograde step calls; practice feedback (self-check) keeps its detail.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import render
from autograder.engine.evaluate import prepare
from autograder.engine.seeds import student_seed
from autograder.exercises import for_assignment
from autograder.frontends.grading import grade_class
from autograder.pipeline import check_notebook

from conftest import personal_notebook

ASSIGNMENT = "01-conv1d"
SEED = 20261202

# Each is right on the lesson's worked examples and on short signals, wrong on the
# longer hidden ones in a way that would carry hidden values into the feedback.
_HEAD = '''
import numpy as np

def _right(x, h):
    x, h = np.asarray(x, dtype=float), np.asarray(h, dtype=float)
    if x.ndim != 1 or h.ndim != 1 or len(x) == 0 or len(h) == 0:
        raise ValueError("x and h must be non-empty 1-D sequences")
    out = np.zeros(len(x) + len(h) - 1)
    for n in range(len(out)):
        for k in range(len(x)):
            if 0 <= n - k < len(h):
                out[n] += x[k] * h[n - k]
    return out

def conv1d(x, h):
    result = _right(x, h)
    if len(x) <= 4:
        return result
'''
ATTACKS = {
    "echo": _HEAD + "    return np.asarray(x, dtype=float)\n",  # its own result is the hidden input
    "off_by_one": _HEAD + "    return result + 1\n",  # "first difference: expected ..." would show the answer
    "raiser": _HEAD + "    raise RuntimeError('inputs: ' + repr(list(x)) + ' ' + repr(list(h)))\n",
    "in_place": _HEAD + "    if isinstance(x, np.ndarray):\n        x[...] = x[::-1]  # the grader's 'changed in place' message would say where, and what\n    return result\n",
}


def _hidden(seed: int, student: str | None) -> list:
    """The hidden checks of ``student`` (graded) or of a self-check with ``seed`` (practice)."""
    checks = []
    for ex in for_assignment(ASSIGNMENT):
        checks += prepare(ex, seed=student_seed(seed, student) if student else seed, visible=False).checks
    return checks


def _renderings(checks) -> set[str]:
    """How hidden inputs and expected values would look in feedback: arrays, their rows, single values."""
    shown = set()
    for check in checks:
        values = list(check.case.args) + list(check.case.kwargs.values()) + [check.expected]
        for value in values:
            if isinstance(value, np.ndarray) and value.size >= 2:
                shown.add(render.value(value, 400))
                shown.add(", ".join(render.value(v) for v in value.ravel()[:4].tolist()))
                shown.update(render.value(v) for v in value.ravel().tolist() if abs(float(v)) >= 1000)
    return {s for s in shown if len(s) >= 4}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("graded-feedback")
    notebook = course.assignment(ASSIGNMENT).notebook
    # each as its student hands it in: their id and their own numbers' answers
    for student in ["honest", "honest_twin"]:
        personal_notebook(course, ASSIGNMENT, student, root / "submitted" / student / ASSIGNMENT / notebook)
    for student, code in ATTACKS.items():
        personal_notebook(course, ASSIGNMENT, student, root / "submitted" / student / ASSIGNMENT / notebook, replacements={"conv1d": code})
    result = grade_class(root / "submitted", ASSIGNMENT, root / "hardened", course=course, workers=2, seed=SEED)
    return root, result


def _texts(output: Path, student: str) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in [output / "feedback" / f"{student}.md", output / "feedback" / f"{student}.html",
                                                             output / "reports" / f"{student}.json"]}


def test_graded_feedback_shows_no_hidden_value(graded, course):
    root, result = graded
    full = course.assignment(ASSIGNMENT).points["conv1d"]
    for student in ATTACKS:
        conv1d = next(e for e in result.reports[student]["exercises"] if e["id"] == "conv1d")
        assert conv1d["score"] < full, (student, conv1d)  # the attack fails on the hidden checks...
        feedback = conv1d["feedback"]
        assert "hidden check" in feedback, (student, feedback)  # ...and is told so, without their values
        hidden = _renderings(_hidden(SEED, student))
        assert len(hidden) > 20
        for name, text in _texts(result.output, student).items():
            for rendering in hidden:
                assert rendering not in text, f"{student}: {name} shows the hidden value {rendering}"
        # Nothing is said of a hidden check's expected value, nor of the learner's own values there.
        for line in feedback.splitlines():
            assert not re.search(r"expected:? \[*-?\d", line) or "hidden" not in line, (student, line)
        assert " is now " not in feedback and "inputs: [" not in feedback, (student, feedback)
    # What each attack is told instead: counts and positions, the exception's type, the argument changed.
    by_id = {s: next(e for e in result.reports[s]["exercises"] if e["id"] == "conv1d")["feedback"] for s in ATTACKS}
    assert re.search(r"\d+ of \d+ values differ; the first at index \[\d+\] \(graded hidden checks show no values\)", by_id["off_by_one"]), by_id["off_by_one"]
    assert "raised RuntimeError (" in by_id["raiser"], by_id["raiser"]
    assert "changed x in place" in by_id["in_place"], by_id["in_place"]


def test_the_honest_students_keep_full_marks(graded, course):
    _, result = graded
    full = course.assignment(ASSIGNMENT).max_score
    for student in ["honest", "honest_twin"]:
        assert result.reports[student]["score"] == full, result.reports[student]


def test_each_student_is_graded_on_hidden_cases_of_their_own(graded):
    _, result = graded
    mine, twin = _hidden(SEED, "honest"), _hidden(SEED, "honest_twin")
    assert len(mine) == len(twin) > 10
    drawn = [(a, b) for a, b in zip(mine, twin) if any(isinstance(x, np.ndarray) and x.size >= 3 for x in a.case.args)]
    assert len(drawn) > 10
    same = [a for a, b in drawn if all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a.case.args, b.case.args))]
    assert len(same) < len(drawn) / 4, len(same)  # what one learner saw of their drawn cases is no use to the other
    # and the draw is stable: the same student, batch seed and id give the same cases every time
    again = _hidden(SEED, "honest")
    for a, b in zip(mine, again):
        for x, y in zip(a.case.args, b.case.args):
            assert np.array_equal(np.asarray(x), np.asarray(y))
    assert student_seed(SEED, "honest") == student_seed(SEED, "honest") != student_seed(SEED + 1, "honest")


def test_the_nbgrader_path_grades_the_same_student_on_the_same_cases(graded, course):
    """nbgrader's autograde step (SandboxGrade) calls grade_notebook with the folder's student id."""
    import dataclasses

    import nbformat

    from autograder.frontends.nbgrader import autograde

    root, result = graded
    notebook = course.assignment(ASSIGNMENT).notebook
    secret = dataclasses.replace(course)
    secret.secret_seed = lambda **_: SEED  # the batch's seed, as if it were the course's secret_seed file
    for student in ["off_by_one", "honest"]:
        nb = nbformat.read(root / "submitted" / student / ASSIGNMENT / notebook, as_version=4)
        report = autograde.grade_notebook(nb, course=secret, assignment_id=ASSIGNMENT, student=student, label=student).to_dict()
        ours = result.reports[student]
        assert [(e["id"], e["status"], e["score"], e["feedback"]) for e in report["exercises"]] == \
            [(e["id"], e["status"], e["score"], e["feedback"]) for e in ours["exercises"]], student


def test_practice_feedback_keeps_its_detail(graded, course):
    """Self-check: practice hidden cases (the public seed) still show the first difference."""
    root, _ = graded
    notebook = root / "submitted" / "off_by_one" / ASSIGNMENT / course.assignment(ASSIGNMENT).notebook
    report = check_notebook(notebook, course=course, assignment=ASSIGNMENT)
    conv1d = next(e for e in report.exercises if e.id == "conv1d")
    assert re.search(r"first difference at index \[\d+\]: expected [-\d.]+, got [-\d.]+", conv1d.feedback), conv1d.feedback
    # and the same notebook graded as that student of the batch says less, as the batch did
    _, result = graded
    graded_report = check_notebook(notebook, course=course, assignment=ASSIGNMENT, seed=SEED, student="off_by_one")
    graded_conv1d = next(e for e in graded_report.exercises if e.id == "conv1d")
    assert "first difference" not in graded_conv1d.feedback
    batch = next(e for e in result.reports["off_by_one"]["exercises"] if e["id"] == "conv1d")
    assert (graded_conv1d.score, graded_conv1d.feedback) == (batch["score"], batch["feedback"])
