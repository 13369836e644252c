"""nbgrader for real: generate_assignment, autograde, generate_feedback, export.

One temporary nbgrader course folder per assignment (nbgrader_config.py from
:func:`autograder.frontends.nbgrader.bridge.config_text`, course.yml beside it, the
solution in solutions/), real Jupyter kernels, and these submissions, each the
RELEASED notebook (as nbgrader hands it out) with the answer cells filled in:

- ``solution``: every answer cell holds the solution;
- ``untouched``: the released notebook as it is;
- ``plantNN``: the NN-th planted wrong answer of every exercise (tests/planted),
  the solution for exercises with fewer plants, so that every plant is
  submitted once and there are only as many notebooks as the largest number
  of plants of one exercise.

nbgrader's scores (the exported CSV and the gradebook's per-cell grades) must
equal ``autograder check``'s for the same files, and the feedback HTML must
show each failing exercise's learner-facing message.  The pipelines of the
assignments run concurrently (one subprocess chain per assignment, all
students autograded in one call).
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.frontends.nbgrader import bridge
from autograder.pipeline import check_notebook
from autograder.course import load_course
from autograder.report import Report

from conftest import ROOT, solution_path
from planted import all_plants

pytestmark = pytest.mark.slow

COURSE_FILE = Path(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")
ASSIGNMENTS = [a.id for a in load_course(COURSE_FILE, validate=False).assignments]
NBGRADER = [sys.executable, "-m", "nbgrader"]
PIPELINE_TIMEOUT = 900  # seconds for one assignment's whole pipeline


@dataclass
class Run:
    assignment: str
    root: Path
    students: dict[str, Path] = field(default_factory=dict)  # student -> submitted notebook
    log: str = ""
    reports: dict[str, Report] = field(default_factory=dict)  # autograder check
    # student -> exercise -> the message the notebook's own check() shows, per the engine
    inline: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    ok: bool = False

    def fail(self, step: str):
        pytest.fail(f"the {step} failed for {self.assignment}:\n{self.log[-4000:]}")


def _nbgrader(run: Run, *args: str) -> None:
    started = time.perf_counter()
    done = subprocess.run([*NBGRADER, *args], cwd=run.root, capture_output=True, text=True, timeout=PIPELINE_TIMEOUT)
    run.seconds[f"nbgrader {args[0]}"] = time.perf_counter() - started
    run.log += f"$ nbgrader {' '.join(args)}\n{done.stdout}{done.stderr}\n"
    if done.returncode != 0:
        raise RuntimeError(args[0])


def plant_sets(assignment_id: str) -> list[dict[str, str]]:
    """Notebook k takes the k-th plant of every exercise: answer cell grade_id -> source."""
    by_exercise: dict[str, list[str]] = {}
    for a, plant in all_plants():
        if a == assignment_id:
            by_exercise.setdefault(plant.exercise, []).append(plant.source)
    count = max((len(v) for v in by_exercise.values()), default=0)
    return [{ex: sources[k] for ex, sources in by_exercise.items() if k < len(sources)} for k in range(count)]


@dataclass
class Preps:
    full: dict  # every check: what `autograder check` runs
    visible: dict  # the check cell's check("id")
    hidden: dict  # its check("id", hidden=True) (no checks when the cell has no such call)
    none: dict  # no checks at all: for the exercises a run need not look at


def _preps(course, assignment_id: str, full: dict) -> Preps:
    from autograder.engine.evaluate import prepare
    from autograder.exercises import for_assignment

    cells = {}
    for cell in nbformat.read(solution_path(course, assignment_id), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            cells[meta.get("grade_id", "").removeprefix("check_")] = cell.source
    exercises = for_assignment(assignment_id)
    seed = course.seed
    return Preps(
        full,
        {ex.id: prepare(ex, seed=seed, visible=True, hidden=False) for ex in exercises},
        {ex.id: prepare(ex, seed=seed, visible=False, hidden="hidden=True" in cells.get(ex.id, "")) for ex in exercises},
        {ex.id: prepare(ex, seed=seed, visible=False, hidden=False) for ex in exercises},
    )


def _inline_messages(path: Path, course, assignment_id: str, preps: Preps, failing: set[str]) -> dict[str, str]:
    """What check() shows in the notebook for each failing exercise: the engine's
    verdict on the visible checks, then (if those pass) on the hidden ones."""
    found = {}
    for stage in (preps.visible, preps.hidden):
        todo = failing - set(found)
        if not todo:
            break
        prepared = {e: (stage if e in todo else preps.none)[e] for e in preps.full}
        report = check_notebook(path, course=course, assignment=assignment_id, prepared=prepared)
        found.update({e.id: e for e in report.exercises if e.id in todo and e.status != "passed"})
    return {e.id: f"✗ {e.id} ({e.status}): {e.feedback}" for e in found.values()}


def _grade_ourselves(run: Run, course, preps: Preps) -> None:
    started = time.perf_counter()
    for student, path in run.students.items():
        report = check_notebook(path, course=course, assignment=run.assignment, prepared=preps.full)
        run.reports[student] = report
        run.inline[student] = _inline_messages(path, course, run.assignment, preps, {e.id for e in report.exercises if e.status != "passed"})
    run.seconds["autograder check"] = time.perf_counter() - started


def _pipeline(course, assignment_id: str, root: Path, preps: Preps) -> Run:
    a = course.assignment(assignment_id)
    run = Run(assignment_id, root)
    (root / "solutions" / a.id).mkdir(parents=True)
    shutil.copyfile(solution_path(course, a.id), root / "solutions" / a.id / a.notebook)
    files = course.data_files(a.id)
    for name, data in files.items():
        (root / "solutions" / a.id / name).write_bytes(data)
    (root / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
    shutil.copyfile(course.path, root / "course.yml")
    try:
        _nbgrader(run, "generate_assignment", a.id, "--force")
        run.log += "\n".join(bridge.sync_gradebook(course, f"sqlite:///{root / 'gradebook.db'}")) + "\n"  # due dates
        released = root / "assignments" / a.id / a.notebook
        answers = bridge.solution_answers(solution_path(course, a.id))
        wanted = {"solution": answers, "untouched": None}
        for k, plants in enumerate(plant_sets(a.id)):
            wanted[f"plant{k:02d}"] = {**answers, **plants}
        for student, filled in wanted.items():
            target = root / "submitted" / student / a.id / a.notebook
            if filled is None:
                target.parent.mkdir(parents=True)
                shutil.copyfile(released, target)
            else:
                bridge.answered_notebook(released, target, filled)
            for name, data in files.items():
                (target.parent / name).write_bytes(data)
            run.students[student] = target
        with ThreadPoolExecutor(1) as ours:  # the engine's verdicts, while nbgrader works
            future = ours.submit(_grade_ourselves, run, course, preps)
            _nbgrader(run, "autograde", a.id, "--force")
            _nbgrader(run, "generate_feedback", a.id, "--force")
            _nbgrader(run, "export")
            future.result()
        run.ok = True
    except Exception:  # reported by this assignment's tests; the other assignments go on
        run.log += "\n!! " + traceback.format_exc()
    return run


@pytest.fixture(scope="module")
def runs(course, prepared, tmp_path_factory) -> dict[str, Run]:
    preps = {a.id: _preps(course, a.id, prepared(a.id)) for a in course.assignments}  # computed once, in this thread
    base = tmp_path_factory.mktemp("nbgrader-e2e")
    with ThreadPoolExecutor(max(1, min(len(course.assignments), os.cpu_count() or 1))) as pool:
        futures = {a.id: pool.submit(_pipeline, course, a.id, base / a.id, preps[a.id]) for a in course.assignments}
        done = {aid: f.result() for aid, f in futures.items()}
    for aid, run in done.items():  # shown with -s or -rP
        print(f"{aid}: {len(run.students)} submissions; " + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()))
    return done


def _run(runs, assignment_id) -> Run:
    run = runs[assignment_id]
    if not run.ok:
        run.fail("pipeline")
    return run


def _export_rows(run: Run) -> list[dict]:
    with open(run.root / "grades.csv", newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["assignment"] == run.assignment]


def _exported(run: Run) -> dict[str, tuple[float, float]]:
    return {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in _export_rows(run)}


def _cell_scores(run: Run, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    notebook = Path(run.students[student]).stem
    with Gradebook(f"sqlite:///{run.root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(notebook, run.assignment, student)
        return {g.name: float(g.score) for g in nb.grades}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_exported_scores_equal_autograder_check(assignment_id, runs, course):
    run = _run(runs, assignment_id)
    exported = _exported(run)
    a = course.assignment(assignment_id)
    assert set(exported) == set(run.students)
    assert exported["solution"] == (a.max_score, a.max_score)
    assert exported["untouched"] == (0.0, a.max_score)
    mismatches = {s: (exported[s][0], r.score) for s, r in run.reports.items() if exported[s][0] != r.score}
    assert not mismatches, f"nbgrader vs autograder check (student: (nbgrader, check)): {mismatches}"
    for student, report in run.reports.items():
        assert exported[student][1] == report.max_score


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_export_carries_the_due_date_synced_from_course_yml(assignment_id, runs, course):
    from nbgrader.utils import parse_utc

    run = _run(runs, assignment_id)
    due = course.assignment(assignment_id).due
    want = str(parse_utc(due)) if due else ""
    assert {row["duedate"] for row in _export_rows(run)} == {want}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_exercise_scores_the_same_in_nbgrader(assignment_id, runs):
    run = _run(runs, assignment_id)
    for student, report in run.reports.items():
        ours = {f"check_{e.id}": e.score for e in report.exercises}
        theirs = _cell_scores(run, student)
        assert theirs == ours, f"{student}: nbgrader {theirs} != check {ours}\n" + "\n".join(report.lines())


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_plant_was_submitted_and_fails(assignment_id, runs):
    """Each planted notebook loses points for every plant it holds."""
    run = _run(runs, assignment_id)
    for k, plants in enumerate(plant_sets(assignment_id)):
        report = run.reports[f"plant{k:02d}"]
        failed = {e.id for e in report.exercises if e.score == 0}
        assert set(plants) <= failed, f"plant{k:02d}: {set(plants) - failed} not failed"


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _feedback_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return _normal("".join(parser.parts))


def _feedback_page(run: Run, student: str) -> Path:
    return run.root / "feedback" / student / run.assignment / (Path(run.students[student]).stem + ".html")


def _unlocated(text: str) -> str:
    # autograder check names the notebook cell of a forbidden call ("cell 7, line 4");
    # check() in the kernel knows only the line ("line 4")
    return re.sub(r"\bcell \d+, (line \d+)", r"\1", text)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_feedback_shows_each_failing_exercises_message(assignment_id, runs):
    """The whole learner-facing message of every failing exercise is in nbgrader's feedback HTML."""
    run = _run(runs, assignment_id)
    missing = []
    for student, report in run.reports.items():
        page = _feedback_page(run, student)
        assert page.is_file(), f"no feedback for {student}"
        text = _unlocated(_feedback_text(page))
        failing = {e.id for e in report.exercises if e.status != "passed"}
        assert set(run.inline[student]) == failing, f"{student}: check() and autograder check disagree on what fails"
        for e in report.exercises:
            if e.status == "passed":
                assert f"✗ {e.id} (" not in text, f"{student}: {e.id} passed but the feedback shows a failure"
                continue
            for wanted in (f"✗ {e.id} ({e.status}):", run.inline[student][e.id]):
                if _unlocated(_normal(wanted)) not in text:
                    missing.append(f"{student} {e.id}: {wanted!r}")
    assert not missing, "not in the feedback HTML:\n" + "\n".join(missing)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_feedback_names_the_misconception_autograder_check_names(assignment_id, runs):
    """Where `autograder check` names a misconception, nbgrader's feedback names it too,
    unless the notebook's check() stops at a visible check that shows another mistake
    first (it runs the visible checks before the hidden ones; listed, not failed)."""
    run = _run(runs, assignment_id)
    problems, divergent = [], []
    for student, report in run.reports.items():
        text = _feedback_text(_feedback_page(run, student))
        for e in report.exercises:
            if e.misconception and e.status == "failed" and f"[{e.misconception}]" not in text:
                (divergent if f"[{e.misconception}]" not in run.inline[student][e.id] else problems).append(f"{student} {e.id} [{e.misconception}]")
    assert not problems, problems
    if divergent:
        print("check() in the notebook diagnoses differently from autograder check:", divergent)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_a_failed_check_is_an_error_output_holding_the_message(assignment_id, runs):
    """What nbgrader records: the check cell's output is an error (so 0 points) whose
    traceback is the learner-facing message itself, not a harness traceback."""
    run = _run(runs, assignment_id)
    autograded = run.root / "autograded" / "untouched" / assignment_id / run.students["untouched"].name
    nb = nbformat.read(autograded, as_version=4)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks
    for cell in checks:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, cell.outputs
        error = errors[0]
        assert error.ename == "CheckFailed"
        assert "\n".join(error.traceback) == error.evalue  # the message, nothing else
        assert error.evalue.startswith(f"✗ {cell.metadata.nbgrader.grade_id.removeprefix('check_')} (not-implemented)")
        assert "Traceback" not in error.evalue and "autograder/" not in error.evalue
