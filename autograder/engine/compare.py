"""Compare a learner's answer with the right one and say precisely how they differ.

The checks run in the order a learner can act on them, as PrairieLearn does:
type first ("returned a list"), then shape ("got (3, 2), expected (2, 3)"),
then values (first differing position).  Integers are compared exactly,
floats with ``numpy.isclose`` and the exercise's stated tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import render
from .codec import Opaque
from .spec import Tolerance


@dataclass(frozen=True)
class Mismatch:
    """How ``got`` differs from ``expected``.

    kind is one of ``none`` (got None), ``type``, ``shape``, ``value``.
    ``detail`` is the learner-facing explanation (one or more lines).
    """

    kind: str
    detail: str


def _show(x: Any, limit: int = 160) -> str:
    """render.value, also for NaN and infinities (which a learner may return anywhere)."""
    if isinstance(x, (float, np.floating)) and not math.isfinite(float(x)):
        return str(float(x))
    try:
        return render.value(x, limit)
    except (ValueError, OverflowError, TypeError):
        return "a value that cannot be shown"


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _kind_name(x: Any, reveal: str = "full") -> str:
    """What ``x`` is, with its value when short; with ``reveal="sealed"`` without any value."""
    if reveal == "sealed" and not (x is None or isinstance(x, (Opaque, np.ndarray))):
        if isinstance(x, (np.integer, np.floating, np.bool_)):
            return f"a NumPy {x.dtype}"
        return f"a {type(x).__name__}"
    if x is None:
        return "None"
    if isinstance(x, Opaque):
        too_large = " (" + x.text + ")" if "too large to grade" in x.text else ""
        return f"a {x.type_name} object{too_large}"
    if isinstance(x, np.ndarray):
        return f"a NumPy array of dtype {x.dtype}"
    if isinstance(x, (bool, np.bool_)):
        return f"the bool {x}"
    if isinstance(x, (np.integer, np.floating)):
        return f"the NumPy {x.dtype} {_show(x)}"
    if isinstance(x, (int, float)):
        return f"the {type(x).__name__} {_show(x)}"
    if isinstance(x, str):
        return f"the string {x!r}"[:80]
    return f"a {type(x).__name__}"


def compare(expected: Any, got: Any, *, returns: str = "any", tol: Tolerance = Tolerance(), reveal: str = "full", what: str = "the result") -> Mismatch | None:
    """Return ``None`` when ``got`` is an acceptable answer, else a :class:`Mismatch`.

    ``returns`` is the exercise's contract for the top-level value (see
    :class:`~autograder.engine.spec.Exercise`).  ``reveal`` says how much of the
    right answer the message may show: ``"full"`` (worked examples: whole
    arrays), ``"partial"`` (practice hidden cases: only the first differing value),
    ``"none"`` (answers worked on paper: nothing of the expected value) or
    ``"sealed"`` (graded hidden cases: no value at all, neither the expected one
    nor the learner's, which may echo a hidden input; types, shapes, counts and
    positions only).
    """
    if got is None and expected is not None:
        return Mismatch("none", f"{what} is None. A function that ends without `return` gives None.")
    if returns == "ndarray":
        if not isinstance(got, np.ndarray):
            advice = " Build the result as a NumPy array (for example with np.zeros or np.array)." if isinstance(got, (list, tuple)) else ""
            return Mismatch("type", f"{what} should be a NumPy array (numpy.ndarray); it is {_kind_name(got, reveal)}.{advice}")
        source = getattr(got, "source_type", "numpy.ndarray")
        if source != "numpy.ndarray":
            return Mismatch("type", f"{what} should be a plain numpy.ndarray; it is an instance of {source}. Return np.asarray(...) of it.")
    return _compare(expected, got, tol=tol, reveal=reveal, path="", what=what)


def _where(path: str, what: str) -> str:
    return f"{what}{path}" if path else what


def _wrong_scalar(here: str, got: Any, expected: Any, reveal: str) -> str:
    if reveal == "sealed":
        return f"{here} is not right."
    return f"{here} is {got}; expected {expected}." if reveal != "none" else f"{here} is {got}, which is not right."


def _compare(expected: Any, got: Any, *, tol: Tolerance, reveal: str, path: str, what: str) -> Mismatch | None:
    here = _where(path, what)
    if isinstance(expected, np.ndarray):
        return _compare_array(np.ndarray.view(expected, np.ndarray), got, tol=tol, reveal=reveal, here=here)
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return Mismatch("type", f"{here} should be True or False; it is {_kind_name(got, reveal)}.")
        if bool(got) != bool(expected):
            return Mismatch("value", _wrong_scalar(here, bool(got), bool(expected), reveal))
        return None
    if _is_int(expected):
        if not _is_int(got):
            hint = " Sizes and counts are whole numbers: use // or int() after flooring." if isinstance(got, (float, np.floating)) else ""
            return Mismatch("type", f"{here} should be an int; it is {_kind_name(got, reveal)}.{hint}")
        if int(got) != int(expected):
            return Mismatch("value", _wrong_scalar(here, int(got), int(expected), reveal))
        return None
    if isinstance(expected, (float, np.floating)):
        if not _is_number(got):
            return Mismatch("type", f"{here} should be a number; it is {_kind_name(got, reveal)}.")
        try:
            close = bool(np.isclose(float(got), float(expected), rtol=tol.rtol, atol=tol.atol))
        except OverflowError:  # an int too large to be a float
            close = False
        if not close:
            if reveal == "sealed":
                return Mismatch("value", f"{here} is not right ({tol.describe()}).")
            shown = f"{_show(got)}; expected {_show(float(expected))} ({tol.describe()})" if reveal != "none" else f"{_show(got)}, which is not right"
            return Mismatch("value", f"{here} is {shown}.")
        return None
    if isinstance(expected, str):
        if got != expected:
            if reveal == "sealed":
                return Mismatch("value", f"{here} is not the right text." if isinstance(got, str) else f"{here} should be a string; it is a {type(got).__name__}.")
            shown = f"; expected {expected!r}" if reveal != "none" else ", which is not right"
            return Mismatch("value", f"{here} is {_kind_name(got, reveal)}{shown}.")
        return None
    if isinstance(expected, tuple) or isinstance(expected, list):
        return _compare_sequence(expected, got, tol=tol, reveal=reveal, path=path, what=what)
    if isinstance(expected, dict):
        return _compare_dict(expected, got, tol=tol, reveal=reveal, path=path, what=what)
    if expected is None:
        if got is not None:
            return Mismatch("type", f"{here} should be None; it is {_kind_name(got, reveal)}.")
        return None
    raise TypeError(f"cannot compare against a {type(expected).__name__}")  # a declaration bug, not the learner's


def _compare_sequence(expected: list | tuple, got: Any, *, tol: Tolerance, reveal: str, path: str, what: str) -> Mismatch | None:
    here = _where(path, what)
    numeric = len(expected) > 0 and all(_is_number(v) for v in expected)
    if numeric and isinstance(got, np.ndarray):
        return _compare_array(np.asarray(expected), got, tol=tol, reveal=reveal, here=here)
    if not isinstance(got, (list, tuple)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        return Mismatch("type", f"{here} should be a {kind} of {len(expected)} items; it is {_kind_name(got, reveal)}.")
    if len(got) != len(expected):
        return Mismatch("shape", f"{here} has {len(got)} items; expected {len(expected)}.")
    for i, (e, g) in enumerate(zip(expected, got)):
        mismatch = _compare(e, g, tol=tol, reveal=reveal, path=f"{path}[{i}]", what=what)
        if mismatch:
            return mismatch
    return None


def _compare_dict(expected: dict, got: Any, *, tol: Tolerance, reveal: str, path: str, what: str) -> Mismatch | None:
    here = _where(path, what)
    if not isinstance(got, dict):
        return Mismatch("type", f"{here} should be a dict; it is {_kind_name(got, reveal)}.")
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing keys " + ", ".join(repr(k) for k in missing))
        if extra:
            parts.append("unexpected keys " + ", ".join(repr(k) for k in extra))
        return Mismatch("shape", f"{here} has {' and '.join(parts)}.")
    for key, e in expected.items():
        mismatch = _compare(e, got[key], tol=tol, reveal=reveal, path=f"{path}[{key!r}]", what=what)
        if mismatch:
            return mismatch
    return None


def array_form(got: Any, shape: tuple[int, ...], kind: str, *, reveal: str, here: str) -> np.ndarray | Mismatch:
    """``got`` as a plain array of numbers of ``shape`` (an expected array of dtype kind ``kind``),
    or the :class:`Mismatch` that says why it is not one (ragged, not numbers, wrong shape or dtype)."""
    if isinstance(got, (list, tuple)):
        try:
            got = np.asarray(got)
        except (ValueError, TypeError):
            return Mismatch("type", f"{here} is a ragged {type(got).__name__}, not a rectangular array of numbers.")
        if got.dtype == object:
            return Mismatch("type", f"{here} holds items that are not numbers.")
    if not isinstance(got, np.ndarray):
        return Mismatch("type", f"{here} should be an array of numbers; it is {_kind_name(got, reveal)}.")
    got = np.ndarray.view(got, np.ndarray)
    if got.shape != tuple(shape):
        return Mismatch("shape", f"wrong shape: {here} has shape {render.shape(got)}, expected {render.shape(np.empty(shape, dtype=np.int8))}.")
    if got.dtype.kind == "c":
        return Mismatch("type", f"{here} holds complex numbers (dtype {got.dtype}); the answer is real.")
    if got.dtype.kind not in "iufb":
        return Mismatch("type", f"{here} has dtype {got.dtype}, not a numeric dtype.")
    if got.dtype.kind == "b" and kind != "b":
        return Mismatch("type", f"{here} holds True/False values; expected numbers.")
    return got


def _compare_array(expected: np.ndarray, got: Any, *, tol: Tolerance, reveal: str, here: str) -> Mismatch | None:
    got = array_form(got, expected.shape, expected.dtype.kind, reveal=reveal, here=here)
    if isinstance(got, Mismatch):
        return got
    if expected.size == 0:
        return None
    exact = expected.dtype.kind in "iub"
    with np.errstate(invalid="ignore", over="ignore"):
        if exact:
            same = got.astype(np.float64) == expected.astype(np.float64) if got.dtype.kind == "f" else got.astype(np.int64) == expected.astype(np.int64)
            if got.dtype.kind == "u" and got.dtype.itemsize == 8:
                same = got.astype(object) == expected.astype(object)
        else:
            same = np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=tol.rtol, atol=tol.atol)
    if bool(np.all(same)):
        return None
    first = tuple(int(i) for i in np.argwhere(~same)[0])
    g, e = got[first], expected[first]
    position = render.index(first) if expected.ndim else ""
    wrong = int(np.count_nonzero(~same))
    count = f"{wrong} of {expected.size} values differ" if expected.size > 1 else "the value differs"
    how = "" if exact else f" ({tol.describe()})"
    lines = []
    if reveal == "sealed":
        at = f"; the first at index {position}" if position else ""
        lines.append(f"{count}{at} (graded hidden checks show no values).")
        if np.isnan(got.astype(np.float64, copy=False)).any() if got.dtype.kind == "f" else False:
            lines.append("Your result contains NaN (not a number): look for 0/0, inf - inf or an uninitialised array (np.empty).")
        return Mismatch("value", f"{here} has the wrong values.\n" + "\n".join("    " + line for line in lines))
    if render.is_large(expected) or render.is_large(got):
        # Too many values to read: shape, dtype and a window around the first difference.
        # Hidden cases show the learner's own values only (and the expected one at the first difference).
        slices = render.window_slices(expected.shape, first)
        label = render.window_label(slices)
        if reveal == "full":
            lines.append(f"expected: {render.outline(expected)}; got: {render.outline(got)}")
            lines.append(f"expected{label}:")
            lines += ["    " + row for row in render.window(expected, slices)]
            lines.append(f"got{label}:")
            lines += ["    " + row for row in render.window(got, slices)]
        else:
            lines.append(f"got: {render.outline(got)}; around the first difference, got{label}:")
            lines += ["    " + row for row in render.window(got, slices)]
    elif reveal == "full":
        lines.append(f"expected: {_show(expected, 400)}")
        lines.append(f"got:      {_show(got, 400)}")
    at = f" at index {position}" if position else ""
    if reveal == "none":
        lines.append(f"first wrong value{at}: {_show(g)}; {count}.")
    else:
        lines.append(f"first difference{at}: expected {_show(e)}, got {_show(g)}{how}; {count}.")
    if np.isnan(got.astype(np.float64, copy=False)).any() if got.dtype.kind == "f" else False:
        lines.append("Your result contains NaN (not a number): look for 0/0, inf - inf or an uninitialised array (np.empty).")
    return Mismatch("value", f"{here} has the wrong values.\n" + "\n".join("    " + line for line in lines))
