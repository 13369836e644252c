"""Compile the course's exercises into a learner kit's data (see :mod:`autograder.exercises.compiled`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from ...course import Course
from ...engine.prepare import prepare
from ...engine.spec import UNSET
from ...engine.numbers import draw_for
from ...engine.spec import Case, Exercise, Tolerance
from ...exercises import for_assignment
from ...exercises.compiled import FORMAT, encode
from ...exercises.sealed import ROUNDS, numbers_key, seal, seal_window
from . import forms
from .portable import Bundle, NotPortable


@dataclass
class Compiled:
    """Everything the kit's data files hold, and what could not go in."""

    seed: int
    salt: bytes
    rounds: int
    assignments: dict[str, list[dict]] = field(default_factory=dict)
    bundle: Bundle = field(default_factory=lambda: Bundle(set(forms.PORTABLE)))
    #: (exercise id, misconception id, why): detectors left out of the kit, which then names these less often
    dropped: list[tuple[str, str, str]] = field(default_factory=list)
    #: what cannot go into a kit at all (a judge that cannot ship): the build stops with all of them listed
    problems: list[str] = field(default_factory=list)
    #: assignments left out of a kit of "every assignment that can go in", with why
    left_out: dict[str, list[str]] = field(default_factory=dict)
    #: the students whose own numbers the kit checks (variants), and the course's variant seed that draws them;
    #: neither goes into the kit as such: their answers are sealed under a hash of their numbers
    roster: tuple[str, ...] = ()
    variant_seed: int = 0
    #: exercise id -> for how many distinct sets of numbers of rostered students the kit holds answers
    personal: dict[str, int] = field(default_factory=dict)

    def index(self) -> dict:
        return {
            "format": FORMAT, "seed": self.seed, "salt": self.salt.hex(), "rounds": self.rounds,
            "assignments": {a: {"file": f"{a}.json.gz", "exercises": [e["id"] for e in exercises]}
                            for a, exercises in self.assignments.items()},
        }


def compile_course(course: Course, *, rounds: int = ROUNDS, leave_out_unportable: bool = False,
                   roster: list[str] | tuple[str, ...] = ()) -> Compiled:
    """Every exercise of course.yml, compiled for its public seed.

    ``leave_out_unportable``: an assignment with a check the kit cannot hold is
    left out (listed in ``left_out`` with why) instead of stopping the build.
    ``roster``: the students whose own numbers the kit can check (their answers sealed
    under a hash of their numbers); any other learner is checked on the lesson's.
    """
    out = Compiled(course.seed, secrets.token_bytes(16), rounds, roster=tuple(dict.fromkeys(roster)), variant_seed=course.variant_seed)
    for assignment in course.assignments:
        records = out.assignments.setdefault(assignment.id, [])
        before, dropped = len(out.problems), len(out.dropped)
        for ex in for_assignment(assignment.id):
            try:
                records.append(_exercise(ex, out, variants=assignment.variants))
            except TypeError as exc:  # a case whose inputs are not data (a function, an object)
                out.problems.append(f"{ex.id}: {exc}")
        if leave_out_unportable and len(out.problems) > before:
            out.left_out[assignment.id] = out.problems[before:]
            del out.problems[before:]
            del out.dropped[dropped:]
            del out.assignments[assignment.id]
    if out.problems:
        raise NotPortable("the learner kit cannot hold these checks:\n" + "\n".join(f"  {p}" for p in dict.fromkeys(out.problems)))
    return out


def _detector_closure(fn) -> tuple[str, Any] | None:
    """A ``matches_any`` or ``component`` detector: (its part, its candidates function)."""
    qualname = getattr(fn, "__qualname__", "")
    cells = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ()))) if hasattr(fn, "__code__") else {}
    if qualname == "matches_any.<locals>.detect":
        return None, cells["candidates"]
    if qualname == "component.<locals>.detect":
        return cells["index"], cells["candidates"]
    return None


def _exercise(ex: Exercise, out: Compiled, variants: bool = True) -> dict:
    prepared = prepare(ex, seed=out.seed)
    salt = out.salt + ex.id.encode()
    record: dict[str, Any] = {
        "id": ex.id, "assignment": ex.assignment, "kind": ex.kind, "names": list(ex.names), "title": ex.title,
        "returns": ex.returns, "tolerance": encode([float(ex.tolerance.rtol), float(ex.tolerance.atol)]), "forbidden": list(ex.forbidden),
        "check_modifies_input": ex.check_modifies_input, "output_files": [f.name for f in ex.output_files],
        "signature": ex.signature, "on_paper": ex.on_paper, "uses": list(ex.uses), "weights": dict(ex.weights),
        "forbidden_hint": ex.forbidden_hint, "observe": _observer(ex, out),
        "settings": encode(dict(ex.settings)), "timeout_hint": ex.timeout_hint,
        "visible": [], "errors": [], "hidden": [], "wrong": {}, "misconceptions": [],
    }
    if ex.kind == "value":
        # Answers by variant: "*" for everyone (per-student variants would add their own keys).
        record["answers"] = {"*": {name: seal(ex.values[name], ex.tolerance, salt + name.encode(), rounds=out.rounds)
                                   for name in ex.names if name in ex.values}}
    alternatives = _numbers(ex, out, salt, record, variants) if ex.numbers is not None else {}
    detectors = {m.id: _detector_form(ex, m, out, salt) for m in ex.misconceptions}
    for index, check in enumerate(prepared.checks):
        if check.kind == "error":
            case = check.case
            record["errors"].append({"args": encode(case.args), "kwargs": encode(case.kwargs), "raises": list(case.raises),
                                     "label": case.label, "files": encode(list(case.files)), "own": case.own, "function": case.function})
        else:
            record["visible" if check.kind == "visible" else "hidden"].append(_case(ex, check, detectors, out))
        if ex.kind == "function" and (not isinstance(check.case, Case) or check.case.judge is None):
            for m in ex.misconceptions:
                for variant in range(len(_variants(m))):  # every way of holding the misconception, on every check
                    prepared.wrong_output(index, m, variant) if variant else prepared.wrong_output(index, m)
    for (index, key), value in prepared._wrong.items():
        if value is not UNSET:
            record["wrong"][f"{index}|{key}"] = encode(value)
    for m in ex.misconceptions:
        entry = {"id": m.id, "hint": m.hint, "wrong": m.wrong is not None and ex.kind == "function", "variants": len(_variants(m))}
        if ex.kind == "value" and m.wrong is not None:
            entry["wrong_values"] = {"*": {name: seal(value, ex.tolerance, salt + name.encode(), rounds=out.rounds)
                                           for name, value in m.wrong().items()}}
        if m.id in alternatives:  # the values it gives for each rostered student's numbers, by their key
            entry["alternatives"] = alternatives[m.id]
        if getattr(m, "code", None) is not None:  # what the learner's code must show: a pure test of its text
            try:
                entry["code"] = out.bundle.add(m.code)
            except NotPortable as exc:
                out.problems.append(f"{ex.id} [{m.id}]: the test of the learner's code cannot ship: {exc}")
        form = detectors[m.id]
        if form is not None:
            entry["detect"] = {k: v for k, v in form.items() if k != "per_case"}
        record["misconceptions"].append(entry)
    return record


def _numbers(ex: Exercise, out: Compiled, salt: bytes, record: dict, variants: bool) -> dict[str, dict]:
    """Each student's own numbers (variants): ``draw``, ``describe`` and ``title`` as code (public, pure), the
    lesson's numbers as data, and for the lesson and every rostered student, under a salted hash of their
    numbers, the sealed answers (``record["answers"][key]``); returned: each misconception's sealed values
    for those numbers (a list of alternatives), by misconception and key."""
    spec = ex.numbers
    if ex.kind != "value":
        out.problems.append(f"{ex.id}: only a value exercise can have numbers of its own")
        return {}
    form: dict[str, Any] = {"lesson": encode(dict(spec.lesson))}
    for part in ("draw", "describe", "title"):
        fn = getattr(spec, part)
        if fn is None:
            form[part] = None
            continue
        try:
            form[part] = out.bundle.add(fn, public=True)
        except (NotPortable, OSError, TypeError, AttributeError) as exc:
            out.problems.append(f"{ex.id}: its numbers' {part} cannot ship as public code: {exc}")
            return {}
    record["numbers"] = form
    if not variants:  # everyone works the lesson's numbers: no answers of anyone's own
        return {}
    alternatives: dict[str, dict[str, list]] = {}
    students = [None, *out.roster]  # None: the lesson's numbers
    for student in students:
        numbers = draw_for(ex, student, out.variant_seed)
        key = numbers_key(numbers, salt, out.rounds)
        if key in record["answers"]:
            continue  # students with the same numbers share their key
        own = salt + key.encode()
        record["answers"][key] = {name: seal(value, ex.tolerance, own + name.encode(), rounds=out.rounds)
                                  for name, value in spec.answers(numbers).items()}
        for mid, wrong in spec.wrong.items():
            alternatives.setdefault(mid, {})[key] = [{name: seal(value, ex.tolerance, own + name.encode(), rounds=out.rounds)
                                                      for name, value in values.items()} for values in wrong(numbers)]
        if spec.cases is not None:  # the checks for these numbers (max_stable_lr: a sealed judge with their limit)
            form.setdefault("cases", {})[key] = [_case_data(ex, case, out, case.expected) for case in spec.cases(numbers)]
    out.personal[ex.id] = len(record["answers"]) - 2  # neither everyone's ("*") nor the lesson's
    return alternatives


def _variants(m) -> tuple:
    """The wrong implementations of a misconception (the engine's ``wrong_variants``, where it has them)."""
    from ...engine import evaluate

    return evaluate.wrong_variants(m) if hasattr(evaluate, "wrong_variants") else ((m.wrong,) if m.wrong is not None else ())


def _observer(ex: Exercise, out: Compiled) -> str | None:
    if ex.observe is None:
        return None
    try:
        return out.bundle.add(ex.observe)
    except NotPortable as exc:
        out.problems.append(f"{ex.id}: what its function does is observed by code that cannot ship: {exc}")
        return None


def _detector_form(ex: Exercise, m, out: Compiled, salt: bytes) -> dict | None:
    """How the kit recognises ``m``: a form of :mod:`autograder.exercises.compiled`, with its per-case compiler."""
    if m.detect is None:
        return None
    key = (ex.id, m.id)
    if ex.kind == "value":
        if key in forms.VALUE_CANDIDATES:
            values = forms.VALUE_CANDIDATES[key]()
            tol = Tolerance(1e-6, 1e-6) if ex.tolerance == Tolerance() else ex.tolerance
            return {"kind": "sealed-values", "values": {name: [seal(v, tol, salt + name.encode(), rounds=out.rounds) for v in items]
                                                         for name, items in values.items()}}
        if key in forms.VALUE_PATTERNS:
            return dict(forms.VALUE_PATTERNS[key])
        out.dropped.append((ex.id, m.id, "a value detector with no form for the kit"))
        return None
    if key in forms.PATTERNS:
        return dict(forms.PATTERNS[key])
    if key in forms.DETECTORS:
        kind, per_case = forms.DETECTORS[key]
        return {"kind": kind, "per_case": per_case}
    closure = _detector_closure(m.detect)
    if closure is not None:
        part, candidates = closure
        return {"kind": "candidates", "per_case": lambda case, expected: [[part, c] for c in candidates(*case.args, **case.kwargs) if c is not None]}
    try:
        return {"kind": "code", "ref": out.bundle.add(m.detect), "cells": out.bundle.cells(m.detect)}
    except NotPortable as exc:
        out.dropped.append((ex.id, m.id, str(exc)))
        return None


def _case_data(ex: Exercise, case: Case, out: Compiled, expected: Any) -> dict:
    """A case as the kit holds it (its judge in the kit's form), without detections."""
    judge, then = _judge(ex, case, out) if case.judge is not None else (None, case.then)
    return {"args": encode(case.args), "kwargs": encode(case.kwargs), "expected": encode(expected), "label": case.label,
            "files": encode(list(case.files)), "judge": judge, "detect": {},
            "function": case.function, "timed": case.timed, "cap": case.cap, "then": encode(then)}


def _case(ex: Exercise, check, detectors: dict, out: Compiled) -> dict:
    case = check.case
    function_value = ex.kind == "function" and case.judge is None
    expected = check.expected if function_value else case.expected
    data = _case_data(ex, case, out, expected)
    if function_value:
        for mid, form in detectors.items():
            if form is None or "per_case" not in form:
                continue
            try:
                value = form["per_case"](case, expected)
            except Exception:  # the instructor's detector raises here too: it recognises nothing on this case
                value = None
            if value:
                data["detect"][mid] = encode(value)
    return data


def _judge(ex: Exercise, case, out: Compiled) -> tuple[dict | None, tuple | None]:
    """The kit's form of a case's judge, and the case's ``then`` call (a kit judge may need one)."""
    judge, then = case.judge, case.then
    factory = getattr(judge, "__qualname__", "").split(".<locals>.")[0]
    module = __import__(judge.__module__, fromlist=["_"])
    owner = getattr(module, factory, None)
    if owner in forms.SEALED_JUDGES:
        return _sealed_judge(forms.SEALED_JUDGES[owner], judge, out), then
    if owner in forms.KIT_JUDGES:
        judge, kit_then = forms.KIT_JUDGES[owner](judge)
        then = kit_then or then
    try:
        return {"kind": "code", "ref": out.bundle.add(judge), "cells": out.bundle.cells(judge)}, then
    except NotPortable as exc:
        out.problems.append(f"{ex.id}: the judge of '{case.label}': {exc}")
        return None, then


def _sealed_judge(kind: str, judge, out: Compiled) -> dict:
    cells = dict(zip(judge.__code__.co_freevars, (c.cell_contents for c in judge.__closure__)))
    if kind == "max-lr":
        rule = {"kind": "ratio", "within": float(cells["within"])}
        salt = secrets.token_bytes(16)
        # The judge's own messages: for a value outside both windows (it names no side of the limit), asked of it,
        # and for the limit of the stripe one column narrower (the book's 6x8 for the notes' 6x9); neither holds a limit.
        message = judge({"max_stable_lr": 7777.0}) if "shape" not in cells else (
            "max_stable_lr = {value} is not the largest stable rate on the notes' 6x9 stripe (within 5 %). Find where "
            "gradient descent stops converging, by experiment or from the curvature of the loss.")
        return {"kind": "max-lr", "shape": list(cells["shape"]) if "shape" in cells else None, "rounds": out.rounds,
                "salt": salt.hex(), "message": (message or "").replace("7777", "{value}"),
                "stripe": cells["stripe"], "book_message": cells["book_message"],
                "limit": seal_window(cells["limit"], rule, salt, "limit", out.rounds),
                "book": seal_window(cells["book_limit"], rule, salt, "book", out.rounds)}
    raise ValueError(f"unknown sealed judge {kind!r}")
