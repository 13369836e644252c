"""How the engine times a timed check (``Case.timed``): three calls, the ``again`` ones on their own
inputs, and the judge gets the fastest.  Processor times count only when every call had one (the
sandbox reads it from the kernel and refuses when the learner had another process); otherwise the
grader's wall-clock times of all the calls do, never a mix of the two."""
from __future__ import annotations

import time

from autograder.engine.calls import TIMED_REPEATS
from autograder.engine.evaluate import evaluate, prepare
from autograder.engine.spec import Case, Exercise
from autograder.frontends.inline import InProcessCaller

SEEN: list = []


def _judge(got, seconds=None, processor=False, again=(), **_values):
    SEEN.append((seconds, processor, list(again)))
    return None


EXERCISE = Exercise(
    id="fast", assignment="00-test", kind="function", names=("f",), title="t", reference=None, returns="any",
    visible=(Case((1,), timed=True, again=(((2,), {}), ((3,), {})), judge=_judge, label="timed"),),
)


class _Timed(InProcessCaller):
    """The notebook's caller, with the processor reading of each timed call scripted (None: untrusted)."""

    def __init__(self, namespace, readings):
        super().__init__(namespace)
        self.readings, self.args = list(readings), []

    def call(self, name, calls, *, timeout, forbidden, timed=False):
        self.args.append(calls[0].args)
        got = super().call(name, calls, timeout=timeout, forbidden=forbidden)
        reading = self.readings.pop(0)
        got[0].seconds, got[0].processor = (reading, True) if reading is not None else (0.0, False)
        return got


def _grade(readings):
    SEEN.clear()

    def f(x):
        time.sleep(0.02)  # 20 ms of wall clock, next to no processor time
        return x

    caller = _Timed({"f": f}, readings)
    result = evaluate(prepare(EXERCISE, seed=0), caller, timeout=10)
    assert result.status == "passed", result.feedback
    return caller, SEEN[0]


def test_the_fastest_processor_time_when_every_call_had_one():
    caller, (seconds, processor, again) = _grade([0.005, 0.003, 0.004])
    assert TIMED_REPEATS == 3 and caller.args == [(1,), (2,), (3,)]  # the again calls on their own inputs
    assert (seconds, processor, again) == (0.003, True, [2, 3])


def test_wall_clock_times_when_one_call_had_no_processor_time():
    _, (seconds, processor, again) = _grade([0.005, None, 0.004])
    assert processor is False and seconds >= 0.02, seconds  # the slept wall clock, not a processor reading
    assert again == [2, 3]


def test_a_caller_without_processor_time_is_timed_by_the_wall_clock():
    SEEN.clear()

    class Plain(InProcessCaller):
        times_processor = False

    result = evaluate(prepare(EXERCISE, seed=0), Plain({"f": lambda x: (time.sleep(0.02), x)[1]}), timeout=10)
    assert result.status == "passed" and SEEN[0][1] is False and SEEN[0][0] >= 0.02, SEEN

