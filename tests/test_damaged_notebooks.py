"""Damaged notebooks are graded by what the learner defined, never by cell position.

Every case starts from the 01-conv1d solution and breaks it the way real
submissions come back: cells retyped, deleted, duplicated, reordered, grade ids
duplicated, metadata stripped, an empty notebook, a file that is not JSON or
not a notebook, an old nbformat.  Each gets clear statuses and messages, and
whatever the learner did define is still graded.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from autograder.pipeline import check_notebook
from autograder.sandbox.session import Limits

from conftest import solution_path

ASSIGNMENT = "01-conv1d"
ALL = ("by_hand_full", "conv1d", "conv1d_mode", "output_length")
FAST = Limits(exercise_timeout=3, submission_timeout=60)


def _solution(course) -> dict:
    return json.loads(solution_path(course, ASSIGNMENT).read_text(encoding="utf-8"))


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def _index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if _grade_id(c) == grade_id)


def _grade(course, prepared, tmp_path: Path, nb_or_text, name="damaged.ipynb") -> dict:
    path = tmp_path / name
    if isinstance(nb_or_text, (str, bytes)):
        path.write_bytes(nb_or_text if isinstance(nb_or_text, bytes) else nb_or_text.encode())
    else:
        path.write_text(json.dumps(nb_or_text), encoding="utf-8")
    report = check_notebook(path, course=course, assignment=ASSIGNMENT, prepared=prepared(ASSIGNMENT), limits=FAST)
    data = json.loads(json.dumps(report.to_dict()))
    for entry in data["exercises"]:
        assert entry["feedback"].strip() and "Traceback" not in entry["feedback"], entry
    return {e["id"]: e for e in data["exercises"]}


def _statuses(by_id: dict) -> dict[str, str]:
    return {k: v["status"] for k, v in by_id.items()}


# -- cell types ------------------------------------------------------------------------
@pytest.mark.parametrize("cell_type", ["markdown", "raw"])
def test_answer_cell_turned_into_another_type_is_still_run(cell_type, course, prepared, tmp_path):
    nb = _solution(course)
    cell = nb["cells"][_index(nb, "conv1d")]
    cell["cell_type"] = cell_type
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


def test_retyped_answer_cell_without_metadata_is_missing_with_advice(course, prepared, tmp_path):
    nb = _solution(course)
    cell = nb["cells"][_index(nb, "output_length")]
    cell["cell_type"] = "markdown"
    cell["metadata"] = {}
    for key in ("outputs", "execution_count"):
        cell.pop(key, None)
    by_id = _grade(course, prepared, tmp_path, nb)
    assert _statuses(by_id) == {"by_hand_full": "passed", "conv1d": "passed", "conv1d_mode": "passed", "output_length": "missing"}
    assert "output_length is not defined" in by_id["output_length"]["feedback"] and "code cell" in by_id["output_length"]["feedback"]


# -- deleted, duplicated, reordered ----------------------------------------------------
def test_deleted_answer_cell(course, prepared, tmp_path):
    nb = _solution(course)
    del nb["cells"][_index(nb, "conv1d_mode")]
    by_id = _grade(course, prepared, tmp_path, nb)
    assert _statuses(by_id) == {"by_hand_full": "passed", "conv1d": "passed", "conv1d_mode": "missing", "output_length": "passed"}


def test_deleted_test_cells_change_nothing(course, prepared, tmp_path):
    nb = _solution(course)
    nb["cells"] = [c for c in nb["cells"] if not (_grade_id(c) or "").startswith("check_")]
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


def test_deleted_setup_cell_gives_a_clear_error(course, prepared, tmp_path):
    nb = _solution(course)
    del nb["cells"][_index(nb, "setup")]
    by_id = _grade(course, prepared, tmp_path, nb)
    assert by_id["by_hand_full"]["status"] == "passed"
    for exercise_id in ("conv1d", "conv1d_mode"):
        assert by_id[exercise_id]["status"] == "error"
        assert "NameError" in by_id[exercise_id]["feedback"] and "'np'" in by_id[exercise_id]["feedback"]


def test_duplicated_cells(course, prepared, tmp_path):
    nb = _solution(course)
    doubled = []
    for cell in nb["cells"]:
        doubled += [cell, copy.deepcopy(cell)]
    nb["cells"] = doubled
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


@pytest.mark.parametrize("order", ["reversed", "answers-first", "tests-first"])
def test_reordered_cells(order, course, prepared, tmp_path):
    nb = _solution(course)
    cells = nb["cells"]
    if order == "reversed":
        cells = cells[::-1]
    elif order == "answers-first":
        cells = sorted(cells, key=lambda c: 0 if _grade_id(c) in ALL else 1)
    else:
        cells = sorted(cells, key=lambda c: 0 if (_grade_id(c) or "").startswith("check_") else 1)
    nb["cells"] = cells
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


# -- grade ids and metadata ------------------------------------------------------------
def test_duplicated_grade_ids_the_last_definition_counts(course, prepared, tmp_path):
    nb = _solution(course)
    where = _index(nb, "output_length")
    wrong = copy.deepcopy(nb["cells"][where])
    wrong["source"] = 'def output_length(n, k, mode="full"):\n    return n + k\n'
    # a wrong draft before the right answer: the right one is defined last and counts
    nb["cells"].insert(where, copy.deepcopy(wrong))
    # and a test cell whose grade id is also "output_length"
    test_cell = copy.deepcopy(nb["cells"][_index(nb, "check_output_length")])
    test_cell["metadata"]["nbgrader"]["grade_id"] = "output_length"
    nb["cells"].append(test_cell)
    assert _statuses(_grade(course, prepared, tmp_path, nb))["output_length"] == "passed"
    # the wrong draft after the right answer: it is what the learner left defined
    nb["cells"].append(wrong)
    by_id = _grade(course, prepared, tmp_path, nb, "later.ipynb")
    assert by_id["output_length"]["status"] == "failed"
    assert "output_length(2, 4, 'full')" in by_id["output_length"]["feedback"]


def test_all_metadata_stripped(course, prepared, tmp_path):
    nb = _solution(course)
    nb["metadata"] = {}
    for cell in nb["cells"]:
        cell["metadata"] = {}
    # test cells are recognised by their content, answer cells by the names they define
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


def test_hidden_tests_pasted_into_a_code_cell_are_not_run(course, prepared, tmp_path):
    nb = _solution(course)
    test_cell = copy.deepcopy(nb["cells"][_index(nb, "check_conv1d")])
    test_cell["metadata"] = {}
    nb["cells"].insert(_index(nb, "conv1d") + 1, test_cell)
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}


# -- not really notebooks --------------------------------------------------------------
def test_empty_notebook(course, prepared, tmp_path):
    nb = nbformat.v4.new_notebook()
    by_id = _grade(course, prepared, tmp_path, json.loads(nbformat.writes(nb)))
    assert set(_statuses(by_id).values()) == {"missing"}


@pytest.mark.parametrize("content,reason", [
    (b"", "not valid notebook JSON"),
    (b"this is not json {", "not valid notebook JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "cannot read"),
    (b"[1, 2, 3]", "nbformat"),
    (b'{"cells": "nope", "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "nbformat"),
    (b'{"nbformat": 99, "nbformat_minor": 0, "cells": [], "metadata": {}}', "nbformat"),
])
def test_files_that_are_not_notebooks(content, reason, course, prepared, tmp_path):
    by_id = _grade(course, prepared, tmp_path, content)
    for entry in by_id.values():
        assert entry["status"] == "error" and entry["score"] == 0
        assert "could not be read" in entry["feedback"] and reason in entry["feedback"], entry["feedback"]


def test_nbformat_v3(course, prepared, tmp_path):
    nb = nbformat.read(solution_path(course, ASSIGNMENT), as_version=4)
    old = nbformat.convert(nb, 3)
    text = nbformat.writes(old, version=3)
    assert json.loads(text)["nbformat"] == 3
    assert set(_statuses(_grade(course, prepared, tmp_path, text)).values()) == {"passed"}


def test_cells_with_odd_sources(course, prepared, tmp_path):
    nb = _solution(course)
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "source": None, "outputs": [], "execution_count": None})
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {"nbgrader": "garbage"}, "source": ["x = ", "1\n"], "outputs": [], "execution_count": None})
    nb["cells"].insert(0, {"cell_type": "unknown", "metadata": {}, "source": "y = 2"})
    assert set(_statuses(_grade(course, prepared, tmp_path, nb)).values()) == {"passed"}
