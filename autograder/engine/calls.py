"""How a prepared exercise's calls reach the learner's code: grouped by function, a timed check alone
and repeated, a check's follow-up call (``Case.then``) on part of its result."""
from __future__ import annotations

import time

from .outcome import Call, Caller, Outcome
from .prepare import Prepared


#: How many times a timed check's call is made (the first call and its ``again`` calls, or the same call
#: repeated); the judge gets the fastest.
TIMED_REPEATS = 3


def run_calls(prepared: Prepared, caller: Caller, timeout: float) -> list[Outcome]:
    """Every check's call, in order, within ``timeout`` for them all.

    Consecutive checks of one function go to the learner's process together; a timed check (a speed
    check) goes alone, :data:`TIMED_REPEATS` times (its ``again`` calls after the first, or the same call
    again), and its judge gets the fastest.  A caller that times a call by the processor time of the
    learner's process (``times_processor``: the sandbox, see
    :meth:`autograder.sandbox.session.Session.call`, and the notebook's own kernel) gives that time, which the machine's other work
    barely changes; otherwise (or when that reading cannot be trusted) the call's time is measured
    here, by the grader's clock, whatever the learner's process reports (the time of passing the data
    both ways included).  A call that does not finish (a timeout, a crash) ends the run: later checks
    get no answer.
    """
    ex = prepared.exercise
    checks = prepared.checks
    outputs = tuple(f.name for f in ex.output_files)
    processor = bool(getattr(caller, "times_processor", False))
    deadline = time.monotonic() + timeout
    outcomes: list[Outcome] = []
    start = 0
    while start < len(checks):
        name = checks[start].case.function or ex.function_name
        timed = checks[start].case.timed
        end = start + 1
        if not timed:
            while end < len(checks) and (checks[end].case.function or ex.function_name) == name and not checks[end].case.timed:
                end += 1
        calls = [Call(c.case.args, c.case.kwargs, c.case.files, outputs) for c in checks[start:end]]
        left = deadline - time.monotonic()
        if left <= 0:
            outcomes.append(Outcome(timed_out=True))
            break
        if timed:
            got, walls = _timed_call(caller, name, calls, left, ex.forbidden, processor)
        else:
            got = caller.call(name, calls, timeout=left, forbidden=ex.forbidden)
        if timed and got and not got[0].timed_out and not got[0].crashed:
            again = getattr(checks[start].case, "again", ()) or ()
            times = [got[0].seconds] if got[0].processor else []
            for n in range(TIMED_REPEATS - 1):
                left = deadline - time.monotonic()
                more = [Call(*again[n], checks[start].case.files, outputs)] if n < len(again) else calls
                repeat, wall = _timed_call(caller, name, more, left, ex.forbidden, processor) if left > 0 else ([], [])
                if len(repeat) != 1 or repeat[0].timed_out or repeat[0].crashed or repeat[0].raised is not None:
                    break
                walls += wall
                if repeat[0].processor:
                    times.append(repeat[0].seconds)
                if n < len(again):
                    got[0].again.append(repeat[0].value)
            # processor times when every call had one; else the wall-clock times of them all
            got[0].processor = len(times) == len(walls)
            got[0].seconds = min(times if got[0].processor else walls)
        for check, outcome in zip(checks[start:end], got):
            if getattr(check.case, "then", None) and not (outcome.timed_out or outcome.crashed):
                _then(check.case.then, outcome, caller, deadline, ex.forbidden)
        if len(got) > len(calls):  # answers to calls never made: kept past the last check, where _judge_all looks
            return outcomes + got[:len(calls)] + [Outcome()] * (len(checks) - end) + got[len(calls):]
        outcomes += got
        if len(got) < len(calls) or any(o.timed_out or o.crashed for o in got):
            break
        start = end
    return outcomes


def _timed_call(caller: Caller, name: str, calls: list, left: float, forbidden: tuple[str, ...],
                processor: bool) -> tuple[list[Outcome], list[float]]:
    """One timed call and the grader's wall-clock time of it (in a list, for the repeats to join); the
    first outcome's ``seconds`` are the learner's processor time where the caller could read it
    (``processor`` set on it)."""
    started = time.perf_counter()
    if processor:
        got = caller.call(name, calls, timeout=left, forbidden=forbidden, timed=True)
    else:
        got = caller.call(name, calls, timeout=left, forbidden=forbidden)
    return got, [time.perf_counter() - started]


def _then(then: tuple, outcome: Outcome, caller: Caller, deadline: float, forbidden: tuple[str, ...]) -> None:
    """A check's follow-up call (``Case.then``) on one part of its result: its value goes to ``outcome.then``."""
    name, part, args = then
    value = outcome.value
    if outcome.raised is not None or not isinstance(value, (tuple, list)) or len(value) <= part:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        return
    answer = caller.call(name, [Call((value[part], *args))], timeout=left, forbidden=forbidden)
    if len(answer) == 1 and not answer[0].timed_out and not answer[0].crashed and answer[0].raised is None:
        outcome.then = answer[0].value
