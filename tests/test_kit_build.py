"""The README's kit command, as typed, on the whole course.

`autograder build-kit -o kit/` builds the kit of every assignment whose checks a
kit can hold and names the others (06's speed check, numeric and training
judges have no form for a kit yet); naming an assignment that cannot go in
with -a stops the build with the reason, and nothing is written.
"""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from kitvenv import NOT_IN_KIT

from conftest import ROOT


def _build(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(ROOT / "course.yml"), "build-kit", "-o", str(tmp_path / "kit"), *extra],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_the_readme_command_builds_every_assignment_a_kit_can_hold_and_names_the_rest(tmp_path, course):
    done = _build(tmp_path)
    assert done.returncode == 0, done.stderr
    wheels = list((tmp_path / "kit").glob("*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        index = json.loads(wheel.read("autograder/exercises/compiled/index.json"))
        kit_course = [n for n in wheel.namelist() if n.endswith("course.yml")]
        assert kit_course
        shipped_course = wheel.read(kit_course[0]).decode()
    expected = [a.id for a in course.assignments if a.id not in NOT_IN_KIT]
    assert sorted(index["assignments"]) == sorted(expected)
    for left in NOT_IN_KIT:
        assert f"not in the kit: {left}" in done.stdout, done.stdout
        assert left not in shipped_course  # the kit's course.yml names only what it can check


def test_naming_an_assignment_the_kit_cannot_hold_stops_the_build(tmp_path):
    for left in NOT_IN_KIT:
        done = _build(tmp_path, "-a", left)
        assert done.returncode == 2
        assert "the learner kit cannot hold these checks" in done.stderr
        assert not list((tmp_path / "kit").glob("*.whl")) if (tmp_path / "kit").exists() else True
