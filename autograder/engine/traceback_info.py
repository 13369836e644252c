"""Where an exception met the learner's code, described as the learner sees it.

Used on both sides of a check: in the sandboxed child (which runs notebook
cells compiled as ``<cell N>``) and in the learner's own kernel (where IPython
names cells after temporary files).  Learner code is recognised the same way
in both: its functions live in the namespace of ``__main__``.

Two facts come out of a traceback:

* **where**: the innermost line of learner code the exception passed through,
  as the learner can find it: ``line 3 of conv1d: y[n] += x[k] * h[n - k]``
  for code inside a function, or ``line 2 of the cell that starts with
  `stripe = np.ones((6, 9))`: ...`` for top-level code.  Cell numbers are never
  used: Jupyter does not show them.
* **own**: whether the learner's code raised the exception itself (a ``raise``
  or ``assert`` statement in a learner frame), rather than a library it called
  (NumPy's "negative dimensions are not allowed").  Bad-input checks count
  only the learner's own raise as validation.

Nothing here imports learner code or keeps references to frames.
"""
from __future__ import annotations

import dis
import linecache
from types import TracebackType

_RAISING = {dis.opmap["RAISE_VARARGS"]}


def _learner_frame(frame) -> bool:
    try:
        return frame.f_globals.get("__name__") == "__main__"
    except Exception:  # a frame whose globals misbehave is not ours to read
        return False


def _line_text(code, lineno: int) -> str:
    try:
        return linecache.getline(code.co_filename, lineno).strip()
    except Exception:
        return ""


def _first_line(filename: str) -> str:
    try:
        for line in linecache.getlines(filename):
            if line.strip() and not line.lstrip().startswith("#"):
                return line.strip()
    except Exception:
        pass
    return ""


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: How a library's top-level package is named for the learner.
LIBRARY_NAMES = {"numpy": "NumPy", "scipy": "SciPy", "PIL": "Pillow", "matplotlib": "Matplotlib"}


def origin(tb: TracebackType | None) -> str:
    """The library whose Python code raised last (``"NumPy"``), or "" when the learner's
    code or compiled code raised (a C function leaves no frame of its own)."""
    name = ""
    while tb is not None:
        frame = tb.tb_frame
        if _learner_frame(frame):
            name = ""
        else:
            try:
                module = frame.f_globals.get("__name__") or ""
            except Exception:
                module = ""
            top = module.split(".")[0] if isinstance(module, str) else ""
            name = LIBRARY_NAMES.get(top, top if top and not top.startswith("_") else "")
        tb = tb.tb_next
    return name


def describe(tb: TracebackType | None) -> tuple[str, bool]:
    """``(where, own)`` for the traceback of an exception (see the module docstring)."""
    where, own = "", False
    innermost = None
    for_learner = []
    while tb is not None:
        frame = tb.tb_frame
        if _learner_frame(frame):
            for_learner.append((frame.f_code, tb.tb_lineno))
        innermost = (frame, tb.tb_lasti)
        tb = tb.tb_next
    if for_learner:
        code, lineno = for_learner[-1]
        text = _short(_line_text(code, lineno))
        if code.co_name == "<module>":
            first = _short(_first_line(code.co_filename), 50)
            where = f"line {lineno} of the cell that starts with `{first}`" if first else f"line {lineno} of a cell"
        else:
            where = f"line {lineno - code.co_firstlineno + 1} of {code.co_name}"
        if text:
            where += f": {text}"
    if innermost is not None and _learner_frame(innermost[0]):
        code = innermost[0].f_code.co_code
        lasti = innermost[1]
        own = 0 <= lasti < len(code) and code[lasti] in _RAISING
    return where, own
