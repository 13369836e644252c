"""04-shapes' on-paper exercises ask each student for their own numbers (issue 20, variants).

``shape_answers`` (the Keras notes' model on other images, a C3-like layer, a 'VALID' size) and
``dense_vs_conv`` (a dense layer doing a Conv2D's job) draw each student's numbers from their id and
the course's variant seed.  Here, over 2000 ids: the numbers are stable, hand-sized, non-degenerate
(every misconception's values differ from the answer, the lesson's answers from the student's) and
varied; through the real grader (``check_notebook``): a student's own answers earn full marks, the
lesson's answers and another student's earn 0 with their names, each misconception's values for the
student's numbers are named, and a self-check with the student's NAME agrees with the grader; the
release gives no student's answer away.
"""
from __future__ import annotations

import collections
import inspect
import itertools
import json

import nbformat
import numpy as np
import pytest

from autograder.engine.numbers import draw_for, numbers_seed, same_numbers
from autograder.exercises import get
from autograder.pipeline import check_notebook

import test_released_notebooks_hold_no_answers as scan
from conftest import personal_answers, personal_notebook, release_path, solution_path

ASSIGNMENT = "04-shapes"
EXERCISES = ("shape_answers", "dense_vs_conv")
IDS = [f"s{n:07d}" for n in range(2000)]


def _numbers(course, exercise_id: str, student: str | None) -> dict:
    return draw_for(get(exercise_id), student, course.variant_seed)


def _answers(course, exercise_id: str, student: str | None) -> dict:
    return get(exercise_id).numbers.answers(_numbers(course, exercise_id, student))


def _wrong(course, exercise_id: str, student: str | None) -> dict[str, list[dict]]:
    spec = get(exercise_id).numbers
    numbers = _numbers(course, exercise_id, student)
    return {mid: values(numbers) for mid, values in spec.wrong.items()}


@pytest.fixture(scope="module")
def draws(course):
    """Every id's numbers, answers and misconception values, by exercise."""
    out = {}
    for exercise_id in EXERCISES:
        ex = get(exercise_id)
        rows = {}
        for student in IDS:
            numbers = draw_for(ex, student, course.variant_seed)
            rows[student] = (numbers, ex.numbers.answers(numbers), {m: f(numbers) for m, f in ex.numbers.wrong.items()})
        out[exercise_id] = rows
    return out


# --------------------------------------------------------------------------- the draws

def test_numbers_are_stable(course, draws):
    """The same id gets the same numbers every time (a fresh draw, not a cached one), and another seed others."""
    for exercise_id in EXERCISES:
        ex = get(exercise_id)
        for student in IDS:
            assert draw_for(ex, student, course.variant_seed) == draws[exercise_id][student][0]
            # the first draw of the student's generator: the draws never give the lesson's numbers, nothing is skipped
            rng = np.random.default_rng(numbers_seed(course.variant_seed, exercise_id, student))
            assert same_numbers(ex.numbers.draw(rng), draws[exercise_id][student][0])
        other_seed = sum(draw_for(ex, s, course.variant_seed + 1) != draws[exercise_id][s][0] for s in IDS[:200])
        assert other_seed > 150


def test_shape_answers_are_hand_sized(draws):
    """The bounds of draw_shapes' docstring, and the answers they give."""
    for numbers, answers, _ in draws["shape_answers"].values():
        assert 20 <= numbers["size"] <= 40 and numbers["filters"] in (8, 16, 32)
        assert numbers["c3_kernel"] in (3, 5) and 2 <= numbers["c3_maps"] <= 8 and 4 <= numbers["c3_filters"] <= 32
        assert 15 <= numbers["valid_n"] <= 40 and numbers["valid_k"] in (3, 5, 7)
        assert 9 * 8 <= answers["flatten_size_32"] <= 8 * 8 * 32
        assert answers["c3_params_full"] <= (25 * 8 + 1) * 32
        assert 9 <= answers["readme_erratum_valid_size"] <= 38
        assert all(isinstance(v, int) for v in answers.values())


def test_dense_vs_conv_is_hand_sized(draws):
    """The bounds of draw_dense's docstring: sides 5-12, 1 or 3 channels, 2-12 filters, the kernel 3x3."""
    for numbers, answers, _ in draws["dense_vs_conv"].values():
        assert 5 <= numbers["height"] <= 12 and 5 <= numbers["width"] <= 12
        assert numbers["channels"] in (1, 3) and 2 <= numbers["filters"] <= 12
        assert answers["dense_params"] <= (12 * 12 * 3 + 1) * 10 * 10 * 12
        assert answers["conv_params_3x3"] <= 28 * 12
        assert all(isinstance(v, int) for v in answers.values())


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_numbers_are_not_degenerate(exercise_id, course, draws):
    """For every id: each misconception gives values (all of them wrong), no two misconceptions give the same
    value for a name, and each of the student's answers differs from the lesson's."""
    ex = get(exercise_id)
    lesson = ex.values
    for student, (numbers, answers, wrong) in draws[exercise_id].items():
        assert not same_numbers(numbers, ex.numbers.lesson)
        assert all(answers[name] != lesson[name] for name in ex.names), (student, numbers)
        assert set(wrong) == {m.id for m in ex.misconceptions}
        owner: dict[tuple, str] = {}
        for mid, candidates in wrong.items():
            assert candidates, (student, mid, numbers)
            for candidate in candidates:
                assert candidate and set(candidate) <= set(ex.names)
                for name, value in candidate.items():
                    assert value != answers[name], (student, mid, numbers)
                    assert owner.setdefault((name, value), mid) == mid, (student, name, value, numbers)


def test_the_lesson_numbers_give_the_lesson_answers_and_misconceptions():
    """answers(lesson) is the declaration's values, and every misconception's lesson value (the declaration's
    wrong(), used when variants are off) is among what its numbered wrong gives for the lesson's numbers."""
    for exercise_id in EXERCISES:
        ex = get(exercise_id)
        assert ex.numbers.answers(ex.numbers.lesson) == ex.values
        for m in ex.misconceptions:
            candidates = ex.numbers.wrong[m.id](ex.numbers.lesson)
            for name, value in m.wrong().items():
                assert {name: value} in candidates, (exercise_id, m.id, name)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_students_do_not_share_few_numbers(exercise_id, draws):
    """The draws are many, and none is shared by a crowd."""
    counts = collections.Counter(json.dumps(numbers, sort_keys=True) for numbers, _, _ in draws[exercise_id].values())
    answers = collections.Counter(json.dumps(a, sort_keys=True) for _, a, _ in draws[exercise_id].values())
    # dense_vs_conv's 1408 possible layers give the same answers on h x w and w x h images
    least = {"shape_answers": (1950, 1950), "dense_vs_conv": (1000, 650)}[exercise_id]
    assert len(counts) >= least[0] and len(answers) >= least[1], (len(counts), len(answers))
    assert counts.most_common(1)[0][1] <= 10 and answers.most_common(1)[0][1] <= 15


def test_what_a_notebook_prints_holds_no_answer(draws):
    """describe and title (public: my_numbers prints them) state numbers, never an answer; the source of draw,
    describe and title (a learner kit ships it) holds no student's answer and no lesson's."""
    for exercise_id in EXERCISES:
        spec = get(exercise_id).numbers
        for numbers, answers, _ in list(draws[exercise_id].values())[:300]:
            text = spec.describe(numbers) + " " + spec.title(numbers)
            found = {v for v, _ in scan._text_numbers(text) if not isinstance(v, list)}
            assert not {float(v) for v in answers.values() if v >= 100} & found, text
        source = "\n".join(inspect.getsource(f) for f in (spec.draw, spec.describe, spec.title))
        found = {v for v, _ in scan._code_numbers(source) if not isinstance(v, list)}
        every = {float(v) for _, answers, _ in draws[exercise_id].values() for v in answers.values()} | \
            {float(v) for v in get(exercise_id).values.values()}
        assert not {v for v in every if v >= 100} & found, sorted({v for v in every if v >= 100} & found)


# --------------------------------------------------------------------------- through the grader

def _pick(course, predicate) -> str:
    return next(s for s in IDS if predicate(s))


@pytest.fixture(scope="module")
def students(course):
    """A student whose dense_vs_conv is on RGB (four ways to forget channels), one on grayscale (one way)."""
    first = _pick(course, lambda s: _numbers(course, "dense_vs_conv", s)["channels"] == 3)
    second = _pick(course, lambda s: _numbers(course, "dense_vs_conv", s)["channels"] == 1 and s != first)
    return first, second


def _cell(answers: dict) -> str:
    return "\n".join(f"{name} = {value!r}" for name, value in answers.items())


def _results(path, course, student=None) -> dict:
    report = check_notebook(path, course=course, student=student)
    return {r.id: r for r in report.exercises if r.id in EXERCISES}


def _points(course, exercise_id: str) -> float:
    return course.assignment(ASSIGNMENT).points[exercise_id]


def test_own_answers_earn_full_marks(course, students, tmp_path):
    for student in students:
        path = personal_notebook(course, ASSIGNMENT, student, tmp_path / f"{student}.ipynb")
        for exercise_id, result in _results(path, course, student).items():
            assert (result.status, result.score) == ("passed", _points(course, exercise_id)), result.feedback


def test_the_lessons_answers_earn_nothing_and_are_named(course, students, tmp_path):
    """The solution's answers (the lesson's), handed in as a student, with NAME empty or naming that student."""
    student = students[0]
    named = personal_notebook(course, ASSIGNMENT, student, tmp_path / "named.ipynb",
                              replacements={e: _cell(get(e).values) for e in EXERCISES})
    for path in (solution_path(course, ASSIGNMENT), named):
        for exercise_id, result in _results(path, course, student).items():
            assert (result.status, result.score, result.misconception) == ("failed", 0, "lesson-numbers"), result.feedback
            assert "the lesson's example" in result.feedback
            assert get(exercise_id).numbers.describe(_numbers(course, exercise_id, student)) in result.feedback


def _clean_pair(course) -> tuple[str, str]:
    """(student, other): every answer of other's differs from student's, and none is a misconception's value for
    student's numbers (those would be named as that misconception: see the report)."""
    def clean(student, other):
        for exercise_id in EXERCISES:
            mine, theirs = _answers(course, exercise_id, student), _answers(course, exercise_id, other)
            wrong = {(k, v) for candidates in _wrong(course, exercise_id, student).values() for c in candidates for k, v in c.items()}
            if any(mine[k] == theirs[k] or (k, theirs[k]) in wrong for k in mine):
                return False
        return True
    return next((a, b) for a, b in itertools.permutations(IDS[:20], 2) if clean(a, b))


def test_another_students_answers_earn_nothing_and_are_named(course, tmp_path):
    student, other = _clean_pair(course)
    path = personal_notebook(course, ASSIGNMENT, other, tmp_path / "other.ipynb")  # NAME = other, other's answers
    results = _results(path, course, student)
    for exercise_id, result in results.items():
        assert (result.status, result.score, result.misconception) == ("failed", 0, "other-numbers"), result.feedback
        assert f"handed in as {student!r}" in result.feedback and repr(other) in result.feedback  # the hint: both ids
    # the note on whose numbers were graded: once in the report, under the first exercise it concerns
    notes = [r.feedback.count(f"names the student {other!r}") for r in results.values()]
    assert notes == [1, 0] and f"graded on {student!r}'s numbers" in next(iter(results.values())).feedback, notes
    # The same notebook handed in as its own student keeps its full marks.
    for exercise_id, result in _results(path, course, other).items():
        assert result.status == "passed", result.feedback


def _misconception_notebooks(course, student: str, tmp_path):
    """(exercise id, misconception id, notebook): the student's right answers with one misconception's values
    in place, one notebook per value (each holds one of shape_answers' and one of dense_vs_conv's)."""
    planted = {e: [(mid, c) for mid, cs in _wrong(course, e, student).items() for c in cs] for e in EXERCISES}
    rows = []
    for n, pair in enumerate(itertools.zip_longest(*(planted[e] for e in EXERCISES))):
        replacements, expected = {}, {}
        for exercise_id, item in zip(EXERCISES, pair):
            if item is None:
                continue
            mid, candidate = item
            replacements[exercise_id] = _cell({**_answers(course, exercise_id, student), **candidate})
            expected[exercise_id] = (mid, candidate)
        path = personal_notebook(course, ASSIGNMENT, student, tmp_path / f"{student}-{n}.ipynb", replacements=replacements)
        rows.append((path, expected))
    return rows


def test_each_misconception_is_named_on_the_students_numbers(course, students, tmp_path):
    seen = set()
    for student in students:
        for path, expected in _misconception_notebooks(course, student, tmp_path):
            results = _results(path, course, student)
            for exercise_id, (mid, candidate) in expected.items():
                result = results[exercise_id]
                ex = get(exercise_id)
                right = len(ex.names) - len(candidate)
                assert (result.status, result.misconception) == ("failed", mid), (student, candidate, result.feedback)
                assert result.score == pytest.approx(_points(course, exercise_id) * right / len(ex.names), abs=0.01), result.feedback
                assert f"[{mid}]" in result.feedback
                seen.add((exercise_id, mid))
    assert seen == {(e, m.id) for e in EXERCISES for m in get(e).misconceptions}
    # Both channel counts: on RGB the channels can be forgotten in four ways, on grayscale in one.
    assert len(_wrong(course, "dense_vs_conv", students[0])["channels-not-summed"]) == 4
    assert len(_wrong(course, "dense_vs_conv", students[1])["channels-not-summed"]) == 1


def test_a_self_check_agrees_with_the_grader(course, students, tmp_path):
    """NAME = the student's id, no student= given: the same verdict, points and feedback as the grader's."""
    student = students[0]
    notebooks = [personal_notebook(course, ASSIGNMENT, student, tmp_path / "own.ipynb"),
                 personal_notebook(course, ASSIGNMENT, student, tmp_path / "lesson.ipynb",
                                   replacements={e: _cell(get(e).values) for e in EXERCISES})]
    notebooks += [path for path, _ in _misconception_notebooks(course, student, tmp_path)[:2]]
    for path in notebooks:
        graded, checked = _results(path, course, student), _results(path, course)
        for exercise_id in EXERCISES:
            g, c = graded[exercise_id], checked[exercise_id]
            assert (c.status, c.score, c.misconception, c.feedback) == (g.status, g.score, g.misconception, g.feedback)


# --------------------------------------------------------------------------- the release

#: Numbers the release states for other reasons that some students' answers happen to equal: such a student
#: reads them as what they are there, not as an answer to their own question.
COINCIDENCES = {
    100: "PyTorch's 50x100 input (section 1)",
    128: "Dense(128) of the Keras notes' model (section 5)",
    1600: "the Keras notes' flattened size on 28x28 images (section 5)",
}


def test_the_release_gives_no_students_answer_away(course, draws):
    """No student's answer in the released notebook (code, text, what it prints), but for the numbers above, and
    none of the lesson's either (everyone's when variants are off); the NAME cell empty, the answer cells stubs,
    each after a cell that shows the learner's numbers."""
    path = release_path(course, ASSIGNMENT).resolve()
    nb = nbformat.read(path, as_version=4)
    printed = scan._printed_by_cells(path)
    where = collections.defaultdict(set)
    for index, cell in enumerate(nb.cells):
        items = list(scan._code_numbers(cell.source)) if cell.cell_type == "code" else list(scan._text_numbers(cell.source))
        items += list(scan._text_numbers(printed.get(index, "")))
        for value, _ in items:
            if not isinstance(value, list):
                where[value].add(index)
    given = set()
    for exercise_id in EXERCISES:
        for student, (_, answers, _) in draws[exercise_id].items():
            given |= {(student, exercise_id, name, v) for name, v in answers.items() if v >= 100 and float(v) in where and v not in COINCIDENCES}
        given |= {("lesson", exercise_id, name, v) for name, v in get(exercise_id).values.items() if v >= 100 and float(v) in where}
    assert not given, sorted(given)[:10]
    names = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("NAME = ")]
    assert [c.source.split("#")[0].strip() for c in names] == ['NAME = ""']
    for exercise_id in EXERCISES:
        index = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == exercise_id)
        assert "BEGIN SOLUTION" not in nb.cells[index].source
        assert all(f"{name} = None" in nb.cells[index].source for name in get(exercise_id).names)
        assert nb.cells[index - 1].source == f'from autograder import my_numbers\nmy_numbers("{exercise_id}")'
        assert "the lesson's numbers" in printed[index - 1]  # NAME is empty in the release


def test_personal_answers_cover_both_exercises(course, students):
    """conftest.personal_answers writes both of 04's on-paper cells, with the student's answers."""
    cells = personal_answers(course, ASSIGNMENT, students[0])
    assert set(cells) == set(EXERCISES)
    for exercise_id in EXERCISES:
        assert cells[exercise_id] == _cell(_answers(course, exercise_id, students[0]))
