"""Every exercise of the course, declared once, in one module per assignment.

A module of this package that defines ``ASSIGNMENT`` and ``EXERCISES`` is an
assignment.  Add an exercise by adding one
:class:`~autograder.engine.spec.Exercise` to its module, one solution cell to
the solution notebook and its points to course.yml.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ..engine.spec import Exercise


@lru_cache(maxsize=1)
def registry() -> dict[str, Exercise]:
    """All exercises by id, in assignment order, then declaration order."""
    modules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "EXERCISES") and hasattr(module, "ASSIGNMENT"):
            modules.append(module)
    found: dict[str, Exercise] = {}
    for module in sorted(modules, key=lambda m: m.ASSIGNMENT):
        for ex in module.EXERCISES:
            if ex.id in found:
                raise ValueError(f"exercise id {ex.id!r} is declared twice")
            if ex.assignment != module.ASSIGNMENT:
                raise ValueError(f"exercise {ex.id!r} is declared in {module.__name__} but says it belongs to {ex.assignment}")
            found[ex.id] = ex
    return found


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; a clear KeyError listing the ids otherwise."""
    try:
        return registry()[exercise_id]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {', '.join(registry())}") from None


def for_assignment(assignment_id: str) -> list[Exercise]:
    return [ex for ex in registry().values() if ex.assignment == assignment_id]
