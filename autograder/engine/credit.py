"""Credit: what fraction of an exercise's points its checks earn.

Points are split over kinds of check (worked examples, hidden checks, bad
input; :data:`~autograder.engine.spec.DEFAULT_WEIGHTS`, course.yml's
``grading.weights``), and then two rules make the credit match the damage
rather than the count of checks passed:

* **A whole kind of input wrong** (``whole_property``, default 0.75).  Hidden
  checks are grouped by the properties of their inputs (float values,
  ``uint8`` values, negative values, plain Python lists, inputs of more than 16
  values, an argument of more than 16 (64, 256, 1024) values, a keyword
  argument such as ``mode='same'`` or ``stride=2``, a second input longer than
  the first).  Code that fails *every* hidden check of a
  property that at least two checks have keeps at most this share of the
  points, however many other checks pass: a ``conv1d`` that casts its inputs
  to integers is wrong on every float input, not "wrong on 3 checks of 15".
* **Only a rule of bad input missed** (``rules_floor``, default 0.8).  Code
  right on every worked example and every hidden check keeps at least this
  share, whatever it does with bad input.

The worked examples alone never earn more than their share: nothing counts
until a hidden check passes (their answers are in the notebook).

>>> credit({"examples": {"passed": 2, "total": 2}, "hidden": {"passed": 15, "total": 15},
...         "errors": {"passed": 0, "total": 2}}, {"examples": 0.4, "hidden": 0.4, "errors": 0.2})
0.8
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

#: the two rules' defaults; course.yml overrides them in ``grading.weights``
#: (course-wide or per exercise), as it does the kinds' weights
CREDIT_LIMITS = {"whole_property": 0.75, "rules_floor": 0.8}
#: "inputs of more than N values": the sizes that make a property of their own
SIZE_STEPS = (16, 64, 256, 1024)


def credit(breakdown: Mapping[str, Mapping[str, int]], weights: Mapping[str, float], *, whole: Sequence[str] = ()) -> float:
    """The fraction of an exercise's points that ``breakdown`` earns under ``weights``.

    Each kind with checks earns its weight times the share of its checks that
    passed; kinds without checks drop out and the others share their weight.
    With every weight of the kinds present at 0, all checks count alike.

    Points need evidence that cannot be copied: the worked examples' answers
    are in the notebook, and a function that only raises "rejects" every bad
    input.  So when hidden checks are graded, nothing counts until one of them
    passes; without them, nothing counts until a worked example passes.

    ``whole``: the properties of valid input on which every hidden check
    failed (:func:`whole_properties_failed`); then at most ``whole_property``.
    Right on every example and hidden check: at least ``rules_floor``.
    """
    present = {k: v for k, v in breakdown.items() if v.get("total", 0) > 0}
    if not present:
        return 0.0
    if not _evidence(present):
        return 0.0
    kinds = {k: v for k, v in weights.items() if k not in CREDIT_LIMITS}
    weighted = {k: float(kinds.get(k, 0.0)) for k in present if float(kinds.get(k, 0.0)) > 0}
    if not weighted:
        counted = {k: v for k, v in present.items() if k != "by_hand"} or present
        fraction = sum(v["passed"] for v in counted.values()) / sum(v["total"] for v in counted.values())
    else:
        fraction = sum(w * present[k]["passed"] / present[k]["total"] for k, w in weighted.items()) / sum(weighted.values())
    values = [present[k] for k in ("examples", "hidden") if k in present]
    if values and all(v["passed"] == v["total"] for v in values):
        fraction = max(fraction, limit(weights, "rules_floor"))
    if whole:
        fraction = min(fraction, limit(weights, "whole_property"))
    return fraction


def limit(weights: Mapping[str, float], name: str) -> float:
    return float(weights.get(name, CREDIT_LIMITS[name]))


def _evidence(present: Mapping[str, Mapping[str, int]]) -> bool:
    """Some check passed that could not be passed by copying answers or by raising on everything."""
    for kind in ("hidden", "examples", "values"):
        if kind in present:
            return present[kind]["passed"] > 0
    return True


# -- properties of hidden inputs ------------------------------------------------------------
def _numeric(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "iuf" else None
    if isinstance(value, (list, tuple)) and value:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            return None
        return array if array.dtype.kind in "iuf" else None
    return None


def case_properties(args: Sequence[Any], kwargs: Mapping[str, Any], names: Sequence[str] = ()) -> tuple[str, ...]:
    """The properties of one call's inputs that a whole group of hidden checks can share.

    >>> case_properties((np.array([1.5, -2.0]), [1, 2, 3]), {"mode": "same"}, ("x", "h"))
    ('float values', 'negative values', 'plain Python lists', "mode='same'", 'h longer than x')
    """
    found: list[str] = []
    arrays = []
    named = []
    lists = False
    labels = [names[i] if i < len(names) else f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    for label, value in zip(labels, list(args) + list(kwargs.values())):
        array = _numeric(value)
        if array is None:
            continue
        arrays.append(array)
        named.append((label, array))
        lists = lists or not isinstance(value, np.ndarray)
    if any(a.dtype == np.uint8 for a in arrays):
        found.append("uint8 values")
    elif any(a.dtype.kind in "iu" for a in arrays) and not any(a.dtype.kind == "f" for a in arrays):
        found.append("integer values")
    if any(a.dtype.kind == "f" for a in arrays):
        found.append("float values")
    if any(a.size and a.dtype.kind in "if" and bool((a < 0).any()) for a in arrays):
        found.append("negative values")
    if lists:
        found.append("plain Python lists")
    for label, array in named:
        found += [f"{label} of more than {step} values" for step in SIZE_STEPS if array.size > step]
    for key, value in kwargs.items():
        if isinstance(value, (str, bool, int, float)) and not isinstance(value, np.ndarray):
            found.append(f"{key}={value!r}")
    positional = [_numeric(a) for a in args[:2]]
    if len(positional) == 2 and all(a is not None and a.ndim == 1 for a in positional) and len(positional[1]) > len(positional[0]):
        first, second = (names[0], names[1]) if len(names) >= 2 else ("the first input", "the second")
        found.append(f"{second} longer than {first}")
    return tuple(found)


def whole_properties_failed(properties: Sequence[Sequence[str]], passed: Sequence[bool]) -> list[tuple[str, int]]:
    """(property, number of checks) for each property of at least two hidden checks that all failed.

    ``properties[i]`` are the properties of hidden check i (:func:`case_properties`),
    ``passed[i]`` whether it passed.  A property every hidden check has is no
    kind of input of its own, and is left out (failing all of them is already
    worth nothing).
    """
    if not any(passed):
        return []  # nothing right: no kind of input stands out (and nothing is earned to cap)
    members: dict[str, list[int]] = {}
    for index, props in enumerate(properties):
        for prop in props:
            members.setdefault(prop, []).append(index)
    total = len(passed)
    found, seen = [], set()
    for prop, indices in members.items():
        key = tuple(indices)
        if 2 <= len(indices) < total and not any(passed[i] for i in indices) and key not in seen:
            seen.add(key)  # "x of more than 64 values" says nothing more when the same checks have "more than 16"
            found.append((prop, len(indices)))
    return found


def whole_sentence(whole: Sequence[tuple[str, int]], weights: Mapping[str, float]) -> str:
    """"Wrong on every hidden check with float values (5 of 5): ..." (empty when none)."""
    if not whole:
        return ""
    shown = ", ".join(f"{prop} ({n} of {n})" for prop, n in whole[:3])
    more = f" and {len(whole) - 3} more" if len(whole) > 3 else ""
    cap = limit(weights, "whole_property")
    return (f"Wrong on every hidden check with {shown}{more}: a whole kind of valid input, "
            f"so the exercise earns at most {cap:.0%} of its points.")
