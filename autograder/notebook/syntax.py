"""Parse Python source safely from several threads at once, and only when it is small.

CPython 3.11 keeps the AST builder's recursion counter in per-interpreter
state, so two threads parsing at the same time can trip over each other and
raise ``SystemError: AST constructor recursion depth mismatch`` (fixed in
later versions). The grader parses cells from its worker threads (sandbox
groups side by side, class grading), so every parse in the package goes
through :func:`parse`, which takes one lock.

A parse holds that lock and the GIL for as long as it runs (~3 s per 1 MB of
dense code), so callers bound the source first (:func:`nesting_depth` is a
cheap look at brackets); :func:`parse` itself refuses sources over
:data:`MAX_SOURCE`, so that no caller can hold every other grading thread for
long. The notebook reader parses each cell once and keeps its tree
(:class:`Source`); :func:`tree_of` hands it to whoever needs it again.

Examples
--------
>>> parse("y = x + 1").body[0].targets[0].id
'y'
>>> nesting_depth("f([1, (2, 3)], '((')  # (( in a string")
3
>>> src = Source(3, "y = 1", parse("y = 1"))
>>> index, code = src
>>> (index, code, tree_of(src) is src.tree)
(3, 'y = 1', True)
"""

from __future__ import annotations

import ast
import os
import re
import threading
import time
from itertools import accumulate
from typing import Any

_LOCK = threading.Lock()

#: no source longer than this is parsed on the grader's side (a notebook cell may hold far less)
MAX_SOURCE = 1024 * 1024

#: what makes a source unparseable, beside SyntaxError: null bytes (ValueError), chains too deep
#: for the AST builder (RecursionError), the parser's own stack (MemoryError)
UNPARSEABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


class SourceTooLarge(ValueError):
    """A source longer than :data:`MAX_SOURCE`: the grader does not parse it."""


def _fresh_lock() -> None:
    # A child forked while another thread held the lock must not inherit it held.
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock)


#: how often a parse is tried again after CPython 3.11's "AST constructor recursion depth mismatch"
_RETRIES = 5


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """``ast.parse`` that is safe to call from several threads at once (and refuses huge sources).

    Our own parses take turns (the lock); a library's parse in another thread
    (``ast.literal_eval`` in Dask's configuration, say) does not, and can still
    disturb the interpreter-wide depth counter of CPython 3.11's AST builder
    in the middle of ours: that spurious ``SystemError`` is not the source's
    fault, so the parse is tried again.
    """
    if len(source) > MAX_SOURCE:
        raise SourceTooLarge(f"{len(source)} characters of source; the grader parses at most {MAX_SOURCE}")
    for attempt in range(_RETRIES):
        try:
            with _LOCK:
                return ast.parse(source, filename=filename, mode=mode)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == _RETRIES - 1:
                raise
            time.sleep(0.002 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


_BRACKET_STEP = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")
#: strings (triple-quoted first) and comments, whose brackets are not nesting
_STRINGS_AND_COMMENTS = re.compile(r"'''[\s\S]*?(?:'''|$)|\"\"\"[\s\S]*?(?:\"\"\"|$)|'(?:\\.|[^'\\\n])*'?|\"(?:\\.|[^\"\\\n])*\"?|#[^\n]*")


def nesting_depth(source: str) -> int:
    """How deep brackets nest in ``source``, without parsing it (regular expressions: ~1 ms per 100 KB).

    Brackets inside strings and comments are left out.
    """
    brackets = _NOT_BRACKET.sub("", _STRINGS_AND_COMMENTS.sub("", source))
    if not brackets:
        return 0
    return max(accumulate((_BRACKET_STEP[c] for c in brackets), lambda depth, step: max(0, depth + step)))


class Source(tuple):
    """``(cell index, code)``, as evaluators read a program, with the tree the reader already built.

    ``tree`` is None when the code does not parse.  It is shared by every
    thread that grades the program: nothing may change it.
    """

    tree: Any

    def __new__(cls, index: int | None, code: str, tree: Any = None) -> "Source":
        self = super().__new__(cls, (index, code))
        self.tree = tree
        return self


def tree_of(item) -> Any:
    """The tree of ``(index, code)``: the one kept with a :class:`Source`, else a fresh parse;
    None when the code does not parse."""
    if isinstance(item, Source):
        return item.tree
    try:
        return parse(item[1])
    except UNPARSEABLE:
        return None
