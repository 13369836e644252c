"""Find the submissions of one assignment, and the student id of each.

Two layouts are understood:

**nbgrader** -- ``SUBMISSIONS/{student}/{assignment}/<notebook>.ipynb`` (the
``submitted/`` or ``autograded/`` folder of an nbgrader course; passing the
course folder that holds ``submitted/`` works too).  The student id is the
folder name.  The notebook is the one named in course.yml; when that name is
absent but the folder holds exactly one ``.ipynb``, that one is graded (a
learner who renamed the file is still graded).  A folder with no notebook, or
several and none with the expected name, is reported for that student
instead of being guessed.  ``timestamp.txt`` (written by nbgrader) becomes the
gradebook's timestamp when it holds a date (:func:`.late.read_timestamp`); any
other text is reported for that student, never written anywhere.

**Flat folder** (an LMS download) -- every ``*.ipynb`` directly in SUBMISSIONS.
The student id comes from the file name:

* Canvas style ``{name}_{userid}_{submissionid}_{original name}.ipynb``, with
  an optional ``_late`` or ``_LATE`` after ``{name}``: the student id is
  ``{name}`` (``smithjane_12345_67890_conv1d.ipynb`` -> ``smithjane``), as in
  nbgrader's own ``zip_collect`` example for Canvas;
* any other name: the file name without ``.ipynb`` (``alice.ipynb`` -> ``alice``).

The Canvas user id and the ``_late`` marker are kept for the LMS export and
the late penalty.

Files that are not notebooks, hidden files (``.name``) and folders such as
``.ipynb_checkpoints`` are ignored.  Two notebooks that give the same
student id are an error that names both files: nothing is graded until the
folder is fixed.

One odd name never stops the batch: a control character in a file or folder
name (a newline, a tab) is written as its visible Unicode picture in the
student id (``a\nb`` -> ``a␊b``) and reported for that student; a long id is
kept whole (the output folder derives safe file names from it, see
:func:`.store.safe_name`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .late import read_timestamp

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9]+)(?P<late>_late|_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DiscoveryError(ValueError):
    """The submissions folder cannot be read as a class of submissions."""


@dataclass(frozen=True)
class Submission:
    """One student's submission of the assignment."""

    student: str
    path: Path | None  # the notebook; None when the student's folder has none to grade
    label: str  # the path shown in reports, relative to the submissions folder
    timestamp: str = ""  # validated: a date, or empty
    problem: str = ""  # why there is nothing to grade (when path is None)
    notes: tuple[str, ...] = ()  # what the instructor should know about this submission (odd name, bad timestamp)
    lms_user_id: str = ""  # the Canvas user id of a Canvas download
    lms_late: bool = False  # the LMS marked the file late (Canvas: NAME_late_...)
    source_name: str = ""  # the file or folder name the id comes from, control characters shown as pictures


def student_id_from_filename(name: str) -> str:
    """The student id of a notebook in a flat folder (see the module docstring)."""
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    match = CANVAS.match(stem)
    return match.group("student") if match else stem


def visible(text: str) -> str:
    """``text`` with every control character replaced by its Unicode picture (\\n -> ␊, DEL -> ␡)."""
    return _CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)


def _student_id(raw: str, where: str) -> tuple[str, tuple[str, ...]]:
    """(student id, notes): ``raw`` with control characters made visible, and a note saying so."""
    if not _CONTROL.search(raw):
        return raw, ()
    shown = visible(raw)
    return shown, (f"the {where} name holds control characters (newline, tab...): the student id is written {shown!r}",)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and _visible(p) and p.suffix == ".ipynb")


def is_nbgrader_layout(root: Path, assignment: str) -> bool:
    return any(d.is_dir() and (d / assignment).is_dir() for d in root.iterdir() if _visible(d))


def discover(root: str | Path, assignment: str, notebook: str) -> list[Submission]:
    """Every submission under ``root``, sorted by student id."""
    root = Path(root)
    if not root.is_dir():
        raise DiscoveryError(f"no submissions folder at {root}")
    if not _notebooks(root) and not is_nbgrader_layout(root, assignment) and (root / "submitted").is_dir():
        root = root / "submitted"
    if is_nbgrader_layout(root, assignment):
        found = _nbgrader(root, assignment, notebook)
    else:
        found = _flat(root)
    if not found:
        raise DiscoveryError(
            f"no submissions of {assignment} in {root}: expected {root}/STUDENT/{assignment}/{notebook} (nbgrader) or STUDENT.ipynb files (an LMS download)"
        )
    return sorted(found, key=lambda s: s.student)


def _nbgrader(root: Path, assignment: str, notebook: str) -> list[Submission]:
    found = []
    for student_dir in sorted(d for d in root.iterdir() if d.is_dir() and _visible(d)):
        folder = student_dir / assignment
        if not folder.is_dir():
            continue
        student, notes = _student_id(student_dir.name, "folder")
        stamp = ""
        if (folder / "timestamp.txt").is_file():
            stamp, trouble = read_timestamp(_read_small(folder / "timestamp.txt"))
            notes += (trouble,) if trouble else ()
        label = f"{student}/{assignment}/{notebook}"
        candidates = _notebooks(folder)
        if (folder / notebook).is_file():
            path, problem = folder / notebook, ""
        elif len(candidates) == 1:
            path, problem, label = candidates[0], "", f"{student}/{assignment}/{visible(candidates[0].name)}"
        elif not candidates:
            path, problem = None, f"no notebook was submitted (expected {notebook} in {student}/{assignment}/)"
        else:
            names = ", ".join(visible(p.name) for p in candidates)
            path, problem = None, f"{notebook} was not submitted and the folder holds several notebooks ({names}); submit one notebook named {notebook}"
        found.append(Submission(student, path, label, stamp, problem, notes, source_name=visible(student_dir.name)))
    return found


def _read_small(path: Path, limit: int = 4096) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _flat(root: Path) -> list[Submission]:
    by_student: dict[str, Submission] = {}
    for path in _notebooks(root):
        student, notes = _student_id(student_id_from_filename(path.name), "file")
        if student in by_student:
            raise DiscoveryError(
                f"two notebooks in {root} belong to student {student!r}: {by_student[student].source_name} and {visible(path.name)}; keep one of them"
            )
        match = CANVAS.match(path.name[: -len(".ipynb")])
        by_student[student] = Submission(
            student, path, visible(path.name), notes=notes, source_name=visible(path.name),
            lms_user_id=match["user"] if match else "", lms_late=bool(match and match["late"]),
        )
    return list(by_student.values())
