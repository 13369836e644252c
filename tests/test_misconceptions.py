"""Every misconception the grader claims to recognise is recognised, by name.

For each planted wrong answer (tests/planted): the notebook is graded in the
sandbox, the planted exercise fails with the expected status and
misconception, and every other exercise of the notebook still passes.  The
same verdict comes out of the in-process engine that the notebook's own
check cells use.
"""
from __future__ import annotations

import linecache
from dataclasses import replace

import numpy as np
import pytest

from autograder.pipeline import check_notebook
from autograder.report import points_earned
from autograder.engine.evaluate import evaluate, prepare
from autograder.engine.spec import Setting
from autograder.exercises import registry
from autograder.frontends.inline import InProcessCaller, demo
from autograder.notebook.load import load_program
from autograder.sandbox.session import Limits

from conftest import planted_notebook, solution_path, without_numbers_note
from planted import all_plants

PLANTS = all_plants()
#: train (06) trains a network: its own time limit, as course.yml gives it
FAST = Limits(exercise_timeout=3, submission_timeout=60, exercise_timeouts={"train": 60})

#: The misconceptions the catalog (EXERCISES.md) names for each exercise.
CATALOG = {
    "by_hand_full": set(),
    "conv1d": {"no-flip", "length-off-by-one", "forbidden-call"},
    "conv1d_mode": {"same-left-aligned", "same-first-input-size", "valid-no-swap", "no-flip", "valid-off-by-one"},
    "output_length": {"valid-off-by-one"},
    "conv2d": {"no-flip", "flip-one-axis", "same-left-aligned", "uint8-wraparound", "forbidden-call",
               "valid-off-by-one", "same-first-input-size"},
    "pad2d": {"forbidden-call"},
    "conv2d_same": {"wrong-boundary"},
    "corr2d": {"flipped", "length-off-by-one"},
    "corr2d_multi_in": {"channels-not-summed", "channel-axis", "first-channel-only"},
    "corr2d_multi_in_out": {"first-channel-only"},
    "conv2d_layer": {"flipped", "no-bias", "stride-ignored", "padding-one-side", "height-width-swapped",
                     "bias-per-element", "first-channel-only", "stride-not-in-window", "relu-before-bias", "relu-always"},
    "pool2d": {"stride-ignored", "avg-max-swapped", "ceil-not-floor", "height-width-swapped",
               "stride-not-in-window", "size-ignores-pool"},
    "conv2d_layer_backward": {"dx-not-flipped", "dx-flipped-twice", "dx-valid-not-full", "db-not-summed", "stride-ignored",
                              "padding-not-cropped"},
    "pool2d_backward": {"max-grad-everywhere", "max-grad-all-ties", "avg-not-divided", "overlap-overwritten"},
    "conv_output_size": {"int-truncation", "no-floor", "dilation-ignored"},
    "tf_padding": {"padding-symmetric"},
    "pool_output_size": {"size-ignores-pool"},
    "model_summary": {"height-width-swapped"},
    "receptive_field": {"rf-ignores-stride"},
    "filter_image": {"uint8-wraparound", "no-flip"},
    "to_uint8": {"no-clip"},
    "im2col": {"im2col-order", "stride-ignored", "padding-ignored"},
    "conv_forward": {"flipped", "no-bias", "bias-per-element", "stride-ignored", "stride-not-in-window", "padding-one-side",
                     "first-channel-only", "batch-mixed"},
    "conv_backward": {"dx-not-flipped", "dx-flipped-twice", "dx-valid-not-full", "db-not-summed", "stride-ignored",
                      "padding-not-cropped", "db-per-image"},
    "relu": {"relu-grad-is-output", "relu-grad-at-zero"},
    "maxpool": {"max-grad-everywhere", "max-grad-all-ties", "overlap-overwritten"},
    "softmax_loss": {"softmax-unstable", "loss-not-averaged", "grad-not-averaged", "onehot-not-subtracted"},
    "grad_check": {"forward-difference", "x-not-restored"},
    "train": {"loss-diverges", "loss-flat"},
}
GLOBAL = {"returns-none", "wrong-shape", "modifies-input", "uint8-wraparound", "not-implemented", "timeout", "forbidden-call"}


def _costly(check) -> bool:
    """A check that takes seconds: a speed check (timed) or a training run (course.yml's settings)."""
    return check.case.timed or any(isinstance(a, Setting) for a in (*check.case.args, *check.case.kwargs.values()))


def _checks_for(prepared, plant):
    """The assignment's prepared checks, without the costly ones of exercises other than the planted one
    (06's training run and conv_forward's speed check: tests/test_cnn_scratch.py runs them)."""
    return {exercise_id: prep if exercise_id == plant.exercise or not any(_costly(c) for c in prep.checks)
            else replace(prep, checks=[c for c in prep.checks if not _costly(c)])
            for exercise_id, prep in prepared.items()}


_SANDBOXED: dict = {}


def _sandboxed(assignment, plant, course, prepared, folder):
    """The sandboxed grader's report of the solution notebook with ``plant`` in it (graded once for the two
    tests that read it: the grading is deterministic, and it is most of their time)."""
    key = (assignment, plant.exercise, plant.name, plant.source)
    if key not in _SANDBOXED:
        notebook = planted_notebook(solution_path(course, assignment), folder / f"{plant.exercise}.ipynb", {plant.exercise: plant.source})
        _SANDBOXED[key] = check_notebook(notebook, course=course, assignment=assignment, prepared=_checks_for(prepared(assignment), plant), limits=FAST)
    return _SANDBOXED[key]


@pytest.mark.parametrize("assignment,plant", PLANTS, ids=[f"{a}:{p.name}" for a, p in PLANTS])
def test_planted_misconception_is_named(assignment, plant, course, prepared, tmp_path):
    report = _sandboxed(assignment, plant, course, prepared, tmp_path)
    by_id = {e.id: e for e in report.exercises}
    entry = by_id[plant.exercise]
    assert (entry.status, entry.misconception) == (plant.status, plant.misconception), entry.feedback
    # Partial credit: what a plant gets right still counts, but a named mistake never earns full marks,
    # and a forbidden call or an unwritten function earns nothing.
    assert entry.score < entry.max_score, entry
    if plant.status in ("forbidden", "not-implemented"):
        assert entry.score == 0, entry
    if plant.misconception not in ("not-implemented", "forbidden-call", "timeout"):
        assert f"[{plant.misconception}]" in entry.feedback
    others = {e.id: e.status for e in report.exercises if e.id != plant.exercise and e.status != "passed"}
    dependents = _dependents(plant.exercise, assignment)
    assert set(others) <= dependents, others


def _uses(ex, assignment) -> set[str]:
    """Exercises whose solution calls another exercise's function directly (conv1d_mode calls conv1d)."""
    source = next((c.code for c in _program(assignment).cells if c.grade_id == ex.id), "")
    return {other.id for other in registry().values() if other.kind == "function" and other.id != ex.id and f"{other.function_name}(" in source}


def _dependents(exercise_id: str, assignment: str) -> set[str]:
    """Exercises whose solution calls ``exercise_id``'s function, directly or through others."""
    found: set[str] = set()
    frontier = {exercise_id}
    while frontier:
        frontier = {ex.id for ex in registry().values() if ex.assignment == assignment and _uses(ex, assignment) & frontier} - found
        found |= frontier
    return found


_PROGRAMS: dict = {}


def _program(assignment):
    if assignment not in _PROGRAMS:
        from autograder.course import load_course

        _PROGRAMS[assignment] = load_program(solution_path(load_course(), assignment))
    return _PROGRAMS[assignment]


@pytest.mark.parametrize("assignment,plant", [(a, p) for a, p in PLANTS if p.status == "failed"], ids=[f"{a}:{p.name}" for a, p in PLANTS if p.status == "failed"])
def test_in_notebook_check_gives_the_same_verdict(assignment, plant, course, prepared, tmp_path, monkeypatch):
    """The notebook's check() and the sandboxed grader share one engine and one message."""
    notebook = planted_notebook(solution_path(course, assignment), tmp_path / "nb.ipynb", {plant.exercise: plant.source})
    # A learner runs the notebook in its own folder, beside the assignment's data files.
    for name, data in course.data_files(assignment).items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    # The kernel's namespace: `from autograder import demo` is a self-check line the program leaves out.
    namespace: dict = {"__name__": "__main__", "demo": demo}
    cells = load_program(notebook).cells
    for cell in cells:
        # As a kernel (and the sandbox) does, keep each cell's source for tracebacks: messages quote the failing line.
        filename = f"<cell {cell.index}>"
        linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True), filename)
        exec(compile(cell.code, filename, "exec"), namespace)  # trusted: our own plants
    # As the notebook's check cell runs it: check(id), then check(id, hidden=True).
    exercise, caller = registry()[plant.exercise], InProcessCaller(namespace)
    caller.sources = lambda: [(None, cell.code) for cell in cells]  # what a kernel's history holds (no IPython here)
    phased = evaluate(prepare(exercise, seed=course.seed, visible=True, hidden=False), caller, timeout=max(5.0, FAST.timeout_for(plant.exercise)))
    if phased.status == "passed":
        phased = evaluate(prepare(exercise, seed=course.seed, visible=False, hidden=True), caller, timeout=max(5.0, FAST.timeout_for(plant.exercise)))
    sandboxed = {e.id: e for e in _sandboxed(assignment, plant, course, prepared, tmp_path / "sandboxed").exercises}[plant.exercise]
    assert (phased.status, phased.misconception) == (sandboxed.status, sandboxed.misconception)
    # Every check at once, with the same prepared cases: the same message and the same points.
    inline = evaluate(prepared(assignment)[plant.exercise], caller, timeout=max(5.0, FAST.timeout_for(plant.exercise)))
    points = course.assignment(assignment).points[plant.exercise]
    assert (inline.status, inline.misconception, inline.feedback) == (sandboxed.status, sandboxed.misconception, without_numbers_note(sandboxed.feedback))
    assert points_earned(inline, points) == sandboxed.score


def test_every_declared_misconception_is_planted():
    planted = {(p.exercise, p.misconception) for _, p in PLANTS}
    for ex in registry().values():
        for m in ex.misconceptions:
            assert (ex.id, m.id) in planted, f"no planted notebook shows [{m.id}] of {ex.id}"


def test_catalog_misconceptions_are_declared():
    declared = {ex.id: {m.id for m in ex.misconceptions} for ex in registry().values()}
    for exercise_id, wanted in CATALOG.items():
        if exercise_id not in declared:
            continue
        generic = {"forbidden-call"} if registry()[exercise_id].forbidden else set()
        assert wanted - generic - {"uint8-wraparound"} <= declared[exercise_id], exercise_id
        planted = {p.misconception for _, p in PLANTS if p.exercise == exercise_id}
        assert wanted <= planted, f"{exercise_id}: not planted: {wanted - planted}"


def test_every_generic_misconception_is_planted_somewhere():
    assert GLOBAL <= {p.misconception for _, p in PLANTS}
