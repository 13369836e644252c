"""Cells are parsed from several threads at once (sandbox groups side by side, class grading).

CPython 3.11's AST builder keeps its recursion counter per interpreter, so two
threads at different stack depths parsing at the same moment can fail with
``SystemError: AST constructor recursion depth mismatch`` (seen in CI on 3 of
about 80 notebooks). Every parse in the package goes through one locked helper.
"""
from __future__ import annotations

import ast
import gc
import re
import sys
import threading
import time
from pathlib import Path

from autograder.notebook.syntax import parse

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_and_its_tests_parse_only_through_the_locked_helper():
    """Tests count too: a test thread parsing while the grader parses trips the same bug."""
    raw = []
    for path in sorted([*(ROOT / "autograder").rglob("*.py"), *(ROOT / "tests").glob("*.py")]):
        if path.name in ("syntax.py", "test_parse_threads.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bast\.parse\(|PyCF_ONLY_AST", line):
                raw.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not raw, "parse with autograder.notebook.syntax.parse instead:\n" + "\n".join(raw)


def test_parsing_from_threads_at_different_depths_gives_the_same_trees():
    source = "\n".join(f"def f{i}(x):\n    return [[(a + b) * {i} for a in x] for b in x]\n" for i in range(60))
    want = ast.dump(ast.parse(source))
    errors, trees = [], []

    class Finalised:  # garbage whose finaliser gives the GIL away while a tree is being built
        def __init__(self):
            self.me = self

        def __del__(self):
            time.sleep(0)

    def work(depth: int) -> None:
        if depth:
            return work(depth - 1)
        for _ in range(15):
            for _ in range(20):
                Finalised()
            try:
                trees.append(ast.dump(parse(source)))
            except SystemError as error:  # pragma: no cover - what the lock prevents
                errors.append(error)

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(10, 1, 1)
    try:
        threads = [threading.Thread(target=work, args=(20 * k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
    assert not errors
    assert len(trees) == 60 and set(trees) == {want}


def test_a_parse_disturbed_by_a_library_parsing_in_another_thread_is_tried_again(monkeypatch):
    """A library's own parse (Dask's configuration calls ast.literal_eval) takes no turn at our lock and
    can still disturb CPython 3.11's depth counter in the middle of ours (seen once in CI: a Dask test
    grading a class in threads beside a LocalCluster's scheduler): our parse is tried again, and any
    other SystemError is not swallowed."""
    from autograder.notebook import syntax

    real, calls = ast.parse, []

    def disturbed(source, *args, **kwargs):
        calls.append(source)
        if len(calls) <= 2:
            raise SystemError("AST constructor recursion depth mismatch (before=36, after=35)")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(syntax.ast, "parse", disturbed)
    assert ast.dump(syntax.parse("y = x + 1")) == ast.dump(real("y = x + 1"))
    assert len(calls) == 3

    def broken(source, *args, **kwargs):
        raise SystemError("something else")

    monkeypatch.setattr(syntax.ast, "parse", broken)
    try:
        syntax.parse("y = 1")
    except SystemError as error:
        assert "something else" in str(error)
    else:  # pragma: no cover
        raise AssertionError("a SystemError other than the depth mismatch must not be swallowed")
