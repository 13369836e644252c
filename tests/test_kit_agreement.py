"""The learner kit gives the verdicts the instructor's install gives.

Every planted misconception (tests/planted), every solution and every
released notebook of every assignment is judged twice, with the same public
seed: by the instructor's install (references, hidden-case generators,
wrong implementations) and by the learner kit (their outputs compiled into
data), each in a process of its own (tests/kit_verdicts.py, the engine of
the notebook's ``check()``).  Status, score and misconception agree on every
exercise.  The kit's ``autograder check --json``, sandboxed as learners run
it, agrees on the solutions and released notebooks too.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, planted_notebook, release_path, solution_path
from kitvenv import build, kit_assignments, learner_env, shared_base
from planted import all_plants

pytestmark = pytest.mark.slow

#: Seconds per exercise: an endless loop (the [timeout] plants) is stopped after this long; others have ample time.
TIMEOUT, LOOP_TIMEOUT = 10, 1


@pytest.fixture(scope="module")
def kit(tmp_path_factory, course):
    return build(shared_base(tmp_path_factory), course.path, kit_assignments(course))


@pytest.fixture(scope="module")
def course(course):
    """course.yml's assignments that the kit holds (tests/kitvenv.py: NOT_IN_KIT)."""
    import dataclasses

    return dataclasses.replace(course, assignments=[course.assignment(a) for a in kit_assignments(course)])


@pytest.fixture(scope="module")
def notebooks(course, tmp_path_factory):
    """(assignment, path, exercises judged): solutions and releases whole, each plant by its exercise."""
    folder = tmp_path_factory.mktemp("planted")
    items = []
    for a in course.assignments:
        items += [(a.id, str(solution_path(course, a.id).resolve()), None), (a.id, str(release_path(course, a.id).resolve()), None)]
    ids = {a.id for a in course.assignments}
    for n, (assignment, plant) in enumerate((a, p) for a, p in all_plants() if a in ids):
        path = planted_notebook(solution_path(course, assignment), folder / f"{n:03d}-{plant.exercise}.ipynb", {plant.exercise: plant.source})
        items.append((assignment, str(path), [plant.exercise], plant))
    return items


def _verdicts(python: str, course, items, folder: Path, env: dict) -> subprocess.Popen:
    jobs = []
    for timeout in (TIMEOUT, LOOP_TIMEOUT):
        chosen = [item[:3] for item in items if (len(item) > 3 and item[3].status == "timeout") == (timeout == LOOP_TIMEOUT)]
        jobs.append({"course": str(course.path), "timeout": timeout, "folder": str(folder), "notebooks": chosen})
    path = folder / f"jobs-{Path(python).parent.parent.name}.json"
    path.write_text(json.dumps(jobs))
    script = (f"import json, subprocess, sys\nout = {{}}\n"
              f"for n, job in enumerate(json.load(open({str(path)!r}))):\n"
              f"    p = {str(path)!r} + f'.{{n}}'\n    open(p, 'w').write(json.dumps(job))\n"
              f"    out.update(json.loads(subprocess.run([sys.executable, {str(ROOT / 'tests' / 'kit_verdicts.py')!r}, p], "
              f"capture_output=True, text=True, check=True).stdout))\n"
              f"print(json.dumps(out))\n")
    return subprocess.Popen([python, "-c", script], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _collect(process: subprocess.Popen, who: str) -> dict:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, f"{who}: {stderr[-3000:]}"
    return json.loads(stdout)


def _cli(kit, course, tmp_path: Path) -> tuple[list, subprocess.Popen]:
    """The kit's ``autograder check --json``, sandboxed, on copies of the solutions and releases in a learner's folder."""
    learner = tmp_path / "cli"
    paths = []
    for a in course.assignments:
        for label, source in (("solution", solution_path(course, a.id)), ("release", release_path(course, a.id))):
            target = learner / label / a.id / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            for name in a.files:
                (target.parent / name).write_bytes((source.parent / name).read_bytes())
            paths.append((a, str(source.resolve()), target))
    process = subprocess.Popen(["autograder", "check", "--json", *[str(p.relative_to(learner)) for _, _, p in paths]], cwd=learner,
                               env=learner_env(kit), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return paths, process


def test_kit_and_instructor_agree_on_every_plant_solution_and_release(kit, course, notebooks, tmp_path):
    folder = tmp_path / "learner"
    folder.mkdir()
    for a in course.assignments:
        for name, data in course.data_files(a.id).items():
            (folder / name).write_bytes(data)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    # Both installs at once, each in its own process: the instructor's, and the kit's from a folder
    # where nothing of ours is importable (only the kit); the kit's command line beside them.
    instructor = _verdicts(sys.executable, course, notebooks, folder, env)
    learner = _verdicts(kit["python"], course, notebooks, folder, {**learner_env(kit), "MPLBACKEND": "Agg"})
    paths, cli = _cli(kit, course, tmp_path)
    ours, theirs = _collect(instructor, "instructor"), _collect(learner, "kit")
    assert set(ours) == {item[1] for item in notebooks}
    differences = []
    for item in notebooks:
        path = item[1]
        assert len(ours[path]) == len(theirs[path]), path
        differences += [f"{Path(path).name}: instructor {mine}, kit {kits}" for mine, kits in zip(ours[path], theirs[path]) if mine != kits]
    assert not differences, "\n".join(differences)
    # Each plant's mistake is named alike by both (the sandboxed verdicts are tests/test_misconceptions.py's).
    named = {item[3].misconception for item in notebooks[2 * len(course.assignments):] if theirs[item[1]][0][3] == item[3].misconception}
    assert len(named) > 40

    # The kit's `autograder check --json`, sandboxed as a learner runs it, from a folder without course.yml:
    # the instructor's verdicts on every solution (full marks) and release (0).
    stdout, stderr = cli.communicate(timeout=600)
    assert cli.returncode == 1, stderr  # the releases fail
    for (a, source, _), report in zip(paths, json.loads(stdout)):
        assert report["assignment"] == a.id
        kits = [[e["id"], e["status"], round(e["score"], 6), e["misconception"]] for e in report["exercises"]]
        assert kits == ours[source], (a.id, source)
        assert report["score"] == (a.max_score if "solutions" in source else 0)
