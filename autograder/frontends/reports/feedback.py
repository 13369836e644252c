"""One learner's feedback as a self-contained HTML page (``feedback/STUDENT.html``).

The page holds what the Markdown feedback holds (total, late penalty, notes,
each exercise's status, points and message) and, for an exercise that was
not passed:

* the learner's own code of that exercise, read from the submitted notebook
  (parsed, never run), with the line the message blames marked
  (:mod:`.code`);
* for a failed 2-D worked example, a picture of expected, got and their
  difference (:mod:`.pictures`): visible cases only, never a hidden one.

Math in messages is kept as plain text (no MathJax, no network).
"""
from __future__ import annotations

import html
from typing import Iterable

from .templates import render

SHOW_CODE = {"failed", "error", "timeout", "forbidden"}


def _points(x) -> str:
    return f"{float(x):g}"


def feedback_html(report: dict, *, title: str | None = None, late=None, notes: Iterable[str] = (), notebook: str | None = None) -> str:
    """The page (see the module docstring). ``notebook`` is the submitted file, for the code excerpts."""
    from ...exercises import for_assignment

    from .code import excerpts, load_cells
    from .pictures import arrays_from_report, data_uri, picture

    assignment = report["assignment"]
    declared = {ex.id: ex for ex in for_assignment(assignment)}
    heading = f"{title} ({assignment})" if title and title != assignment else assignment
    penalty = float(late.penalty) if late is not None else 0.0
    exercises = []
    cells = None  # the notebook's cells, read once, when an exercise needs them
    for e in report["exercises"]:
        entry = {
            "id": e["id"], "status": e["status"], "points": f"{_points(e['score'])} / {_points(e['max_score'])}",
            "feedback": (e.get("feedback") or "").rstrip(), "misconception": e.get("misconception"), "picture": None, "code": [],
        }
        if e["status"] in SHOW_CODE:
            pair = arrays_from_report(e) if e["status"] == "failed" else None
            if pair is not None:
                try:
                    entry["picture"] = data_uri(picture(*pair))
                except Exception:  # a picture is a bonus, never a reason to lose the page
                    entry["picture"] = None
            ex = declared.get(e["id"])
            if ex is not None and notebook:
                if cells is None:
                    cells = load_cells(notebook) or False
                entry["code"] = excerpts(cells, tuple(ex.names), ex.id, entry["feedback"]) if cells else []
        exercises.append(entry)
    notes = list(notes)
    if report.get("grader_error"):
        notes.append(f"the grader failed on this notebook ({report['grader_error']})")
    return render(
        "feedback", heading=heading, student=report["student"],
        score=_points(max(0.0, float(report["score"]) - penalty)), max_score=_points(report["max_score"]),
        raw_score=_points(report["score"]), penalty=_points(penalty) if penalty > 0 else "",
        late=late.describe() if late is not None and late.late else "", notes=notes, exercises=exercises,
    )


def fallback_html(markdown: str, student: str) -> str:
    """A plain page holding the Markdown feedback, when the full page could not be made."""
    from .templates import CSP

    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>Feedback ({html.escape(student)})</title></head><body><pre>{html.escape(markdown)}</pre></body></html>\n")
