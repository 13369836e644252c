"""A check's follow-up call (``Case.then``): after the call, another of the exercise's functions is
called on one part of its result, and the judge receives what it returned (a learner kit reads a
trained network with the learner's own predict).  Nothing is called when the first call failed, and a
follow-up that raises gives the judge None."""
from __future__ import annotations

import numpy as np

from autograder.engine.evaluate import evaluate, prepare
from autograder.engine.spec import Case, Exercise
from autograder.frontends.inline import InProcessCaller

SEEN: list = []


def _judge(got, then=None, **_values):
    SEEN.append(then)
    return None if isinstance(then, np.ndarray) and then.tolist() == [1, 0] else f"read {then!r}"


EXERCISE = Exercise(
    id="fit_and_read", assignment="00-test", kind="function", names=("fit", "read"), title="t", reference=None, returns="any",
    visible=(Case((3,), judge=_judge, then=("read", 0, (np.array([5.0, -5.0]),)), label="fit, then read two values"),),
)


def _grade(namespace):
    SEEN.clear()
    return evaluate(prepare(EXERCISE, seed=0), InProcessCaller(namespace), timeout=10)


def test_the_judge_gets_the_follow_up_calls_result():
    calls = []

    def read(weights, X):
        calls.append((weights, X.tolist()))
        return (X * weights > 0).astype(int)

    result = _grade({"fit": lambda n: (n, [0.1] * n), "read": read})
    assert result.status == "passed", result.feedback
    assert calls == [(3, [5.0, -5.0])]  # read(result[0], *args)


def test_a_follow_up_that_raises_or_has_no_part_to_read_gives_none():
    def read(weights, X):
        raise RuntimeError("not written")

    result = _grade({"fit": lambda n: (n, []), "read": read})
    assert result.status == "failed" and SEEN == [None], (result.feedback, SEEN)
    result = _grade({"fit": lambda n: 7, "read": lambda w, X: np.array([1, 0])})  # no part 0 to pass on
    assert result.status == "failed" and SEEN == [None]


def test_no_follow_up_after_a_call_that_raised():
    calls = []

    def fit(n):
        raise ValueError("no")

    result = _grade({"fit": fit, "read": lambda w, X: calls.append(w)})
    assert result.status != "passed" and calls == [] and SEEN == []
