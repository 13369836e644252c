"""Feedback that credits what is right and names what is wrong.

Each test grades a notebook twice, as ``autograder check`` does (in the
sandbox) and as the notebook's own ``check()`` does (in this process, with
the same prepared cases), and asserts the same status, points and message.
The answers graded are written the way code found in public repositories is:
right computations that forget a rule, copy-paste slips, validation that
only works because NumPy happened to raise.
"""
from __future__ import annotations

import dataclasses
import linecache
import re

import numpy as np
import pytest

from autograder.engine.compare import compare
from autograder.engine.evaluate import evaluate, evaluation_order, forbidden_hint, prepare
from autograder.exercises import registry
from autograder.frontends.inline import InProcessCaller, demo
from autograder.notebook.load import load_program
from autograder.pipeline import check_notebook, prepare_assignment
from autograder.report import points_earned
from autograder.sandbox.session import Limits

from conftest import planted_notebook, solution_path, without_numbers_note

FAST = Limits(exercise_timeout=5, submission_timeout=90)


class SourcedCaller(InProcessCaller):
    """The notebook's check() as it runs in IPython, where the cells run so far are its history."""

    def __init__(self, namespace: dict, sources: list):
        super().__init__(namespace)
        self._sources = sources

    def sources(self):
        return list(self._sources)


def inline_caller(notebook) -> SourcedCaller:
    """Run a notebook's cells in this process, as a kernel would (cells named as the sandbox names them)."""
    program = load_program(notebook)
    # The kernel's namespace: `from autograder import demo` is a self-check line the program leaves out.
    namespace: dict = {"__name__": "__main__", "demo": demo}
    for cell in program.cells:
        filename = f"<cell {cell.index}>"
        linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True), filename)
        exec(compile(cell.code, filename, "exec"), namespace)  # trusted: the test's own answers
    return SourcedCaller(namespace, program.sources())


def grade_both(course, assignment: str, replacements: dict[str, str], tmp_path, prepared: dict, *, limits: Limits = FAST, timeout: float = 5) -> dict:
    """Grade the solution notebook with ``replacements`` in the sandbox and in process; assert they agree.

    Returns the sandboxed report's entries by exercise id.
    """
    notebook = planted_notebook(solution_path(course, assignment), tmp_path / "submission.ipynb", replacements)
    report = check_notebook(notebook, course=course, assignment=assignment, prepared=prepared, limits=limits)
    caller = inline_caller(notebook)
    results: dict = {}
    for exercise_id in evaluation_order(prepared):
        results[exercise_id] = evaluate(prepared[exercise_id], caller, timeout=timeout, earlier=results)
    points = course.assignment(assignment).points
    inline = {i: (r.status, points_earned(r, points[i]), r.misconception, r.feedback, r.breakdown) for i, r in results.items()}
    sandboxed = {e.id: (e.status, e.score, e.misconception, without_numbers_note(e.feedback), e.breakdown) for e in report.exercises}
    for exercise_id in sandboxed:
        assert inline[exercise_id] == sandboxed[exercise_id], exercise_id
    return {e.id: e for e in report.exercises}


def _cell(grade_id: str, course, assignment: str) -> str:
    return next(c.source for c in load_program(solution_path(course, assignment)).cells if c.grade_id == grade_id)


# -------------------------------------------------------------------------------- code as found in the wild

#: A size function right on every value that never validates (the formula from PyTorch's documentation).
SIZE_WITHOUT_RULES = '''
def conv_output_size(n, k, padding=0, stride=1, dilation=1):
    # Output length, from the formula in the PyTorch Conv1d documentation
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
'''

#: Pooling with a copy-paste slip: the output width is computed from the height.
POOL_WIDTH_FROM_HEIGHT = '''
def pool2d(X, pool_size, stride=1, mode="max"):
    X = np.asarray(X, dtype=float)
    p_h, p_w = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    s_h, s_w = stride if isinstance(stride, tuple) else (stride, stride)
    h = (X.shape[0] - p_h) // s_h + 1
    w = (X.shape[0] - p_w) // s_w + 1
    Y = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            window = X[i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w]
            if mode == "max":
                Y[i, j] = window.max()
            elif mode == "avg":
                Y[i, j] = window.mean()
    return Y
'''

#: Multi-input-channel correlation as d2l.ai writes it: zip() drops the channels that do not match.
MULTI_IN_ZIP = '''
def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them together
    return sum(corr2d(x, k) for x, k in zip(X, K))
'''

#: Full convolution by padding and dot products: the empty kernel "raises" only because np.zeros(-1) does.
CONV1D_NUMPY_RAISES = '''
def conv1d(x, h):
    x = np.asarray(x, dtype=float)
    h = np.asarray(h, dtype=float)
    M, N = len(x), len(h)
    # zero-pad x on both sides so that the flipped kernel can slide across it
    xp = np.concatenate([np.zeros(N - 1), x, np.zeros(N - 1)])
    y = np.zeros(M + N - 1)
    hr = h[::-1]
    for n in range(M + N - 1):
        y[n] = np.dot(xp[n:n + N], hr)
    return y
'''

#: A mode function with a typo in one branch and a list returned by another.
MODE_TYPO_AND_LIST = '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("unknown mode: " + str(mode))
    full = conv1d(x, h)
    n, k = len(x), len(h)
    if mode == "full":
        return full
    if mode == "same":
        start = (min(n, k) - 1) // 2
        return list(full[start:start + max(n, k)])
    return ful[min(n, k) - 1:max(n, k)]
'''

#: Max pooling as blog posts write it, vectorised; `mode` is accepted and never read (its 'max' results are right).
POOL_MAX_ONLY = '''
def pool2d(X, pool_size, stride=1, mode="max"):
    # max pooling: the largest value of each window, as in the notes
    X = np.asarray(X)
    ph, pw = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    windows = np.lib.stride_tricks.sliding_window_view(X, (ph, pw))[::sh, ::sw]
    return windows.max(axis=(2, 3))
'''

_FILTER_CHECKS = '''
def filter_image(image, kernel, boundary="fill"):
    if boundary not in ("fill", "symm", "wrap"):
        raise ValueError("unknown boundary")
    if np.ndim(image) != 2 or np.ndim(kernel) != 2:
        raise ValueError("image and kernel must be 2-D")
'''

#: A homework convolution: the kernel turned by its indices, the picture's edge pixels repeated whatever
#: `boundary` says, odd kernels only (an even one runs off the kernel's end).
FILTER_EDGE_PADDING = _FILTER_CHECKS + '''
    image = np.asarray(image, dtype=float)
    m, n = np.shape(kernel)
    x_size = m // 2
    y_size = n // 2
    image = np.pad(image, ((x_size, x_size), (y_size, y_size)), mode='edge')
    w, h = image.shape
    new_image = np.zeros((w, h), dtype=float)
    for i in range(x_size, w - x_size):
        for j in range(y_size, h - y_size):
            sum = 0
            for s in range(-x_size, x_size + 1):
                for t in range(-y_size, y_size + 1):
                    sum += kernel[s + x_size][t + y_size] * image[i - s, j - t]
            new_image[i, j] = sum
    # ignore the padding part
    return new_image[x_size:w - x_size, y_size:h - y_size]
'''

#: `boundary` read, but 'symm' padded with np.pad's 'reflect' (the edge pixel not repeated): no name fits.
FILTER_REFLECT_FOR_SYMM = _FILTER_CHECKS + '''
    image = np.asarray(image, dtype=float)
    kernel = np.flip(np.asarray(kernel, dtype=float))
    image_h, image_w = image.shape
    kernel_h, kernel_w = kernel.shape
    pad_h, pad_w = kernel_h // 2, kernel_w // 2
    mode = {"fill": "constant", "symm": "reflect", "wrap": "wrap"}[boundary]
    padded_image = np.pad(image, ((pad_h, pad_h), (pad_w, pad_w)), mode=mode)
    result = np.zeros_like(image)
    for i in range(image_h):
        for j in range(image_w):
            region = padded_image[i:i + kernel_h, j:j + kernel_w]
            result[i, j] = np.sum(region * kernel)
    return result
'''

WILD = [
    # (name, assignment, exercise, source, only a rule is missing, misconceptions that may be named)
    ("size-without-validation", "04-shapes", "conv_output_size", SIZE_WITHOUT_RULES, True, {None}),
    ("pool-width-from-height", "03-cnn-layers", "pool2d", POOL_WIDTH_FROM_HEIGHT, False, {None, "wrong-shape"}),
    ("multi-in-zip-truncates", "03-cnn-layers", "corr2d_multi_in", MULTI_IN_ZIP, True, {None}),
    ("conv1d-numpy-raises", "01-conv1d", "conv1d", CONV1D_NUMPY_RAISES, True, {None}),
    ("mode-typo-and-list", "01-conv1d", "conv1d_mode", MODE_TYPO_AND_LIST, False, {None}),
    # Named: the name must fit the checks that pass as well as explain the ones that fail.
    ("pool-ignores-mode", "03-cnn-layers", "pool2d", POOL_MAX_ONLY, False, {"mode-ignored"}),
    ("filter-edge-padding", "05-image-filters", "filter_image", FILTER_EDGE_PADDING, False, {"boundary-ignored"}),
    ("filter-reflect-for-symm", "05-image-filters", "filter_image", FILTER_REFLECT_FOR_SYMM, False, {None}),
]


@pytest.mark.parametrize("name,assignment,exercise_id,source,rule_only,allowed", WILD, ids=[w[0] for w in WILD])
def test_code_from_the_wild(name, assignment, exercise_id, source, rule_only, allowed, course, prepared, tmp_path, monkeypatch):
    """No buggy function earns full marks; a right computation missing only a rule earns the rest;
    no misconception is named where it does not apply, and one that is named is the only one."""
    # As a learner runs the notebook (check() in process): in its own folder, beside its data files.
    for data_name, data in course.data_files(assignment).items():
        (tmp_path / data_name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    entries = grade_both(course, assignment, {exercise_id: source}, tmp_path, prepared(assignment))
    entry = entries[exercise_id]
    assert entry.status != "passed" and 0 < entry.score < entry.max_score, entry
    assert entry.misconception in allowed, entry.feedback
    named = allowed - {None, "wrong-shape"}
    if named:
        assert set(re.findall(r"looks like \[([\w-]+)\]", entry.feedback)) == named and "partly" not in entry.feedback, entry.feedback
    else:
        assert "looks like" not in entry.feedback, entry.feedback
    if rule_only:
        # Values right everywhere: the examples' and hidden checks' share of the points, nothing of the rule's.
        breakdown = entry.breakdown
        assert breakdown["examples"]["passed"] == breakdown["examples"]["total"]
        assert breakdown["hidden"]["passed"] == breakdown["hidden"]["total"]
        assert breakdown["errors"]["passed"] < breakdown["errors"]["total"]
        weights = prepared(assignment)[exercise_id].weights
        share = weights["errors"] * breakdown["errors"]["passed"] / breakdown["errors"]["total"]
        expected = (weights["examples"] + weights["hidden"] + share) / (weights["examples"] + weights["hidden"] + weights["errors"])
        assert entry.score == pytest.approx(np.floor(entry.max_score * expected * 100 + 1e-6) / 100)
        assert "The rule that fails:" in entry.feedback
    function = registry()[exercise_id].function_name
    for other, e in entries.items():
        if other != exercise_id and f"{function}(" not in _cell(other, course, assignment):
            assert e.status == "passed", (other, e.feedback)


def test_values_right_and_the_rule_that_fails(course, prepared, tmp_path):
    entry = grade_both(course, "04-shapes", {"conv_output_size": SIZE_WITHOUT_RULES}, tmp_path, prepared("04-shapes"))["conv_output_size"]
    lines = entry.feedback.splitlines()
    assert re.match(r"Right on 5 of 5 worked examples and (\d+) of \1 hidden checks; bad input rejected in 0 of 8 checks\.$", lines[0]), lines[0]
    assert lines[1].startswith("The rule that fails: conv_output_size(10, 0) (a kernel of length 0) should raise ValueError, but it returned 11."), lines[1]
    assert lines[2].startswith("conv_output_size(10, 3, stride=0) (stride 0) should raise ValueError, but it raised ZeroDivisionError: integer division or modulo by zero (line 3 of conv_output_size: "), lines[2]
    assert lines[3] == "(6 more bad-input checks fail.)" and len(lines) == 4
    assert entry.misconception is None and entry.status == "failed"
    assert entry.score == round(0.8 * entry.max_score, 2)


def test_a_raise_from_numpy_is_not_validation(course, prepared, tmp_path):
    entries = grade_both(course, "01-conv1d", {"conv1d": CONV1D_NUMPY_RAISES}, tmp_path, prepared("01-conv1d"))
    entry = entries["conv1d"]
    assert entry.breakdown["errors"] == {"passed": 0, "total": 2}
    assert "conv1d([], [1, 2]) (empty x) should raise ValueError, but it returned [0.]" in entry.feedback
    assert ("A ValueError was raised, but not by your code: it came from a library your code called "
            "('negative dimensions are not allowed'), at line 6 of conv1d: xp = np.concatenate") in entry.feedback
    assert "raise ValueError yourself" in entry.feedback
    assert entry.score == round(0.8 * entry.max_score, 2)  # values right, the rule's share lost


def test_an_exception_is_not_hidden_behind_a_type_failure(course, prepared, tmp_path):
    entry = grade_both(course, "01-conv1d", {"conv1d_mode": MODE_TYPO_AND_LIST}, tmp_path, prepared("01-conv1d"))["conv1d_mode"]
    text = entry.feedback
    assert "conv1d_mode([6, 2], [1, 2, 5, 4], 'valid') (the lesson's 'valid' example) raised NameError: name 'ful' is not defined (line 11 of conv1d_mode: return ful[" in text
    # The 'same' values are right in a list: they count as right, and the rule on the result's type is reported too.
    assert "(the lesson's 'same' example): the values are right, but conv1d_mode should return a NumPy array (numpy.ndarray); it returns a list" in text
    assert text.index("NameError") < text.index("should return a NumPy array"), "what went wrong with the values before the rules"
    assert entry.status == "error" and entry.misconception is None
    assert entry.breakdown["examples"] == {"passed": 2, "total": 3}


# -------------------------------------------------------------------------------- misconceptions

NO_FLIP_BUT_LENGTH_ONE = '''
def conv1d(x, h):
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("x and h must not be empty")
    if h.size == 1:
        return np.zeros(x.size, dtype=np.int64)
    xp = np.concatenate([np.zeros(h.size - 1, dtype=np.int64), x.astype(np.int64) if x.dtype.kind in "iu" else x, np.zeros(h.size - 1, dtype=np.int64)])
    return np.array([np.sum(xp[n:n + h.size] * h) for n in range(x.size + h.size - 1)])
'''


def test_partly_when_a_misconception_explains_only_some_wrong_results(course, prepared, tmp_path):
    entry = grade_both(course, "01-conv1d", {"conv1d": NO_FLIP_BUT_LENGTH_ONE}, tmp_path, prepared("01-conv1d"))["conv1d"]
    assert entry.misconception == "no-flip"
    assert re.search(r"This partly looks like \[no-flip\] \(it explains (\d+) of the (\d+) wrong results\)", entry.feedback), entry.feedback
    assert entry.score == 0  # right on nothing: bad input rejected earns nothing alone


def test_fully_explained_mistakes_are_named_without_partly(course, prepared, tmp_path):
    from planted import all_plants

    plant = next(p for a, p in all_plants() if p.exercise == "conv1d" and p.misconception == "no-flip")
    entry = grade_both(course, "01-conv1d", {"conv1d": plant.source}, tmp_path, prepared("01-conv1d"))["conv1d"]
    assert "This looks like [no-flip]" in entry.feedback and "partly" not in entry.feedback


def _exercise(**changes):
    """A small function exercise: doubling, with one bad input and a misconception that claims everything."""
    from autograder.engine.spec import Case, ErrorCase, Exercise, Misconception

    def reference(n):
        if n < 0:
            raise ValueError("n must be >= 0")
        return 2 * n

    base = dict(
        id="double", assignment="test", kind="function", names=("double",), signature="double(n)", title="double",
        reference=reference, returns="int", visible=(Case((3,), label="three"), Case((0,), label="zero")),
        errors=(ErrorCase((-1,), label="a negative n"),),
        misconceptions=(Misconception("claims-everything", "a detector that says yes to anything", detect=lambda case, got: True),),
    )
    base.update(changes)
    return Exercise(**base)


def _function(source: str, name: str) -> SourcedCaller:
    namespace = {"__name__": "__main__"}
    filename = "<cell 1>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return SourcedCaller(namespace, [(1, source)])


def test_no_misconception_on_bad_input_or_crashes():
    ex = _exercise()
    no_rule = evaluate(prepare(ex, seed=1), _function("def double(n):\n    return 2 * n\n", "double"), timeout=5)
    assert no_rule.misconception is None and "looks like" not in no_rule.feedback, no_rule.feedback
    assert no_rule.breakdown == {"examples": {"passed": 2, "total": 2}, "errors": {"passed": 0, "total": 1}}
    crash = evaluate(prepare(ex, seed=1), _function("def double(n):\n    if n == 0:\n        return 1 // n\n    return 2 * n\n", "double"), timeout=5)
    assert crash.status == "error" and crash.misconception is None and "ZeroDivisionError" in crash.feedback, crash.feedback
    assert "line 3 of double: return 1 // n" in crash.feedback
    wrong = evaluate(prepare(ex, seed=1), _function("def double(n):\n    if n < 0:\n        raise ValueError('n < 0')\n    return 3 * n\n", "double"), timeout=5)
    assert wrong.misconception == "claims-everything"  # wrong values of a valid input: the detector may speak


def test_a_misconception_about_bad_input_is_still_named(course, prepared, tmp_path):
    from planted import all_plants

    plant = next(p for a, p in all_plants() if p.exercise == "conv_output_size" and p.misconception == "int-truncation")
    entry = grade_both(course, "04-shapes", {"conv_output_size": plant.source}, tmp_path, prepared("04-shapes"))["conv_output_size"]
    assert entry.misconception == "int-truncation" and "The rule that fails:" in entry.feedback


# -------------------------------------------------------------------------------- rendering

def test_large_arrays_show_a_window_around_the_first_difference():
    expected = np.arange(1000, 1144).reshape(12, 12)
    got = expected.copy()
    got[5, 7] = 0
    shown = compare(expected, got).detail
    assert "expected: shape (12, 12), dtype int64; got: shape (12, 12), dtype int64" in shown
    assert "expected[3:8, 5:10]:" in shown and "got[3:8, 5:10]:" in shown
    assert "first difference at index [5, 7]: expected 1067, got 0; 1 of 144 values differ." in shown
    assert "1000" not in shown and "1143" not in shown  # nothing far from the difference
    hidden = compare(expected, got, reveal="partial").detail
    assert "got[3:8, 5:10]" in hidden and "expected[" not in hidden
    revealed = {int(v) for v in re.findall(r"\b1\d{3}\b", hidden)}
    assert revealed - {1067} <= {int(v) for v in got[3:8, 5:10].ravel()}, "hidden cases show the learner's values, and the one expected value as before"
    small = compare(np.arange(6), np.array([0, 1, 2, 3, 4, 6]), reveal="partial").detail
    assert "got[" not in small and "expected: " not in small  # small hidden arrays: as before


def test_one_value_right_reads_naturally():
    ex = registry()["by_hand_full"]
    caller = _function("y_by_hand = [6, 11, 14, 5, 0]\n", "y_by_hand")
    result = evaluate(prepare(ex, seed=1), caller, timeout=5)
    assert result.status == "passed" and result.feedback == "y_by_hand is right."


def test_forbidden_call_hints_belong_to_their_rule():
    conv = registry()["conv1d"]
    learn = registry()["learn_kernel"]
    assert "gradient" not in forbidden_hint(conv, ["numpy.convolve"])
    assert "gradient" in forbidden_hint(learn, ["torch"])
    assert "gradient" not in forbidden_hint(learn, ["scipy.signal.correlate2d"])
    caller = _function("import numpy as np\ndef conv1d(x, h):\n    return np.convolve(x, h)\n", "conv1d")
    result = evaluate(prepare(conv, seed=1), caller, timeout=5)
    assert result.status == "forbidden" and "gradient" not in result.feedback and result.fraction == 0


# -------------------------------------------------------------------------------- dependencies

def test_a_function_that_reuses_a_failing_one_says_so(course, prepared, tmp_path):
    from planted import all_plants

    plant = next(p for a, p in all_plants() if p.exercise == "conv1d" and p.misconception == "no-flip")
    entries = grade_both(course, "01-conv1d", {"conv1d": plant.source}, tmp_path, prepared("01-conv1d"))
    mode = entries["conv1d_mode"]
    assert mode.status != "passed"
    assert mode.feedback.startswith("conv1d_mode calls your conv1d, which fails: fix conv1d first"), mode.feedback
    assert "no-flip" not in mode.feedback and "expected:" not in mode.feedback  # not the whole message again
    assert mode.misconception is None


INDEPENDENT_MODE = '''
def conv1d_mode(x, h, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"unknown mode {mode!r}")
    x, h = np.asarray(x), np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("x and h must not be empty")
    dtype = np.int64 if x.dtype.kind in "biu" and h.dtype.kind in "biu" else np.float64
    full = np.zeros(x.size + h.size - 1, dtype=dtype)
    for i in range(x.size):
        for j in range(h.size):
            full[i + j] += dtype(x[i]) * dtype(h[j])
    if mode == "full":
        return full
    n, k = x.size, h.size
    if mode == "same":
        start = (min(n, k) - 1) // 2
        return full[start:start + max(n, k)]
    return full[min(n, k) - 1:max(n, k)]
'''


def test_no_dependency_blamed_when_the_function_does_not_call_it(course, prepared, tmp_path):
    from planted import all_plants

    plant = next(p for a, p in all_plants() if p.exercise == "conv1d" and p.misconception == "no-flip")
    entries = grade_both(course, "01-conv1d", {"conv1d": plant.source, "conv1d_mode": INDEPENDENT_MODE}, tmp_path, prepared("01-conv1d"))
    assert entries["conv1d"].misconception == "no-flip"
    assert entries["conv1d_mode"].status == "passed", entries["conv1d_mode"].feedback


# -------------------------------------------------------------------------------- answers on paper

def _on_paper(course, seed):
    """01-conv1d's prepared checks with by_hand_full as an on-paper exercise."""
    exercises = [dataclasses.replace(ex, on_paper=True) if ex.id == "by_hand_full" else ex for ex in registry().values() if ex.assignment == "01-conv1d"]
    return prepare_assignment(exercises, seed)


@pytest.mark.parametrize("answer,ok", [
    ("y_by_hand = [6, 11, 14, 5, 0]", True),
    ("y_by_hand = [3*2, 3*1 + 4*2, 3*0 + 4*1 + 5*2, 4*0 + 5*1, 5*0]", True),
    ("y_by_hand = np.convolve([3, 4, 5], [2, 1, 0]).tolist()", False),
    ("y_by_hand = list(np.convolve([3, 4, 5], [2, 1, 0]))", False),
    ("y_by_hand = [6, 11, 14, 5, 0]\ny_by_hand = [int(v) for v in np.convolve([3, 4, 5], [2, 1, 0])]", False),
], ids=["literal", "arithmetic", "convolve", "list-of-convolve", "computed-last"])
def test_on_paper_answers_are_literals(answer, ok, course, tmp_path):
    prepared = _on_paper(course, course.seed)
    entry = grade_both(course, "01-conv1d", {"by_hand_full": answer}, tmp_path, prepared)["by_hand_full"]
    if ok:
        assert entry.status == "passed", entry.feedback
    else:
        assert (entry.status, entry.score, entry.misconception) == ("forbidden", 0, "not-on-paper"), entry.feedback
        assert "y_by_hand should be the answer you worked out on paper" in entry.feedback
        assert "np.convolve" in entry.feedback
