"""An auto-graded course on convolutions: exercises, references and a grader.

Learners use one function, in the notebook's test cells or anywhere else::

    from autograder import check
    check("conv1d")            # the lesson's worked examples and practice hidden cases

and cells that demonstrate the learner's functions run inside ``with demo():``
so that an unfinished function does not stop "Run All".

Everything is imported lazily: the sandboxed process that runs learner code
loads :mod:`autograder.sandbox.child` without ever loading the references or
the hidden-case generators.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["check", "demo", "my_numbers", "CheckFailed", "__version__"]


def __getattr__(name: str):
    if name in ("check", "demo", "my_numbers", "CheckFailed"):
        from .frontends import inline

        return getattr(inline, name)
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
