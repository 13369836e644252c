"""Shared fixtures: the course, solution notebooks and planted copies of them."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest

from autograder.pipeline import prepare_assignment
from autograder.course import load_course
from autograder.exercises import for_assignment
from autograder.frontends.nbgrader.bridge import interpreter_scripts_on_path

# Tests run nbgrader as a subprocess; it needs its companion commands (alembic) on PATH
# even when the virtual environment was not activated (`make test`).
interpreter_scripts_on_path()

ROOT = Path(__file__).resolve().parent.parent

#: The test files that take longest, longest first (their seconds in a `make test` on 2 cores). The suite
#: runs one file per worker at a time (`--dist loadfile`) in the order collected (`--no-loadscope-reorder`:
#: xdist would otherwise order files by their number of tests), so these go first and the workers finish
#: together, instead of one starting a three-minute file when the other is nearly done.
SLOWEST_FIRST = (
    "test_readme_instructor.py",   # 110 s: a fresh clone, `make demo`, the README's nbgrader commands
    "test_nbgrader_e2e.py",        # 70 s
    "test_kit_agreement.py",       # 70 s
    "test_misconceptions.py",      # 65 s
    "test_notebook_agreement.py",  # 55 s
    "test_cnn_scratch.py",         # 50 s
    "test_nbgrader_robust.py",     # 40 s
    "test_nbgrader_sync.py",       # 40 s
    "test_hostile_holes.py",       # 40 s
    "test_hostile.py",             # 40 s
)


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the others keep their order


@pytest.fixture(scope="session")
def course():
    # AUTOGRADER_COURSE lets a run target a variant of the course (as the CLI does).
    return load_course(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")


_PREPARED: dict = {}


@pytest.fixture(scope="session")
def prepared(course):
    """Right answers per assignment, computed once for the whole session."""

    def get(assignment_id: str):
        if assignment_id not in _PREPARED:
            _PREPARED[assignment_id] = prepare_assignment(for_assignment(assignment_id), course.seed)
        return _PREPARED[assignment_id]

    return get


def solution_path(course, assignment_id: str) -> Path:
    return course.source_dir(assignment_id) / course.assignment(assignment_id).notebook


def release_path(course, assignment_id: str) -> Path:
    return course.release_dir(assignment_id) / course.assignment(assignment_id).notebook


def planted_notebook(source: Path, target: Path, replacements: dict[str, str]) -> Path:
    """Copy ``source`` to ``target`` with the answer cells named by grade_id replaced."""
    nb = nbformat.read(source, as_version=4)
    nb = copy.deepcopy(nb)
    found = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
            found.add(grade_id)
    missing = set(replacements) - found
    if missing:
        raise KeyError(f"{source} has no answer cell with grade_id {sorted(missing)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def personal_answers(course, assignment_id: str, student: str) -> dict[str, str]:
    """The answer cells of ``assignment_id``'s on-paper exercises with numbers of their own, as ``student``
    writes them for their numbers (each student has their own: variants), by grade_id."""
    from autograder.engine.numbers import draw_for
    from autograder.exercises import for_assignment

    cells = {}
    if not course.assignment(assignment_id).variants:
        return cells
    for ex in for_assignment(assignment_id):
        if ex.numbers is not None:
            answers = ex.numbers.answers(draw_for(ex, student, course.variant_seed))
            cells[ex.id] = "\n".join(f"{name} = {value!r}" for name, value in answers.items())
    return cells


def personal_notebook(course, assignment_id: str, student: str, target: Path, source: Path | None = None,
                      replacements: dict[str, str] | None = None) -> Path:
    """``source`` (the solution) as ``student`` hands it in: their id in the NAME cell and their own numbers'
    answers in the on-paper cells (then ``replacements``, by grade_id)."""
    source = source or solution_path(course, assignment_id)
    path = planted_notebook(source, target, {**personal_answers(course, assignment_id, student), **(replacements or {})})
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("NAME = "):
            cell.source = f"NAME = {student!r}"
    nbformat.write(nb, path)
    return path


def without_numbers_note(feedback: str) -> str:
    """A self-check's feedback without the note the pipeline adds under an on-paper exercise when the notebook
    names no student (its answers checked on the lesson's numbers): the engine alone does not write it."""
    from autograder.pipeline import NO_ID_NOTE

    return feedback.replace(NO_ID_NOTE, "")


def misconception_values(course, assignment_id: str, student: str, exercise_id: str, misconception: str) -> dict:
    """What ``student`` writes in ``exercise_id``'s answer cell holding ``misconception`` (one of its values
    for ``student``'s own numbers, the other answers right), by answer name; {} when that misconception's
    values do not depend on the numbers (an exercise without numbers of its own, or variants off)."""
    from autograder.engine.numbers import draw_for
    from autograder.exercises import get

    ex = get(exercise_id)
    if ex.numbers is None or not course.assignment(assignment_id).variants or misconception not in ex.numbers.wrong:
        return {}
    numbers = draw_for(ex, student, course.variant_seed)
    return {**ex.numbers.answers(numbers), **ex.numbers.wrong[misconception](numbers)[0]}


def personal_plant_source(course, assignment_id: str, student: str, plant) -> str:
    """``plant``'s answer cell (tests/planted) as ``student`` writes it. A plant of an on-paper exercise with
    numbers of its own gets the values its misconception gives for the student's numbers; a length one off
    whose values the exercise does not list (a rule on the length) gets the student's answers one value
    short; any other plant (not implemented, code, an exercise without numbers) stays as it is."""
    from autograder.engine.numbers import draw_for
    from autograder.exercises import get

    values = misconception_values(course, assignment_id, student, plant.exercise, plant.misconception)
    ex = get(plant.exercise)
    if not values and plant.misconception == "length-off-by-one" and ex.numbers is not None and course.assignment(assignment_id).variants:
        answers = ex.numbers.answers(draw_for(ex, student, course.variant_seed))
        values = {name: list(value)[:-1] if isinstance(value, (list, tuple)) else value for name, value in answers.items()}
    if not values:
        return plant.source
    return "\n".join(f"{name} = {value!r}" for name, value in values.items())


def personal_plant(course, assignment_id: str, student: str, plant, target: Path, source: Path | None = None,
                   replacements: dict[str, str] | None = None) -> Path:
    """The solution as ``student`` hands it in (:func:`personal_notebook`) with ``plant`` planted the way that
    student would hold its misconception (:func:`personal_plant_source`)."""
    return personal_notebook(course, assignment_id, student, target, source,
                             {**(replacements or {}), plant.exercise: personal_plant_source(course, assignment_id, student, plant)})


def personal_submission(course, assignment_id: str, student: str, released: Path, target: Path,
                        replacements: dict[str, str] | None = None) -> Path:
    """What ``student`` submits through nbgrader: the released notebook ``released`` with the solution's
    answers, their id in the NAME cell and their own numbers' answers (then ``replacements``, by grade_id)."""
    from autograder.frontends.nbgrader import bridge

    answers = {**bridge.solution_answers(solution_path(course, assignment_id)),
               **personal_answers(course, assignment_id, student), **(replacements or {})}
    return personal_notebook(course, assignment_id, student, target, source=released, replacements=answers)
