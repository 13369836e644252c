"""A grader killed with SIGKILL mid-batch and run again gives the same gradebook.

`autograder grade` runs as a subprocess on the class of tests/test_grading.py;
once a few reports are written it is killed with SIGKILL (no cleanup of any
kind), then the same command is run again.  Its gradebook, reports,
feedback and class report must be byte for byte those of an uninterrupted
run with the same seed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.frontends.grading import grade_class

from test_grading import ASSIGNMENT, SEED, build_class, check_expectations

pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _command(course, submissions: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "--course", str(course.path), "grade", str(submissions),
            "--assignment", ASSIGNMENT, "--output", str(output), "--workers", "2", *extra]


def test_sigkill_then_rerun_gives_the_uninterrupted_gradebook(tmp_path, course):
    submissions = tmp_path / "submitted"
    expected = build_class(submissions, course)
    assert len(expected) >= 20

    reference = tmp_path / "reference"
    grade_class(submissions, ASSIGNMENT, reference, course=course, workers=2, seed=SEED)
    from autograder.frontends.reports.classreport import write_report

    write_report([reference], course=course)  # the command writes the class report too: it must come out the same

    output = tmp_path / "killed"
    process = subprocess.Popen(_command(course, submissions, output, "--seed", str(SEED)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((output / "reports").glob("*.json"))) >= 3:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the batch ended before it could be killed: " + process.stderr.read().decode()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    process.stderr.close()
    written = len(list((output / "reports").glob("*.json")))
    assert 3 <= written < len(expected), written

    # The rerun takes the seed stored in the output folder (no --seed).
    again = subprocess.run(_command(course, submissions, output), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"resumed {written}" in again.stdout, again.stdout

    assert (output / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    assert _files(output) == _files(reference)

    import json

    reports = {p.stem: json.loads(p.read_text()) for p in (output / "reports").glob("*.json")}
    check_expectations(reports, expected)
