"""The package's layout shows its architecture, and its imports point down.

Bottom: ``references/``, ``engine/``, ``notebook/``; then ``exercises/`` and
``sandbox/``; then ``course.py``, ``pipeline.py`` (and ``report.py``); on top
``frontends/``.  A module may import its own layer or a lower one, never a
higher one, whether at the top of the file or inside a function.  The
frontends' command lines do not import each other either.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.notebook.syntax import parse

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
LAYERS = {"references": 0, "engine": 0, "notebook": 0, "exercises": 1, "sandbox": 1,
          "course": 2, "pipeline": 2, "report": 2, "frontends": 3}


def _layer(parts: tuple[str, ...]) -> int | None:
    """The layer of the module autograder.<parts>; None for the package's own __init__/__main__."""
    if not parts or parts[0] in ("__init__", "__main__"):
        return None
    return LAYERS.get(parts[0])


def _imports(path: Path, source: str | None = None) -> list[tuple[int, tuple[str, ...]]]:
    """(line, the imported module as parts below autograder) of every import of the package in the module
    at ``path`` (its text, or ``source``)."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    found = []
    for node in ast.walk(parse(path.read_text(encoding="utf-8") if source is None else source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level]
                target = base + tuple(node.module.split(".")) if node.module else base
                names = [target + (alias.name,) for alias in node.names] if not node.module else [target]
            elif node.module and node.module.split(".")[0] == "autograder":
                names = [tuple(node.module.split(".")[1:])]
            else:
                continue
            found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, tuple(a.name.split(".")[1:])) for a in node.names if a.name.split(".")[0] == "autograder"]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "compiled" not in p.relative_to(PACKAGE).parts)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_down(path):
    own = _layer(path.relative_to(PACKAGE).with_suffix("").parts)
    if own is None:
        return
    up = [f"line {line}: autograder.{'.'.join(target)}" for line, target in _imports(path)
          if (layer := _layer(target)) is not None and layer > own]
    assert not up, f"{path.relative_to(PACKAGE)} (layer {own}) imports from a higher layer: {up}"


def test_the_command_lines_do_not_import_each_other():
    cli, grading = PACKAGE / "frontends" / "cli.py", PACKAGE / "frontends" / "grading" / "cli.py"
    assert ("frontends", "cli") not in {t[:2] for _, t in _imports(grading)}
    assert any(t[:3] == ("frontends", "grading", "cli") for _, t in _imports(cli))


def test_the_check_sees_an_upward_import():
    """The test itself: imports of higher layers from the engine are found, relative or absolute."""
    source = "from ..frontends import cli\nimport autograder.pipeline\nfrom ..sandbox.servers import start_for\n"
    targets = [t for _, t in _imports(PACKAGE / "engine" / "probe.py", source)]
    assert targets == [("frontends",), ("pipeline",), ("sandbox", "servers")]
    assert all(_layer(t) > _layer(("engine",)) for t in targets)
