"""One verdict for one notebook: what the notebook says equals what `autograder check` says.

Every solution notebook, every released notebook and a selection of the planted
notebooks (``plantNN``, packed as in tests/test_nbgrader_e2e.py: the NN-th plant
of every exercise in the released notebook, the solution elsewhere; the fewest,
first ones that show every status the assignment's plants can have, and a plant
that never returns in one assignment only: see :func:`test_nbgrader_e2e.chosen_sets`;
01's looping plant would wait out its time limit in every demonstration cell of
01, 41 s) are run as a learner runs them: "Run All" in a fresh Jupyter kernel of this virtual
environment, in a copy of the course (the notebook's folder as the working
folder, so that ``check()`` finds course.yml and its public seed), with
nbclient's ``allow_errors=False``, so that any cell raising stops the run.

Asserted:

- every notebook runs to its last cell: a failed check prints its verdict and
  does not stop "Run All"; the only cells allowed to raise are answer cells
  that raise at top level (``raise NotImplementedError()`` in place of a value,
  as a planted "not written yet" does), and an untouched release has none (its
  value stubs assign None); no check cell and no demonstration cell has an
  error output;
- each check cell prints one verdict in :func:`autograder.frontends.verdict.text`'s
  format, on stdout when it passed and on stderr (shown in red) when it did not;
- for every exercise of every notebook, that verdict equals `autograder check`'s
  report of the same saved notebook (:func:`~autograder.pipeline.check_notebook`
  with course.yml's public seed): the same status, the same score and the same
  misconception name.

Every plant's in-notebook verdict, one plant at a time, is compared with the
sandboxed grader's in tests/test_misconceptions.py
(``test_in_notebook_check_gives_the_same_verdict``); here a real kernel runs
the notebooks, which costs a few seconds each, so not every plant set is run.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder.course import load_course
from autograder.notebook.syntax import parse
from autograder.frontends.nbgrader import bridge
from autograder.pipeline import check_notebook
from autograder.report import Report

from conftest import ROOT, release_path, solution_path
from planted import all_plants
from test_nbgrader_e2e import chosen_sets, plant_sets, planted_sets

pytestmark = pytest.mark.slow

COURSE_FILE = Path(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")
ASSIGNMENTS = [a.id for a in load_course(COURSE_FILE, validate=False).assignments]
#: kernels running notebooks at once (each runs one notebook at a time, from a fresh start)
KERNELS = 2
STUB_TAG = "raises-exception"  # nbclient lets a cell with this tag raise without stopping the run
PROBE = "import sys, autograder\nprint(sys.prefix)\nprint(autograder.__file__)"


def cell_timeout(course) -> int:
    """Seconds one cell may run: a check cell runs one exercise's checks within exercise_timeout."""
    return int(max(60, 3 * float(course.grading.get("exercise_timeout", 10))))


@dataclass
class Verdict:
    """One check cell's verdict, as the notebook printed it."""
    exercise: str
    status: str
    score: float | None  # None: a pass (✓ lines do not print the points)
    max_score: float | None
    message: str
    stream: str  # stdout / stderr

    @property
    def misconception(self) -> str | None:
        return misconception_named(self.message)


@dataclass
class Notebook:
    assignment: str
    kind: str  # solution, released, plantNN
    path: Path
    executed: object = None  # the notebook after Run All
    stopped: str = ""  # why Run All stopped, if it did
    seconds: float = 0.0
    stubs: list[int] = field(default_factory=list)  # cells allowed to raise (stub answers)
    report: Report | None = None  # autograder check
    problem: str = ""  # autograder check raised


_FAILED = re.compile(r"✗ (?P<id>\S+) \((?P<status>[\w-]+), (?P<score>[\d.]+)/(?P<max>[\d.]+) points\): (?P<message>.*)", re.S)
_PASSED = re.compile(r"✓ (?P<id>\S+): (?P<message>.*)", re.S)
#: how a message names a misconception: "This looks like [no-flip]: ...", "This partly looks like [x] ...",
#: or a line starting with "[returns-none] ..."
_NAMED = re.compile(r"(?:looks like |^)\[([a-z0-9]+(?:-[a-z0-9]+)*)\]", re.M)


def misconception_named(message: str) -> str | None:
    found = _NAMED.search(message)
    return found.group(1) if found else None


def _verdict_in(text: str, mark: str, exercise: str) -> str:
    """The verdict at the end of a stream (what the learner's code printed while checked comes before it)."""
    starts = [m.start() for m in re.finditer(f"^{mark} {re.escape(exercise)}[ :]", text, re.M)]
    return text[starts[-1]:].strip() if starts else ""


def parse_verdict(cell) -> Verdict:
    """The verdict a check cell printed; AssertionError when it printed none, two, or something else."""
    streams = {"stdout": "", "stderr": ""}
    for output in cell.get("outputs", []):
        assert output.output_type == "stream", f"a check cell should only print: {output}"
        streams[output.name] += output.text
    exercise = cell.metadata.nbgrader.grade_id.removeprefix(bridge.CHECK_PREFIX)
    out, err = _verdict_in(streams["stdout"], "✓", exercise), _verdict_in(streams["stderr"], "✗", exercise)
    assert bool(out) != bool(err), f"check({exercise!r}) should print one verdict, ✓ on stdout or ✗ on stderr: {streams}"
    assert "✗" not in streams["stdout"] and "✓" not in streams["stderr"], f"check({exercise!r}): {streams}"
    if out:
        passed = _PASSED.fullmatch(out)
        return Verdict(exercise, "passed", None, None, passed["message"], "stdout")
    failed = _FAILED.fullmatch(err)
    assert failed, f"check({exercise!r}) printed on stderr something else than a verdict: {err!r}"
    return Verdict(exercise, failed["status"], float(failed["score"]), float(failed["max"]), failed["message"], "stderr")


def _is_check(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_stub(cell) -> bool:
    """An answer cell that raises at top level (``raise NotImplementedError()`` in place of a value)."""
    if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("solution"):
        return False
    try:
        tree = parse(cell.source)  # the package's locked parse: the checker thread parses at the same time
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def _kernel_env(course_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_SEED", "AUTOGRADER_COURSE")}
    env["AUTOGRADER_COURSE"] = str(course_file)  # the copy, though check() would find it from the working folder too
    return env


def _execute(nb: Notebook, course, env: dict[str, str]) -> None:
    """Run All in a fresh kernel, the notebook's folder as the working folder."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    executed = nbformat.read(nb.path, as_version=4)
    for n, cell in enumerate(executed.cells):
        if _is_stub(cell):
            cell.metadata.setdefault("tags", []).append(STUB_TAG)
            nb.stubs.append(n)
    executed.cells.append(nbformat.v4.new_code_cell(PROBE))  # which Python and which autograder the kernel ran
    client = NotebookClient(executed, timeout=cell_timeout(course), kernel_name="python3", allow_errors=False,
                            shutdown_kernel="immediate", resources={"metadata": {"path": str(nb.path.parent)}})
    started = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        nb.stopped = str(exc)[-3000:]
    except Exception:  # a timeout, a dead kernel: reported by the tests
        nb.stopped = traceback.format_exc()[-3000:]
    nb.seconds = time.perf_counter() - started
    nb.executed = executed


def _check(nb: Notebook, course) -> None:
    try:
        nb.report = check_notebook(nb.path, course=course, assignment=nb.assignment)
    except Exception:
        nb.problem = traceback.format_exc()[-3000:]


def _loops(nb: Notebook) -> bool:
    """Whether ``nb`` holds a planted answer that never returns."""
    if not nb.kind.startswith("plant"):
        return False
    sources = set(plant_sets(nb.assignment)[int(nb.kind[5:])].values())
    return any(p.status == "timeout" and p.source in sources for a, p in all_plants() if a == nb.assignment)


def _notebooks(course, base: Path) -> list[Notebook]:
    """Every notebook to run, each in a folder of its own inside the copy of the course, with its data files."""
    out = []
    for a in course.assignments:
        answers = bridge.solution_answers(solution_path(course, a.id))
        wanted = {"solution": solution_path(course, a.id), "released": release_path(course, a.id)}
        for k in chosen_sets(a.id):
            wanted[f"plant{k:02d}"] = None
        for kind, source in wanted.items():
            target = base / a.id / kind / a.notebook
            target.parent.mkdir(parents=True)
            if source is not None:
                shutil.copyfile(source, target)
            else:
                bridge.answered_notebook(release_path(course, a.id), target, {**answers, **plant_sets(a.id)[int(kind[5:])]})
            for name, data in course.data_files(a.id).items():
                (target.parent / name).write_bytes(data)
            out.append(Notebook(a.id, kind, target))
    return out


@pytest.fixture(scope="module")
def notebooks(course, tmp_path_factory) -> dict[str, list[Notebook]]:
    base = tmp_path_factory.mktemp("agreement") / "course"
    base.mkdir()
    shutil.copyfile(course.path, base / "course.yml")  # no secret_seed here: learners' checks use the public seed
    for a in course.assignments:  # autograder check takes the data files from the instructor's folder
        (base / bridge.SOURCE_DIRECTORY / a.id).mkdir(parents=True)
        for name, data in course.data_files(a.id).items():
            (base / bridge.SOURCE_DIRECTORY / a.id / name).write_bytes(data)
    copy = load_course(base / "course.yml")
    # the notebooks with a plant that loops forever first: they wait out timeouts while the others run
    todo = sorted(_notebooks(course, base), key=lambda nb: not _loops(nb))
    env = _kernel_env(base / "course.yml")
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as checker, ThreadPoolExecutor(KERNELS) as kernels:
        checks = [checker.submit(_check, nb, copy) for nb in todo]  # autograder check, while the kernels run
        runs = [kernels.submit(_execute, nb, copy, env) for nb in todo]
        for future in checks + runs:
            future.result()
    slowest = sorted(todo, key=lambda nb: -nb.seconds)[:3]
    print(f"{len(todo)} notebooks run in {time.perf_counter() - started:.1f} s ({KERNELS} kernels at a time); slowest: "
          + ", ".join(f"{nb.assignment}/{nb.kind} {nb.seconds:.1f} s" for nb in slowest))  # shown with -rP
    found: dict[str, list[Notebook]] = {}
    for nb in todo:
        found.setdefault(nb.assignment, []).append(nb)
    return found


def _name(nb: Notebook) -> str:
    return f"{nb.assignment}/{nb.kind}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_notebook_runs_to_the_end(assignment_id, notebooks):
    """Run All reaches the last cell; only stub answer cells raise, and they raise NotImplementedError."""
    kinds = {nb.kind for nb in notebooks[assignment_id]}
    assert kinds == {"solution", "released"} | {f"plant{k:02d}" for k in chosen_sets(assignment_id)}
    for nb in notebooks[assignment_id]:
        assert not nb.stopped, f"{_name(nb)}: Run All stopped:\n{nb.stopped}"
        cells = nb.executed.cells
        for n, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            assert cell.execution_count is not None, f"{_name(nb)}: cell {n} did not run"
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if n in nb.stubs:
                assert [e.ename for e in errors] == ["NotImplementedError"], f"{_name(nb)}: stub cell {n}: {cell.outputs}"
            else:
                assert not errors, f"{_name(nb)}: cell {n} raised {errors[0].ename}: {errors[0].evalue}\n{cell.source[:300]}"
        if nb.kind == "solution":
            assert not nb.stubs, f"{_name(nb)}: answer cells {nb.stubs} are still stubs"
        if nb.kind == "released":
            # The untouched release: no answer cell raises at all (a value's stub assigns None, a function's
            # raises only when called), so Run All reaches the last cell without any cell allowed to fail.
            assert not nb.stubs, f"{_name(nb)}: answer cells {nb.stubs} raise at top level; value stubs assign None"


def test_the_kernels_ran_this_environment(notebooks):
    """The kernel is this virtual environment's Python with this autograder, not another installation."""
    for nb in (nbs[0] for nbs in notebooks.values()):
        probe = nb.executed.cells[-1]
        assert probe.source == PROBE and not nb.stopped
        prefix, module = "".join(o.text for o in probe.outputs if o.output_type == "stream").split()
        assert Path(prefix).resolve() == Path(sys.prefix).resolve()
        assert Path(module).resolve() == Path(autograder.__file__).resolve()


def _verdicts(nb: Notebook) -> dict[str, Verdict]:
    found = {}
    for cell in nb.executed.cells:
        if _is_check(cell):
            verdict = parse_verdict(cell)
            assert verdict.exercise not in found, f"{_name(nb)}: two check cells for {verdict.exercise}"
            found[verdict.exercise] = verdict
    return found


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_notebook_and_autograder_check_give_one_verdict(assignment_id, notebooks, course):
    """Exercise by exercise: the same status, score and misconception in the notebook and in `autograder check`."""
    points = course.assignment(assignment_id).points
    disagreements, statuses, named, compared = [], set(), set(), 0
    for nb in notebooks[assignment_id]:
        assert not nb.problem, f"{_name(nb)}: autograder check failed:\n{nb.problem}"
        assert not nb.stopped, f"{_name(nb)}: Run All stopped:\n{nb.stopped}"
        shown = _verdicts(nb)
        assert set(shown) == set(points), f"{_name(nb)}: check cells for {sorted(shown)}, course.yml has {sorted(points)}"
        for entry in nb.report.exercises:
            v = shown[entry.id]
            statuses.add(v.status)
            score = points[entry.id] if v.status == "passed" else v.score
            # a misconception is named in the message ("[no-flip]"), or is the status itself ("not-implemented")
            shown_name = entry.status if v.misconception is None and entry.misconception == entry.status else v.misconception
            ours = (v.status, score, v.max_score or points[entry.id], shown_name)
            theirs = (entry.status, entry.score, entry.max_score, entry.misconception)
            if ours != theirs:
                disagreements.append(f"{_name(nb)} {entry.id}: notebook (status, score, max, misconception) {ours} != autograder check {theirs}\n"
                                     f"    notebook: {v.message[:600]!r}\n    check:    {entry.feedback[:600]!r}")
            assert v.stream == ("stdout" if v.status == "passed" else "stderr"), f"{_name(nb)} {entry.id}"
            compared += 1
            if v.misconception and ours == theirs:
                named.add(v.misconception)
    assert not disagreements, "\n".join(disagreements)
    assert "passed" in statuses and "not-implemented" in statuses, statuses
    assert named, "no planted mistake was named in a notebook: the misconceptions were not compared"
    print(f"{assignment_id}: {compared} verdicts agree; statuses {sorted(statuses)}; misconceptions named {sorted(named)}")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_solution_passes_and_the_release_scores_nothing(assignment_id, notebooks, course):
    by_kind = {nb.kind: nb for nb in notebooks[assignment_id]}
    solution, released = _verdicts(by_kind["solution"]), _verdicts(by_kind["released"])
    assert {v.status for v in solution.values()} == {"passed"}, {e: v.message[:300] for e, v in solution.items() if v.status != "passed"}
    assert {(v.status, v.score) for v in released.values()} == {("not-implemented", 0.0)}
    failing = [v for nb in notebooks[assignment_id] if nb.kind.startswith("plant") for v in _verdicts(nb).values() if v.status != "passed"]
    assert failing, "no planted notebook failed a check: the run did not show that a failure lets Run All go on"


def test_the_notebooks_run_show_every_status_the_plants_have(notebooks, course):
    """The selection of plant sets leaves no status out: each one is shown in a real kernel somewhere."""
    planted = {p.status for a in course.assignments for s in planted_sets(a.id) for p in s.values()}
    shown = {v.status for nbs in notebooks.values() for nb in nbs for v in _verdicts(nb).values()}
    assert planted <= shown, f"no notebook run in a kernel shows {sorted(planted - shown)}"
