"""What the feedback says about an exercise's failed checks: each failure as judged
(:class:`Failure`), the misconceptions that explain them, and the blocks of the message, most useful
first (:func:`diagnose`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .compare import Mismatch, compare
from .credit import _evidence, whole_sentence
from .prepare import Check, Prepared, wrong_variants
from .result import ERROR, GENERIC_HINTS, TIMEOUT, ExerciseResult
from .spec import UNSET, Case

_NOUNS = {
    "examples": ("worked example", "worked examples"),
    "hidden": ("hidden check", "hidden checks"),
    "errors": ("check", "checks"),
    "values": ("value", "values"),
}


#: Failures that stop the run: the checks after them get no answer.
_STOP = ("timeout", "crash", "no-answer")
#: Which block of the feedback a category of failure goes to, in the order blocks are listed.
_BLOCK = {
    "timeout": "stop", "crash": "stop", "no-answer": "stop",
    "raised": "raised", "not-implemented": "not-implemented", "none": "none",
    "type": "results", "shape": "results", "value": "results", "judge": "judge",
    "modifies-input": "modifies-input", "rule": "rule",
}
_KIND_RANK = {"visible": 0, "hidden": 1, "error": 2}
_MORE = {
    "raised": "raised an exception too",
    "not-implemented": "are not written yet either",
    "none": "returned None too",
    "results": "gave a wrong result too",
    "judge": "failed too",
    "modifies-input": "changed an argument too",
}


@dataclass
class Failure:
    """One failed check as judged: its index, status and sentence, and what the diagnosis reads."""

    index: int
    status: str
    message: str
    mismatch: Mismatch | None = None
    got: Any = None
    category: str = "value"
    kind: str = "visible"
    #: the rule on the result's type, broken as well (wrong values in a list where an array is asked for)
    container: str = ""

    @property
    def block(self) -> str:
        return _BLOCK[self.category]

    def order(self) -> tuple[int, int]:
        """Worked examples first, then hidden checks, then bad input; in the order the checks ran."""
        return (_KIND_RANK[self.kind], self.index)


def _explains(prepared: Prepared, misconception, failure: Failure, variant: int = 0) -> bool:
    """Does ``misconception`` (its ``variant``-th wrong implementation, see :func:`wrong_variants`) explain
    ``failure``? Only wrong results of valid input qualify, and a bad-input check only for a misconception
    about bad input (:meth:`Prepared.about_bad_input`)."""
    check = prepared.checks[failure.index]
    if failure.mismatch is None or failure.mismatch.kind == "none":
        return False
    ex = prepared.exercise
    if failure.mismatch.kind == "no-raise":  # the reference raises here; the wrong one returned this
        if misconception.wrong is None or not prepared.about_bad_input(misconception):
            return False
        wrong = prepared.wrong_output(failure.index, misconception)
        try:
            return wrong is not UNSET and compare(wrong, failure.got, returns="any", tol=ex.tolerance) is None
        except TypeError:
            return False
    if check.kind == "error":
        return False
    if misconception.code is not None and not misconception.code(prepared.code):
        return False  # the same numbers, written another way: another misconception's
    if misconception.detect is not None:
        try:
            if misconception.detect(check.case, failure.got):
                return True
        except Exception:
            pass
    if variant >= len(wrong_variants(misconception)):
        return False
    wrong = prepared.wrong_output(failure.index, misconception, variant)
    if wrong is UNSET:
        return False
    try:
        if compare(check.expected, wrong, returns="any", tol=ex.tolerance) is None:
            return False  # the wrong implementation is right on this input: no evidence
        return compare(wrong, failure.got, returns="any", tol=ex.tolerance) is None
    except TypeError:
        return False


def _uint8_explains(prepared: Prepared, failure: Failure) -> bool:
    check = prepared.checks[failure.index]
    inputs = list(check.case.args) + list(check.case.kwargs.values())
    if not any(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in inputs):
        return False
    expected = check.expected
    if not isinstance(expected, np.ndarray) or expected.dtype.kind not in "iu" or failure.mismatch is None or failure.mismatch.kind != "value":
        return False
    wrapped = np.mod(expected.astype(np.int64), 256)
    if np.array_equal(wrapped, expected):
        return False
    return compare(wrapped, failure.got, returns="any") is None


def _has_uint8(check: Check) -> bool:
    return any(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in list(check.case.args) + list(check.case.kwargs.values()))


def _only_on_uint8(prepared: Prepared, members: list[Failure], right: Sequence[int] | None = None) -> list[Failure]:
    """Wrong results on every uint8 input and on no other: arithmetic done in uint8, however the
    wrapped values were added up afterwards (``np.sum(window * kernel)`` wraps each product, then
    sums in a wider type: not the right answer modulo 256).  Returns the failures so explained.
    ``right``: the checks the learner's code passed, when ``members`` are only some of the failures
    (those another misconception leaves): one of them must then be a value check without uint8."""
    failing = {f.index for f in members}
    values = [i for i, c in enumerate(prepared.checks) if c.kind in ("visible", "hidden") and isinstance(c.case, Case) and c.case.judge is None]
    uint8 = {i for i in values if _has_uint8(prepared.checks[i])}
    fine = set(right) if right is not None else {i for i in values if i not in failing}
    if not failing or not failing <= uint8 or not any(i not in uint8 and i in fine for i in values):
        return []
    if any(f.mismatch is None or f.mismatch.kind != "value" for f in members):
        return []
    return list(members)


def _named(misconception_id: str, hint: str, explained: int, shown: int) -> str:
    """The line naming a misconception; "partly" when it explains only some of the wrong results shown."""
    if explained >= shown:
        return f"This looks like [{misconception_id}]: {hint}"
    return f"This partly looks like [{misconception_id}] (it explains {explained} of the {shown} wrong results): {hint}"


def _best_misconception(prepared: Prepared, candidates: list[Failure], right: Sequence[int] = (), skip: Sequence[str] = ()):
    """The declared misconception that explains the first of ``candidates`` (the example shown) and most
    of the others (ties: declaration order), with the failures it explains.  A detector that happens to
    match a later case while the example shown is something else names nothing.

    It must also fit the checks the learner's code passed (``right``, their indices): a misconception
    whose wrong implementation gives something else than the right answer on one of them would have
    failed where the learner's code did not, so the code does not hold it (pooling that ignores ``mode``
    and always takes the maximum is right on every 'max' check: it has not swapped 'max' and 'avg').
    Each of its ways (:func:`wrong_variants`) is judged on its own; a misconception with a detector and
    no wrong implementation cannot be judged so and is not refuted.  ``skip``: ids already named."""
    best, explained_best = None, []
    first = candidates[0]
    for misconception in prepared.exercise.misconceptions:
        if misconception.id in skip:
            continue
        for variant in range(max(1, len(wrong_variants(misconception)))):
            if not _explains(prepared, misconception, first, variant) or not _fits(prepared, misconception, variant, right):
                continue
            explained = [first] + [f for f in candidates[1:] if _explains(prepared, misconception, f, variant)]
            if len(explained) > len(explained_best):
                best, explained_best = misconception, explained
    return best, explained_best


def _fits(prepared: Prepared, misconception, variant: int, right: Sequence[int]) -> bool:
    """Is the ``variant``-th wrong implementation of ``misconception`` right wherever the learner's code
    was (``right``: indices of checks passed)?  Checks it does not apply to (it raises or returns None
    there) and checks without a right answer to compare (judged ones) say nothing."""
    if variant >= len(wrong_variants(misconception)):
        return True  # a detector alone: nothing to judge it by
    ex = prepared.exercise
    for index in right:
        check = prepared.checks[index]
        if check.kind == "error" or not isinstance(check.case, Case) or check.case.judge is not None:
            continue
        wrong = prepared.wrong_output(index, misconception, variant)
        if wrong is UNSET or wrong is None:
            continue
        try:
            if compare(check.expected, wrong, returns="any", tol=ex.tolerance) is not None:
                return False
        except TypeError:  # a value the answer cannot be compared with: no evidence
            continue
    return True


def _explanations(prepared: Prepared, members: list[Failure], right: Sequence[int]) -> list[tuple[str, str, list[Failure]]]:
    """The names for the wrong results ``members``, as (id, hint, failures explained): the misconception
    that explains the example shown and most others (else the generic uint8 wraparound), then, for the
    wrong results it leaves, the next one that explains the first of them, and so on.  The first
    explains ``members[0]``, save for the generic uint8 wraparound, which shows its own example."""
    declared = {m.id for m in prepared.exercise.misconceptions}
    found: list[tuple[str, str, list[Failure]]] = []
    rest = list(members)
    while rest:
        named = [f[0] for f in found]
        best, explained = _best_misconception(prepared, rest, right, skip=named)
        if best is not None:
            found.append((best.id, best.hint, explained))
        elif "uint8-wraparound" not in declared and "uint8-wraparound" not in named:
            # The strict test (the right answer modulo 256) or, when it leaves some, arithmetic in uint8 on every one.
            strict = [f for f in rest if _uint8_explains(prepared, f)]
            whole = _only_on_uint8(prepared, rest, right if found else None)
            wraps = whole if len(whole) > len(strict) else strict
            if not wraps:
                break
            found.append(("uint8-wraparound", GENERIC_HINTS["uint8-wraparound"], wraps))
        else:
            break
        explained_now = found[-1][2]
        rest = [f for f in rest if not any(f is g for g in explained_now)]
    return found


def _named_all(found: list[tuple[str, str, list[Failure]]], shown: int) -> list[str]:
    """The lines naming ``found`` (see :func:`_explanations`): "partly" only when, together, they leave
    some of the ``shown`` wrong results unexplained."""
    (first_id, first_hint, first_explained), others = found[0], found[1:]
    if not others:
        return [_named(first_id, first_hint, len(first_explained), shown)]
    left = shown - sum(len(explained) for _, _, explained in found)
    if left > 0:
        lines = [_named(first_id, first_hint, len(first_explained), shown)]
    else:
        lines = [f"This looks like [{first_id}] ({len(first_explained)} of the {shown} wrong results): {first_hint}"]
    for n, (mid, hint, explained) in enumerate(others):
        k = len(explained)
        if left <= 0 and n == len(others) - 1:
            lines.append(f"And the other {k} wrong result{'s' * (k != 1)} look{'s' * (k == 1)} like [{mid}]: {hint}")
        else:
            lines.append(f"And {k} of the other wrong results look{'s' * (k == 1)} like [{mid}]: {hint}")
    return lines


def diagnose(prepared: Prepared, failures: list[Failure], breakdown: dict, fraction: float, done: int, total: int, *, not_run: int,
              whole: Sequence[tuple[str, int]] = (), passed: Sequence[bool] = ()) -> ExerciseResult:
    ex = prepared.exercise
    right = [index for index, ok in enumerate(passed) if ok]  # a misconception must fit these too
    failures = sorted(failures, key=Failure.order)
    blocks: dict[str, list[Failure]] = {}
    for f in failures:
        blocks.setdefault(f.block, []).append(f)
    ordered = sorted(blocks, key=lambda b: blocks[b][0].order())
    named: str | None = None
    texts: list[str] = []
    for block in ordered:
        members = blocks[block]
        first = members[0]
        lines: list[str] = []
        tag: str | None = None
        if block == "stop":
            text = first.message
            if not_run > 0 and not text.rstrip().endswith((".", ")")):
                text = text.rstrip() + "."
            if not_run > 0 and first.category != "no-answer":
                text += f" The {not_run} check{'s' * (not_run != 1)} after it were not run (they count as failed)."
            elif not_run > 0:
                text += f" {not_run} check{'s' * (not_run != 1)} got no answer (they count as failed)."
            lines.append(text)
            tag = "timeout" if first.category == "timeout" else None
        elif block == "results":
            lines, tag = _results_block(prepared, members, right)
        elif block == "rule":
            lines, tag = _rule_block(prepared, members, right)
        elif block == "judge" and named is None:
            lines, tag = _judged_block(prepared, members)
        else:
            lines.append(first.message)
            if len(members) > 1:
                lines.append(f"({len(members) - 1} more case{'s' * (len(members) != 2)} {_MORE[block]}.)")
            if block in ("none", "modifies-input"):
                tag = "returns-none" if block == "none" else "modifies-input"
                lines.append(f"[{tag}] {GENERIC_HINTS[tag]}")
        if named is None and tag is not None:
            named = tag
        texts.append("\n".join(lines))
    head = ordered[0]
    status = blocks[head][0].status
    if head == "stop":
        status = TIMEOUT if blocks[head][0].category == "timeout" else ERROR
    lead = summary(breakdown, container=any(f.mismatch is not None and f.mismatch.kind == "container" for f in failures))
    capped = whole_sentence(whole, prepared.weights)
    if capped:
        lead = f"{lead} {capped}" if lead else capped
    feedback = "\n".join(([lead] if lead else []) + texts)
    return ExerciseResult(ex.id, status, feedback, named, done, total, fraction, breakdown)


def _results_block(prepared: Prepared, members: list[Failure], right: Sequence[int] = ()) -> tuple[list[str], str | None]:
    """Wrong results of valid input: the first example, and the misconceptions that explain them
    (consistent with the checks passed, ``right``: see :func:`_best_misconception`)."""
    shown = len(members)
    more = f"({shown - 1} more case{'s' * (shown != 2)} {_MORE['results']}.)" if shown > 1 else ""
    found = _explanations(prepared, members, right)
    if found:
        example = found[0][2][0]
        lines = [example.message] + ([more] if more else [])
        return lines + _named_all(found, shown), found[0][0]
    first = members[0]
    lines = [first.message] + ([more] if more else [])
    if first.mismatch is not None and first.mismatch.kind == "shape":
        lines.append(f"[wrong-shape] {GENERIC_HINTS['wrong-shape']}")
        return lines, "wrong-shape"
    return lines, None


def _judged_block(prepared: Prepared, members: list[Failure]) -> tuple[list[str], str | None]:
    """Answers judged by behaviour (a training run, a learned kernel) that fail: the first, and the
    misconception whose detector recognises it (``detect`` only: there is no right value to compare)."""
    first = members[0]
    lines = [first.message] + ([f"({len(members) - 1} more case{'s' * (len(members) != 2)} {_MORE['judge']}.)"] if len(members) > 1 else [])
    case = prepared.checks[first.index].case
    for misconception in prepared.exercise.misconceptions:
        if misconception.detect is None or (misconception.code is not None and not misconception.code(prepared.code)):
            continue
        try:
            found = bool(misconception.detect(case, first.got))
        except Exception:  # a detector that cannot read this answer does not apply
            found = False
        if found:
            return lines + [_named(misconception.id, misconception.hint, 1, 1)], misconception.id
    return lines, None


def _rule_block(prepared: Prepared, members: list[Failure], right: Sequence[int] = ()) -> tuple[list[str], str | None]:
    """Bad input not rejected, rejected with the wrong exception, or rejected by accident (a library
    raised): the rule that fails, with the first example of each of these ways."""
    ways: dict[str, Failure] = {}
    for f in members:
        ways.setdefault(f.mismatch.kind if f.mismatch is not None else "", f)
    shown = list(ways.values())
    tag: str | None = None
    candidates = [f for f in members if f.mismatch is not None and f.mismatch.kind == "no-raise"]
    best, explained = _best_misconception(prepared, candidates, right) if candidates else (None, [])
    if best is not None and "no-raise" in ways:
        shown[shown.index(ways["no-raise"])] = explained[0]
    lines = [("The rule that fails: " if n == 0 else "") + f.message for n, f in enumerate(shown)]
    if best is not None:
        lines.append(_named(best.id, best.hint, len(explained), len(candidates)))
        tag = best.id
    rest = len(members) - len(shown)
    if rest:
        lines.append(f"({rest} more bad-input check{'s' * (rest != 1)} fail{'s' * (rest == 1)}.)")
    return lines, tag


def counted(passed: int, total: int, kind: str) -> str:
    singular, plural = _NOUNS[kind]
    return f"{passed} of {total} {singular if total == 1 else plural}"


def summary(breakdown: Mapping[str, Mapping[str, int]], *, container: bool = False) -> str:
    """What passed, per kind of check: "Right on 2 of 2 worked examples and 18 of 20 hidden checks; bad input rejected in 1 of 2 checks."

    ``container``: the errors kind also counts the rule on what the result is
    (an array, not a list; real, not complex), which failed.
    """
    parts = []
    values = [counted(breakdown[k]["passed"], breakdown[k]["total"], k) for k in ("examples", "hidden") if breakdown.get(k, {}).get("total")]
    if values:
        parts.append("right on " + " and ".join(values))
    errors = dict(breakdown.get("errors", {}))
    if container:
        errors["total"] = errors.get("total", 0) - 1
    if errors.get("total"):
        parts.append(f"bad input rejected in {counted(errors['passed'], errors['total'], 'errors')}")
    if container:
        parts.append("but the result is not of the type asked for")
    if not parts:
        return ""
    text = "; ".join(parts)
    present = {k: v for k, v in breakdown.items() if v.get("total", 0) > 0}
    if not _evidence(present) and any(v["passed"] for k, v in present.items() if k != "by_hand"):
        text += (" (the worked examples and bad input earn points once a hidden check is right too)" if "hidden" in present
                 else " (bad input rejected earns points once some values are right)")
    return text[0].upper() + text[1:] + "."
