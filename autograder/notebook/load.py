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

Bounded work: before anything is parsed, the file's size, the number of
cells, each cell's size and how deep its brackets nest are checked against
:class:`Bounds` (course.yml's ``grading`` settings).  A notebook over the
first two is refused as a whole; a cell over the others is kept aside, not
run, with a message for the learner (its exercises score 0, the rest is
graded).  Each cell is parsed once; its tree travels with the program
(:class:`~autograder.notebook.syntax.Source`) to whoever needs it again.
"""
from __future__ import annotations

import ast
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .files import UnsafeFile, read_regular
from .syntax import UNPARSEABLE, Source, nesting_depth
from .syntax import parse as parse_python

HIDDEN_TESTS_MARK = "### BEGIN HIDDEN TESTS"


class NotebookError(ValueError):
    """The file is not a notebook we can read."""


@dataclass(frozen=True)
class Bounds:
    """How much notebook the grader takes on, checked before anything is parsed.

    A course notebook has about 50 cells, each under 20 KB of code; images in
    its outputs can make the file a few MB.  Parsing costs the grader about 3 s
    and 200 MB per MB of dense code, holding every other grading thread, so
    code is what is bounded tightly (per cell and in all); the file's size
    only generously (reading its JSON is cheap by comparison).
    """

    max_notebook_mb: float = 16
    max_cells: int = 1000
    max_cell_kb: float = 64
    max_code_kb: float = 256
    #: brackets inside brackets (honest code: under 10; Python itself stops at 200)
    max_nesting: int = 50

    def file_refusal(self, name: str, size: int) -> str:
        """Why a notebook file of ``size`` bytes is not read (empty when it is)."""
        if size <= self.max_notebook_mb * 1024 * 1024:
            return ""
        return (f"{name} is {_size(size)}; a notebook file may be at most {self.max_notebook_mb:g} MB "
                "(outputs count too: clear them with Kernel > Restart & Clear Output, then save it again)")

    def count_refusal(self, name: str, count: int) -> str:
        """Why a notebook of ``count`` cells is not read (empty when it is)."""
        if count <= self.max_cells:
            return ""
        return (f"{name} has {count} cells; a notebook may have at most {self.max_cells} "
                "(a course notebook has about 50): merge or delete cells, then save it again")

    def refusal(self, position: int, source: str, code_before: int) -> str:
        """Why cell ``position`` is not run (empty when it is); ``code_before``: code in the cells run before it.

        Cheap checks only (its length, a scan of its brackets): nothing is parsed.
        """
        if len(source) > self.max_cell_kb * 1024:
            return (f"{_cell_name(position, source)} holds {_size(len(source))} of code; a cell may hold at most "
                    f"{self.max_cell_kb:g} KB, so the grader did not run it: split it into smaller cells, or read large data from a file")
        if code_before + len(source) > self.max_code_kb * 1024:
            return (f"{_cell_name(position, source)} was not run: the code cells before it already hold {_size(code_before)}, "
                    f"and a notebook may hold at most {self.max_code_kb:g} KB of code")
        depth = nesting_depth(source)
        if depth > self.max_nesting:
            return (f"{_cell_name(position, source)} nests brackets {depth} deep; the grader reads at most {self.max_nesting} levels, "
                    "so it did not run this cell: build deeply nested values step by step (variables, loops or helper functions)")
        return ""

    @property
    def max_depth(self) -> int:
        """How deep a cell's syntax tree may be (honest course code: under 20; the grader's own
        walks of it recurse, and CPython builds no tree past ~3000)."""
        return 4 * self.max_nesting

    def depth_refusal(self, position: int, source: str, depth: int) -> str:
        return (f"{_cell_name(position, source)} nests expressions {depth} levels deep (a long chain of operators, calls or "
                f"attributes); the grader reads at most {self.max_depth}, so it did not run this cell: split the expression into steps")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} characters"


def _cell_name(position: int, source: str) -> str:
    """A cell as the learner can find it: its number and its first line."""
    for line in source.split("\n", 20)[:20]:
        text = line.strip()
        if text and not text.startswith("#"):
            shown = text if len(text) <= 40 else text[:37] + "..."
            return f"cell {position} (the cell that starts with `{shown.replace('`', chr(39))}`)"
    return f"cell {position}"


@dataclass
class ProgramCell:
    """One cell of learner code, ready to run."""

    index: int  # position in the notebook, counted from 1 as Jupyter shows it
    source: str  # what the learner wrote
    code: str  # plain Python to execute
    grade_id: str | None = None
    defines: tuple[str, ...] = ()
    note: str = ""
    #: the parsed code (None when it does not parse); shared by every thread grading the program
    tree: ast.Module | None = field(default=None, repr=False, compare=False)
    #: the modules it imports, e.g. ``scipy.signal``
    imports: frozenset[str] = frozenset()
    #: why the grader did not run it (too large, nested too deep); empty when it runs
    refused: str = ""
    #: the course's own cell, exactly as released (not the learner's code): see :func:`mark_provided`
    provided: bool = False


@dataclass
class Program:
    """The learner's code of one notebook, in execution order."""

    path: str
    cells: list[ProgramCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    grade_ids: list[str] = field(default_factory=list)
    #: the grader's own time spent reading and parsing it (counted against the submission's time)
    grader_seconds: float = 0.0

    def sources(self) -> list[tuple[int | None, str]]:
        """The cells that run, as (cell index, code), each with its tree (:class:`Source`)."""
        return [Source(c.index, c.code, c.tree) for c in self.cells if not c.refused]

    def refused(self) -> list[ProgramCell]:
        return [c for c in self.cells if c.refused]

    def cells_defining(self, name: str, owner: str | None = None) -> list[ProgramCell]:
        """Cells that bind ``name``, or that are the answer cell of exercise ``owner``."""
        return [c for c in self.cells if name in c.defines or (owner is not None and c.grade_id == owner)]


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}) or {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return data if isinstance(data, dict) else {}


def is_test_cell(cell) -> bool:
    """An nbgrader test cell, by metadata or by what it contains."""
    source = cell.get("source", "")
    if _test_by_metadata(_nbgrader(cell), source):
        return True
    try:
        return _only_self_checks(parse_python(_to_python(source)))
    except UNPARSEABLE:
        return False


def _test_by_metadata(meta: dict, source: str) -> bool:
    return bool(meta.get("grade") and not meta.get("solution")) or HIDDEN_TESTS_MARK in source


def _only_self_checks(tree: ast.Module) -> bool:
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


#: what a self-check line may import from the course's package; anything else of it
#: (``import autograder.references.cnn as _r``) stays in the program, where the
#: by-hand and course-code rules see it (and the sandbox cannot import it)
SELF_CHECK_NAMES = frozenset({"check", "demo", "my_numbers"})


def _is_self_check(node: ast.stmt) -> bool:
    if _is_demo(node):
        return True
    if isinstance(node, ast.ImportFrom) and node.module == "autograder" and not node.level:
        return all(a.name in SELF_CHECK_NAMES for a in node.names)
    if isinstance(node, ast.Import) and all(a.name == "autograder" and a.asname is None for a in node.names):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in ("check", "my_numbers")
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


def _strip_self_checks(code: str, tree: ast.Module) -> tuple[str, ast.Module]:
    """Remove top-level self-check statements a learner copied into a cell; the code and its tree."""
    drop = [node for node in tree.body if _is_self_check(node)]
    if not drop:
        return code, tree
    lines = code.splitlines(keepends=True)
    dropped: set[int] = set()
    for node in drop:
        for n in range(node.lineno - 1, node.end_lineno):
            lines[n] = "\n" if n != node.lineno - 1 else "pass  # self-check removed by the grader\n"
            dropped.add(n + 1)
    stripped = "".join(lines)
    kept = [node for node in tree.body if node not in drop]
    if any(line in dropped for node in kept for line in range(node.lineno, node.end_lineno + 1)):
        try:  # a statement shared a line with a self-check (`check(...); y = 1`): the code changed under it
            return stripped, parse_python(stripped)
        except UNPARSEABLE:
            return stripped, None
    # Every other line is as it was: the same tree, each self-check replaced by the `pass` now in its place.
    body = [ast.Pass(lineno=node.lineno, col_offset=0, end_lineno=node.lineno, end_col_offset=4) if node in drop else node
            for node in tree.body]
    return stripped, ast.Module(body=body, type_ignores=tree.type_ignores)


def without_self_checks(source: str) -> str:
    """A cell's code as the grader runs it: IPython syntax translated, self-check lines removed
    (what the notebook's own ``check()`` reads from the kernel's history)."""
    code = _to_python(source)
    try:
        tree = parse_python(code)
    except UNPARSEABLE:
        return code
    return _strip_self_checks(code, tree)[0]


def defined_names(code: str | ast.Module) -> tuple[str, ...]:
    """Names a cell binds at module level: functions, classes and assignments (``code``: its source or its tree)."""
    if isinstance(code, str):
        try:
            tree = parse_python(code)
        except UNPARSEABLE:
            return ()
    else:
        tree = code
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


#: what a cell that is not parsed seems to define, for messages only: `def f`, `class C`, `name =` at the margin
_SEEMS_TO_DEFINE = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)|^(\w+)[ \t]*=(?!=)", re.M)


def _seems_to_define(source: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a or b for a, b in _SEEMS_TO_DEFINE.findall(source)))


def _survey(tree: ast.Module) -> tuple[frozenset[str], int]:
    """The modules a tree imports, and how deep it is, in one walk (without recursion)."""
    found: set[str] = set()
    deepest = 0
    todo = [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return frozenset(found), deepest


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


def extract_program(nb, path: str = "", bounds: Bounds | None = None) -> Program:
    """The learner's code cells of ``nb`` (see the module docstring), within ``bounds``.

    Raises :class:`NotebookError` for a notebook of more cells than ``bounds``
    allow; a cell over its own bounds is kept aside (``refused``), not parsed.
    """
    started = time.perf_counter()
    bounds = bounds or Bounds()
    program = Program(path=str(path))
    cells = nb.get("cells", [])
    cells = cells if isinstance(cells, list) else []
    refusal = bounds.count_refusal(Path(str(path)).name or "the notebook", len(cells))
    if refusal:
        raise NotebookError(refusal)
    code_before = 0
    for position, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        if grade_id:
            program.grade_ids.append(grade_id)
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        retyped = cell.get("cell_type") != "code"
        if retyped and not meta.get("solution"):
            continue
        if _test_by_metadata(meta, source):
            continue
        refused = bounds.refusal(position, source, code_before)
        if refused:
            program.notes.append(refused)
            program.cells.append(ProgramCell(position, source, "", grade_id, _seems_to_define(source), refused=refused))
            continue
        code_before += len(source)
        code = _to_python(source)
        try:
            tree = parse_python(code)
        except UNPARSEABLE:
            tree = None
        note = ""
        if retyped:
            # A solution cell whose type was changed still holds the learner's code.
            if tree is None:
                continue
            note = f"cell {position} is a {cell.get('cell_type')} cell; its code was run as Python"
            program.notes.append(note)
        if tree is not None:
            if _only_self_checks(tree):
                continue
            code, tree = _strip_self_checks(code, tree)
        imports, depth = _survey(tree) if tree is not None else (frozenset(), 0)
        if depth > bounds.max_depth:  # `1 + 1 + ... + 1`: no bracket, yet as deep as it is long
            refused = bounds.depth_refusal(position, source, depth)
            program.notes.append(refused)
            program.cells.append(ProgramCell(position, source, "", grade_id, defined_names(tree), refused=refused))
            continue
        defines = defined_names(tree) if tree is not None else ()
        program.cells.append(ProgramCell(position, source, code, grade_id, defines, note, tree, imports))
    program.grader_seconds = time.perf_counter() - started
    return program


def load_program(path: str | Path, bounds: Bounds | None = None, *, follow_links: bool = True, under: str | Path | None = None) -> Program:
    """Read and extract in one step, within ``bounds`` (a file over their size is not read).

    ``follow_links`` and ``under``: as for :func:`read_notebook`.
    """
    started = time.perf_counter()
    bounds = bounds or Bounds()
    try:
        size = os.stat(path, follow_symlinks=follow_links).st_size
    except OSError:
        size = 0  # read_notebook says what is wrong with it
    refusal = bounds.file_refusal(Path(path).name, size)
    if refusal:
        raise NotebookError(refusal)
    program = extract_program(read_notebook(path, follow_links=follow_links, under=under), str(path), bounds)
    program.grader_seconds = time.perf_counter() - started
    return program


def imported_modules(program: Program) -> set[str]:
    """The modules a program imports (statically, wherever in its cells), e.g. ``scipy.signal``."""
    found: set[str] = set()
    for cell in program.cells:
        if not cell.refused:
            found |= cell.imports
    return found


def released_sources(path: str | Path) -> frozenset[str]:
    """The code cells of a released notebook that the learner is not asked to change (no answer
    cells), stripped of surrounding blank space; empty when the file cannot be read."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return frozenset()
    found = set()
    for cell in data.get("cells", []) if isinstance(data, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _nbgrader(cell).get("solution"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if isinstance(source, str) and source.strip():
            found.add(source.strip())
    return frozenset(found)


def mark_provided(program: Program, provided: frozenset[str] | set[str]) -> Program:
    """Mark the cells of ``program`` that are the course's own, unchanged (their failures are not the learner's)."""
    for cell in program.cells:
        cell.provided = bool(provided) and cell.source.strip() in provided
    return program

