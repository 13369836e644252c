"""Compact, readable renderings of values for feedback messages."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .codec import Opaque

_DEFAULT_DTYPES = (np.dtype(np.int64), np.dtype(np.float64))


def value(x: Any, limit: int = 160) -> str:
    """Render ``x`` on one line, at most about ``limit`` characters."""
    if isinstance(x, np.ndarray):
        text = array(x)
    elif isinstance(x, Opaque):
        text = f"a {x.type_name} object {x.text}" if x.text else f"a {x.type_name} object"
    elif isinstance(x, (list, tuple)) and x and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in x):
        text = array(np.asarray(x)) if type(x) is list else "(" + array(np.asarray(x))[1:-1] + ("," if len(x) == 1 else "") + ")"
    elif isinstance(x, dict):
        text = "{" + ", ".join(f"{value(k, 40)}: {value(v, 60)}" for k, v in x.items()) + "}"
    elif isinstance(x, (list, tuple)):
        inner = ", ".join(value(v, 60) for v in x)
        text = f"[{inner}]" if type(x) is list else f"({inner}{',' if len(x) == 1 else ''})"
    elif isinstance(x, float):
        text = number(x)
    elif isinstance(x, np.generic):
        text = number(x.item()) if isinstance(x.item(), float) else repr(x.item())
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def array(x: np.ndarray) -> str:
    """``[6, 14, 34]`` for the usual dtypes, ``array([...], dtype=uint8)`` otherwise."""
    plain = np.ndarray.view(np.asarray(x), np.ndarray)
    body = np.array2string(
        plain,
        separator=", ",
        threshold=30,
        edgeitems=3,
        max_line_width=10_000,
        precision=6,
        suppress_small=True,
        floatmode="maxprec",
    )
    body = re.sub(r"\s*\n\s*", " ", body)
    body = re.sub(r"(?<=[\[,]) +", " ", body).replace("[ ", "[")
    if plain.dtype in _DEFAULT_DTYPES or plain.size == 0 and plain.dtype == np.float64:
        return body
    return f"array({body}, dtype={plain.dtype})"


#: Arrays above these sizes are shown as their shape, dtype and a window around the first difference.
LARGE_1D = 16
LARGE_SIDE = 8


def is_large(x: Any) -> bool:
    """More than about 16 values in a row, or more than 8x8: too many to read at once."""
    if not isinstance(x, np.ndarray) or x.ndim == 0:
        return False
    if x.ndim == 1:
        return x.size > LARGE_1D
    return x.shape[-1] > LARGE_SIDE or x.shape[-2] > LARGE_SIDE or x.size > LARGE_SIDE * LARGE_SIDE


def outline(x: np.ndarray) -> str:
    """``shape (12, 12), dtype int64``."""
    return f"shape {shape(x)}, dtype {x.dtype}"


def window_slices(x_shape: tuple[int, ...], position: tuple[int, ...]) -> tuple[slice | int, ...]:
    """Where to look around ``position``: 7 values in a row, 5x5 over the last two axes of a larger array."""
    ndim = len(x_shape)
    out: list[slice | int] = []
    for axis, (size, at) in enumerate(zip(x_shape, position)):
        if axis < ndim - 2:
            out.append(int(at))
            continue
        radius = 3 if ndim == 1 else 2
        lo = max(0, min(int(at) - radius, size - (2 * radius + 1)))
        out.append(slice(lo, min(size, lo + 2 * radius + 1)))
    return tuple(out)


def window_label(slices: tuple[slice | int, ...]) -> str:
    """``[3:10]`` or ``[0, 2:7, 4:9]``, as the learner would index the array."""
    return "[" + ", ".join(str(s) if isinstance(s, int) else f"{s.start}:{s.stop}" for s in slices) + "]"


def window(x: np.ndarray, slices: tuple[slice | int, ...]) -> list[str]:
    """The values of ``x`` under ``slices``, one line per row."""
    part = np.ndarray.view(np.asarray(x), np.ndarray)[slices]
    body = np.array2string(part, separator=", ", max_line_width=10_000, precision=6, suppress_small=True, floatmode="maxprec", threshold=10_000)
    return body.splitlines()


def number(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):  # learner values may be NaN or infinite
        return str(float(x))
    if x == int(x) and abs(x) < 1e15:
        return f"{x:.1f}"
    return f"{x:.6g}"


def shape(x: Any) -> str:
    return str(tuple(int(n) for n in np.shape(x)))


def describe(x: Any) -> str:
    """What an input is without showing its values (for hidden cases)."""
    if isinstance(x, np.ndarray):
        return f"{x.dtype} array of shape {shape(x)}"
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__} of {len(x)} items"
    if isinstance(x, (bool, np.bool_)):
        return "a bool"
    if isinstance(x, (int, np.integer)):
        return "an int"
    if isinstance(x, (float, np.floating)):
        return "a float"
    if isinstance(x, str):
        return repr(x)
    return type(x).__name__


def index(position: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in position) + "]"


def call(name: str, args: tuple, kwargs: dict, hidden: bool = False, arg_names: tuple[str, ...] = ()) -> str:
    """``conv1d([6, 2], [1, 2, 5, 4])``, or for hidden cases a description of the inputs."""
    if hidden:
        parts = []
        for i, a in enumerate(args):
            label = arg_names[i] if i < len(arg_names) else f"argument {i + 1}"
            parts.append(f"{label}: {describe(a)}")
        parts += [f"{k}={value(v, 40)}" if isinstance(v, (str, int, float, tuple)) else f"{k}: {describe(v)}" for k, v in kwargs.items()]
        return f"{name}(...) with " + ", ".join(parts) if parts else f"{name}()"
    shown = [_argument(a, 120) for a in args] + [f"{k}={_argument(v, 80)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


#: An argument with more values than this is shown by its shape and dtype, not by a cut-off list of values.
LARGE_ARGUMENT = 100


def _argument(x: Any, limit: int) -> str:
    if isinstance(x, np.ndarray) and x.size > LARGE_ARGUMENT:
        return f"<{describe(x)}>"
    return value(x, limit)
