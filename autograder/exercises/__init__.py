"""Every exercise of the course, declared once, in one module per assignment.

A module of this package that defines ``ASSIGNMENT`` and ``EXERCISES`` is an
assignment.  Add an exercise by adding one
:class:`~autograder.engine.spec.Exercise` to its module, one solution cell to
the solution notebook and its points to course.yml.

A learner kit (``autograder build-kit``) has no declaration modules: it holds
the exercises compiled into data (:mod:`.compiled`), and the functions below
answer from that data instead.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from pathlib import Path

from ..engine.spec import Exercise
from . import compiled


@lru_cache(maxsize=1)
def registry() -> dict[str, Exercise]:
    """All exercises by id, in assignment order, then declaration order."""
    if compiled.available():
        return dict(compiled.all_exercises())
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


_ID_LINE = re.compile(r"""^\s*id\s*=\s*["']([^"']+)["']""", re.M)


@lru_cache(maxsize=None)
def _module_declaring(exercise_id: str) -> str | None:
    """The module whose source declares ``exercise_id`` (found without importing any)."""
    for info in pkgutil.iter_modules(__path__):
        try:
            source = (Path(__path__[0]) / f"{info.name}.py").read_text(encoding="utf-8")
        except OSError:
            continue
        if exercise_id in _ID_LINE.findall(source):
            return info.name
    return None


def get(exercise_id: str) -> Exercise:
    """The exercise with this id (importing only its own module); a clear KeyError otherwise."""
    if compiled.available():
        assignment = compiled.assignment_of(exercise_id)
        for ex in compiled.exercises_of(assignment) if assignment else ():
            if ex.id == exercise_id:
                return ex
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {', '.join(registry())}")
    name = None if registry.cache_info().currsize else _module_declaring(exercise_id)
    if name is not None:
        module = importlib.import_module(f"{__name__}.{name}")
        for ex in getattr(module, "EXERCISES", ()):
            if ex.id == exercise_id:
                return ex
    try:
        return registry()[exercise_id]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {', '.join(registry())}") from None


_ASSIGNMENT_LINE = re.compile(r"^ASSIGNMENT\s*=\s*[\"']([^\"']+)[\"']", re.M)


@lru_cache(maxsize=None)
def _modules_of(assignment_id: str) -> tuple[str, ...]:
    """The modules declaring ``assignment_id``, found from their source, without importing any."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        try:
            source = (Path(__path__[0]) / f"{info.name}.py").read_text(encoding="utf-8")
        except OSError:
            continue
        match = _ASSIGNMENT_LINE.search(source)
        if match and match.group(1) == assignment_id:
            found.append(info.name)
    return tuple(found)


def for_assignment(assignment_id: str) -> list[Exercise]:
    """The exercises of one assignment, importing only its own module (and what it needs)."""
    if compiled.available():
        return list(compiled.exercises_of(assignment_id))
    if registry.cache_info().currsize:
        return [ex for ex in registry().values() if ex.assignment == assignment_id]
    exercises = []
    for name in _modules_of(assignment_id):
        module = importlib.import_module(f"{__name__}.{name}")
        exercises += [ex for ex in getattr(module, "EXERCISES", ()) if ex.assignment == assignment_id]
    return exercises if exercises else [ex for ex in registry().values() if ex.assignment == assignment_id]
