"""Code fingerprints that survive renaming, comments, layout and reordering.

A learner's answer cell is normalised before it is fingerprinted:

* parsed with :mod:`ast` and printed back (:func:`ast.unparse`): comments,
  blank lines, spacing, line breaks, parentheses and quote styles are gone;
* docstrings, type annotations and the text of long strings (error messages)
  are dropped;
* every name the learner binds (variables, parameters, loop variables, their
  own functions and classes) becomes ``_`` (functions ``f``); names the
  learner only reads or imports (``range``, ``np`` and its attributes such
  as ``np.zeros``) are kept, so that what the code *does* still counts;
* statement order: the top-level functions and classes are sorted, and
  so is every run of neighbouring statements that do not depend on one
  another (two validations, two conversions), by their normalised text.

The normalised statements are cut into tokens, every ``K`` consecutive tokens
hashed, and the hashes *winnowed* (Schleimer, Wilkerson and Aiken, SIGMOD
2003, the method of MOSS) with :func:`copydetect.utils.winnow`; overlaps
are found and turned back into spans with copydetect's
:func:`~copydetect.utils.find_fingerprint_overlap` and
:func:`~copydetect.utils.get_copied_slices`.  The k-gram hash is our own
(the first 8 bytes of BLAKE2b): copydetect hashes with Python's ``hash()``,
which is salted per process (``PYTHONHASHSEED``), so its fingerprints, and
with them every similarity, would change from one run to the next.

Every token remembers the statement it came from, and every statement the
lines of the learner's own cell it was written on, so that a match is shown
on the learner's code as they wrote it.

Fingerprints already in the released notebook's cell (the signature, the
docstring, scaffolding) are removed before anything is compared
(:func:`fingerprint`'s ``boilerplate``).
"""
from __future__ import annotations

import ast
import copy
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import find_fingerprint_overlap, get_copied_slices, winnow
from ...notebook.syntax import parse as parse_python

#: tokens per k-gram: a short statement (``_ = np.zeros(_ + _ - 1)`` is 12 tokens)
K = 6
#: winnowing window: every match of at least K + W - 1 = 9 tokens is found
W = 4
#: strings at most this long that look like words are kept ('full', 'same'); others become S
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,15}$")
_TOKEN = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\w+|\*\*|//|==|!=|<=|>=|->|[+\-*/%@&|^<>]=|\S")
#: a cell this large is fingerprinted from its first part only (a pasted data dump is not code to compare)
MAX_SOURCE = 64 * 1024


@dataclass
class Unit:
    """One normalised statement (or the header of a compound one) and where the learner wrote it."""

    text: str
    first: int  # first line in the cell, counted from 1
    last: int


@dataclass
class Fingerprint:
    """The winnowed fingerprints of one piece of code, and how to find them in the original."""

    source: str
    units: list[Unit] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    token_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hashes: set[int] = field(default_factory=set)
    hash_idx: dict[int, list[int]] = field(default_factory=dict)
    parsed: bool = True

    @property
    def size(self) -> int:
        return len(self.hashes)

    def lines_of(self, positions) -> set[int]:
        """The lines of the original code that the k-grams starting at ``positions`` cover."""
        lines: set[int] = set()
        if not len(positions) or not self.units:
            return lines
        slices = get_copied_slices(np.asarray(sorted(positions), dtype=np.int64), K)
        for start, end in zip(slices[0], slices[1]):
            for unit_index in set(self.token_unit[int(start):int(min(end, len(self.token_unit)))].tolist()):
                unit = self.units[unit_index]
                lines.update(range(unit.first, unit.last + 1))
        return lines


# --------------------------------------------------------------------------- normalising


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[1:] or [ast.copy_location(ast.Pass(), body[0])]
    return body


def _bound_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(names the code binds, names of the functions and classes it defines)."""
    bound: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            functions.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound - functions, functions


class _Renamer(ast.NodeTransformer):
    """Learner-bound names to ``_`` (their functions to ``f``), annotations, docstrings and messages out."""

    def __init__(self, bound: set[str], functions: set[str]):
        self.bound, self.functions = bound, functions

    def _name(self, name: str) -> str:
        if name in self.functions:
            return "f"
        return "_" if name in self.bound else name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(self._name(node.id), node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.copy_location(ast.arg("_", None), node)

    def _function(self, node):
        node.name = "f"
        node.returns = None
        node.body = _strip_docstring(node.body)
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self.visit(node.args)
        node.body = [self.visit(s) for s in node.body]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = "f"
        node.body = _strip_docstring(node.body)
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        return self.visit(ast.copy_location(ast.Assign([node.target], node.value), node))

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and not _WORD.match(node.value):
            return ast.copy_location(ast.Constant("S"), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.copy_location(ast.Constant("S"), node)

    def visit_Global(self, node: ast.Global) -> ast.AST:
        return ast.copy_location(ast.Global(["_"]), node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> ast.AST:
        return ast.copy_location(ast.Nonlocal(["_"]), node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        self.generic_visit(node)
        if node.name:
            node.name = "_"
        return node


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _reads_writes(node: ast.AST) -> tuple[set[str], set[str]]:
    reads, writes = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (reads if isinstance(sub.ctx, ast.Load) else writes).add(sub.id)
        elif isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            base = sub
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                writes.add(base.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            writes.add(sub.name)
        elif isinstance(sub, ast.arg):
            writes.add(sub.arg)
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        reads.add(node.target.id)
    return reads, writes


def _movable(node: ast.stmt) -> bool:
    """A statement that may trade places with an independent neighbour (not one that ends or steers the flow)."""
    return not any(isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Break, ast.Continue, ast.Global, ast.Nonlocal))
                   for sub in ast.walk(node))


def _header(node: ast.stmt) -> str:
    """The first line of a compound statement, normalised (its blocks printed elsewhere)."""
    bare = copy.copy(node)
    for name in _BLOCKS:
        if hasattr(bare, name):
            setattr(bare, name, [])
    if hasattr(bare, "body"):
        bare.body = [ast.Pass()]
    if isinstance(bare, ast.Try) or (hasattr(ast, "TryStar") and isinstance(bare, getattr(ast, "TryStar"))):
        bare.finalbody = [ast.Pass()]
    if hasattr(bare, "decorator_list"):
        bare.decorator_list = []
    try:
        return ast.unparse(bare).splitlines()[0]
    except Exception:  # an unusual node: its type names it
        return type(node).__name__


def _end(node: ast.AST) -> int:
    return getattr(node, "end_lineno", None) or getattr(node, "lineno", 1)


class _Linearizer:
    def __init__(self) -> None:
        self.cache: dict[int, list[Unit]] = {}

    def statement(self, original: ast.stmt, renamed: ast.stmt) -> list[Unit]:
        first = getattr(original, "lineno", 1)
        blocks = [name for name in _BLOCKS if getattr(original, name, None)]
        if not blocks or isinstance(original, ast.Match):
            return [Unit(ast.unparse(renamed), first, _end(original))]
        units = [Unit(ast.unparse(d), d.lineno, _end(d)) for d in getattr(renamed, "decorator_list", [])]
        units.append(Unit(_header(renamed), first, first))
        for name in ("body", "handlers", "orelse", "finalbody"):
            orig_block, ren_block = getattr(original, name, None), getattr(renamed, name, None)
            if not orig_block:
                continue
            if name == "handlers":
                for orig_h, ren_h in zip(orig_block, ren_block):
                    head = f"except {ast.unparse(ren_h.type)}:" if ren_h.type is not None else "except:"
                    units.append(Unit(head, orig_h.lineno, orig_h.lineno))
                    units += self.block(orig_h.body, ren_h.body)
                continue
            if name in ("orelse", "finalbody"):
                where = orig_block[0].lineno
                units.append(Unit("else:" if name == "orelse" else "finally:", where, where))
            units += self.block(orig_block, ren_block)
        units.append(Unit("<end>", _end(original), _end(original)))
        return units

    def block(self, originals: list[ast.stmt], renamed: list[ast.stmt], *, top: bool = False) -> list[Unit]:
        pieces = [(o, self.statement(o, r)) for o, r in zip(originals, renamed)]
        out: list[Unit] = []
        if top:
            # Functions and classes at the top of a cell: their order does not matter.
            defs = [p for p in pieces if isinstance(p[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            pieces = [p for p in pieces if p not in defs]
            for _, units in sorted(defs, key=lambda p: _key(p[1])):
                out += units
        run: list[tuple[ast.stmt, list[Unit], set[str], set[str]]] = []

        def flush() -> None:
            for item in sorted(run, key=lambda p: _key(p[1])):
                out.extend(item[1])
            run.clear()

        for original, units in pieces:
            if not _movable(original):
                flush()
                out.extend(units)
                continue
            reads, writes = _reads_writes(original)
            if any(writes & (r | w) or reads & w for _, _, r, w in run):
                flush()
            run.append((original, units, reads, writes))
        flush()
        return out


def _key(units: list[Unit]) -> str:
    return "\n".join(u.text for u in units)


def normalise(source: str) -> tuple[list[Unit], bool]:
    """The normalised statements of ``source`` (see the module docstring); False when it does not parse."""
    source = source[:MAX_SOURCE]
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _raw_units(source), False
    try:
        tree.body = _strip_docstring(tree.body) if tree.body else []
        bound, functions = _bound_names(tree)
        twin = parse_python(source)  # a second copy to rename (parsing again is faster than copy.deepcopy)
        twin.body = _strip_docstring(twin.body) if twin.body else []
        renamed = _Renamer(bound, functions).visit(twin)
        # the renamer dropped docstrings in the copy: drop them in the original too, so that the two walk together
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                node.body = _strip_docstring(node.body)
        return _Linearizer().block(tree.body, renamed.body, top=True), True
    except (RecursionError, MemoryError):
        return _raw_units(source), False
    except Exception:  # a construct ast.unparse cannot print back (it should not happen): compared as text
        return _raw_units(source), False


def _raw_units(source: str) -> list[Unit]:
    """Code that does not parse: its lines, stripped of comments and spacing."""
    units = []
    for number, line in enumerate(source.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            units.append(Unit(text, number, number))
    return units


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True)


def kgram_hashes(tokens: list[str]) -> np.ndarray:
    return np.array([_stable_hash("\x1f".join(tokens[i:i + K])) for i in range(len(tokens) - K + 1)], dtype=np.int64)


def tokenize(units: list[Unit]) -> tuple[list[str], np.ndarray]:
    tokens: list[str] = []
    owner: list[int] = []
    for index, unit in enumerate(units):
        found = _TOKEN.findall(unit.text) + [";"]
        tokens += found
        owner += [index] * len(found)
    return tokens, np.array(owner, dtype=np.int64)


def all_hashes(source: str) -> set[int]:
    """Every k-gram hash of ``source`` (for boilerplate: the released cell's code)."""
    units, _ = normalise(source)
    tokens, _ = tokenize(units)
    return set(kgram_hashes(tokens).tolist())


def fingerprint(source: str, boilerplate: set[int] | frozenset[int] = frozenset()) -> Fingerprint:
    """The winnowed fingerprints of ``source``, less those of ``boilerplate``."""
    units, parsed = normalise(source)
    tokens, owner = tokenize(units)
    fp = Fingerprint(source, units, tokens, owner, parsed=parsed)
    if len(tokens) < K:
        return fp
    hashes, idx = winnow(kgram_hashes(tokens), W, remove_duplicates=False)
    for value, position in zip(hashes.tolist(), idx.tolist()):
        if value in boilerplate:
            continue
        fp.hash_idx.setdefault(value, []).append(position)
    fp.hashes = set(fp.hash_idx)
    return fp


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Shared fingerprints over the geometric mean of the two counts (0 when either has none)."""
    if not a.hashes or not b.hashes:
        return 0.0
    shared = len(a.hashes & b.hashes)
    return shared / (len(a.hashes) * len(b.hashes)) ** 0.5


def containment(a: Fingerprint, b: Fingerprint) -> float:
    """The share of ``a``'s fingerprints found in ``b``."""
    if not a.hashes:
        return 0.0
    return len(a.hashes & b.hashes) / len(a.hashes)


def matched_lines(a: Fingerprint, b: Fingerprint) -> tuple[set[int], set[int]]:
    """The lines of ``a`` and of ``b`` (in their own cells) that hold the fingerprints they share."""
    if not a.hashes or not b.hashes:
        return set(), set()
    idx_a, idx_b = find_fingerprint_overlap(a.hashes, b.hashes, a.hash_idx, b.hash_idx)
    return a.lines_of(idx_a.tolist()), b.lines_of(idx_b.tolist())
