"""Answers a learner kit can test without holding them: salted hashes and sealed windows.

A value exercise's answer (numbers worked out on paper) is kept as its
*skeleton* in the clear, which the grader's messages reveal anyway (an int,
a list of 5 items, an array of shape (3, 3)), and a sealed test for each
number in it:

- an integer, a string or a bool: a salted, slowed hash (PBKDF2) of the value;
  the learner's number is hashed the same way and the two hashes compared;
- a float accepted within a tolerance window (``numpy.isclose`` with the
  exercise's rtol and atol, or a ratio such as "within 5 % of 1/42"): the
  number line is cut into cells whose width is the tolerance (in a scale where
  the window spans at most a few cells wherever the answer lies: asinh for
  rtol and atol together, log for rtol alone, linear for atol alone).  For
  each cell the window touches, the kit keeps the hash of the cell's index and
  the answer encrypted with a key derived from that index, padded with decoys
  to a fixed count.  A learner's number names its cell; only when that cell is
  one of the window's is the answer decrypted, and the exact rule
  (``isclose``, the ratio) decides, so the kit accepts exactly what the
  grader accepts.  1/42 within 5 % is accepted, 1/41 is not.

Nothing in the kit shows an answer: finding one means hashing guesses one by
one, each costing a slowed hash, which is no faster than asking the
self-check itself with each guess.  Each rostered student's answers (variants:
their own numbers) are sealed the same way under a key of their own, a salted
hash of their numbers (:func:`numbers_key`), never of their id.
"""
from __future__ import annotations

import hashlib
import json
import math
import secrets
import struct
from typing import Any

import numpy as np

from ..engine.compare import Mismatch, _is_int, _is_number, _kind_name, _show, _where, _wrong_scalar, array_form
from ..engine import render

#: PBKDF2 rounds per hash: a few milliseconds, about what one look at the self-check costs.
ROUNDS = 4000
#: How many cells every window keeps (the ones it touches, then decoys), so that the count tells nothing.
CELLS = 8


def _derive(salt: bytes, path: str, text: str, rounds: int, size: int = 32) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", f"{path}|{text}".encode("utf-8"), salt, rounds, dklen=size)


# --------------------------------------------------------------------------- cells of a window

def _scale(rule: dict) -> tuple[str, float]:
    """How a window's numbers are cut into cells: (transform, cell width)."""
    if rule["kind"] == "ratio":
        return "log", float(rule["within"])
    rtol, atol = float(rule["rtol"]), float(rule["atol"])
    if rtol > 0 and atol > 0:
        return "asinh", rtol
    if rtol > 0:
        return "log", rtol
    return "linear", atol


def _cell(x: float, rule: dict) -> str | None:
    """The cell holding ``x`` (a string), or None when x is not a finite number."""
    if not math.isfinite(x):
        return None
    how, width = _scale(rule)
    if how == "linear":
        return f"l{math.floor(x / width)}"
    if how == "asinh":
        scale = float(rule["atol"]) / float(rule["rtol"])
        return f"a{math.floor(math.asinh(x / scale) / width)}"
    if x == 0:
        return "z"
    return f"g{'+' if x > 0 else '-'}{math.floor(math.log(abs(x)) / width)}"


def _window(answer: float, rule: dict) -> tuple[float, float]:
    if rule["kind"] == "ratio":
        w = float(rule["within"]) * abs(answer)
    else:
        w = float(rule["atol"]) + float(rule["rtol"]) * abs(answer)
    return answer - w, answer + w


def _cells_of(answer: float, rule: dict) -> list[str]:
    """Every cell the window around ``answer`` touches, with one more on each side (rounding)."""
    lo, hi = _window(answer, rule)
    lo, hi = lo - abs(lo) * 1e-12 - 1e-300, hi + abs(hi) * 1e-12 + 1e-300
    how, width = _scale(rule)
    out: list[str] = []
    if how == "linear":
        first, last = math.floor(lo / width), math.floor(hi / width)
        out = [f"l{k}" for k in range(first - 1, last + 2)]
    elif how == "asinh":
        scale = float(rule["atol"]) / float(rule["rtol"])
        first, last = math.floor(math.asinh(lo / scale) / width), math.floor(math.asinh(hi / scale) / width)
        out = [f"a{k}" for k in range(first - 1, last + 2)]
    elif answer == 0:
        out = ["z"]  # a relative window around 0 holds 0 alone
    else:
        if width >= 1:
            raise ValueError("a relative tolerance of 100 % or more cannot be sealed")
        sign = "+" if answer > 0 else "-"
        a, b = sorted((abs(lo), abs(hi)))
        first, last = math.floor(math.log(a) / width), math.floor(math.log(b) / width)
        out = [f"g{sign}{k}" for k in range(first - 1, last + 2)]
    return out


def _window_accepts(value: float, answer: float, rule: dict) -> bool:
    """The exact rule, once the answer is known (the same arithmetic as the grader's)."""
    if rule["kind"] == "ratio":
        return abs(value / answer - 1) <= float(rule["within"])
    return bool(np.isclose(value, answer, rtol=float(rule["rtol"]), atol=float(rule["atol"])))


def seal_window(answer: float, rule: dict, salt: bytes, path: str, rounds: int = ROUNDS) -> dict:
    """A float answer and its acceptance rule, as the kit keeps it."""
    entries = []
    for cell in _cells_of(float(answer), rule):
        key = _derive(salt, path, "cell:" + cell, rounds, 40)
        payload = bytes(a ^ b for a, b in zip(struct.pack("<d", float(answer)), key[32:]))
        entries.append([key[:32].hex(), payload.hex()])
    while len(entries) < CELLS:
        entries.append([secrets.token_hex(32), secrets.token_hex(8)])
    entries.sort()
    return {"t": "window", "rule": rule, "cells": entries}


def window_accepts(leaf: dict, value: Any, salt: bytes, path: str, rounds: int) -> bool:
    """Is ``value`` within the sealed window ``leaf``?"""
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    cell = _cell(x, leaf["rule"])
    if cell is None:
        return False
    key = _derive(salt, path, "cell:" + cell, rounds, 40)
    tag = key[:32].hex()
    for stored, payload in leaf["cells"]:
        if stored == tag:
            answer = struct.unpack("<d", bytes(a ^ b for a, b in zip(bytes.fromhex(payload), key[32:])))[0]
            return _window_accepts(x, answer, leaf["rule"])
    return False


# --------------------------------------------------------------------------- a student's numbers

def canonical_numbers(numbers: dict[str, Any]) -> str:
    """One text for a student's numbers (``Numbers.draw``'s dict), whatever types hold them (lists, tuples, arrays)."""
    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return plain(value.tolist())
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        return value
    return json.dumps(plain(numbers), sort_keys=True, separators=(",", ":"), allow_nan=False)


def numbers_key(numbers: dict[str, Any], salt: bytes, rounds: int = ROUNDS) -> str:
    """The key a learner kit keeps a student's sealed answers under: a salted hash of their numbers
    (students with the same numbers share it; no id goes into it)."""
    return _derive(salt, "numbers", canonical_numbers(numbers), rounds, 16).hex()


# --------------------------------------------------------------------------- whole answers

def _exact_text(value: Any) -> str | None:
    """The canonical text of a number compared exactly (an int, or a float that is one)."""
    if isinstance(value, (bool, np.bool_)):
        return f"i:{int(value)}"
    if isinstance(value, (int, np.integer)):
        return f"i:{int(value)}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isfinite(v) and v == math.floor(v):
            return f"i:{int(v)}"
    return None


def seal(value: Any, tol, salt: bytes, path: str = "", rounds: int = ROUNDS) -> dict:
    """The skeleton of ``value`` with every number sealed (see the module docstring)."""
    rule = {"kind": "isclose", "rtol": float(tol.rtol), "atol": float(tol.atol)}
    if isinstance(value, np.ndarray):
        exact = value.dtype.kind in "iub"
        leaves = []
        for i, item in enumerate(value.reshape(-1).tolist()):
            leaves.append(_seal_number(item, exact, rule, salt, f"{path}.{i}", rounds))
        return {"t": "nd", "shape": list(value.shape), "kind": value.dtype.kind, "leaves": leaves}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "h": _derive(salt, path, f"i:{int(value)}", rounds).hex()}
    if _is_int(value):
        return {"t": "int", "h": _derive(salt, path, f"i:{int(value)}", rounds).hex()}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "leaf": _seal_number(float(value), False, rule, salt, path, rounds)}
    if isinstance(value, str):
        return {"t": "str", "h": _derive(salt, path, "s:" + value, rounds).hex()}
    if value is None:
        return {"t": "none"}
    if isinstance(value, (list, tuple)):
        return {"t": "tuple" if isinstance(value, tuple) else "list",
                "numeric": len(value) > 0 and all(_is_number(v) for v in value),
                "exact": all(_is_int(v) or isinstance(v, (bool, np.bool_)) for v in value),
                "items": [seal(v, tol, salt, f"{path}[{i}]", rounds) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"t": "dict", "keys": list(value), "items": [seal(v, tol, salt, f"{path}[{k!r}]", rounds) for k, v in value.items()]}
    raise TypeError(f"cannot seal a {type(value).__name__}")


def _seal_number(item: Any, exact: bool, rule: dict, salt: bytes, path: str, rounds: int) -> dict:
    if exact:
        return {"t": "exact", "h": _derive(salt, path, f"i:{int(item)}", rounds).hex()}
    if math.isinf(rule.get("atol", 0.0)):
        return {"t": "finite"}  # numpy.isclose with an infinite atol accepts every number but NaN: nothing to hide
    if rule.get("rtol", 0.0) == 0 and rule.get("atol", 0.0) == 0:
        return {"t": "exact-float", "h": _derive(salt, path, f"f:{float(item) + 0.0!r}", rounds).hex()}
    return seal_window(float(item), rule, salt, path, rounds)


_MEMO: dict[tuple[bytes, str, str], str] = {}


class Sealed:
    """An answer the kit holds sealed; ``compare`` judges a learner's value as
    :func:`autograder.engine.compare.compare` judges it against the answer itself."""

    def __init__(self, skeleton: dict, salt: bytes, rounds: int):
        self.skeleton, self.salt, self.rounds = skeleton, salt, rounds

    def __repr__(self) -> str:
        return "<sealed answer>"

    def _hash(self, path: str, text: str) -> str:
        key = (self.salt, path, text)
        if key not in _MEMO:  # an answer and the wrong values of its misconceptions share their hashes
            _MEMO[key] = _derive(self.salt, path, text, self.rounds).hex()
        return _MEMO[key]

    def compare_answer(self, got: Any, *, returns: str = "any", tol=None, reveal: str = "none", what: str = "the result") -> Mismatch | None:
        if got is None and self.skeleton["t"] != "none":
            return Mismatch("none", f"{what} is None. A function that ends without `return` gives None.")
        return self._compare(self.skeleton, got, "", reveal, "", what)

    # The order of the checks and their messages follow engine.compare (reveal "none": nothing of the answer).
    def _compare(self, node: dict, got: Any, path: str, reveal: str, shown: str, what: str) -> Mismatch | None:
        here = _where(shown, what)
        t = node["t"]
        if t == "nd":
            return self._compare_array(node, got, path, reveal, here)
        if t == "bool":
            if not isinstance(got, (bool, np.bool_)):
                return Mismatch("type", f"{here} should be True or False; it is {_kind_name(got, reveal)}.")
            if self._hash(path, f"i:{int(bool(got))}") != node["h"]:
                return Mismatch("value", f"{here} is {bool(got)}, which is not right.")
            return None
        if t == "int":
            if not _is_int(got):
                hint = " Sizes and counts are whole numbers: use // or int() after flooring." if isinstance(got, (float, np.floating)) else ""
                return Mismatch("type", f"{here} should be an int; it is {_kind_name(got, reveal)}.{hint}")
            if self._hash(path, f"i:{int(got)}") != node["h"]:
                return Mismatch("value", _wrong_scalar(here, int(got), None, "none"))
            return None
        if t == "float":
            if not _is_number(got):
                return Mismatch("type", f"{here} should be a number; it is {_kind_name(got, reveal)}.")
            if not self._number_ok(node["leaf"], got, path):
                return Mismatch("value", f"{here} is {_show(got)}, which is not right.")
            return None
        if t == "str":
            if not isinstance(got, str) or self._hash(path, "s:" + got) != node["h"]:
                return Mismatch("value", f"{here} is {_kind_name(got, reveal)}, which is not right.")
            return None
        if t == "none":
            if got is not None:
                return Mismatch("type", f"{here} should be None; it is {_kind_name(got, reveal)}.")
            return None
        if t in ("list", "tuple"):
            items = node["items"]
            if node["numeric"] and isinstance(got, np.ndarray):
                array = {"t": "nd", "shape": [len(items)], "kind": "i" if node["exact"] else "f",
                         "leaves": [i if i["t"] != "int" else {"t": "exact", "h": i["h"]} for i in
                                    (it if it["t"] != "float" else it["leaf"] for it in items)]}
                return self._compare_array(array, got, path, reveal, here, paths=[f"{path}[{i}]" for i in range(len(items))])
            if not isinstance(got, (list, tuple)):
                return Mismatch("type", f"{here} should be a {t} of {len(items)} items; it is {_kind_name(got, reveal)}.")
            if len(got) != len(items):
                return Mismatch("shape", f"{here} has {len(got)} items; expected {len(items)}.")
            for i, (e, g) in enumerate(zip(items, got)):
                mismatch = self._compare(e, g, f"{path}[{i}]", reveal, f"{shown}[{i}]", what)
                if mismatch:
                    return mismatch
            return None
        if t == "dict":
            if not isinstance(got, dict):
                return Mismatch("type", f"{here} should be a dict; it is {_kind_name(got, reveal)}.")
            keys = node["keys"]
            missing = [k for k in keys if k not in got]
            extra = [k for k in got if k not in keys]
            if missing or extra:
                parts = []
                if missing:
                    parts.append("missing keys " + ", ".join(repr(k) for k in missing))
                if extra:
                    parts.append("unexpected keys " + ", ".join(repr(k) for k in extra))
                return Mismatch("shape", f"{here} has {' and '.join(parts)}.")
            for key, e in zip(keys, node["items"]):
                mismatch = self._compare(e, got[key], f"{path}[{key!r}]", reveal, f"{shown}[{key!r}]", what)
                if mismatch:
                    return mismatch
            return None
        raise TypeError(f"unknown sealed node {t!r}")

    def _number_ok(self, leaf: dict, value: Any, path: str) -> bool:
        t = leaf["t"]
        if t == "finite":
            try:
                return not math.isnan(float(value))
            except (TypeError, ValueError, OverflowError):
                return False
        if t == "exact":
            text = _exact_text(value)
            return text is not None and self._hash(path, text) == leaf["h"]
        if t == "exact-float":
            return self._hash(path, f"f:{float(value) + 0.0!r}") == leaf["h"]
        return window_accepts(leaf, value, self.salt, path, self.rounds)

    def _compare_array(self, node: dict, got: Any, path: str, reveal: str, here: str, paths: list[str] | None = None) -> Mismatch | None:
        shape = tuple(node["shape"])
        got = array_form(got, shape, node["kind"], reveal=reveal, here=here)
        if isinstance(got, Mismatch):
            return got
        leaves = node["leaves"]
        if not leaves:
            return None
        paths = paths or [f"{path}.{i}" for i in range(len(leaves))]
        flat = got.reshape(-1).tolist()
        same = np.array([self._number_ok(leaf, g, p) for leaf, g, p in zip(leaves, flat, paths)]).reshape(shape)
        if bool(np.all(same)):
            return None
        first = tuple(int(i) for i in np.argwhere(~same)[0])
        wrong = int(np.count_nonzero(~same))
        count = f"{wrong} of {same.size} values differ" if same.size > 1 else "the value differs"
        position = render.index(first) if same.ndim else ""
        at = f" at index {position}" if position else ""
        lines = [f"first wrong value{at}: {_show(got[first])}; {count}."]
        if got.dtype.kind == "f" and np.isnan(got.astype(np.float64, copy=False)).any():
            lines.append("Your result contains NaN (not a number): look for 0/0, inf - inf or an uninitialised array (np.empty).")
        return Mismatch("value", f"{here} has the wrong values.\n" + "\n".join("    " + line for line in lines))
