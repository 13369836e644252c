"""The real ``nbgrader autograde`` with the derived configuration: what a submission carries besides code.

One temporary nbgrader course (01-conv1d, released with ``autograder
release``'s own function, nbgrader_config.py from
:func:`~autograder.frontends.nbgrader.bridge.config_text`), one class, one run
of each command (``nbgrader autograde``, ``generate_feedback``, ``export``)
and ``autograder grade`` on the same ``submitted/`` folder, with the course's
secret seed.  Beside honest students (ada, bo, zed: zed comes last, after
every attack):

- links: a notebook that is a symbolic link to ada's notebook, or to the
  instructor's solution; a notebook hard-linked to bo's (graded on hard-link's own numbers: 9 of 10); data files that are
  symbolic links to the course's ``secret_seed`` and to ``/etc/passwd`` (one in
  a subfolder) and a hard link to ``secret_seed``; a ``timestamp.txt`` that is
  a symbolic link to ``secret_seed``, beside a data file that is a named pipe;
- cell metadata: a copy-pasted check cell (the same grade id twice), a cell
  with a grade id the gradebook does not know and one whose nbgrader metadata
  is empty (an outdated schema to nbgrader), an answer cell flagged ``grade:
  true, points: 1000``, the by-hand answer cell flagged as a test cell (which
  ``autograder grade`` then does not run: 9 of 10);
- every notebook as its student hands it in: their id in the NAME cell and
  the answers of their own numbers in the on-paper cell;
- a notebook that is not JSON, one larger than course.yml's bound, one that is a named pipe, one in a folder that
  is a link to ada's; a check cell whose source is a number (nbgrader's
  sanitize steps fail on it); a ``timestamp.txt`` that is not a date.

Asserted: the run finishes (status 0) and grades every student; each
student's scores in nbgrader's gradebook and export equal ``autograder
grade``'s, exercise by exercise; a linked notebook scores 0 with the reason in
every check cell's verdict and feedback, and nothing of the notebook it points
to is in its autograded notebook or feedback; the honest students keep full
marks; the bytes of the secret seed and of /etc/passwd are in no file under
``autograded/`` or ``feedback/``; the hard-linked notebook is flagged in the
log.  The control: nbgrader's own reading of the same kind of class (the
configuration without :mod:`autograder.frontends.nbgrader.submitted`) copies
the secret seed into ``autograded/``, grades the link to ada's notebook with
ada's code in it (all of ada's points but the on-paper exercise's), and stops at the copy-pasted check cell
(twice-check), so that zed is never graded.
"""
from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.course import load_course
from autograder.frontends.grading import grade_class
from autograder.frontends.nbgrader import bridge

from conftest import personal_submission, solution_path

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-conv1d"
NOTEBOOK = "conv1d.ipynb"
NBGRADER = [sys.executable, "-m", "nbgrader"]
PASSWD = b"root:x:0:0"
HONEST = ("ada", "bo", "zed")
#: student -> what every check cell's verdict says
LINKED = {
    "peer-link": f"peer-link/{ASSIGNMENT}/{NOTEBOOK} is a symbolic link",
    "solution-link": f"solution-link/{ASSIGNMENT}/{NOTEBOOK} is a symbolic link",
    "folder-link": f"the folder folder-link/{ASSIGNMENT} is a symbolic link",
    "pipe": f"pipe/{ASSIGNMENT}/{NOTEBOOK} is not a regular file (it is a named pipe)",
}
#: students whose notebook is graded, however odd what it carries
GRADED = (*HONEST, "hard-link", "data-links", "stamp-link", "stamp-text", "twice-check", "unknown-id", "reflag-answer", "reflag-test",
          "odd-cell")
EXERCISES = ("by_hand_full", "conv1d", "conv1d_mode", "output_length")
MARKER = "# ada's own work, 5e0b"


@dataclass
class Course:
    root: Path
    seed: str = ""
    log: str = ""
    status: dict[str, int] = field(default_factory=dict)
    hardened: object = None  # autograder grade's GradeResult
    seconds: dict[str, float] = field(default_factory=dict)
    control: "Course | None" = None  # the same kind of class, read by nbgrader alone


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _edited(course, student: str, released: Path, target: Path, change) -> Path:
    personal_submission(course, ASSIGNMENT, student, released, target)
    nb = nbformat.read(target, as_version=4)
    change(nb)
    nbformat.write(nb, target)
    return target


def _duplicate_check(nb):
    at = nb.cells.index(_cell(nb, "check_conv1d"))
    twin = copy.deepcopy(nb.cells[at])
    twin["id"] = "pasted-check"
    nb.cells.insert(at + 1, twin)


def _unknown_ids(nb):
    extra = nbformat.v4.new_code_cell("scratch = 1")
    extra.metadata["nbgrader"] = {"grade": False, "grade_id": "my_scratch", "locked": False, "schema_version": 3, "solution": True, "task": False}
    nb.cells.append(extra)
    nb.cells[0].metadata["nbgrader"] = {}  # the title cell, with empty nbgrader metadata


def _reflag_answer(nb):
    _cell(nb, "conv1d").metadata["nbgrader"].update(grade=True, points=1000)


def _reflag_as_test(nb):
    _cell(nb, "by_hand_full").metadata["nbgrader"].update(grade=True, solution=False, points=1000)


def _odd_cell(nb):
    """A check cell whose source is a number: nbgrader's OverwriteCells fails on it (its checksum)."""
    _cell(nb, "check_output_length").source = 12345


def make_course(root: Path, course, *, students: tuple[str, ...] | None = None) -> Path:
    """The course in ``root`` with the class in submitted/ (every student, or ``students`` only)."""
    a = course.assignment(ASSIGNMENT)
    (root / bridge.SOURCE_DIRECTORY / ASSIGNMENT).mkdir(parents=True)
    shutil.copyfile(solution_path(course, ASSIGNMENT), root / bridge.SOURCE_DIRECTORY / ASSIGNMENT / a.notebook)
    settings = yaml.safe_load(course.path.read_text(encoding="utf-8"))
    settings["grading"]["max_notebook_mb"] = 1  # so that a notebook too large to read is 1.5 MB, not 16
    (root / "course.yml").write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    (root / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
    local = load_course(root / "course.yml")
    local.secret_seed()
    bridge.release(local, [ASSIGNMENT])
    released = root / bridge.RELEASE_DIRECTORY / ASSIGNMENT / a.notebook
    answers = bridge.solution_answers(root / bridge.SOURCE_DIRECTORY / ASSIGNMENT / a.notebook)
    wanted = set(students or ())

    def answered(student: str, path: Path, replacements: dict[str, str] | None = None) -> Path:
        """The release as ``student`` answers it: the solution's answers, their id and their own numbers'."""
        return personal_submission(course, ASSIGNMENT, student, released, path, replacements)

    def place(student: str) -> Path | None:
        if wanted and student not in wanted:
            return None
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        return folder / NOTEBOOK

    for student in HONEST:
        if (path := place(student)) is not None:
            answered(student, path, {"conv1d": MARKER + "\n" + answers["conv1d"]} if student == "ada" else None)
    if (path := place("peer-link")) is not None:
        os.symlink(root / "submitted" / "ada" / ASSIGNMENT / NOTEBOOK, path)
    if (path := place("solution-link")) is not None:
        os.symlink(root / bridge.SOURCE_DIRECTORY / ASSIGNMENT / NOTEBOOK, path)
    if (path := place("folder-link")) is not None:
        path.parent.rmdir()
        os.symlink(root / "submitted" / "ada" / ASSIGNMENT, path.parent)
    if (path := place("pipe")) is not None:
        os.mkfifo(path)
    if (path := place("hard-link")) is not None:
        os.link(root / "submitted" / "bo" / ASSIGNMENT / NOTEBOOK, path)
    if (path := place("data-links")) is not None:
        answered("data-links", path)
        os.symlink(root / "secret_seed", path.parent / "seed.txt")
        os.symlink("/etc/passwd", path.parent / "passwd.txt")
        os.link(root / "secret_seed", path.parent / "seed-copy.txt")
        (path.parent / "more").mkdir()
        os.symlink(root / "secret_seed", path.parent / "more" / "deep.txt")
        (path.parent / "notes.txt").write_text("my own notes\n")  # a regular file of the learner's: copied as before
    if (path := place("stamp-link")) is not None:
        answered("stamp-link", path)
        os.symlink(root / "secret_seed", path.parent / "timestamp.txt")
        os.mkfifo(path.parent / "pipe.txt")  # nbgrader's shutil.copy fails on it
    if (path := place("stamp-text")) is not None:  # nbgrader alone fails this student (CourseDirectory.fail does not exist)
        answered("stamp-text", path)
        (path.parent / "timestamp.txt").write_text("handed in on Monday\n", encoding="utf-8")
    for student, change in (("twice-check", _duplicate_check), ("unknown-id", _unknown_ids),
                            ("reflag-answer", _reflag_answer), ("reflag-test", _reflag_as_test), ("odd-cell", _odd_cell)):
        if (path := place(student)) is not None:
            _edited(course, student, released, path, change)
    if (path := place("not-json")) is not None:
        path.write_text('{"cells": [', encoding="utf-8")
    if (path := place("too-large")) is not None:  # over course.yml's max_notebook_mb: refused before it is read
        _edited(course, "too-large", released, path, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("notes " * 250_000)))
    return root


def _run(c: Course, name: str, *args: str) -> None:
    started = time.perf_counter()
    done = subprocess.run([*NBGRADER, *args], cwd=c.root, capture_output=True, text=True, timeout=600)
    c.seconds[name] = time.perf_counter() - started
    c.status[name] = done.returncode
    c.log += f"$ nbgrader {' '.join(args)}  (status {done.returncode})\n{done.stdout}{done.stderr}\n"


def _hardened(c: Course) -> None:
    started = time.perf_counter()
    course = load_course(c.root / "course.yml")
    c.hardened = grade_class(c.root / "submitted", ASSIGNMENT, c.root / "hardened", course=course, workers=1)
    c.seconds["autograder grade"] = time.perf_counter() - started


def _stock_reading(course, root: Path) -> Course:
    """The control course: ada, data-links, peer-link, twice-check and zed, and the configuration
    without autograder's reading of submissions (nbgrader's own copy and read, its own sanitize steps)."""
    make_course(root, course, students=("ada", "data-links", "peer-link", "twice-check", "zed"))
    config = (root / bridge.CONFIG_NAME).read_text(encoding="utf-8")
    stock = "\n".join(line for line in config.splitlines() if "sanitize_preprocessors" not in line and "install" not in line) + "\n"
    assert stock != config
    (root / bridge.CONFIG_NAME).write_text(stock, encoding="utf-8")
    return Course(root, seed=(root / "secret_seed").read_text().strip())


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory) -> Course:
    base = tmp_path_factory.mktemp("nbgrader-robust")
    c = Course(make_course(base / "course", course))
    c.seed = (c.root / "secret_seed").read_text().strip()
    c.control = _stock_reading(course, base / "control")
    with ThreadPoolExecutor(2) as beside:  # autograder grade and the control, while nbgrader works
        futures = [beside.submit(_hardened, c), beside.submit(_run, c.control, "autograde", "autograde", ASSIGNMENT, "--force")]
        _run(c, "autograde", "autograde", ASSIGNMENT, "--force")
        _run(c, "generate_feedback", "generate_feedback", ASSIGNMENT, "--force")
        _run(c, "export", "export")
        for future in futures:
            future.result()
    print(", ".join(f"{k} {v:.1f} s" for k, v in c.seconds.items()))  # shown with -rP
    return c


def _students(c: Course) -> list[str]:
    return sorted(p.name for p in (c.root / "submitted").iterdir())


def _cell_scores(c: Course, students: list[str] | None = None) -> dict[str, dict[str, float]]:
    """student -> exercise -> the auto score nbgrader recorded for its check cell."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{c.root / bridge.GRADEBOOK_NAME}") as gb:
        for student in students or _students(c):
            nb = gb.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, student)
            out[student] = {g.name.removeprefix(bridge.CHECK_PREFIX): g.auto_score for g in nb.grades}
    return out


def _exported(c: Course) -> dict[str, float]:
    with open(c.root / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}


def _check_cells(c: Course, student: str) -> dict:
    nb = nbformat.read(c.root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {cell.metadata.nbgrader.grade_id: cell for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()]


def test_the_run_finishes_and_grades_every_student(graded):
    c = graded
    assert c.status == {"autograde": 0, "generate_feedback": 0, "export": 0}, c.log[-6000:]
    for student in _students(c):
        assert (c.root / "autograded" / student / ASSIGNMENT / NOTEBOOK).is_file(), (student, c.log[-6000:])
        assert (c.root / "feedback" / student / ASSIGNMENT / "conv1d.html").is_file(), student
    assert "There was an error processing" not in c.log


def test_every_student_scores_what_autograder_grade_gives(graded, course):
    c = graded
    ours = {s: {e["id"]: e["score"] for e in r["exercises"]} for s, r in c.hardened.reports.items()}
    assert _cell_scores(c) == ours
    exported = _exported(c)
    assert {s: exported[s] for s in ours} == {s: c.hardened.reports[s]["score"] for s in ours}
    full = course.assignment(ASSIGNMENT).max_score
    for student in GRADED:
        # reflag-test's by-hand cell is not run; hard-link is bo's notebook, graded on hard-link's own numbers
        # (each student has their own), so bo's on-paper answers are not hard-link's (before variants: full marks)
        want = full - course.assignment(ASSIGNMENT).points["by_hand_full"] if student in ("reflag-test", "hard-link") else full
        assert exported[student] == want, (student, exported[student])
    by_hand = next(e for e in c.hardened.reports["hard-link"]["exercises"] if e["id"] == "by_hand_full")
    assert by_hand["misconception"] == "other-numbers" and "'bo'" in by_hand["feedback"], by_hand
    for student in (*LINKED, "not-json", "too-large"):
        assert exported[student] == 0.0, student
    too_large = {e["feedback"] for e in c.hardened.reports["too-large"]["exercises"]}
    assert len(too_large) == 1 and "a notebook file may be at most 1 MB" in too_large.pop()


@pytest.mark.parametrize("student", sorted(LINKED))
def test_a_linked_notebook_scores_nothing_with_the_reason_in_every_check_cell(graded, student):
    from nbgrader.utils import determine_grade

    c = graded
    cells = _check_cells(c, student)
    assert set(cells) == {bridge.CHECK_PREFIX + e for e in EXERCISES}
    for grade_id, cell in cells.items():
        assert determine_grade(cell)[0] == 0, (grade_id, cell.outputs)
        shown = json.dumps([dict(o) for o in cell.outputs])
        assert LINKED[student] in shown and "submit" in shown, shown
        assert "Traceback" not in shown
    page = (c.root / "feedback" / student / ASSIGNMENT / "conv1d.html").read_text(encoding="utf-8")
    assert LINKED[student].split(" is ")[-1] in page


@pytest.mark.parametrize("student", sorted(LINKED))
def test_nothing_of_the_linked_notebook_is_in_the_students_folders(graded, student):
    c = graded
    files = _files(c.root / "autograded" / student) + _files(c.root / "feedback" / student)
    assert {p.name for p in files} == {NOTEBOOK, "conv1d.html"}, files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for foreign in (MARKER, "### BEGIN SOLUTION", "def conv1d"):
            assert foreign not in text, (path, foreign)


def test_honest_students_keep_full_marks_beside_the_attacks(graded, course):
    exported = _exported(graded)
    assert all(exported[s] == course.assignment(ASSIGNMENT).max_score for s in HONEST), exported
    assert MARKER in (graded.root / "autograded" / "ada" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8")


def test_no_secret_seed_and_no_system_file_under_autograded_or_feedback(graded):
    c = graded
    files = _files(c.root / "autograded") + _files(c.root / "feedback")
    assert len(files) >= 2 * len(_students(c))
    for path in files:
        assert not path.is_symlink(), path
        data = path.read_bytes()
        assert c.seed.encode() not in data, f"the secret seed is in {path}"
        assert PASSWD not in data, f"/etc/passwd is in {path}"
    assert not (c.root / "autograded" / "folder-link" / ASSIGNMENT / "timestamp.txt").exists()
    copied = sorted(p.relative_to(c.root / "autograded" / "data-links" / ASSIGNMENT).as_posix()
                    for p in _files(c.root / "autograded" / "data-links" / ASSIGNMENT))
    assert copied == [NOTEBOOK, "notes.txt"]  # the learner's own regular file still travels
    assert not (c.root / "autograded" / "stamp-link" / ASSIGNMENT / "timestamp.txt").exists()
    for name in ("data-links/seed.txt", "data-links/passwd.txt", "data-links/seed-copy.txt", "data-links/more/deep.txt",
                 "stamp-link/timestamp.txt", "stamp-link/pipe.txt"):
        student, rest = name.split("/", 1)
        assert f"not copied: {student}/{ASSIGNMENT}/{rest}" in c.log, name


def test_a_hard_linked_notebook_is_flagged(graded):
    for student in ("hard-link", "bo"):
        assert f"{student}/{ASSIGNMENT}/{NOTEBOOK} has 2 hard links" in graded.log, student
    notes = graded.hardened.notes
    assert any("2 hard links" in n for n in notes["hard-link"]) and any("2 hard links" in n for n in notes["bo"])


def test_changed_cell_metadata_is_restored_from_the_gradebook(graded):
    """The autograded notebook holds the instructor's metadata: one check_conv1d, no unknown id, the original points."""
    c = graded
    for student in ("twice-check", "unknown-id", "reflag-answer", "reflag-test"):
        nb = nbformat.read(c.root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        ids = [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if "grade_id" in cell.metadata.get("nbgrader", {})]
        assert len(ids) == len(set(ids)) and "my_scratch" not in ids, (student, ids)
        points = {cell.metadata.nbgrader.grade_id: cell.metadata.nbgrader.get("points") for cell in nb.cells
                  if cell.metadata.get("nbgrader", {}).get("grade")}
        assert set(points) == {bridge.CHECK_PREFIX + e for e in EXERCISES} and 1000 not in points.values(), (student, points)


def test_control_nbgrader_reading_alone_hands_out_the_seed_and_stops(graded, course):
    """The attacks are real: the same configuration without autograder's reading of submissions."""
    c = graded.control
    root = c.root
    assert c.status["autograde"] != 0, c.log[-3000:]
    assert (root / "autograded" / "data-links" / ASSIGNMENT / "seed.txt").read_text().strip() == c.seed
    assert MARKER in (root / "autograded" / "peer-link" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8")
    # ada's work earns peer-link every point but the on-paper exercise's (ada's own numbers are not peer-link's)
    assert _cell_scores(c, ["peer-link"])["peer-link"] == {**course.assignment(ASSIGNMENT).points, "by_hand_full": 0.0}
    assert not (root / "autograded" / "zed").exists(), "nbgrader went on after the copy-pasted check cell"


def test_a_notebook_nbgrader_cannot_sanitize_is_graded_all_the_same(graded, course):
    """odd-cell makes nbgrader's OverwriteCells fail: a stand-in carries its verdicts, its score is autograder grade's."""
    c = graded
    text = (c.root / "autograded" / "odd-cell" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8")
    assert "graded as you submitted it" in text
    assert set(_check_cells(c, "odd-cell")) == {bridge.CHECK_PREFIX + e for e in EXERCISES}
    assert _exported(c)["odd-cell"] == c.hardened.reports["odd-cell"]["score"] == course.assignment(ASSIGNMENT).max_score
    assert "nbgrader could not sanitize odd-cell" in c.log
