"""The README's kit command, as typed, on the whole course.

`autograder build-kit -o kit/` builds the kit of every assignment of
course.yml, 06 (its speed, gradient and training judges) included.  An
assignment with a check a kit cannot hold is left out and named, and naming
it with -a stops the build with the reason, writing nothing: shown here with
one of 06's judges taken off the list of code a kit may ship.
"""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from conftest import ROOT

#: The CLI, run with predict's judge no longer listed as portable (as a new judge nobody has read yet would be).
WITHOUT_PREDICT_JUDGE = (
    "import sys\n"
    "from autograder.exercises import cnn_scratch_detect\n"
    "from autograder.frontends.kit import forms\n"
    "forms.PORTABLE.discard(cnn_scratch_detect.predict_judge)\n"
    "from autograder.frontends.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _build(tmp_path, *extra, code=None):
    command = ["-c", code] if code else ["-m", "autograder"]
    return subprocess.run([sys.executable, *command, "--course", str(ROOT / "course.yml"), "build-kit", "-o", str(tmp_path / "kit"), *extra],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)


def _wheel_index(tmp_path):
    wheels = list((tmp_path / "kit").glob("*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        index = json.loads(wheel.read("autograder/exercises/compiled/index.json"))
        kit_course = [n for n in wheel.namelist() if n.endswith("course.yml")]
        assert kit_course
        return index, wheel.read(kit_course[0]).decode()


def test_the_readme_command_builds_every_assignment(tmp_path, course):
    done = _build(tmp_path)
    assert done.returncode == 0, done.stderr
    index, _ = _wheel_index(tmp_path)
    assert sorted(index["assignments"]) == sorted(a.id for a in course.assignments)
    assert "not in the kit" not in done.stdout
    assert "06-cnn-from-scratch" in index["assignments"] and "train" in index["assignments"]["06-cnn-from-scratch"]["exercises"]


def test_an_assignment_the_kit_cannot_hold_is_left_out_and_named(tmp_path):
    done = _build(tmp_path, code=WITHOUT_PREDICT_JUDGE)
    assert done.returncode == 0, done.stderr
    assert "not in the kit: 06-cnn-from-scratch" in done.stdout and "predict_judge" in done.stdout, done.stdout
    index, shipped_course = _wheel_index(tmp_path)
    assert "06-cnn-from-scratch" not in index["assignments"] and "05-image-filters" in index["assignments"]
    assert "06-cnn-from-scratch" not in shipped_course  # the kit's course.yml names only what it can check


def test_naming_an_assignment_the_kit_cannot_hold_stops_the_build(tmp_path):
    done = _build(tmp_path, "-a", "06-cnn-from-scratch", code=WITHOUT_PREDICT_JUDGE)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the learner kit cannot hold these checks" in done.stderr and "predict_judge" in done.stderr
    assert not (tmp_path / "kit").exists() or not list((tmp_path / "kit").glob("*.whl"))
