"""Progress of a batch when stderr is not a terminal (CI, a cluster job): plain lines, counts and the ETA."""
from __future__ import annotations

import io
import re

from autograder.frontends.grading.progress import Progress, default_every


def _report(*statuses: str) -> dict:
    return {"exercises": [{"status": s} for s in statuses]}


def test_one_plain_line_per_few_submissions_with_counts_and_eta():
    log = io.StringIO()
    progress = Progress(40, True, stream=log, tty=False)
    for n in range(40):
        progress.update(_report("passed", "error" if n % 10 == 0 else "passed", "timeout" if n == 3 else "passed", "forbidden" if n < 2 else "passed"))
    progress.close()
    lines = log.getvalue().splitlines()
    assert default_every(40) == 4 and len(lines) == 10
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    pattern = re.compile(r"^autograder: graded (\d+)/40 \(\d+\.\d%\): (\d+) with errors, (\d+) timed out, (\d+) forbidden; [\d.]+/s, ETA \d+:\d\d:\d\d$")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[-1].startswith("autograder: graded 40/40 (100.0%): 4 with errors, 1 timed out, 2 forbidden;")
    assert lines[-1].endswith("ETA 0:00:00")


def test_the_last_line_is_written_on_close_and_nothing_when_disabled():
    log = io.StringIO()
    progress = Progress(7, True, stream=log, tty=False, every=5)
    for _ in range(6):
        progress.update(_report("passed"))
    progress.close()  # interrupted after 6: the line says so
    assert [line.split(" (")[0] for line in log.getvalue().splitlines()] == ["autograder: graded 5/7", "autograder: graded 6/7"]
    quiet = io.StringIO()
    progress = Progress(3, False, stream=quiet, tty=False)
    for _ in range(3):
        progress.update(_report("error"))
    progress.close()
    assert quiet.getvalue() == "" and progress.counts["error"] == 3


def test_a_closed_log_does_not_stop_grading():
    log = io.StringIO()
    progress = Progress(2, True, stream=log, tty=False, every=1)
    log.close()
    progress.update(_report("passed"))
    progress.update(_report("passed"))
    progress.close()
    assert progress.done == 2
