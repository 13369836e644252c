"""What each submission wrote, exercise by exercise, and what the course already had.

Submissions are found exactly as ``autograder grade`` finds them
(:func:`autograder.frontends.grading.discover.discover`: nbgrader's
``submitted/`` or ``autograded/`` layout, or a flat LMS download), and each
notebook is read the same way: without following any link below the
submissions folder.  A learner's code for an exercise is its answer cell (the
cell whose nbgrader ``grade_id`` is the exercise id); code cells the released
notebook does not have are one more piece, ``OTHER``.

The course's own code is read here too: the released notebook's cells (what
every learner started from, removed before comparing) and, per exercise, the
reference implementation in :mod:`autograder.references` with the helpers it
calls, and the instructor's solution cell.
"""
from __future__ import annotations

import ast
import inspect
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ...notebook.load import NotebookError, extract_program, read_notebook
from ..grading.discover import discover
from . import fingerprint as fp
from ...notebook.syntax import parse as parse_python

#: the pseudo-exercise of code cells the released notebook does not have (helpers, experiments)
OTHER = "other cells"


@dataclass
class Work:
    """One submission: its code per exercise and how to show it."""

    student: str
    label: str
    problem: str = ""  # why nothing of it could be read
    code: dict[str, str] = field(default_factory=dict)  # exercise id (or OTHER) -> code
    cells: dict[str, str] = field(default_factory=dict)  # exercise id -> "cell 7" (where it is in the notebook)
    path: Path | None = None
    base: Path | None = None
    program: object = None  # the extracted program (for the probes), or None

    @property
    def readable(self) -> bool:
        return self.program is not None


def _cells(program) -> list:
    return [c for c in program.cells if not c.refused and c.code.strip()]


def read_work(submission, exercises: list[str]) -> Work:
    """The code of one discovered submission (never following a learner's link)."""
    work = Work(submission.student, submission.label, submission.problem, path=submission.path, base=submission.base)
    if submission.path is None:
        work.problem = submission.problem or "no notebook"
        return work
    try:
        nb = read_notebook(submission.path, follow_links=False, under=submission.base)
        program = extract_program(nb, str(submission.path))
    except NotebookError as exc:
        work.problem = str(exc).replace(str(submission.path.parent) + os.sep, "")
        return work
    work.program = program
    return work


def split_code(program, exercises: list[str], released: "Released") -> tuple[dict[str, str], dict[str, str]]:
    """(code per exercise, where it is): answer cells by grade_id; new code cells joined as OTHER."""
    code: dict[str, str] = {}
    where: dict[str, str] = {}
    others: list[str] = []
    other_cells: list[str] = []
    for cell in _cells(program):
        if cell.grade_id in exercises:
            code[cell.grade_id] = (code[cell.grade_id] + "\n" if cell.grade_id in code else "") + cell.code
            where[cell.grade_id] = f"cell {cell.index}" if cell.grade_id not in where else where[cell.grade_id] + f", {cell.index}"
        elif cell.code.strip() not in released.other_code:
            others.append(f"# cell {cell.index}\n{cell.code.rstrip()}\n")
            other_cells.append(str(cell.index))
    if others:
        code[OTHER] = "\n".join(others)
        where[OTHER] = ("cells " if len(other_cells) > 1 else "cell ") + ", ".join(other_cells)
    return code, where


@dataclass
class Released:
    """The released notebook's code: each answer cell's k-gram hashes, and the other cells' code."""

    boilerplate: dict[str, set[int]] = field(default_factory=dict)
    other_code: set[str] = field(default_factory=set)


def released_code(course, assignment: str, exercises: list[str]) -> Released:
    """What every learner received (course.yml's release folder), to be removed before comparing."""
    released = Released()
    info = course.assignment(assignment)
    path = course.release_dir(assignment) / info.notebook
    try:
        program = extract_program(read_notebook(path), str(path))
    except NotebookError:
        return released  # no release to subtract: the signatures and docstrings are shared by all alike
    every: set[int] = set()
    for cell in _cells(program):
        hashes = fp.all_hashes(cell.code)
        every |= hashes
        if cell.grade_id in exercises:
            released.boilerplate.setdefault(cell.grade_id, set()).update(hashes)
        else:
            released.other_code.add(cell.code.strip())
    released.boilerplate[OTHER] = every
    return released


@dataclass
class Reference:
    """A piece of the course's own code that an exercise's answer could be copied from."""

    exercise: str
    name: str  # what the page calls it: "autograder.references.conv1d.conv1d" or "the solution notebook"
    code: str


def reference_code(course, assignment: str, exercises) -> list[Reference]:
    """Per exercise: the reference implementation (with the helpers it calls) and the instructor's solution cell."""
    found: list[Reference] = []
    for ex in exercises:
        function = getattr(ex, "reference", None)
        module = getattr(function, "__module__", "") or ""
        if function is not None and module.startswith("autograder.references"):
            source = _with_helpers(function)
            if source:
                found.append(Reference(ex.id, f"{module}.{function.__name__}", source))
    info = course.assignment(assignment)
    path = course.source_dir(assignment) / info.notebook
    try:
        program = extract_program(read_notebook(path), str(path))
    except NotebookError:
        return found
    ids = {ex.id for ex in exercises}
    for cell in _cells(program):
        if cell.grade_id in ids:
            found.append(Reference(cell.grade_id, f"the solution notebook ({path.parent.name}/{path.name}, cell {cell.index})", cell.code))
    return found


def _with_helpers(function, limit: int = 40) -> str:
    """The source of ``function``, of the reference package's functions it calls (transitively), and of
    the module-level lines they read (imports, constants): what a learner who copied it would paste."""
    seen: list = []
    lines: dict[tuple[str, str], str] = {}  # (module, name) -> the statement binding it
    todo = [function]
    while todo and len(seen) < limit:
        f = todo.pop()
        if f in seen:
            continue
        try:
            source = inspect.getsource(f)
            tree = parse_python(textwrap.dedent(source))
        except (OSError, TypeError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        seen.append(f)
        space = getattr(f, "__globals__", {})
        bindings = _module_bindings(inspect.getmodule(f))
        for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}):
            other = space.get(name)
            if inspect.isfunction(other) and (other.__module__ or "").startswith("autograder.references"):
                if other not in seen:
                    todo.append(other)
            elif name in bindings:
                lines.setdefault((f.__module__, name), bindings[name])
    header = list(dict.fromkeys(lines.values()))
    return "\n".join(header) + "\n\n" + "\n\n".join(inspect.getsource(f) for f in reversed(seen))


def _module_bindings(module) -> dict[str, str]:
    """Module-level imports and assignments of ``module``, by the name they bind."""
    try:
        source = inspect.getsource(module)
        tree = parse_python(source)
    except (OSError, TypeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, str] = {}
    for node in tree.body:
        text = ast.get_source_segment(source, node) or ""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = text
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        found[sub.id] = text
    return found


def find_submissions(submissions: str | Path, assignment: str, notebook: str):
    """The discovered submissions (the same as ``autograder grade``'s)."""
    return discover(Path(submissions), assignment, notebook)
