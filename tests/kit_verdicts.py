"""Verdicts on notebooks from whichever ``autograder`` this interpreter imports, as JSON.

    python kit_verdicts.py JOBS.json

Run once by the instructor's interpreter and once by the learner kit's
(tests/test_kit_agreement.py), so that both installs judge the same
notebooks with their own exercises.  Each notebook's cells run in this
process, in a namespace of their own, as a kernel runs them, and every
exercise is evaluated as the notebook's ``check()`` evaluates it, with the
course's public seed and weights.  JOBS.json: ``{"course": PATH, "timeout":
SECONDS, "folder": PATH, "notebooks": [[ASSIGNMENT, PATH, EXERCISES], ...]}``;
the folder holds the assignments' data files and is the working folder;
EXERCISES (or null: all) are the exercises judged, each after those it uses.
"""
from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import sys


class _Demo:
    """``with demo():`` as the grader's sandbox runs it: a failure is dropped, and a block still running
    after DEMO_SECONDS is stopped (06's training demonstration would otherwise train the network in every
    notebook; only the checks' verdicts are compared here)."""

    DEMO_SECONDS = 0.3

    class Stopped(Exception):
        pass

    def __init__(self, *args, **kwargs):
        self.previous = None

    def __enter__(self):
        import signal

        def stop(signum, frame):
            raise _Demo.Stopped()

        self.previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, self.DEMO_SECONDS)
        return self

    def __exit__(self, etype, value, tb):
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return etype is not None and issubclass(etype, Exception)


def main(path: str) -> None:
    jobs = json.load(open(path))
    from autograder.course import load_course
    from autograder.engine.evaluate import evaluate, prepare
    from autograder.exercises import for_assignment
    from autograder.frontends.inline import InProcessCaller
    from autograder.notebook.load import load_program
    from autograder.pipeline import course_weights
    from autograder.report import Report

    course = load_course(jobs["course"], validate=False)
    os.chdir(jobs["folder"])
    prepared: dict = {}
    out = {}
    for assignment, notebook, wanted in jobs["notebooks"]:
        if assignment not in prepared:
            weights = course_weights(course, assignment)
            prepared[assignment] = {ex.id: prepare(ex, seed=course.seed, weights=weights) for ex in for_assignment(assignment)}
        namespace: dict = {"__name__": "__main__", "demo": _Demo}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for cell in load_program(notebook).cells:
                filename = f"<cell {cell.index}>"
                linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True), filename)
                try:
                    exec(compile(cell.code, filename, "exec"), namespace)  # trusted: the course's own notebooks
                except BaseException as exc:  # noqa: BLE001 - a failing cell does not stop "Run All"
                    sys.last_value = exc  # as IPython keeps it: check() tells an untouched stub by it
            caller = InProcessCaller(namespace)
            report = Report(notebook, assignment)
            results: dict = {}
            for exercise_id, prep in prepared[assignment].items():
                if wanted is not None and exercise_id not in wanted and not any(exercise_id in prepared[assignment][w].exercise.uses for w in wanted):
                    continue
                results[exercise_id] = evaluate(prep, caller, timeout=jobs["timeout"], earlier=results)
                if wanted is None or exercise_id in wanted:
                    report.add(results[exercise_id], course.assignment(assignment).points[exercise_id])
        out[notebook] = [[e.id, e.status, round(e.score, 6), e.misconception] for e in report.exercises]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
