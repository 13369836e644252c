"""The class's gradebook CSV and each student's feedback file, from the JSON reports.

Both are pure functions of the reports (and course.yml), so the same reports
give the same bytes whatever order submissions finished in, whether the batch
ran locally or on Dask, and whether it was interrupted and resumed.

Gradebook columns: nbgrader's ``nbgrader export`` columns (``assignment,
duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score``), then one column per exercise
id holding the points earned.  Rows are sorted by student id.  Numbers are
written as Python writes floats (``3.0``), as nbgrader does; the hardened
grader knows no names, e-mails or late penalties, so those are empty / 0.0.

Feedback is Markdown: the total, a table of exercises (status, points) and,
for each exercise not passed, the learner-facing message.  Messages come
from the engine, which describes hidden inputs (``x: int64 array of shape
(7,)``) but never prints them.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

NBGRADER_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score",
]


def _num(x: float) -> str:
    return repr(float(round(float(x), 6)))


def gradebook_csv(reports: Iterable[dict], *, assignment: str, exercise_ids: list[str], duedate: str | None = None, timestamps: dict[str, str] | None = None) -> str:
    """The CSV text of the gradebook (see the module docstring)."""
    timestamps = timestamps or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NBGRADER_COLUMNS + list(exercise_ids))
    for report in sorted(reports, key=lambda r: r["student"]):
        by_id = {e["id"]: e for e in report["exercises"]}
        writer.writerow([
            assignment, duedate or "", timestamps.get(report["student"], ""), report["student"], "", "", "",
            _num(report["score"]), _num(0.0), _num(report["score"]), _num(report["max_score"]),
            *[_num(by_id[e]["score"]) if e in by_id else "" for e in exercise_ids],
        ])
    return out.getvalue()


def _points(x: float) -> str:
    return f"{float(x):g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def feedback_markdown(report: dict, *, title: str | None = None) -> str:
    """One student's feedback file (see the module docstring)."""
    assignment = report["assignment"]
    heading = f"{title} ({assignment})" if title and title != assignment else assignment
    lines = [
        f"# Feedback: {heading}",
        "",
        f"Student: {report['student']}  ",
        f"Score: **{_points(report['score'])} / {_points(report['max_score'])}** points",
        "",
        "| Exercise | Status | Points |",
        "|---|---|---|",
    ]
    for e in report["exercises"]:
        lines.append(f"| {_cell(e['id'])} | {_cell(e['status'])} | {_points(e['score'])} / {_points(e['max_score'])} |")
    for e in report["exercises"]:
        lines += ["", f"## {e['id']}: {e['status']} ({_points(e['score'])} / {_points(e['max_score'])})", ""]
        message = (e.get("feedback") or "").rstrip()
        if message:
            lines += ["```text", message.replace("```", "'''"), "```"]
        if e.get("misconception") and e["status"] == "failed":
            lines += ["", f"Likely misconception: `{e['misconception']}`"]
    return "\n".join(lines) + "\n"
