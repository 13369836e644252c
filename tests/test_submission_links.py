"""`autograder grade` never follows a link a learner made.

A class in nbgrader's layout (and one flat LMS download) where, beside
honest students, submissions are links: a notebook that is a symbolic link to
a classmate's notebook or to the instructor's solution, a submission folder
that is a link to a classmate's, a notebook that is a named pipe (which
blocks whoever opens it), a notebook hard-linked to a classmate's, data files
that are links to a secret file (standing in for the course's secret_seed)
and to /etc/passwd, and a timestamp.txt that is a link to the secret.

Asserted: a linked or special notebook scores 0 on every exercise with a
message saying why, and nothing of the file it points to reaches that
student's report or feedback; the classmate it points to keeps full marks; a
hard-linked notebook is graded and flagged in a note (both names of it); the
secret's bytes and /etc/passwd's appear in no file of the output; the
batch does not hang.  And the second line of defence: a notebook replaced by
a link after discovery is refused when it is read (``O_NOFOLLOW`` below the
submissions folder), also when it is shipped to a Dask worker.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.frontends.grading import grade_class
from autograder.frontends.grading.discover import discover
from autograder.frontends.grading.work import grade_task, make_task
from autograder.sandbox.session import Limits

from conftest import personal_notebook, solution_path
from planted import all_plants

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-conv1d"
NOTEBOOK = "conv1d.ipynb"
SEED = 515151
EXERCISES = ["by_hand_full", "conv1d", "conv1d_mode", "output_length"]
#: the first line of /etc/passwd on every Linux system
PASSWD = b"root:x:0:0"
#: honest students; ada's and bo's notebooks carry a marker of their own
HONEST = ("ada", "bo", "zed")
#: cy answers conv1d wrong, so that cy's feedback shows cy's own code
NO_FLIP = next(p for a, p in all_plants() if a == ASSIGNMENT and p.exercise == "conv1d" and p.misconception == "no-flip")
REFUSED = {  # student -> what the message says
    "peer-link": "is a symbolic link",
    "peer-link-cy": "is a symbolic link",
    "solution-link": "is a symbolic link",
    "folder-link": "is a symbolic link",
    "pipe": "named pipe",
}


def _marker(student: str) -> str:
    return f"# the own work of {student} 7d1c"


def _notebook(course, target: Path, student: str) -> Path:
    """The solution as ``student`` hands it in (their id, their own numbers' answers), with a comment that
    only ``student``'s notebook holds."""
    nb = nbformat.read(solution_path(course, ASSIGNMENT), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "conv1d")
    return personal_notebook(course, ASSIGNMENT, student, target, replacements={"conv1d": _marker(student) + "\n" + cell.source})


def _wrong(course, target: Path, student: str) -> Path:
    """``student``'s notebook with conv1d answered wrong (no flip), a marker of ``student`` in its body."""
    head, body = NO_FLIP.source.lstrip("\n").split("\n", 1)
    return personal_notebook(course, ASSIGNMENT, student, target, replacements={"conv1d": f"{head}\n    {_marker(student)}\n{body}"})


def build(root: Path, course, secret: Path) -> Path:
    """The class in root/submitted (nbgrader's layout); returns that folder."""
    submitted = root / "submitted"

    def place(student: str) -> Path:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        return folder / NOTEBOOK

    for student in HONEST:
        _notebook(course, place(student), student)
    os.symlink(place("ada"), place("peer-link"))
    _wrong(course, place("cy"), "cy")
    os.symlink(place("cy"), place("peer-link-cy"))
    os.symlink(solution_path(course, ASSIGNMENT).resolve(), place("solution-link"))
    (submitted / "folder-link").mkdir()
    os.symlink(submitted / "ada" / ASSIGNMENT, submitted / "folder-link" / ASSIGNMENT)
    os.mkfifo(place("pipe"))
    os.link(place("bo"), place("hard-link"))
    data = _notebook(course, place("data-links"), "data-links").parent
    os.symlink(secret, data / "seed.txt")
    os.symlink("/etc/passwd", data / "passwd.txt")
    (data / "more").mkdir()
    os.symlink(secret, data / "more" / "deep.txt")
    stamp = _notebook(course, place("stamp-link"), "stamp-link").parent
    os.symlink(secret, stamp / "timestamp.txt")
    return submitted


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("links")
    secret = root / "secret_seed"
    token = str(secrets.randbits(62))
    secret.write_text(token + "\n")
    submitted = build(root, course, secret)
    result = grade_class(submitted, ASSIGNMENT, root / "out", course=course, workers=2, seed=SEED)
    return root, submitted, result, token


def _files(folder: Path):
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]


def test_honest_students_keep_full_marks(graded, course):
    _, _, result, _ = graded
    full = course.assignment(ASSIGNMENT).max_score
    for student in (*HONEST, "data-links", "stamp-link"):
        assert result.reports[student]["score"] == full, (student, result.reports[student])


@pytest.mark.parametrize("student", sorted(REFUSED))
def test_a_linked_or_special_notebook_scores_nothing_and_says_why(graded, student):
    _, _, result, _ = graded
    report = result.reports[student]
    assert report["score"] == 0.0
    assert [e["status"] for e in report["exercises"]] == ["error"] * len(EXERCISES)
    for e in report["exercises"]:
        assert REFUSED[student] in e["feedback"], e
        assert "submit the file itself" in e["feedback"] or "submit your files in a folder of your own" in e["feedback"], e
        assert "Traceback" not in e["feedback"]
    assert not result.grader_errors


@pytest.mark.parametrize("student", sorted(REFUSED))
def test_nothing_of_the_linked_notebook_reaches_the_feedback(graded, student):
    _, _, result, _ = graded
    output = result.output
    pages = [p for p in _files(output) if p.stem == student]
    assert {p.suffix for p in pages} >= {".json", ".md", ".html"}, pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for marker in (_marker("ada"), _marker("cy"), "BEGIN SOLUTION", "def conv1d"):
            assert marker not in text, (page, marker)


def test_the_wrong_code_the_links_point_at_is_shown_to_its_author(graded):
    """The control of the test above: cy's own feedback page shows cy's code (the marker)."""
    _, _, result, _ = graded
    assert 0 < result.reports["cy"]["score"] < result.reports["ada"]["score"]
    assert _marker("cy") in (result.output / "feedback" / "cy.html").read_text(encoding="utf-8")


def test_a_hard_linked_notebook_is_graded_and_flagged(graded, course):
    _, _, result, _ = graded
    # One file with two names holds one student's work: bo's. Graded as hard-link it is graded on hard-link's
    # own numbers (each student has their own), so everything passes but the on-paper exercise, whose values
    # are bo's: named as the numbers of the id the notebook names (before variants: full marks).
    points = course.assignment(ASSIGNMENT).points
    assert result.reports["hard-link"]["score"] == course.assignment(ASSIGNMENT).max_score - points["by_hand_full"]
    by_id = {e["id"]: e for e in result.reports["hard-link"]["exercises"]}
    assert by_id["by_hand_full"]["misconception"] == "other-numbers" and "'bo'" in by_id["by_hand_full"]["feedback"], by_id["by_hand_full"]
    assert all(e["status"] == "passed" for i, e in by_id.items() if i != "by_hand_full"), by_id
    assert result.reports["bo"]["score"] == course.assignment(ASSIGNMENT).max_score
    for student in ("hard-link", "bo"):  # both names of the one file
        notes = result.notes.get(student, [])
        assert any("2 hard links" in n and "check whose work it is" in n for n in notes), (student, notes)
    assert not any("hard links" in n for n in result.notes.get("ada", []))


def test_no_secret_and_no_system_file_in_the_output(graded):
    root, _, result, token = graded
    files = _files(result.output)
    assert len(files) > 3 * len(result.reports)
    for path in files:
        data = path.read_bytes()
        assert token.encode() not in data, f"the secret is in {path}"
        assert PASSWD not in data, f"/etc/passwd is in {path}"


def test_links_among_the_other_files_are_named_not_read(graded):
    _, _, result, token = graded
    notes = " ".join(result.notes.get("data-links", []))
    for name in ("seed.txt", "passwd.txt", "more/deep.txt"):
        assert name in notes, notes
    assert "did not read them" in notes


def test_a_linked_timestamp_is_refused_never_shown(graded):
    _, _, result, token = graded
    notes = result.notes.get("stamp-link", [])
    assert any("timestamp.txt is a symbolic link" in n and "no late penalty" in n for n in notes), notes
    assert not any(token in n for n in notes)
    assert "timestamp.txt" not in " ".join(result.notes.get("data-links", []))


def test_a_flat_download_refuses_links_too(tmp_path, course):
    folder = tmp_path / "download"
    _notebook(course, folder / "ada.ipynb", "ada")
    os.symlink(folder / "ada.ipynb", folder / "mallory.ipynb")
    found = {s.student: s for s in discover(folder, ASSIGNMENT, NOTEBOOK)}
    assert found["ada"].path is not None and not found["ada"].problem
    assert found["mallory"].path is None and "mallory.ipynb is a symbolic link" in found["mallory"].problem


def _task(submission, course, *, ship: bool) -> dict:
    info = course.assignment(ASSIGNMENT)
    return make_task(submission, assignment=ASSIGNMENT, seed=SEED, points=info.points, limits=Limits.from_settings(course.grading),
                     files={}, ship_notebook=ship)


@pytest.mark.parametrize("ship", [False, True], ids=["read-by-the-worker", "shipped-to-dask"])
@pytest.mark.parametrize("swap", ["notebook", "folder"])
def test_a_link_swapped_in_after_discovery_is_refused_when_read(tmp_path, course, swap, ship):
    """Discovery saw a regular notebook; by the time it is read, it (or its folder) is a link to a classmate's."""
    submitted = tmp_path / "submitted"
    _notebook(course, submitted / "ada" / ASSIGNMENT / NOTEBOOK, "ada")
    mine = _notebook(course, submitted / "mallory" / ASSIGNMENT / NOTEBOOK, "mallory")
    (submission,) = [s for s in discover(submitted, ASSIGNMENT, NOTEBOOK) if s.student == "mallory"]
    assert submission.path == mine and not submission.problem
    if swap == "notebook":
        mine.unlink()
        os.symlink(submitted / "ada" / ASSIGNMENT / NOTEBOOK, mine)
    else:
        shutil.rmtree(mine.parent)
        os.symlink(submitted / "ada" / ASSIGNMENT, mine.parent)
    report = grade_task(_task(submission, course, ship=ship))
    assert report["score"] == 0.0
    assert "grader_error" not in report
    for e in report["exercises"]:
        assert "is a symbolic link" in e["feedback"] and "never follows links" in e["feedback"], e
