"""Each student's own numbers for the value exercises that declare them (variants).

An exercise worked out on paper (``by_hand_full``: the full convolution of
two short sequences) declares :class:`~autograder.engine.spec.Numbers`: how
to draw a student's numbers, the lesson's own, and (trusted) the answers and
the misconceptions' values for any of them.  A student's numbers are drawn
from the course's variant seed (public: course.yml's ``variant_seed``), the
exercise and the student's id, so the notebook, every self-check and every
grader find the same ones for the same student; without an id (a learner who
has not written one yet) they are the lesson's.

>>> from autograder.exercises import get
>>> ex = get("by_hand_full")
>>> draw_for(ex, "alice", 7) == draw_for(ex, "alice", 7) != draw_for(ex, "bob", 7)
True
>>> draw_for(ex, None, 7) == ex.numbers.lesson
True
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import numpy as np

from .spec import Exercise, Misconception

#: Draws tried before giving up on numbers other than the lesson's (a declaration's draw that cannot avoid them).
MAX_DRAWS = 100


def numbers_seed(seed: int, exercise_id: str, student: str) -> int:
    """The seed of ``student``'s numbers for ``exercise_id`` under the course's variant seed (63 bits)."""
    digest = hashlib.sha256(f"autograder-numbers\0{int(seed)}\0{exercise_id}\0{student}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def draw_for(ex: Exercise, student: str | None, seed: int) -> dict[str, Any] | None:
    """``student``'s numbers for ``ex`` (the lesson's when ``student`` is None; None when ``ex`` has none).

    Never the lesson's own numbers for a student: those are worked through in the text."""
    spec = ex.numbers
    if spec is None:
        return None
    if not student:
        return dict(spec.lesson)
    rng = np.random.default_rng(numbers_seed(seed, ex.id, student))
    for _ in range(MAX_DRAWS):
        numbers = spec.draw(rng)
        if not same_numbers(numbers, spec.lesson):
            return numbers
    raise ValueError(f"{ex.id}: its draw keeps giving the lesson's own numbers")


def same_numbers(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def _alternatives(candidates: list[dict[str, Any]]):
    """A value misconception's ``wrong``: the values it gives, as alternatives (each a dict by answer name);
    the engine names it under each answer whose value one of them holds (see ``_value_misconception``)."""
    return lambda: list(candidates)


def lesson_hint(ex: Exercise, numbers: dict[str, Any]) -> str:
    spec = ex.numbers
    return (f"These are the answers for the lesson's example ({spec.describe(spec.lesson)}), not for your own numbers "
            f"({spec.describe(numbers)}). Work through yours the same way, step by step.")


def other_hint(ex: Exercise, numbers: dict[str, Any], declared: str, student: str | None = None) -> str:
    handed = f"handed in as {student!r}" if student else "it was handed in as"
    return (f"These are the right answers for the numbers of {declared!r}, the id written in this notebook, not for those of "
            f"the student {handed} ({ex.numbers.describe(numbers)}). Each student has their own numbers: work through yours.")


def personalise(ex: Exercise, numbers: dict[str, Any] | None, *, declared: str | None = None,
                declared_numbers: dict[str, Any] | None = None, student: str | None = None) -> Exercise | None:
    """``ex`` asking for ``numbers``: their answers, the misconceptions' values for them, and two more names,
    ``lesson-numbers`` (the answers of the lesson's example) and ``other-numbers`` (the answers of the
    numbers of ``declared``, the id the notebook names when it differs from the one graded).

    None when the answers for ``numbers`` are not known here (a learner kit holds those of the students
    on its roster only)."""
    spec = ex.numbers
    if spec is None or numbers is None:
        return ex
    answers = spec.answers(numbers)
    if answers is None:
        return None
    # Whose answers these are comes first: the numbers of the id the notebook names, then the lesson's
    # (a copied answer can happen to equal a misconception's value for the student's own numbers).
    misconceptions = []
    other = spec.answers(declared_numbers) if declared and declared_numbers is not None and not same_numbers(numbers, declared_numbers) else None
    if other is not None:
        misconceptions.append(Misconception("other-numbers", other_hint(ex, numbers, declared, student), wrong=_alternatives([other])))
    if not same_numbers(numbers, spec.lesson):
        misconceptions.append(Misconception("lesson-numbers", lesson_hint(ex, numbers), wrong=_alternatives([dict(ex.values)])))
    for m in ex.misconceptions:
        if m.id in spec.wrong:  # its values for these numbers, answer by answer
            m = replace(m, wrong=_alternatives(spec.wrong[m.id](numbers)), detect=None)
        elif m.wrong is not None:  # the values it gives for the lesson's numbers: nothing to say about these
            m = replace(m, wrong=None)
        misconceptions.append(m)
    title = spec.title(numbers) if spec.title else ex.title
    visible = tuple(spec.cases(numbers)) if spec.cases is not None else ex.visible
    return replace(ex, values=answers, misconceptions=tuple(misconceptions), title=title, visible=visible)
