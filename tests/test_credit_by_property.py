"""Credit that matches the damage: a whole kind of valid input wrong costs more than a missing ValueError.

Before, a `conv1d` that cast its inputs to integers (wrong on every float input)
earned 3.68/4 and one that returned zeros for every signal longer than 15
samples earned 3.68/4, while a perfect `conv1d` without input validation earned
3.2/4.  Now hidden checks are grouped by the properties of their inputs
(autograder/engine/credit.py): failing every check of a property caps the
exercise at 75 %; right on every value keeps at least 80 %.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.engine.credit import case_properties, credit, whole_properties_failed
from autograder.pipeline import check_notebook

from conftest import planted_notebook, solution_path

HELPERS = '''
import numpy as np

def _right(x, h):
    x, h = np.asarray(x, dtype=float), np.asarray(h, dtype=float)
    out = np.zeros(len(x) + len(h) - 1)
    for n in range(len(out)):
        for k in range(len(x)):
            if 0 <= n - k < len(h):
                out[n] += x[k] * h[n - k]
    return out

def _check(x, h):
    if np.ndim(x) != 1 or np.ndim(h) != 1 or len(x) == 0 or len(h) == 0:
        raise ValueError("x and h must be non-empty 1-D sequences")
'''
CONV1D = {
    "right": "def conv1d(x, h):\n    _check(x, h)\n    return _right(x, h)\n",
    "no-validation": "def conv1d(x, h):\n    return _right(x, h)\n",
    "casts-to-int": "def conv1d(x, h):\n    _check(x, h)\n    return _right(np.asarray(x).astype(int), np.asarray(h).astype(int))\n",
    "zeros-when-long": "def conv1d(x, h):\n    _check(x, h)\n    if len(x) > 15:\n        return np.zeros(len(x) + len(h) - 1)\n    return _right(x, h)\n",
}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("credit")
    solution = solution_path(course, "01-conv1d")
    out = {}
    for name, body in CONV1D.items():
        notebook = planted_notebook(solution, root / name / "conv1d.ipynb", {"conv1d": HELPERS + body})
        report = check_notebook(notebook, course=course, assignment="01-conv1d")
        out[name] = next(e for e in report.exercises if e.id == "conv1d")
    return out


def test_right_code_keeps_full_marks(graded):
    assert graded["right"].status == "passed" and graded["right"].score == graded["right"].max_score


def test_missing_only_the_bad_input_rule_keeps_at_least_80_percent(graded):
    entry = graded["no-validation"]
    assert entry.status == "failed"
    assert entry.score >= 0.8 * entry.max_score, entry.feedback
    assert "bad input rejected in 0 of" in entry.feedback


@pytest.mark.parametrize("name, prop", [("casts-to-int", "float values"), ("zeros-when-long", "x of more than 16 values")])
def test_wrong_on_a_whole_property_keeps_at_most_75_percent_and_says_which(graded, name, prop):
    entry = graded[name]
    assert entry.status == "failed"
    assert entry.score <= 0.75 * entry.max_score, (name, entry.score)
    assert entry.score < graded["no-validation"].score  # wrong on a kind of input costs more than a missing ValueError
    assert f"Wrong on every hidden check with {prop} (" in entry.feedback, entry.feedback
    assert "at most 75% of its points" in entry.feedback


def test_properties_of_inputs():
    assert case_properties((np.arange(20, dtype=np.uint8), np.ones(3)), {}, ("x", "h")) == (
        "uint8 values", "float values", "x of more than 16 values")
    assert "h longer than x" in case_properties((np.ones(2), np.ones(5)), {}, ("x", "h"))
    assert "stride=2" in case_properties((np.ones((4, 4)),), {"stride": 2}, ("X",))
    assert case_properties((3, 2), {}, ("n", "k")) == ()  # sizes and counts: no array, no property


def test_a_property_needs_two_checks_and_not_every_check():
    props = [("float values",), ("float values",), ("integer values",), ()]
    assert whole_properties_failed(props, [False, False, True, True]) == [("float values", 2)]
    assert whole_properties_failed(props, [False, True, True, True]) == []  # one of two failed: counted, not capped
    assert whole_properties_failed([("a",), ("a",)], [False, False]) == []  # every check: no kind of its own
    assert whole_properties_failed([("a",), ("b",), ("c",)], [False, True, True]) == []  # one check is no kind
    assert whole_properties_failed([("a",), ("a",), ("b",)], [False, False, False]) == []  # nothing right: nothing stands out


def test_the_limits_come_from_the_weights():
    breakdown = {"examples": {"passed": 2, "total": 2}, "hidden": {"passed": 14, "total": 15}, "errors": {"passed": 2, "total": 2}}
    weights = {"examples": 0.4, "hidden": 0.4, "errors": 0.2}
    assert credit(breakdown, weights) > 0.97
    assert credit(breakdown, weights, whole=["float values"]) == 0.75
    assert credit(breakdown, {**weights, "whole_property": 0.5}, whole=["float values"]) == 0.5
    nothing_hidden = {**breakdown, "hidden": {"passed": 0, "total": 15}}
    assert credit(nothing_hidden, weights) == 0.0  # the worked examples alone never earn more than their share
