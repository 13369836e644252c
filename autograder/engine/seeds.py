"""Seeds of graded hidden checks: one per student.

The instructor's secret seed (``secret_seed``, or ``grade --seed``) is the
seed of a *batch*; each student's graded hidden checks are drawn from a seed
derived from it and the student's id, so that the hidden cases one learner
sees in feedback are of no use to a classmate graded later.  Both graders
(``autograder grade`` and ``nbgrader autograde``) derive it the same way, so
they grade a student on the same cases.

>>> student_seed(1234, "alice") == student_seed(1234, "alice")
True
>>> student_seed(1234, "alice") != student_seed(1234, "bob")
True
"""
from __future__ import annotations

import hashlib


def student_seed(seed: int, student: str) -> int:
    """The seed of ``student``'s graded hidden checks in the batch of ``seed`` (a non-negative 63-bit int)."""
    if not isinstance(student, str):
        raise TypeError(f"student must be a str, not {type(student).__name__}")
    digest = hashlib.sha256(f"autograder-student-seed\0{int(seed)}\0{student}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") >> 1
