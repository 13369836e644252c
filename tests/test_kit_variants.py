"""The learner kit checks each rostered student's own numbers without holding their answers (issue 20).

The kit of tests/kitvenv.py is built with ``--roster tests/roster.txt``.  In
its virtual environment, for a rostered student, the notebook's ``check()``,
``autograder check`` and ``pytest NOTEBOOK.ipynb`` give the verdicts the
instructor's ``check_notebook(..., student=id)`` gives on every on-paper
exercise with numbers of its own: the student's own answers full marks, the
lesson's answers [lesson-numbers], a misconception's values for the
student's numbers that misconception; ``my_numbers`` prints the same numbers.
A learner not on the roster is told so, and checked on the lesson's numbers.
No file of the kit holds a roster id (tests/test_kit.py scans it for the
rostered students' answers).  Without the kit: ``build-kit`` reads a roster
file, a CSV or nbgrader's gradebook, says clearly what is wrong with one, and
refuses a student's numbers stated by code that uses a reference.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder import references as ref
from autograder.engine.numbers import draw_for
from autograder.exercises import for_assignment, get
from autograder.frontends.kit.portable import Bundle, NotPortable
from autograder.frontends.cli import main
from autograder.frontends.kit.roster import read_roster
from autograder.engine.seeds import student_seed
from autograder.pipeline import check_notebook, course_weights, prepare_assignment
from conftest import ROOT, personal_notebook, solution_path
from kitvenv import ROSTER, build, kit_assignments, learner_env, shared_base

pytestmark = pytest.mark.slow

#: A learner the kit's roster does not list.
OFF_ROSTER = "kit-off-roster-zoe"


@pytest.fixture(scope="module")
def course(course):
    return dataclasses.replace(course, assignments=[course.assignment(a) for a in kit_assignments(course)])


@pytest.fixture(scope="module")
def kit(tmp_path_factory, course):
    return build(shared_base(tmp_path_factory), course.path, kit_assignments(course))


@pytest.fixture(scope="module")
def roster() -> list[str]:
    return read_roster(ROSTER)


def _with_numbers(course) -> dict[str, list]:
    """The kit's assignments with on-paper exercises of each student's own numbers, and those exercises."""
    out = {}
    for a in course.assignments:
        found = [ex for ex in for_assignment(a.id) if ex.numbers is not None]
        if found and a.variants:
            out[a.id] = found
    return out


def _plain(value):
    return value.tolist() if isinstance(value, (np.ndarray, np.generic)) else [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def _cell(values: dict) -> str:
    return "\n".join(f"{name} = {_plain(value)!r}" for name, value in values.items())


def _setup(course, folder: Path, assignment_id: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = solution_path(course, assignment_id)
    for name in course.assignment(assignment_id).files:
        (folder / name).write_bytes((source.parent / name).read_bytes())


def _notebooks(course, folder: Path, student: str) -> list[tuple[str, Path, dict[str, str | None]]]:
    """For each assignment with numbers: the solution as ``student`` hands it in with their own answers, with the
    lesson's answers, and with the values each misconception gives for their numbers (one alternative each), as
    (assignment, notebook, {exercise: the misconception it should be named, None for full marks})."""
    out = []
    for assignment_id, exercises in _with_numbers(course).items():
        where = folder / assignment_id
        _setup(course, where, assignment_id)
        own = {ex.id: ex.numbers.answers(draw_for(ex, student, course.variant_seed)) for ex in exercises}
        path = personal_notebook(course, assignment_id, student, where / f"own-{assignment_id}.ipynb")
        out.append((assignment_id, path, {ex.id: None for ex in exercises}))
        path = personal_notebook(course, assignment_id, student, where / f"lesson-{assignment_id}.ipynb",
                                 replacements={ex.id: _cell(ex.numbers.answers(ex.numbers.lesson)) for ex in exercises})
        out.append((assignment_id, path, {ex.id: "lesson-numbers" for ex in exercises}))
        wrong = {ex.id: [(mid, fn(draw_for(ex, student, course.variant_seed))) for mid, fn in ex.numbers.wrong.items()
                         if mid in {m.id for m in ex.misconceptions}] for ex in exercises}
        for k in range(max((len(w) for w in wrong.values()), default=0)):
            replacements, expected = {}, {}
            for ex in exercises:
                if k < len(wrong[ex.id]) and wrong[ex.id][k][1]:
                    mid, alternatives = wrong[ex.id][k]
                    replacements[ex.id] = _cell({**own[ex.id], **alternatives[0]})
                    expected[ex.id] = mid
            path = personal_notebook(course, assignment_id, student, where / f"wrong{k}-{assignment_id}.ipynb", replacements=replacements)
            out.append((assignment_id, path, expected))
    return out


def _instructor(course, notebooks, student: str) -> dict[tuple[str, str], tuple]:
    verdicts = {}
    for assignment_id, path, expected in notebooks:
        only = prepare_assignment([get(e) for e in expected], student_seed(course.seed, student), course_weights(course, assignment_id), graded=True)
        report = check_notebook(path, course=course, student=student, prepared=only)  # the exercises compared only
        for e in report.exercises:
            if e.id in expected:
                verdicts[(str(path), e.id)] = (e.status, round(e.score, 6), e.misconception)
    return verdicts


def _kit_check(kit, paths: list[Path], cwd: Path) -> dict[tuple[str, str], tuple]:
    """``autograder check --json`` in the kit's environment, as a learner types it."""
    done = subprocess.run(["autograder", "check", "--json", *map(str, paths)], cwd=cwd, env={**learner_env(kit), "MPLBACKEND": "Agg"},
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {(str(Path(r["notebook"]).resolve()), e["id"]): (e["status"], round(e["score"], 6), e["misconception"], e["feedback"])
            for r in reports for e in r["exercises"]}


def _kit_inline(kit, paths: list[Path], cwd: Path) -> dict[str, str]:
    """Each notebook's cells run in the kit's Python as a kernel runs them: what its check() cells print."""
    code = f"""
import contextlib, io, json, os
import nbformat
out = {{}}
for path in {[str(p) for p in paths]!r}:
    os.chdir(os.path.dirname(path))
    namespace = {{"__name__": "__main__"}}
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    out[path] = captured.getvalue()
print(json.dumps(out))
"""
    done = subprocess.run([kit["python"], "-c", code], cwd=cwd, env={**learner_env(kit), "MPLBACKEND": "Agg"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _inline_verdict(printed: str, exercise_id: str) -> tuple[str, str | None]:
    """(passed or failed, the misconception named) of ``exercise_id``'s check() in a notebook's output."""
    found = re.search(rf"^([✓✗]) {exercise_id}\b(.*?)(?=^[✓✗] |\Z)", printed, re.M | re.S)
    assert found, printed[-3000:]
    named = re.search(r"This looks like \[([\w-]+)\]", found.group(2))
    return ("passed" if found.group(1) == "✓" else "failed"), named.group(1) if named else None


def _kit_pytest(kit, paths: list[Path], cwd: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """``pytest NOTEBOOK.ipynb`` in the kit's environment: (outcome, misconception named) per notebook and exercise."""
    done = subprocess.run(["pytest", "-q", "-rA", "-p", "no:cacheprovider", *map(str, paths)], cwd=cwd,
                          env={**learner_env(kit), "MPLBACKEND": "Agg"}, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stdout, done.stdout[-3000:]
    out, by_name = {}, {path.name: str(path.resolve()) for path in paths}  # a failure's heading names the notebook's file only
    for outcome, node in re.findall(r"^(PASSED|FAILED) (\S+::\w+)", done.stdout, re.M):
        path, exercise = node.split("::")
        out[(by_name[Path(path).name], exercise)] = ("passed" if outcome == "PASSED" else "failed", None)
    for node, body in re.findall(r"^_{3,} (\S+::\w+) _{3,}\n(.*?)(?=^_{3,} |^={3,} )", done.stdout, re.M | re.S):
        path, exercise = node.split("::")
        named = re.search(r"This looks like \[([\w-]+)\]", body)
        key = (by_name[Path(path).name], exercise)
        out[key] = (out[key][0], named.group(1) if named else None)
    return out


# --------------------------------------------------------------------------- a rostered student

def test_a_rostered_student_gets_the_instructors_verdicts_in_the_kit(kit, course, roster, tmp_path):
    """check(), `autograder check` and `pytest NOTEBOOK.ipynb` in the kit agree with check_notebook(student=id) on
    every exercise with numbers of its own: own answers right, the lesson's [lesson-numbers], a misconception named."""
    student = roster[0]
    notebooks = _notebooks(course, tmp_path, student)
    assert {a for a, _, _ in notebooks} >= {"01-conv1d"}, "by_hand_full has numbers of its own"
    instructor = _instructor(course, notebooks, student)
    paths = [path for _, path, _ in notebooks]
    checked = _kit_check(kit, paths, tmp_path)
    tested = _kit_pytest(kit, paths, tmp_path)
    inline = _kit_inline(kit, paths, tmp_path)
    for assignment_id, path, expected in notebooks:
        for exercise_id, misconception in expected.items():
            key = (str(path.resolve()), exercise_id)
            status, score, named = instructor[(str(path), exercise_id)]
            points = course.assignment(assignment_id).points[exercise_id]
            if misconception is None:
                assert (status, score) == ("passed", points), (path.name, exercise_id, instructor[(str(path), exercise_id)])
            elif exercise_id == "by_hand_full" or misconception == "lesson-numbers":
                assert (status, named) == ("failed", misconception), (path.name, exercise_id, instructor[(str(path), exercise_id)])
            assert checked[key][:3] == (status, score, named), (path.name, exercise_id, checked[key], instructor[(str(path), exercise_id)])
            assert "not on the roster" not in checked[key][3]
            assert tested[key] == (status, named), (path.name, exercise_id, tested[key])
            assert _inline_verdict(inline[str(path)], exercise_id) == (status, named), (path.name, exercise_id, inline[str(path)][-2000:])


def test_max_stable_lr_of_a_rostered_student_is_judged_in_the_kit_as_by_the_instructor(kit, course, roster, tmp_path):
    """max_stable_lr's judge holds the student's limit (a sealed window per set of numbers, in the kit): `autograder
    check` gives two rostered students the verdict, points and feedback of check_notebook(student=id) on their own
    limit and within 5 % of it, the lesson's limit [lesson-numbers], the limit of their stripe one column narrower (its
    message), another student's limit, values on both sides, and a value that is no number."""
    ex = get("max_stable_lr")
    aid = ex.assignment
    if aid not in {a.id for a in course.assignments} or not course.assignment(aid).variants:
        pytest.skip(f"the kit is built without {aid}, or with its variants off")
    _setup(course, tmp_path / aid, aid)
    students = [roster[0], roster[2]]
    limits = {s: ex.numbers.answers(draw_for(ex, s, course.variant_seed))["max_stable_lr"] for s in roster}
    assert limits[students[0]] != limits[students[1]]
    notebooks = []
    for n, student in enumerate(students):
        numbers = draw_for(ex, student, course.variant_seed)
        narrower = ex.numbers.answers({**numbers, "columns": numbers["columns"] - 1})["max_stable_lr"]
        other = next(limits[s] for s in roster if abs(limits[s] / limits[student] - 1) > 0.12)
        values = {"own": limits[student], "within": limits[student] * 1.04, "lesson": ex.numbers.answers(ex.numbers.lesson)["max_stable_lr"],
                  "narrower": narrower, "other": other, "half": limits[student] / 2, "twice": 2 * limits[student], "text": "1/42"}
        for label, value in values.items():
            if n and label not in ("own", "lesson"):  # the second student: their own window and the lesson's, no more
                continue
            path = personal_notebook(course, aid, student, tmp_path / aid / f"{student}-{label}.ipynb",
                                     replacements={ex.id: f"max_stable_lr = {value!r}"})
            notebooks.append((student, label, path))
    checked = _kit_check(kit, [path for _, _, path in notebooks], tmp_path)
    seen = set()
    for student, label, path in notebooks:
        only = prepare_assignment([ex], student_seed(course.seed, student), course_weights(course, aid), graded=True)  # this exercise only
        mine = {e.id: e for e in check_notebook(path, course=course, student=student, prepared=only).exercises}[ex.id]
        theirs = checked[(str(path.resolve()), ex.id)]
        assert theirs == (mine.status, round(mine.score, 6), mine.misconception, mine.feedback), (student, label, theirs, mine)
        seen.add((label, mine.status, mine.misconception))
        if label == "narrower":
            assert "one column narrower" in mine.feedback and "book" not in mine.feedback
    assert {(label, status) for label, status, _ in seen} == {
        ("own", "passed"), ("within", "passed"), *((label, "failed") for label in ("lesson", "narrower", "other", "half", "twice", "text"))}
    assert len(notebooks) == len(values) + 2
    assert ("lesson", "failed", "lesson-numbers") in seen
    # one sealed judge per distinct set of numbers, as for the answers (the lesson's among them)
    with zipfile.ZipFile(kit["wheel"]) as archive:
        data = json.loads(gzip.decompress(archive.read(f"autograder/exercises/compiled/{aid}.json.gz")))
    record = next(e for e in data["exercises"] if e["id"] == ex.id)
    assert set(record["numbers"]["cases"]) == set(record["answers"]) - {"*"}
    assert all([c["judge"]["kind"] for c in cases] == ["max-lr"] for cases in record["numbers"]["cases"].values())


def test_my_numbers_in_the_kit_prints_each_students_own(kit, course, roster, tmp_path):
    """Rostered or not, a learner's numbers are public: the kit draws them as the instructor's install does."""
    exercises = [ex for found in _with_numbers(course).values() for ex in found]
    students = [roster[1], OFF_ROSTER]
    code = "from autograder import my_numbers\n" + "".join(f"NAME = {s!r}\n" + "".join(f"my_numbers({ex.id!r})\n" for ex in exercises)
                                                          for s in students)
    done = subprocess.run([learner_env(kit)["VIRTUAL_ENV"] + "/bin/python", "-c", code], cwd=tmp_path, env=learner_env(kit),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wanted = [f"Your numbers (student {s}): {ex.numbers.describe(draw_for(ex, s, course.variant_seed))}" for s in students for ex in exercises]
    assert done.stdout.splitlines() == wanted


# --------------------------------------------------------------------------- a learner not on the roster

def test_a_learner_off_the_roster_is_told_so_and_checked_on_the_lessons_numbers(kit, course, tmp_path):
    """Their own answers cannot be checked by the kit (it says so, once per such exercise); the lesson's answers pass."""
    exercises = _with_numbers(course)["01-conv1d"]
    _setup(course, tmp_path / "01-conv1d", "01-conv1d")
    own = personal_notebook(course, "01-conv1d", OFF_ROSTER, tmp_path / "01-conv1d" / "own.ipynb")
    lesson = personal_notebook(course, "01-conv1d", OFF_ROSTER, tmp_path / "01-conv1d" / "lesson.ipynb",
                               replacements={ex.id: _cell(ex.numbers.answers(ex.numbers.lesson)) for ex in exercises})
    checked = _kit_check(kit, [own, lesson], tmp_path)
    inline = _kit_inline(kit, [own], tmp_path)
    for ex in exercises:
        status, score, named, feedback = checked[(str(lesson.resolve()), ex.id)]
        assert status == "passed" and f"{OFF_ROSTER!r} is not on the roster" in feedback, feedback
        status, score, named, feedback = checked[(str(own.resolve()), ex.id)]
        assert status == "failed" and f"{OFF_ROSTER!r} is not on the roster" in feedback, feedback
        assert feedback.count("not on the roster") == 1
        assert "not on the roster" in inline[str(own)] and "Traceback" not in inline[str(own)]
    # the instructor's grader grades their own numbers all the same
    report = check_notebook(own, course=course, student=OFF_ROSTER)
    assert all(e.status == "passed" for e in report.exercises if e.id in {ex.id for ex in exercises})


# --------------------------------------------------------------------------- what the kit holds

def test_no_file_of_the_kit_holds_a_roster_id(kit, roster):
    assert len(roster) >= 3
    with zipfile.ZipFile(kit["wheel"]) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            data = gzip.decompress(data) if name.endswith(".gz") else data
            for student in roster:
                assert student.encode() not in data, f"{name} holds the roster id {student}"
    assert all(s not in kit["build output"] for s in roster)


def test_students_with_the_same_numbers_share_a_key(kit, course, roster):
    """One sealed entry per distinct set of numbers (the lesson's among them), never one per id."""
    with zipfile.ZipFile(kit["wheel"]) as archive:
        data = json.loads(gzip.decompress(archive.read("autograder/exercises/compiled/01-conv1d.json.gz")))
    record = next(e for e in data["exercises"] if e["id"] == "by_hand_full")
    ex = get("by_hand_full")
    distinct = {json.dumps(draw_for(ex, s, course.variant_seed), sort_keys=True) for s in [None, *roster]}
    assert len(record["answers"]) == 1 + len(distinct)
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in record["answers"] if key != "*")


# --------------------------------------------------------------------------- building with a roster (no kit venv)

def _build(tmp_path, *extra):
    """``autograder build-kit -a 01-conv1d ...`` (in this process: the command's own ``main``)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--course", str(ROOT / "course.yml"), "build-kit", "-o", str(tmp_path / "kit"), "-a", "01-conv1d", *extra])
    return subprocess.CompletedProcess([], code, out.getvalue(), err.getvalue())


def _keys(tmp_path) -> tuple[set[str], dict]:
    wheel = next((tmp_path / "kit").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        index = json.loads(archive.read("autograder/exercises/compiled/index.json"))
        data = json.loads(gzip.decompress(archive.read("autograder/exercises/compiled/01-conv1d.json.gz")))
    record = next(e for e in data["exercises"] if e["id"] == "by_hand_full")
    return set(record["answers"]) - {"*"}, index


def _key(course, index, student):
    from autograder.exercises.sealed import numbers_key

    ex = get("by_hand_full")
    return numbers_key(draw_for(ex, student, course.variant_seed), bytes.fromhex(index["salt"]) + ex.id.encode(), int(index["rounds"]))


def test_roster_files_and_what_is_wrong_with_them(tmp_path, course):
    plain = tmp_path / "plain.txt"
    plain.write_text("# my class\n\nana\n  ben  \nana\n")
    assert read_roster(plain) == ["ana", "ben"]
    table = tmp_path / "class.csv"
    table.write_text("Name,Username,Section\nAna A,ana,1\nBen B,ben,2\nNo Id,,2\n")
    assert read_roster(table) == ["ana", "ben"]
    problems = {
        "missing.txt": None,
        "empty.txt": "# nobody yet\n\n",
        "noid.csv": "Name,Section\nAna A,1\n",
    }
    for name, text in problems.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        done = _build(tmp_path, "--roster", str(tmp_path / name))
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        line = done.stderr.strip()
        assert f"--roster {tmp_path / name}:" in line, line
        assert {"missing.txt": "no such file", "empty.txt": "no student ids", "noid.csv": "no id column"}[name] in line, line
    assert not (tmp_path / "kit").exists()
    done = _build(tmp_path, "--roster-gradebook", f"sqlite:///{tmp_path / 'nowhere.db'}")
    assert done.returncode == 2 and "--roster-gradebook" in done.stderr and "no such file" in done.stderr, done.stderr
    assert not (tmp_path / "nowhere.db").exists()  # not created by asking


def test_the_roster_from_nbgraders_gradebook(tmp_path, course):
    """`--roster-gradebook DB_URL`: the gradebook's students (added with nbgrader's own API) are the kit's roster."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db, course_id=course.id) as gb:
        for student in ("gb-ana", "gb-ben"):
            gb.add_student(student)
    done = _build(tmp_path, "--roster-gradebook", db)
    assert done.returncode == 0, done.stderr
    assert "for the 2 students of the roster" in done.stdout, done.stdout
    keys, index = _keys(tmp_path)
    wanted = {_key(course, index, s) for s in ("gb-ana", "gb-ben")}
    assert wanted <= keys and len(keys) == 3  # theirs and the lesson's
    assert _key(course, index, OFF_ROSTER) not in keys


def test_a_kit_without_roster_holds_the_lessons_numbers_only(tmp_path, course):
    done = _build(tmp_path)
    assert done.returncode == 0, done.stderr
    keys, index = _keys(tmp_path)
    assert keys == {_key(course, index, None)}


def _cheating_describe(numbers: dict) -> str:
    """States a student's numbers, and (the attack) the answer worked out by the reference beside them."""
    return f"x = {numbers['x']}, h = {numbers['h']} ({ref.conv1d(numbers['x'], numbers['h'])})"


def _helper_calls_reference(numbers: dict) -> str:
    return _cheating_describe(numbers)


def _honest_describe(numbers: dict) -> str:
    return f"x = {numbers['x']}, h = {numbers['h']}"


def test_numbers_code_that_uses_a_reference_cannot_ship():
    """draw, describe and title ship unlisted as public code: one that (or whose helper) calls a reference is refused,
    even a reference a library provides (conv1d is numpy.convolve), and the honest one next to it ships."""
    for fn in (_cheating_describe, _helper_calls_reference):
        with pytest.raises(NotPortable, match="references"):
            Bundle(set()).add(fn, public=True)
    bundle = Bundle(set())
    assert bundle.add(_honest_describe, public=True) == "test_kit_variants:_honest_describe"
    with pytest.raises(NotPortable, match="not listed as portable"):
        Bundle(set()).add(_honest_describe)  # not as a judge: public code is for a student's numbers only
