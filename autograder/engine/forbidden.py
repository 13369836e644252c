"""Find library shortcuts in "by hand" exercises, statically and at run time.

Static: parse the learner's code (never run it), resolve import aliases
(``import numpy as np``, ``from scipy import signal as sg``,
``from numpy import convolve``) and look, inside the graded function and the
module-level helpers it calls, for any name that resolves under a forbidden
prefix.  String tricks (``getattr(np, "convolve")``, ``__import__("scipy")``)
are caught when the strings are literals.

Run time: :class:`Tripwires` replaces the forbidden callables in modules that
are already imported with wrappers that, while armed, record the call and raise
:class:`ForbiddenCall`.  It derives from BaseException so that a learner's
``except Exception`` does not swallow it.
"""
from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass, field
from typing import Iterable

from ..notebook.syntax import tree_of

#: Every learner function is checked for these: learner code has no business
#: reaching into the grader (its references or hidden-case generators).
ALWAYS_FORBIDDEN = ("autograder",)

#: Internal names under which NumPy keeps its convolution machinery.
_NUMPY_INTERNALS = {
    "numpy.convolve": ("numpy.core.numeric.convolve", "numpy._core.numeric.convolve"),
    "numpy.correlate": (
        "numpy.core.numeric.correlate",
        "numpy._core.numeric.correlate",
        "numpy.core.multiarray.correlate",
        "numpy.core.multiarray.correlate2",
        "numpy._core.multiarray.correlate",
        "numpy._core.multiarray.correlate2",
        "numpy.core._multiarray_umath.correlate",
        "numpy.core._multiarray_umath.correlate2",
        "numpy._core._multiarray_umath.correlate",
        "numpy._core._multiarray_umath.correlate2",
    ),
}


def expand(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Forbidden prefixes plus the internal aliases of the NumPy ones."""
    out: list[str] = []
    for prefix in prefixes:
        out.append(prefix)
        out.extend(_NUMPY_INTERNALS.get(prefix, ()))
    return tuple(dict.fromkeys(out))


def _matches(dotted: str, prefixes: Iterable[str]) -> str | None:
    for prefix in prefixes:
        if dotted == prefix or dotted.startswith(prefix + "."):
            return prefix
    return None


#: Ways to reach a function without naming it. On a by-hand exercise the grader
#: must be able to see what the learner's function calls, so these are refused
#: inside it (and the helpers it calls), whatever they would reach.
DYNAMIC_MODULES = (
    "importlib", "ctypes", "gc", "inspect", "pickle", "marshal", "dill", "subprocess", "runpy", "code",
    "builtins", "sys.modules", "sys._getframe", "sys.exc_info", "operator.attrgetter", "operator.methodcaller",
    "types.FunctionType", "types.CodeType",
)
DYNAMIC_CALLS = ("eval", "exec", "compile", "__import__", "globals", "vars")
DYNAMIC_ATTRIBUTES = (
    "__closure__", "__wrapped__", "__globals__", "__code__", "__dict__", "__builtins__", "__func__",
    "__getattribute__", "__reduce__", "__reduce_ex__", "__subclasses__", "cell_contents",
    "f_back", "f_globals", "f_locals", "tb_frame", "gi_frame", "cr_frame",
)


@dataclass
class Finding:
    """One forbidden use: what it resolves to and where it is in the learner's code.

    ``function`` and ``first_line`` place it as the learner sees it: ``line 3
    of conv1d`` counts from the ``def`` line (cell numbers are never shown).
    ``dynamic`` marks a way of reaching functions without naming them.
    """

    name: str
    line: int
    cell: int | None = None
    text: str = ""
    function: str = ""
    first_line: int = 0
    dynamic: bool = False

    def describe(self) -> str:
        if self.function and self.first_line:
            where = f"line {self.line - self.first_line + 1} of {self.function}"
        else:
            where = f"line {self.line}"
        shown = f"{self.name} ({where}: {self.text.strip()[:80]})"
        return f"{shown}, which hides from the grader what your function calls (call functions by their names)" if self.dynamic else shown


@dataclass
class _Scope:
    aliases: dict[str, str] = field(default_factory=dict)
    star_modules: list[str] = field(default_factory=list)


def _record_imports(node: ast.AST, scope: _Scope) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import):
            for alias in sub.names:
                if alias.asname:
                    scope.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    scope.aliases[top] = top
        elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
            for alias in sub.names:
                if alias.name == "*":
                    scope.star_modules.append(sub.module)
                else:
                    scope.aliases[alias.asname or alias.name] = f"{sub.module}.{alias.name}"


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _star_names(module: str) -> set[str]:
    mod = sys.modules.get(module)
    if mod is None:
        try:
            __import__(module)
            mod = sys.modules[module]
        except Exception:  # a module we cannot import here cannot be resolved
            return set()
    return {n for n in dir(mod) if not n.startswith("_")}


class _Cell:
    def __init__(self, index: int | None, source: str, tree: ast.Module):
        self.index = index
        self.lines = source.splitlines()
        self.tree = tree


def parse_cells(cells: Iterable[tuple[int | None, str]]) -> list[_Cell]:
    """Each cell's tree, so one broken cell does not hide the rest.

    A program read by :mod:`autograder.notebook.load` carries the tree of each
    cell (parsed once, when it was read); other sources are parsed here.
    """
    parsed = []
    for item in cells:
        tree = tree_of(item)
        if tree is not None:
            parsed.append(_Cell(item[0], item[1], tree))
    return parsed


def static_findings(cells: list[_Cell], function: str, prefixes: Iterable[str]) -> list[Finding]:
    """Forbidden uses inside ``function`` (its last definition) and the helpers it calls.

    When library names are forbidden (a by-hand exercise), ways of reaching a
    function without naming it (:data:`DYNAMIC_CALLS`, ...) are findings too.
    """
    by_hand = bool(tuple(prefixes))
    prefixes = expand(tuple(prefixes) + ALWAYS_FORBIDDEN)
    scope = _Scope()
    defs: dict[str, tuple[_Cell, ast.AST]] = {}
    for cell in cells:
        _record_imports(cell.tree, scope)
        for node in cell.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[node.name] = (cell, node)
    if function not in defs:
        return []
    star = {name: module for module in scope.star_modules for name in _star_names(module)}
    findings: list[Finding] = []
    seen: set[str] = set()
    todo = [function]
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        cell, node = defs[name]
        local = _Scope(dict(scope.aliases), list(scope.star_modules))
        _record_imports(node, local)
        for sub in ast.walk(node):
            finding = _check_node(sub, local, star, prefixes) or (_check_dynamic(sub, local, star) if by_hand else None)
            if finding:
                finding.cell = cell.index
                line = getattr(sub, "lineno", 0)
                finding.line = line
                finding.text = cell.lines[line - 1] if 0 < line <= len(cell.lines) else ""
                finding.function = node.name
                finding.first_line = node.lineno
                findings.append(finding)
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                todo.append(sub.id)
    # One finding per line: the longest name (`scipy.signal.convolve2d`, not also `scipy.signal`).
    unique: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.cell, f.line)
        if key not in unique or len(f.name) > len(unique[key].name):
            unique[key] = f
    first: dict[str, Finding] = {}  # and each name once, where it is first used
    for f in sorted(unique.values(), key=lambda f: (f.cell or 0, f.line)):
        first.setdefault(f.name, f)
    return list(first.values())


def _resolve(parts: list[str], scope: _Scope, star: dict[str, str]) -> str | None:
    head = parts[0]
    if head in scope.aliases:
        return ".".join([scope.aliases[head], *parts[1:]])
    if head in star:
        return ".".join([star[head], head, *parts[1:]])
    return None


def _check_node(node: ast.AST, scope: _Scope, star: dict[str, str], prefixes: tuple[str, ...]) -> Finding | None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [f"{node.module}.{a.name}" for a in node.names if node.module]
        for module in modules:
            hit = _matches(module, prefixes)
            if hit:
                return Finding(module, 0)
        return None
    if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(getattr(node, "ctx", None), ast.Load):
        parts = _dotted(node)
        if parts:
            dotted = _resolve(parts, scope, star)
            if dotted and _matches(dotted, prefixes):
                return Finding(dotted, 0)
        return None
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if func and func[-1] in ("__import__", "import_module") and strings:
            if _matches(strings[0], prefixes):
                return Finding(strings[0], 0)
        if func and func[-1] == "getattr" and len(node.args) >= 2 and len(strings) >= 1:
            owner = _dotted(node.args[0])
            base = _resolve(owner, scope, star) if owner else None
            if base and _matches(f"{base}.{strings[0]}", prefixes):
                return Finding(f"{base}.{strings[0]}", 0)
    return None


def _check_dynamic(node: ast.AST, scope: _Scope, star: dict[str, str]) -> Finding | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in DYNAMIC_CALLS and name not in scope.aliases:
            return Finding(f"{name}()", 0, dynamic=True)
        if name in ("getattr", "setattr", "delattr") and name not in scope.aliases:
            attribute = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(attribute, ast.Constant) and isinstance(attribute.value, str)):
                return Finding(f"{name} with a computed name", 0, dynamic=True)
            if attribute.value in DYNAMIC_ATTRIBUTES:
                return Finding(f"{name}(..., {attribute.value!r})", 0, dynamic=True)
    if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
        return Finding(f".{node.attr}", 0, dynamic=True)
    if isinstance(node, ast.Name) and node.id in ("__builtins__", "__import__") and isinstance(node.ctx, ast.Load):
        return Finding(node.id, 0, dynamic=True)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [f"{node.module}.{a.name}" for a in node.names if node.module]
        for module in modules:
            if _matches(module, DYNAMIC_MODULES) or (isinstance(node, ast.ImportFrom) and _matches(node.module or "", DYNAMIC_MODULES)):
                return Finding(module, 0, dynamic=True)
    if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(getattr(node, "ctx", None), ast.Load):
        parts = _dotted(node)
        dotted = _resolve(parts, scope, star) if parts else None
        if dotted and _matches(dotted, DYNAMIC_MODULES):
            return Finding(dotted, 0, dynamic=True)
    return None


class ForbiddenCall(BaseException):
    """Raised by an armed tripwire; not an Exception, so broad excepts miss it."""


class Tripwires:
    """Replace forbidden callables by recording wrappers, armed per exercise.

    Only modules already imported are patched (nothing is imported for it).
    ``install`` is idempotent; ``uninstall`` restores the originals.
    """

    def __init__(self) -> None:
        self.armed: tuple[str, ...] = ()
        self.hits: list[str] = []
        self._patched: list[tuple[object, str, object]] = []
        self._finder = _ImportWire(self)

    def targets(self) -> list[tuple[str, str]]:
        """(module, attribute) pairs to patch, for modules that are imported."""
        wanted: list[tuple[str, str]] = [("numpy", "convolve"), ("numpy", "correlate")]
        for internal in _NUMPY_INTERNALS.values():
            for name in internal:
                module, _, attr = name.rpartition(".")
                wanted.append((module, attr))
        for module in ("numpy.fft", "scipy.signal", "scipy.ndimage", "scipy.fft", "scipy.fftpack"):
            mod = sys.modules.get(module)
            if mod is not None:
                for attr in getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")]):
                    wanted.append((module, attr))
        for module in ("scipy.signal._signaltools", "scipy.signal._sigtools", "scipy.ndimage._filters"):
            mod = sys.modules.get(module)
            if mod is not None:
                for attr in dir(mod):
                    if "conv" in attr or "corr" in attr:
                        wanted.append((module, attr))
        return [(m, a) for m, a in wanted if m in sys.modules]

    def install(self) -> None:
        if self._finder not in sys.meta_path:
            sys.meta_path.insert(0, self._finder)
        if self._patched:
            return
        for module_name, attr in self.targets():
            module = sys.modules[module_name]
            original = getattr(module, attr, None)
            if not callable(original) or isinstance(original, type):
                continue
            qualname = f"{module_name}.{attr}"
            shown = next((public for public, internal in _NUMPY_INTERNALS.items() if qualname in internal), qualname)
            try:
                setattr(module, attr, self._wrap(qualname, shown, original))
            except (AttributeError, TypeError):
                continue
            self._patched.append((module, attr, original))

    def uninstall(self) -> None:
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        for module, attr, original in reversed(self._patched):
            setattr(module, attr, original)
        self._patched.clear()

    def _wrap(self, qualname: str, shown: str, original):
        wires = self

        @functools.wraps(original)
        def tripwire(*args, **kwargs):
            if _matches(qualname, wires.armed):
                wires.hits.append(shown)
                raise ForbiddenCall(f"{shown} is not allowed here: this exercise is to be done by hand")
            return original(*args, **kwargs)

        tripwire.__autograder_tripwire__ = True
        return tripwire

    def arm(self, prefixes: Iterable[str]) -> None:
        self.armed = expand(tuple(prefixes))
        self.hits = []

    def disarm(self) -> list[str]:
        hits, self.hits, self.armed = list(dict.fromkeys(self.hits)), [], ()
        return hits


class _ImportWire:
    """Refuses, while armed, to import a forbidden module (e.g. an autodiff library)."""

    def __init__(self, wires: Tripwires):
        self.wires = wires

    def find_spec(self, fullname, path=None, target=None):
        if self.wires.armed and _matches(fullname, self.wires.armed):
            self.wires.hits.append(fullname)
            raise ForbiddenCall(f"importing {fullname} is not allowed in this exercise")
        return None


def course_code_findings(cells: list[_Cell], names: Iterable[str]) -> list[Finding]:
    """Values computed with the course's own package (beyond ``check`` and ``demo``).

    For value exercises: a cell that binds one of ``names`` and imports, or
    refers to a name imported from, ``autograder`` (the references, the
    exercise declarations).  The learner's kernel could import them; the
    sandbox cannot, so without this rule the notebook's check() and the
    graders would disagree.
    """
    names = set(names)
    scope = _Scope()
    for cell in cells:
        _record_imports(cell.tree, scope)
    course = {alias for alias, target in scope.aliases.items() if target == "autograder" or target.startswith("autograder.")}
    course -= {"check", "demo"} if scope.aliases.get("check", "").startswith("autograder") else set()
    findings = []
    for cell in cells:
        binds = {t.id for node in cell.tree.body if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                 for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
        if not binds & names:
            continue
        for sub in ast.walk(cell.tree):
            name = ""
            if isinstance(sub, ast.Name) and sub.id in course and sub.id not in ("check", "demo"):
                name = scope.aliases[sub.id]
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                module = sub.module if isinstance(sub, ast.ImportFrom) else sub.names[0].name
                if (module or "").split(".")[0] == "autograder" and not (isinstance(sub, ast.ImportFrom) and module == "autograder"
                                                                         and all(a.name in ("check", "demo") for a in sub.names)):
                    name = module
            if name:
                line = getattr(sub, "lineno", 0)
                text = cell.lines[line - 1] if 0 < line <= len(cell.lines) else ""
                findings.append(Finding(name, line, cell.index, text))
                break
    return findings

