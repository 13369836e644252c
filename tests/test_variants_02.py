"""Each student's own numbers for 02-conv2d's neighbourhood (issue 20): one pixel, computed as the Keras notes do
and as a true convolution, for a 3x3 neighbourhood and filter drawn from the student's id.

The draw is checked over 2000 ids (stable, hand-sized, never degenerate, varied), and the verdicts through the
real grader (``check_notebook``): the student's own answers, the lesson's, another student's, each
misconception's, and a self-check that names the student.
"""
from __future__ import annotations

import inspect

import nbformat
import numpy as np
import pytest

from conftest import personal_notebook, release_path, solution_path
from test_released_notebooks_hold_no_answers import _code_numbers, _text_numbers
from autograder.engine.numbers import draw_for
from autograder.exercises import conv2d as c2
from autograder.exercises import get
from autograder.pipeline import check_notebook

AID = "02-conv2d"
EX = get("neighbourhood")
SPEC = EX.numbers
IDS = [f"s{n:05d}" for n in range(2000)]
NAMES = ("pixel_as_in_notes", "pixel_true_convolution")


@pytest.fixture(scope="module")
def draws(course):
    return {sid: draw_for(EX, sid, course.variant_seed) for sid in IDS}


def _all_wrong(numbers) -> dict[str, list[dict]]:
    return {mid: wrong(numbers) for mid, wrong in SPEC.wrong.items()}


# --------------------------------------------------------------------------- the declaration

def test_the_lesson_keeps_its_numbers_answers_and_title(course):
    assert SPEC.lesson == {"neighbourhood": c2.NEIGHBOURHOOD, "filter": c2.NOTES_FILTER}
    assert draw_for(EX, None, course.variant_seed) == SPEC.lesson
    assert SPEC.answers(SPEC.lesson) == EX.values == {"pixel_as_in_notes": 577.0, "pixel_true_convolution": 732.0}
    assert SPEC.title(SPEC.lesson) == EX.title


def test_every_misconception_of_the_exercise_has_values_for_any_numbers():
    """Both of today's misconceptions are value detectors built on the lesson's data: each needs a ``wrong``."""
    assert {m.id for m in EX.misconceptions} == set(SPEC.wrong) == {"no-flip", "flip-one-axis"}
    # and they give, for the lesson's numbers, what the lesson's detectors (and the learner kit) look for
    lesson = _all_wrong(SPEC.lesson)
    assert lesson["no-flip"] == [{"pixel_true_convolution": c2._PLAIN}, {"pixel_as_in_notes": c2._TURNED}]
    assert lesson["flip-one-axis"] == [{"pixel_true_convolution": v} for v in c2._ONE_AXIS]


def test_draw_describe_and_title_use_no_answer():
    """They are public (a notebook prints the numbers, a learner kit ships them): numpy and their own data only."""
    allowed = {"np", "PIXELS", "FILTER_VALUES", "TURN_PAIRS", "NEIGHBOURHOOD", "NOTES_FILTER"}
    for fn in (SPEC.draw, SPEC.describe, SPEC.title):
        assert fn.__module__ == c2.__name__ and fn.__qualname__ == fn.__name__  # module-level functions
        used = set(fn.__code__.co_names) & set(vars(c2))
        assert used <= allowed, f"{fn.__name__} uses {sorted(used - allowed)}"
        assert "ref." not in inspect.getsource(fn) and "wrong." not in inspect.getsource(fn)


def test_the_public_code_and_what_it_prints_hold_no_answer(draws):
    """describe and title (my_numbers prints them) state numbers, never an answer; the source of draw, describe
    and title (a learner kit ships it) holds neither a student's answer (any of 2000, from 100 up: smaller whole
    numbers are everywhere) nor the lesson's."""
    every = {abs(float(v)) for n in draws.values() for v in SPEC.answers(n).values()} | {float(v) for v in EX.values.values()}
    big = {v for v in every if v >= 100}
    assert {577.0, 732.0} <= big
    source = "\n".join(inspect.getsource(f) for f in (SPEC.draw, SPEC.describe, SPEC.title))
    found = {abs(v) for v, _ in _code_numbers(source) if not isinstance(v, list)}
    assert not big & found, sorted(big & found)
    for numbers in list(draws.values())[:300]:
        right = {abs(float(v)) for v in SPEC.answers(numbers).values()}
        text = SPEC.describe(numbers) + " " + SPEC.title(numbers)
        assert not {v for v in right if v >= 100} & {abs(v) for v, _ in _text_numbers(text) if not isinstance(v, list)}, text


# --------------------------------------------------------------------------- the draw over 2000 ids

def test_each_students_numbers_are_stable(course, draws):
    for sid in IDS[:200]:
        assert draw_for(EX, sid, course.variant_seed) == draws[sid]
    assert draws == {sid: draw_for(EX, sid, course.variant_seed) for sid in IDS}


def test_numbers_are_hand_sized(draws):
    """Pixels 1-9 and filter entries -3..3 without 0: one-digit products, sums within +-243."""
    for numbers in draws.values():
        image, kernel = np.asarray(numbers["neighbourhood"]), np.asarray(numbers["filter"])
        assert image.shape == kernel.shape == (3, 3)
        assert image.dtype.kind == kernel.dtype.kind == "i"
        assert image.min() >= 1 and image.max() <= 9
        assert set(kernel.ravel().tolist()) <= {-3, -2, -1, 1, 2, 3}
        for value in SPEC.answers(numbers).values():
            assert float(value).is_integer() and abs(value) <= 243


def test_no_draw_is_degenerate(draws):
    """Every pair the turn swaps shows it, and no misconception, nor the lesson's answers, lands on the answer."""
    lesson = SPEC.answers(SPEC.lesson)
    for sid, numbers in draws.items():
        image, kernel = np.asarray(numbers["neighbourhood"]), np.asarray(numbers["filter"])
        for p, q in c2.TURN_PAIRS:
            assert image[p] != image[q] and kernel[p] != kernel[q], sid
        assert not np.array_equal(kernel, kernel[::-1, ::-1]), sid  # not a symmetric filter
        right = SPEC.answers(numbers)
        assert right["pixel_as_in_notes"] != right["pixel_true_convolution"], sid  # no tie: the flip shows
        assert 0 not in right.values(), sid
        assert all(right[name] != lesson[name] for name in NAMES), sid
        seen = {right["pixel_true_convolution"]}
        for mid, candidates in _all_wrong(numbers).items():
            for candidate in candidates:
                assert candidate and all(value != right[name] for name, value in candidate.items()), (sid, mid, candidate)
                if "pixel_true_convolution" in candidate:  # each wrong turn gives a value of its own: named apart
                    assert candidate["pixel_true_convolution"] not in seen, (sid, mid)
                    seen.add(candidate["pixel_true_convolution"])


def test_students_do_not_share_few_numbers(draws):
    distinct = {repr(n) for n in draws.values()}
    assert len(distinct) == len(IDS)
    answers = {tuple(SPEC.answers(n).values()) for n in draws.values()}
    assert len(answers) >= 0.85 * len(IDS)  # 1822 of 2000 answer pairs differ
    assert len({n["neighbourhood"][1][1] for n in draws.values()}) == 9


def test_describe_and_title_state_the_numbers(draws):
    numbers = draws[IDS[0]]
    text = SPEC.describe(numbers)
    assert text == f"neighbourhood = {numbers['neighbourhood']}, filter = {numbers['filter']}"
    assert str(numbers["neighbourhood"][1][1]) in SPEC.title(numbers) and SPEC.title(numbers) != EX.title


# --------------------------------------------------------------------------- through the real grader

def _neighbourhood(report):
    return {r.id: r for r in report.exercises}["neighbourhood"]


def _frac(result) -> float:
    return result.score / result.max_score


def _answers(course, sid) -> dict:
    return SPEC.answers(draw_for(EX, sid, course.variant_seed))


def _cell(values: dict) -> str:
    return "\n".join(f"{name} = {value!r}" for name, value in values.items())


@pytest.fixture(scope="module")
def two_students(course):
    """Two ids whose answers differ in both values."""
    alice = _answers(course, "alice")
    other = next(s for s in ("bob", "carol", "dave") if all(_answers(course, s)[n] != alice[n] for n in NAMES))
    return "alice", other


@pytest.mark.parametrize("sid", ["alice", "s1234567"])
def test_own_answers_get_full_marks(course, tmp_path, sid):
    report = check_notebook(personal_notebook(course, AID, sid, tmp_path / "own.ipynb"), course=course, student=sid)
    result = _neighbourhood(report)
    assert (result.status, _frac(result), result.misconception) == ("passed", 1.0, None), result.feedback
    assert report.score == report.max_score  # the rest of the solution keeps its marks too


def test_the_lessons_answers_graded_as_a_student_get_nothing(course, tmp_path):
    """The solution's cell holds the lesson's answers (577 and 732): right for nobody who hands it in."""
    path = personal_notebook(course, AID, "alice", tmp_path / "lesson.ipynb", replacements={"neighbourhood": _cell(EX.values)})
    result = _neighbourhood(check_notebook(path, course=course, student="alice"))
    assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, "lesson-numbers")
    assert SPEC.describe(draw_for(EX, "alice", course.variant_seed)) in result.feedback  # says which numbers are theirs
    # the plain solution, handed in without a name, too
    plain = _neighbourhood(check_notebook(solution_path(course, AID), course=course, student="alice"))
    assert (_frac(plain), plain.misconception) == (0.0, "lesson-numbers")


def test_another_students_answers_get_nothing_and_say_whose_id_was_graded(course, tmp_path, two_students):
    graded, other = two_students
    path = personal_notebook(course, AID, other, tmp_path / "other.ipynb")  # NAME names the other student
    result = _neighbourhood(check_notebook(path, course=course, student=graded))
    assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, "other-numbers")
    assert f"handed in as {graded!r}" in result.feedback and f"graded on {graded!r}" in result.feedback
    assert f"{other!r}" in result.feedback
    assert _answers(course, graded) != _answers(course, other)


@pytest.mark.parametrize("mid, which", [(mid, n) for mid in ("no-flip", "flip-one-axis") for n in range(2)])
def test_each_misconception_is_named_on_the_students_own_numbers(course, tmp_path, mid, which):
    sid = "alice"
    numbers = draw_for(EX, sid, course.variant_seed)
    values = {**SPEC.answers(numbers), **SPEC.wrong[mid](numbers)[which]}
    path = personal_notebook(course, AID, sid, tmp_path / "wrong.ipynb", replacements={"neighbourhood": _cell(values)})
    result = _neighbourhood(check_notebook(path, course=course, student=sid))
    assert (result.status, result.misconception) == ("failed", mid), result.feedback
    assert _frac(result) == 0.5  # the other value is right and counts
    # and the same wrong turn on the lesson's numbers says nothing to this student about flips
    assert SPEC.wrong[mid](SPEC.lesson)[which] != SPEC.wrong[mid](numbers)[which]


def test_both_numbers_swapped_is_no_flip(course, tmp_path):
    right = _answers(course, "alice")
    swapped = {"pixel_as_in_notes": right["pixel_true_convolution"], "pixel_true_convolution": right["pixel_as_in_notes"]}
    path = personal_notebook(course, AID, "alice", tmp_path / "swapped.ipynb", replacements={"neighbourhood": _cell(swapped)})
    result = _neighbourhood(check_notebook(path, course=course, student="alice"))
    assert (_frac(result), result.misconception) == (0.0, "no-flip")


def test_a_self_check_naming_the_student_agrees_with_the_grader(course, tmp_path, two_students):
    sid, other = two_students
    numbers = draw_for(EX, sid, course.variant_seed)
    right = SPEC.answers(numbers)
    cells = {
        "own": right,
        "lesson": EX.values,
        "other": _answers(course, other),
        "no-flip": {**right, **SPEC.wrong["no-flip"](numbers)[0]},
        "flip-one-axis": {**right, **SPEC.wrong["flip-one-axis"](numbers)[1]},
    }
    for label, values in cells.items():
        path = personal_notebook(course, AID, sid, tmp_path / f"{label}.ipynb", replacements={"neighbourhood": _cell(values)})
        graded = _neighbourhood(check_notebook(path, course=course, student=sid))
        checked = _neighbourhood(check_notebook(path, course=course))
        assert (checked.status, _frac(checked), checked.misconception) == (graded.status, _frac(graded), graded.misconception), label
    # with NAME = "" a self-check asks for the lesson's numbers: the solution as it stands is right
    solution = _neighbourhood(check_notebook(solution_path(course, AID), course=course))
    assert (solution.status, _frac(solution)) == ("passed", 1.0)


# --------------------------------------------------------------------------- the notebook

def _code(cell) -> str:
    return cell.source.strip()


def test_the_release_asks_for_the_learners_own_numbers_and_holds_no_answer(course):
    cells = nbformat.read(release_path(course, AID), as_version=4).cells
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
    # the NAME cell right after the title (and its explanation), before any code
    assert cells[1].cell_type == "markdown" and cells[1].source.startswith("**Your id.**")
    assert cells[2].cell_type == "code" and _code(cells[2]).startswith('NAME = ""')
    answer = ids.index("neighbourhood")
    assert _code(cells[answer - 1]) == 'from autograder import my_numbers\nmy_numbers("neighbourhood")'
    assert "**your own**" in cells[answer - 2].source and "Your turn" in cells[answer - 2].source
    # the answer cell assigns None to both names and holds no number
    source = cells[answer].source
    assert [line.split("=")[0].strip() for line in source.splitlines() if "=" in line.split("#")[0]] == list(NAMES)
    assert all(line.split("#")[0].split("=")[1].strip() == "None" for line in source.splitlines() if "=" in line.split("#")[0])
    # the lesson's worked example stays, its sums are not given (with variants off they are everyone's answers)
    text = "\n".join(c.source for c in cells)
    assert "192" in text and "-1.5 & 4.5 & 0.5" in text
    for cell in cells:  # read as tests/test_released_notebooks_hold_no_answers.py reads them (matrix entries are not answers)
        found = _code_numbers(cell.source) if cell.cell_type == "code" else _text_numbers(cell.source)
        assert not {577.0, 732.0} & {v for v, _ in found if not isinstance(v, list)}, cell.source[:200]
    # and no code cell works a pixel out
    assert not any("notes_filter" in c.source or "neighbourhood_3x3" in c.source for c in cells if c.cell_type == "code")


def test_the_solution_keeps_the_lessons_answers_and_everything_else(course):
    sol = nbformat.read(solution_path(course, AID), as_version=4).cells
    rel = nbformat.read(release_path(course, AID), as_version=4).cells
    assert len(sol) == len(rel)
    cell = next(c for c in sol if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "neighbourhood")
    assert "pixel_as_in_notes = 577\n" in cell.source and "pixel_true_convolution = 732\n" in cell.source
