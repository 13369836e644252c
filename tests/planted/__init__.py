"""Wrong answers planted into solution notebooks, one per misconception.

Each module here (one per assignment) lists :class:`Plant` objects: the
source of one answer cell written the way a learner who holds the
misconception would write it.  tests/test_misconceptions.py puts each into a
copy of the solution notebook and asserts that the grader names the
misconception, while the notebook's other exercises still pass.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Plant:
    exercise: str  # the exercise id, which is also the grade_id of its answer cell
    misconception: str  # the id the grader must report
    source: str  # the answer cell's new source
    status: str = "failed"  # the status the grader must report

    @property
    def name(self) -> str:
        return f"{self.exercise}[{self.misconception}]"


def all_plants() -> list[tuple[str, Plant]]:
    """(assignment id, plant) for every planted module."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += [(module.ASSIGNMENT, plant) for plant in module.PLANTS]
    return found
