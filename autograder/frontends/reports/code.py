"""The learner's own code of an exercise, with the line the feedback blames marked.

The engine's feedback locates an error as the learner sees it (see
:mod:`autograder.engine.traceback_info` and :mod:`autograder.engine.forbidden`):

* ``line N of FUNCTION: text`` -- line N counted from the ``def`` line of FUNCTION;
* ``line N of the cell that starts with `...`: text`` -- top-level code;
* ``cell C, line N: text`` -- a forbidden call, C the notebook cell (from 1).

The notebook is read on the trusted side only (parsed, never run), once per
page (:func:`load_cells`): its JSON, each cell's source, and the names each
cell defines (:func:`autograder.notebook.load.defined_names`); IPython's
syntax is translated only for the cells that are not plain Python, which
keeps a page to a few milliseconds.  Cells are numbered as the engine
numbers them (their position in the notebook, from 1).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...notebook.syntax import parse as parse_python

_FUNC_LINE = re.compile(r"\bline (\d+) of (<?[A-Za-z_][A-Za-z0-9_]*>?)(?:: ([^\n]*))?")  # <listcomp>: a comprehension's own frame
_CELL_LINE = re.compile(r"\bcell (\d+), line (\d+)(?:: ([^\n]*))?")
_TOP_LINE = re.compile(r"\bline (\d+) of the cell that starts with `([^`\n]*)`(?:: ([^\n]*))?")
MAX_LINES = 80


@dataclass
class Excerpt:
    """One cell of learner code to show."""

    cell: int  # notebook position, from 1
    lines: list[tuple[int, str]]  # (line number in the cell, text)
    marked: set[int] = field(default_factory=set)  # line numbers to highlight
    why: str = ""  # what the mark means


@dataclass
class Location:
    kind: str  # "function", "cell" or "top"
    line: int
    name: str = ""  # function name, or the cell's first line
    cell: int | None = None
    text: str = ""


def locate(feedback: str) -> Location | None:
    """Where the feedback says the learner's code went wrong (the first place it names)."""
    found = []
    for regex, kind in ((_CELL_LINE, "cell"), (_TOP_LINE, "top"), (_FUNC_LINE, "function")):
        match = regex.search(feedback or "")
        if match:
            found.append((match.start(), kind, match))
    if not found:
        return None
    _, kind, match = min(found, key=lambda item: item[0])
    text = _clean(match.group(3) or "")
    if kind == "cell":
        return Location("cell", int(match.group(2)), cell=int(match.group(1)), text=text)
    if kind == "top":
        return Location("top", int(match.group(1)), name=match.group(2).removesuffix("..."), text=text)
    return Location("function", int(match.group(1)), name=match.group(2), text=text)


def _clean(text: str) -> str:
    """The quoted line without what the message wraps around it: ``... (line 3 of f: y = 1/0).``"""
    text = text.strip().rstrip(".")  # also the "..." of a shortened line: it is matched as a prefix
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip().rstrip(".")
    return text.strip()


def _defs(code: str) -> dict[str, int]:
    """Function name -> line of its ``def`` (decorators not counted), anywhere in ``code``."""
    try:
        tree = parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, node.lineno)
    return out


def _text_matches(line: str, text: str) -> bool:
    return bool(text) and (line.strip() == text or (len(text) > 8 and line.strip().startswith(text)))


@dataclass(eq=False)
class Cell:
    index: int  # position in the notebook, from 1
    source: str  # what the learner wrote
    code: str  # plain Python (IPython syntax translated)
    grade_id: str | None
    defines: tuple[str, ...]


class Cells(list):
    """The code cells of a notebook, with the lookups :func:`excerpts` needs."""

    def cells_defining(self, name: str, owner: str | None = None) -> list[Cell]:
        return [c for c in self if name in c.defines or (owner is not None and c.grade_id == owner)]

    @property
    def cells(self) -> list[Cell]:
        return list(self)


def load_cells(notebook: str | Path) -> Cells | None:
    """The notebook's code cells (and answer cells retyped as another type), or None when it cannot be read.

    Within the grader's :class:`~autograder.notebook.load.Bounds` (a notebook
    over them is not read, a cell over them not shown), each cell parsed once.
    """
    from ...notebook.load import Bounds, _to_python, defined_names

    from ...notebook.files import read_regular

    bounds = Bounds()
    try:
        if bounds.file_refusal("", Path(notebook).lstat().st_size):
            return None
        # Never through a link: a file swapped in after discovery would be shown as this learner's code.
        data = json.loads(read_regular(notebook, follow_links=False).decode("utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError):
        return None
    cells = Cells()
    raw = data.get("cells") if isinstance(data, dict) else None
    if isinstance(raw, list) and bounds.count_refusal("", len(raw)):
        return None
    code_before = 0
    for position, cell in enumerate(raw if isinstance(raw, list) else [], start=1):
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        if cell.get("cell_type") != "code" and not nbgrader.get("solution"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) and all(isinstance(x, str) for x in source) else source
        if not isinstance(source, str) or bounds.refusal(position, source, code_before):
            continue
        code_before += len(source)
        try:
            tree = parse_python(source)
            code = source
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            code = _to_python(source)
            tree = code
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader.get("grade_id"), str) else None
        cells.append(Cell(position, source, code, grade_id, defined_names(tree)))
    return cells


def excerpts(notebook, names: tuple[str, ...], owner: str, feedback: str) -> list[Excerpt]:
    """The cells that define ``names`` (or answer exercise ``owner``), the blamed line marked.

    ``notebook`` is a path or the :class:`Cells` of :func:`load_cells` (read
    once for a whole page).  Empty when the notebook cannot be read (its
    report already says why).
    """
    if not notebook:
        return []
    program = notebook if isinstance(notebook, Cells) else load_cells(notebook)
    if program is None:
        return []
    where = locate(feedback)
    cells: dict[int, Cell] = {}  # by id: a cell is shown once, found in time linear in the cells
    for name in names:
        for cell in program.cells_defining(name, owner):
            cells.setdefault(id(cell), cell)
    if where is not None and where.kind == "function" and where.name not in names:
        for cell in program.cells_defining(where.name):
            cells.setdefault(id(cell), cell)
    if where is not None and where.kind == "cell":
        for c in program.cells:
            if c.index == where.cell:
                cells.setdefault(id(c), c)
    if where is not None and where.text and not any(_text_matches(line, where.text) for c in cells.values() for line in c.source.splitlines() + c.code.splitlines()):
        # the blamed line is elsewhere (a helper, a comprehension's frame): show the cell that holds it
        holder = next((c for c in program.cells if any(_text_matches(line, where.text) for line in c.code.splitlines())), None)
        if holder is not None:
            cells.setdefault(id(holder), holder)
    out = []
    for cell in sorted(cells.values(), key=lambda c: c.index)[:4]:
        source_lines = cell.source.splitlines()
        code_lines = cell.code.splitlines()
        shown = source_lines if len(source_lines) == len(code_lines) else code_lines
        marked: set[int] = set()
        why = ""
        if where is not None:
            target = None
            if where.kind == "function" and not where.name.startswith("<"):
                start = _defs(cell.code).get(where.name)
                if start is not None:
                    target = start + where.line - 1
            elif where.kind == "cell" and cell.index == where.cell:
                target = where.line
            elif where.kind == "top" and shown and shown[0].strip().startswith(where.name[:20]):
                target = where.line
            if target is not None and 1 <= target <= len(shown):
                if not where.text or _text_matches(shown[target - 1], where.text) or where.kind != "function":
                    marked.add(target)
            if not marked and where.text:  # the numbers moved (IPython syntax): find the text itself
                marked |= {n for n, line in enumerate(shown, start=1) if _text_matches(line, where.text)}
            if marked:
                why = "the line named in the feedback"
        numbered = list(enumerate(shown, start=1))
        if len(numbered) > MAX_LINES:
            centre = min(marked) if marked else 1
            first = max(1, min(centre - MAX_LINES // 2, len(numbered) - MAX_LINES + 1))
            numbered = numbered[first - 1: first - 1 + MAX_LINES]
        out.append(Excerpt(cell.index, numbered, marked, why))
    return out
