"""Argument checks shared by the reference implementations.

Every helper takes the *name* of the argument it checks, so that the
``ValueError`` it raises can say which argument is wrong and what to pass
instead.  The helpers never modify what they are given.

Number types follow one rule everywhere: integer and boolean inputs are
computed in ``int64`` (so ``uint8`` pixels never wrap around), every other real
input in ``float64``; complex numbers, strings and objects are refused.
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Any, Sequence

import numpy as np

__all__ = [
    "as_path",
    "as_array",
    "as_ndim",
    "as_1d",
    "as_2d",
    "promote",
    "as_int",
    "as_pair",
    "as_real",
    "as_choice",
]


def _describe(value: Any) -> str:
    """A short description of ``value`` for an error message."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def as_array(name: str, value: Any, *, keep_dtype: bool = False) -> np.ndarray:
    """Return ``value`` as a real NumPy array in the course's computing dtype.

    Integers and booleans become ``int64``, other reals ``float64``.  With
    ``keep_dtype=True`` the dtype is left alone (after the same checks).  The
    input itself is never changed; the result may be the input object when
    no conversion is needed, so callers must not write into it.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name} must be an array or a (nested) list of numbers with a "
            f"regular shape; NumPy could not convert it ({exc})."
        ) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} contains complex numbers; pass real numbers only "
            f"(for example the real part, {name}.real)."
        )
    if kind not in "biuf":
        raise ValueError(
            f"{name} must contain numbers, but it has dtype {arr.dtype}; pass "
            f"a list or array of ints or floats."
        )
    if keep_dtype:
        return arr
    if kind in "biu":
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(
                f"{name} holds integers above {np.iinfo(np.int64).max}, too large "
                f"for int64 arithmetic; pass smaller values or floats."
            )
        return arr if arr.dtype == np.int64 else arr.astype(np.int64)
    return arr if arr.dtype == np.float64 else arr.astype(np.float64)


def as_ndim(name: str, value: Any, ndim: int, what: str = "", *,
            keep_dtype: bool = False, allow_empty: bool = False) -> np.ndarray:
    """Convert with :func:`as_array` and insist on ``ndim`` dimensions."""
    arr = as_array(name, value, keep_dtype=keep_dtype)
    what = what or f"a {ndim}-D array"
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {what} ({ndim} dimensions), but it has "
            f"{arr.ndim} dimension(s) with shape {arr.shape}; reshape it first."
        )
    if not allow_empty and arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); pass at least one value "
            f"along every axis."
        )
    return arr


def as_1d(name: str, value: Any, **kwargs: Any) -> np.ndarray:
    """A non-empty 1-D array (see :func:`as_ndim`)."""
    return as_ndim(name, value, 1, "a 1-D sequence of numbers", **kwargs)


def as_2d(name: str, value: Any, **kwargs: Any) -> np.ndarray:
    """A non-empty 2-D array (see :func:`as_ndim`)."""
    return as_ndim(name, value, 2, "a 2-D array (rows x columns)", **kwargs)


def promote(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Bring int64/float64 arrays to one dtype: float64 if any is float."""
    if any(a.dtype.kind == "f" for a in arrays):
        return tuple(a if a.dtype == np.float64 else a.astype(np.float64)
                     for a in arrays)
    return arrays


def _is_int(value: Any) -> bool:
    return (isinstance(value, (numbers.Integral, np.integer))
            and not isinstance(value, (bool, np.bool_)))


def as_int(name: str, value: Any, minimum: int | None = None) -> int:
    """A Python ``int`` (bool refused), at least ``minimum`` if given."""
    if not _is_int(value):
        raise ValueError(
            f"{name} must be an integer, got {_describe(value)}; pass a whole "
            f"number such as 3 (not 3.0 and not True)."
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return value


def as_pair(name: str, value: Any, minimum: int | None = None) -> tuple[int, int]:
    """An int (used for both axes) or a pair ``(rows, cols)`` of ints."""
    if _is_int(value):
        single = as_int(name, value, minimum)
        return single, single
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise ValueError(
            f"{name} must be an integer or a pair of integers (rows, cols), "
            f"got {_describe(value)}."
        )
    if len(value) != 2:
        raise ValueError(
            f"{name} must be an integer or a pair (rows, cols) of two "
            f"integers, got {len(value)} values: {value!r}."
        )
    return (as_int(f"{name}[0]", value[0], minimum),
            as_int(f"{name}[1]", value[1], minimum))


def as_real(name: str, value: Any, *, positive: bool = False) -> float:
    """A finite real number as a Python float (bool and complex refused)."""
    if (not isinstance(value, (numbers.Real, np.integer, np.floating))
            or isinstance(value, (bool, np.bool_))):
        raise ValueError(f"{name} must be a real number, got {_describe(value)}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if positive and value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value}.")
    return value


def as_choice(name: str, value: Any, options: Sequence[str]) -> str:
    """One of the strings in ``options`` (case-sensitive)."""
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def as_path(name: str, value: Any) -> str:
    """A file-system path given as ``str`` or ``os.PathLike`` (returned as str)."""
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(
            f"{name} must be a file name (str or pathlib.Path), got {_describe(value)}."
        )
    path = os.fspath(value)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    return path
