"""Names that fit the code: a misconception is named only when the learner's code could hold it.

A name must explain the wrong results AND fit the checks that pass: a misconception whose
wrong implementation would have failed a check the learner's code passed is not that
code's (pooling that ignores ``mode`` and always takes the maximum is right on every
'max' check, so it has not swapped 'max' and 'avg').  "partly" is said only when no
name explains the rest.  Each case both ways: the right code keeps its credit and no
name; each wrong one gets exactly its name.  Most answers are judged in this process
by the engine of the notebook's ``check()``; a few are also graded in the sandbox, as
``autograder check`` does (the same verdict, see tests/test_feedback.py).
"""
from __future__ import annotations

import linecache
import re

import numpy as np
import pytest
from scipy import ndimage, signal

from autograder.engine.evaluate import evaluate, prepare
from autograder.engine.spec import Case, ErrorCase, Exercise, Misconception
from autograder.frontends.inline import InProcessCaller

from test_feedback import POOL_MAX_ONLY, _cell, grade_both


class _Caller(InProcessCaller):
    def __init__(self, namespace: dict, source: str):
        super().__init__(namespace)
        self._source = source

    def sources(self):
        return [(1, self._source)]


def _judge(prepared, exercise_id: str, source: str):
    """``source`` (an answer cell) judged by the engine of the notebook's check(), on the course's checks."""
    namespace = {"__name__": "__main__", "np": np, "signal": signal, "ndimage": ndimage}
    filename = "<cell 1>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # trusted: the test's own answers
    return evaluate(prepared[exercise_id], _Caller(namespace, source), timeout=20)


def _names(feedback: str) -> set[str]:
    return set(re.findall(r"looks like \[([\w-]+)\]", feedback))


# -------------------------------------------------------------------------------- the rule, on a small exercise

def _scale_exercise(*misconceptions: Misconception) -> Exercise:
    """scale(x, mode): 2x for 'double', 3x for 'triple'."""
    def reference(x, mode="double"):
        if mode not in ("double", "triple"):
            raise ValueError(f"unknown mode {mode!r}")
        return (2 if mode == "double" else 3) * x

    visible = tuple(Case((x,), {"mode": m}, label=f"{m} {x}") for x in (1, 2, 5) for m in ("double", "triple"))
    return Exercise(id="scale", assignment="test", kind="function", names=("scale",), signature="scale(x, mode='double')", title="scale",
                    reference=reference, returns="int", visible=visible, errors=(ErrorCase((1,), {"mode": "half"}, label="unknown mode"),),
                    misconceptions=misconceptions)


def _swapped(x, mode="double"):
    return (3 if mode == "double" else 2) * x


def _always_double(x, mode="double"):
    return 2 * x


def _always_triple(x, mode="double"):
    return 3 * x


_always_double.variants = (_always_triple,)
SWAPPED = Misconception("modes-swapped", "'double' and 'triple' are exchanged.", wrong=_swapped)
IGNORED = Misconception("mode-ignored", "the same factor whatever mode says.", wrong=_always_double)

SCALE_CODE = {
    "right": "def scale(x, mode='double'):\n    if mode not in ('double', 'triple'):\n        raise ValueError(mode)\n    return (2 if mode == 'double' else 3) * x\n",
    "swapped": "def scale(x, mode='double'):\n    if mode not in ('double', 'triple'):\n        raise ValueError(mode)\n    return (3 if mode == 'double' else 2) * x\n",
    "always-double": "def scale(x, mode='double'):\n    if mode not in ('double', 'triple'):\n        raise ValueError(mode)\n    return 2 * x\n",
    "always-triple": "def scale(x, mode='double'):\n    if mode not in ('double', 'triple'):\n        raise ValueError(mode)\n    return 3 * x\n",
}


@pytest.mark.parametrize("code,declared,named", [
    ("right", (SWAPPED, IGNORED), None),
    ("swapped", (SWAPPED, IGNORED), "modes-swapped"),
    ("swapped", (IGNORED, SWAPPED), "modes-swapped"),  # whatever the order: ignoring mode explains half of it
    ("always-double", (SWAPPED, IGNORED), "mode-ignored"),
    ("always-triple", (SWAPPED, IGNORED), "mode-ignored"),  # the other way of ignoring it
    # Swapping explains every wrong result, but it would have failed the 'double' checks this code passes.
    ("always-double", (SWAPPED,), None),
], ids=["right", "swapped", "swapped-declared-last", "always-double", "always-triple", "refuted-and-nothing-else"])
def test_a_name_must_fit_the_checks_that_pass(code, declared, named):
    result = evaluate(prepare(_scale_exercise(*declared), seed=1), _scale_caller(code), timeout=5)
    assert result.misconception == named, result.feedback
    if named is None:
        assert "looks like" not in result.feedback
    else:
        assert _names(result.feedback) == {named} and "partly" not in result.feedback, result.feedback
    assert (result.status == "passed") == (code == "right")
    if code.startswith("always"):
        assert result.breakdown["examples"] == {"passed": 3, "total": 6}  # the mode it gets right still counts


def _scale_caller(code: str) -> _Caller:
    namespace = {"__name__": "__main__"}
    exec(compile(SCALE_CODE[code], "<cell 1>", "exec"), namespace)
    return _Caller(namespace, SCALE_CODE[code])


def _doubled_wrong(x, mode="double"):
    return 4 * x if mode == "double" else 3 * x


def _tripled_wrong(x, mode="double"):
    return 2 * x if mode == "double" else 9 * x


def test_two_names_that_explain_everything_are_not_partly():
    """Two mistakes on disjoint checks: each named with its count, no "partly"; with one of them undeclared, "partly"."""
    code = "def scale(x, mode='double'):\n    if mode not in ('double', 'triple'):\n        raise ValueError(mode)\n    return 4 * x if mode == 'double' else 9 * x\n"
    namespace = {"__name__": "__main__"}
    exec(compile(code, "<cell 1>", "exec"), namespace)
    squared = Misconception("double-squared", "'double' squares the factor.", wrong=_doubled_wrong)
    tripled = Misconception("triple-squared", "'triple' squares the factor.", wrong=_tripled_wrong)
    both = evaluate(prepare(_scale_exercise(squared, tripled), seed=1), _Caller(namespace, code), timeout=5)
    assert both.misconception == "double-squared"
    assert "This looks like [double-squared] (3 of the 6 wrong results)" in both.feedback, both.feedback
    assert "And the other 3 wrong results look like [triple-squared]" in both.feedback and "partly" not in both.feedback
    one = evaluate(prepare(_scale_exercise(squared), seed=1), _Caller(namespace, code), timeout=5)
    assert "This partly looks like [double-squared] (it explains 3 of the 6 wrong results)" in one.feedback, one.feedback


# -------------------------------------------------------------------------------- pooling that ignores mode

POOL_AVG_ONLY = POOL_MAX_ONLY.replace("max pooling: the largest value", "average pooling: the mean").replace("windows.max(", "windows.mean(")

POOL_SWAPPED = POOL_MAX_ONLY.replace("    return windows.max(axis=(2, 3))", "    return windows.mean(axis=(2, 3)) if mode == 'max' else windows.max(axis=(2, 3))")

POOL_BACKWARD_MAX_ONLY = '''
def pool2d_backward(dout, X, pool_size, stride=1, mode="max"):
    X = np.asarray(X)
    dout = np.asarray(dout, dtype=float)
    ph, pw = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    dX = np.zeros(X.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            dX[i * sh + r, j * sw + c] += dout[i, j]  # the gradient goes to the maximum
    return dX
'''


@pytest.mark.parametrize("exercise_id,source,named", [
    ("pool2d", None, None),
    ("pool2d", POOL_MAX_ONLY, "mode-ignored"),
    ("pool2d", POOL_AVG_ONLY, "mode-ignored"),
    ("pool2d", POOL_SWAPPED, "avg-max-swapped"),
    ("pool2d_backward", None, None),
    ("pool2d_backward", POOL_BACKWARD_MAX_ONLY, "mode-ignored"),
], ids=["pool2d-right", "pool2d-always-max", "pool2d-always-avg", "pool2d-swapped", "backward-right", "backward-always-max"])
def test_pooling_that_ignores_mode(exercise_id, source, named, course, prepared):
    result = _judge(prepared("03-cnn-layers"), exercise_id, source or _cell(exercise_id, course, "03-cnn-layers"))
    assert result.misconception == named, result.feedback
    if named is None:
        assert result.status == "passed" and result.fraction == 1.0, result.feedback
        return
    assert _names(result.feedback) == {named} and "partly" not in result.feedback, result.feedback
    assert 0 < result.fraction < 1  # the mode it gets right still counts
    # (in the sandbox too: tests/test_feedback.py::test_code_from_the_wild[pool-ignores-mode])


# -------------------------------------------------------------------------------- filter_image

_FILTER_HEAD = '''
def filter_image(image, kernel, boundary="fill"):
    if boundary not in ("fill", "symm", "wrap"):
        raise ValueError("unknown boundary")
    if np.ndim(image) != 2 or np.ndim(kernel) != 2:
        raise ValueError("image and kernel must be 2-D")
'''

#: A loop over a padded picture, as tutorials write it; PAD and FLIP vary.
_FILTER_LOOP = _FILTER_HEAD + '''
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)FLIP
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode=PAD)
    out = np.zeros(image.shape)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = np.sum(padded[i:i + kh, j:j + kw] * kernel)
    return out
'''
_PAD_BY_BOUNDARY = '{"fill": "constant", "symm": "symmetric", "wrap": "wrap"}[boundary]'


def _loop(pad: str, flip: bool = True) -> str:
    return _FILTER_LOOP.replace("PAD", pad).replace("FLIP", "[::-1, ::-1]" if flip else "")


FILTERS = {
    "scipy": (_FILTER_HEAD + '''
    return signal.convolve2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), "same", boundary=boundary)
''', None),
    "loop": (_loop(_PAD_BY_BOUNDARY), None),
    # [boundary-ignored]: zeros around (the commonest tutorial), the edge pixel repeated, SciPy's ndimage default
    "zero-padding": (_loop("'constant'"), "boundary-ignored"),
    "edge-padding": (_loop("'edge'"), "boundary-ignored"),
    "ndimage-default": (_FILTER_HEAD + '''
    return ndimage.convolve(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float))
''', "boundary-ignored"),
    # [no-flip]: a loop without the turn, SciPy's correlate2d, ndimage's correlate (each centres even kernels its way)
    "loop-no-flip": (_loop(_PAD_BY_BOUNDARY, flip=False), "no-flip"),
    "correlate2d": (_FILTER_HEAD + '''
    return signal.correlate2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), "same", boundary=boundary)
''', "no-flip"),
    "ndimage-correlate": (_FILTER_HEAD + '''
    mode = {"fill": "constant", "symm": "reflect", "wrap": "wrap"}[boundary]
    return ndimage.correlate(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), mode=mode)
''', "no-flip"),
    # [uint8-output]: pixels returned, clipped and cut, clipped and rounded, or cast as they are
    "clipped-pixels": (_FILTER_HEAD + '''
    out = signal.convolve2d(np.asarray(image, dtype=float), kernel, mode="same", boundary=boundary)
    return np.clip(out, 0, 255).astype(np.uint8)
''', "uint8-output"),
    "rounded-pixels": (_FILTER_HEAD + '''
    out = signal.convolve2d(np.asarray(image, dtype=float), kernel, mode="same", boundary=boundary)
    return np.rint(np.clip(out, 0, 255)).astype(np.uint8)
''', "uint8-output"),
    "cast-pixels": (_FILTER_HEAD + '''
    out = signal.convolve2d(np.asarray(image, dtype=float), kernel, mode="same", boundary=boundary)
    return out.astype(np.uint8)
''', "uint8-output"),
    # The picture's own dtype: wrong on uint8 pictures only, right on float ones (not [uint8-output])
    "input-dtype": (_FILTER_HEAD + '''
    out = signal.convolve2d(image, kernel, mode="same", boundary=boundary)
    return out.astype(np.asarray(image).dtype)
''', "uint8-wraparound"),
    # 'symm' padded with np.pad's 'reflect' (the edge pixel not repeated): boundary is read, so not [boundary-ignored]
    "symm-as-reflect": (_loop('{"fill": "constant", "symm": "reflect", "wrap": "wrap"}[boundary]'), None),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filter_image_names(name, prepared):
    source, named = FILTERS[name]
    result = _judge(prepared("05-image-filters"), "filter_image", source)
    assert result.misconception == named, result.feedback
    if name in ("scipy", "loop"):
        assert result.status == "passed" and result.fraction == 1.0, result.feedback
        return
    assert result.status == "failed" and 0 < result.fraction < 1, result.feedback
    if named is None:
        assert "looks like" not in result.feedback
    else:
        assert _names(result.feedback) == {named} and "partly" not in result.feedback, result.feedback


def test_two_filter_mistakes_are_both_named(prepared):
    """No flip AND zeros whatever the boundary: each name for the wrong results it explains, "partly" since
    some wrong results need both at once."""
    result = _judge(prepared("05-image-filters"), "filter_image", _loop("'constant'", flip=False))
    assert result.misconception == "no-flip", result.feedback
    assert re.search(r"This partly looks like \[no-flip\] \(it explains \d+ of the \d+ wrong results\)", result.feedback), result.feedback
    assert re.search(r"And \d+ of the other wrong results look like \[boundary-ignored\]", result.feedback), result.feedback


def test_filter_image_names_in_the_sandbox(course, prepared, tmp_path, monkeypatch):
    # As a learner runs the notebook (check() in process): in its own folder, beside the photo it opens.
    for name, data in course.data_files("05-image-filters").items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    entries = grade_both(course, "05-image-filters", {"filter_image": FILTERS["clipped-pixels"][0]}, tmp_path, prepared("05-image-filters"))
    assert entries["filter_image"].misconception == "uint8-output", entries["filter_image"].feedback
    assert "This looks like [uint8-output]" in entries["filter_image"].feedback


# -------------------------------------------------------------------------------- uint8: no "partly" when a detector explains the rest

#: The kernel converted to an integer picture's type (products wrap in uint8, summed in a wider type); the
#: 'same' result handed back in the picture's type.  Only the 'same' results are the right ones modulo 256.
CONV2D_UINT8 = '''
def conv2d(image, kernel, mode="full"):
    if mode not in ("full", "same", "valid"):
        raise ValueError("mode must be 'full', 'same' or 'valid'")
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if image.dtype.kind in "iu" and kernel.dtype.kind in "iu":
        kernel = kernel.astype(image.dtype)  # integer pictures keep their own integer type
    H, W = image.shape
    kh, kw = kernel.shape
    if mode == "valid":
        if kh > H and kw > W:
            image, kernel = kernel, image
            H, W, kh, kw = kh, kw, H, W
        elif kh > H or kw > W:
            raise ValueError("'valid' needs one input at least as large as the other")
    k = kernel[::-1, ::-1]
    P = np.zeros((H + 2 * (kh - 1), W + 2 * (kw - 1)), dtype=image.dtype)
    P[kh - 1:kh - 1 + H, kw - 1:kw - 1 + W] = image
    full = np.zeros((H + kh - 1, W + kw - 1), dtype=float if image.dtype.kind == "f" or k.dtype.kind == "f" else np.int64)
    for i in range(full.shape[0]):
        for j in range(full.shape[1]):
            full[i, j] = np.sum(P[i:i + kh, j:j + kw] * k)
    if mode == "full":
        return full
    if mode == "same":
        r, c = (kh - 1) // 2, (kw - 1) // 2
        return full[r:r + H, c:c + W].astype(image.dtype)  # the picture's own type
    return full[kh - 1:H, kw - 1:W]
'''


def test_uint8_wraparound_is_not_partly_when_every_failure_is_uint8(course, prepared):
    ours = prepared("02-conv2d")
    result = _judge(ours, "conv2d", CONV2D_UINT8)
    assert result.misconception == "uint8-wraparound", result.feedback
    assert "This looks like [uint8-wraparound]" in result.feedback and "partly" not in result.feedback, result.feedback
    right = _judge(ours, "conv2d", _cell("conv2d", course, "02-conv2d"))
    assert right.status == "passed" and right.misconception is None


# -------------------------------------------------------------------------------- a list with wrong values

#: conv1d by the book's formula with plain lists, kernel not reversed: wrong values, in a list.
CONV1D_LIST_NO_FLIP = '''
def conv1d(x, h):
    if len(x) == 0 or len(h) == 0:
        raise ValueError("x and h must not be empty")
    x = [float(v) for v in x]
    h = [float(v) for v in h]
    y = [0.0] * (len(x) + len(h) - 1)
    for n in range(len(y)):
        for k in range(len(h)):
            if 0 <= n - k < len(x):
                y[n] += x[n - k] * h[len(h) - 1 - k]
    return y
'''
CONV1D_LIST_RIGHT = CONV1D_LIST_NO_FLIP.replace("h[len(h) - 1 - k]", "h[k]")


def test_a_list_with_wrong_values_is_told_both(course, prepared, tmp_path):
    entries = grade_both(course, "01-conv1d", {"conv1d": CONV1D_LIST_NO_FLIP}, tmp_path, prepared("01-conv1d"))
    text = entries["conv1d"].feedback
    assert "conv1d([6, 2], [1, 2, 5, 4]) (the lesson's step-by-step example): the result has the wrong values." in text, text
    assert "got:      [24., 38., 22., 10., 2.]" in text
    assert "conv1d should return a NumPy array (numpy.ndarray); it returns a list. Return np.asarray(...) of your result." in text
    assert "the values are right" not in text.split("it returns a list")[0].splitlines()[-1]
    assert entries["conv1d"].misconception == "no-flip"  # the values are named as an array's would be
    assert text.index("has the wrong values") < text.index("should return a NumPy array"), "the values before the rule"


def test_a_list_with_right_values_keeps_their_credit(prepared):
    result = _judge(prepared("01-conv1d"), "conv1d", CONV1D_LIST_RIGHT)
    assert result.misconception is None and "wrong values" not in result.feedback, result.feedback
    assert result.breakdown["examples"]["passed"] == result.breakdown["examples"]["total"]
    assert result.breakdown["hidden"]["passed"] == result.breakdown["hidden"]["total"]
    assert "the values are right, but conv1d should return a NumPy array" in result.feedback
