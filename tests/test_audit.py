"""`autograder audit`: every exercise where nbgrader awarded more than the hardened grader.

The hardened grades come from grading a small class (a correct notebook, one
that echoes its inputs back and passes only the worked examples, an untouched
release); nbgrader's grades are written into a real gradebook database with
nbgrader's own API, the way a fooled nbgrader would have recorded them.
"""
from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import warnings

import pytest

from autograder.frontends.grading import grade_class
from autograder.frontends.grading.audit import AuditError, audit

from conftest import personal_notebook
from test_grading import ASSIGNMENT, ECHO_CONV1D, SEED, release_notebook


@pytest.fixture(scope="module")
def points(course) -> dict[str, float]:
    return {ex: float(p) for ex, p in course.assignment(ASSIGNMENT).points.items()}


@pytest.fixture(scope="module")
def nbgrader_scores(points) -> dict[str, dict[str, float]]:
    """What a fooled nbgrader gave: full marks to the echo notebook, a point for an untouched one."""
    untouched = {ex: 0.0 for ex in points} | {"by_hand_full": 1.0}
    return {"ada": dict(points), "echo": dict(points), "cy": untouched, "zed": dict(untouched)}  # zed: no hardened report


def _echo(hardened) -> dict[str, float]:
    """The hardened grader's score for each exercise of the echo notebook."""
    report = json.loads(next((hardened / "hardened" / "reports").glob("echo*.json")).read_text())
    return {e["id"]: e["score"] for e in report["exercises"]}


@pytest.fixture(scope="module")
def hardened(tmp_path_factory, request):
    course = request.getfixturevalue("course")
    root = tmp_path_factory.mktemp("audit")
    submissions = root / "submitted"
    # each as its student hands it in: their id and their own numbers' answers
    personal_notebook(course, ASSIGNMENT, "ada", submissions / "ada" / ASSIGNMENT / "conv1d.ipynb")
    personal_notebook(course, ASSIGNMENT, "echo", submissions / "echo" / ASSIGNMENT / "conv1d.ipynb", replacements={"conv1d": ECHO_CONV1D})
    release_notebook(course, submissions / "cy" / ASSIGNMENT / "conv1d.ipynb")
    result = grade_class(submissions, ASSIGNMENT, root / "hardened", course=course, workers=2, seed=SEED)
    total = course.assignment(ASSIGNMENT).max_score
    scores = {s: r["score"] for s, r in result.reports.items()}
    assert scores["ada"] == total and scores["cy"] == 0.0 and 0 < scores["echo"] < total, scores
    echo = {e["id"]: e for e in result.reports["echo"]["exercises"]}
    # The echo passes the worked examples only: at most partial credit for conv1d (none unless one of its own
    # hidden cases happens to be one an echo gets right), nothing for conv1d_mode, which needs it.
    assert echo["conv1d"]["status"] == "failed" and echo["conv1d"]["score"] < echo["conv1d"]["max_score"]
    assert echo["conv1d_mode"]["status"] == "failed" and echo["conv1d_mode"]["score"] == 0.0
    return root


@pytest.fixture(scope="module")
def gradebook_db(hardened, points, nbgrader_scores):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        return _write_gradebook(Gradebook, hardened, points, nbgrader_scores)


def _write_gradebook(Gradebook, hardened, points, nbgrader_scores):
    path = hardened / "gradebook.db"
    warnings.simplefilter("ignore")  # nbgrader's add_submission triggers SQLAlchemy autoflush warnings
    gb = Gradebook(f"sqlite:///{path}", course_id="convolutions")
    try:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook("conv1d", ASSIGNMENT)
        for exercise, most in points.items():
            gb.add_grade_cell(f"check_{exercise}", "conv1d", ASSIGNMENT, max_score=most, cell_type="code")
        for student, scores in nbgrader_scores.items():
            gb.add_student(student)
            gb.add_submission(ASSIGNMENT, student)
            for exercise, score in scores.items():
                gb.find_grade(f"check_{exercise}", "conv1d", ASSIGNMENT, student).auto_score = score
        gb.db.commit()
    finally:
        gb.close()
    return path


def test_database_per_exercise(hardened, gradebook_db, points):
    before = hashlib.sha256(gradebook_db.read_bytes()).hexdigest()
    findings, note = audit(gradebook_db, hardened / "hardened")
    assert "per exercise" in note
    got = {(f.student, f.exercise): (f.nbgrader, f.hardened, f.status) for f in findings}
    assert got == {
        ("echo", "conv1d"): (points["conv1d"], _echo(hardened)["conv1d"], "failed"),
        ("echo", "conv1d_mode"): (points["conv1d_mode"], 0.0, "failed"),
        ("cy", "by_hand_full"): (1.0, 0.0, "not-implemented"),
        ("zed", "by_hand_full"): (1.0, None, "no report"),
    }
    echo = next(f for f in findings if (f.student, f.exercise) == ("echo", "conv1d"))
    assert "hidden check" in echo.reason  # the hardened grader's own feedback is the reason
    assert hashlib.sha256(gradebook_db.read_bytes()).hexdigest() == before, "the audit changed nbgrader's database"


def test_export_csv_compares_totals_and_says_so(hardened, tmp_path, points, nbgrader_scores):
    path = tmp_path / "grades.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                         "raw_score", "late_submission_penalty", "score", "max_score"])
        for student, scores in nbgrader_scores.items():
            total = sum(scores.values())
            writer.writerow([ASSIGNMENT, "", "", student, "", "", "", total, 0.0, total, sum(points.values())])
    findings, note = audit(path, hardened / "hardened", assignment=ASSIGNMENT)
    assert "only per-assignment totals" in note
    got = {f.student: (f.exercise, f.nbgrader, f.hardened) for f in findings}
    echo_scores = _echo(hardened)
    assert got == {"echo": (None, sum(points.values()), sum(echo_scores.values())), "cy": (None, 1.0, 0.0), "zed": (None, 1.0, None)}
    echo = next(f for f in findings if f.student == "echo")
    assert f"conv1d (failed, {echo_scores['conv1d']:g}/{points['conv1d']:g})" in echo.reason, echo.reason
    assert f"conv1d_mode (failed, 0/{points['conv1d_mode']:g})" in echo.reason, echo.reason


def test_the_hardened_grades_of_the_class_itself_agree_with_themselves(hardened, tmp_path):
    """An nbgrader export that agrees with the hardened grades gives no finding."""
    path = tmp_path / "same.csv"
    reports = [json.loads(p.read_text()) for p in (hardened / "hardened" / "reports").glob("*.json")]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student_id", "raw_score", "score", "max_score"])
        for r in reports:
            writer.writerow([ASSIGNMENT, r["student"], r["score"], r["score"], r["max_score"]])
    assert audit(path, hardened / "hardened")[0] == []


def test_cli_audit(hardened, gradebook_db, points):
    done = subprocess.run([sys.executable, "-m", "autograder", "audit", str(gradebook_db), "--grades", str(hardened / "hardened")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "4 place(s) where nbgrader awarded more" in done.stdout
    most = points["conv1d_mode"]
    assert f"- echo · 01-conv1d · conv1d_mode: nbgrader {most:g}, hardened 0 (of {most:g}); failed" in done.stdout, done.stdout
    as_json = subprocess.run([sys.executable, "-m", "autograder", "audit", str(gradebook_db), "--grades", str(hardened / "hardened"), "--json"],
                             capture_output=True, text=True, timeout=120)
    assert len(json.loads(as_json.stdout)["findings"]) == 4


def test_bad_inputs_are_clear_errors(hardened, tmp_path):
    with pytest.raises(AuditError, match="no nbgrader gradebook"):
        audit(tmp_path / "missing.db", hardened / "hardened")
    with pytest.raises(AuditError, match="no hardened grades"):
        audit(hardened / "gradebook.db", tmp_path / "nothing")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(AuditError, match="not the CSV of nbgrader export"):
        audit(tmp_path / "other.csv", hardened / "hardened")
