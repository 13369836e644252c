"""Each student's own stripe for 03-cnn-layers' max_stable_lr (issue 20, variants).

``max_stable_lr`` asks for the largest learning rate for which gradient descent, learning the kernel [[1, -1]],
converges on a striped image; the lesson's is the notes' 6x9 stripe (its limit 1/42, accepted within 5 %), each
student's a stripe of their own drawn from their id.  Here, over 2000 ids: the stripes are stable, hand-sized and
never degenerate (the lesson's method, the curvature along [1, 1], gives the limit; gradient descent converges just
below it and diverges just above; no limit can be taken for the lesson's, the book's or the named wrong value) and
varied; through the real grader (``check_notebook``): a student's own limit earns full marks, the lesson's is named
[lesson-numbers], another student's [other-numbers] naming them, the limit of the same stripe one column narrower
gets its own message, no message says which side of the limit a value lies on, and a self-check with the student's
NAME agrees with the grader; the release gives no limit away.
"""
from __future__ import annotations

import collections
import inspect
import re

import nbformat
import numpy as np
import pytest

import test_released_notebooks_hold_no_answers as scan
from conftest import personal_answers, personal_notebook, release_path, solution_path
from autograder.engine.numbers import draw_for
from autograder.exercises import cnn_layers as cnn
from autograder.exercises import cnn_layers_detect as detect
from autograder.exercises import get
from autograder.frontends.kit.portable import Bundle
from autograder.pipeline import check_notebook

AID = "03-cnn-layers"
EX = get("max_stable_lr")
SPEC = EX.numbers
IDS = [f"s{n:05d}" for n in range(2000)]
LESSON, BOOK = 1 / 42, 1 / 30
#: Two acceptance windows of 5 % overlap unless their limits are this far apart.
DISJOINT = 1.05 / 0.95


@pytest.fixture(scope="module")
def draws(course):
    return {sid: draw_for(EX, sid, course.variant_seed) for sid in IDS}


def _limit(numbers) -> float:
    return SPEC.answers(numbers)["max_stable_lr"]


def _narrower(numbers) -> float:
    return _limit({**numbers, "columns": numbers["columns"] - 1})


def _curvature_along_ones(X) -> float:
    """The lesson's method: lambda along [1, 1] is half the sum of the squared pair sums."""
    X = np.asarray(X, dtype=float)
    return float(np.sum((X[:, :-1] + X[:, 1:]) ** 2)) / 2


def _apart(a: float, b: float) -> bool:
    return max(a, b) / min(a, b) > DISJOINT


# --------------------------------------------------------------------------- the declaration

def test_the_lesson_keeps_its_stripe_limit_judge_and_title(course):
    assert SPEC.lesson == {"rows": 6, "columns": 9, "stripe": [2, 6]}
    assert draw_for(EX, None, course.variant_seed) == SPEC.lesson
    assert np.array_equal(cnn.stripe_image(SPEC.lesson), cnn.EDGE_X)
    assert SPEC.answers(SPEC.lesson) == EX.values == {"max_stable_lr": cnn.MAX_STABLE_LR}
    assert cnn.MAX_STABLE_LR == pytest.approx(LESSON) and _narrower(SPEC.lesson) == pytest.approx(BOOK)
    assert SPEC.title(SPEC.lesson) == EX.title
    assert SPEC.cases(SPEC.lesson) == tuple(EX.visible)  # the lesson's judge: the book's 6x8 named as before
    assert "the book's 6x8 stripe" in EX.visible[0].judge({"max_stable_lr": BOOK})
    assert SPEC.wrong == {} and EX.misconceptions == ()  # the narrower stripe's limit is the judge's to name (below)
    assert EX.tolerance.rtol == 0.05 and course.assignment(AID).points["max_stable_lr"] == 1


def test_draw_describe_and_title_are_public_code():
    """They ship in a learner kit as public code: module-level, numpy and their own data only, no reference,
    no judge, no limit."""
    allowed = {"np", "STRIPE_ROWS", "STRIPE_COLUMNS", "AVOIDED_STRIPES", "LESSON_STRIPE"}
    for fn in (SPEC.draw, SPEC.describe, SPEC.title):
        assert fn.__module__ == cnn.__name__ and fn.__qualname__ == fn.__name__
        used = set(fn.__code__.co_names) & set(vars(cnn))
        assert used <= allowed, f"{fn.__name__} uses {sorted(used - allowed)}"
        assert "ref." not in inspect.getsource(fn) and "wrong." not in inspect.getsource(fn)
        Bundle(set()).add(fn, public=True)  # the kit's own test: no reference, nothing unlisted
    assert all(isinstance(v, int) for stripe in cnn.AVOIDED_STRIPES for v in stripe)  # shipped as data: no limit


def test_the_public_code_and_what_it_prints_hold_no_limit(draws):
    """No number in the source of draw, describe and title, nor in what describe and title print, is within 5 % of
    any student's limit, the lesson's or the book's."""
    limits = {_limit(n) for n in draws.values()} | {LESSON, BOOK}

    def near(values) -> set:
        return {v for v in values if not isinstance(v, list) and v > 0 and any(abs(v / L - 1) <= 0.05 for L in limits)}

    source = "\n".join(inspect.getsource(f) for f in (SPEC.draw, SPEC.describe, SPEC.title))
    assert not near(v for v, _ in scan._code_numbers(source))
    for numbers in list(draws.values())[:300]:
        text = SPEC.describe(numbers) + " " + SPEC.title(numbers)
        assert not near(v for v, _ in scan._text_numbers(text)), text


# --------------------------------------------------------------------------- the draw over 2000 ids

def test_each_students_stripe_is_stable(course, draws):
    for sid in IDS[:200]:
        assert draw_for(EX, sid, course.variant_seed) == draws[sid]
    assert draws == {sid: draw_for(EX, sid, course.variant_seed) for sid in IDS}


def test_stripes_are_hand_sized_and_built_by_the_two_lines_shown(draws):
    """4-8 rows, 8-12 columns (seven columns leave no stripe whose limit stands apart), at least two columns of ones
    on each side and two of zeros; describe's two lines of NumPy build exactly the image graded."""
    for sid, numbers in list(draws.items()):
        rows, columns, (start, stop) = numbers["rows"], numbers["columns"], numbers["stripe"]
        assert all(type(v) is int for v in (rows, columns, start, stop)), sid
        assert 4 <= rows <= 8 and 8 <= columns <= 12, sid
        assert start >= 2 and stop - start >= 2 and columns - stop >= 2, sid
    for numbers in list(draws.values())[:200]:
        namespace = {"np": np}
        exec(SPEC.describe(numbers), namespace)
        assert np.array_equal(namespace["X"], cnn.stripe_image(numbers)), numbers


def test_no_stripe_is_degenerate(draws):
    """For every stripe drawn: the lesson's method (half the sum of the squared pair sums, along [1, 1]) gives the
    limit the grader holds; no rate is within 5 % of both the student's limit and the lesson's, the book's or the
    limit of the same stripe one column narrower (which gets its own message), and the narrower limit is not taken
    for the lesson's either; the limit is not a round rate (0.05) a learner trying rates would sit on exactly, and
    no rate the notebook names (the experiment's, the notes', the book's, the check's) passes for it."""
    for sid, numbers in draws.items():
        limit, narrower = _limit(numbers), _narrower(numbers)
        X = cnn.stripe_image(numbers)
        assert limit == pytest.approx(1 / _curvature_along_ones(X), rel=1e-12), sid
        assert limit == pytest.approx(detect.stable_limit(X, (1, 2)), rel=1e-15), sid
        assert _apart(limit, LESSON) and _apart(limit, BOOK) and _apart(limit, narrower) and _apart(narrower, LESSON), sid
        assert float(f"{limit:.2g}") != pytest.approx(limit, rel=1e-9), sid
        assert all(abs(rate / limit - 1) > 0.05 for rate in (0.005, 0.01, 0.02, 0.03, 0.05)), sid


def test_gradient_descent_converges_just_below_each_limit_and_diverges_just_above(draws):
    """By experiment, as the notebook asks: from a small start with a part along [1, 1] (a zero start hides it)."""
    for numbers in {repr(n): n for n in draws.values()}.values():
        X = cnn.stripe_image(numbers)
        Y = cnn.ref.corr2d(X, cnn.EDGE_K)
        start = np.array([[0.01, 0.02]])
        below = detect.descend(X, Y, start, 0.97 * _limit(numbers), 800, 2.0)
        above = detect.descend(X, Y, start, 1.03 * _limit(numbers), 800, 2.0)
        assert np.allclose(below, cnn.EDGE_K, atol=1e-8), numbers
        assert not np.all(np.isfinite(above)) or np.max(np.abs(above)) > 1e3, numbers


def test_students_do_not_share_few_stripes(draws):
    stripes = collections.Counter(repr(n) for n in draws.values())
    limits = collections.Counter(round(1 / _limit(n)) for n in draws.values())
    assert len(stripes) >= 200 and stripes.most_common(1)[0][1] <= 25, (len(stripes), stripes.most_common(1))
    assert len(limits) >= 15 and limits.most_common(1)[0][1] <= 0.1 * len(IDS), limits.most_common(3)
    assert {n["rows"] for n in draws.values()} == set(range(4, 9))
    assert {n["columns"] for n in draws.values()} == set(range(8, 13))


def test_describe_and_title_state_the_stripe(draws):
    numbers = draws[IDS[0]]
    rows, columns, (start, stop) = numbers["rows"], numbers["columns"], numbers["stripe"]
    assert SPEC.describe(numbers) == f"X = np.ones(({rows}, {columns})); X[:, {start}:{stop}] = 0"
    assert SPEC.title(numbers).endswith(f"on your {rows}x{columns} stripe") and "6x9" not in SPEC.title(numbers)


# --------------------------------------------------------------------------- through the real grader

def _result(path, course, student=None):
    return {r.id: r for r in check_notebook(path, course=course, student=student).exercises}["max_stable_lr"]


def _frac(result) -> float:
    return result.score / result.max_score


def _cell(value) -> str:
    return f"max_stable_lr = {value!r}"


def _numbers(course, sid):
    return draw_for(EX, sid, course.variant_seed)


@pytest.fixture(scope="module")
def two_students(course):
    """alice, and a student whose limit is not accepted for alice's (nor alice's for theirs)."""
    alice = _limit(_numbers(course, "alice"))
    other = next(s for s in ("bob", "carol", "dave", "erin") if _apart(_limit(_numbers(course, s)), alice))
    return "alice", other


#: Words that would tell a learner which side of the limit their value lies on.
SIDE = re.compile(r"too (large|small|cautious|big|high|low)|larger|smaller|below it|above it\b(?! must)")


@pytest.mark.parametrize("sid", ["alice", "s1234567"])
def test_own_limit_gets_full_marks(course, tmp_path, sid):
    path = personal_notebook(course, AID, sid, tmp_path / "own.ipynb")
    report = check_notebook(path, course=course, student=sid)
    result = {r.id: r for r in report.exercises}["max_stable_lr"]
    assert (result.status, _frac(result), result.misconception) == ("passed", 1.0, None), result.feedback
    assert report.score == report.max_score
    limit = _limit(_numbers(course, sid))
    for factor in (1.049, 0.951):  # anywhere within 5 %
        path = personal_notebook(course, AID, sid, tmp_path / f"{factor}.ipynb", replacements={"max_stable_lr": _cell(limit * factor)})
        assert _result(path, course, sid).status == "passed"


def test_the_lessons_limit_graded_as_a_student_is_named(course, tmp_path):
    """The solution's 1/42 (the notes' stripe) is right for nobody who hands it in."""
    numbers = _numbers(course, "alice")
    path = personal_notebook(course, AID, "alice", tmp_path / "lesson.ipynb", replacements={"max_stable_lr": _cell(LESSON)})
    result = _result(path, course, "alice")
    assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, "lesson-numbers"), result.feedback
    assert SPEC.describe(numbers) in result.feedback and SPEC.describe(SPEC.lesson) in result.feedback
    size = f"{numbers['rows']}x{numbers['columns']}"
    assert f"your {size} stripe" in result.feedback and "6x9" not in result.feedback.split("This looks like")[0]
    # the plain solution, handed in without a name, too
    plain = _result(solution_path(course, AID), course, "alice")
    assert (_frac(plain), plain.misconception) == (0.0, "lesson-numbers")


def test_another_students_limit_is_named_with_both_ids(course, tmp_path, two_students):
    graded, other = two_students
    path = personal_notebook(course, AID, other, tmp_path / "other.ipynb")  # NAME names the other student
    result = _result(path, course, graded)
    assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, "other-numbers"), result.feedback
    assert f"handed in as {graded!r}" in result.feedback and f"graded on {graded!r}" in result.feedback
    assert repr(other) in result.feedback
    assert _result(path, course, other).status == "passed"  # handed in as its own student: full marks


def test_the_narrower_stripes_limit_gets_its_message_and_no_side(course, tmp_path):
    """The book's mistake on a student's stripe: the limit of the same stripe one column narrower."""
    numbers = _numbers(course, "alice")
    rows, columns = numbers["rows"], numbers["columns"]
    path = personal_notebook(course, AID, "alice", tmp_path / "narrower.ipynb", replacements={"max_stable_lr": _cell(_narrower(numbers))})
    result = _result(path, course, "alice")
    assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, None), result.feedback
    assert (f"max_stable_lr is the limit of the same stripe one column narrower, a {rows}x{columns - 1} image. Yours is one "
            f"column wider, and that column changes the curvature: redo it for your {rows}x{columns} image.") in result.feedback
    assert "book" not in result.feedback and not SIDE.search(result.feedback)


def test_other_wrong_limits_get_the_same_words_on_both_sides(course, tmp_path):
    numbers = _numbers(course, "alice")
    limit = _limit(numbers)
    feedback = {}
    for factor in (0.5, 0.85, 2.0, 4.0):  # the narrower stripe's limit is 1.13 to 1.67 times the limit: not these
        value = float(f"{limit * factor:.4g}")
        assert abs(value / _narrower(numbers) - 1) > 0.05
        path = personal_notebook(course, AID, "alice", tmp_path / f"{factor}.ipynb", replacements={"max_stable_lr": _cell(value)})
        result = _result(path, course, "alice")
        assert (result.status, _frac(result), result.misconception) == ("failed", 0.0, None), result.feedback
        text = result.feedback.split("Check your number")[0]
        assert not SIDE.search(text) and "1 - 2 * lr * lambda" in text, text
        assert f"your {numbers['rows']}x{numbers['columns']} stripe" in text and "6x9" not in text
        feedback[factor] = result.feedback.replace(f"{value:.4g}", "V").replace(f"{value:g}", "V")
    assert len(set(feedback.values())) == 1, feedback


def test_a_self_check_naming_the_student_agrees_with_the_grader(course, tmp_path, two_students):
    sid, other = two_students
    numbers = _numbers(course, sid)
    cells = {"own": _limit(numbers), "lesson": LESSON, "other": _limit(_numbers(course, other)),
             "narrower": _narrower(numbers), "wrong": 2 * _limit(numbers), "not a number": "1/42"}
    for label, value in cells.items():
        path = personal_notebook(course, AID, sid, tmp_path / f"{label}.ipynb", replacements={"max_stable_lr": _cell(value)})
        graded, checked = _result(path, course, sid), _result(path, course)
        assert (checked.status, checked.score, checked.misconception, checked.feedback) == \
            (graded.status, graded.score, graded.misconception, graded.feedback), label
    # with NAME = "" a self-check asks for the lesson's stripe: the solution as it stands is right
    solution = _result(solution_path(course, AID), course)
    assert (solution.status, _frac(solution)) == ("passed", 1.0)


def test_personal_answers_write_the_students_limit(course):
    assert personal_answers(course, AID, "alice") == {"max_stable_lr": _cell(_limit(_numbers(course, "alice")))}


# --------------------------------------------------------------------------- the notebook

def _code(cell) -> str:
    return cell.source.strip()


def test_the_release_asks_for_the_learners_own_stripe_and_holds_no_limit(course, draws):
    path = release_path(course, AID).resolve()
    cells = nbformat.read(path, as_version=4).cells
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
    assert cells[1].cell_type == "markdown" and cells[1].source.startswith("**Your id.**")
    assert cells[2].cell_type == "code" and _code(cells[2]) == 'NAME = ""  # your student id, for example "s1234567"'
    answer = ids.index("max_stable_lr")
    mine = next(i for i, c in enumerate(cells) if _code(c) == 'from autograder import my_numbers\nmy_numbers("max_stable_lr")')
    assert mine < answer and "**your own**" in cells[mine - 1].source and "Your turn" in cells[mine - 1].source
    assert all(cells[i].cell_type == "code" and ids[i] is None for i in range(mine, answer))  # the experiment between
    assert "X = np.ones((6, 9))\nX[:, 2:6] = 0" in cells[answer - 1].source  # to be replaced by the learner's two lines
    assert "max_stable_lr = None" in cells[answer].source and "BEGIN SOLUTION" not in cells[answer].source
    assert [c for c in _code(cells[answer]).splitlines() if not c.startswith("#")] == [
        "max_stable_lr = None  # replace None by your answer (a number; within 5 % counts)"]
    # the notes' stripe is the worked setting, its limit left to the learner (everyone's answer with variants off)
    text = "\n".join(c.source for c in cells)
    assert "2, 1, 0, 0, 0, 1, 2, 2" in text and "1 1 0 0 0 0 1 1 1" in text
    assert not re.search(r"(?<![\d.])42(?![\d.])", text)
    printed = scan._printed_by_cells(path)
    assert "the lesson's numbers: X = np.ones((6, 9)); X[:, 2:6] = 0" in printed[mine]  # NAME is empty in the release
    # no number would pass for the lesson's or the book's limit, nor for any student's, anywhere (a rate the notebook
    # names, 0.01 of the experiment, is never within 5 % of a student's limit)
    limits = {_limit(n) for n in draws.values()}
    for index, cell in enumerate(cells):
        found = list(scan._code_numbers(cell.source)) if cell.cell_type == "code" else list(scan._text_numbers(cell.source))
        found += list(scan._text_numbers(printed.get(index, "")))
        for value, where in found:
            if isinstance(value, list) or value <= 0:
                continue
            assert not any(abs(value / L - 1) <= 0.05 for L in (LESSON, BOOK, *limits)), (index, where)


def test_the_solution_keeps_the_lessons_limit(course):
    cells = nbformat.read(solution_path(course, AID), as_version=4).cells
    cell = next(c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "max_stable_lr")
    assert "max_stable_lr = 1 / 42\n" in cell.source
    assert len(cells) == len(nbformat.read(release_path(course, AID), as_version=4).cells)
