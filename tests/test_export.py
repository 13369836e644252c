"""`autograder export`: a Canvas gradebook import file, and a plain CSV.

The grade folders are written here by hand (JSON reports and the
submissions.json that `autograder grade` writes), so these tests are fast.
The Canvas file is read back with the rules of Canvas's own importer
(canvas-lms, app/models/gradebook_importer.rb): a header whose first column
contains "Student" and second "ID", then "SIS User ID" and "SIS Login ID",
the last student column "Section"; assignment columns "Title (id)"; a row
starting "Points Possible"; students matched by Canvas id, SIS ids or name.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from autograder.frontends.grading.gradebook import FORMULA_START
from autograder.frontends.grading.store import safe_name
from autograder.frontends.reports.export import CANVAS_COLUMNS, ExportError, canvas_csv, canvas_key, plain_csv

TITLES = {"01-conv1d": "Convolution in one dimension", "02-conv2d": "Convolution in two dimensions"}


def _report(student: str, assignment: str, score: float, max_score: float) -> dict:
    return {"student": student, "notebook": f"{student}.ipynb", "assignment": assignment, "score": score, "max_score": max_score,
            "exercises": [{"id": "x", "status": "passed" if score == max_score else "failed", "score": score, "max_score": max_score,
                           "feedback": "", "misconception": None}]}


def _grades(root: Path, assignment: str, students: dict[str, tuple[float, float, dict]]) -> Path:
    """A grade folder: student -> (score, max_score, manifest fields)."""
    (root / "reports").mkdir(parents=True)
    manifest = {}
    for student, (score, max_score, extra) in students.items():
        (root / "reports" / f"{safe_name(student)}.json").write_text(json.dumps(_report(student, assignment, score, max_score)))
        manifest[student] = {"file": safe_name(student), "lms_user_id": "", "lms_late": False, "late_penalty": 0.0, **extra}
    (root / "submissions.json").write_text(json.dumps({"assignment": assignment, "students": manifest}))
    return root


@pytest.fixture
def two_assignments(tmp_path):
    one = _grades(tmp_path / "one", "01-conv1d", {
        "smithjane": (8.0, 8.0, {"lms_user_id": "1234", "lms_late": True, "late_penalty": 0.8}),
        "alice": (5.5, 8.0, {}),
        "=HYPERLINK(1)": (3.0, 8.0, {}),
    })
    two = _grades(tmp_path / "two", "02-conv2d", {"smithjane": (10.0, 10.0, {"lms_user_id": "1234"}), "bob": (2.25, 10.0, {})})
    return one, two


class _Course:
    title = "Convolutions"

    def assignment(self, assignment_id):
        return type("A", (), {"id": assignment_id, "title": TITLES[assignment_id]})()


def read_as_canvas(text: str) -> tuple[list[tuple[str, str | None]], dict[str, float], list[dict]]:
    """(assignments (title, id), points possible, students) the way Canvas's GradebookImporter reads the file."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], header
    student_columns = 3
    if re.match(r"SIS\s+User\s+ID", header[2]) and re.match(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    assert "Section" in header[student_columns - 1], header
    assignments = []
    for name in header[student_columns:]:
        match = re.match(r"^(.*)\s*\((\d+)\)\s*$", name)
        assignments.append((match[1].strip(), match[2]) if match else (name, None))
    points, students = {}, []
    for row in rows[1:]:
        assert len(row) == len(header), row
        if "Points Possible" in row[0]:
            points = {a[0]: float(v) for a, v in zip(assignments, row[student_columns:])}
            continue
        students.append({"name": row[0], "id": row[1], "sis_user": row[2], "sis_login": row[3], "section": row[4],
                         "scores": {a[0]: (float(v) if v else None) for a, v in zip(assignments, row[student_columns:])}})
    return assignments, points, students


def test_canvas_file_has_canvas_columns_points_and_final_scores(two_assignments):
    text = canvas_csv(two_assignments, course=_Course(), canvas_ids={"01-conv1d": "111"})
    assert next(csv.reader(io.StringIO(text)))[:5] == CANVAS_COLUMNS == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assignments, points, students = read_as_canvas(text)
    assert assignments == [("Convolution in one dimension", "111"), ("Convolution in two dimensions", None)]
    assert points == {"Convolution in one dimension": 8.0, "Convolution in two dimensions": 10.0}
    by_name = {s["name"]: s for s in students}
    jane = by_name["smithjane"]
    assert jane["id"] == "1234" and jane["sis_login"] == ""  # Canvas matches by its own user id first
    assert jane["scores"] == {"Convolution in one dimension": 7.2, "Convolution in two dimensions": 10.0}  # the late penalty taken off
    assert by_name["alice"]["sis_login"] == "alice" and by_name["alice"]["id"] == ""  # nbgrader ids: matched by SIS Login ID
    assert by_name["alice"]["scores"] == {"Convolution in one dimension": 5.5, "Convolution in two dimensions": None}
    assert by_name["bob"]["scores"]["Convolution in two dimensions"] == 2.25
    assert not [c for row in csv.reader(io.StringIO(text)) for c in row if c.startswith(FORMULA_START)]
    assert by_name["'=HYPERLINK(1)"]["sis_login"] == "'=HYPERLINK(1)"
    assert text.endswith("\r\n")


def test_a_canvas_roster_gives_names_ids_sections_and_the_assignment_id(two_assignments, tmp_path):
    roster = tmp_path / "canvas-export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Convolution in one dimension (4242),Current Score\n"
        "    Points Possible,,,,,8.00,(read only)\n"
        '"Smith, Jane",1234,S-001,jsmith,Section A,,\n'
        '"Liddell, Alice",5678,S-002,alice,Section B,,\n'
        '"Builder, Bob",9012,S-003,bbuilder,Section A,,\n'
        "Test Student,9999,,,,,\n", encoding="utf-8")
    text = canvas_csv(two_assignments, course=_Course(), roster=roster)
    assignments, _, students = read_as_canvas(text)
    assert assignments[0] == ("Convolution in one dimension", "4242")
    by_login = {s["sis_login"]: s for s in students}
    assert by_login["jsmith"]["name"] == "Smith, Jane" and by_login["jsmith"]["id"] == "1234" and by_login["jsmith"]["section"] == "Section A"
    assert by_login["alice"]["name"] == "Liddell, Alice" and by_login["alice"]["sis_user"] == "S-002"
    assert "bob" in by_login  # not in the roster under that id: left for Canvas to match (or not) by SIS Login ID
    assert canvas_key("Smith, Jane") == "smithjane"


def test_plain_csv(two_assignments):
    rows = list(csv.DictReader(io.StringIO(plain_csv(two_assignments))))
    assert list(rows[0]) == ["student_id", "lms_user_id", "01-conv1d", "02-conv2d", "total", "max_score"]
    by_id = {r["student_id"]: r for r in rows}
    assert by_id["smithjane"] == {"student_id": "smithjane", "lms_user_id": "1234", "01-conv1d": "7.2", "02-conv2d": "10", "total": "17.2", "max_score": "18"}
    assert by_id["alice"]["02-conv2d"] == "" and by_id["alice"]["total"] == "5.5"
    assert "'=HYPERLINK(1)" in by_id


def test_export_command(two_assignments, tmp_path, capsys):
    from autograder.frontends.cli import main

    out = tmp_path / "canvas.csv"
    assert main(["export", "--format", "canvas", "--canvas-id", "01-conv1d=77", "-o", str(out), *map(str, two_assignments)]) == 0
    assert read_as_canvas(out.read_text())[0][0][1] == "77"
    assert main(["export", "--canvas-id", "01-conv1d=seventy", *map(str, two_assignments)]) == 2
    assert "ASSIGNMENT=ID" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nowhere")]) == 2
    with pytest.raises(ExportError, match="two grade folders hold 01-conv1d"):
        canvas_csv([two_assignments[0], two_assignments[0]])
