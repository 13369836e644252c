"""``autograder export --format canvas|csv GRADES_DIR...``: grades for an LMS.

**canvas** -- a CSV that Canvas's gradebook import (Grades > Import) accepts.
Canvas's importer (``GradebookImporter`` in canvas-lms) reads:

* a header row whose first columns are ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section`` (the first must contain "Student", the
  second "ID"; the last student column must be "Section"), then one column
  per assignment named ``Assignment name (canvas id)``; without a Canvas id
  the column is matched by its title, or creates a new assignment;
* a second row starting with ``Points Possible``, holding each assignment's
  points;
* one row per student, matched by ``ID`` (Canvas user id) first, then
  ``SIS User ID``, ``SIS Login ID``, then by name.

Where the ids come from: a Canvas download (``NAME_USERID_SUBMISSIONID_FILE``)
gives the Canvas user id, which ``autograder grade`` keeps; nbgrader's
student id goes to ``SIS Login ID``.  ``--roster`` takes Canvas's own
gradebook export (or any CSV with those columns) and fills name, ids and
section of each student it can match (by Canvas id, SIS Login ID, SIS User
ID, or the name as Canvas writes it in download file names: ``Smith, Jane`` ->
``smithjane``); the assignment column takes the Canvas id from the roster's
column of the same title, or from ``--canvas-id ASSIGNMENT=ID``.

**csv** -- a plain CSV: ``student_id``, ``lms_user_id``, then per assignment
its score (late penalty taken off), then ``total`` and ``max_score``.

Scores are the final ones (raw score minus the late penalty).  Every text
cell is neutralised against CSV injection (:func:`..grading.gradebook.csv_safe`).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..grading.gradebook import csv_safe
from .classreport import Grades, load_grades

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_ROW = "Points Possible"
_TITLE_ID = re.compile(r"^(?P<title>.*?)\s*\((?P<id>\d+)\)\s*$")


class ExportError(ValueError):
    """The export cannot be made as asked."""


def _num(x: float) -> str:
    x = round(float(x), 4)
    return f"{int(x)}" if x == int(x) else f"{x}"


def canvas_key(name: str) -> str:
    """A name the way Canvas writes it in download file names (``Smith, Jane`` -> ``smithjane``)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_roster(path: str | Path) -> tuple[list[dict], dict[str, str]]:
    """(students, assignment title -> Canvas id) from a Canvas gradebook export or a CSV with its columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportError(f"cannot read the roster {path}: {exc}") from None
    if not rows or not ({"Student", "ID"} <= set(rows[0]) or "SIS Login ID" in rows[0]):
        raise ExportError(f"{path} is not a Canvas gradebook export: it needs the columns Student and ID (or SIS Login ID)")
    ids = {}
    for header in rows[0]:
        match = _TITLE_ID.match(header or "")
        if match:
            ids[match["title"].strip()] = match["id"]
    students = [r for r in rows if (r.get("Student") or "").strip() and POINTS_ROW not in (r.get("Student") or "")
                and "Test Student" not in (r.get("Student") or "")]
    return students, ids


def _match(student: str, lms_id: str, roster: list[dict]) -> dict | None:
    for key, value in (("ID", lms_id), ("SIS Login ID", student), ("SIS User ID", student), ("ID", student)):
        if value:
            for row in roster:
                if (row.get(key) or "").strip() == value:
                    return row
    key = canvas_key(student)
    found = [row for row in roster if canvas_key(row.get("Student") or "") == key]
    return found[0] if len(found) == 1 else None


def _grades(dirs, course) -> list[Grades]:
    grades = [load_grades(d, course) for d in dirs]
    seen = set()
    for g in grades:
        if g.assignment in seen:
            raise ExportError(f"two grade folders hold {g.assignment}; give each assignment once")
        seen.add(g.assignment)
    return grades


def _title(g: Grades, course) -> str:
    if course is not None:
        try:
            return course.assignment(g.assignment).title
        except Exception:
            pass
    return g.assignment


def canvas_csv(dirs, *, course=None, roster: str | Path | None = None, canvas_ids: dict[str, str] | None = None) -> str:
    """The text of a Canvas gradebook import file (see the module docstring)."""
    grades = _grades(dirs, course)
    students_roster, roster_ids = read_roster(roster) if roster else ([], {})
    canvas_ids = dict(canvas_ids or {})
    columns = []
    for g in grades:
        title = _title(g, course)
        cid = canvas_ids.get(g.assignment) or roster_ids.get(title) or roster_ids.get(g.assignment)
        columns.append(f"{title} ({cid})" if cid else title)
    max_scores = [max(float(r["max_score"]) for r in g.reports.values()) for g in grades]
    people: dict[str, dict] = {}
    for g in grades:
        for student in g.reports:
            lms = str(g.entry(student).get("lms_user_id") or "")
            person = people.setdefault(student, {"lms": ""})
            person["lms"] = person["lms"] or lms
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CANVAS_COLUMNS + [csv_safe(c) for c in columns])
    writer.writerow([POINTS_ROW, "", "", "", ""] + [_num(m) for m in max_scores])
    for student in sorted(people):
        row = _match(student, people[student]["lms"], students_roster) if students_roster else None
        if row is not None:
            name, cid, sis_user, sis_login, section = (row.get(k, "") or "" for k in CANVAS_COLUMNS)
        else:
            name, cid, sis_user, sis_login, section = student, people[student]["lms"], "", "" if people[student]["lms"] else student, ""
        scores = [_num(g.final_score(student)) if student in g.reports else "" for g in grades]
        writer.writerow([csv_safe(name), csv_safe(cid), csv_safe(sis_user), csv_safe(sis_login), csv_safe(section)] + scores)
    return out.getvalue()


def plain_csv(dirs, *, course=None) -> str:
    grades = _grades(dirs, course)
    students = sorted({s for g in grades for s in g.reports})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", "lms_user_id"] + [csv_safe(g.assignment) for g in grades] + ["total", "max_score"])
    total_max = sum(max(float(r["max_score"]) for r in g.reports.values()) for g in grades)
    for student in students:
        lms = next((str(g.entry(student).get("lms_user_id") or "") for g in grades if g.entry(student).get("lms_user_id")), "")
        scores = [g.final_score(student) if student in g.reports else None for g in grades]
        writer.writerow([csv_safe(student), csv_safe(lms)] + ["" if x is None else _num(x) for x in scores]
                        + [_num(sum(x for x in scores if x is not None)), _num(total_max)])
    return out.getvalue()


def export(dirs, fmt: str, *, course=None, roster=None, canvas_ids=None) -> str:
    if fmt == "canvas":
        return canvas_csv(dirs, course=course, roster=roster, canvas_ids=canvas_ids)
    if fmt == "csv":
        return plain_csv(dirs, course=course)
    raise ExportError(f"unknown export format {fmt!r}: canvas or csv")
