"""Plain data across the trust boundary.

Values leave the learner's process as JSON: numbers, strings, lists, tuples,
dicts and NumPy arrays of numbers (raw bytes, base64).  Anything else becomes a
description (its type name and a short repr), never an object.  Nothing coming
from the learner is ever unpickled; :func:`decode` accepts only this format and
rejects everything else, so whatever a learner's object claims about itself
(``__eq__``, ``__array__``, a subclass) the trusted side compares bytes.
The one object that crosses is the grader's own: a probe function
(:class:`~autograder.engine.probes.ScalarFunction`, grad_check's ``f``),
described by its coefficients and rebuilt from them.

The same functions serve the in-notebook check, so that a value is judged the
same way whether it crossed a process boundary or not.
"""
from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

from .outcome import WorkPath
from .probes import ScalarFunction

#: dtype kinds that may cross: bool, signed, unsigned, float, complex.
_ARRAY_KINDS = frozenset("biufc")
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_BYTES = 64 * 1024 * 1024
#: what one list, tuple or dict item costs against the byte budget (its JSON is ~ this size)
ITEM_BYTES = 256
MAX_TEXT = 2_000


class CodecError(ValueError):
    """The data is not in the plain format (malformed, too large, or forged)."""


class Opaque:
    """Stands for an object that could not cross: only its type and repr did."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text}>"


class ArrayInfo(np.ndarray):
    """A decoded array that remembers the Python type the learner returned."""

    source_type: str = "numpy.ndarray"


def _type_name(value: object) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # a learner's __repr__ may raise anything
        text = f"<repr failed: {type(exc).__name__}>"
    if not isinstance(text, str):
        text = "<repr returned a non-string>"
    return text if len(text) <= 200 else text[:197] + "..."


def to_plain(value: Any, _depth: int = 0, _budget: list[int] | None = None) -> Any:
    """Encode ``value`` as JSON-ready plain data (see the module docstring)."""
    budget = _budget if _budget is not None else [MAX_BYTES]
    if _depth > MAX_DEPTH:
        return {"$opaque": "nested too deeply", "repr": ""}
    if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return value[:MAX_TEXT]
        if isinstance(value, str):
            budget[0] -= len(value)
        return value
    if type(value) is int:
        return value if abs(value) < 2**63 else {"$bigint": str(value)}
    if type(value) is float:
        return _float(value)
    if isinstance(value, np.ndarray):
        return _array(value, budget)
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in _ARRAY_KINDS:
        scalar = np.asarray(value)
        return {"$scalar": scalar.dtype.str, "data": base64.b64encode(scalar.tobytes()).decode("ascii")}
    if type(value) is WorkPath:
        return {"$workpath": value.name}
    if type(value) is ScalarFunction:  # a function the grader hands to the learner's (grad_check's f)
        return {"$fn": to_plain(value.plain(), _depth + 1, budget)}
    if type(value) in (list, tuple, dict):
        # Items count against one budget for the whole value: a list of long lists
        # cannot grow a message past what the grader is willing to read.
        cost = len(value) * ITEM_BYTES
        if cost > budget[0]:
            return {"$opaque": _type_name(value), "repr": f"a {type(value).__name__} too large to grade ({len(value)} items)"}
        budget[0] -= cost
        if type(value) is dict:
            pairs = [[to_plain(k, _depth + 1, budget), to_plain(v, _depth + 1, budget)] for k, v in list(value.items())]
            return {"$dict": pairs}
        items = [to_plain(v, _depth + 1, budget) for v in value]
        return items if type(value) is list else {"$tuple": items}
    return {"$opaque": _type_name(value), "repr": _safe_repr(value)}


def _float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


def _array(value: np.ndarray, budget: list[int]) -> Any:
    # Read the memory through the base class: a subclass cannot lie about it.
    base = np.ndarray.view(value, np.ndarray)
    kind = base.dtype.kind
    if kind not in _ARRAY_KINDS:
        return {"$opaque": f"numpy.ndarray of dtype {base.dtype}", "repr": _safe_repr(base)}
    if base.nbytes > budget[0]:
        return {"$opaque": _type_name(value), "repr": f"an array of {base.nbytes} bytes, too large to grade"}
    budget[0] -= base.nbytes
    data = np.ascontiguousarray(base)
    dtype = data.dtype.newbyteorder("<") if data.dtype.byteorder == ">" else data.dtype
    encoded = {
        "$nd": dtype.str,
        "shape": list(data.shape),
        "data": base64.b64encode(data.astype(dtype, copy=False).tobytes()).decode("ascii"),
    }
    if type(value) is not np.ndarray:
        encoded["type"] = _type_name(value)
    return encoded


def from_plain(data: Any, _depth: int = 0) -> Any:
    """Decode what :func:`to_plain` produced; raise :class:`CodecError` on anything else."""
    if _depth > MAX_DEPTH + 1:
        raise CodecError("nested too deeply")
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is float:
        return data
    if type(data) is list:
        return [from_plain(v, _depth + 1) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise CodecError(f"unexpected {type(data).__name__}")
    if "$nd" in data:
        return _decode_array(data)
    if "$scalar" in data:
        _require_keys(data, {"$scalar", "data"})
        dtype = _dtype(data["$scalar"])
        raw = _b64(data["data"])
        if len(raw) != dtype.itemsize:
            raise CodecError("scalar of the wrong size")
        return np.frombuffer(raw, dtype=dtype)[0]
    if "$tuple" in data:
        _require_keys(data, {"$tuple"})
        if type(data["$tuple"]) is not list:
            raise CodecError("malformed tuple")
        return tuple(from_plain(v, _depth + 1) for v in data["$tuple"])
    if "$dict" in data:
        _require_keys(data, {"$dict"})
        out = {}
        for pair in data["$dict"]:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed dict")
            key = from_plain(pair[0], _depth + 1)
            try:
                hash(key)
            except TypeError:
                key = Opaque("unhashable key", repr(key))
            out[key] = from_plain(pair[1], _depth + 1)
        return out
    if "$float" in data:
        _require_keys(data, {"$float"})
        table = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
        if data["$float"] not in table:
            raise CodecError("malformed float")
        return table[data["$float"]]
    if "$bigint" in data:
        _require_keys(data, {"$bigint"})
        text = data["$bigint"]
        if type(text) is not str or len(text) > 4000 or not text.lstrip("-").isdigit():
            raise CodecError("malformed integer")
        return int(text)
    if "$fn" in data:
        _require_keys(data, {"$fn"})
        try:
            return ScalarFunction.from_parts(from_plain(data["$fn"], _depth + 1))
        except ValueError as exc:
            raise CodecError(str(exc)) from exc
    if "$workpath" in data:
        _require_keys(data, {"$workpath"})
        try:
            return WorkPath(str(data["$workpath"])[:200])
        except ValueError as exc:
            raise CodecError(str(exc)) from exc
    if "$opaque" in data:
        _require_keys(data, {"$opaque", "repr"})
        if type(data["$opaque"]) is not str or type(data["repr"]) is not str:
            raise CodecError("malformed description")
        return Opaque(data["$opaque"][:200], data["repr"][:MAX_TEXT])
    raise CodecError("unknown tag")


def _require_keys(data: dict, allowed: set[str]) -> None:
    if not set(data) <= allowed | {"type"}:
        raise CodecError("unexpected keys")


def _dtype(text: Any) -> np.dtype:
    if type(text) is not str or len(text) > 8:
        raise CodecError("malformed dtype")
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise CodecError("unknown dtype") from exc
    if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise CodecError("dtype not allowed")
    return dtype


def _b64(text: Any) -> bytes:
    if type(text) is not str:
        raise CodecError("malformed data")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise CodecError("malformed base64") from exc


def _decode_array(data: dict) -> np.ndarray:
    _require_keys(data, {"$nd", "shape", "data"})
    dtype = _dtype(data["$nd"])
    shape = data["shape"]
    if type(shape) is not list or len(shape) > 32 or not all(type(n) is int and 0 <= n for n in shape):
        raise CodecError("malformed shape")
    raw = _b64(data["data"])
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise CodecError("array data does not match its shape")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    out = array.view(ArrayInfo)
    source = data.get("type")
    out.source_type = source[:200] if type(source) is str else "numpy.ndarray"
    return out


def bytes_to_plain(data: bytes) -> str:
    """File contents as they cross the boundary (base64 text)."""
    return base64.b64encode(data).decode("ascii")


def bytes_from_plain(text: Any) -> bytes:
    """The inverse of :func:`bytes_to_plain`; :class:`CodecError` on anything else."""
    return _b64(text)


def plain_array(value: Any) -> np.ndarray:
    """A decoded array as a plain ndarray (drops the remembered source type)."""
    return np.ndarray.view(value, np.ndarray) if isinstance(value, np.ndarray) else np.asarray(value)


def plain_values(value: Any) -> Any:
    """Decoded arguments as a learner's function receives them: every array a plain ndarray,
    also inside tuples, lists and dicts (train's params), so that nothing of the grader's
    own types reaches learner code or comes back in its results."""
    if isinstance(value, ArrayInfo):
        return plain_array(value)
    if type(value) in (tuple, list):
        return type(value)(plain_values(v) for v in value)
    if type(value) is dict:
        return {k: plain_values(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> bytes:
    """Encode a message (already plain) as compact JSON bytes."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")


#: what one JSON value (a number, a list, a dict entry...) is counted as once decoded: a Python
#: object and the slot that holds it, in the message as parsed and in the value decoded from it
#: (measured: 45-110 bytes; a list of one float is 64 + 24 bytes, and is copied once)
DECODED_ITEM_BYTES = 128


def decoded_items(raw: bytes) -> int:
    """How many JSON values ``raw`` holds, at most, counted without parsing it.

    Every value but the first follows a ``,``, ``[``, ``{`` or ``:``; those
    inside strings are counted too, so this never undercounts.  Arrays travel
    as one base64 string each, so an honest answer holds a few dozen values.
    """
    return 1 + raw.count(b",") + raw.count(b"[") + raw.count(b"{") + raw.count(b":")


def decoded_size(raw: bytes) -> int:
    """What the grader holds once ``raw`` is decoded, estimated from above without decoding it:
    its bytes plus :data:`DECODED_ITEM_BYTES` per value (a budget on bytes received alone lets
    ~1 MB of ``[[0],[0],...]`` become ~40 MB of Python objects)."""
    return len(raw) + DECODED_ITEM_BYTES * decoded_items(raw)


def loads(raw: bytes) -> Any:
    """Parse a message; forged constants such as NaN literals are refused."""

    def _reject(token: str) -> Any:
        raise CodecError(f"non-standard JSON constant {token}")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CodecError(f"malformed message: {exc}") from exc


def roundtrip(value: Any) -> Any:
    """What the trusted side would see of ``value`` had it crossed the boundary."""
    return from_plain(loads(dumps(to_plain(value))))
