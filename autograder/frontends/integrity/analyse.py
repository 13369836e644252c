"""``autograder integrity``: read a class, gather the evidence, rank the pairs (see :mod:`.evidence`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ...exercises import for_assignment
from . import collect, evidence, fingerprint as fp, probe
from .variants import course_variants


class IntegrityError(ValueError):
    """What was asked cannot be analysed (no submissions, an unknown assignment...)."""


@dataclass
class Analysis:
    """Everything the page, the CSV and the class report's section show."""

    assignment: str
    title: str
    exercises: list[str]
    students: list[str]  # the submissions compared
    not_compared: dict[str, str] = field(default_factory=dict)  # student -> why
    pairs: list[evidence.Pair] = field(default_factory=list)
    code_stats: dict[str, evidence.ExerciseStats] = field(default_factory=dict)
    #: on-paper exercises whose answers are each student's own numbers: not compared as code (see analyse)
    own_numbers: list[str] = field(default_factory=list)
    reference_stats: dict[str, evidence.ExerciseStats] = field(default_factory=dict)
    code: dict[str, dict[str, str]] = field(default_factory=dict)  # student -> exercise -> code as graded
    where: dict[str, dict[str, str]] = field(default_factory=dict)  # student -> exercise -> "cell 7"
    prints: dict[str, dict[str, fp.Fingerprint]] = field(default_factory=dict)
    references: dict[str, list[tuple[str, fp.Fingerprint]]] = field(default_factory=dict)
    reference_code: dict[str, str] = field(default_factory=dict)  # reference name -> code
    similarity: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    probed: bool = False
    probe_failures: dict[str, str] = field(default_factory=dict)
    reports_used: int = 0
    variants_used: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> list[evidence.Pair]:
        return [p for p in self.pairs if p.flagged]


def batch_seed(course, grades: Path | None, seed: int | None) -> int:
    """The batch's secret seed: the grades folder's, else ``seed``, else the course's secret seed."""
    if grades is not None:
        from ..grading.store import Store

        stored = Store(grades).stored_seed()
        if stored is not None:
            return stored
    if seed is not None:
        return int(seed)
    return course.secret_seed()


def _reports(grades: Path | None, course) -> dict[str, dict]:
    if grades is None or not (grades / "reports").is_dir():
        return {}
    from ..reports.classreport import ReportError, load_grades

    try:
        return load_grades(grades, course).reports
    except ReportError:
        return {}


def _labels(entry: dict) -> list[str]:
    from ..reports.classreport import hidden_labels

    listed = entry.get("failed_hidden")
    return [str(x) for x in listed] if isinstance(listed, list) else hidden_labels(entry.get("feedback") or "")


def analyse(submissions: str | Path, assignment: str, *, course, seed: int | None = None, grades: str | Path | None = None,
            run: bool = True, workers: int | None = None, variants=None, progress=None) -> Analysis:
    """Read every submission of ``assignment``, gather the evidence of :mod:`.evidence`, rank the pairs.

    ``grades``: the output folder of ``autograder grade`` for the same class (its seed and its
    reports' misconceptions are used when present).  ``run``: run the probes in the sandbox.
    ``variants(exercise, student)``: per-student right answers of on-paper exercises (default:
    the course's, when it has them; see :mod:`.variants`).
    """
    started = time.perf_counter()
    try:
        info = course.assignment(assignment)
    except Exception as exc:
        raise IntegrityError(str(exc)) from None
    exercises = for_assignment(assignment)
    ids = [ex.id for ex in exercises]
    grades = Path(grades) if grades is not None else None
    analysis = Analysis(assignment, f"{info.title} ({assignment})" if info.title and info.title != assignment else assignment, ids, [])

    found = collect.find_submissions(submissions, assignment, info.notebook)
    released = collect.released_code(course, assignment, ids)
    pieces = ids + [collect.OTHER]
    works = []
    for submission in found:
        work = collect.read_work(submission, ids)
        if not work.readable:
            analysis.not_compared[work.student] = work.problem or "the notebook could not be read"
            continue
        works.append(work)
        code, where = collect.split_code(work.program, ids, released)
        analysis.code[work.student] = code
        analysis.where[work.student] = where
        analysis.prints[work.student] = {e: fp.fingerprint(c, released.boilerplate.get(e, set())) for e, c in code.items()}
    analysis.students = sorted(analysis.prints)
    for ref in collect.reference_code(course, assignment, exercises):
        analysis.references.setdefault(ref.exercise, []).append((ref.name, fp.fingerprint(ref.code, released.boilerplate.get(ref.exercise, set()))))
        analysis.reference_code[ref.name] = ref.code
    analysis.seconds["read"] = time.perf_counter() - started

    t = time.perf_counter()
    # An on-paper answer with numbers of its own is a list of the student's own numbers: two of them alike says
    # nothing about the code; copied values are the variant evidence's to find (an answer right for a classmate's numbers).
    analysis.own_numbers = [ex.id for ex in exercises if ex.numbers is not None and info.variants]
    code_found, analysis.code_stats, analysis.similarity = evidence.code_evidence(analysis.prints, [p for p in pieces if p not in analysis.own_numbers])
    ref_found, analysis.reference_stats = evidence.reference_evidence(analysis.prints, analysis.references)
    analysis.seconds["compare"] = time.perf_counter() - t

    behaviours: dict = {}
    if run and works:
        t = time.perf_counter()
        prepared = probe.prepare_probes(exercises, batch_seed(course, grades, seed))
        from ...sandbox.session import Limits

        behaviours, analysis.probe_failures = probe.probe_class(
            works, prepared, limits=Limits.from_settings(course.grading), files=course.grading_files(assignment), workers=workers, progress=progress)
        analysis.probed = True
        analysis.seconds["probes"] = time.perf_counter() - t
    reports = _reports(grades, course)
    reports = {s: r for s, r in reports.items() if s in analysis.prints}
    analysis.reports_used = len(reports)
    if variants is None:
        variants = course_variants(course, assignment, exercises)
    analysis.variants_used = variants is not None
    analysis.pairs = evidence.combine(
        exercises,
        code_found,
        evidence.output_evidence(behaviours, exercises),
        evidence.misconception_evidence(reports, ids, _labels),
        evidence.variant_evidence(behaviours, exercises, variants),
        references=ref_found,
    )
    analysis.seconds["total"] = time.perf_counter() - started
    return analysis
