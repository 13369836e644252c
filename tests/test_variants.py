"""Each student their own numbers (issue 20), through every way a verdict is reached.

01's ``by_hand_full`` asks each student for the full convolution of their own
x and h, drawn from their id and course.yml's variant seed.  Here:

- the draw: stable per id, small enough to work by hand, never the lesson's
  numbers, and never degenerate (no misconception's values equal the answer),
  over thousands of ids;
- one class handed in through nbgrader's own commands and graded by
  ``nbgrader autograde`` (with the derived configuration) and by
  ``autograder grade``: the same points, check cell by check cell; a student's
  own answers full marks, the lesson's answers ``[lesson-numbers]``, another
  student's answers 0, named ``[other-numbers]`` when the notebook names that
  student, with the id it was graded on said in the feedback;
- the learner's side: the notebook run in a real kernel (``my_numbers`` and
  ``check()``), ``autograder check`` and ``pytest NOTEBOOK.ipynb`` read the id
  from the NAME cell and agree with the graders;
- ``autograder integrity`` reports the pair whose on-paper answer is right for
  the other's numbers;
- with ``variants: false`` in course.yml, everyone has the lesson's numbers.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

from autograder.course import load_course
from autograder.engine.numbers import draw_for
from autograder.exercises import get
from autograder.exercises.conv1d import _correlations
from autograder.frontends.grading import grade_class
from autograder.frontends.nbgrader import bridge
from autograder.pipeline import check_notebook
from conftest import ROOT, solution_path

ASSIGNMENT, NOTEBOOK, EXERCISE = "01-conv1d", "conv1d.ipynb", "by_hand_full"
NBGRADER = [sys.executable, "-m", "nbgrader"]


def _answers(course, student) -> list[int]:
    ex = get(EXERCISE)
    return ex.numbers.answers(draw_for(ex, student, course.variant_seed))["y_by_hand"]


# --------------------------------------------------------------------------- the draw

def test_each_students_numbers_are_stable_hand_sized_and_not_degenerate(course):
    ex = get(EXERCISE)
    seen = set()
    for n in range(2000):
        student = f"student-{n}"
        numbers = draw_for(ex, student, course.variant_seed)
        assert numbers == draw_for(ex, student, course.variant_seed)  # the same every time
        x, h = numbers["x"], numbers["h"]
        assert len(x) == len(h) == 3 and all(1 <= v <= 6 for v in x) and all(1 <= v <= 4 for v in h)  # by hand: products up to 24
        assert numbers != ex.numbers.lesson
        answer = np.convolve(x, h)
        assert max(answer) <= 72 and len(answer) == 5
        # the flip shows: sliding h unturned, read either way, never lands on the answer
        assert not any(np.array_equal(answer, c) for c in _correlations(x, h)), numbers
        assert not np.array_equal(answer, np.convolve(ex.numbers.lesson["x"], ex.numbers.lesson["h"]))
        seen.add((tuple(x), tuple(h)))
    assert len(seen) > 1000  # classmates rarely share numbers
    assert draw_for(ex, "alice", course.variant_seed) != draw_for(ex, "alice", course.variant_seed + 1)  # the course's own seed


# --------------------------------------------------------------------------- a class, through nbgrader and autograder grade

#: who hands in what: (answers of whose numbers, or "lesson", or "no-flip"; the id written in NAME)
CLASS = {
    "alice": ("alice", "alice"),
    "bob": ("alice", "alice"),      # alice's notebook handed in as bob: right for alice, not for bob
    "carol": ("lesson", "carol"),   # the lesson's example
    "dan": ("dan", ""),             # his own answers, NAME left empty: graded on the id he handed in under
    "erin": ("no-flip", "erin"),    # sliding her h without turning it
}


def _write(course, released: Path, target: Path, student: str) -> Path:
    whose, name = CLASS[student]
    if whose == "lesson":
        values = [6, 11, 14, 5, 0]
    elif whose == "no-flip":
        ex = get(EXERCISE)
        values = ex.numbers.wrong["no-flip"](draw_for(ex, student, course.variant_seed))[0]["y_by_hand"]
    else:
        values = _answers(course, whose)
    answers = bridge.solution_answers(solution_path(course, ASSIGNMENT))
    answers[EXERCISE] = f"y_by_hand = {list(values)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    bridge.answered_notebook(released, target, answers)
    nb = nbformat.read(target, as_version=4)
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("NAME = ")]
    cell.source = f"NAME = {name!r}"
    nbformat.write(nb, target)
    return target


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The class in an nbgrader course, graded by nbgrader autograde and by autograder grade."""
    root = tmp_path_factory.mktemp("variants") / "course"
    (root / bridge.SOURCE_DIRECTORY / ASSIGNMENT).mkdir(parents=True)
    shutil.copyfile(solution_path(course, ASSIGNMENT), root / bridge.SOURCE_DIRECTORY / ASSIGNMENT / NOTEBOOK)
    shutil.copyfile(course.path, root / "course.yml")
    (root / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
    local = load_course(root / "course.yml")
    local.secret_seed()
    bridge.release(local, [ASSIGNMENT])
    released = root / bridge.RELEASE_DIRECTORY / ASSIGNMENT / NOTEBOOK
    for student in CLASS:
        _write(course, released, root / "submitted" / student / ASSIGNMENT / NOTEBOOK, student)
    log = ""
    for args in (["autograde", ASSIGNMENT, "--force"], ["export"]):
        done = subprocess.run([*NBGRADER, *args], cwd=root, capture_output=True, text=True, timeout=600)
        log += f"$ nbgrader {' '.join(args)} ({done.returncode})\n{done.stdout}{done.stderr}\n"
        assert done.returncode == 0, log[-4000:]
    hardened = grade_class(root / "submitted", ASSIGNMENT, root / "hardened", course=local, workers=2)
    return {"root": root, "course": local, "released": released, "hardened": hardened, "log": log}


def _nbgrader_cells(root: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / bridge.GRADEBOOK_NAME}") as gb:
        for student in CLASS:
            nb = gb.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, student)
            out[student] = {g.name.removeprefix(bridge.CHECK_PREFIX): g.auto_score for g in nb.grades}
    return out


def _reports(root: Path) -> dict[str, dict]:
    return {student: json.loads((root / "hardened" / "reports" / f"{student}.json").read_text()) for student in CLASS}


def test_nbgrader_and_autograder_grade_give_each_student_the_same_points(graded):
    cells, reports = _nbgrader_cells(graded["root"]), _reports(graded["root"])
    points = graded["course"].assignment(ASSIGNMENT).points[EXERCISE]
    for student in CLASS:
        ours = {e["id"]: e["score"] for e in reports[student]["exercises"]}
        assert cells[student] == ours, (student, cells[student], ours)
    mine = {s: {e["id"]: e for e in reports[s]["exercises"]}[EXERCISE] for s in CLASS}
    assert mine["alice"]["score"] == points and mine["dan"]["score"] == points  # their own numbers
    assert mine["bob"]["score"] == mine["carol"]["score"] == mine["erin"]["score"] == 0
    assert mine["bob"]["misconception"] == "other-numbers"
    assert "'alice'" in mine["bob"]["feedback"] and "graded on 'bob'" in mine["bob"]["feedback"]
    assert mine["carol"]["misconception"] == "lesson-numbers"
    assert mine["erin"]["misconception"] == "no-flip"
    assert "Your own numbers" not in mine["alice"]["feedback"] + mine["dan"]["feedback"]  # nothing to say about them
    with open(graded["root"] / "grades.csv", newline="", encoding="utf-8") as handle:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}
    assert exported == {s: reports[s]["score"] for s in CLASS}


def test_nbgrader_feedback_names_the_id_it_graded(graded):
    nb = nbformat.read(graded["root"] / "autograded" / "bob" / ASSIGNMENT / NOTEBOOK, as_version=4)
    [cell] = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == bridge.CHECK_PREFIX + EXERCISE]
    shown = json.dumps(cell.get("outputs", []))
    assert "other-numbers" in shown and "graded on 'bob'" in shown, shown[:2000]


def test_integrity_reports_an_answer_right_for_another_students_numbers(graded):
    from autograder.frontends.integrity.analyse import analyse

    analysis = analyse(graded["root"] / "submitted", ASSIGNMENT, course=graded["course"], workers=2)
    pairs = {(p.a, p.b): p for p in analysis.pairs if not p.reference}
    pair = pairs.get(("alice", "bob"))
    assert pair is not None and "variant" in pair.kinds(), [(p.a, p.b, p.kinds()) for p in analysis.pairs]
    assert any("exactly right for alice's" in e.text for e in pair.evidence if e.kind == "variant"), pair.evidence
    assert not any("variant" in p.kinds() for key, p in pairs.items() if key != ("alice", "bob"))


# --------------------------------------------------------------------------- the learner's side

def test_self_checks_read_the_id_from_the_notebook_and_agree_with_the_graders(graded, tmp_path):
    """autograder check, pytest and the notebook's own cells in a real kernel, each on the notebook with its NAME."""
    from nbclient import NotebookClient

    root, course = graded["root"], graded["course"]
    reports = _reports(root)
    env = {**os.environ, "AUTOGRADER_COURSE": str(root / "course.yml"), "MPLBACKEND": "Agg"}
    env.pop("JUPYTERHUB_USER", None)
    for student in ("alice", "carol", "erin"):
        folder = tmp_path / student
        folder.mkdir()
        path = shutil.copy(root / "submitted" / student / ASSIGNMENT / NOTEBOOK, folder / NOTEBOOK)
        graded_entry = {e["id"]: e for e in reports[student]["exercises"]}[EXERCISE]
        # autograder check --json
        done = subprocess.run([sys.executable, "-m", "autograder", "check", "--json", NOTEBOOK], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=300)
        [entry] = [e for e in json.loads(done.stdout)["exercises"] if e["id"] == EXERCISE]
        assert (entry["status"], entry["score"], entry["misconception"]) == \
            (graded_entry["status"], graded_entry["score"], graded_entry["misconception"]), (student, entry)
        # pytest NOTEBOOK.ipynb: one test per exercise
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", NOTEBOOK, "-k", EXERCISE],
                              cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert (done.returncode == 0) == (graded_entry["status"] == "passed"), (student, done.stdout[-2000:])
        # the notebook itself, in a kernel: my_numbers shows the student's numbers, check() the same verdict
        nb = nbformat.read(path, as_version=4)
        old = os.environ.copy()
        os.environ.update({"AUTOGRADER_COURSE": str(root / "course.yml"), "MPLBACKEND": "Agg"})
        os.environ.pop("JUPYTERHUB_USER", None)
        try:
            NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(old)
        printed = {c.source.splitlines()[-1]: "".join(o.get("text", "") for o in c.get("outputs", [])) for c in nb.cells if c.cell_type == "code" and c.source}
        numbers = draw_for(get(EXERCISE), student, course.variant_seed)
        assert f"Your numbers (student {student}): x = {numbers['x']}, h = {numbers['h']}" in printed['my_numbers("by_hand_full")']
        verdict = printed['check("by_hand_full")']
        assert verdict.startswith("✓" if graded_entry["status"] == "passed" else "✗"), (student, verdict)
        if graded_entry["misconception"]:
            assert f"[{graded_entry['misconception']}]" in verdict, (student, verdict)


def test_a_notebook_without_an_id_is_checked_on_the_lessons_numbers_and_told_so(graded, tmp_path):
    course = graded["course"]
    path = _write(course, graded["released"], tmp_path / "nobody" / NOTEBOOK, "carol")
    nb = nbformat.read(path, as_version=4)
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("NAME = ")]
    cell.source = 'NAME = ""'
    nbformat.write(nb, path)
    os.environ.pop("JUPYTERHUB_USER", None)
    entry = {e.id: e for e in check_notebook(path, course=course).exercises}[EXERCISE]
    assert entry.status == "passed" and "names no student" in entry.feedback
    # the JupyterHub user stands in for an empty NAME
    os.environ["JUPYTERHUB_USER"] = "carol"
    try:
        entry = {e.id: e for e in check_notebook(path, course=course).exercises}[EXERCISE]
    finally:
        del os.environ["JUPYTERHUB_USER"]
    assert entry.status == "failed" and entry.misconception == "lesson-numbers"


def test_with_variants_off_everyone_has_the_lessons_numbers(graded, tmp_path):
    course = graded["course"]
    off = dataclasses.replace(course, assignments=[dataclasses.replace(a, variants=False) if a.id == ASSIGNMENT else a for a in course.assignments])
    lesson = _write(course, graded["released"], tmp_path / "carol" / NOTEBOOK, "carol")
    own = _write(course, graded["released"], tmp_path / "alice" / NOTEBOOK, "alice")
    for path, status in ((lesson, "passed"), (own, "failed")):
        entry = {e.id: e for e in check_notebook(path, course=off, student=path.parent.name).exercises}[EXERCISE]
        assert entry.status == status and "Your own numbers" not in entry.feedback, (path, entry.feedback)
    # and course.yml says so: a bad value is refused with where and what
    data = yaml.safe_load((graded["root"] / "course.yml").read_text())
    data["assignments"][0]["variants"] = "yes"
    bad = tmp_path / "course.yml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(Exception, match=r"'variants' should be true .* or false"):
        load_course(bad)
