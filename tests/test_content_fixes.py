"""The content fixes of 02-05 found by working through the notebooks as a learner (issue 19).

Each fix, checked where a learner meets it: in the released notebooks' text and stubs, and in the
feedback the engine gives (in process: these are the same declarations every grader evaluates).
"""
from __future__ import annotations

import json
import linecache
import re

import numpy as np
import pytest

from autograder.engine.evaluate import evaluate, prepare
from autograder.exercises import registry
from autograder.frontends.inline import InProcessCaller
from autograder.frontends.nbgrader.bridge import solution_answers, value_stubs

from conftest import release_path, solution_path
from planted import all_plants

SEED = 20261123


class _Caller(InProcessCaller):
    """The engine's in-process caller, with the answer cells as its sources (as a kernel's history gives them)."""

    def __init__(self, namespace, sources):
        super().__init__(namespace)
        self._sources = sources

    def sources(self):
        return self._sources


def _run(*sources: str) -> _Caller:
    namespace = {"__name__": "__main__"}
    for n, source in enumerate(sources):
        filename = f"<cell {n}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)  # trusted: the course's own answers and plants
    return _Caller(namespace, [(n, s) for n, s in enumerate(sources)])


def _grade(exercise_id: str, caller, earlier=None):
    return evaluate(prepare(registry()[exercise_id], seed=SEED), caller, timeout=30, earlier=earlier)


def _cells(path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell) -> str:
    return "".join(cell["source"])


# --------------------------------------------------------------------------- every notebook: Run All

def test_no_released_answer_cell_raises_and_value_stubs_are_none(course):
    for a in course.assignments:
        values = {ex.id: ex.names for ex in registry().values() if ex.assignment == a.id and ex.kind == "value"}
        for cell in _cells(release_path(course, a.id)):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("solution"):
                continue
            source = _text(cell)
            assert not re.search(r"^raise NotImplementedError", source, re.M), f"{a.id} {meta['grade_id']}: raises at top level"
            for name in values.get(meta["grade_id"], ()):
                assert re.search(rf"^{name} = None\b", source, re.M), f"{a.id} {meta['grade_id']}: no `{name} = None` stub"


def test_value_stubs_leave_function_stubs_alone():
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "v"}},
         "source": ["x = None  # your answer\n", "# YOUR CODE HERE\n", "raise NotImplementedError()"]},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "f"}},
         "source": ["def f(x):\n", "    # YOUR CODE HERE\n", "    raise NotImplementedError()"]},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "old"}},
         "source": ["# YOUR CODE HERE\n", "raise NotImplementedError()"]},
    ]}
    out = json.loads(value_stubs(json.dumps(nb).encode()))
    assert [_text(c) for c in out["cells"]] == ["x = None  # your answer\n# YOUR CODE HERE",
                                               "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
                                               "# YOUR CODE HERE\nraise NotImplementedError()"]


def test_a_value_left_at_none_is_not_written_yet():
    result = _grade("by_hand_full", _run("y_by_hand = None  # your answer\n"))
    assert (result.status, result.misconception, result.fraction) == ("not-implemented", "not-implemented", 0.0)
    assert "still None: replace None by your answer" in result.feedback


# --------------------------------------------------------------------------- 02

def test_02_prints_no_answer_and_pads_wider_than_the_image(course):
    code = [_text(c) for c in _cells(release_path(course, "02-conv2d")) if c["cell_type"] == "code"]
    assert not any("notes_filter" in c or "577" in c or "732" in c for c in code)
    cases = registry()["pad2d"].hidden_cases(np.random.default_rng(1))
    wide = [c.args[2] for c in cases if c.args[1] > max(np.shape(c.args[0]))]
    assert wide.count("symm") >= 3 and wide.count("wrap") >= 3


def test_02_conv2d_same_says_when_pad2d_is_the_cause(course):
    answers = solution_answers(solution_path(course, "02-conv2d"))
    broken = answers["pad2d"].replace("return position % n", "return np.clip(position, 0, n - 1)")  # 'wrap' repeats the edge
    assert broken != answers["pad2d"]
    caller = _run("import numpy as np\n", answers["conv2d"], broken, answers["conv2d_same"])
    pad = _grade("pad2d", caller)
    assert pad.status == "failed"
    same = _grade("conv2d_same", caller, earlier={"pad2d": pad})
    assert same.status == "failed" and same.feedback.startswith("conv2d_same calls your pad2d, which fails: fix pad2d first")


# --------------------------------------------------------------------------- 03

def test_03_pooling_prose_and_backward_demo(course):
    text = "\n".join(_text(c) for c in _cells(release_path(course, "03-cnn-layers")))
    assert "never a window's maximum" not in text
    assert "it is that window's maximum, 4" in text
    assert "for name, array, grad in ((\"dX\", X2, dX2), (\"dW\", W2, dW2))" in text  # dX against central differences too


def test_03_relu_before_bias_explains_its_own_case():
    hint = next(m.hint for m in registry()["conv2d_layer"].misconceptions if m.id == "relu-before-bias")
    assert "19 - 30 = -11" in hint and "negative sums" not in hint


@pytest.mark.parametrize("plant_id", ["dx-not-flipped", "dx-flipped-twice"])
def test_03_the_two_routes_to_a_turned_dx_are_named_apart(plant_id):
    plant = next(p for a, p in all_plants() if p.exercise == "conv2d_layer_backward" and p.misconception == plant_id)
    result = _grade("conv2d_layer_backward", _run("import numpy as np\n", plant.source))
    assert result.misconception == plant_id, result.feedback
    assert f"This looks like [{plant_id}]: dW and db are right; dX is wrong." in result.feedback


def test_03_max_stable_lr_stands_alone_and_points_no_direction(course):
    answers = solution_answers(solution_path(course, "03-cnn-layers"))
    caller = _run("import numpy as np\n", answers["corr2d"], answers["learn_kernel"], "max_stable_lr = None  # your answer\n")
    assert _grade("learn_kernel", caller).status == "passed"  # learn_kernel keeps its points while the rate is unanswered
    assert _grade("max_stable_lr", caller).status == "not-implemented"
    assert _grade("max_stable_lr", _run("max_stable_lr = 1 / 42\n")).status == "passed"
    feedback = {value: _grade("max_stable_lr", _run(f"max_stable_lr = {value}\n")).feedback for value in (0.02, 0.03, 0.01, 0.1)}
    for value, text in feedback.items():
        assert not re.search(r"too (large|small|cautious|big|high|low)|larger|smaller|below it|above it\b(?! must)", text.split("Check your number")[0]), text
        assert "1 - 2 * lr * lambda" in text
    assert len({text.replace(str(value), "V") for value, text in feedback.items()}) == 1  # the same words on both sides
    book = _grade("max_stable_lr", _run("max_stable_lr = 1 / 30\n")).feedback
    assert "the book's 6x8 stripe" in book


# --------------------------------------------------------------------------- 04

def test_04_gives_no_answer_away_and_is_not_by_hand(course):
    text = "\n".join(_text(c) for c in _cells(release_path(course, "04-shapes")))
    assert "6 * 6 * 64" not in text and "2304" not in text
    assert not re.search(r"\b640\b", text), [line for line in text.splitlines() if re.search(r"\b640\b", line)]
    given = next(c for c in _cells(release_path(course, "04-shapes")) if c["metadata"].get("nbgrader", {}).get("grade_id") == "given_corr2d")
    assert "correlate2d(" in _text(given) and "for a in range" not in _text(given)
    assert registry()["equivariance"].forbidden == ()


# --------------------------------------------------------------------------- 05


def test_05_a_wrong_design_costs_at_least_half(course):
    answers = solution_answers(solution_path(course, "05-image-filters"))
    right = _grade("kernels", _run("import numpy as np\n", answers["kernels"]))
    assert right.status == "passed"
    wrong_design = answers["kernels"] + "\nhorizontal_edge = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)  # a vertical edge\n"
    result = _grade("kernels", _run("import numpy as np\n", wrong_design))
    assert result.status == "failed" and result.fraction <= 0.5, result
    assert "values right" not in result.feedback and "KERNELS is right" in result.feedback, result.feedback
