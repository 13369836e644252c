"""No released notebook gives an answer away, in any form.

Every number a learner works out on paper (the values of the course's value
exercises, 1/42 for max_stable_lr) is looked for in every released notebook:

- in code, as a literal or as arithmetic on literals (``6 * 6 * 64``);
- in Markdown and outputs, as a number or an expression (``(3·3·1 + 1)·64``,
  ``\\frac{1}{42}``);
- in what the notebook prints when it runs before any exercise is written (a
  demo cell that computes an answer without calling the learner's code).

A number inside a matrix or list of several numbers is an entry of another
quantity (``[[1364, 732], ...]``) and is not taken for an answer, unless the
whole list is one.  Numbers below 100 are too common to look for alone
(``readme_erratum_valid_size = 8``); lists of them are looked for whole.  A
float answer counts as given away within its exercise's tolerance.

Code from another assignment is not handed out either: a released notebook
defines no function that is another assignment's exercise (04 once gave 03's
``corr2d`` in full).
"""
from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.engine.forbidden import parse_cells, static_findings
from autograder.engine.spec import Tolerance
from autograder.exercises import registry
from autograder.notebook.syntax import parse as parse_python

ROOT = Path(__file__).resolve().parent.parent


def _course():
    from autograder.course import load_course

    import os

    return load_course(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml", validate=False)


COURSE = _course()


def answers_of(assignment_id: str) -> list[tuple[object, Tolerance, str]]:
    """(answer, tolerance, what) for every value exercise of the assignment (numbers, or whole lists of them)."""
    out = []
    for ex in registry().values():
        if ex.assignment != assignment_id or ex.kind != "value" or not ex.on_paper:
            continue
        for name, value in ex.values.items():
            if isinstance(value, (list, tuple, np.ndarray)):
                out.append((list(np.asarray(value).reshape(-1).tolist()), ex.tolerance, f"{ex.id}.{name}"))
            elif isinstance(value, (int, float, np.number)):
                out.append((float(value), ex.tolerance, f"{ex.id}.{name}"))
    return out


def _matches(number: float, answer: float, tol: Tolerance) -> bool:
    if not math.isfinite(number):
        return False
    if answer == int(answer):
        return abs(answer) >= 100 and number == answer
    return bool(np.isclose(number, answer, rtol=max(tol.rtol, 1e-6), atol=tol.atol))


# --------------------------------------------------------------------------- numbers in code

def _evaluate(expression):
    """The value of arithmetic on literals (a string or a syntax tree); None for anything else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = compile(ast.Expression(expression), "<expr>", "eval") if isinstance(expression, ast.AST) else expression
            return eval(code, {"__builtins__": {}})  # literals and operators only: any name raises
        except Exception:
            return None


def _literal_value(node: ast.AST):
    return _evaluate(node)


def _code_numbers(source: str):
    """(number or list, text) for every literal number, arithmetic on literals and list of literals in ``source``."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return
    entries = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1:
            value = _literal_value(node)
            if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                yield list(value), ast.get_source_segment(source, node) or ""
            entries.update(id(e) for e in node.elts)
    for node in ast.walk(tree):
        if id(node) in entries:
            continue
        if isinstance(node, (ast.Constant, ast.BinOp, ast.UnaryOp)):
            value = _literal_value(node)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e15:
                yield float(value), ast.get_source_segment(source, node) or repr(value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield from _text_numbers(node.value)


# --------------------------------------------------------------------------- numbers in text

_OPS = {"·": "*", "×": "*", r"\cdot": "*", r"\times": "*", "^": "**", "−": "-", r"\,": "", "{": "(", "}": ")"}
_EXPRESSION = re.compile(r"[\d(][\d\s.+\-*/()]*[\d)]|\d")


def _text_numbers(text: str):
    """(number or list, text) for every number, arithmetic expression and bracketed list of numbers in ``text``."""
    for match in re.finditer(r"\[([^\[\]]*)\]", text):
        items = [t.strip() for t in match.group(1).split(",")]
        if len(items) > 1 and all(re.fullmatch(r"-?\d+(?:\.\d+)?", t) for t in items):
            yield [float(t) for t in items], match.group(0)
    plain = re.sub(r"\[[^\[\]]*,[^\[\]]*\]", " ", text)  # entries of a list or matrix are not answers by themselves
    plain = re.sub(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", r"((\1)/(\2))", plain)
    for old, new in _OPS.items():
        plain = plain.replace(old, new)
    for match in _EXPRESSION.finditer(plain):
        expression = match.group(0).strip()
        candidates = {expression} | set(re.findall(r"\d+(?:\.\d+)?", expression))
        for candidate in candidates:
            value = _evaluate(candidate)
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                yield float(value), expression if candidate == expression else candidate


# --------------------------------------------------------------------------- what the notebook prints

def _printed_by_cells(notebook: Path) -> dict[int, str]:
    """What each code cell prints when the released notebook runs top to bottom (check cells left out)."""
    cells = [(i, c.source) for i, c in enumerate(nbformat.read(notebook, as_version=4).cells) if c.cell_type == "code" and "check(" not in c.source]
    script = f"""
import contextlib, io, json, os, sys
os.chdir({str(notebook.parent)!r})
namespace = {{"__name__": "__main__"}}
out = {{}}
for index, source in {cells!r}:
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        try:
            from IPython.core.inputtransformer2 import TransformerManager
            exec(compile(TransformerManager().transform_cell(source), "<cell>", "exec"), namespace)
        except BaseException:
            pass
    out[index] = captured.getvalue()
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}, cwd=notebook.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    return {int(k): v for k, v in json.loads(result.stdout).items()}


# --------------------------------------------------------------------------- the test

def _findings(assignment) -> list[str]:
    notebook = COURSE.release_dir(assignment.id) / assignment.notebook
    answers = answers_of(assignment.id)
    nb = nbformat.read(notebook, as_version=4)
    printed = _printed_by_cells(notebook)
    found = []

    def look(index: int, where: str, items):
        for value, text in items:
            for answer, tol, what in answers:
                if isinstance(answer, list):
                    hit = isinstance(value, list) and len(value) == len(answer) and all(float(v) == float(a) for v, a in zip(value, answer))
                else:
                    hit = not isinstance(value, list) and _matches(value, answer, tol)
                if hit:
                    found.append(f"{notebook.relative_to(ROOT) if notebook.is_relative_to(ROOT) else notebook}, cell {index} ({where}): "
                                 f"{' '.join(str(text).split())[:80]!r} gives away {what} = {answer}")

    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            look(index, "code", _code_numbers(cell.source))
            for output in cell.get("outputs", []):
                look(index, "output", _text_numbers(json.dumps(output)))
            if printed.get(index):
                look(index, "printed when the cell runs", _text_numbers(printed[index]))
        else:
            look(index, cell.cell_type, _text_numbers(cell.source))
    found += _others_functions(assignment, notebook, nb)
    return found


def _others_functions(assignment, notebook: Path, nb) -> list[str]:
    """Functions the notebook defines in full that are another assignment's exercises."""
    others = {ex.function_name: ex for ex in registry().values() if ex.kind == "function" and ex.assignment != assignment.id}
    own = {ex.function_name for ex in registry().values() if ex.kind == "function" and ex.assignment == assignment.id}
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = parse_python(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in others and node.name not in own:
                ex = others[node.name]
                stub = all(isinstance(s, (ast.Raise, ast.Pass, ast.Expr)) for s in node.body)
                # A wrapper of the library routine the exercise forbids (04's corr2d with SciPy) hands nothing in.
                library = bool(static_findings(parse_cells([(index, cell.source)]), node.name, ex.forbidden)) if ex.forbidden else False
                if not stub and not library:
                    out.append(f"{notebook.name}, cell {index} (code): defines {node.name} in full, the exercise {ex.id} of {ex.assignment}")
    return out


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=[a.id for a in COURSE.assignments])
def test_released_notebook_gives_no_answer_away(assignment):
    found = _findings(assignment)
    assert not found, "answers given away in the released notebook:\n" + "\n".join(found)


def test_the_scan_finds_answers_in_every_form(tmp_path):
    """The scan itself: each form an answer can take is found, and entries of a matrix are not."""
    code = "x = 6 * 6 * 64\ny = [[1364, 732], [1058, 1344]]\nz = 1 / 42\nw = [6, 11, 14, 5, 0]\n"
    assert {2304.0, 1 / 42} <= {v for v, _ in _code_numbers(code) if not isinstance(v, list)}
    assert 732.0 not in {v for v, _ in _code_numbers(code) if not isinstance(v, list)}
    assert [6, 11, 14, 5, 0] in [v for v, _ in _code_numbers(code) if isinstance(v, list)]
    text = r"has $(3 \cdot 3 \cdot 1 + 1) \cdot 64$ parameters; $\frac{1}{42}$; (3·3·64 + 1)·64 = 36928; gives `[[1364, 732], [1058, 1344]]`; prints 577.0"
    numbers = {round(v, 9) for v, _ in _text_numbers(text) if not isinstance(v, list)}
    assert {640.0, round(1 / 42, 9), 36928.0, 577.0} <= numbers and 732.0 not in numbers
    assert _matches(0.0238, 1 / 42, Tolerance(rtol=0.05, atol=0.0)) and not _matches(0.03, 1 / 42, Tolerance(rtol=0.05, atol=0.0))
    assert not _matches(8.0, 8.0, Tolerance())
