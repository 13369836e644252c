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
gradebook's timestamp.

**Flat folder** (an LMS download) -- every ``*.ipynb`` directly in SUBMISSIONS.
The student id comes from the file name:

* Canvas style ``{name}_{userid}_{submissionid}_{original name}.ipynb``, with
  an optional ``_late`` or ``_LATE`` after ``{name}``: the student id is
  ``{name}`` (``smithjane_12345_67890_conv1d.ipynb`` -> ``smithjane``), as in
  nbgrader's own ``zip_collect`` example for Canvas;
* any other name: the file name without ``.ipynb`` (``alice.ipynb`` -> ``alice``).

Files that are not notebooks, hidden files (``.name``) and folders such as
``.ipynb_checkpoints`` are ignored.  Two notebooks that give the same
student id are an error that names both files: nothing is graded until the
folder is fixed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9]+)(?:_late|_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_BAD_ID = re.compile(r"[/\\\x00-\x1f]")


class DiscoveryError(ValueError):
    """The submissions folder cannot be read as a class of submissions."""


@dataclass(frozen=True)
class Submission:
    """One student's submission of the assignment."""

    student: str
    path: Path | None  # the notebook; None when the student's folder has none to grade
    label: str  # the path shown in reports, relative to the submissions folder
    timestamp: str = ""
    problem: str = ""  # why there is nothing to grade (when path is None)


def student_id_from_filename(name: str) -> str:
    """The student id of a notebook in a flat folder (see the module docstring)."""
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    match = CANVAS.match(stem)
    return match.group("student") if match else stem


def _check_id(student: str, where: Path) -> str:
    if not student or student.startswith(".") or _BAD_ID.search(student):
        raise DiscoveryError(f"{where}: {student!r} cannot be used as a student id (empty, hidden or with control characters)")
    return student


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
        student = _check_id(student_dir.name, student_dir)
        stamp = ""
        if (folder / "timestamp.txt").is_file():
            stamp = (folder / "timestamp.txt").read_text(encoding="utf-8", errors="replace").strip()[:64]
        label = f"{student}/{assignment}/{notebook}"
        candidates = _notebooks(folder)
        if (folder / notebook).is_file():
            path, problem = folder / notebook, ""
        elif len(candidates) == 1:
            path, problem, label = candidates[0], "", f"{student}/{assignment}/{candidates[0].name}"
        elif not candidates:
            path, problem = None, f"no notebook was submitted (expected {notebook} in {student}/{assignment}/)"
        else:
            names = ", ".join(p.name for p in candidates)
            path, problem = None, f"{notebook} was not submitted and the folder holds several notebooks ({names}); submit one notebook named {notebook}"
        found.append(Submission(student, path, label, stamp, problem))
    return found


def _flat(root: Path) -> list[Submission]:
    by_student: dict[str, Path] = {}
    for path in _notebooks(root):
        student = _check_id(student_id_from_filename(path.name), path)
        if student in by_student:
            raise DiscoveryError(
                f"two notebooks in {root} belong to student {student!r}: {by_student[student].name} and {path.name}; keep one of them"
            )
        by_student[student] = path
    return [Submission(student, path, path.name) for student, path in by_student.items()]
