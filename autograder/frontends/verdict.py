"""One exercise's verdict as a learner reads it, in a notebook cell.

The same line is printed by the notebook's ``check()`` and written by the
nbgrader preprocessor into the check cell of an autograded notebook, so that
what a learner saw while self-checking and what nbgrader's feedback shows
read alike:

    ✓ conv1d: all checks passed: 2 worked examples, ...
    ✗ conv1d (failed, 1.5/3 points): conv1d([6, 2], [1, 2, 5, 4]) ...

For nbgrader the verdict also becomes the cell's outputs, which nbgrader's
``determine_grade`` reads: a pass is plain output (full points), partial
credit is a numeric ``execute_result`` after the message, and no credit is an
``error`` output whose traceback is the message itself.
"""
from __future__ import annotations

import re

from ..report import ExerciseReport

ERROR_NAME = "CheckFailed"


def _points(x: float) -> str:
    return f"{x:g}"


def text(entry: ExerciseReport) -> str:
    """The one-paragraph verdict of ``entry`` (see the module docstring)."""
    if entry.status == "passed":
        return f"✓ {entry.id}: {entry.feedback}"
    return f"✗ {entry.id} ({entry.status}, {_points(entry.score)}/{_points(entry.max_score)} points): {entry.feedback}"


#: About the most characters of a verdict that a notebook cell shows; the JSON report
#: (``autograder check --json``) and the graders' reports keep the whole message.
NOTEBOOK_CHARS = 600
SHORTENED_NOTE = "(shortened: `autograder check --json` on the saved notebook shows the whole message)"
_NAMED_LINE = re.compile(r"(?:This (?:partly )?looks like )?\[[a-z0-9-]+\]")


def shortened(message: str, limit: int = NOTEBOOK_CHARS) -> str:
    """``message`` in about ``limit`` characters, for a notebook cell.

    Kept: the first line (the verdict and what passed) and the line that names a
    misconception (its hint cut short if need be); then the other lines in their
    order while they fit; a last line says where the whole message is.
    """
    if len(message) <= limit:
        return message
    lines = message.split("\n")
    named = next((i for i, line in enumerate(lines) if i and _NAMED_LINE.match(line)), None)

    def cut(line: str, room: int) -> str:
        return line if len(line) <= room else line[:max(room, 40) - 1].rstrip() + "…"

    kept = {0: cut(lines[0], limit // 2)}
    room = limit - len(kept[0]) - len(SHORTENED_NOTE) - 2
    if named is not None:
        kept[named] = cut(lines[named], max(room // 2, 160))
        room -= len(kept[named]) + 1
    added = False
    for i, line in enumerate(lines):
        if i in kept:
            continue
        if len(line) + 1 > room:
            if not added and room > 80:
                kept[i] = cut(line, room - 1)  # the first example, cut short rather than left out
            break
        kept[i] = line
        room -= len(line) + 1
        added = True
    return "\n".join([kept[i] for i in sorted(kept)] + [SHORTENED_NOTE])


def partial_credit_text(score: float) -> str:
    """The text nbgrader parses as a cell's partial credit (``float()`` of it)."""
    return repr(float(score))


def nbgrader_outputs(entry: ExerciseReport) -> list[dict]:
    """The outputs of an autograded check cell, as nbformat v4 output dicts."""
    message = text(entry)
    if entry.status == "passed" and entry.score >= entry.max_score:
        return [{"output_type": "stream", "name": "stdout", "text": message + "\n"}]
    if entry.score > 0:
        return [
            {"output_type": "stream", "name": "stdout", "text": message + "\n"},
            {"output_type": "execute_result", "execution_count": None, "metadata": {},
             "data": {"text/plain": partial_credit_text(entry.score)}},
        ]
    return [{"output_type": "error", "ename": ERROR_NAME, "evalue": message, "traceback": message.splitlines()}]
