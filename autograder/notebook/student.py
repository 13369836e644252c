"""Who a notebook says its learner is: nbgrader's usual ``NAME = "..."`` cell.

Courses built with nbgrader start each notebook with a cell where the
learner writes their name or id (``NAME = ""``).  Each student's own numbers
(variants) are drawn from that id on the learner's side; graders use the id
the submission was handed in under and report a notebook that names another.
"""
from __future__ import annotations

import ast
import os
import unicodedata

#: The variable the notebook's first cell asks the learner to fill in.
NAME_VARIABLE = "NAME"
#: Longest id taken from a notebook (a longer string is not an id).
MAX_ID = 100


def clean_id(value) -> str | None:
    """``value`` as a student id: a non-empty printable string of at most :data:`MAX_ID` characters, stripped; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID or any(unicodedata.category(c)[0] == "C" for c in value):
        return None
    return value


def declared_in(trees) -> str | None:
    """The id the last top-level ``NAME = "..."`` of these cell trees assigns (None when none, or empty)."""
    found = None
    for tree in trees:
        for node in getattr(tree, "body", ()):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == NAME_VARIABLE for t in node.targets) \
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found = node.value.value
    return clean_id(found)


def declared_student(program) -> str | None:
    """The id a loaded notebook (:class:`~autograder.notebook.load.Program`) names in its ``NAME`` cell."""
    return declared_in(cell.tree for cell in program.cells if cell.tree is not None)


def learner_id(declared: str | None) -> str | None:
    """The id a learner's self-check uses: the notebook's ``NAME``, else the JupyterHub user."""
    return declared or clean_id(os.environ.get("JUPYTERHUB_USER"))
