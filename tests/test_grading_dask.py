"""The Dask path grades the class of tests/test_grading.py to the same gradebook as the local path.

A real :class:`distributed.LocalCluster` (two single-threaded worker
processes, with Dask's default daemonic workers) receives the same
per-submission work; the client writes the results.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.frontends.grading import grade_class

from conftest import personal_notebook
from test_grading import ASSIGNMENT, SEED, build_class, check_expectations, fast_course

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local


def test_dask_cluster_gives_the_local_gradebook(tmp_path, course, cluster):
    course = fast_course(course)
    submissions = tmp_path / "submitted"
    expected = build_class(submissions, course)
    local = grade_class(submissions, ASSIGNMENT, tmp_path / "local", course=course, workers=2, seed=SEED)
    remote = grade_class(submissions, ASSIGNMENT, tmp_path / "dask", course=course, scheduler=cluster.scheduler_address, seed=SEED)
    check_expectations(remote.reports, expected)
    assert remote.reports == local.reports
    assert sorted(remote.graded) == sorted(expected)
    assert (tmp_path / "dask" / "gradebook.csv").read_bytes() == (tmp_path / "local" / "gradebook.csv").read_bytes()
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    # the worker processes did the grading: they hold the right answers prepared for the students'
    # own seeds (each drawn from this batch's seed and the student's id)
    from autograder.engine.seeds import student_seed

    ours = {student_seed(SEED, student) for student in expected}
    with distributed.Client(cluster) as client:
        seeds = client.run(_prepared_seeds)
    assert len(seeds) == 2 and all(set(found) & ours for found in seeds.values()), seeds


def _prepared_seeds() -> list[int]:
    from autograder.frontends.grading import work

    return sorted(key[1] for key in work._PREPARED)  # key: (assignment, seed, weights, graded)


def test_dask_rerun_resumes(tmp_path, course, cluster):
    submissions = tmp_path / "flat"
    submissions.mkdir()
    for student in ("ann", "ben"):
        personal_notebook(course, ASSIGNMENT, student, submissions / f"{student}.ipynb")
    first = grade_class(submissions, ASSIGNMENT, tmp_path / "out", course=course, scheduler=cluster.scheduler_address, seed=SEED)
    (tmp_path / "out" / "reports" / "ben.json").unlink()
    second = grade_class(submissions, ASSIGNMENT, tmp_path / "out", course=course, scheduler=cluster.scheduler_address)
    assert second.graded == ["ben"] and second.skipped == ["ann"]
    assert second.reports == first.reports


def test_cli_scheduler_local(tmp_path, course):
    submissions = tmp_path / "flat"
    submissions.mkdir()
    for student in ("ann", "ben", "cid"):
        personal_notebook(course, ASSIGNMENT, student, submissions / f"{student}.ipynb")
    done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.path), "grade", str(submissions), "-a", ASSIGNMENT,
                           "--scheduler", "local", "--workers", "2", "--json", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    total = course.assignment(ASSIGNMENT).max_score
    assert [(r["student"], r["score"]) for r in json.loads(done.stdout)] == [("ann", total), ("ben", total), ("cid", total)]
