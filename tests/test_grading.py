"""`autograder grade`: a whole class, graded in the sandbox, in parallel, resumably.

The class (:func:`build_class`) is made from the 01-conv1d solution, each
notebook as its student hands it in (their id, and the answers of their own
numbers in the on-paper exercise): correct answers, untouched release
notebooks, planted misconceptions, damaged notebooks (retyped, deleted,
duplicated and reordered cells, duplicated grade ids), a notebook whose code
kills its own process, one that exits at top level, one that is not JSON, and
one that echoes its inputs back (to make sure hidden inputs never reach the
feedback).  tests/test_grading_resume.py and
tests/test_grading_dask.py grade the same class.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.engine import render
from autograder.engine.evaluate import prepare
from autograder.engine.seeds import student_seed
from autograder.exercises import for_assignment
from autograder.frontends.grading import grade_class
from autograder.frontends.grading.discover import DiscoveryError, discover, student_id_from_filename
from autograder.frontends.grading.gradebook import NBGRADER_COLUMNS
from autograder.frontends.grading.store import Store, StoreError, atomic_write

from conftest import personal_answers, personal_notebook, personal_plant, release_path, solution_path
from planted import all_plants

ASSIGNMENT = "01-conv1d"
SEED = 424242
EXERCISES = ["by_hand_full", "conv1d", "conv1d_mode", "output_length"]
PLANTS = {f"plant-{p.exercise}-{p.misconception}": p for a, p in all_plants() if a == ASSIGNMENT and p.status != "timeout"}

CRASH = '''
import os

def conv1d(x, h):
    os._exit(3)  # ends the process that runs the learner's code, mid-call
'''
# Right on the worked examples (hard-coded), echoes every other input back: the
# hidden checks fail on it, and their feedback must not show those inputs.
ECHO_CONV1D = '''
def conv1d(x, h):
    if len(x) == 0 or len(h) == 0:
        raise ValueError("empty")
    known = {((6, 2), (1, 2, 5, 4)): [6, 14, 34, 34, 8], ((3, 4, 5), (2, 1, 0)): [6, 11, 14, 5, 0]}
    key = (tuple(np.asarray(x).tolist()), tuple(np.asarray(h).tolist()))
    if key in known:
        return np.array(known[key])
    return np.asarray(x)
'''


# -- the class -----------------------------------------------------------------
def fast_course(course):
    """The course with a short limit for a whole submission, so that a stalled notebook costs
    seconds; an exercise keeps the course's own limit, so that a loaded machine does not turn
    slow-but-right code into a timeout (and a rerun into different points)."""
    return dataclasses.replace(course, grading={**course.grading, "submission_timeout": 60})


def release_notebook(course, target: Path) -> Path:
    """The untouched release: nbgrader's (assignments/) when present, else the solution with answers stripped."""
    target.parent.mkdir(parents=True, exist_ok=True)
    released = release_path(course, ASSIGNMENT)
    if released.is_file():
        shutil.copy(released, target)
        return target
    nb = nbformat.read(solution_path(course, ASSIGNMENT), as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "# YOUR CODE HERE\nraise NotImplementedError()", cell.source, flags=re.S)
    nbformat.write(nb, target)
    return target


def _edit(source: Path, target: Path, change) -> Path:
    nb = copy.deepcopy(nbformat.read(source, as_version=4))
    change(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target, version=4) if _valid(nb) else target.write_text(json.dumps(nb))
    return target


def _valid(nb) -> bool:
    try:
        nbformat.validate(nb)
        return True
    except Exception:
        return False


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _retype(nb):
    for cell in nb.cells:
        if _grade_id(cell) == "conv1d":
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        elif _grade_id(cell) == "check_conv1d":
            cell.cell_type = "raw"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _delete(nb):
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and not (_grade_id(c) or "").startswith("check_")]


def _duplicate(nb):
    out = []
    for cell in nb.cells:
        out.append(cell)
        if _grade_id(cell) in ("conv1d", "by_hand_full", "check_conv1d"):
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell.get('id', 'cell')}-copy"[:64]
            out.append(twin)
    nb.cells = out


def _reorder(nb):
    nb.cells = list(reversed(nb.cells))


def _same_grade_ids(nb):
    for cell in nb.cells:
        if _grade_id(cell) in ("conv1d_mode", "output_length"):
            cell.metadata["nbgrader"]["grade_id"] = "conv1d"


def build_class(root: Path, course, *, layout: str = "nbgrader") -> dict[str, dict]:
    """Write the class under ``root``; return, per student, what the grader must say.

    The expectation of a student is {"score": float} and/or {"status": {exercise: status}}.
    ``layout`` is "nbgrader" (root/STUDENT/ASSIGNMENT/conv1d.ipynb) or "flat" (root/STUDENT.ipynb).
    """
    expected: dict[str, dict] = {}
    points = course.assignment(ASSIGNMENT).points
    full = course.assignment(ASSIGNMENT).max_score

    def place(student: str) -> Path:
        if layout == "flat":
            return root / f"{student}.ipynb"
        return root / student / ASSIGNMENT / "conv1d.ipynb"

    def own(student: str, replacements: dict[str, str] | None = None) -> Path:
        """What ``student`` hands in: the solution with their id and their own numbers' answers."""
        return personal_notebook(course, ASSIGNMENT, student, place(student), replacements=replacements)

    for student in ("ada", "bo"):
        own(student)
        expected[student] = {"score": full}
    for student in ("cy", "dee"):
        release_notebook(course, place(student))
        expected[student] = {"score": 0.0, "status": dict.fromkeys(EXERCISES, "not-implemented")}
    for student, plant in PLANTS.items():
        personal_plant(course, ASSIGNMENT, student, plant, place(student))
        expected[student] = {"status": {plant.exercise: plant.status}, "misconception": {plant.exercise: plant.misconception}}
    for student, change in (("damaged-retyped", _retype), ("damaged-deleted", _delete), ("damaged-duplicated", _duplicate),
                            ("damaged-reordered", _reorder), ("damaged-grade-ids", _same_grade_ids)):
        _edit(own(student), place(student), change)
        expected[student] = {"score": full}
    own("crash-kill", {"conv1d": CRASH})
    # conv1d_mode calls the crashing conv1d: nothing of either counts (no check of theirs passes)
    expected["crash-kill"] = {"score": points["by_hand_full"] + points["output_length"],
                              "status": {"by_hand_full": "passed", "conv1d": "error", "output_length": "passed"}}
    # the student's own right answer, after an exit: nothing of the cell counts
    own("crash-exit", {"by_hand_full": f"import os\nos._exit(0)\n{personal_answers(course, ASSIGNMENT, 'crash-exit')['by_hand_full']}"})
    expected["crash-exit"] = {"score": full - points["by_hand_full"], "status": {"by_hand_full": "error"}}
    own("echo", {"conv1d": ECHO_CONV1D})
    # an echo is right on no value, yet rejects the bad inputs: partial credit, never full marks
    expected["echo"] = {"below": {"conv1d": points["conv1d"], "conv1d_mode": points["conv1d_mode"]},
                        "at_least": points["by_hand_full"] + points["output_length"], "status": {"conv1d": "failed", "conv1d_mode": "failed"}}
    place("garbage").parent.mkdir(parents=True, exist_ok=True)
    place("garbage").write_text('{"cells": [')
    expected["garbage"] = {"score": 0.0, "status": dict.fromkeys(EXERCISES, "error")}
    if layout == "nbgrader":
        (root / "ada" / ASSIGNMENT / "timestamp.txt").write_text("2027-01-14 10:00:00.000000 UTC\n")
    return expected


def check_expectations(reports: dict[str, dict], expected: dict[str, dict]) -> None:
    assert sorted(reports) == sorted(expected)
    for student, want in expected.items():
        report = reports[student]
        assert report["student"] == student
        statuses = {e["id"]: e["status"] for e in report["exercises"]}
        assert [e["id"] for e in report["exercises"]] == EXERCISES
        if "score" in want:
            assert report["score"] == want["score"], (student, statuses)
        if "at_least" in want:
            assert report["score"] >= want["at_least"], (student, statuses)
        for exercise, limit in want.get("below", {}).items():
            assert next(e for e in report["exercises"] if e["id"] == exercise)["score"] < limit, (student, exercise)
        for exercise, status in want.get("status", {}).items():
            assert statuses[exercise] == status, (student, exercise, statuses)
        for exercise, misconception in want.get("misconception", {}).items():
            entry = next(e for e in report["exercises"] if e["id"] == exercise)
            assert entry["misconception"] == misconception, (student, entry)
            assert entry["score"] < entry["max_score"]  # partial credit, never full marks
        for e in report["exercises"]:
            assert e["feedback"].strip(), (student, e)
            assert "Traceback" not in e["feedback"], (student, e)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, request):
    """The class graded once, locally with two workers: (submissions, output, result, expected, course)."""
    course = fast_course(request.getfixturevalue("course"))
    root = tmp_path_factory.mktemp("class")
    expected = build_class(root / "submitted", course)
    started = time.perf_counter()
    result = grade_class(root / "submitted", ASSIGNMENT, root / "out", course=course, workers=2, seed=SEED)
    result.seconds = time.perf_counter() - started
    return root / "submitted", root / "out", result, expected, course


# -- grading ---------------------------------------------------------------------
def test_every_submission_gets_the_right_verdict(graded_class):
    _, _, result, expected, _ = graded_class
    check_expectations(result.reports, expected)
    assert sorted(result.graded) == sorted(expected) and result.skipped == []
    assert result.grader_errors == {}


def test_a_child_that_kills_itself_gets_a_clear_status(graded_class):
    _, _, result, _, _ = graded_class
    crash = {e["id"]: e for e in result.reports["crash-kill"]["exercises"]}["conv1d"]
    assert "stopped the process" in crash["feedback"] and "status 3" in crash["feedback"], crash["feedback"]
    exit_ = {e["id"]: e for e in result.reports["crash-exit"]["exercises"]}["by_hand_full"]
    assert "ended the process" in exit_["feedback"] or "exited" in exit_["feedback"], exit_["feedback"]


def test_output_folder_layout(graded_class):
    _, output, result, expected, _ = graded_class
    assert result.gradebook == output / "gradebook.csv"
    assert sorted(p.stem for p in (output / "reports").glob("*.json")) == sorted(expected)
    assert sorted(p.stem for p in (output / "feedback").glob("*.md")) == sorted(expected)
    assert not list(output.rglob("*.tmp"))
    seed = output / "seed"
    assert stat.S_IMODE(seed.stat().st_mode) == 0o600 and int(seed.read_text()) == SEED
    for folder in (output, output / "reports", output / "feedback"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for student, report in result.reports.items():
        on_disk = json.loads((output / "reports" / f"{student}.json").read_text())
        assert on_disk == report
        assert set(on_disk) == {"student", "notebook", "assignment", "score", "max_score", "exercises"}
        assert on_disk["notebook"].startswith(f"{student}/{ASSIGNMENT}/")


def test_gradebook_has_nbgrader_columns_and_one_per_exercise(graded_class):
    _, output, result, _, course = graded_class
    rows = list(csv.DictReader((output / "gradebook.csv").open(newline="")))
    with (output / "gradebook.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == NBGRADER_COLUMNS + EXERCISES
    assert [r["student_id"] for r in rows] == sorted(result.reports)
    for row in rows:
        report = result.reports[row["student_id"]]
        assert row["assignment"] == ASSIGNMENT
        assert row["duedate"] == (course.assignment(ASSIGNMENT).due or "")
        assert float(row["score"]) == float(row["raw_score"]) == report["score"]
        assert float(row["max_score"]) == course.assignment(ASSIGNMENT).max_score
        assert sum(float(row[e]) for e in EXERCISES) == pytest.approx(report["score"])
    assert next(r for r in rows if r["student_id"] == "ada")["timestamp"] == "2027-01-14 10:00:00.000000 UTC"


def test_feedback_shows_status_points_and_message(graded_class):
    _, output, result, _, _ = graded_class
    text = (output / "feedback" / "plant-conv1d-no-flip.md").read_text()
    points = re.search(r"\| conv1d \| failed \| ([\d.]+) / ([\d.]+) \|", text)
    assert points and float(points.group(1)) < float(points.group(2)), text
    assert "| output_length | passed | 1 / 1 |" in text
    assert "[no-flip]" in text
    assert "Score: **" in text


def _hidden_renderings(seed: int, student: str) -> set[str]:
    """How each of ``student``'s graded hidden inputs would look if printed (arrays of 3+ values, as feedback renders them)."""
    shown = set()
    for ex in for_assignment(ASSIGNMENT):
        for check in prepare(ex, seed=student_seed(seed, student), visible=False).checks:
            for value in list(check.case.args) + list(check.case.kwargs.values()):
                if isinstance(value, np.ndarray) and value.size >= 3:
                    shown.add(render.value(value, 400))
                    shown.add(render.array(value))
                    shown.add(", ".join(render.value(v) for v in value.tolist()))
    return shown


def test_no_hidden_input_reaches_reports_or_feedback(graded_class):
    _, output, _, _, _ = graded_class
    texts = {p.name: p.read_text() for p in list((output / "feedback").iterdir()) + list((output / "reports").iterdir())}
    for name, text in texts.items():
        student = json.loads((output / "reports" / (name.rsplit(".", 1)[0] + ".json")).read_text())["student"]
        hidden = _hidden_renderings(SEED, student)
        assert len(hidden) > 10
        for rendering in hidden:
            assert rendering not in text, f"{name} shows the hidden input {rendering}"
    echo = texts["echo.md"]
    assert "hidden check" in echo  # the echo student did fail on hidden checks, described without values


def test_rerun_skips_what_is_graded_and_force_regrades(graded_class, tmp_path):
    submissions, output, first, expected, course = graded_class
    copy_ = tmp_path / "out"
    shutil.copytree(output, copy_)
    gradebook = (copy_ / "gradebook.csv").read_bytes()
    (copy_ / "reports" / "ada.json").unlink()  # lost
    (copy_ / "reports" / "bo.json").write_text('{"student": "bo", "score": ')  # torn
    again = grade_class(submissions, ASSIGNMENT, copy_, course=course, workers=2)
    assert again.graded == ["ada", "bo"]
    assert sorted(again.skipped) == sorted(set(expected) - {"ada", "bo"})
    assert (copy_ / "gradebook.csv").read_bytes() == gradebook
    assert again.reports == first.reports
    forced = grade_class(submissions, ASSIGNMENT, copy_, course=course, workers=2, force=True, progress=True)
    assert sorted(forced.graded) == sorted(expected) and forced.skipped == []
    after = (copy_ / "gradebook.csv").read_bytes()
    if after != gradebook:
        import difflib
        raise AssertionError("\n".join(difflib.unified_diff(gradebook.decode().splitlines(), after.decode().splitlines(), lineterm="")))


def test_a_different_seed_is_refused_without_force(graded_class, tmp_path):
    submissions, output, _, _, course = graded_class
    copy_ = tmp_path / "out"
    shutil.copytree(output, copy_)
    with pytest.raises(StoreError, match="another seed"):
        grade_class(submissions, ASSIGNMENT, copy_, course=course, seed=SEED + 1)


def test_the_seed_is_secret_drawn_once_and_reused(tmp_path, course):
    submissions = tmp_path / "flat"
    submissions.mkdir()
    personal_notebook(course, ASSIGNMENT, "zed", submissions / "zed.ipynb")
    first = grade_class(submissions, ASSIGNMENT, tmp_path / "out", course=course)
    seed = (tmp_path / "out" / "seed").read_text()
    assert int(seed) != course.seed and stat.S_IMODE((tmp_path / "out" / "seed").stat().st_mode) == 0o600
    second = grade_class(submissions, ASSIGNMENT, tmp_path / "out", course=course, force=True)
    assert (tmp_path / "out" / "seed").read_text() == seed
    assert first.reports == second.reports


def test_flat_folder_is_graded_like_the_nbgrader_layout(graded_class, tmp_path):
    _, _, nbgrader_result, _, course = graded_class
    flat = tmp_path / "download"
    expected = build_class(flat, course, layout="flat")
    (flat / "README.txt").write_text("not a notebook")
    (flat / ".ipynb_checkpoints").mkdir()
    shutil.copy(solution_path(course, ASSIGNMENT), flat / ".ipynb_checkpoints" / "ada-checkpoint.ipynb")
    subset = {s: e for s, e in expected.items() if s in ("ada", "cy", "damaged-reordered", "crash-exit", "garbage")}
    for student in set(expected) - set(subset):
        (flat / f"{student}.ipynb").unlink()
    result = grade_class(flat, ASSIGNMENT, tmp_path / "out", course=course, workers=2, seed=SEED)
    check_expectations(result.reports, subset)
    for student, report in result.reports.items():
        assert report["notebook"] == f"{student}.ipynb"
        same = nbgrader_result.reports[student]["exercises"]
        assert [(e["status"], e["score"]) for e in report["exercises"]] == [(e["status"], e["score"]) for e in same]


# -- discovery -------------------------------------------------------------------
def test_student_ids_from_lms_file_names():
    assert student_id_from_filename("smithjane_12345_67890_conv1d.ipynb") == "smithjane"
    assert student_id_from_filename("smithjane_late_12345_67890_conv1d-1.ipynb") == "smithjane"
    assert student_id_from_filename("smithjane_LATE_12345_67890_conv1d.ipynb") == "smithjane"
    assert student_id_from_filename("alice.ipynb") == "alice"
    assert student_id_from_filename("alice_conv1d.ipynb") == "alice_conv1d"


def test_duplicate_student_ids_are_an_error(tmp_path):
    (tmp_path / "smithjane_1_2_conv1d.ipynb").write_text("{}")
    (tmp_path / "smithjane_1_3_conv1d-1.ipynb").write_text("{}")
    with pytest.raises(DiscoveryError, match="smithjane.*smithjane_1_2_conv1d.ipynb.*smithjane_1_3_conv1d-1.ipynb"):
        discover(tmp_path, ASSIGNMENT, "conv1d.ipynb")


def test_nbgrader_layout_renamed_missing_and_ambiguous_notebooks(tmp_path):
    root = tmp_path / "course"
    for student, names in {"ann": ["conv1d.ipynb", "scratch.ipynb"], "ben": ["conv1d (1).ipynb"], "cid": [], "dot": ["a.ipynb", "b.ipynb"]}.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).write_text("{}")
        (folder / "notes.txt").write_text("ignored")
    (root / "submitted" / "eve" / "02-other").mkdir(parents=True)  # another assignment only
    found = {s.student: s for s in discover(root, ASSIGNMENT, "conv1d.ipynb")}  # the course folder works too
    assert sorted(found) == ["ann", "ben", "cid", "dot"]
    assert found["ann"].path.name == "conv1d.ipynb"
    assert found["ben"].path.name == "conv1d (1).ipynb" and found["ben"].label == f"ben/{ASSIGNMENT}/conv1d (1).ipynb"
    assert found["cid"].path is None and "no notebook" in found["cid"].problem
    assert found["dot"].path is None and "a.ipynb, b.ipynb" in found["dot"].problem


def test_a_student_without_a_notebook_is_reported_not_fatal(tmp_path, course):
    root = tmp_path / "submitted"
    (root / "cid" / ASSIGNMENT).mkdir(parents=True)
    (root / "ann" / ASSIGNMENT).mkdir(parents=True)
    personal_notebook(course, ASSIGNMENT, "ann", root / "ann" / ASSIGNMENT / "conv1d.ipynb")
    result = grade_class(root, ASSIGNMENT, tmp_path / "out", course=course, seed=SEED)
    assert result.reports["ann"]["score"] == course.assignment(ASSIGNMENT).max_score
    assert result.reports["cid"]["score"] == 0.0
    assert all("no notebook was submitted" in e["feedback"] for e in result.reports["cid"]["exercises"])


def test_nothing_to_grade_is_a_clear_error(tmp_path, course):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiscoveryError, match="no submissions"):
        grade_class(tmp_path / "empty", ASSIGNMENT, tmp_path / "out", course=course)


# -- the store -------------------------------------------------------------------
def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "f.json"
    atomic_write(target, "old")
    atomic_write(target, "new", mode=0o600)
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_report_counts_only_when_it_parses_and_matches(tmp_path):
    store = Store(tmp_path)
    store.create()
    good = {"student": "ann", "notebook": "x", "assignment": ASSIGNMENT, "score": 1.0, "max_score": 1.0,
            "exercises": [{"id": "conv1d", "status": "passed", "score": 1.0, "max_score": 1.0, "feedback": "ok", "misconception": None}]}
    store.save(good, "feedback")
    assert store.load("ann", ASSIGNMENT) == good
    assert store.load("ann", "02-conv2d") is None
    for broken in ('{"student": "ann"', json.dumps({**good, "student": "bob"}), json.dumps({**good, "grader_error": "boom"}),
                   json.dumps({**good, "exercises": [{"id": "conv1d", "status": "great"}]})):
        (tmp_path / "reports" / "ann.json").write_text(broken)
        assert store.load("ann", ASSIGNMENT) is None, broken


# -- the command -----------------------------------------------------------------
def _autograder(*args, cwd=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)


def test_cli_grade_json_and_resume(tmp_path, course):
    root = tmp_path / "submitted"
    for student in ("ann", "ben"):
        (root / student / ASSIGNMENT).mkdir(parents=True)
        personal_notebook(course, ASSIGNMENT, student, root / student / ASSIGNMENT / "conv1d.ipynb")
    release_notebook(course, root / "cid" / ASSIGNMENT / "conv1d.ipynb")
    done = _autograder("--course", str(course.path), "grade", str(root), "--assignment", ASSIGNMENT, "--json", "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    reports = json.loads(done.stdout)
    assert [r["student"] for r in reports] == ["ann", "ben", "cid"]
    full = course.assignment(ASSIGNMENT).max_score
    assert [r["score"] for r in reports] == [full, full, 0.0]
    assert (tmp_path / "hardened" / ASSIGNMENT / "gradebook.csv").is_file()
    again = _autograder("--course", str(course.path), "grade", str(root), "-a", ASSIGNMENT, cwd=tmp_path)
    assert again.returncode == 0 and "graded 0, resumed 3 of 3" in again.stdout, again.stdout + again.stderr


def _pipe_holders(pipe_inode: int) -> list[int]:
    """The processes that hold an end of the pipe ``pipe_inode`` open."""
    holders = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == f"pipe:[{pipe_inode}]":
                    holders.append(int(proc.name))
                    break
            except OSError:  # closed meanwhile (the listing's own descriptor, for one)
                continue
    return holders


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return ""


@pytest.mark.parametrize("command", ["grade", "grade --seed", "check"])
def test_output_read_through_a_pipe_ends_with_the_command(tmp_path, course, command):
    """`autograder grade ... | tee log`, CI and scripts read the output through a pipe: when the command
    exits, nothing of it (the sandbox's servers, still loading libraries) may hold the pipe open."""
    flat = tmp_path / "class"
    flat.mkdir()
    personal_notebook(course, ASSIGNMENT, "ann", flat / "ann.ipynb")
    args = (["grade", str(flat), "-a", ASSIGNMENT, "--no-report", "-o", str(tmp_path / "out")] if command.startswith("grade")
            else ["check", str(flat / "ann.ipynb")])
    if command == "grade --seed":  # the sandbox's server is then a fresh process, not a copy of the grader
        args += ["--seed", str(SEED)]
    process = subprocess.Popen([sys.executable, "-m", "autograder", "--course", str(course.path), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    inode = os.fstat(process.stdout.fileno()).st_ino
    assert process.wait(timeout=300) == 0
    try:
        holders = {pid: _cmdline(pid) for pid in _pipe_holders(inode) if pid != os.getpid()}
        # Allowed for a moment: multiprocessing's resource tracker (it keeps stderr for its warnings and
        # ends as soon as it reads the end of its own pipe, closed when the grader exited) and processes
        # already ending (the kernel has released their memory, so their command line reads empty).
        staying = {pid: line for pid, line in holders.items() if line and "multiprocessing.resource_tracker" not in line}
        assert not staying, f"processes still hold the command's output pipe: {staying}"
        deadline = time.monotonic() + 30
        while set(_pipe_holders(inode)) - {os.getpid()} and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not set(_pipe_holders(inode)) - {os.getpid()}, "the processes holding the pipe did not end"
    finally:
        process.stdout.read()
        process.stdout.close()


def test_cli_errors_are_one_line(tmp_path, course):
    (tmp_path / "a_1_2_x.ipynb").write_text("{}")
    (tmp_path / "a_1_3_x.ipynb").write_text("{}")
    done = _autograder("--course", str(course.path), "grade", str(tmp_path), "-a", ASSIGNMENT, "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.startswith("autograder: error: two notebooks") and done.stderr.count("\n") == 1, done.stderr
    done = _autograder("--course", str(course.path), "grade", str(tmp_path), "-a", "no-such-assignment")
    assert done.returncode == 2 and "no assignment" in done.stderr


SLOW = '''
def conv1d(x, h):
    import time
    time.sleep(30)
'''


def test_ctrl_c_keeps_what_is_done_and_exits_130(tmp_path, course):
    root = tmp_path / "submitted"
    for n in range(2):
        (root / f"a{n}" / ASSIGNMENT).mkdir(parents=True)
        personal_notebook(course, ASSIGNMENT, f"a{n}", root / f"a{n}" / ASSIGNMENT / "conv1d.ipynb")
    for n in range(4):
        personal_notebook(course, ASSIGNMENT, f"z{n}", root / f"z{n}" / ASSIGNMENT / "conv1d.ipynb", replacements={"conv1d": SLOW})
    output = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "--course", str(course.path), "grade", str(root), "-a", ASSIGNMENT,
                                "-o", str(output), "--workers", "2", "--seed", str(SEED)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # As at a terminal: a shell starting the tests in the background makes children ignore SIGINT.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((output / "reports").glob("a*.json"))) < 2:
        time.sleep(0.05)
    time.sleep(1.0)  # the slow notebooks are now running
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 8, "Ctrl-C did not stop the running sandboxes"
    assert re.search(r"kept 2 graded submission\(s\) in .*; 4 left", err), err
    assert sorted(p.stem for p in (output / "reports").glob("*.json")) == ["a0", "a1"]
    rows = list(csv.DictReader((output / "gradebook.csv").open(newline="")))
    assert [r["student_id"] for r in rows] == ["a0", "a1"]
    assert not list(output.rglob("*.tmp"))
