"""course.yml, nbgrader's configuration, the released notebooks and the gradebook agree.

- assignments/ is exactly what `autograder release` (nbgrader's generate_assignment) makes now;
- the points of course.yml are the points of the notebooks' check cells, and the
  comparison notices a change on either side;
- nbgrader_config.py is derived from course.yml and points nbgrader at our folders;
- sync_gradebook registers the assignments and due dates;
- released notebooks score 0 (every exercise not-implemented), solutions full marks.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from autograder.frontends.nbgrader import bridge
from autograder.pipeline import check_notebook
from autograder.frontends.cli import main as cli
from autograder.course import CourseError, load_course

from conftest import ROOT, release_path, solution_path

COURSE_FILE = Path(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")
# ids for parametrizing, read without validation (validation is the `course` fixture's job)
ASSIGNMENTS = [a.id for a in load_course(COURSE_FILE, validate=False).assignments]


def copy_course(course, where: Path, edit=None) -> Path:
    """A copy of the course (course.yml, solutions/, assignments/) in ``where``; returns its course.yml."""
    data = yaml.safe_load(course.path.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    where.mkdir(parents=True, exist_ok=True)
    (where / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for a in course.assignments:
        for folder in (course.source_dir(a.id), course.release_dir(a.id)):
            if folder.is_dir():
                shutil.copytree(folder, where / folder.parent.name / a.id)
    return where / "course.yml"


# --------------------------------------------------------------------------- releases

@pytest.fixture(scope="module")
def fresh_release(course, tmp_path_factory):
    """Every assignment released again, into a temporary folder."""
    dest = tmp_path_factory.mktemp("fresh-release")
    written = bridge.release(course, dest=dest)
    return dest, written


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_released_notebooks_are_what_nbgrader_makes_now(assignment_id, course, fresh_release):
    dest, _ = fresh_release
    a = course.assignment(assignment_id)
    for name in [a.notebook, *a.files]:
        committed = course.release_dir(a.id) / name
        assert committed.is_file(), f"{committed} is missing: run `autograder release {a.id}`"
        assert committed.read_bytes() == (dest / a.id / name).read_bytes(), f"{committed} differs from a fresh release: run `autograder release {a.id}`"


def test_release_writes_only_the_notebooks_and_data_files(course, fresh_release):
    dest, written = fresh_release
    expected = {dest / a.id / name for a in course.assignments for name in [a.notebook, *a.files]}
    assert set(written) == expected
    on_disk = {p for p in dest.rglob("*") if p.is_file()}
    assert on_disk == expected, "litter left by the release: " + ", ".join(str(p) for p in on_disk - expected)
    assert not list(dest.rglob("__pycache__"))


def test_release_is_deterministic(course, fresh_release, tmp_path):
    dest, _ = fresh_release
    a = course.assignments[0]
    again = bridge.release(course, [a.id], dest=tmp_path)
    assert [p.read_bytes() for p in again] == [(dest / a.id / p.name).read_bytes() for p in again]


def test_release_keeps_hidden_tests_and_solutions_out(course, fresh_release):
    dest, _ = fresh_release
    for a in course.assignments:
        text = (dest / a.id / a.notebook).read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
            assert marker not in text, f"{a.id}: {marker!r} in the released notebook"


def test_release_refuses_missing_folders_and_unknown_assignments(course, tmp_path):
    copy = load_course(copy_course(course, tmp_path / "c"))
    shutil.rmtree(copy.source_dir(copy.assignments[0].id))
    with pytest.raises(CourseError, match="has no folder"):
        bridge.release(copy, [copy.assignments[0].id], dest=tmp_path / "out")
    with pytest.raises(CourseError, match="no assignment"):
        bridge.release(copy, ["99-nothing"], dest=tmp_path / "out")


# --------------------------------------------------------------------------- points

def test_points_in_course_yml_and_notebooks_agree(course):
    assert bridge.points_disagreements(course) == []


def _first(course):
    a = course.assignments[0]
    exercise_id = next(iter(a.points))
    return a, exercise_id


def test_a_point_changed_in_course_yml_is_a_disagreement(course, tmp_path):
    a, exercise_id = _first(course)

    def edit(data):
        entry = next(e for e in data["assignments"] if e["id"] == a.id)
        entry["points"][exercise_id] = entry["points"][exercise_id] + 5

    copy = load_course(copy_course(course, tmp_path / "c", edit))
    problems = bridge.points_disagreements(copy)
    # the solution and (when released) the released notebook both disagree
    assert problems and all(f"check_{exercise_id}" in p for p in problems), problems
    assert any("solutions" in p for p in problems)
    with pytest.raises(CourseError, match="sync-points"):
        bridge.release(copy, [a.id], dest=tmp_path / "out")

    before = solution_path(copy, a.id).read_text(encoding="utf-8")
    assert bridge.sync_points(copy) == [solution_path(copy, a.id)]
    assert bridge.sync_points(copy) == []  # idempotent
    after = solution_path(copy, a.id).read_text(encoding="utf-8")
    assert [p for p in bridge.points_disagreements(copy) if "solutions" in p] == []
    # only that one value moved
    changed = [(x, y) for x, y in zip(before.splitlines(), after.splitlines()) if x != y]
    assert len(changed) == 1 and '"points"' in changed[0][1], changed
    # and a release carries it into the released notebook
    bridge.release(copy, [a.id])
    assert bridge.points_disagreements(copy) == []


def test_a_point_changed_in_a_notebook_is_a_disagreement(course, tmp_path):
    a, exercise_id = _first(course)
    copy = load_course(copy_course(course, tmp_path / "c"))
    path = solution_path(copy, a.id)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == f"check_{exercise_id}")
    cell["metadata"]["nbgrader"]["points"] += 2
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = bridge.points_disagreements(copy)
    assert len(problems) == 1 and f"check_{exercise_id}" in problems[0] and str(path) in problems[0], problems
    assert bridge.sync_points(copy) == [path]
    assert bridge.points_disagreements(copy) == []


def test_a_check_cell_without_points_in_course_yml_is_a_disagreement(course, tmp_path):
    a, exercise_id = _first(course)

    def edit(data):
        entry = next(e for e in data["assignments"] if e["id"] == a.id)
        del entry["points"][exercise_id]

    copy = load_course(copy_course(course, tmp_path / "c", edit), validate=False)
    problems = bridge.points_disagreements(copy)
    assert any(f"check_{exercise_id}" in p and "no points in course.yml" in p for p in problems), problems
    with pytest.raises(CourseError, match=f"check_{exercise_id}"):
        bridge.sync_points(copy)


def test_sync_points_cli_reports_agreement(course, tmp_path, capsys):
    course_file = copy_course(course, tmp_path / "c")
    assert cli(["--course", str(course_file), "sync-points"]) == 0
    assert "already agree" in capsys.readouterr().out


# --------------------------------------------------------------------------- nbgrader_config.py

def _load_config(path: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_committed_config_is_derived_from_course_yml(course):
    committed = ROOT / bridge.CONFIG_NAME
    assert committed.is_file(), "run `autograder nbgrader-config`"
    assert committed.read_text(encoding="utf-8") == bridge.config_text(course), "run `autograder nbgrader-config`"


def test_config_points_nbgrader_at_our_folders(course, tmp_path):
    from nbgrader.coursedir import CourseDirectory

    (tmp_path / bridge.CONFIG_NAME).write_text(bridge.config_text(course), encoding="utf-8")
    config = _load_config(tmp_path / bridge.CONFIG_NAME)
    assert config.CourseDirectory.root == str(tmp_path)  # the folder of the file, wherever it is
    assert config.CourseDirectory.course_id == course.id
    assert config.CourseDirectory.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert config.Execute.timeout >= 2 * course.grading.get("exercise_timeout", 10)
    assert config.ClearSolutions.code_stub == {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    coursedir = CourseDirectory(config=config)
    for a in course.assignments:
        assert Path(coursedir.format_path(coursedir.source_directory, ".", a.id)) == tmp_path / "solutions" / a.id
        assert Path(coursedir.format_path(coursedir.release_directory, ".", a.id)) == tmp_path / "assignments" / a.id


def test_config_follows_course_yml(course, tmp_path):
    def edit(data):
        data["grading"]["submission_timeout"] = 333

    copy = load_course(copy_course(course, tmp_path / "c", edit))
    assert cli(["--course", str(copy.path), "nbgrader-config"]) == 0
    config = _load_config(copy.root / bridge.CONFIG_NAME)
    assert config.Execute.timeout == 333
    assert config.CourseDirectory.root == str(copy.root)


# --------------------------------------------------------------------------- gradebook

def test_sync_gradebook_registers_assignments_and_due_dates(course, tmp_path):
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    lines = bridge.sync_gradebook(course, db)
    assert len(lines) == len(course.assignments) and all("added" in line for line in lines), lines
    with Gradebook(db, course_id=course.id) as gb:
        registered = {a.name: a.duedate for a in gb.assignments}
    assert registered == {a.id: parse_utc(a.due) if a.due else None for a in course.assignments}
    assert all("already registered" in line for line in bridge.sync_gradebook(course, db))

    # a due date changed in course.yml is changed in the gradebook
    first = course.assignments[0].id

    def edit(data):
        next(e for e in data["assignments"] if e["id"] == first)["due"] = "2030-06-01 12:00:00 UTC"

    copy = load_course(copy_course(course, tmp_path / "c", edit))
    lines = bridge.sync_gradebook(copy, db)
    assert f"{first}: due date changed" in lines[0] and "2030-06-01 12:00:00 UTC" in lines[0], lines
    with Gradebook(db, course_id=course.id) as gb:
        assert gb.find_assignment(first).duedate == parse_utc("2030-06-01 12:00:00 UTC")


def test_sync_gradebook_cli_and_errors(course, tmp_path, capsys):
    course_file = copy_course(course, tmp_path / "c")
    assert cli(["--course", str(course_file), "sync-gradebook", "--db", f"sqlite:///{tmp_path / 'g.db'}"]) == 0
    assert capsys.readouterr().out.count("added") == len(course.assignments)
    assert cli(["--course", str(course_file), "sync-gradebook", "--db", f"sqlite:///{tmp_path / 'nowhere' / 'g.db'}"]) == 2
    assert "no folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- scores

@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_released_notebook_scores_zero_not_implemented(assignment_id, course, prepared):
    assert release_path(course, assignment_id).is_file(), f"run `autograder release {assignment_id}`"
    report = check_notebook(release_path(course, assignment_id), course=course, assignment=assignment_id, prepared=prepared(assignment_id))
    assert report.score == 0
    assert {e.id: e.status for e in report.exercises} == {e: "not-implemented" for e in course.assignment(assignment_id).points}


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_solution_scores_full_marks(assignment_id, course, prepared):
    report = check_notebook(solution_path(course, assignment_id), course=course, assignment=assignment_id, prepared=prepared(assignment_id))
    assert report.score == report.max_score == course.assignment(assignment_id).max_score, "\n".join(report.lines())
