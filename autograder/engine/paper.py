"""Answers worked on paper: an on-paper exercise's answers must be written out as numbers, not computed
by the notebook (:func:`computed_answers` finds those that are; :func:`not_on_paper` is the verdict)."""
from __future__ import annotations

import ast
from typing import Iterator, Sequence

from ..notebook.syntax import tree_of
from .result import FORBIDDEN, GENERIC_HINTS, ExerciseResult
from .spec import Exercise

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def is_literal(node: ast.AST) -> bool:
    """A value written out: numbers (with a sign, or arithmetic of numbers), True/False/None,
    strings, and lists, tuples, sets and dicts of these.  No names, no calls."""
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_number(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        return _is_number(node.left) and _is_number(node.right)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and is_literal(k) for k in node.keys) and all(is_literal(v) for v in node.values)
    return False


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_number(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        return _is_number(node.left) and _is_number(node.right)
    return False


def computed_answers(sources: Sequence[tuple[int | None, str]], names: Sequence[str]) -> dict[str, str]:
    """The answers among ``names`` whose last top-level binding in ``sources`` is not a literal,
    each with the statement that binds it.  Names bound nowhere (sources unavailable) are not judged."""
    last: dict[str, tuple[bool, str]] = {}
    wanted = set(names)
    for item in sources:
        source, tree = item[1], tree_of(item)  # the tree the notebook reader kept, when it did
        if tree is None:
            continue
        for node in _top_level(tree.body):
            for name, literal in _bindings(node, wanted):
                text = ast.get_source_segment(source, node) or name
                text = " ".join(text.split())
                last[name] = (literal, text if len(text) <= 80 else text[:77] + "...")
    return {name: text for name, (literal, text) in last.items() if not literal}


def _top_level(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, also inside if/for/while/with/try blocks (not function or class bodies)."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        for field_name in ("body", "orelse", "finalbody"):
            yield from _top_level([n for n in getattr(node, field_name, []) if isinstance(n, ast.stmt)])
        for handler in getattr(node, "handlers", []):
            yield from _top_level(handler.body)


def _bindings(node: ast.stmt, wanted: set[str]) -> Iterator[tuple[str, bool]]:
    """(name, bound to a literal?) for each name of ``wanted`` that ``node`` binds."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _bind(target, node.value, wanted)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield from _bind(node.target, node.value, wanted)
    elif isinstance(node, ast.AugAssign):
        yield from ((name, False) for name, _ in _bind(node.target, None, wanted))
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
        targets = [node.target] if isinstance(node, (ast.For, ast.AsyncFor)) else [i.optional_vars for i in node.items if i.optional_vars is not None]
        for target in targets:
            yield from ((name, False) for name, _ in _bind(target, None, wanted))
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if bound in wanted:
                yield bound, False


def _bind(target: ast.AST, value: ast.AST | None, wanted: set[str]) -> Iterator[tuple[str, bool]]:
    if isinstance(target, ast.Name):
        if target.id in wanted:
            yield target.id, value is not None and is_literal(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else [None] * len(target.elts)
        for sub_target, sub_value in zip(target.elts, values):
            yield from _bind(sub_target, sub_value, wanted)
    elif isinstance(target, ast.Starred):
        yield from _bind(target.value, None, wanted)
    elif isinstance(target, (ast.Subscript, ast.Attribute)):
        base = target.value
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if isinstance(base, ast.Name) and base.id in wanted:
            yield base.id, False  # changed item by item: computed, not written out


def not_on_paper(ex: Exercise, computed: dict[str, str]) -> ExerciseResult:
    lines = []
    for name, statement in computed.items():
        lines.append(
            f"{name} should be the answer you worked out on paper, written out as numbers "
            f"(for example `{name} = [1, 2, 3]` or `{name} = 42`), but your notebook computes it: `{statement}`."
        )
    lines.append(GENERIC_HINTS["not-on-paper"] + " It earns no point until then.")
    breakdown = {"values": {"passed": 0, "total": len(ex.names)}}
    return ExerciseResult(ex.id, FORBIDDEN, "\n".join(lines), "not-on-paper", 0, len(ex.names), 0.0, breakdown)
