"""The learner's own code of an exercise, with the line the feedback blames marked.

The engine's feedback locates an error as the learner sees it (see
:mod:`autograder.engine.traceback_info` and :mod:`autograder.engine.forbidden`):

* ``line N of FUNCTION: text`` -- line N counted from the ``def`` line of FUNCTION;
* ``line N of the cell that starts with `...`: text`` -- top-level code;
* ``cell C, line N: text`` -- a forbidden call, C the notebook cell (from 1).

The notebook is read on the trusted side only (parsed, never run), with the
same loader as the grader (:func:`autograder.notebook.load.load_program`).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

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
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, node.lineno)
    return out


def _text_matches(line: str, text: str) -> bool:
    return bool(text) and (line.strip() == text or (len(text) > 8 and line.strip().startswith(text)))


def excerpts(notebook: str | Path | None, names: tuple[str, ...], owner: str, feedback: str) -> list[Excerpt]:
    """The cells that define ``names`` (or answer exercise ``owner``), the blamed line marked.

    Empty when the notebook cannot be read (its report already says why).
    """
    if not notebook:
        return []
    try:
        from ...notebook.load import load_program

        program = load_program(notebook)
    except Exception:  # unreadable, too deep, vanished: nothing to show
        return []
    where = locate(feedback)
    cells = []
    for name in names:
        for cell in program.cells_defining(name, owner):
            if cell not in cells:
                cells.append(cell)
    if where is not None and where.kind == "function" and where.name not in names:
        for cell in program.cells_defining(where.name):
            if cell not in cells:
                cells.append(cell)
    if where is not None and where.kind == "cell":
        cells += [c for c in program.cells if c.index == where.cell and c not in cells]
    if where is not None and where.text and not any(_text_matches(line, where.text) for c in cells for line in c.source.splitlines() + c.code.splitlines()):
        # the blamed line is elsewhere (a helper, a comprehension's frame): show the cell that holds it
        holder = next((c for c in program.cells if any(_text_matches(line, where.text) for line in c.code.splitlines())), None)
        if holder is not None and holder not in cells:
            cells.append(holder)
    out = []
    for cell in sorted(cells, key=lambda c: c.index)[:4]:
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
