"""Turn a notebook file into the program a learner wrote, without running it.

Steps: read the JSON (nbformat) -> pick the cells that hold learner code ->
translate IPython syntax (magics, ``!shell``) into plain Python with IPython's
own transformer -> drop the self-check lines (``from autograder import
check``, ``check(...)``) and the demonstrations (``with demo(): ...``), which
show the learner results and define nothing grading needs -> remember, for each cell, which names it defines.

Test cells (nbgrader's "autograder tests" cells) are never part of the
program: they belong to the grader.  Cells are recognised by their metadata
*and* by their content, so a learner who deleted, duplicated, reordered or
retyped cells is still graded on the functions and values they defined.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .files import UnsafeFile, read_regular
from .syntax import parse as parse_python

HIDDEN_TESTS_MARK = "### BEGIN HIDDEN TESTS"


class NotebookError(ValueError):
    """The file is not a notebook we can read."""


@dataclass
class ProgramCell:
    """One cell of learner code, ready to run."""

    index: int  # position in the notebook, counted from 1 as Jupyter shows it
    source: str  # what the learner wrote
    code: str  # plain Python to execute
    grade_id: str | None = None
    defines: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Program:
    """The learner's code of one notebook, in execution order."""

    path: str
    cells: list[ProgramCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    grade_ids: list[str] = field(default_factory=list)

    def sources(self) -> list[tuple[int | None, str]]:
        return [(c.index, c.code) for c in self.cells]

    def cells_defining(self, name: str, owner: str | None = None) -> list[ProgramCell]:
        """Cells that bind ``name``, or that are the answer cell of exercise ``owner``."""
        return [c for c in self.cells if name in c.defines or (owner is not None and c.grade_id == owner)]


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}) or {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return data if isinstance(data, dict) else {}


def is_test_cell(cell) -> bool:
    """An nbgrader test cell, by metadata or by what it contains."""
    meta = _nbgrader(cell)
    if meta.get("grade") and not meta.get("solution"):
        return True
    source = cell.get("source", "")
    if HIDDEN_TESTS_MARK in source:
        return True
    try:
        tree = parse_python(_to_python(source))
    except SyntaxError:
        return False
    return bool(tree.body) and all(_is_self_check(node) for node in tree.body)


def _is_demo(node: ast.stmt) -> bool:
    """``with demo(): ...``: a demonstration for the learner, which grading does not need."""
    if not isinstance(node, ast.With):
        return False
    for item in node.items:
        call = item.context_expr
        func = call.func if isinstance(call, ast.Call) else call
        if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) == "demo":
            return True
    return False


def _is_self_check(node: ast.stmt) -> bool:
    if _is_demo(node):
        return True
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "autograder":
        return True
    if isinstance(node, ast.Import) and all(a.name.split(".")[0] == "autograder" for a in node.names):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name == "check"
    return False


_TRANSFORMER = None


#: What IPython's transformer would change: magics, shell escapes, help and auto-call syntax.
_IPYTHON_SYNTAX = re.compile(r"^\s*[%!?/,;]|[?]\s*$|=\s*[%!]", re.M)


def _to_python(source: str) -> str:
    """IPython syntax to plain Python, as the kernel would translate it."""
    global _TRANSFORMER
    if not _IPYTHON_SYNTAX.search(source):
        return source  # plain Python: IPython (slow to import) is not needed
    if _TRANSFORMER is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _TRANSFORMER = TransformerManager()
    try:
        return _TRANSFORMER.transform_cell(source)
    except Exception:  # IPython could not translate it: run it as written
        return source


def _strip_self_checks(code: str) -> str:
    """Remove top-level self-check statements a learner copied into a cell."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return code
    drop = [node for node in tree.body if _is_self_check(node)]
    if not drop:
        return code
    lines = code.splitlines(keepends=True)
    for node in drop:
        for n in range(node.lineno - 1, node.end_lineno):
            lines[n] = "\n" if n != node.lineno - 1 else "pass  # self-check removed by the grader\n"
    return "".join(lines)


def defined_names(code: str) -> tuple[str, ...]:
    """Names a cell binds at module level: functions, classes and assignments."""
    try:
        tree = parse_python(code)
    except SyntaxError:
        return ()
    names: list[str] = []

    def bind(target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                bind(elt)
        elif isinstance(target, ast.Starred):
            bind(target.value)

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)  # its body binds local names only
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                bind(node.target)
            else:
                for field_name in ("body", "orelse", "finalbody", "handlers"):
                    visit([n for n in getattr(node, field_name, []) if isinstance(n, ast.stmt)])
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return tuple(dict.fromkeys(names))


def read_notebook(path: str | Path, *, follow_links: bool = True, under: str | Path | None = None):
    """Read a notebook with nbformat; raise :class:`NotebookError` with a clear reason.

    ``follow_links=False`` reads a learner's file: no symbolic link at or
    below ``under`` (the trusted folder; default: the notebook's own folder)
    is followed (:mod:`.files`).  Either way, only a regular file is read (a
    named pipe would block).
    """
    path = Path(path)
    try:
        text = read_regular(path, under=under, follow_links=follow_links).decode("utf-8")
    except UnsafeFile as exc:
        raise NotebookError(str(exc)) from None
    except FileNotFoundError:
        raise NotebookError(f"no notebook at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path.name} is not valid notebook JSON (line {exc.lineno}: {exc.msg}); was it saved completely?") from None
    except RecursionError:
        raise NotebookError(f"{path.name} nests its JSON deeper than any notebook Jupyter saves (lists or objects inside each other too many times); it cannot be read") from None
    if _plain_v4(data):
        # What grading reads of a version-4 notebook is plain JSON: no need to load (and
        # validate with) nbformat, which costs seconds at start-up. Sources saved as lists
        # of lines are joined, as nbformat does.
        for cell in data["cells"]:
            if isinstance(cell.get("source"), list) and all(isinstance(s, str) for s in cell["source"]):
                cell["source"] = "".join(cell["source"])
        return data
    import nbformat  # other versions are converted by nbformat itself

    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types
        raise NotebookError(f"{path.name} is not a Jupyter notebook nbformat can read: {exc}") from None


def _plain_v4(data) -> bool:
    return (isinstance(data, dict) and data.get("nbformat") == 4 and isinstance(data.get("cells"), list)
            and all(isinstance(c, dict) for c in data["cells"]))


def extract_program(nb, path: str = "") -> Program:
    """The learner's code cells of ``nb`` (see the module docstring)."""
    program = Program(path=str(path))
    for position, cell in enumerate(nb.get("cells", []), start=1):
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        if grade_id:
            program.grade_ids.append(grade_id)
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if not isinstance(source, str):
            continue
        note = ""
        if cell.get("cell_type") != "code":
            # A solution cell whose type was changed still holds the learner's code.
            if not meta.get("solution"):
                continue
            try:
                parse_python(_to_python(source))
            except SyntaxError:
                continue
            note = f"cell {position} is a {cell.get('cell_type')} cell; its code was run as Python"
            program.notes.append(note)
        if is_test_cell(cell):
            continue
        code = _strip_self_checks(_to_python(source))
        program.cells.append(ProgramCell(position, source, code, grade_id, defined_names(code), note))
    return program


def load_program(path: str | Path) -> Program:
    """Read and extract in one step."""
    return extract_program(read_notebook(path), str(path))


def imported_modules(program: Program) -> set[str]:
    """The modules a program imports (statically, wherever in its cells), e.g. ``scipy.signal``."""
    found: set[str] = set()
    for cell in program.cells:
        try:
            tree = parse_python(cell.code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found
