"""Hostile submissions cannot earn points, stall the grader, or hurt anyone else.

Every attack of tests/hostile is planted in a copy of the 01-conv1d solution
and graded in the sandbox (tests/hostile/__init__.py says what each does).  For
each: the attacked exercises score 0 with a specific learner-facing message
(never a harness traceback), the honest exercises of the same notebook pass,
the notebook is graded within a wall-clock bound, no process it started
survives, the files of the grader and of other students are untouched, and the
grader still works afterwards.
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from pathlib import Path

import pytest

from autograder.pipeline import check_notebook
from autograder.sandbox import confine
from autograder.sandbox.session import Limits

from conftest import ROOT, solution_path
from hostile import ASSIGNMENT, ATTACKS, EXERCISES, build

#: Tight limits keep the suite fast; the attacks do not depend on their size.
HOSTILE = Limits(exercise_timeout=2, submission_timeout=40, memory_mb=512, max_file_mb=8, max_processes=32)
WALL_CLOCK = 30.0
SECRET_SEED = "7340591126"


def _zombie(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _processes_named(mark: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/comm", encoding="ascii", errors="replace") as comm:
                    if comm.read().strip() == mark and not _zombie(entry.name):
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def targets(tmp_path: Path) -> dict[str, str]:
    """A fake output folder of the class grader and another student's notebook, to aim at."""
    output = tmp_path / "graded"
    (output / "reports").mkdir(parents=True)
    (output / "seed").write_text(SECRET_SEED)
    os.chmod(output / "seed", 0o600)
    (output / "gradebook.csv").write_text("student_id,score\nvictim,1\n")
    (output / "reports" / "victim.json").write_text('{"score": 1}')
    victim = tmp_path / "submitted" / "victim" / ASSIGNMENT / "conv1d.ipynb"
    victim.parent.mkdir(parents=True)
    victim.write_text('{"cells": []}')
    return {
        "REPO": str(ROOT),
        "COURSE": os.environ.get("AUTOGRADER_COURSE") or str(ROOT / "course.yml"),
        "OUTPUT": str(output),
        "VICTIM": "victim",
        "VICTIM_NOTEBOOK": str(victim),
        "MARK": "hx" + uuid.uuid4().hex[:10],
    }


def _snapshot(values: dict[str, str]) -> dict[str, bytes | None]:
    paths = [Path(values["OUTPUT"]) / n for n in ("seed", "gradebook.csv", "reports/victim.json", "pwned.txt")]
    paths += [Path(values["VICTIM_NOTEBOOK"]), Path(values["OUTPUT"]).parent / "pwned.txt", Path(f"/tmp/pwned-{values['MARK']}.txt")]
    return {str(p): (p.read_bytes() if p.exists() else None) for p in paths}


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_hostile_notebook(attack, course, prepared, tmp_path):
    if attack.needs_confinement and os.getuid() != 0 and not confine.full_isolation():
        pytest.skip(f"not root, and this kernel offers no full confinement ({confine.probe()}): {attack.name} cannot be stopped")
    values = targets(tmp_path)
    before = _snapshot(values)
    notebook = build(attack, solution_path(course, ASSIGNMENT), tmp_path / "student" / "conv1d.ipynb", values)
    started = time.monotonic()
    try:
        report = check_notebook(notebook, course=course, assignment=ASSIGNMENT, prepared=prepared(ASSIGNMENT), limits=HOSTILE)
    finally:
        survivors = _processes_named(values["MARK"])
        for pid in survivors:  # clean up before failing, so one failure does not leak into the next test
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    elapsed = time.monotonic() - started
    data = json.loads(json.dumps(report.to_dict()))
    by_id = {e["id"]: e for e in data["exercises"]}
    assert set(by_id) == set(EXERCISES)
    assert elapsed < WALL_CLOCK, f"grading took {elapsed:.1f} s"
    for exercise_id, statuses in attack.attacked.items():
        entry = by_id[exercise_id]
        assert entry["score"] <= attack.max_credit * entry["max_score"], entry
        assert entry["status"] in statuses, entry
        assert entry["feedback"].strip(), entry
        assert re.search(attack.message, entry["feedback"], re.S), entry["feedback"]
    for entry in data["exercises"]:
        assert "Traceback" not in entry["feedback"] and 'File "' not in entry["feedback"], entry["feedback"]
        assert SECRET_SEED not in entry["feedback"], entry["feedback"]
        assert entry["status"] in ("passed", "failed", "error", "timeout", "missing", "forbidden", "not-implemented")
    for exercise_id in attack.honest:
        assert by_id[exercise_id]["status"] == "passed", by_id[exercise_id]
    assert survivors == [], f"processes started by the submission survived grading: {survivors}"
    assert _snapshot(values) == before, "the submission changed files outside its working folder"


def test_grader_still_works_after_the_attacks(course, prepared, tmp_path):
    """Run last in this module: the fork server and the grader survived everything above."""
    report = check_notebook(solution_path(course, ASSIGNMENT), course=course, assignment=ASSIGNMENT, prepared=prepared(ASSIGNMENT), limits=HOSTILE)
    assert report.all_passed, report.to_dict()


# -- the whole hostile class through the class grader ---------------------------------
HONEST = {"honest-solution": {}, "honest-no-flip": None}  # None: filled with a planted misconception


def _course_with_fast_limits(course, tmp_path: Path):
    """A copy of the course whose grading limits are the tight ones of this module."""
    import yaml

    from autograder.course import load_course

    data = yaml.safe_load(Path(course.path).read_text())
    data["grading"].update({k: getattr(HOSTILE, k) for k in ("exercise_timeout", "submission_timeout", "memory_mb", "max_file_mb", "max_processes")})
    root = tmp_path / "course"
    root.mkdir()
    for name in ("solutions", "assignments"):
        (root / name).symlink_to(course.root / name)
    (root / "course.yml").write_text(yaml.safe_dump(data))
    return load_course(root / "course.yml")


def _honest(course, student: str, target: Path) -> Path:
    """What ``student`` hands in: the solution with their id and their own numbers' answers (and a plant)."""
    from conftest import personal_notebook, personal_plant
    from planted import all_plants

    if student == "honest-solution":
        return personal_notebook(course, ASSIGNMENT, student, target)
    plant = next(p for a, p in all_plants() if a == ASSIGNMENT and p.exercise == "conv1d" and p.misconception == "no-flip")
    return personal_plant(course, ASSIGNMENT, student, plant, target)


def _attack(course, attack, target: Path, values: dict[str, str]) -> Path:
    """``attack`` as its student hands it in: built on the solution with their id and their own numbers'
    answers; an attack that dresses up the lesson's on-paper answer dresses up the student's instead (the
    lesson's would be wrong for them whatever the trick)."""
    from autograder.exercises import get
    from conftest import personal_answers, personal_notebook

    import nbformat

    build(attack, personal_notebook(course, ASSIGNMENT, attack.name, target), target, values)
    ex = get("by_hand_full")
    own = personal_answers(course, ASSIGNMENT, attack.name).get(ex.id)
    if own is not None:
        lesson, mine = str(list(ex.values["y_by_hand"])), own.split(" = ", 1)[1]
        nb = nbformat.read(target, as_version=4)
        for cell in nb.cells:
            cell.source = cell.source.replace(lesson, mine)
        nbformat.write(nb, target)
    return target


def test_hostile_class_through_the_class_grader(course, tmp_path):
    grading = pytest.importorskip("autograder.frontends.grading")
    fast = _course_with_fast_limits(course, tmp_path)
    output = tmp_path / "graded"
    class_dir, alone_dir = tmp_path / "submitted", tmp_path / "alone"
    values = targets(tmp_path / "targets")
    values["OUTPUT"] = str(output)  # aim at the real output folder of this batch
    attacks = [a for a in ATTACKS if not a.needs_confinement or os.getuid() == 0 or confine.full_isolation()]
    for attack in attacks:
        _attack(course, attack, class_dir / attack.name / ASSIGNMENT / "conv1d.ipynb", values)
    for student in HONEST:
        _honest(course, student, class_dir / student / ASSIGNMENT / "conv1d.ipynb")
        _honest(course, student, alone_dir / student / ASSIGNMENT / "conv1d.ipynb")
    seed = 424242
    started = time.monotonic()
    try:
        result = grading.grade_class(class_dir, ASSIGNMENT, output, course=fast, workers=2, seed=seed)
    finally:
        for pid in _processes_named(values["MARK"]):
            os.kill(pid, signal.SIGKILL)
    elapsed = time.monotonic() - started
    alone = grading.grade_class(alone_dir, ASSIGNMENT, tmp_path / "graded-alone", course=fast, workers=1, seed=seed)
    students = {a.name for a in attacks} | set(HONEST)
    assert set(result.reports) == students, "the batch did not complete"
    for student in HONEST:
        together = {e["id"]: (e["status"], e["score"], e["feedback"]) for e in result.reports[student]["exercises"]}
        by_itself = {e["id"]: (e["status"], e["score"], e["feedback"]) for e in alone.reports[student]["exercises"]}
        assert together == by_itself, student
    assert result.reports["honest-solution"]["score"] == result.reports["honest-solution"]["max_score"]
    for attack in attacks:
        by_id = {e["id"]: e for e in result.reports[attack.name]["exercises"]}
        for exercise_id in attack.attacked:
            assert by_id[exercise_id]["score"] <= attack.max_credit * by_id[exercise_id]["max_score"], (attack.name, by_id[exercise_id])
    # Nothing the submissions wrote reached the output folder, and the secret seed stayed secret.
    # (what grade_class itself writes: the gradebook, reports, feedback, the seed and the list of submissions)
    assert sorted(p.name for p in output.iterdir()) == sorted(["gradebook.csv", "reports", "feedback", "seed", "submissions.json"]), list(output.iterdir())
    assert (output / "seed").stat().st_mode & 0o077 == 0
    secret = (output / "seed").read_text().strip()
    for report in result.reports.values():
        assert all(secret not in e["feedback"] for e in report["exercises"])
    print(f"hostile class of {len(students)} graded in {elapsed:.1f} s")
