"""Every solution notebook runs top to bottom in a fresh Jupyter kernel, offline.

A learner (and nbgrader) runs the whole notebook, demonstrations and plots
included, not only the graded functions; an error in any cell is a bug in
the course.
"""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import load_course

from conftest import ROOT, solution_path

COURSE = load_course(ROOT / "course.yml")


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", [a.id for a in COURSE.assignments])
def test_solution_runs_top_to_bottom_with_every_check_passing(assignment_id, tmp_path):
    source = solution_path(COURSE, assignment_id)
    for name in COURSE.assignment(assignment_id).files:  # the notebook's data files beside it
        shutil.copy(source.parent / name, tmp_path / name)
    nb = nbformat.read(source, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[0]
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "stream")
    checked = {ex for ex in COURSE.assignment(assignment_id).points if f"✓ {ex}:" in printed}
    assert checked == set(COURSE.assignment(assignment_id).points)
