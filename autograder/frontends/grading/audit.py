"""``autograder audit``: where did nbgrader award more than the hardened grader?

nbgrader's grades come from its gradebook database (``gradebook.db``, read
with :class:`nbgrader.api.Gradebook` on a private copy, so the instructor's
database is never touched) or from the CSV of ``nbgrader export``.  The
hardened grades are the JSON reports of ``autograder grade`` (OUTPUT/reports).

* From the database, grades are per grade cell.  In this course's notebooks
  the grade cell of exercise ``E`` has the grade id ``check_E`` (a cell named
  ``E`` itself is accepted too); each (student, exercise) where nbgrader's score
  is higher is listed with the hardened grader's status and feedback.
* The export CSV holds one total per (student, assignment): totals are
  compared, and the reason lists every exercise the hardened grader did not
  award, with its feedback.  The output says that only totals were compared.

A submission nbgrader scored but the hardened grader has no report for is
listed too (reason: no hardened report).
"""
from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

GRADE_PREFIX = "check_"
EPS = 1e-9


class AuditError(ValueError):
    """The gradebook or the hardened grades cannot be read."""


@dataclass
class Finding:
    student: str
    assignment: str
    exercise: str | None  # None when only totals were compared
    nbgrader: float
    hardened: float | None  # None when there is no hardened report
    max_score: float
    status: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def load_hardened(grades: Path, assignment: str | None = None) -> dict[tuple[str, str], dict]:
    """(student, assignment) -> report, from OUTPUT/reports/*.json (or a folder of such outputs)."""
    grades = Path(grades)
    if not grades.is_dir():
        raise AuditError(f"no hardened grades at {grades} (the --output folder of autograder grade)")
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(grades.rglob("reports/*.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(report, dict) or "student" not in report or "assignment" not in report:
            continue
        if assignment is None or report["assignment"] == assignment:
            found[(report["student"], report["assignment"])] = report
    if not found:
        raise AuditError(f"no hardened reports{' of ' + assignment if assignment else ''} under {grades}")
    return found


def nbgrader_cell_scores(db: Path, assignment: str | None = None) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """(student, assignment) -> {grade cell name: (score, max_score)} from a gradebook database."""
    from nbgrader.api import Gradebook

    from ..nbgrader.bridge import interpreter_scripts_on_path

    interpreter_scripts_on_path()  # nbgrader may run alembic on the copy

    with tempfile.TemporaryDirectory(prefix="autograder-audit-") as tmp:
        copy = Path(tmp) / "gradebook.db"
        shutil.copyfile(db, copy)
        try:
            with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as conn:
                courses = [row[0] for row in conn.execute("SELECT id FROM course")]
        except sqlite3.Error as exc:
            raise AuditError(f"{db} is not an nbgrader gradebook database: {exc}") from None
        out: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
        gradebook = Gradebook(f"sqlite:///{copy}", course_id=courses[0] if courses else "default_course")
        try:
            for a in gradebook.assignments:
                if assignment is not None and a.name != assignment:
                    continue
                for submission in a.submissions:
                    cells = out.setdefault((submission.student.id, a.name), {})
                    for notebook in submission.notebooks:
                        for grade in notebook.grades:
                            cells[grade.name] = (float(grade.score or 0.0), float(grade.max_score or 0.0))
        finally:
            gradebook.close()
    return out


def _exercise_of(cell: str) -> str:
    return cell[len(GRADE_PREFIX):] if cell.startswith(GRADE_PREFIX) else cell


def _reason(entry: dict) -> str:
    return (entry.get("feedback") or "").strip()


def audit_database(db: Path, hardened: dict[tuple[str, str], dict], assignment: str | None = None) -> list[Finding]:
    findings = []
    for (student, name), cells in sorted(nbgrader_cell_scores(db, assignment).items()):
        report = hardened.get((student, name))
        for cell, (score, max_score) in sorted(cells.items()):
            exercise = _exercise_of(cell)
            if report is None:
                if score > EPS:
                    findings.append(Finding(student, name, exercise, score, None, max_score, "no report", "the hardened grader has no report for this submission"))
                continue
            entry = next((e for e in report["exercises"] if e["id"] == exercise), None)
            if entry is None:
                continue  # a grade cell that is not one of the hardened exercises
            if score > float(entry["score"]) + EPS:
                findings.append(Finding(student, name, exercise, score, float(entry["score"]), max_score, entry["status"], _reason(entry)))
    return findings


def audit_csv(path: Path, hardened: dict[tuple[str, str], dict], assignment: str | None = None) -> list[Finding]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AuditError(f"cannot read {path}: {exc}") from None
    if rows and not {"assignment", "student_id", "score"} <= set(rows[0]):
        raise AuditError(f"{path} is not the CSV of nbgrader export (it needs the columns assignment, student_id and score)")
    findings = []
    for row in sorted(rows, key=lambda r: (r["student_id"], r["assignment"])):
        name, student = row["assignment"], row["student_id"]
        if assignment is not None and name != assignment:
            continue
        try:
            score = float(row.get("raw_score") or row["score"] or 0.0)
            max_score = float(row.get("max_score") or 0.0)
        except ValueError:
            continue
        report = hardened.get((student, name))
        if report is None:
            if score > EPS and any(a == name for _, a in hardened):
                findings.append(Finding(student, name, None, score, None, max_score, "no report", "the hardened grader has no report for this submission"))
            continue
        if score > float(report["score"]) + EPS:
            lost = [e for e in report["exercises"] if float(e["score"]) < float(e["max_score"])]
            reason = "\n".join(f"{e['id']} ({e['status']}, {float(e['score']):g}/{float(e['max_score']):g}): {_reason(e)}" for e in lost)
            findings.append(Finding(student, name, None, score, float(report["score"]), max_score, "total", reason))
    return findings


def audit(gradebook: Path, grades: Path, *, assignment: str | None = None) -> tuple[list[Finding], str]:
    """The findings and a note on what was compared."""
    gradebook = Path(gradebook)
    if not gradebook.is_file():
        raise AuditError(f"no nbgrader gradebook at {gradebook}")
    hardened = load_hardened(grades, assignment)
    with open(gradebook, "rb") as handle:
        is_sqlite = handle.read(16) == b"SQLite format 3\x00"
    if is_sqlite:
        return audit_database(gradebook, hardened, assignment), "compared per exercise (nbgrader grade cells check_EXERCISE)"
    return audit_csv(gradebook, hardened, assignment), "nbgrader's export CSV holds only per-assignment totals: compared totals, not exercises"


def format_findings(findings: list[Finding], note: str) -> str:
    lines = [f"audit: {note}"]
    if not findings:
        lines.append("nbgrader never awarded more than the hardened grader.")
        return "\n".join(lines)
    lines.append(f"{len(findings)} place(s) where nbgrader awarded more than the hardened grader:")
    for f in findings:
        what = f.exercise if f.exercise else "total"
        hardened = "no report" if f.hardened is None else f"{f.hardened:g}"
        lines.append(f"- {f.student} · {f.assignment} · {what}: nbgrader {f.nbgrader:g}, hardened {hardened} (of {f.max_score:g}); {f.status}")
        lines += [f"    {line}" for line in f.reason.splitlines()]
    return "\n".join(lines)
