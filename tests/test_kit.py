"""The learner kit plays the learner: installed alone in a fresh virtual environment, it holds no answer.

In a venv with only the kit (and its dependencies): the references, the
hidden-case generators and the declarations cannot be imported; no installed
file holds the source of a reference or of a wrong implementation (compared as
normalised syntax trees), an on-paper answer in any form, a value the
misconceptions give on paper, or the instructor's secret seed; and the
notebook's ``check()`` gives every solution full marks.  The README's learner
section, typed into a shell in a folder holding the released assignments,
installs the kit and self-checks a notebook.  The sealed answers accept
exactly what the grader's comparison accepts (1/42 within its window).
"""
from __future__ import annotations

import ast
import gzip
import json
import math
import re
import shlex
import subprocess
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from autograder.engine.compare import compare
from autograder.engine.spec import Tolerance
from autograder.exercises import registry
from autograder.exercises.sealed import Sealed, seal, seal_window, window_accepts
from conftest import ROOT, solution_path
from kitvenv import build, kit_assignments, learner_env, shared_base
from autograder.notebook.syntax import parse as parse_python

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(course):
    """course.yml's assignments that the kit holds (tests/kitvenv.py: NOT_IN_KIT)."""
    import dataclasses

    return dataclasses.replace(course, assignments=[course.assignment(a) for a in kit_assignments(course)])


@pytest.fixture(scope="module")
def kit(tmp_path_factory, course):
    return build(shared_base(tmp_path_factory), course.path, kit_assignments(course))


def _run(kit, code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([kit["python"], "-c", code], cwd=cwd, env={**learner_env(kit), "MPLBACKEND": "Agg"},
                          capture_output=True, text=True, timeout=300)


def _kit_files(kit) -> dict[str, bytes]:
    """Every file the kit installed, by its path in the wheel (gzip data decompressed)."""
    out = {}
    with zipfile.ZipFile(kit["wheel"]) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            out[name] = gzip.decompress(data) if name.endswith(".gz") else data
    return out


# --------------------------------------------------------------------------- what cannot be imported

def test_the_kit_has_no_references_generators_or_declarations(kit, tmp_path):
    result = _run(kit, """
import importlib, json
out = {}
for name in ["autograder.references", "autograder.exercises.conv1d", "autograder.exercises.generators",
             "autograder.exercises.cnn_layers", "autograder.exercises.cnn_layers_detect", "autograder.frontends.kit",
             "autograder.frontends.grading.cli", "autograder.frontends.nbgrader"]:
    try:
        importlib.import_module(name)
        out[name] = "imported"
    except ImportError as exc:
        out[name] = type(exc).__name__
import autograder
from autograder.exercises import get, registry
out["file"] = autograder.__file__
out["values"] = {ex.id: {k: repr(v) for k, v in ex.values.items()} for ex in registry().values() if ex.kind == "value"}
out["references"] = sorted({ex.id for ex in registry().values() if ex.reference is not None})
out["lr"] = [getattr(__import__("autograder.exercises", fromlist=["x"]), "MAX_STABLE_LR", None)]
print(json.dumps(out))
""", tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out.pop("file").startswith(kit["venv"])
    assert out.pop("references") == []
    assert out.pop("lr") == [None]
    values = out.pop("values")
    assert set(values) == {ex.id for ex in registry().values() if ex.kind == "value" and ex.assignment in _assignments(kit)}
    assert all(v == "<sealed answer>" for ex in values.values() for v in ex.values()), values
    assert set(out.values()) == {"ModuleNotFoundError"}, out


def test_the_kit_names_every_misconception(kit):
    """No detector was left out of the kit (build-kit lists any it could not compile)."""
    assert "built in" in kit["build output"]
    assert "not in the kit" not in kit["build output"], kit["build output"]


def _assignments(kit) -> set[str]:
    with zipfile.ZipFile(kit["wheel"]) as archive:
        return set(json.loads(archive.read("autograder/exercises/compiled/index.json"))["assignments"])


# --------------------------------------------------------------------------- no source of a reference or a wrong implementation

def _normalised(node: ast.AST) -> str:
    """A function's syntax tree without its name, docstring, annotations and positions."""
    node = parse_python(ast.unparse(node)).body[0] if not isinstance(node, ast.Lambda) else node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node.name, node.returns, node.decorator_list = "_", None, []
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            sub.annotation = None
    return ast.dump(node, include_attributes=False)


def _functions(source: str) -> dict[str, str]:
    tree = parse_python(source)
    return {_normalised(n): getattr(n, "name", "<lambda>") for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))}


def test_no_installed_file_holds_a_reference_or_a_wrong_implementation(kit):
    from autograder.frontends.kit.forms import PORTABLE

    references = {}
    for path in sorted((ROOT / "autograder" / "references").glob("*.py")):
        references.update({k: f"references/{path.name}:{v}" for k, v in _functions(path.read_text()).items()})
    # What may ship: the functions listed as portable (read, and found to compute no right answer), with their inner judges,
    # and the public code of each student's numbers (draw, describe, title and what they call: no reference in any).
    portable = set(_functions("\n\n".join(__import__("textwrap").dedent(__import__("inspect").getsource(fn)) for fn in PORTABLE)))
    portable |= set(_functions("\n\n".join(_public_numbers_code())))
    wrong = {}
    for path in sorted((ROOT / "autograder" / "exercises").glob("*.py")):
        if path.name in ("__init__.py", "compiled.py", "sealed.py", "library.py"):
            continue
        wrong.update({k: f"exercises/{path.name}:{v}" for k, v in _functions(path.read_text()).items()
                      if k not in portable and v != "<lambda>"})  # a lambda calls one of these, or holds a value the answer scan reads
    assert len(references) > 40 and len(wrong) > 100
    found = []
    for name, data in _kit_files(kit).items():
        if name.endswith(".py"):
            for tree, function in _functions(data.decode()).items():
                if tree in references or tree in wrong:
                    found.append(f"{name}:{function} is {references.get(tree) or wrong.get(tree)}")
    assert not found, "\n".join(found)


def _public_numbers_code() -> list[str]:
    """The source of every function a kit ships for a student's numbers (checked by the builder to use no reference)."""
    from autograder.frontends.kit.portable import Bundle

    bundle = Bundle(set())
    for ex in registry().values():
        if ex.numbers is not None:
            for fn in (ex.numbers.draw, ex.numbers.describe, ex.numbers.title):
                if fn is not None:
                    bundle.add(fn, public=True)
    return [source for functions in bundle.functions.values() for source in functions.values()]


# --------------------------------------------------------------------------- no answer, no secret

def _answers(course, rostered: bool = False) -> dict[float, str]:
    """Every number worked out on paper (and the values its misconceptions give), and the answer-revealing constants.

    ``rostered``: instead, each rostered student's own answers and misconceptions' values (tests/roster.txt: the
    kit is built with it), by exercise id: of every exercise with numbers of its own, on paper or not (each
    student's max_stable_lr, the limit of their own stripe, too)."""
    from autograder.exercises import cnn_layers

    out: dict[float, str] = {}
    by_exercise: dict[str, dict[float, str]] = {}

    def add(value, where, into=out):
        if isinstance(value, dict):
            for k, v in value.items():
                add(v, f"{where}[{k!r}]", into)
        elif isinstance(value, (list, tuple, np.ndarray)):
            for i, v in enumerate(np.asarray(value).reshape(-1).tolist()):
                add(v, f"{where}[{i}]", into)
        elif isinstance(value, (int, float)) and (abs(value) >= 100 or value != int(value)):
            into[float(value)] = where  # small whole numbers (8, 0, 5) are everywhere: their sequences are looked for below

    for ex in registry().values():
        if ex.kind != "value" or ex.assignment not in {a.id for a in course.assignments}:
            continue
        if rostered:  # every exercise with numbers of its own, on paper or not (max_stable_lr: each student's limit)
            for student, numbers, answers, wrong in _rostered(course, ex):
                add(answers, f"{ex.id}.{student}", by_exercise.setdefault(ex.id, {}))
                for mid, alternatives in wrong.items():
                    add(alternatives, f"{ex.id} [{mid}] of {student}", by_exercise.setdefault(ex.id, {}))
            continue
        if ex.on_paper:
            for name, value in ex.values.items():
                add(value, f"{ex.id}.{name}")
            for m in ex.misconceptions:
                if m.wrong is not None:
                    add(m.wrong(), f"{ex.id} [{m.id}]")
    if rostered:
        return by_exercise
    out[cnn_layers.MAX_STABLE_LR] = "max_stable_lr (1/42)"
    out[cnn_layers.BOOK_STABLE_LR] = "the book's stable limit (1/30)"
    return out


def _rostered(course, ex):
    """(student, numbers, answers, {misconception: its values}) for each student of the kit's roster, on ``ex``."""
    from autograder.engine.numbers import draw_for
    from autograder.frontends.kit.roster import read_roster
    from kitvenv import ROSTER

    if ex.numbers is None or not course.assignment(ex.assignment).variants:
        return []
    out = []
    for student in read_roster(ROSTER):
        numbers = draw_for(ex, student, course.variant_seed)
        out.append((student, numbers, ex.numbers.answers(numbers), {mid: fn(numbers) for mid, fn in ex.numbers.wrong.items()}))
    return out


def _sequences(course) -> dict[str, str]:
    """Runs of three or more small whole numbers worked out on paper (the lesson's and each rostered student's
    answers and misconceptions' values): a regular expression finding each in a text, and where it comes from."""
    out: dict[str, str] = {}

    def add(value, where):
        if isinstance(value, dict):
            for k, v in value.items():
                add(v, f"{where}[{k!r}]")
            return
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            for i, v in enumerate(value):
                add(v, f"{where}[{i}]")
        try:
            flat = np.asarray(value).reshape(-1)
        except (TypeError, ValueError):
            return
        if flat.size >= 3 and flat.dtype.kind in "iuf" and np.all(flat == np.round(flat)):
            out[r"(?<![\d.])" + r",\s*".join(str(int(v)) for v in flat) + r"(?![\d.])"] = where

    for ex in registry().values():
        if ex.kind == "value" and ex.on_paper and ex.assignment in {a.id for a in course.assignments}:
            for name, value in ex.values.items():
                add(value, f"{ex.id}.{name}")
            for student, numbers, answers, wrong in _rostered(course, ex):
                add(answers, f"{ex.id}.{student}")
                for mid, alternatives in wrong.items():
                    for i, values in enumerate(alternatives):
                        add(values, f"{ex.id} [{mid}] of {student}")
    return out


def _hit(value: float, answers: dict[float, str]) -> str | None:
    for answer, where in answers.items():
        if answer == int(answer) and value == answer or answer != int(answer) and math.isfinite(value) and abs(value / answer - 1) <= 0.05:
            return where
    return None


def _numbers_in_code(source: str):
    """Every number a Python file writes, literally or as arithmetic on literals."""
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            yield node.value
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            try:
                value = eval(compile(ast.Expression(node), "<expr>", "eval"), {"__builtins__": {}})  # literals only: names raise
            except Exception:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12:
                yield value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield from (float(t) for t in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", node.value))


def _numbers_in_data(value, skip=("args", "kwargs", "expected", "files", "detect", "wrong", "hidden", "first", "numeric")):
    """Every number in the kit's data, except the inputs and outputs of the function checks (random practice data:
    a judge's ``first`` images of its case's output and ``numeric`` gradients of its case are such outputs too)."""
    if isinstance(value, dict):
        if "$nd" in value or "$np" in value or "$cents" in value:
            from autograder.exercises.compiled import decode

            yield from (float(v) for v in np.asarray(decode(value), dtype=float).reshape(-1))
            return
        for k, v in value.items():
            if k not in skip:
                yield from _numbers_in_data(v, skip)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers_in_data(v, skip)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)
    elif isinstance(value, str):
        yield from (float(t) for t in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", value))


def test_no_installed_file_holds_an_answer_or_the_secret_seed(kit, course):
    """Nor any rostered student's (tests/roster.txt: the kit is built with it), whose answers are sealed too: looked
    for in what the build writes for their exercise (its record, the portable code and data), as the rest of the kit
    is the same for every roster (and holds round numbers, 1024, 200, that a student's answer may be too)."""
    answers = _answers(course)
    assert len(answers) >= 8, answers
    rostered = _answers(course, rostered=True)
    assert any(rostered.values()), rostered  # small whole numbers aside (their sequences are looked for below)
    assert len(rostered["max_stable_lr"]) >= 3, rostered["max_stable_lr"]  # each student's limit: a float, never small
    everyone = {k: v for found in rostered.values() for k, v in found.items()}
    sequences = _sequences(course)
    assert any("by_hand_full.kit-roster" in where for where in sequences.values()), sequences
    y_by_hand = registry()["by_hand_full"].values["y_by_hand"]
    secret = course.secret_seed()
    found = []
    for name, data in _kit_files(kit).items():
        text = data.decode("utf-8", errors="replace")
        assert str(secret) not in text and data.find(int(secret).to_bytes(8, "little")) < 0, f"{name} holds the secret seed"
        if name.endswith(".py"):
            numbers = _numbers_in_code(text)
        elif name.endswith((".json", ".json.gz", ".yml")):
            numbers = _numbers_in_data(json.loads(text) if not name.endswith(".yml") else text)
            if name.endswith(".json.gz") and "/compiled/0" in name:
                for record in json.loads(text)["exercises"]:
                    if record["kind"] == "value":  # a value exercise keeps nothing in the clear but its skeleton
                        dumped = json.dumps(record)
                        found += [f"{name} holds {where} in {record['id']}" for pattern, where in sequences.items() if re.search(pattern, dumped)]
                        found += [f"{name} holds {number:g} in {record['id']}, the answer {where}" for number in _numbers_in_data(record)
                                  for where in [_hit(number, rostered.get(record["id"], {}))] if where]
        else:
            continue
        numbers = list(numbers)
        for number in numbers:
            where = _hit(number, answers) or ("/portable" in name and _hit(number, everyone))
            if where:
                found.append(f"{name} holds {number:g}, the answer {where}")
    assert not found, "\n".join(sorted(set(found)))
    assert y_by_hand == [6, 11, 14, 5, 0]


# --------------------------------------------------------------------------- sealed answers: exactly the grader's comparison

@pytest.mark.filterwarnings("ignore:One of rtol or atol is not valid")  # numpy.isclose with an infinite atol, as compare() calls it
def test_sealed_answers_accept_exactly_what_the_grader_accepts():
    salt = b"kit-test"
    rule = {"kind": "ratio", "within": 0.05}
    window = seal_window(1 / 42, rule, salt, "limit", rounds=50)
    assert len(window["cells"]) == 8 and all(str(1 / 42)[:6] not in json.dumps(c) for c in window["cells"])
    for value, right in [(1 / 42, True), (1 / 42 * 1.0499, True), (1 / 42 * 0.9501, True), (1 / 42 * 1.0501, False),
                         (1 / 42 * 0.9499, False), (1 / 41, True), (1 / 30, False), (0.0238, True), (-1 / 42, False), (float("nan"), False)]:
        assert window_accepts(window, value, salt, "limit", 50) == right, value
    rng = np.random.default_rng(5)
    tolerances = [Tolerance(), Tolerance(1e-3, 0.0), Tolerance(0.0, 1e-2), Tolerance(0.0, 0.0), Tolerance(0.0, float("inf"))]
    answers = [577.0, 732.0, 2304, 33962240, 0.5, -3.25, 0.0, [6, 11, 14, 5, 0], (1.5, 2), {"a": np.arange(4.0).reshape(2, 2), "b": 3}]
    for tol in tolerances:
        for answer in answers:
            sealed = Sealed(seal(answer, tol, salt, rounds=50), salt, 50)
            for got in _probes(answer, tol, rng):
                want = compare(answer, got, returns="any", tol=tol, reveal="none") is None
                assert (sealed.compare_answer(got, tol=tol, reveal="none") is None) == want, (answer, got, tol)


def _probes(answer, tol, rng):
    """Values at, near and across the edge of the tolerance window, and of other types and shapes."""
    yield answer
    if isinstance(answer, (int, float)):
        w = tol.atol + tol.rtol * abs(answer) if math.isfinite(tol.atol) else 1.0
        for k in (0.5, 0.999999, 1.0, 1.000001, 2.0, -0.5, -1.000001):
            yield answer + k * w
            yield float(answer) + k * w
        yield int(answer)
        yield np.float32(answer)
        yield str(answer)
        yield [answer]
        yield None
        yield float("nan")
        yield float("inf")
    elif isinstance(answer, list):
        yield np.array(answer)
        yield np.array(answer, dtype=float)
        yield [float(v) for v in answer]
        yield answer[:-1]
        yield answer[:2] + [answer[2] + 1] + answer[3:]
        yield tuple(answer)
    elif isinstance(answer, tuple):
        yield list(answer)
        yield (answer[0] + 1e-9, answer[1])
        yield (answer[0], 2.0)
    else:
        yield {"a": np.arange(4.0).reshape(2, 2) + 1e-9, "b": 3}
        yield {"a": np.arange(4.0).reshape(2, 2), "b": 4}
        yield {"a": np.arange(4.0).reshape(4), "b": 3}
        yield {"a": np.arange(4.0).reshape(2, 2)}
        yield {"a": np.arange(4).reshape(2, 2), "b": 3.0}
    yield rng.normal(size=3)


# --------------------------------------------------------------------------- the learner's check()

def test_check_gives_every_solution_full_marks(kit, course, tmp_path):
    """Each solution notebook run cell by cell in the kit's Python, check cells included, as a kernel runs it."""
    folders = []
    for a in course.assignments:
        folder = tmp_path / a.id
        folder.mkdir()
        source = solution_path(course, a.id)
        (folder / source.name).write_bytes(source.read_bytes())
        for name in a.files:
            (folder / name).write_bytes((source.parent / name).read_bytes())
        folders.append(str(folder / source.name))
    result = _run(kit, f"""
import contextlib, io, json, os, sys
import nbformat
out = {{}}
for path in {folders!r}:
    os.chdir(os.path.dirname(path))
    namespace = {{"__name__": "__main__"}}
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    out[path] = captured.getvalue()
print(json.dumps(out))
""", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout)
    for a, path in zip(course.assignments, folders):
        verdicts = re.findall(r"^([✓✗]) (\w+)", printed[path], re.M)
        assert verdicts and all(mark == "✓" for mark, _ in verdicts), printed[path][-2000:]
        assert {exercise for _, exercise in verdicts} == set(a.points), a.id


def test_check_in_the_kit_says_it_holds_one_seed(kit, tmp_path):
    result = _run(kit, "from autograder import check\ncheck('conv1d', lambda x, h: x, seed=7)\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "holds the practice checks of seed" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- the README's learner section, as typed

def _learner_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For learners", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.split("#")[0].strip()]


def test_readme_learner_section_works_as_typed(kit, course, tmp_path):
    """A learner's folder: the released assignments and the kit's wheel, no course.yml, no solutions."""
    commands = _learner_commands()
    assert any(c.startswith("pip install") for c in commands) and any(c.startswith("autograder check") for c in commands)
    assert any(c.startswith("pytest") for c in commands)
    learner = tmp_path / "course"
    for a in course.assignments:
        source = course.release_dir(a.id)
        target = learner / "assignments" / a.id
        target.mkdir(parents=True)
        for path in source.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
    wheel = Path(kit["wheel"])
    (learner / wheel.name).write_bytes(wheel.read_bytes())
    env = learner_env(kit)
    for command in commands:
        if command.startswith(("python -m venv", ". ", "source ")):
            continue  # the environment is the kit's venv, already made and on PATH
        args = shlex.split(command.replace("convolution_course_kit-*.whl", wheel.name))
        result = subprocess.run(args, cwd=learner, env=env, capture_output=True, text=True, timeout=300)
        if args[0] == "pip":
            assert result.returncode == 0, result.stderr[-2000:]
        elif args[:2] == ["autograder", "check"]:
            assert result.returncode == 1 and "not written yet" in result.stdout, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
        elif args[0] == "pytest":
            assert result.returncode == 1 and re.search(r"\d+ failed", result.stdout), result.stdout[-2000:]
            assert "not written yet" in result.stdout


# --------------------------------------------------------------------------- 06's judges in the kit

def test_the_kits_speed_check_fails_four_loops_with_the_ratio_and_training_is_measured(kit, course, tmp_path):
    """06 in the kit: four nested loops are right but too slow, and the kit says by how much (its loops'
    time from a stand-in that holds no convolution); the solution's network is trained and read with its
    own predict (the kit holds no forward pass), at full marks."""
    from test_cnn_scratch import LOOP_CONV

    from conftest import planted_notebook

    assignment = course.assignment("06-cnn-from-scratch")
    folder = tmp_path / assignment.id
    folder.mkdir()
    source = solution_path(course, assignment.id)
    for name in assignment.files:
        (folder / name).write_bytes((source.parent / name).read_bytes())
    # train left unwritten here: trained through four nested loops it would run into its time limit
    unwritten = "\n\n".join(f"def {name}({args}):\n    raise NotImplementedError()" for name, args in
                             (("train", "X_train, y_train, epochs, lr, seed"), ("predict", "params, X")))
    planted_notebook(source, folder / "loops.ipynb", {"conv_forward": LOOP_CONV, "train": unwritten})
    (folder / "solution.ipynb").write_bytes(source.read_bytes())
    done = subprocess.run(["autograder", "check", "--json", "loops.ipynb", "solution.ipynb"], cwd=folder,
                          env={**learner_env(kit), "MPLBACKEND": "Agg"}, capture_output=True, text=True, timeout=300)
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    loops, solution = ({e["id"]: e for e in r["exercises"]} for r in reports)
    entry = loops["conv_forward"]
    found = re.search(r"yours is ([\d.]+) times as fast as four nested loops", entry["feedback"])
    assert entry["status"] == "failed" and found and float(found.group(1)) < 10, entry["feedback"]
    assert all(e["status"] == "passed" for e in solution.values()), {k: e["feedback"][:300] for k, e in solution.items() if e["status"] != "passed"}
    assert solution["train"]["score"] == assignment.points["train"]
