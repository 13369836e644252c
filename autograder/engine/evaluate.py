"""Run one exercise's declaration against learner code and explain the verdict.

The pipeline for one exercise: look the names up -> static forbidden-call
check -> call the function on every prepared case -> compare every answer ->
diagnose (misconceptions) -> one :class:`ExerciseResult`.  This module is
trusted code; it sees learner results only as decoded plain data.  Each step
with a job of its own has its module: the checks ready to run
(:mod:`.prepare`), the calls made through the caller (:mod:`.calls`), the
points (:mod:`.credit`), answers that must be worked on paper (:mod:`.paper`),
what the feedback says about failures (:mod:`.explain`) and what a verdict
is (:mod:`.result`); this module judges every check and puts the verdict together.

Every check is judged, and the verdict credits what is right: the result
carries the fraction of the exercise's points earned, split over kinds of
check (worked examples, hidden values, bad input, the by-hand rule; see
:class:`~autograder.engine.spec.CreditWeights`), and a feedback that says what
passed, then each kind of failure with its first example, most useful first.
:func:`autograder.report.points_earned` turns the fraction into points.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np

from . import render
from .calls import run_calls
from .compare import Mismatch, compare
from .credit import case_properties, credit, whole_properties_failed
from .explain import Failure, counted, diagnose, summary
from .forbidden import course_code_findings, parse_cells, static_findings
from .outcome import Caller, NameInfo, Outcome
from .paper import computed_answers, not_on_paper
from .prepare import (  # noqa: F401  (case_rng, evaluation_order, prepare, with_settings, wrong_variants: re-exported)
    Check, Prepared, arg_names, case_rng, evaluation_order, prepare, with_settings, wrong_variants,
)
from .result import (  # noqa: F401  (STATUSES: re-exported)
    ERROR, FAILED, FORBIDDEN, GENERIC_HINTS, MISSING, NOT_IMPLEMENTED, PASSED, STATUSES, TIMEOUT, ExerciseResult,
)
from .spec import FORBIDDEN_HINT, FORBIDDEN_HINTS, Case, ErrorCase, Exercise

#: The kind of credit (see spec.CREDIT_KINDS) each kind of check counts towards.
CREDIT_KIND = {"visible": "examples", "hidden": "hidden", "error": "errors"}
def _missing(ex: Exercise, name: str, info: NameInfo) -> ExerciseResult:
    if info.state == NOT_IMPLEMENTED:
        what = "function" if ex.kind == "function" and name == ex.function_name else "value"
        return ExerciseResult(ex.id, NOT_IMPLEMENTED, f"{name} is not written yet (the {what} still raises NotImplementedError). {GENERIC_HINTS['not-implemented']}", "not-implemented")
    if info.state == ERROR:
        return ExerciseResult(ex.id, ERROR, f"{name} could not be defined: {info.detail}")
    if info.state == TIMEOUT:
        return ExerciseResult(ex.id, TIMEOUT, f"{name} could not be defined: {info.detail}", "timeout")
    return ExerciseResult(
        ex.id, MISSING,
        f"{name} is not defined in the notebook. Check that its cell is a code cell, that it runs without error, and that the name is spelled `{name}`.",
    )


def evaluate(prepared: Prepared, caller: Caller, *, timeout: float, earlier: Mapping[str, ExerciseResult] | None = None,
             settings: Mapping[str, Any] | None = None) -> ExerciseResult:
    """Grade one exercise through ``caller`` (see :mod:`autograder.engine.outcome`).

    ``earlier``: the results of exercises already graded in the same notebook
    (by id).  When one that this exercise uses (``Exercise.uses``) failed and
    the learner's function calls it, the feedback says to fix that one first.
    ``settings``: course.yml's ``grading.exercise_settings`` for this exercise (see :func:`with_settings`).
    """
    prepared = with_settings(prepared, settings)
    ex = prepared.exercise
    infos = caller.lookup(ex.names, owner=ex.id)
    if ex.kind == "function":
        # What the code says comes first: a function that uses a forbidden name is forbidden
        # whether or not its cell ran (the sandbox cannot import the course's own package,
        # the learner's kernel can: one verdict for both).
        functions = called_functions(prepared)
        cells = parse_cells(caller.sources())
        findings = [f for name in functions for f in static_findings(cells, name, ex.forbidden)]
        if findings:
            return _forbidden(ex, list(dict.fromkeys(f.name for f in findings)), list(dict.fromkeys(f.describe() for f in findings)))
    else:
        course = course_code_findings(parse_cells(caller.sources()), ex.names)
        if course:
            uses = "; ".join(f"{f.name} (line {f.line}: {f.text.strip()[:80]})" for f in course)
            return ExerciseResult(ex.id, FORBIDDEN, f"[forbidden-call] {' and '.join(ex.names)} come from {uses}. {forbidden_hint(ex, ['autograder'])}",
                                  "forbidden-call", 0, 1, 0.0, {"by_hand": {"passed": 0, "total": 1}})
    for name in ex.names:
        info = infos[name]
        if info.state != "defined":
            return _missing(ex, name, info)
    if ex.kind == "value":
        return _evaluate_values(prepared, infos, caller)
    for name in functions:
        if not infos[name].is_callable:
            return ExerciseResult(ex.id, FAILED, f"{name} should be a function (def {_signature_of(ex, name)}:); it is {render.value(infos[name].value, 80)}.")
    extra = {n: infos[n].value for n in ex.names[1:] if n not in functions}
    if any(m.code is not None for m in ex.misconceptions):
        prepared = replace(prepared, code=function_code(cells, functions))
    outcomes = run_calls(prepared, caller, timeout)
    result = _judge_all(prepared, outcomes, extra)
    if result.status != PASSED and ex.uses and earlier:
        result = _blame_dependencies(prepared, result, cells, earlier)
    result.function = ex.function_name
    return result


def called_functions(prepared: Prepared) -> tuple[str, ...]:
    """The learner's functions that ``prepared``'s checks call: the exercise's first name, then those cases name."""
    ex = prepared.exercise
    return tuple(dict.fromkeys([ex.function_name, *(c.case.function for c in prepared.checks if c.case.function)]))


def function_code(cells, functions: Sequence[str]) -> str:
    """The source of the learner's ``functions`` (their last definitions) and of the functions they call."""
    defs: dict[str, tuple[str, ast.AST]] = {}
    for cell in cells:
        for node in cell.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = ("\n".join(cell.lines), node)
    seen: list[str] = []
    todo = list(functions)
    while todo:
        name = todo.pop(0)
        if name in seen or name not in defs:
            continue
        seen.append(name)
        todo += [n.id for n in ast.walk(defs[name][1]) if isinstance(n, ast.Name) and n.id in defs]
    return "\n\n".join(ast.get_source_segment(*defs[name]) or "" for name in seen)


def _signature_of(ex: Exercise, name: str) -> str:
    for part in ex.signature.split(";"):
        if part.strip().startswith(name + "("):
            return part.strip()
    return f"{name}(...)"


# --------------------------------------------------------------------------- rules

def forbidden_hint(ex: Exercise, names: Sequence[str]) -> str:
    """What to do instead of the forbidden calls ``names``: the exercise's own hint, else its rule's."""
    if ex.forbidden_hint:
        return ex.forbidden_hint
    for name in names:
        for prefixes, hint in FORBIDDEN_HINTS:
            if any(name == p or name.startswith(p + ".") for p in prefixes):
                return hint
    return FORBIDDEN_HINT


def _forbidden(ex: Exercise, names: list[str], uses: list[str]) -> ExerciseResult:
    listing = "; ".join(uses)
    breakdown = {"by_hand": {"passed": 0, "total": 1}}
    return ExerciseResult(
        ex.id, FORBIDDEN,
        f"[forbidden-call] {ex.function_name} uses {listing}. {forbidden_hint(ex, names)}",
        "forbidden-call", breakdown=breakdown,
    )


# --------------------------------------------------------------------------- judging every check

def _label(check: Check) -> str:
    label = check.case.label
    if check.hidden:
        return f" (hidden check: {label})" if label else " (hidden check)"
    return f" ({label})" if label else ""


def _call_text(prepared: Prepared, check: Check, names: tuple[str, ...]) -> str:
    case = check.case
    if case.function:
        names = arg_names(prepared.exercise, case.function)
    return render.call(case.function or prepared.exercise.function_name, case.args, case.kwargs, hidden=check.hidden, arg_names=names) + _label(check)


def _judge_all(prepared: Prepared, outcomes: list[Outcome], extra: dict[str, Any]) -> ExerciseResult:
    ex = prepared.exercise
    names = arg_names(ex)
    checks = prepared.checks
    ran = outcomes[: len(checks)]
    if len(outcomes) > len(checks):  # answers to calls never made: the process forged its replies
        extra = outcomes[len(checks)]
        why = extra.crashed or "it answered more calls than were made"
        return ExerciseResult(ex.id, ERROR, f"The process running {ex.function_name} sent answers it was not asked for ({why}): nothing it sent can be graded.", None, 0, len(checks))
    forbidden = [name for outcome in ran for name in outcome.forbidden]
    if forbidden:  # the by-hand rule is all-or-nothing
        names_used = list(dict.fromkeys(forbidden))
        return _forbidden(ex, names_used, [f"{name} (called at run time)" for name in names_used])
    answered = [o for o in ran if not o.timed_out and not o.crashed]
    if answered and all(o.raised is not None and o.raised.is_a(["NotImplementedError"]) for o in answered):
        unwritten = list(dict.fromkeys(c.case.function or ex.function_name for c, o in zip(checks, ran) if not o.timed_out and not o.crashed))
        if len(unwritten) > 1:  # the untouched stubs of an exercise of several functions
            return ExerciseResult(ex.id, NOT_IMPLEMENTED, f"{' and '.join(unwritten)} are not written yet (they still raise NotImplementedError). {GENERIC_HINTS['not-implemented']}", "not-implemented")
        return _missing(ex, unwritten[0] if unwritten else ex.function_name, NameInfo(NOT_IMPLEMENTED))  # the untouched stub
    failures: list[Failure] = []
    container: list[Failure] = []
    passed = [False] * len(checks)
    stop: Failure | None = None
    for index, check in enumerate(checks):
        if index >= len(outcomes):
            if stop is None:  # every check needs an answer: a child that stops early (or forges "done") earns nothing more
                stop = Failure(index, ERROR, f"{_call_text(prepared, check, names)} got no answer from the process running your code: it stopped before all checks were run.", category="no-answer", kind=check.kind)
                failures.append(stop)
            continue
        outcome = outcomes[index]
        call_text = _call_text(prepared, check, names)
        if outcome.timed_out:
            stop = Failure(index, TIMEOUT, f"[timeout] {call_text} did not finish in time. {ex.timeout_hint or GENERIC_HINTS['timeout']}", category="timeout", kind=check.kind)
            failures.append(stop)
            continue
        if outcome.crashed:
            stop = Failure(index, ERROR, f"{call_text} stopped the process that ran it: {outcome.crashed}", category="crash", kind=check.kind)
            failures.append(stop)
            continue
        if outcome.raised is not None and outcome.raised.is_a(["NotImplementedError"]) and isinstance(check.case, Case):
            failures.append(Failure(index, NOT_IMPLEMENTED, f"{call_text} raised NotImplementedError: this part of {check.case.function or ex.function_name} is not written yet.", category="not-implemented", kind=check.kind))
            continue
        failure = _judge(prepared, index, check, outcome, call_text, extra)
        if failure is not None and failure.category == "container":
            # Right values: they count as such; the container is one rule, broken once.
            container.append(failure)
            failure = None
        elif failure is not None and failure.container:  # wrong values, and in the wrong container: both are told
            container.append(Failure(index, FAILED, f"{call_text}: {failure.container}", Mismatch("container", failure.container), category="container"))
        if failure is None and ex.check_modifies_input:
            changed = _modified(check.case, outcome, arg_names(ex, check.case.function) if check.case.function else names, sealed=check.hidden and prepared.graded)
            if changed:
                failure = Failure(index, FAILED, f"{call_text}: {changed}", category="modifies-input", kind=check.kind)
        if failure is None:
            passed[index] = True
        else:
            failure.kind = check.kind
            failures.append(failure)
    breakdown = _breakdown(prepared, passed)
    if container:
        rule = container[0]
        rule.kind, rule.category, rule.status = "error", "rule", FAILED
        failures.append(rule)
        errors = breakdown.setdefault("errors", {"passed": 0, "total": 0})
        errors["total"] += 1  # the rule "return what the exercise asks for", broken
    whole = _whole_properties(prepared, passed, names)
    fraction = credit(breakdown, prepared.weights, whole=[prop for prop, _ in whole])
    total, done = len(checks), sum(passed)
    if not failures:
        return ExerciseResult(ex.id, PASSED, _passed_summary(prepared), None, total, total, 1.0, breakdown)
    return diagnose(prepared, failures, breakdown, fraction, done, total, not_run=len(checks) - len(outcomes), whole=whole, passed=passed)


def _whole_properties(prepared: Prepared, passed: list[bool], names: tuple[str, ...]) -> list[tuple[str, int]]:
    """The properties of valid input on which every hidden check failed (see :mod:`.credit`)."""
    props, oks = [], []
    for check, ok in zip(prepared.checks, passed):
        if check.kind == "hidden" and isinstance(check.case, Case) and check.case.judge is None:
            props.append(case_properties(check.case.args, check.case.kwargs, names))
            oks.append(ok)
    return whole_properties_failed(props, oks)


def _breakdown(prepared: Prepared, passed: list[bool]) -> dict[str, dict[str, int]]:
    breakdown: dict[str, dict[str, int]] = {}
    for check, ok in zip(prepared.checks, passed):
        entry = breakdown.setdefault(CREDIT_KIND[check.kind], {"passed": 0, "total": 0})
        entry["total"] += 1
        entry["passed"] += int(ok)
    if prepared.exercise.forbidden:
        breakdown["by_hand"] = {"passed": 1, "total": 1}
    return breakdown


def _passed_summary(prepared: Prepared) -> str:
    kinds = {"visible": 0, "error": 0, "hidden": 0}
    for check in prepared.checks:
        kinds[check.kind] += 1
    parts = []
    if kinds["visible"]:
        parts.append(f"{kinds['visible']} worked example{'s' * (kinds['visible'] != 1)}")
    if kinds["error"]:
        parts.append(f"{kinds['error']} bad-input check{'s' * (kinds['error'] != 1)}")
    if kinds["hidden"]:
        parts.append(f"{kinds['hidden']} hidden randomized check{'s' * (kinds['hidden'] != 1)}")
    return "all checks passed: " + ", ".join(parts) + "." if parts else "all checks passed."


def _judge(prepared: Prepared, index: int, check: Check, outcome: Outcome, call_text: str, extra: dict[str, Any]) -> Failure | None:
    ex = prepared.exercise
    case = check.case
    sealed = check.hidden and prepared.graded  # a graded hidden check: no value of its own is shown
    if isinstance(case, ErrorCase):
        wanted = " or ".join(case.raises)
        if outcome.raised is None:
            return Failure(
                index, FAILED,
                f"{call_text} should raise {wanted}, but it returned {render.value(outcome.value, 120)}. Check the input first and raise {case.raises[0]} with a message that says what is wrong.",
                Mismatch("no-raise", "returned a value instead of raising"), outcome.value, category="rule",
            )
        if not outcome.raised.is_a(case.raises):
            return Failure(index, FAILED, f"{call_text} should raise {wanted}, but it raised {outcome.raised.describe()}.", Mismatch("wrong-raise", ""), category="rule")
        if case.needs_own_raise and not outcome.raised.own:
            return Failure(index, FAILED, _not_own(call_text, wanted, case, outcome.raised), Mismatch("not-own", ""), category="rule")
        return None
    if outcome.raised is not None:
        hint = ""
        if any(isinstance(a, (list, tuple)) for a in case.args) and "'list'" in outcome.raised.message and outcome.raised.is_a(["AttributeError", "TypeError"]):
            hint = (f" {ex.function_name} was given plain Python lists, which the exercise accepts as well as arrays: "
                    "convert the inputs with np.asarray(...) at the start of your function.")
        shown = outcome.raised.describe(message=not sealed)
        return Failure(index, ERROR, f"{call_text} raised {shown}.{hint}", category="raised")
    got = ex.observe(case, outcome) if ex.observe is not None else outcome.value
    if case.judge is not None:
        if case.timed:  # a speed check: the judge also gets the call's time, measured by the grader (see calls.run_calls)
            extra = {**extra, "seconds": outcome.seconds, "processor": outcome.processor, "again": outcome.again}
        if case.then:  # a follow-up call's result (see _then)
            extra = {**extra, "then": outcome.then}
        problem = case.judge(got, **extra) if extra else case.judge(got)
        if problem and sealed:
            problem = "the result does not pass this graded check (its values are not shown in graded feedback)."
        return Failure(index, FAILED, f"{call_text}: {problem}", None, got, category="judge") if problem else None
    reveal = "full" if check.kind == "visible" else ("sealed" if sealed else "partial")
    mismatch = compare(check.expected, got, returns=ex.returns, tol=ex.tolerance, reveal=reveal)
    if mismatch is None:
        return None
    if mismatch.kind == "type":
        rule = _container_rule(ex, check, got)
        if rule:
            return Failure(index, FAILED, f"{call_text}: {rule}", Mismatch("container", rule), got, category="container")
        inside = _values_in_container(ex, check, got, reveal)
        if inside is not None:
            values, wrong = inside
            return Failure(index, FAILED, f"{call_text}: {wrong.detail}", wrong, values, category=wrong.kind, container=_container_text(ex, got, right=False))
    return Failure(index, FAILED, f"{call_text}: {mismatch.detail}", mismatch, got, category="none" if mismatch.kind == "none" else mismatch.kind)


def _container_rule(ex: Exercise, check: Check, got: Any) -> str:
    """Right values in the wrong container (a list for an array, complex for real): the rule
    broken, or "" when the values are wrong too.  The values then count as right."""
    expected = check.expected
    if not isinstance(expected, np.ndarray) or expected.dtype.kind == "c":
        return ""
    candidate = None
    if isinstance(got, (list, tuple)):
        try:
            candidate = np.asarray(got)
        except (ValueError, TypeError):
            return ""
        if candidate.dtype == object:
            return ""
        rule = _container_text(ex, got, right=True)
    elif isinstance(got, np.ndarray) and got.dtype.kind == "c" and bool(np.all(np.ndarray.view(got, np.ndarray).imag == 0)):
        candidate = np.ndarray.view(got, np.ndarray).real
        rule = (f"the values are right, but {ex.function_name} returns complex numbers (dtype {got.dtype}) for a real answer: "
                "return the real part (np.real), in the dtype the inputs call for.")
    if candidate is None or compare(expected, candidate, returns="any", tol=ex.tolerance) is not None:
        return ""
    return rule


def _container_text(ex: Exercise, got: list | tuple, *, right: bool) -> str:
    """The rule on the result's type that a list or tuple breaks, ``right``: whether its values are."""
    lead = "the values are right, but " if right else ""
    return (f"{lead}{ex.function_name} should return a NumPy array (numpy.ndarray); "
            f"it returns a {type(got).__name__}. Return np.asarray(...) of your result.")


def _values_in_container(ex: Exercise, check: Check, got: Any, reveal: str) -> tuple[np.ndarray, Mismatch] | None:
    """A list or tuple of numbers where an array is asked for, with wrong values: (its values as an array,
    how they differ from the right ones), so that the values are judged, and named, as an array's would be.
    None when ``got`` is no such container (ragged, not numbers) or its values are right."""
    expected = check.expected
    if not isinstance(got, (list, tuple)) or not isinstance(expected, np.ndarray) or expected.dtype.kind == "c":
        return None
    try:
        values = np.asarray(got)
    except (ValueError, TypeError):
        return None
    if values.dtype.kind not in "biuf":
        return None
    mismatch = compare(expected, values, returns="any", tol=ex.tolerance, reveal=reveal)
    return None if mismatch is None else (values, mismatch)


def _not_own(call_text: str, wanted: str, case: ErrorCase, raised) -> str:
    """A bad-input check met by accident: the exception came from a library, not from a ``raise`` of the learner."""
    origin = getattr(raised, "origin", "") or ""
    source = f"from inside {origin}" if origin else "from a library your code called"
    quoted = f" ({raised.message!r})" if raised.message else ""
    at = f", at {raised.where}" if raised.where else ""
    return (
        f"{call_text} should raise {wanted}. A {raised.type_name} was raised, but not by your code: it came {source}{quoted}{at}, by accident. "
        f"Check the input at the start of your function and raise {case.raises[0]} yourself, with a message that says what is wrong."
    )


# --------------------------------------------------------------------------- dependencies

def _calls(cells, function: str, target: str) -> bool:
    """Does the learner's ``function`` (its last definition) call ``target``, directly or through its helpers?"""
    defs: dict[str, ast.AST] = {}
    for cell in cells:
        for node in cell.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = node
    seen: set[str] = set()
    todo = [function]
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        for sub in ast.walk(defs[name]):
            if isinstance(sub, ast.Name) and sub.id == target and sub is not defs[name]:
                return True
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                todo.append(sub.id)
    return False


def _values_right(result: ExerciseResult) -> bool:
    """Right on every worked example and hidden check (whatever its bad-input checks say)."""
    kinds = [result.breakdown[k] for k in ("examples", "hidden") if k in result.breakdown]
    return bool(kinds) and all(k["passed"] == k["total"] for k in kinds)


def _blame_dependencies(prepared: Prepared, result: ExerciseResult, cells, earlier: Mapping[str, ExerciseResult]) -> ExerciseResult:
    """``conv1d_mode calls your conv1d, which fails: fix conv1d first`` instead of the whole message again."""
    ex = prepared.exercise
    failing = []
    for used in ex.uses:
        other = earlier.get(used)
        if other is None or other.status == PASSED:
            continue
        if _values_right(other) and not _values_right(result):
            continue  # it only misses a rule about bad input: wrong values here are this exercise's own
        function = getattr(other, "function", "") or used
        if any(_calls(cells, own, function) for own in called_functions(prepared)):
            failing.append(function)
    if not failing:
        return result
    names = " and ".join(failing)
    which = "which fails" if len(failing) == 1 else "which fail"
    first = failing[0] if len(failing) == 1 else "them"
    lead = summary(result.breakdown)
    lines = [l for l in result.feedback.splitlines() if l.strip()]
    if lead and lines and lines[0].startswith(lead):
        lead = lines.pop(0)  # the summary, with what it adds (a whole kind of input wrong)
    text = f"{ex.function_name} calls your {names}, {which}: fix {first} first (its own check says what is wrong), then check {ex.function_name} again."
    feedback = "\n".join([text] + ([lead] if lead else []) + ([f"The first check that fails here: {lines[0]}"] if lines else []))
    return ExerciseResult(ex.id, result.status, feedback, None, result.checks_passed, result.checks_total, result.fraction, result.breakdown)


def _modified(case: Case | ErrorCase, outcome: Outcome, names: tuple[str, ...], sealed: bool = False) -> str:
    """Which argument the call changed in place, and where (empty when none); ``sealed``: not where (a graded hidden input)."""
    if outcome.args_after is None:
        return ""
    for i, (before, after) in enumerate(zip(case.args, outcome.args_after)):
        if isinstance(before, (np.ndarray, list)):
            label = names[i] if i < len(names) else f"argument {i + 1}"
            if isinstance(before, list):
                numeric = _numeric_array(before)
                if numeric is None:
                    # Ragged or non-numeric (a list of layer tuples): decoded data compares plainly.
                    if _plain(before) != _plain(after):
                        return f"the call changed {label} in place"
                    continue
                before = numeric
            mismatch = compare(before, after, returns="any", tol=_EXACT, reveal="partial", what=label)
            if mismatch is not None:
                if sealed:
                    return f"the call changed {label} in place"
                where = mismatch.detail.splitlines()[-1].strip().replace("expected", "was").replace("got", "is now")
                return f"the call changed {label} in place ({where})"
    return ""


def _numeric_array(value: list) -> np.ndarray | None:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def _plain(value: Any) -> Any:
    """Tuples and lists alike, arrays as lists: what the codec may turn one into."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Exact:
    rtol = 0.0
    atol = 0.0

    @staticmethod
    def describe() -> str:
        return "exactly"


_EXACT: Any = _Exact()


def _evaluate_values(prepared: Prepared, infos: dict[str, NameInfo], caller: Caller) -> ExerciseResult:
    """Value exercises: every property (judge) and every named value is checked; each right one counts."""
    ex = prepared.exercise
    got = {name: infos[name].value for name in ex.names}
    if all(value is None for value in got.values()):  # the released stub: `name = None  # your answer`
        which = f"{ex.names[0]} is" if len(ex.names) == 1 else f"{', '.join(ex.names[:-1])} and {ex.names[-1]} are"
        return ExerciseResult(ex.id, NOT_IMPLEMENTED, f"{which} still None: replace None by your answer, then run the cell.", "not-implemented",
                              0, len(ex.names), 0.0, {"values": {"passed": 0, "total": len(ex.names)}})
    if ex.on_paper:
        computed = computed_answers(caller.sources(), ex.names)
        if computed:
            return not_on_paper(ex, computed)
    checks = [c for c in prepared.checks if isinstance(c.case, Case)]
    compared = [name for name in ex.names if name in ex.values]  # the others have no single right value: their checks judge them
    total = len(checks) + len(compared)
    problems: list[str] = []
    named: str | None = None
    judged_ok = 0
    caps: list[float] = []
    for check in checks:
        try:
            problem = check.case.judge(got) if check.case.judge is not None else None
        except Exception as exc:  # a judge meeting an answer it did not foresee: the answer is wrong, not the grader
            problem = f"{', '.join(ex.names)}: this answer could not be checked ({type(exc).__name__}: {exc})"
        if problem:
            problems.append(f"{problem}{_label(check)}")
            if check.case.cap is not None:
                caps.append(check.case.cap)
        else:
            judged_ok += 1
    values_ok = 0
    for name in compared:
        mismatch = compare_answer(ex.values[name], got[name], tol=ex.tolerance, reveal="none", what=name)
        if mismatch is None:
            values_ok += 1
            continue
        text = mismatch.detail
        for misconception in ex.misconceptions:
            if _value_misconception(misconception, name, got, ex):
                told = any(f"[{misconception.id}]:" in p for p in problems)  # its hint once, under the first value it explains
                text += f"\nThis looks like [{misconception.id}] too." if told else f"\nThis looks like [{misconception.id}]: {misconception.hint}"
                named = named or misconception.id
                break
        problems.append(text)
    done = judged_ok + values_ok
    breakdown = {"values": {"passed": done, "total": total}}
    if not problems:
        right = f"{ex.names[0]} is right" if len(ex.names) == 1 else f"all {len(ex.names)} values right"
        if checks:
            right += f", and {'the property' if len(checks) == 1 else f'all {len(checks)} properties'} checked hold{'s' * (len(checks) == 1)}"
        right += "."
        return ExerciseResult(ex.id, PASSED, right, None, total, total, 1.0, breakdown)
    lead = ""
    if total > 1:
        if len(compared) == 1 and len(ex.names) > 1:  # the others are judged by their checks alone: name the one compared
            parts = [f"{compared[0]} is {'right' if values_ok else 'not right'}"]
        else:
            parts = [f"{counted(values_ok, len(compared), 'values')} right"] if compared else []
        if checks:
            parts.append(f"{judged_ok} of {len(checks)} propert{'y' if len(checks) == 1 else 'ies'} hold{'s' * (judged_ok == 1)}")
        lead = "; ".join(parts)
        lead = lead[0].upper() + lead[1:] + "."
    feedback = "\n".join(([lead] if lead else []) + problems)
    fraction = min([credit(breakdown, prepared.weights), *caps])  # a failed check with a cap: at most that share
    return ExerciseResult(ex.id, FAILED, feedback, named, done, total, fraction, breakdown)


def _value_misconception(misconception, name: str, got: dict[str, Any], ex: Exercise) -> bool:
    """Does a value misconception explain the wrong value under ``name``?

    ``wrong()`` returns the wrong values as a dict (or a list of such dicts: alternatives, as for a
    student's own numbers); ``detect(None, got)`` receives every value the learner gave, by name.
    """
    try:
        if misconception.detect is not None and misconception.detect(None, got):
            return True
        wrong = misconception.wrong() if misconception.wrong is not None else {}
        alternatives = wrong if isinstance(wrong, list) else [wrong]
        return any(name in w and compare_answer(w[name], got[name], tol=ex.tolerance) is None for w in alternatives)
    except Exception:  # a detector that cannot read this value does not apply
        return False


def compare_answer(expected: Any, got: Any, *, tol, reveal: str = "full", what: str = "the result") -> Mismatch | None:
    """:func:`compare` for a value exercise's answer, which a learner kit holds sealed (it compares itself)."""
    if hasattr(expected, "compare_answer"):
        return expected.compare_answer(got, tol=tol, reveal=reveal, what=what)
    return compare(expected, got, returns="any", tol=tol, reveal=reveal, what=what)


