"""Late penalties from course.yml: the same points off in `autograder grade` and in `nbgrader autograde`.

Unit tests pin the rule (per day or hour, share or points, cap, grace, the
LMS `_late` marker) and the validation of timestamps and of course.yml's
keys; then one tiny course (01-conv1d, a late policy in its course.yml) is
graded for real both ways, from the same submitted/ folder with nbgrader's
timestamp.txt files, and the penalties must agree student by student.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.course import CourseError, load_course
from autograder.frontends.grading.late import LatePolicy, late_penalty_settings, lateness, parse_timestamp, read_timestamp

from conftest import ROOT, personal_submission

ASSIGNMENT = "01-conv1d"
COURSE_FILE = Path(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")
POLICY = {"per": "day", "penalty": "10%", "cap": "50%", "grace_minutes": 15}
DUE = "2027-01-15 23:59:00 UTC"
# student -> (timestamp.txt, started days late that count)
TIMESTAMPS = {
    "ontime": ("2027-01-15 20:00:00.000000 UTC", 0),
    "grace": ("2027-01-16 00:10:00.000000 UTC", 0),  # 11 minutes late, 15 of grace
    "oneday": ("2027-01-16 05:59:00.000000 UTC", 1),  # 6 hours late: one started day
    "threedays": ("2027-01-18 00:00:00.000000 UTC", 3),  # 2 days and 1 minute: three started days
    "capped": ("2027-02-15 12:00:00.000000 UTC", 31),  # a month late: the cap
    "paris": ("2027-01-16 01:30:00.000000 Europe/Paris", 1),  # 00:30 UTC: 31 minutes late
}


def penalty(days: int, max_score: float, score: float | None = None) -> float:
    """POLICY by hand: 10% of the points per started day, at most 50%, never more than the score."""
    score = max_score if score is None else score
    return round(min(days * 0.1 * max_score, 0.5 * max_score, score), 6)


# -- the rule ------------------------------------------------------------------------
def test_timestamps_are_dates_or_nothing():
    assert parse_timestamp("2027-01-14 10:00:00.000000 UTC").isoformat() == "2027-01-14T10:00:00+00:00"
    assert parse_timestamp("2027-01-14T10:00:00Z").hour == 10
    assert parse_timestamp("2027-01-14 10:00:00 +01:00").hour == 9
    assert parse_timestamp("2027-01-14 10:00 Europe/Paris").hour == 9
    assert parse_timestamp("2027-01-14 10:00:00") .hour == 10  # no zone: UTC, as nbgrader reads it
    for bad in ("", "not a date", "10", "yesterday", "2027-02-30 10:00:00", "2027-01-14 25:00:00",
                '=HYPERLINK("http://example.invalid")', "2027-01-14 10:00:00 Mars/Olympus", "2027-01-14 10:00:00 UTC\n=1+1", "9" * 500):
        assert parse_timestamp(bad) is None, bad
    kept, problem = read_timestamp("=cmd|' /C calc'!A0")
    assert kept == "" and "does not hold a date" in problem and "no late penalty" in problem
    assert read_timestamp("  2027-01-14 10:00:00.000000 UTC\n") == ("2027-01-14 10:00:00.000000 UTC", "")


def test_the_penalty_rule():
    policy = LatePolicy.from_settings(POLICY, max_score=8)
    assert (policy.per_unit, policy.cap, policy.grace_seconds) == (0.8, 4.0, 900.0)
    for stamp, days in TIMESTAMPS.values():
        got = lateness(policy, due=DUE, timestamp=stamp, score=8.0)
        assert got.penalty == penalty(days, 8), (stamp, got)
    assert [penalty(d, 8) for d in (0, 1, 3, 31)] == [0.0, 0.8, 2.4, 4.0]
    assert lateness(policy, due=DUE, timestamp=TIMESTAMPS["capped"][0], score=1.5).penalty == 1.5  # never more than the score
    assert lateness(policy, due=DUE, lms_late=True, score=8.0).penalty == 0.8  # the LMS said late, without a time
    assert lateness(policy, due=DUE, timestamp="", score=8.0).penalty == 0.0
    hourly = LatePolicy.from_settings({"per": "hour", "penalty": 0.5, "lms_late": 4}, max_score=8)
    assert hourly.penalty(8.0, 3 * 3600 + 1) == 2.0 and hourly.penalty(8.0, lms_late=True) == 2.0
    assert hourly.cap is None and hourly.penalty(3.0, 100 * 3600) == 3.0
    assert "10% per started day late, at most 50%, 15 minute(s) of grace" == policy.described


@pytest.mark.parametrize("late, message", [
    ({"per": "week", "penalty": "10%"}, "late.per should be day or hour"),
    ({"penalty": "ten percent"}, "late.penalty should be a share"),
    ({"penalty": "150%"}, "at most 100%"),
    ({"penalty": -1}, "late.penalty should be >= 0"),
    ({"per": "day"}, "late needs a penalty"),
    ({"penalty": "10%", "grace": 5}, "unknown key(s) grace"),
    ({"penalty": "10%", "grace_minutes": "soon"}, "grace_minutes should be a number"),
    ("10%", "late should be a mapping"),
])
def test_course_yml_late_keys_are_validated(tmp_path, late, message):
    with pytest.raises(CourseError, match=__import__("re").escape(message)):
        load_course(_course_file(tmp_path, late), validate=False)


def test_an_assignment_may_have_its_own_rule_and_nbgrader_gets_both(tmp_path):
    data = yaml.safe_load(COURSE_FILE.read_text())
    data["grading"]["late"] = POLICY
    data["assignments"][1]["late"] = {"per": "hour", "penalty": 1}
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    course = load_course(tmp_path / "course.yml", validate=False)
    settings = late_penalty_settings(course)
    assert settings[0][:3] == ("AssignLatePenalties", "plugin_class", "autograder.frontends.grading.late.CourseLatePenalty")
    policies = settings[1][2]
    assert policies[data["assignments"][0]["id"]]["unit"] == "day"
    assert policies[data["assignments"][1]["id"]] ["unit"] == "hour" and policies[data["assignments"][1]["id"]]["per_unit"] == 1.0
    from autograder.frontends.nbgrader.bridge import config_text

    assert "c.AssignLatePenalties.plugin_class = 'autograder.frontends.grading.late.CourseLatePenalty'" in config_text(course)
    data["grading"].pop("late")
    data["assignments"][1].pop("late")
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    assert late_penalty_settings(load_course(tmp_path / "course.yml", validate=False)) == []


def test_a_late_rule_needs_a_due_date_that_is_a_date(tmp_path):
    data = yaml.safe_load(COURSE_FILE.read_text())
    data["grading"]["late"] = POLICY
    data["assignments"][0]["due"] = "end of January"
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(CourseError, match="is not a date"):
        load_course(tmp_path / "course.yml", validate=False)


def _course_file(tmp_path: Path, late) -> Path:
    data = yaml.safe_load(COURSE_FILE.read_text())
    data["grading"]["late"] = late
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    return tmp_path / "course.yml"


# -- both graders, for real ----------------------------------------------------------
def _tiny_course(root: Path):
    """A course folder with only 01-conv1d, due DUE, and POLICY as its late rule."""
    data = yaml.safe_load(COURSE_FILE.read_text())
    data["grading"]["late"] = POLICY
    data["assignments"] = [a for a in data["assignments"] if a["id"] == ASSIGNMENT]
    data["assignments"][0]["due"] = DUE
    root.mkdir(parents=True)
    (root / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    course = load_course(root / "course.yml")
    a = course.assignment(ASSIGNMENT)
    source = COURSE_FILE.parent / "solutions" / ASSIGNMENT / a.notebook
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    shutil.copyfile(source, root / "solutions" / ASSIGNMENT / a.notebook)
    return course


@pytest.fixture(scope="module")
def graded_both_ways(tmp_path_factory):
    """(nbgrader's penalties, autograder grade's penalties, autograder's output folder), one submitted/ folder."""
    from autograder.frontends.cli import main
    from autograder.frontends.nbgrader import bridge

    root = tmp_path_factory.mktemp("late") / "course"
    course = _tiny_course(root)
    a = course.assignment(ASSIGNMENT)
    (root / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    log = []

    def run(*args):
        done = subprocess.run([*nbgrader, *args], cwd=root, capture_output=True, text=True, timeout=600)
        log.append(f"$ nbgrader {' '.join(args)}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, "\n".join(log)[-4000:]

    # generate_assignment in this process (nbgrader's own API; saves a start-up); autograde is the command,
    # which reads the nbgrader_config.py written above, late-penalty plugin included.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = bridge.nbgrader_config(course, root)
    generated = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).generate_assignment(ASSIGNMENT, force=True, create=True)
    assert generated.get("success"), generated
    bridge.sync_gradebook(course, f"sqlite:///{root / 'gradebook.db'}")
    released = root / "assignments" / ASSIGNMENT / a.notebook
    students = {student: (stamp, penalty(days, a.max_score)) for student, (stamp, days) in TIMESTAMPS.items()}
    students["untouched"] = (TIMESTAMPS["capped"][0], 0.0)  # late, but nothing to take off
    for student, (stamp, _) in students.items():
        target = root / "submitted" / student / ASSIGNMENT / a.notebook
        if student == "untouched":
            target.parent.mkdir(parents=True)
            shutil.copyfile(released, target)
        else:  # as the student answers it: their id, the on-paper exercise on their own numbers
            personal_submission(course, ASSIGNMENT, student, released, target)
        (target.parent / "timestamp.txt").write_text(stamp + "\n")
    run("autograde", ASSIGNMENT, "--force")
    with sqlite3.connect(root / "gradebook.db") as db:
        theirs = dict(db.execute(
            "SELECT student.id, COALESCE(submitted_notebook.late_submission_penalty, 0) FROM submitted_notebook "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id"))
    output = root / "hardened"
    assert main(["--course", str(root / "course.yml"), "grade", str(root / "submitted"), "-a", ASSIGNMENT, "-o", str(output), "-j", "2"]) == 0
    with open(output / "gradebook.csv", newline="") as handle:
        ours = {row["student_id"]: row for row in csv.DictReader(handle)}
    return theirs, ours, output, students, a.max_score


@pytest.mark.slow
def test_nbgrader_and_autograder_grade_take_the_same_points_off(graded_both_ways):
    theirs, ours, _, students, _ = graded_both_ways
    assert set(theirs) == set(ours) == set(students)
    for student, (_, want) in students.items():
        row = ours[student]
        assert float(row["late_submission_penalty"]) == pytest.approx(want), student
        assert float(theirs[student]) == pytest.approx(want), (student, theirs[student])
        assert float(row["score"]) == pytest.approx(float(row["raw_score"]) - want)
        assert row["timestamp"] == students[student][0]


@pytest.mark.slow
def test_the_penalty_is_shown_in_feedback_and_report(graded_both_ways):
    _, _, output, _, top = graded_both_ways
    three = penalty(3, top)
    markdown = (output / "feedback" / "threedays.md").read_text()
    assert f"Score: **{top - three:g} / {top:g}** points ({top:g} earned, {three:g} late penalty)" in markdown
    assert f"submitted 2 day(s) after the due date: {three:g} point(s) taken off (10% per started day late, at most 50%, 15 minute(s) of grace)" in markdown
    page = (output / "feedback" / "threedays.html").read_text()
    assert "Late penalty" in page and f"&minus;{three:g}" in page
    assert "Late:" not in (output / "feedback" / "ontime.md").read_text()
    summary = (output / "report" / "summary.md").read_text()
    assert "Late penalty: 10% per started day late, at most 50%, 15 minute(s) of grace." in summary
    assert "6 late." in summary  # after the due date: all but ontime (grace is late, within the grace period)
    manifest = json.loads((output / "submissions.json").read_text())["students"]
    assert manifest["capped"]["late_penalty"] == top / 2 and manifest["grace"]["late_penalty"] == 0.0


@pytest.mark.slow
def test_a_canvas_late_marker_counts_lms_late_days(tmp_path, graded_both_ways, capsys):
    from autograder.frontends.cli import main

    _, _, output, _, top = graded_both_ways
    root = output.parent
    download = tmp_path / "download"
    download.mkdir()
    # each hands in the release answered as they answer it (their id, their own numbers)
    course = load_course(root / "course.yml")
    released = root / "assignments" / ASSIGNMENT / "conv1d.ipynb"
    personal_submission(course, ASSIGNMENT, "smithjane", released, download / "smithjane_late_1234_5678_conv1d.ipynb")
    personal_submission(course, ASSIGNMENT, "doejohn", released, download / "doejohn_4321_8765_conv1d.ipynb")
    assert main(["--course", str(root / "course.yml"), "grade", str(download), "-a", ASSIGNMENT, "-o", str(tmp_path / "out"), "--no-report"]) == 0
    with open(tmp_path / "out" / "gradebook.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["smithjane"]["late_submission_penalty"]) == penalty(1, top) and float(rows["smithjane"]["score"]) == top - penalty(1, top)
    assert float(rows["doejohn"]["late_submission_penalty"]) == 0.0
    assert "marked late by the LMS" in (tmp_path / "out" / "feedback" / "smithjane.md").read_text()
