"""nbgrader for real, graded in the sandbox: release, autograde, generate_feedback, export.

A temporary nbgrader course holding every assignment: nbgrader_config.py from
:func:`autograder.frontends.nbgrader.bridge.config_text` (so ``nbgrader
autograde`` runs :class:`~autograder.frontends.nbgrader.autograde.SandboxGrade`
instead of a kernel), course.yml beside it, the solutions in solutions/, a
secret seed of its own, the notebooks released with ``autograder release``.
The submissions of each assignment are the RELEASED notebook (as nbgrader
hands it out) with the answer cells filled in:

- ``solution``: every answer cell holds the solution (the on-paper ones the
  answers of the student's own numbers, as every submission's: each student
  has their own);
- ``untouched``: the released notebook as it is;
- ``plantNN``: the NN-th planted wrong answer of every exercise (tests/planted),
  the solution for exercises with fewer plants: the first :data:`PLANT_SETS` of
  these notebooks and the fewest more that show every status the assignment's
  plants have (:func:`chosen_sets`; every plant is graded on its own, and its
  misconception named, in tests/test_misconceptions.py);
- for 01-conv1d, notebooks that try to fool grading in a kernel: attacks from
  tests/hostile (a patched autograder, an IPython input transformer, printed
  fake results) and cells that fake the ``autograder`` module, patch
  ``check``, swallow exceptions or redirect stderr, next to wrong answers.

Then the real ``nbgrader autograde``, ``generate_feedback`` and ``export``
commands, each once for the whole class of every assignment (nbgrader globs
the assignment id ``*``; one course rather than one per assignment spares four
start-ups of each command).  Asserted, per assignment and exercise by
exercise: the score nbgrader records for every check cell (its gradebook)
equals the hardened grader's (:func:`~autograder.pipeline.check_notebook` with
the temporary course's secret seed, which is what ``autograder grade`` and
``SandboxGrade`` use), partial credit included, and so do the exported totals;
the feedback page shows every exercise's verdict exactly as
:func:`autograder.frontends.verdict.text` writes it and names the
misconception where there is one; the check cells hold the outputs nbgrader
reads (a pass is plain output, partial credit a numeric ``execute_result``, no
credit an error whose traceback is the message itself).
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

from autograder.course import load_course
from autograder.frontends import verdict
from autograder.frontends.nbgrader import bridge
from autograder.pipeline import check_notebook
from autograder.report import Report

from conftest import ROOT, personal_plant_source, personal_submission, solution_path
from hostile import WRONG_LENGTH, by_name, build
from planted import all_plants

pytestmark = pytest.mark.slow

COURSE_FILE = Path(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")
ASSIGNMENTS = [a.id for a in load_course(COURSE_FILE, validate=False).assignments]
AUTOGRADER = [sys.executable, "-m", "autograder"]
NBGRADER = [sys.executable, "-m", "nbgrader"]
STEP_TIMEOUT = 900  # seconds for one command of the pipeline
#: planted notebooks submitted per assignment at least (see :func:`chosen_sets`)
PLANT_SETS = 2

HOSTILE_ASSIGNMENT = "01-conv1d"
#: attacks of tests/hostile aimed at grading in a kernel
HOSTILE_ATTACKS = ("monkeypatch-autograder", "input-transformer", "prints-fake-results")
#: a cell put after the setup cell of a notebook answering conv1d and output_length wrong;
#: each made a wrong notebook score full marks when nbgrader ran the check cells in a kernel
KERNEL_ATTACKS = {
    "fake-module": (
        "import sys, types\n"
        "fake = types.ModuleType('autograder')\n"
        "fake.check = lambda *args, **kwargs: None\n"
        "fake.demo = lambda *args, **kwargs: __import__('contextlib').nullcontext()\n"
        "sys.modules['autograder'] = fake\n"
    ),
    "patched-check": (
        "import autograder\n"
        "autograder.check = lambda *args, **kwargs: None\n"
    ),
    "swallowed-exceptions": (
        "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
    ),
    "redirected-stderr": (
        "import sys\n"
        "sys.stderr = sys.stdout\n"
    ),
}
KERNEL_ATTACKED = ("conv1d", "output_length")

@dataclass
class Run:
    root: Path
    #: assignment -> student -> submitted notebook
    students: dict[str, dict[str, Path]] = field(default_factory=dict)
    log: str = ""
    secret_seed: int | None = None
    #: assignment -> student -> the hardened grader's report (secret seed)
    reports: dict[str, dict[str, Report]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    ok: bool = False


@dataclass
class Graded:
    """One assignment of the run."""
    assignment: str
    root: Path
    students: dict[str, Path]
    reports: dict[str, Report]

    def autograded(self, student: str) -> Path:
        return self.root / "autograded" / student / self.assignment / self.students[student].name

    def feedback_page(self, student: str) -> Path:
        return self.root / "feedback" / student / self.assignment / (self.students[student].stem + ".html")


def _command(run: Run, name: str, cmd: list[str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=run.root, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    run.seconds[name] = time.perf_counter() - started
    run.log += f"$ {' '.join(cmd[2:])}\n{done.stdout}{done.stderr}\n"
    if done.returncode != 0:
        raise RuntimeError(f"{name} exited with status {done.returncode}")


def planted_sets(assignment_id: str) -> list[dict]:
    """Notebook k takes the k-th plant of every exercise: answer cell grade_id -> plant."""
    by_exercise: dict[str, list] = {}
    for a, plant in all_plants():
        if a == assignment_id:
            by_exercise.setdefault(plant.exercise, []).append(plant)
    count = max((len(v) for v in by_exercise.values()), default=0)
    return [{ex: plants[k] for ex, plants in by_exercise.items() if k < len(plants)} for k in range(count)]


#: The one assignment whose plant that never returns is graded (each such plant waits out its time limit,
#: 10 s in every grader, and one shows it): 04's, in conv_output_size.
TIMEOUT_SHOWN_IN = "04-shapes"


def chosen_sets(assignment_id: str, at_least: int = 1) -> list[int]:
    """The plant sets a slow test grades (each is a notebook holding one plant of every exercise): the
    first ``at_least``, then the fewest, first ones that show every status the assignment's plants have,
    leaving out "timeout" but in :data:`TIMEOUT_SHOWN_IN`.  Every plant, one at a time, is graded in
    tests/test_misconceptions.py."""
    statuses = [{p.status for p in s.values()} for s in planted_sets(assignment_id)]
    wanted = set().union(*statuses) if statuses else set()
    if assignment_id != TIMEOUT_SHOWN_IN:
        wanted.discard("timeout")
    picked = [k for k, has in enumerate(statuses[:at_least]) if has <= wanted]
    for cover_only_wanted in (True, False):  # first sets without an unwanted status, then what they leave
        for k, has in enumerate(statuses):
            shown = set().union(*(statuses[j] for j in picked))
            if k not in picked and (has & wanted) - shown and (has <= wanted or not cover_only_wanted):
                picked.append(k)
    return sorted(picked)


def plant_sets(assignment_id: str) -> list[dict[str, str]]:
    """Notebook k takes the k-th plant of every exercise: answer cell grade_id -> source (as tests/planted writes it)."""
    return [{ex: plant.source for ex, plant in plants.items()} for plants in planted_sets(assignment_id)]


def _first_plant(assignment_id: str, exercise: str) -> str:
    return next(p.source for a, p in all_plants() if a == assignment_id and p.exercise == exercise and p.status == "failed")


def _kernel_attack(answered: Path, target: Path, cell: str, wrong: dict[str, str]) -> Path:
    """``answered`` with ``wrong`` answers and ``cell`` right after the setup cell."""
    bridge.answered_notebook(answered, target, wrong)
    nb = nbformat.read(target, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(cell))
    nbformat.write(nb, target)
    return target


def _submissions(run: Run, course, assignment_id: str) -> dict[str, Path]:
    """The class of one assignment in submitted/STUDENT/ASSIGNMENT/: student -> notebook."""
    a = course.assignment(assignment_id)
    released = run.root / bridge.RELEASE_DIRECTORY / a.id / a.notebook

    def target(student: str) -> Path:
        return run.root / "submitted" / student / a.id / a.notebook

    def answered(student: str, replacements: dict[str, str] | None = None) -> Path:
        """The release as ``student`` answers it: the solution's answers, their id and their own numbers'."""
        return personal_submission(course, a.id, student, released, target(student), replacements)

    answered("solution")
    target("untouched").parent.mkdir(parents=True)
    shutil.copyfile(released, target("untouched"))
    for k in chosen_sets(a.id, PLANT_SETS):
        plants = planted_sets(a.id)[k]
        student = f"plant{k:02d}"
        answered(student, {ex: personal_plant_source(course, a.id, student, plant) for ex, plant in plants.items()})
    if a.id == HOSTILE_ASSIGNMENT:
        for name in HOSTILE_ATTACKS:
            build(by_name(name), answered(f"hostile-{name}"), target(f"hostile-{name}"), {"REPO": str(ROOT)})
        wrong = {"conv1d": _first_plant(a.id, "conv1d"), "output_length": WRONG_LENGTH}
        for name, cell in KERNEL_ATTACKS.items():
            _kernel_attack(answered(f"kernel-{name}"), target(f"kernel-{name}"), cell, wrong)
    students = {}
    for folder in sorted((run.root / "submitted").iterdir()):
        if (folder / a.id).is_dir():
            students[folder.name] = folder / a.id / a.notebook
            for name, data in course.data_files(a.id).items():
                (folder / a.id / name).write_bytes(data)
    return students


def _grade_hardened(run: Run) -> None:
    """The hardened grader's report of every submission, with the temporary course's secret seed."""
    started = time.perf_counter()
    course = load_course(run.root / "course.yml")
    for assignment_id, students in run.students.items():
        reports = run.reports.setdefault(assignment_id, {})
        for student, path in students.items():
            # graded as that student: their own hidden cases of the secret seed, as both graders draw them
            reports[student] = check_notebook(path, course=course, assignment=assignment_id, seed=run.secret_seed, student=student)
    run.seconds["hardened grading"] = time.perf_counter() - started


def _pipeline(course, root: Path) -> Run:
    """The whole course in one temporary nbgrader course: release, submit, autograde, feedback, export."""
    run = Run(root)
    try:
        for a in course.assignments:
            (root / bridge.SOURCE_DIRECTORY / a.id).mkdir(parents=True)
            shutil.copyfile(solution_path(course, a.id), root / bridge.SOURCE_DIRECTORY / a.id / a.notebook)
            for name, data in course.data_files(a.id).items():
                (root / bridge.SOURCE_DIRECTORY / a.id / name).write_bytes(data)
        (root / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
        shutil.copyfile(course.path, root / "course.yml")
        run.secret_seed = load_course(root / "course.yml").secret_seed()  # drawn once, as `autograder nbgrader-config` does
        _command(run, "autograder release", [*AUTOGRADER, "--course", str(root / "course.yml"), "release"])
        for a in course.assignments:
            run.students[a.id] = _submissions(run, course, a.id)
        with ThreadPoolExecutor(1) as ours:  # the hardened grader's verdicts, while nbgrader works
            future = ours.submit(_grade_hardened, run)
            # "*": every assignment in one command (nbgrader globs the assignment id)
            _command(run, "nbgrader autograde", [*NBGRADER, "autograde", "*", "--force"])
            _command(run, "nbgrader generate_feedback", [*NBGRADER, "generate_feedback", "*", "--force"])
            _command(run, "nbgrader export", [*NBGRADER, "export"])
            future.result()
        run.ok = True
    except Exception:  # reported by every test
        run.log += "\n!! " + traceback.format_exc()
    return run


@pytest.fixture(scope="module")
def run(course, tmp_path_factory) -> Run:
    done = _pipeline(course, tmp_path_factory.mktemp("nbgrader-e2e") / "course")
    count = sum(len(s) for s in done.students.values())
    print(f"{count} submissions; " + ", ".join(f"{k} {v:.1f} s" for k, v in done.seconds.items()))  # shown with -rP
    return done


def _graded(run: Run, assignment_id: str) -> Graded:
    if not run.ok:
        pytest.fail(f"the pipeline failed:\n{run.log[-4000:]}")
    return Graded(assignment_id, run.root, run.students[assignment_id], run.reports[assignment_id])


def _export_rows(g: Graded) -> list[dict]:
    with open(g.root / "grades.csv", newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["assignment"] == g.assignment]


def _cell_scores(g: Graded) -> dict[str, dict[str, float]]:
    """student -> exercise -> the auto score nbgrader recorded for its check cell."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{g.root / bridge.GRADEBOOK_NAME}") as gb:
        for student, path in g.students.items():
            nb = gb.find_submission_notebook(path.stem, g.assignment, student)
            out[student] = {c.name.removeprefix(bridge.CHECK_PREFIX): c.auto_score for c in nb.grades}
    return out


def _ours(report: Report) -> dict[str, float]:
    return {e.id: e.score for e in report.exercises}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_check_cell_scores_in_nbgrader_what_the_hardened_grader_gives(assignment_id, run):
    g = _graded(run, assignment_id)
    recorded = _cell_scores(g)
    assert set(recorded) == set(g.reports)
    problems = [f"{s}: nbgrader {recorded[s]} != hardened {_ours(r)}\n" + "\n".join(r.lines()) for s, r in g.reports.items() if recorded[s] != _ours(r)]
    assert not problems, "\n".join(problems)


def test_partial_credit_reaches_nbgrader(run):
    """Some submissions earn a share of an exercise's points; nbgrader records that share."""
    partial = []
    for assignment_id in ASSIGNMENTS:
        g = _graded(run, assignment_id)
        recorded = _cell_scores(g)
        partial += [(assignment_id, s, e.id, e.score, recorded[s][e.id]) for s, r in g.reports.items() for e in r.exercises if 0 < e.score < e.max_score]
    assert partial, "no submission earned partial credit: the test no longer covers it"
    assert all(ours == theirs for *_, ours, theirs in partial), partial


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_exported_totals_equal_the_hardened_grader(assignment_id, run, course):
    g = _graded(run, assignment_id)
    # nbgrader adds the cells' floats up (7.470000000000001): equal to the hundredth
    exported = {row["student_id"]: (round(float(row["score"]), 6), float(row["max_score"])) for row in _export_rows(g)}
    a = course.assignment(assignment_id)
    assert set(g.students) <= set(exported)
    # nbgrader exports every student of the course for every assignment: 0 for those who did not submit it
    assert all(exported[s] == (0.0, a.max_score) for s in set(exported) - set(g.students))
    assert exported["solution"] == (a.max_score, a.max_score)
    assert exported["untouched"] == (0.0, a.max_score)
    mismatches = {s: (exported[s], (r.score, r.max_score)) for s, r in g.reports.items() if exported[s] != (r.score, r.max_score)}
    assert not mismatches, f"student: ((nbgrader score, max), (hardened score, max)): {mismatches}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_export_carries_the_due_date_synced_from_course_yml(assignment_id, run, course):
    from nbgrader.utils import parse_utc

    g = _graded(run, assignment_id)
    due = course.assignment(assignment_id).due
    want = str(parse_utc(due)) if due else ""
    assert {row["duedate"] for row in _export_rows(g)} == {want}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_plant_was_submitted_and_fails(assignment_id, run):
    """Each planted notebook chosen was submitted and loses points for every plant it holds; the solution loses none."""
    g = _graded(run, assignment_id)
    assert g.reports["solution"].all_passed, "\n".join(g.reports["solution"].lines())
    assert {s for s in g.reports if s.startswith("plant")} == {f"plant{k:02d}" for k in chosen_sets(assignment_id, PLANT_SETS)}
    for k in chosen_sets(assignment_id, PLANT_SETS):
        plants = plant_sets(assignment_id)[k]
        report = g.reports[f"plant{k:02d}"]
        lost = {e.id for e in report.exercises if e.score < e.max_score}
        assert set(plants) <= lost, f"plant{k:02d}: {set(plants) - lost} not failed\n" + "\n".join(report.lines())


def test_attacks_on_grading_in_a_kernel_win_nothing(run, course):
    g = _graded(run, HOSTILE_ASSIGNMENT)
    recorded = _cell_scores(g)
    points = course.assignment(HOSTILE_ASSIGNMENT).points
    for name in HOSTILE_ATTACKS:
        attack = by_name(name)
        student = f"hostile-{name}"
        for exercise, statuses in attack.attacked.items():
            entry = next(e for e in g.reports[student].exercises if e.id == exercise)
            assert entry.status in statuses, f"{student} {exercise}: {entry.status}\n{entry.feedback}"
            assert recorded[student][exercise] <= attack.max_credit * points[exercise], (student, exercise, recorded[student][exercise])
        for exercise in attack.honest:
            assert recorded[student][exercise] == points[exercise], (student, exercise, recorded[student])
    for name in KERNEL_ATTACKS:
        student = f"kernel-{name}"
        assert recorded[student]["by_hand_full"] == points["by_hand_full"], (student, recorded[student])
        for exercise in KERNEL_ATTACKED:
            assert recorded[student][exercise] < points[exercise], (student, exercise, recorded[student])


# --------------------------------------------------------------------------- outputs and feedback

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


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_feedback_shows_every_verdict_and_misconception(assignment_id, run):
    """Each exercise's verdict, as verdict.text writes it (✓/✗, status, points, message),
    and the name of the misconception it recognised, are in the student's feedback page."""
    g = _graded(run, assignment_id)
    missing = []
    for student, report in g.reports.items():
        page = g.feedback_page(student)
        assert page.is_file(), f"no feedback for {student}"
        text = _feedback_text(page)
        for e in report.exercises:
            message = verdict.text(e)
            line = message.splitlines()[0]
            assert line.startswith("✓ " if e.status == "passed" else f"✗ {e.id} ({e.status}, ")
            if _normal(line) not in text:
                missing.append(f"{student} {e.id}: the verdict line {line!r}")
            elif _normal(message) not in text:
                missing.append(f"{student} {e.id}: the whole verdict {message!r}")
            # a misconception is named in brackets ("This looks like [no-flip]: ..."), or is the status itself
            named = f"[{e.misconception}]" in text or e.misconception == e.status and _normal(line) in text
            if e.misconception and not named:
                missing.append(f"{student} {e.id}: the misconception [{e.misconception}]")
            if e.status == "passed" and f"✗ {e.id} (" in text:
                missing.append(f"{student} {e.id}: passed, but the page shows a failure")
    assert not missing, "not in the feedback HTML:\n" + "\n".join(missing)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_check_cells_hold_the_outputs_nbgrader_reads(assignment_id, run):
    """Full points: the verdict on stdout and nothing else.  Partial credit: the verdict,
    then an execute_result holding the score.  None: one error output (ename CheckFailed)
    whose traceback is the verdict itself, not a harness traceback."""
    from nbgrader.utils import determine_grade

    g = _graded(run, assignment_id)
    seen = set()
    for student, report in g.reports.items():
        nb = nbformat.read(g.autograded(student), as_version=4)
        cells = {c.metadata.nbgrader.grade_id: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")}
        assert set(cells) == {bridge.CHECK_PREFIX + e.id for e in report.exercises}, student
        for e in report.exercises:
            cell = cells[bridge.CHECK_PREFIX + e.id]
            message = verdict.text(e)
            where = f"{student} {e.id} ({e.status}, {e.score}/{e.max_score}): {cell.outputs}"
            assert determine_grade(cell)[0] == e.score, where
            if e.score == e.max_score:
                seen.add("full")
                assert [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs] == [("stream", "stdout", message + "\n")], where
            elif e.score > 0:
                seen.add("partial")
                assert len(cell.outputs) == 2, where
                stream, result = cell.outputs
                assert (stream.output_type, stream.name, stream.text) == ("stream", "stdout", message + "\n"), where
                assert result.output_type == "execute_result", where
                assert float(result.data["text/plain"]) == e.score, where
            else:
                seen.add("none")
                assert len(cell.outputs) == 1 and cell.outputs[0].output_type == "error", where
                error = cell.outputs[0]
                assert error.ename == "CheckFailed", where
                assert error.evalue == message, where
                assert "\n".join(error.traceback) == message, where
                assert "Traceback" not in message and "autograder/" not in message, where
    assert {"full", "none"} <= seen, seen
