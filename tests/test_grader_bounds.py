"""What a submission carries besides code: the grader's own work on it is bounded and fair.

Attacks (issue 16, classes 4 and 5), each next to honest work that must keep its marks:

- one cell of 4 MB of deeply nested brackets (the grader used to parse it ten
  times, holding the GIL and the parse lock for ~15 s a pass, so that honest
  students graded beside it timed out);
- 40,000 tiny cells (bookkeeping that grew faster than the notebook);
- answers of ~1 MB of JSON that decode into hundreds of thousands of Python
  objects (well inside the byte budget, ten times that in the grader's memory).

An honest student's report never depends on who else is in the batch: the
class is graded with two workers beside the pathological notebooks, and each
honest report equals the one of the same notebook graded alone.  Precise
figures (seconds, megabytes, growth with the number of cells) are printed by
benchmarks/pathological_batch.py; these tests hold only coarse bounds that a
loaded 2-core machine cannot break.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.course import CourseError, load_course
from autograder.frontends.grading import grade_class
from autograder.notebook.load import Bounds, NotebookError, load_program
from autograder.pipeline import check_notebook
from autograder.sandbox.session import Limits

from conftest import ROOT, personal_notebook, personal_plant, planted_notebook, solution_path
from planted import all_plants

ASSIGNMENT = "01-conv1d"
SEED = 161616
#: one cell of ~4 MB: 150 levels of brackets, over and over (what took ~15 s per parse)
NESTED = "x = [" + ",".join(["[" * 150 + "]" * 150] * 14_100) + "]\n"
MANY_CELLS = 40_000


def _nested_notebook(course, target: Path) -> Path:
    """The solution with the conv1d answer cell replaced by the 4 MB nested cell."""
    return planted_notebook(solution_path(course, ASSIGNMENT), target, {"conv1d": NESTED})


def _many_cells_notebook(course, target: Path, count: int = MANY_CELLS, source: Path | None = None) -> Path:
    """``source`` (the solution) followed by ``count`` tiny function cells (JSON written directly: nbformat validates for seconds)."""
    nb = json.loads((source or solution_path(course, ASSIGNMENT)).read_text(encoding="utf-8"))
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": f"def f_{i}(x):\n    return x + {i}\n"} for i in range(count)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


def _honest(course, folder: Path) -> dict[str, Path]:
    """Honest students: the solution twice and two planted misconceptions (reports worth comparing), each as
    its student hands it in (their id, their own numbers' answers, a plant's values for those numbers)."""
    plants = [p for a, p in all_plants() if a == ASSIGNMENT and p.status == "failed"][:2]
    students = {"honest-a": None, "honest-b": None, **{f"plant-{p.exercise}-{p.misconception}": p for p in plants}}
    paths = {}
    for student, plant in students.items():
        target = folder / student / ASSIGNMENT / "conv1d.ipynb"
        if plant is None:
            paths[student] = personal_notebook(course, ASSIGNMENT, student, target)
        else:
            paths[student] = personal_plant(course, ASSIGNMENT, student, plant, target)
    return paths


def _reports(output: Path) -> dict[str, dict]:
    return {d["student"]: d for d in (json.loads(p.read_text(encoding="utf-8")) for p in (output / "reports").glob("*.json"))}


# -- class 4: one student slows every other -------------------------------------------------
def test_pathological_notebooks_do_not_change_an_honest_report(course, tmp_path):
    """Two workers, honest students beside a 4 MB nested cell and a 40,000-cell notebook:
    every honest report equals the one graded alone; the pathological ones are told why."""
    alone, batch = tmp_path / "alone", tmp_path / "batch"
    honest = _honest(course, alone)
    _honest(course, batch)
    personal_notebook(course, ASSIGNMENT, "nested", batch / "nested" / ASSIGNMENT / "conv1d.ipynb", replacements={"conv1d": NESTED})
    _many_cells_notebook(course, batch / "many-cells" / ASSIGNMENT / "conv1d.ipynb",
                         source=personal_notebook(course, ASSIGNMENT, "many-cells", tmp_path / "many-cells.ipynb"))

    grade_class(alone, ASSIGNMENT, tmp_path / "out-alone", course=course, workers=1, seed=SEED)
    started = time.monotonic()
    grade_class(batch, ASSIGNMENT, tmp_path / "out-batch", course=course, workers=2, seed=SEED)
    seconds = time.monotonic() - started
    expected, got = _reports(tmp_path / "out-alone"), _reports(tmp_path / "out-batch")

    assert sorted(expected) == sorted(honest)
    for student in honest:
        assert got[student] == expected[student], student
    assert got["honest-a"]["score"] == got["honest-a"]["max_score"] > 0

    nested = {e["id"]: e for e in got["nested"]["exercises"]}
    assert nested["conv1d"]["score"] == 0 and nested["conv1d"]["status"] == "error"
    assert re.search(r"cell \d+ \(the cell that starts with `x = \[\[\[.*`\) holds 4\.\d MB of code; a cell may hold at most 64 KB",
                     nested["conv1d"]["feedback"]), nested["conv1d"]["feedback"]
    assert nested["conv1d"]["feedback"].count("holds 4.") == 1  # said once, not per place it is noticed
    assert nested["output_length"]["status"] == "passed"  # what it did supply is graded
    assert "grader_error" not in got["nested"]

    many = got["many-cells"]
    assert many["score"] == 0 and "grader_error" not in many
    for exercise in many["exercises"]:
        assert "has 40" in exercise["feedback"] and "a notebook may have at most 1000" in exercise["feedback"], exercise["feedback"]
    # coarse: the old grader spent minutes on these two notebooks alone
    assert seconds < 240, f"the batch took {seconds:.0f} s"


def test_a_huge_cell_is_refused_before_it_is_parsed(course, tmp_path):
    path = _nested_notebook(course, tmp_path / "nested.ipynb")
    started = time.monotonic()
    program = load_program(path)
    seconds = time.monotonic() - started
    assert seconds < 5, f"{seconds:.1f} s to read a notebook with a 4 MB cell (one parse of it takes ~10 s)"
    (refused,) = [c for c in program.cells if c.refused]
    assert refused.grade_id == "conv1d" and refused.tree is None
    assert "holds 4." in refused.refused and "at most 64 KB" in refused.refused
    assert all(c.tree is not None for c in program.cells if not c.refused)
    assert (refused.index, refused.code) not in program.sources()  # never sent to the sandbox


def test_nesting_depth_is_checked_before_parsing_and_honest_nesting_passes(course, tmp_path):
    deep = "y = " + "[" * 80 + "1" + "]" * 80 + "\n"
    honest = "def conv1d(x, h):\n    return [[[(x[i] * h[0], {'k': [i]})] for i in range(len(x))]]\n"
    path = planted_notebook(solution_path(course, ASSIGNMENT), tmp_path / "deep.ipynb", {"by_hand_full": deep, "conv1d": honest})
    cells = {c.grade_id: c for c in load_program(path).cells}
    assert "nests brackets 80 deep" in cells["by_hand_full"].refused and "at most 50" in cells["by_hand_full"].refused
    assert not cells["conv1d"].refused and cells["conv1d"].defines == ("conv1d",)
    # brackets inside strings and comments do not count against a cell
    text = "s = ')' * 3  # (((\nt = [[1, 2], [3, 4]]\n"
    assert Bounds().refusal(1, text, 0) == ""


def test_a_deep_expression_without_brackets_is_refused_not_a_grader_failure(course, tmp_path):
    """`1 + 1 + ... + 1` is as deep as it is long: the grader's own walks of the tree used to overflow Python's stack."""
    chain = "y_by_hand = " + " + ".join(["1"] * 1500) + "\n"
    path = planted_notebook(solution_path(course, ASSIGNMENT), tmp_path / "chain.ipynb", {"by_hand_full": chain})
    report = {e.id: e for e in check_notebook(path, course=course, assignment=ASSIGNMENT).exercises}
    assert report["by_hand_full"].status == "error" and report["by_hand_full"].score == 0
    assert "nests expressions 1502 levels deep" in report["by_hand_full"].feedback and "at most 200" in report["by_hand_full"].feedback
    assert all(report[e].status == "passed" for e in ("conv1d", "conv1d_mode", "output_length"))


def test_forty_thousand_cells_are_refused_quickly_in_little_memory(course, tmp_path):
    path = _many_cells_notebook(course, tmp_path / "many.ipynb")
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(NotebookError) as caught:
        load_program(path)
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert f"has {MANY_CELLS + len(nbformat.read(solution_path(course, ASSIGNMENT), as_version=4).cells)} cells" in str(caught.value)
    assert seconds < 10 and peak < 200, f"{seconds:.1f} s, {peak:.0f} MB"


def test_each_cell_is_parsed_once(course, monkeypatch):
    """Grading a notebook (static checks per exercise, on-paper answers, fork servers chosen by
    its imports) parses no cell beyond what reading it does, and reading parses each cell once."""
    parsed: list[str] = []
    real = ast.parse

    def counting(source, *args, **kwargs):
        if f"{os.sep}autograder{os.sep}" in sys._getframe(1).f_code.co_filename:  # not pytest's own imports
            parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    path = solution_path(course, ASSIGNMENT)
    report = check_notebook(path, course=course, assignment=ASSIGNMENT)
    assert report.score == report.max_score
    grading = list(parsed)
    parsed.clear()
    load_program(path)
    code_cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert len(parsed) == len(set(parsed)) <= len(code_cells)
    assert sorted(grading) == sorted(parsed)


def test_the_grader_time_for_a_submission_counts_against_its_limit(course):
    """Reading and parsing are the grader's work for this submission: they come out of its submission_timeout."""
    from autograder.exercises import for_assignment
    from autograder.pipeline import grade_program, prepare_assignment
    from autograder.sandbox.session import Session

    program = load_program(solution_path(course, ASSIGNMENT))
    assert program.grader_seconds > 0
    with Session(program, Limits(submission_timeout=30)) as session:
        assert session.remaining() <= 30 - program.grader_seconds
    program.grader_seconds = 31.0  # as if reading it had taken longer than a submission may
    prepared = prepare_assignment(for_assignment(ASSIGNMENT), SEED)
    results = grade_program(program, prepared, limits=Limits(submission_timeout=30), files=course.data_files(ASSIGNMENT))
    for result in results.values():
        assert result.status == "timeout" and "used up the 30 s allowed for a submission" in result.feedback, result.feedback


def test_limits_come_from_course_yml_and_are_validated(course, tmp_path):
    text = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    for key, bad in (("max_cell_kb", 0), ("max_cells", "many"), ("max_nesting", -3), ("answers_mb", True)):
        broken = copy.deepcopy(text)
        broken["grading"][key] = bad
        path = tmp_path / f"{key}.yml"
        path.write_text(yaml.safe_dump(broken), encoding="utf-8")
        with pytest.raises(CourseError, match=f"grading.{key} should be a number above 0"):
            load_course(path, validate=False)
    small = dataclasses.replace(course, grading={**course.grading, "max_cell_kb": 1})
    report = check_notebook(solution_path(course, ASSIGNMENT), course=small, assignment=ASSIGNMENT)
    conv1d = next(e for e in report.exercises if e.id == "conv1d")
    assert conv1d.score == 0 and "a cell may hold at most 1 KB" in conv1d.feedback, conv1d.feedback
    assert next(e for e in report.exercises if e.id == "output_length").status == "passed"
    # the file, and the code of all cells together
    tiny = dataclasses.replace(course, grading={**course.grading, "max_notebook_mb": 0.001})
    report = check_notebook(solution_path(course, ASSIGNMENT), course=tiny, assignment=ASSIGNMENT)
    assert report.score == 0 and all("a notebook file may be at most 0.001 MB" in e.feedback for e in report.exercises)
    program = load_program(solution_path(course, ASSIGNMENT), Bounds(max_code_kb=1))
    late = [c for c in program.cells if c.refused]
    assert late and all("the code cells before it already hold" in c.refused and "at most 1 KB of code" in c.refused for c in late)
    assert program.cells[0].refused == ""


# -- class 5: memory the budget does not see -----------------------------------------------------
FLOAT_LISTS = textwrap.dedent("""
    def conv_params(kh, kw, c_in, c_out, bias=True):
        return [[0.5]] * 120_000   # ~0.7 MB of JSON, ~20 MB of Python objects once decoded
    """)
MEDIUM_LISTS = textwrap.dedent("""
    def conv_params(kh, kw, c_in, c_out, bias=True):
        return [0.5] * 2_000   # ~0.3 MB once decoded: under the budget of one call, not of all of them
    """)

PEAK = textwrap.dedent("""
    import json, sys
    from autograder.pipeline import check_notebook
    from autograder.sandbox.session import Limits
    report = check_notebook(sys.argv[1], assignment="04-shapes", limits=Limits(**json.loads(sys.argv[2])))
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
    print(json.dumps({"peak_mb": peak, "exercises": {e.id: [e.score, e.status, e.feedback] for e in report.exercises}}))
""")


def _graded(notebook: Path, **limits) -> dict:
    """Grade in a fresh process; its peak memory (VmHWM) and each exercise's score, status, feedback."""
    done = subprocess.run([sys.executable, "-c", PEAK, str(notebook), json.dumps(limits)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _shapes(course, tmp_path: Path, name: str, source: str | None) -> Path:
    path = solution_path(course, "04-shapes")
    return path if source is None else planted_notebook(path, tmp_path / f"{name}.ipynb", {"conv_params": source})


def test_answers_that_decode_to_many_objects_are_refused_within_memory(course, tmp_path):
    honest = _graded(_shapes(course, tmp_path, "honest", None))
    attacked = _graded(_shapes(course, tmp_path, "lists", FLOAT_LISTS))
    print(f"grader peak memory: honest {honest['peak_mb']} MB, answers of many objects {attacked['peak_mb']} MB")
    score, status, feedback = attacked["exercises"]["conv_params"]
    assert score == 0 and status == "error"
    assert "of the grader's memory once read" in feedback and "return NumPy arrays" in feedback, feedback
    # model_summary returns what the learner's conv_params gives: refused the same way
    assert attacked["exercises"]["model_summary"][1] == "error"
    for exercise, (score, status, _) in attacked["exercises"].items():
        if exercise not in ("conv_params", "model_summary"):
            assert status == "passed", (exercise, honest["exercises"][exercise])
    assert all(status == "passed" for _, status, _ in honest["exercises"].values())
    # the old grader kept ~20 MB per answer, for every call of the exercise (~+300 MB)
    assert attacked["peak_mb"] - honest["peak_mb"] < 100, f"{attacked['peak_mb']} MB against {honest['peak_mb']} MB"


def test_the_answers_of_one_exercise_share_one_decoded_budget(course, tmp_path):
    small = {"answers_mb": 2}
    attacked = _graded(_shapes(course, tmp_path, "medium", MEDIUM_LISTS), **small)
    score, status, feedback = attacked["exercises"]["conv_params"]
    assert score == 0 and "more than the 2 MB one exercise's answers may take" in feedback, feedback
    honest = _graded(_shapes(course, tmp_path, "honest", None), **small)
    assert all(status == "passed" for _, status, _ in honest["exercises"].values()), honest["exercises"]
