"""The README's instructor workflow with nbgrader, typed as a person would type it.

From a fresh clone of the repository: the
README's set-up command (`make demo`), then every command of the README's
"With nbgrader" block, in order, with the commands the set-up installed.
Where the block says that students fetch and submit, a class of students
does so with nbgrader's own fetch_assignment and submit: a correct notebook
(its student's id written in, the on-paper exercise worked on their own numbers),
an untouched one, and notebooks that attack the grading of check cells in a
kernel (a fake `autograder` module, a patched `check`, swallowed errors,
stderr redirected) while answering nothing.

Asserted: `nbgrader export` gives the hardened scores (the correct notebook
full marks, every other 0), exercise by exercise equal to `autograder grade`
on the same submissions; `generate_feedback` shows the learner-facing
messages. As a control, the same submissions autograded by stock nbgrader
(Execute in a kernel) give the attacks full marks: the attacks are real.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.course import load_course

from conftest import ROOT, personal_answers

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-conv1d"
NOTEBOOK = "conv1d.ipynb"
STUDENT_MARK = "students fetch"

# Each attack is a cell added after the setup cell of an otherwise untouched notebook.
ATTACKS = {
    "fake-module": (
        "import sys, types\n"
        "fake = types.ModuleType('autograder')\n"
        "fake.check = lambda *args, **kwargs: None\n"
        "fake.demo = None\n"
        "sys.modules['autograder'] = fake\n"
    ),
    "patched-check": (
        "import autograder\n"
        "autograder.check = lambda *args, **kwargs: None\n"
    ),
    "swallowed-errors": (
        "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
        "import sys\n"
        "sys.stderr = sys.stdout\n"
    ),
    "quiet-stderr": (
        "import sys, io\n"
        "sys.stderr = io.StringIO()\n"
    ),
}


def readme_block(heading: str) -> list[str]:
    """The lines of the first ```sh block after ``heading`` in the README (comments kept)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(heading):]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block, f"no sh block after {heading!r} in the README"
    return [line for line in block.group(1).splitlines() if line.strip()]


def fresh_clone(dest: Path) -> Path:
    """A fresh clone of the repository (what is committed: CI tests a clean clone of main)."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, capture_output=True)
    return dest


def run(command: str, cwd: Path, env: dict, log: list[str], timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    log.append(f"$ {command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    assert done.returncode == 0, "\n".join(log[-3:])
    return done


STUDENT_SIDE = """
import os, sys
homes, root, command, *students = sys.argv[1:]
import nbgrader.exchange.default.submit as submit
from nbgrader.apps.fetchassignmentapp import FetchAssignmentApp
from nbgrader.apps.submitapp import SubmitApp
App = {"fetch_assignment": FetchAssignmentApp, "submit": SubmitApp}[command]
for student in students:  # one process for the class: nbgrader takes seconds to start
    os.chdir(os.path.join(homes, student))
    submit.get_username = lambda student=student: student  # one OS account plays every student
    app = App.instance()
    app.initialize(["{assignment}", "--course", "convolutions", "--Exchange.root=" + root + "/exchange"])
    app.start()
    App.clear_instance()
""".replace("{assignment}", ASSIGNMENT)


def submit_class(course: Path, env: dict, log: list[str], tmp: Path) -> dict[str, str]:
    """Each student fetches the released assignment, edits it and submits it; returns student -> kind."""
    from autograder.frontends.nbgrader.bridge import solution_answers

    # the correct student answers as a student does: the on-paper exercise on their own numbers
    answers = {**solution_answers(course / "solutions" / ASSIGNMENT / NOTEBOOK),
               **personal_answers(load_course(course / "course.yml", validate=False), ASSIGNMENT, "correct")}
    students = {"correct": "correct", "untouched": "untouched", **{name: "attack" for name in ATTACKS}}
    python = course / ".venv" / "bin" / "python"
    script = tmp / "student.py"
    script.write_text(STUDENT_SIDE, encoding="utf-8")
    homes = tmp / "students"
    for student in students:
        (homes / student).mkdir(parents=True)
    run(f"{python} {script} {homes} {course} fetch_assignment {' '.join(students)}", tmp, env, log)
    for student, kind in students.items():
        path = homes / student / ASSIGNMENT / NOTEBOOK
        nb = nbformat.read(path, as_version=4)
        if kind == "correct":
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers and cell.metadata["nbgrader"].get("solution"):
                    cell.source = answers[grade_id]
                elif cell.cell_type == "code" and cell.source.startswith("NAME = "):
                    cell.source = f"NAME = {student!r}"
        elif kind == "attack":
            at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(ATTACKS[student]))
        nbformat.write(nb, path)
    run(f"{python} {script} {homes} {course} submit {' '.join(students)}", tmp, env, log)
    return students


def exported(course: Path) -> dict[str, float]:
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}


def cell_scores(course: Path, students) -> dict[str, dict[str, float]]:
    """student -> exercise -> nbgrader's recorded auto score, from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            nb = gb.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, student)
            out[student] = {g.name.removeprefix("check_"): float(g.auto_score) for g in nb.grades}
    return out


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readme-instructor")
    course = fresh_clone(tmp / "course")
    # A person's shell: no virtual environment of ours, and Python keeps its compiled bytecode.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "AUTOGRADER_", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"))}
    log: list[str] = []
    # The README's first set-up command (the second, `make test`, is what runs this test).
    run("make demo", course, env, log, timeout=1500)
    env["PATH"] = os.pathsep.join([str(course / ".venv" / "bin"), env.get("PATH", "")])
    students = None
    for line in readme_block("### With nbgrader, as you already do"):
        command = line.split("#", 1)[0].strip()
        if not command:
            if STUDENT_MARK in line:
                students = submit_class(course, env, log, tmp)
            continue
        run(command, course, env, log)
    assert students, f"the README's nbgrader block has no line saying '{STUDENT_MARK}'"
    return course, env, log, students


def test_export_gives_the_hardened_scores(workflow):
    course, _, log, students = workflow
    scores = exported(course)
    assert set(scores) == set(students)
    full = load_course(course / "course.yml", validate=False).assignment(ASSIGNMENT).max_score
    assert scores["correct"] == full, "\n".join(log[-4:])
    for student in students:
        if student != "correct":
            assert scores[student] == 0.0, f"{student} scored {scores[student]} through nbgrader"


def test_nbgrader_and_autograder_grade_agree_exercise_by_exercise(workflow):
    course, env, log, students = workflow
    run(f"autograder grade submitted/ --assignment {ASSIGNMENT} --output hardened-check --no-progress", course, env, log)
    with open(course / "hardened-check" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ours = {row["student_id"]: {e: float(row[e]) for e in ("by_hand_full", "conv1d", "conv1d_mode", "output_length")} for row in rows}
    assert cell_scores(course, students) == ours


def test_feedback_shows_the_learner_facing_messages(workflow):
    course, _, _, students = workflow
    for student in students:
        page = course / "feedback" / student / ASSIGNMENT / "conv1d.html"
        text = page.read_text(encoding="utf-8")
        if student == "correct":
            assert "✓ conv1d:" in text and "✗" not in text
        else:
            points = load_course(course / "course.yml", validate=False).assignment(ASSIGNMENT).points["conv1d"]
            assert f"✗ conv1d (not-implemented, 0/{points:g} points): conv1d is not written yet" in text


def test_release_refuses_to_change_what_students_answered(workflow):
    course, env, log, _ = workflow
    solution = course / "solutions" / ASSIGNMENT / NOTEBOOK
    released = (course / "assignments" / ASSIGNMENT / NOTEBOOK).read_bytes()
    nb = nbformat.read(solution, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A sentence added after students submitted."))
    nbformat.write(nb, solution)
    done = subprocess.run(f"autograder release {ASSIGNMENT}", shell=True, cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert "already has submissions" in done.stderr and "--force" in done.stderr and "Nothing was changed" in done.stderr
    assert (course / "assignments" / ASSIGNMENT / NOTEBOOK).read_bytes() == released


def test_control_stock_nbgrader_is_fooled_by_the_same_notebooks(workflow, tmp_path):
    """The attacks are real: nbgrader's own Execute step, in a kernel, gives them full marks."""
    course, env, log, students = workflow
    control = tmp_path / "control"
    control.mkdir()
    for name in ("course.yml", "nbgrader_config.py", "gradebook.db", "secret_seed"):
        shutil.copy2(course / name, control / name)
    for folder in ("solutions", "assignments", "submitted"):
        shutil.copytree(course / folder, control / folder)
    config = (control / "nbgrader_config.py").read_text(encoding="utf-8")
    stock = "\n".join(line for line in config.splitlines() if "autograde_preprocessors" not in line) + "\n"
    (control / "nbgrader_config.py").write_text(stock, encoding="utf-8")
    run(f"nbgrader autograde {ASSIGNMENT} --force", control, env, log)
    run("nbgrader export", control, env, log)
    scores = exported(control)
    for attack in ATTACKS:
        full = load_course(course / "course.yml", validate=False).assignment(ASSIGNMENT).max_score
        assert scores[attack] == full, f"stock nbgrader gave {attack} {scores[attack]}: the attack did not fool it"
    assert scores["untouched"] == 0.0
