"""The class's gradebook CSV and each student's feedback file, from the JSON reports.

Both are pure functions of the reports (and course.yml), so the same reports
give the same bytes whatever order submissions finished in, whether the batch
ran locally or on Dask, and whether it was interrupted and resumed.

Gradebook columns: nbgrader's ``nbgrader export`` columns (``assignment,
duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score``), then one column per exercise
id holding the points earned.  Rows are sorted by student id.  Numbers are
written as Python writes floats (``3.0``), as nbgrader does; the hardened
grader knows no names or e-mails, so those are empty.  ``late_submission_penalty``
is course.yml's late penalty (:mod:`.late`), ``score`` the raw score minus it.

Every text cell that a learner can influence (ids come from file names) is
neutralised as OWASP recommends against CSV injection: a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
``'``, so no spreadsheet reads it as a formula (:func:`csv_safe`).

Feedback is Markdown: the total, a table of exercises (status, points) and,
for each exercise not passed, the learner-facing message.  Messages come
from the engine, which describes hidden inputs (``x: int64 array of shape
(7,)``) but never prints them.

Every string put into Markdown goes through :func:`md_text`, once, as it is
written: student ids, notes, timestamps and messages are learner-controlled
(a folder name, ``timestamp.txt``, the text of an exception the learner's
code raised) and would otherwise run in the browser of whoever renders the
file (Jupyter, GitHub, an LMS).  A message is shown in a ``<pre>`` block,
which every Markdown renderer passes through as HTML, so its escaped text
reads exactly as the learner's code wrote it, blank lines and all.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A text cell no spreadsheet will run as a formula (OWASP: CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text

NBGRADER_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score",
]


def _num(x: float) -> str:
    return repr(float(round(float(x), 6)))


def gradebook_csv(reports: Iterable[dict], *, assignment: str, exercise_ids: list[str], duedate: str | None = None,
                  timestamps: dict[str, str] | None = None, penalties: dict[str, float] | None = None) -> str:
    """The CSV text of the gradebook (see the module docstring).

    ``timestamps`` must hold validated dates only (:func:`.late.read_timestamp`).
    """
    timestamps = timestamps or {}
    penalties = penalties or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NBGRADER_COLUMNS + list(exercise_ids))
    for report in sorted(reports, key=lambda r: r["student"]):
        by_id = {e["id"]: e for e in report["exercises"]}
        penalty = float(penalties.get(report["student"], 0.0))
        writer.writerow([
            csv_safe(assignment), csv_safe(duedate or ""), csv_safe(timestamps.get(report["student"], "")), csv_safe(report["student"]), "", "", "",
            _num(report["score"]), _num(penalty), _num(max(0.0, float(report["score"]) - penalty)), _num(report["max_score"]),
            *[_num(by_id[e]["score"]) if e in by_id else "" for e in exercise_ids],
        ])
    return out.getvalue()


def _points(x: float) -> str:
    return f"{float(x):g}"


#: Inline text: HTML's special characters, Markdown's link and image brackets, its escape
#: character, code spans and table pipes, as character references (every Markdown renderer
#: shows a character reference as the character itself, never as syntax).
_INLINE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;", "\\": "&#92;", "`": "&#96;", "|": "&#124;"})
#: Text inside a ``<pre>`` block: HTML's special characters only (Markdown is not parsed there).
_BLOCK = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LINE_BREAKS = re.compile(r"[\r\n]+")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def md_text(value, *, block: bool = False) -> str:
    """``value`` as inert Markdown text that renders as exactly ``value``.

    Inline (the default): on one line, for a sentence, a heading or a table
    cell; line breaks become spaces.  ``block=True``: for the inside of a
    ``<pre>`` block (lines kept).  Apply it once, to the raw text, where the
    Markdown is written: never to text that went through it already.
    """
    text = "" if value is None else str(value)
    if block:
        return text.translate(_BLOCK)
    return _LINE_BREAKS.sub(" ", text).translate(_INLINE)


def md_code(value) -> str:
    """A name (a misconception, an exercise id) as a code span, when it is a plain name; else :func:`md_text`."""
    text = "" if value is None else str(value)
    return f"`{text}`" if _PLAIN_NAME.fullmatch(text) else md_text(text)


def feedback_markdown(report: dict, *, title: str | None = None, late=None, notes: Iterable[str] = ()) -> str:
    """One student's feedback file (see the module docstring).

    ``late`` is the submission's :class:`.late.Lateness` (or None); ``notes`` what
    discovery reported about the submission (an odd file name, a timestamp that is
    not a date).
    """
    assignment = report["assignment"]
    heading = f"{title} ({assignment})" if title and title != assignment else assignment
    head = [f"Student: {md_text(report['student'])}"]
    penalty = float(late.penalty) if late is not None else 0.0
    if penalty > 0:
        head.append(f"Score: **{_points(max(0.0, report['score'] - penalty))} / {_points(report['max_score'])}** points "
                    f"({_points(report['score'])} earned, {_points(penalty)} late penalty)")
    else:
        head.append(f"Score: **{_points(report['score'])} / {_points(report['max_score'])}** points")
    if late is not None and late.late:
        head.append(f"Late: {md_text(late.describe())}")
    head += [f"Note: {md_text(note)}" for note in notes]
    if report.get("grader_error"):
        head.append(f"Note: the grader failed on this notebook ({md_text(report['grader_error'])})")
    lines = [f"# Feedback: {md_text(heading)}", "", *[line + "  " for line in head[:-1]], head[-1]]
    lines += [
        "",
        "| Exercise | Status | Points |",
        "|---|---|---|",
    ]
    for e in report["exercises"]:
        lines.append(f"| {md_text(e['id'])} | {md_text(e['status'])} | {_points(e['score'])} / {_points(e['max_score'])} |")
    for e in report["exercises"]:
        lines += ["", f"## {md_text(e['id'])}: {md_text(e['status'])} ({_points(e['score'])} / {_points(e['max_score'])})", ""]
        message = (e.get("feedback") or "").rstrip()
        if message:
            lines += ["<pre>", md_text(message, block=True), "</pre>"]
        if e.get("misconception") and e["status"] == "failed":
            lines += ["", f"Likely misconception: {md_code(e['misconception'])}"]
    return "\n".join(lines) + "\n"
