"""Each student's right answers to the on-paper exercises with numbers of their own (issue 20, part 1).

The variant evidence (:func:`.evidence.variant_evidence`) needs, for an
on-paper exercise and a student, that student's right values: those of the
numbers drawn from the student's id (:func:`autograder.engine.numbers.draw_for`),
as every grader grades them.  With variants off for the assignment, or no
exercise of it declaring numbers, every student has the lesson's and there is
nothing to compare: :func:`course_variants` returns None and the evidence
stays silent.
"""
from __future__ import annotations

from typing import Callable

from ...engine.numbers import draw_for


def course_variants(course, assignment: str, exercises) -> Callable | None:
    """``variants(exercise, student)``: the student's right values ({name: value}) of the exercises that have
    numbers of their own, or None when variants are off or none has."""
    if not course.assignment(assignment).variants or not any(ex.numbers is not None for ex in exercises):
        return None

    def variants(exercise, student: str):
        if exercise.numbers is None:
            return None
        return exercise.numbers.answers(draw_for(exercise, student, course.variant_seed))

    return variants
