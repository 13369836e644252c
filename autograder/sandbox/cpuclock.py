"""The processor time a learner's process spends on a call, read by the grader from the kernel.

A speed check that compares wall-clock times grades the machine as much as the code: on a
grading machine whose cores are busy with other students (or with the grader's own threads,
which hold the GIL while they decode results or time the loop version), a fast call can
take seven times as long as it does on a quiet machine, and the same notebook passes or
fails from one run to the next.  The processor time of the learner's process does not grow
with the machine's load, so the grader times a timed call by that clock instead, read from
outside through the kernel (``clock_gettime`` on the process's CPU clock), never from
anything the learner's process says.

That clock counts every thread of the process, ended ones included, but not other
processes.  It stands for the learner's work only when no other process of the learner
can have worked during the call: the learner's process is the first process of its own
PID namespace (every process it starts, and every orphan of those, stays below it), and,
before and after the call, it has no process below it (alive or unreaped) and its
account of reaped children has not grown.  Otherwise :func:`between` returns None and the
caller falls back to the wall clock.
"""
from __future__ import annotations

import os
import time
from typing import NamedTuple

_CPUCLOCK_SCHED = 2  # Linux: the process-wide CPU clock of a pid, (~pid << 3) | 2


class Reading(NamedTuple):
    """One reading of a learner's process: its CPU clock, its reaped children's time, what is below it."""

    pid: int
    clock: float
    reaped: int
    below: frozenset


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name may hold spaces and parentheses: the fields start after its last ')'
    return data[data.rfind(")") + 2:].split()


def _parents() -> dict[int, int]:
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = int(fields[1])
    return table


def _namespace_init(pid: int) -> bool:
    """Whether ``pid`` is process 1 of a PID namespace of its own (the kernel's NSpid line)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    ids = line.split()[1:]
                    return len(ids) >= 2 and ids[-1] == "1"
    except OSError:
        pass
    return False


def learner_process(started: int) -> int | None:
    """The learner's process of a sandbox started as ``started``: its child that is process 1 of a
    PID namespace of its own, or None when there is none (then no reading can be trusted)."""
    children = [pid for pid, parent in _parents().items() if parent == started]
    return children[0] if len(children) == 1 and _namespace_init(children[0]) else None


def _below(pid: int, table: dict[int, int]) -> frozenset:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in table.items():
            if its_parent == parent and child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def read(pid: int | None) -> Reading | None:
    """The process's CPU clock, its reaped children's time (clock ticks) and the processes below it."""
    if pid is None:
        return None
    try:
        clock = time.clock_gettime(((~pid) << 3) | _CPUCLOCK_SCHED)
    except OSError:
        return None
    fields = _stat(pid)
    if fields is None:
        return None
    return Reading(pid, clock, int(fields[13]) + int(fields[14]), _below(pid, _parents()))


def between(before: Reading | None, after: Reading | None) -> float | None:
    """The learner's processor seconds from ``before`` to ``after``, or None when they may not be all of
    its work (another process of the learner existed, or one was reaped in between)."""
    if before is None or after is None or before.pid != after.pid:
        return None
    if before.below or after.below or before.reaped != after.reaped:
        return None
    return max(0.0, after.clock - before.clock)
