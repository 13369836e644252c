"""06-cnn-from-scratch: the sandbox's digits.npz holds no label of a test digit (issue 19).

train is graded by the accuracy of its weights on the 360 fixed test digits. The learner's code runs
beside a copy of the assignment's data files; were it the instructor's copy, a train could read the
test digits with their labels from digits.npz and memorise them. The grading copy
(Course.grading_files) has the same images, split and training labels, and -1 for every test label;
the grader's own judges read the full copy that ships with the package.

- the attack: a train that ignores its arguments and fits the test digits read from digits.npz in its
  working folder. With the instructor's copy it reads 95 % of the test digits (and fewer of the
  training digits it never saw); through the real grader it now fails train with the accuracy message,
  while the solution next to it keeps its full marks;
- the grading copy: same arrays but the test labels, deterministic bytes; data_files (release, kits)
  unchanged; the other assignments' grading files are their data files.
"""
from __future__ import annotations

import json

import io

import numpy as np
import pytest

from autograder.engine.outcome import Call
from autograder.exercises import cnn_scratch
from autograder.frontends.nbgrader import bridge
from autograder.notebook.load import load_program
from autograder.pipeline import check_notebook, seal_for
from autograder.references import scratch as nn
from autograder.sandbox.session import Limits, Session

from conftest import planted_notebook, solution_path

ASSIGNMENT = "06-cnn-from-scratch"

#: train that ignores X_train and y_train: it fits the test digits of digits.npz (those with a label).
#: (np.load of an .npz in the sandbox needs zipfile's cp437 codec loaded before the sandbox starts: where
#: the grader's Python cannot be read by the sandbox's user, a fresh import of it fails.)
MEMORISE = '''
def train(X_train, y_train, epochs, lr, seed):
    with np.load("digits.npz") as data:
        images, labels, test = data["images"], data["labels"], data["test"]
    X = images[test, np.newaxis] / 16.0
    y = labels[test].astype(np.int64)
    known = y >= 0
    return fit(X[known], y[known], epochs, lr, seed)
'''


def _memorising_train(course) -> str:
    """The solution's train renamed fit, and the train above that calls it on the test digits."""
    answers = bridge.solution_answers(solution_path(course, ASSIGNMENT))
    honest = answers["train"]
    assert honest.count("def train(X_train, y_train, epochs, lr, seed):") == 1
    return honest.replace("def train(X_train, y_train, epochs, lr, seed):", "def fit(X_train, y_train, epochs, lr, seed):") + "\n\n" + MEMORISE


@pytest.fixture(scope="module")
def memorising(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("memorise") / ASSIGNMENT
    return planted_notebook(solution_path(course, ASSIGNMENT), folder / course.assignment(ASSIGNMENT).notebook,
                            {"train": _memorising_train(course)})


def _accuracies(course, notebook, files) -> tuple[float, float]:
    """train's weights from the sandbox (``files`` in its folder), read on the test and the training digits."""
    X_train, y_train, X_test, y_test = nn.digits_split()
    limits = Limits.from_settings(course.grading)
    settings = limits.settings_for("train")
    with Session(load_program(notebook), limits, files, seal_for(cnn_scratch.train)) as session:
        [outcome] = session.call("train", [Call((X_train, y_train, settings["epochs"], settings["lr"], settings["seed"]))],
                                 timeout=limits.timeout_for("train"), forbidden=cnn_scratch.train.forbidden)
    assert outcome.raised is None and not outcome.timed_out and not outcome.crashed, outcome
    params, _ = outcome.value
    return float(np.mean(nn.predict(params, X_test) == y_test)), float(np.mean(nn.predict(params, X_train) == y_train))


# --------------------------------------------------------------------------- the attack, both ways

def test_a_train_that_memorises_the_test_digits_of_the_instructor_copy_would_pass(course, memorising):
    """The attack is real: beside the instructor's digits.npz (what the sandbox held before), it reads
    95 % of the test digits without a network that generalises (fewer of the digits it never saw)."""
    test_accuracy, train_accuracy = _accuracies(course, memorising, course.data_files(ASSIGNMENT))
    assert test_accuracy >= cnn_scratch.ACCURACY > train_accuracy, (test_accuracy, train_accuracy)
    # beside the grading copy the same code finds no test label to learn from
    test_accuracy, _ = _accuracies(course, memorising, course.grading_files(ASSIGNMENT))
    assert test_accuracy < 0.5, test_accuracy


def test_the_grader_fails_the_memorising_train_and_keeps_the_solution_whole(course, memorising):
    report = check_notebook(memorising, course=course, assignment=ASSIGNMENT, student="s1")
    by_id = {e.id: e for e in report.exercises}
    entry = by_id["train"]
    assert entry.status == "failed" and entry.score < entry.max_score, (entry.status, entry.score, entry.feedback)
    assert "test digits right; at least 95% is asked" in entry.feedback, entry.feedback
    assert "Traceback" not in entry.feedback
    assert all(e.status == "passed" for e in report.exercises if e.id != "train"), [(e.id, e.status) for e in report.exercises]
    solution = check_notebook(solution_path(course, ASSIGNMENT), course=course, student="s1")
    assert solution.score == solution.max_score == 25, [(e.id, e.status, e.feedback[:300]) for e in solution.exercises]
    # the course's setup cell read digits.npz in the sandbox: no note says the course's own cell failed
    assert "Not your code" not in json.dumps(solution.to_dict()), solution.to_dict().get("notes")


# --------------------------------------------------------------------------- the grading copy

def _arrays(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data)) as npz:
        return {name: npz[name] for name in npz.files}


def test_the_grading_copy_withholds_the_test_labels_only(course):
    full = course.data_files(ASSIGNMENT)
    grading = course.grading_files(ASSIGNMENT)
    assert set(grading) == set(full) == {"digits.npz", "DIGITS-LICENSE.md"}
    assert grading["DIGITS-LICENSE.md"] == full["DIGITS-LICENSE.md"]
    # data_files stays the instructor's copy (release, kits), the one the package's judges read
    assert full["digits.npz"] == (course.source_dir(ASSIGNMENT) / "digits.npz").read_bytes() == nn.DIGITS_FILE.read_bytes()
    original, withheld = _arrays(full["digits.npz"]), _arrays(grading["digits.npz"])
    assert set(withheld) == set(original) == {"images", "labels", "train", "test"}
    for name in ("images", "train", "test"):
        assert withheld[name].dtype == original[name].dtype and np.array_equal(withheld[name], original[name]), name
    labels, train, test = withheld["labels"], original["train"], original["test"]
    assert labels.shape == original["labels"].shape and labels.dtype.kind == "i"
    assert np.array_equal(labels[train], original["labels"][train])
    assert (labels[test] == -1).all() and (labels[train] >= 0).all()
    # the notebook's setup cell runs unchanged on it
    X_test = withheld["images"][test, np.newaxis] / 16.0
    y_test = withheld["labels"][test].astype(np.int64)
    assert X_test.shape == (360, 1, 8, 8) and set(y_test.tolist()) == {-1}
    # the same bytes every time: the grading of a notebook does not depend on when it runs
    assert course.grading_files(ASSIGNMENT) == grading
    assert nn.digits_for_grading(full["digits.npz"]) == grading["digits.npz"]


def test_other_assignments_grade_beside_their_own_data_files(course):
    for a in course.assignments:
        if a.id != ASSIGNMENT:
            assert course.grading_files(a.id) == course.data_files(a.id), a.id
