"""Where per-student answers of on-paper exercises come from (issue 20, part 1: variants).

The variant evidence (:func:`.evidence.variant_evidence`) needs, for an
on-paper exercise and a student, that student's right values.  Until the
course draws per-student numbers every student has the lesson's own, and
there is nothing to compare: :func:`course_variants` returns None and the
evidence stays silent.

The contract for variants: an exercise that has per-student numbers declares
a callable attribute ``variant_values(student: str, course) -> dict | None``
(the student's right values by name, or None when variants are off for its
assignment).  :func:`course_variants` picks it up; nothing else here changes.
"""
from __future__ import annotations

from typing import Callable


def course_variants(course, assignment: str, exercises) -> Callable | None:
    """``variants(exercise, student)`` for the exercises that declare per-student values, or None when none does."""
    declared = {ex.id: ex.variant_values for ex in exercises if callable(getattr(ex, "variant_values", None))}
    if not declared:
        return None

    def variants(exercise, student: str):
        values = declared.get(exercise.id)
        return values(student, course) if values is not None else None

    return variants
