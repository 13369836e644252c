"""The class roster a learner kit is built with (``build-kit --roster FILE``, ``--roster-gradebook [DB_URL]``).

A kit built with a roster checks each rostered student's on-paper answers for
their own numbers (:mod:`.compile`); the ids themselves never go into it.

- a roster file: one id a line (blank lines and ``#`` comments ignored), or a
  CSV file whose header has a column named ``id``, ``student``, ``student_id``
  or ``username`` (any case);
- nbgrader's gradebook: the ids of its students (default: the course's
  gradebook, ``gradebook.db`` beside course.yml).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ...course import Course, CourseError
from ...notebook.student import clean_id

#: Header names of a CSV roster's id column (compared without case or surrounding spaces).
ID_COLUMNS = ("id", "student", "student_id", "username")


def read_roster(path: str | Path, option: str = "--roster") -> list[str]:
    """The student ids of a roster file, in order, each once."""
    path = Path(path)
    where = f"{option} {path}"
    if not path.exists():
        raise CourseError(f"{where}: no such file")
    if path.is_dir():
        raise CourseError(f"{where}: is a folder, not a roster file (one student id a line, or a CSV with an id column)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"{where}: cannot be read ({type(exc).__name__}: {exc})") from None
    lines = [line.strip() for line in text.splitlines()]
    content = [line for line in lines if line and not line.startswith("#")]
    if content and ("," in content[0] or "\t" in content[0] or content[0].strip().lower() in ID_COLUMNS):
        ids = _csv_ids(content, where)
    else:
        ids = []
        for number, line in enumerate(lines, 1):
            if not line or line.startswith("#"):
                continue
            student = clean_id(line)
            if student is None:
                raise CourseError(f"{where}: line {number} is not a student id ({line[:60]!r})")
            ids.append(student)
    if not ids:
        raise CourseError(f"{where}: no student ids in it (one id a line, or a CSV whose header has a column "
                          f"named {', '.join(ID_COLUMNS)})")
    return list(dict.fromkeys(ids))


def _csv_ids(content: list[str], where: str) -> list[str]:
    dialect = csv.excel_tab if "\t" in content[0] and "," not in content[0] else csv.excel
    rows = list(csv.reader(io.StringIO("\n".join(content)), dialect))
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in ID_COLUMNS if name in header), None)
    if column is None:
        raise CourseError(f"{where}: no id column: its header ({', '.join(rows[0])[:120]}) has no column named "
                          f"{', '.join(ID_COLUMNS)}")
    ids = []
    for number, row in enumerate(rows[1:], 2):
        value = row[column].strip() if column < len(row) else ""
        if not value:
            continue  # a student without an id in the export: nothing to draw numbers from
        student = clean_id(value)
        if student is None:
            raise CourseError(f"{where}: row {number} has no valid student id ({value[:60]!r})")
        ids.append(student)
    return ids


def gradebook_roster(course: Course, db_url: str | None = None) -> list[str]:
    """The ids of the students in nbgrader's gradebook (``db_url``, default the course's)."""
    from ..nbgrader.bridge import default_db_url

    db_url = db_url or default_db_url(course)
    where = f"--roster-gradebook {db_url}"
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        # nbgrader's Gradebook would create an empty database here: say that there is none
        raise CourseError(f"{where}: no such file (the gradebook is made by nbgrader, e.g. `autograder sync-gradebook`, "
                          "and students by `nbgrader db student add`)")
    from nbgrader.api import Gradebook

    try:
        with Gradebook(db_url, course_id=course.id) as gb:
            found = [s.id for s in gb.students]
    except Exception as exc:  # sqlalchemy / nbgrader errors: one clear line
        raise CourseError(f"{where}: cannot read the gradebook ({type(exc).__name__}: {exc})") from None
    ids = [student for student in (clean_id(s) for s in found) if student]
    if not ids:
        raise CourseError(f"{where}: no students in the gradebook (add them with `nbgrader db student add ID` or "
                          "`nbgrader db student import FILE.csv`)")
    return sorted(dict.fromkeys(ids))
