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

The grader never follows a link a learner made.  Below the submissions folder
(the instructor's), every path of a submission is looked at without following
links (:mod:`autograder.notebook.files`): a notebook that is a symbolic link
(to a classmate's notebook, the solution), sits in a folder that is one, or is
not a regular file (a named pipe) is not graded: that student gets 0 with a
message saying why, and the notebook is later opened with ``O_NOFOLLOW`` all
the way down (:mod:`.work`), so a link swapped in after discovery is refused
too.  A notebook with more than one hard link (the same file as another, maybe
a classmate's) is graded and flagged in a note for the instructor.  Other
links in a submission (a data file pointing at the course's secret seed) are
never read and are named in a note; ``timestamp.txt`` is read the same way,
and its text is never shown when it is not a date.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ...notebook.files import UnsafeFile, hard_links, open_regular, refusal
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
    base: Path | None = None  # the submissions folder: no link below it is followed when the notebook is read


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
    """The notebooks directly in ``folder``: any name ending in .ipynb that is not a folder, links included
    (a linked notebook is refused with a message, not passed over as if nothing had been submitted)."""
    return sorted(p for p in folder.iterdir() if _visible(p) and p.suffix == ".ipynb" and not _is_real_dir(p))


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


#: entries of a submission folder looked at for links, at most (a folder is a few files)
_WALK_LIMIT = 2000


def _links_in(folder: Path, root: Path, skip: set[Path]) -> list[str]:
    """Names (relative to ``root``) of the links and special files in ``folder``, not following any."""
    found: list[str] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(folder):  # never descends into a linked folder
        for name in sorted(dirnames + filenames):
            seen += 1
            path = Path(dirpath) / name
            if path in skip:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(visible(str(path.relative_to(root))))
        if seen > _WALK_LIMIT:
            break
    return found


def _file_notes(path: Path, graded: bool, folder: Path, root: Path) -> tuple[str, ...]:
    """Notes for the instructor: the graded notebook's other hard links, links among the other files."""
    notes: list[str] = []
    links = hard_links(path) if graded else 0
    if links > 1:
        notes.append(f"{visible(str(path.relative_to(root)))} has {links} hard links: the same file is also elsewhere "
                     "on this disk (maybe in another submission); check whose work it is")
    parts = folder.relative_to(root).parts  # the student's folders below root (none in a flat folder)
    if parts and not any(os.path.islink(root.joinpath(*parts[:n])) for n in range(1, len(parts) + 1)):
        others = _links_in(folder, root, {path, folder / "timestamp.txt"})  # those two have notes of their own
        if others:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            notes.append(f"the submission holds links or special files ({shown}); the grader did not read them")
    return tuple(notes)


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
        stamp, trouble = _timestamp(folder / "timestamp.txt", root)
        notes += (trouble,) if trouble else ()
        label = f"{student}/{assignment}/{notebook}"
        candidates = _notebooks(folder)
        if folder / notebook in candidates:
            path, problem = folder / notebook, ""
        elif len(candidates) == 1:
            path, problem, label = candidates[0], "", f"{student}/{assignment}/{visible(candidates[0].name)}"
        elif not candidates:
            path, problem = None, f"no notebook was submitted (expected {notebook} in {student}/{assignment}/)"
        else:
            names = ", ".join(visible(p.name) for p in candidates)
            path, problem = None, f"{notebook} was not submitted and the folder holds several notebooks ({names}); submit one notebook named {notebook}"
        if path is not None:
            problem = refused(path, root)
            notes += _file_notes(path, not problem, folder, root)
            path = None if problem else path
        found.append(Submission(student, path, label, stamp, problem, notes, source_name=visible(student_dir.name), base=root))
    return found


def refused(path: str | Path, root: str | Path) -> str:
    """Why the learner's notebook ``path`` below ``root`` is not graded (see the module docstring), or ''.

    ``nbgrader autograde`` says it in the same words (:mod:`autograder.frontends.nbgrader.submitted`)."""
    why = refusal(path, under=root)
    return visible(why) if why else ""


def _timestamp(path: Path, root: Path, limit: int = 4096) -> tuple[str, str]:
    """(timestamp, problem) of nbgrader's timestamp.txt, read without following links."""
    try:
        os.lstat(path)
    except OSError:
        return "", ""
    try:
        fd = open_regular(path, under=root)
    except UnsafeFile as exc:
        return "", f"{visible(str(exc))} (so the submission time is unknown and no late penalty was applied; check it by hand)"
    except OSError:
        return "", ""
    with os.fdopen(fd, "rb") as handle:
        return read_timestamp(handle.read(limit).decode("utf-8", errors="replace"))


def _flat(root: Path) -> list[Submission]:
    by_student: dict[str, Submission] = {}
    for path in _notebooks(root):
        student, notes = _student_id(student_id_from_filename(path.name), "file")
        if student in by_student:
            raise DiscoveryError(
                f"two notebooks in {root} belong to student {student!r}: {by_student[student].source_name} and {visible(path.name)}; keep one of them"
            )
        match = CANVAS.match(path.name[: -len(".ipynb")])
        problem = refused(path, root)
        notes += _file_notes(path, not problem, root, root)
        by_student[student] = Submission(
            student, None if problem else path, visible(path.name), problem=problem, notes=notes, source_name=visible(path.name),
            lms_user_id=match["user"] if match else "", lms_late=bool(match and match["late"]), base=root,
        )
    return list(by_student.values())
