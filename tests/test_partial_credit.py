"""Partial credit: an exercise's points split over kinds of check, one rule for points everywhere.

The split (worked examples, hidden values, bad input, the by-hand rule) has
defaults in the engine, may be declared with an exercise and overridden in
course.yml; :func:`autograder.report.points_earned` is the one function that
turns a result into points, for every grader.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from autograder.course import CourseError, load_course
from autograder.engine.evaluate import ExerciseResult, credit, evaluate, prepare
from autograder.engine.outcome import Outcome
from autograder.engine.spec import DEFAULT_WEIGHTS, CreditWeights, resolve_weights
from autograder.exercises import registry
from autograder.pipeline import check_notebook, prepare_assignment
from autograder.report import Report, points_earned
from autograder.sandbox.session import Limits

from conftest import planted_notebook, solution_path
from test_feedback import FAST, SIZE_WITHOUT_RULES, SourcedCaller, _function, inline_caller


def _b(**kinds):
    return {k: {"passed": p, "total": t} for k, (p, t) in kinds.items()}


# -------------------------------------------------------------------------------- the arithmetic

def test_credit_weighs_each_kind_by_the_share_of_its_checks_passed():
    assert credit(_b(examples=(2, 2), hidden=(10, 20), errors=(1, 2)), DEFAULT_WEIGHTS) == pytest.approx(0.4 + 0.2 + 0.1)
    assert credit(_b(examples=(2, 2), hidden=(20, 20), errors=(2, 2), by_hand=(1, 1)), DEFAULT_WEIGHTS) == 1.0
    # Kinds an exercise lacks drop out; the others share the points.
    assert credit(_b(examples=(1, 2), errors=(1, 1)), DEFAULT_WEIGHTS) == pytest.approx((0.4 * 0.5 + 0.2) / 0.6)
    # Rejecting bad input and keeping the by-hand rule earn nothing while no value is right,
    # and worked examples (whose answers are in the notebook) nothing while no hidden check is.
    assert credit(_b(examples=(0, 2), hidden=(0, 9), errors=(2, 2), by_hand=(1, 1)), {**DEFAULT_WEIGHTS, "by_hand": 1}) == 0.0
    assert credit(_b(examples=(2, 2), hidden=(0, 9), errors=(2, 2)), DEFAULT_WEIGHTS) == 0.0
    assert credit(_b(examples=(2, 2), hidden=(1, 9), errors=(2, 2)), DEFAULT_WEIGHTS) == pytest.approx(0.4 + 0.4 / 9 + 0.2)
    assert credit(_b(examples=(0, 2), errors=(2, 2)), DEFAULT_WEIGHTS) == 0.0  # the notebook's check(id): no hidden checks
    # All weights of the kinds present at 0: every check counts alike.
    assert credit(_b(examples=(1, 2), hidden=(3, 4)), {"examples": 0, "hidden": 0, "errors": 1}) == pytest.approx(4 / 6)
    # Value exercises: one kind.
    assert credit(_b(values=(2, 3)), DEFAULT_WEIGHTS) == pytest.approx(2 / 3)


@pytest.mark.parametrize("fraction,points,earned", [
    (2 / 3, 1, 0.66), (0.8, 2, 1.6), (0.8, 3, 2.4), (0.975, 2, 1.95), (0.99999, 3, 2.99), (1.0, 3, 2.99),
    (0.0, 4, 0.0), (0.004, 1, 0.0), (0.7, 0, 0.0),
])
def test_points_are_hundredths_rounded_down_and_full_marks_only_for_a_pass(fraction, points, earned):
    result = ExerciseResult("x", "failed", "", fraction=fraction)
    assert points_earned(result, points) == earned
    assert points_earned(ExerciseResult("x", "passed", "", fraction=0.2), points) == float(points)


def test_report_scores_come_from_points_earned_and_json_stays_stable():
    report = Report("nb.ipynb", "a")
    report.add(ExerciseResult("x", "failed", "msg", None, 3, 4, 0.75, _b(examples=(3, 4))), 3)
    report.add(ExerciseResult("y", "passed", "ok", fraction=1.0), 2)
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {"notebook", "assignment", "score", "max_score", "exercises"}
    assert data["score"] == 4.25 and data["max_score"] == 5.0
    assert set(data["exercises"][0]) == {"id", "status", "score", "max_score", "feedback", "misconception", "breakdown"}
    assert data["exercises"][0]["breakdown"] == {"examples": {"passed": 3, "total": 4}}
    assert Report.from_dict(data).to_dict() == data
    old = {**data, "exercises": [{k: v for k, v in e.items() if k != "breakdown"} for e in data["exercises"]]}
    assert Report.from_dict(old).exercises[0].breakdown == {}  # reports written before partial credit still load


# -------------------------------------------------------------------------------- weights

def test_weights_from_the_engine_the_course_the_declaration_and_the_override():
    ex = registry()["conv_output_size"]
    assert resolve_weights(ex) == {**DEFAULT_WEIGHTS, **ex.weights}
    course = CreditWeights.parse({"examples": 1, "hidden": 1, "errors": 1, "exercises": {"conv1d": {"hidden": 3}}}, known=registry())
    assert resolve_weights(registry()["conv1d"], course) == {"examples": 1.0, "hidden": 3.0, "errors": 1.0, "by_hand": 0.0}
    import dataclasses
    declared = dataclasses.replace(registry()["conv1d"], weights={"errors": 0.5})
    assert resolve_weights(declared, course)["errors"] == 0.5  # the declaration is more specific than the course-wide weights
    assert resolve_weights(declared, course)["hidden"] == 3.0  # and the course's override for it more specific still


@pytest.mark.parametrize("value,message", [
    ({"exampels": 1}, "unknown kind of check 'exampels'; the kinds are examples, hidden, errors, by_hand"),
    ({"hidden": -1}, "grading.weights.hidden should be a number >= 0, not -1"),
    ({"hidden": True}, "grading.weights.hidden should be a number >= 0, not True"),
    ({"errors": "a lot"}, "grading.weights.errors should be a number >= 0, not 'a lot'"),
    ([0.4, 0.4, 0.2], "grading.weights should be a mapping"),
    ({"exercises": {"conv1dd": {"errors": 1}}}, "grading.weights.exercises: no exercise 'conv1dd'"),
    ({"exercises": {"conv1d": 0.5}}, "grading.weights.exercises.conv1d should map kinds of check"),
    ({"examples": 0, "hidden": 0, "errors": 0}, "at least one of examples, hidden and errors needs a weight above 0"),
])
def test_weights_are_validated_with_clear_errors(value, message):
    with pytest.raises(ValueError) as info:
        CreditWeights.parse(value, "grading.weights", known=registry())
    assert message in str(info.value)


def _course_with(course, tmp_path: Path, weights) -> object:
    data = yaml.safe_load(Path(course.path).read_text())
    data["grading"]["weights"] = weights
    root = tmp_path / "course"
    root.mkdir(parents=True)
    for name in ("solutions", "assignments"):
        (root / name).symlink_to(course.root / name)
    (root / "course.yml").write_text(yaml.safe_dump(data))
    return load_course(root / "course.yml")


def test_course_yml_weights_change_the_points(course, tmp_path):
    notebook = planted_notebook(solution_path(course, "04-shapes"), tmp_path / "nb" / "shapes.ipynb", {"conv_output_size": SIZE_WITHOUT_RULES})
    # Right on every value, no rule of bad input: the rules floor keeps 80 % however heavy the errors are...
    errors_heavy = _course_with(course, tmp_path / "a", {"errors": 0.5, "exercises": {"conv_params": {"hidden": 2}}})
    entry = {e.id: e for e in check_notebook(notebook, course=errors_heavy, assignment="04-shapes", limits=FAST).exercises}["conv_output_size"]
    assert entry.score == entry.max_score * 0.8
    # ...unless course.yml lowers the floor: then the weights alone decide
    no_floor = _course_with(course, tmp_path / "a2", {"errors": 0.5, "rules_floor": 0, "exercises": {"conv_params": {"hidden": 2}}})
    entry = {e.id: e for e in check_notebook(notebook, course=no_floor, assignment="04-shapes", limits=FAST).exercises}["conv_output_size"]
    assert entry.score == math.floor(entry.max_score * 0.8 / 1.3 * 100) / 100  # (0.4 + 0.4) / (0.4 + 0.4 + 0.5) of the points
    override = _course_with(course, tmp_path / "b", {"exercises": {"conv_output_size": {"examples": 1, "hidden": 1, "errors": 2, "rules_floor": 0.25}}})
    entry = {e.id: e for e in check_notebook(notebook, course=override, assignment="04-shapes", limits=FAST).exercises}["conv_output_size"]
    assert entry.score == entry.max_score / 2  # (1 + 1 + 0) / 4, above this exercise's floor
    with pytest.raises(CourseError, match=r"grading\.weights\.whole_property should be a share of the points between 0 and 1"):
        _course_with(course, tmp_path / "e", {"whole_property": 1.5})
    with pytest.raises(CourseError, match=r"course\.yml: grading\.weights: unknown kind of check 'hiden'"):
        _course_with(course, tmp_path / "c", {"hiden": 1})  # refused when course.yml is read
    with pytest.raises(CourseError, match=r"grading\.weights\.exercises: no exercise 'conv_output_sizes'"):
        _course_with(course, tmp_path / "d", {"exercises": {"conv_output_sizes": {"errors": 1}}})


# -------------------------------------------------------------------------------- stopping early

class StoppingCaller(SourcedCaller):
    """Runs the calls, then pretends the ``at``-th timed out (or crashed) and nothing after it ran."""

    def __init__(self, namespace, sources, at: int, how: str):
        super().__init__(namespace, sources)
        self.at, self.how = at, how

    def call(self, name, calls, *, timeout, forbidden):
        outcomes = super().call(name, calls, timeout=timeout, forbidden=forbidden)[: self.at]
        outcomes.append(Outcome(timed_out=True) if self.how == "timeout" else Outcome(crashed="it was killed by signal SIGKILL"))
        return outcomes


def _conv1d_caller(course, at: int, how: str) -> SourcedCaller:
    from test_feedback import _cell

    source = "import numpy as np\n" + _cell("conv1d", course, "01-conv1d")
    plain = _function(source, "conv1d")
    return StoppingCaller(plain.namespace, plain.sources(), at, how)


@pytest.mark.parametrize("how,status", [("timeout", "timeout"), ("crash", "error")])
def test_what_passed_before_a_timeout_or_a_crash_still_counts(how, status, course):
    prepared = prepare(registry()["conv1d"], seed=course.seed)
    hidden = sum(1 for c in prepared.checks if c.kind == "hidden")
    at = 4 + 3  # the 2 worked examples, the 2 bad inputs and 3 hidden checks ran
    result = evaluate(prepared, _conv1d_caller(course, at, how), timeout=5)
    assert result.status == status
    assert result.breakdown == {"examples": {"passed": 2, "total": 2}, "errors": {"passed": 2, "total": 2},
                                "hidden": {"passed": 3, "total": hidden}, "by_hand": {"passed": 1, "total": 1}}
    assert result.fraction == pytest.approx(0.4 + 0.4 * 3 / hidden + 0.2)
    not_run = len(prepared.checks) - at - 1
    assert f"The {not_run} checks after it were not run (they count as failed)." in result.feedback
    assert result.feedback.splitlines()[1].startswith("[timeout]" if how == "timeout" else "conv1d(...) with")


SLOW_ON_ONE_SAMPLE = '''
def conv1d(x, h):
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("x and h must not be empty")
    while x.size == 1:  # a single sample was to be handled apart; the loop never ends
        pass
    dtype = np.int64 if x.dtype.kind in "biu" and h.dtype.kind in "biu" else np.float64
    y = np.zeros(x.size + h.size - 1, dtype=dtype)
    for i in range(x.size):
        for j in range(h.size):
            y[i + j] += dtype(x[i]) * dtype(h[j])
    return y
'''


def test_a_real_timeout_keeps_the_points_earned_before_it(course, prepared, tmp_path):
    limits = Limits(exercise_timeout=2, submission_timeout=60)
    notebook = planted_notebook(solution_path(course, "01-conv1d"), tmp_path / "nb.ipynb", {"conv1d": SLOW_ON_ONE_SAMPLE})
    sandboxed = {e.id: e for e in check_notebook(notebook, course=course, assignment="01-conv1d", prepared=prepared("01-conv1d"), limits=limits).exercises}["conv1d"]
    inline = evaluate(prepared("01-conv1d")["conv1d"], inline_caller(notebook), timeout=2)
    assert inline.status == "timeout" and "[timeout]" in inline.feedback and "signal of length 1" in inline.feedback
    # The sandbox ends a busy loop at its wall-clock limit or, on a loaded machine, at its CPU limit first.
    assert sandboxed.status in ("timeout", "error"), sandboxed.feedback
    assert "signal of length 1" in sandboxed.feedback
    assert (sandboxed.score, sandboxed.breakdown) == (points_earned(inline, sandboxed.max_score), inline.breakdown), (sandboxed.feedback, inline.feedback)
    assert 0 < sandboxed.score < sandboxed.max_score
    assert inline.breakdown["examples"] == {"passed": 2, "total": 2} and inline.breakdown["errors"] == {"passed": 2, "total": 2}


def test_a_forbidden_call_scores_nothing_whatever_else_is_right(course):
    caller = _function("import numpy as np\ndef conv1d(x, h):\n    if len(x) == 0 or len(h) == 0:\n        raise ValueError('empty')\n    return np.convolve(x, h)\n", "conv1d")
    result = evaluate(prepare(registry()["conv1d"], seed=course.seed), caller, timeout=5)
    assert (result.status, result.fraction, points_earned(result, 3)) == ("forbidden", 0.0, 0.0)
    assert result.breakdown == {"by_hand": {"passed": 0, "total": 1}}
