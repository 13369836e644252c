"""Grade a whole class: ``autograder grade`` and :func:`grade_class`.

Pipeline: find the submissions (:mod:`.discover`) -> resume from the output
folder (:mod:`.store`) -> grade what is left, in parallel threads here
(:mod:`.run_local`) or on a Dask cluster (:mod:`.run_dask`), each submission
in its own sandbox (:mod:`.work`) -> write each report and feedback file the
moment it is done -> rebuild the gradebook (:mod:`.gradebook`).

Output folder::

    gradebook.csv          nbgrader export columns + one column per exercise (points earned)
    reports/{student}.json the engine's JSON report plus "student"
    feedback/{student}.md  status, points and message per exercise; never hidden inputs
    seed                   the secret seed of the hidden checks (0600), drawn once, reused on rerun
"""
from __future__ import annotations

import importlib

__all__ = ["grade_class", "GradeResult", "GradingInterrupted", "DiscoveryError", "StoreError"]

_HOME = {
    "grade_class": "batch", "GradeResult": "batch", "GradingInterrupted": "batch", "default_workers": "batch",
    "DiscoveryError": "discover", "StoreError": "store",
}


def __getattr__(name: str):
    # Imported on first use, so that `autograder --help` does not load the sandbox.
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
