"""Pairs worth a second look: every piece of evidence, weighed against the class itself.

Each kind of evidence gives a pair *points*; a pair's score is their sum, and
pairs are ranked by it.  A pair is *flagged* when its score reaches
:data:`FLAG` (1.0): about as much as one whole exercise written identically
by two students when nobody else in the class writes it that way.  A flag is
a reason to read two submissions side by side, never a finding, and nothing
here changes a grade.

**Code** (per exercise, :mod:`.fingerprint`): ``s`` is the share of winnowed
fingerprints two answers have in common, after what the released notebook
held is removed and names, comments, layout and statement order are
normalised.  Short correct answers look alike, so ``s`` is read against the
class's own pairs for that exercise: ``q``, the similarity that 1 pair in 20
reaches, and ``n``, how many pairs are nearly identical (``s >= 0.9``) among
the ``P`` pairs compared.  Points: ``w * g`` with
``g = (s - q) / (1 - q)`` (0 below ``q``; how far into the gap between what is
usual in this class and identical code) and ``w = log(P / n) / log(P)`` (1
when this pair is the only near-identical one, 0 when every pair is), times
the shorter answer's share of 24 fingerprints (a few lines can be written
alike by chance).  An exercise whose class is too uniform to tell (``q``
above 0.95: everybody writes the same three lines) gives nothing, and a class
of fewer than 20 students weighs less (``log(P)`` is taken as at least that of
20 students' 190 pairs).

**The course's own code** (per exercise): the share of a student's
fingerprints found in the reference implementation (with the helpers it
calls) or the instructor's solution cell, read the same way against the
class's students (``n`` students near 1 among ``N``).

**Outputs on probe inputs nobody saw** (:mod:`.probe`): two students who gave
the same wrong answers on the same probes, when ``k`` students in all gave
exactly those: ``specificity / (k - 1)`` points, where the specificity is 1
for wrong numbers nobody's misconception explains, 0.5 for numbers that a
named misconception explains (a mistake many make alike), 0.3 for the same
exceptions or timeouts, 0 for a forbidden call.  Identical *right* outputs
are never evidence.

**The same misconception on the same cases** (from ``autograder grade``'s
reports, when given): the misconception named and the labels of the hidden
checks it failed, shared by ``k`` students: ``0.5 / (k - 1)`` points.

An exercise that calls another (``conv1d_mode`` calls ``conv1d``) inherits its
wrong answers: a student's wrong outputs there are not counted when the
exercise it calls is wrong too, and per family of such exercises only the
strongest output or misconception evidence counts.

**Variants** (:func:`variant_evidence`): an on-paper answer that is wrong for
its author's own numbers and exactly right for a classmate's: 1 point (the
classmate's answer was copied, or the classmate was given the wrong numbers).
It needs per-student answers (``variants``); without them it is silent.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from . import fingerprint as fp
from .probe import Behaviour, digest

#: score from which a pair is flagged (see the module docstring)
FLAG = 1.0
#: the class's similarity that 1 pair in 20 reaches: what "usual" means
USUAL = 0.95
#: near-identical: the count of such pairs makes an exercise's weight
NEAR = 0.9
#: an exercise whose usual similarity is above this is too uniform to tell anything
UNIFORM = 0.95
#: answers with fewer fingerprints than this are too short to compare
MIN_FINGERPRINTS = 4
#: fingerprints an answer needs to weigh fully: a shorter one could be written alike by chance
FULL_FINGERPRINTS = 24
#: a class of fewer students than this says less about what is usual (its weights are scaled down)
ENOUGH_STUDENTS = 20
#: specificity of shared wrong answers (see the module docstring)
SPECIFIC = {"value": 1.0, "named": 0.5, "raised": 0.3, "timeout": 0.3, "crash": 0.3, "forbidden": 0.0}
MISCONCEPTION_POINTS = 0.5
VARIANT_POINTS = 1.0
#: misconceptions that say nothing about who wrote what
SILENT_MISCONCEPTIONS = {None, "", "not-implemented", "timeout", "forbidden-call", "not-on-paper"}


@dataclass
class Evidence:
    kind: str  # "code", "reference", "outputs", "misconception" or "variant"
    exercise: str
    points: float
    text: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "exercise": self.exercise, "points": round(self.points, 3), "text": self.text}


@dataclass
class Pair:
    a: str
    b: str  # a student, or a reference's name when ``reference``
    evidence: list[Evidence] = field(default_factory=list)
    reference: bool = False
    rank: int = 0

    @property
    def score(self) -> float:
        return sum(e.points for e in self.evidence)

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG - 1e-9

    def kinds(self) -> list[str]:
        return sorted({e.kind for e in self.evidence if e.points > 0})

    def to_dict(self) -> dict:
        return {"rank": self.rank, "a": self.a, "b": self.b, "reference": self.reference, "score": round(self.score, 3),
                "flagged": self.flagged, "evidence": [e.to_dict() for e in self.evidence]}


@dataclass
class ExerciseStats:
    """How alike the class's answers to one exercise are."""

    exercise: str
    compared: int = 0  # pairs (or students, for references) compared
    median: float = 0.0
    usual: float = 0.0  # the similarity 1 pair in 20 reaches
    near: int = 0  # pairs at or above NEAR
    weight: float = 0.0
    uniform: bool = False

    def points(self, s: float) -> float:
        if self.uniform or self.compared < 2 or s <= self.usual:
            return 0.0
        return self.weight * min(1.0, (s - self.usual) / (1.0 - self.usual))

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "compared": self.compared, "median": round(self.median, 3), "usual": round(self.usual, 3),
                "near_identical": self.near, "weight": round(self.weight, 3), "uniform": self.uniform}


def class_stats(exercise: str, values: Iterable[float], *, enough: int) -> ExerciseStats:
    """``enough``: how many comparisons it takes for the class to say what is usual (fewer weigh less)."""
    v = np.fromiter(values, dtype=np.float64)
    stats = ExerciseStats(exercise, int(v.size))
    if v.size < 2:
        return stats
    stats.median = float(np.median(v))
    stats.usual = float(np.quantile(v, USUAL))
    stats.near = int(np.count_nonzero(v >= NEAR))
    stats.weight = max(0.0, min(1.0, math.log(v.size / max(stats.near, 1)) / math.log(max(v.size, enough))))
    stats.uniform = stats.usual > UNIFORM
    return stats


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# --------------------------------------------------------------------------- code


def code_evidence(prints: dict[str, dict[str, fp.Fingerprint]], exercises: list[str]) -> tuple[dict[tuple[str, str], list[Evidence]], dict[str, ExerciseStats], dict]:
    """Code evidence of every pair; the class's statistics per exercise; every pair's similarity per exercise."""
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    stats: dict[str, ExerciseStats] = {}
    similarity: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    students = sorted(prints)
    for exercise in exercises:
        have = [s for s in students if exercise in prints[s] and prints[s][exercise].size >= MIN_FINGERPRINTS]
        sims = {}
        for a, b in itertools.combinations(have, 2):
            sims[(a, b)] = fp.similarity(prints[a][exercise], prints[b][exercise])
        st = stats[exercise] = class_stats(exercise, sims.values(), enough=ENOUGH_STUDENTS * (ENOUGH_STUDENTS - 1) // 2)
        for pair, s in sims.items():
            similarity[pair][exercise] = s
            fa, fb = prints[pair[0]][exercise], prints[pair[1]][exercise]
            points = st.points(s) * min(1.0, min(fa.size, fb.size) / FULL_FINGERPRINTS)
            if points > 0:
                shared = len(fa.hashes & fb.hashes)
                found[pair].append(Evidence("code", exercise, points, (
                    f"{exercise}: {_pct(s)} of the code alike after names, comments, layout and order are set aside "
                    f"({shared} fingerprints shared); in this class 1 pair in 20 reaches {_pct(st.usual)}, "
                    f"{st.near} of {st.compared} pairs are nearly identical")))
    return found, stats, similarity


def reference_evidence(prints: dict[str, dict[str, fp.Fingerprint]], references: dict[str, list[tuple[str, fp.Fingerprint]]]
                       ) -> tuple[dict[tuple[str, str], list[Evidence]], dict[str, ExerciseStats]]:
    """Per student and exercise: how much of the answer is the course's own code, read against the class."""
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    stats: dict[str, ExerciseStats] = {}
    for exercise, refs in references.items():
        best: dict[str, tuple[float, str, int]] = {}
        for student in sorted(prints):
            mine = prints[student].get(exercise)
            if mine is None or mine.size < MIN_FINGERPRINTS:
                continue
            options = [(fp.containment(mine, ref), name, len(mine.hashes & ref.hashes)) for name, ref in refs if ref.size]
            if options:
                best[student] = max(options)
        st = stats[exercise] = class_stats(exercise, (c for c, _, _ in best.values()), enough=ENOUGH_STUDENTS)
        for student, (c, name, shared) in best.items():
            points = st.points(c) * min(1.0, prints[student][exercise].size / FULL_FINGERPRINTS)
            if points > 0:
                found[(student, name)].append(Evidence("reference", exercise, points, (
                    f"{exercise}: {_pct(c)} of the answer's fingerprints ({shared}) are in {name}; "
                    f"in this class 1 student in 20 reaches {_pct(st.usual)}, {st.near} of {st.compared} are near 100%")))
    return found, stats


# --------------------------------------------------------------------------- behaviour


def families(exercises) -> dict[str, str]:
    """Each exercise's family: the exercise it (transitively) calls first, or itself."""
    by_id = {ex.id: ex for ex in exercises}
    root: dict[str, str] = {}

    def find(exercise_id: str, seen=()) -> str:
        ex = by_id.get(exercise_id)
        used = [u for u in (ex.uses if ex is not None else ()) if u in by_id and u not in seen]
        return find(used[0], seen + (exercise_id,)) if used else exercise_id

    for ex in exercises:
        root[ex.id] = find(ex.id)
    return root


def _specificity(b: Behaviour) -> float:
    if "value" in b.kinds:
        return SPECIFIC["named"] if b.misconception not in SILENT_MISCONCEPTIONS else SPECIFIC["value"]
    return max((SPECIFIC.get(k, 0.0) for k in b.kinds), default=0.0)


def output_evidence(behaviours: dict[str, dict[str, Behaviour]], exercises) -> dict[tuple[str, str], list[Evidence]]:
    """Pairs that gave the same wrong answers on the same probes.

    A student's wrong answers to an exercise that calls another one they got
    wrong (conv1d_mode calling a wrong conv1d) follow from that one: they are
    not counted again.
    """
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for ex in exercises:
        exercise = ex.id
        groups: dict[tuple, list[str]] = defaultdict(list)
        for student in sorted(behaviours):
            b = behaviours[student].get(exercise)
            if b is None or not b.signature:
                continue
            if any((behaviours[student].get(used) or Behaviour("")).signature for used in getattr(ex, "uses", ())):
                continue  # inherited from an exercise it calls
            groups[b.signature].append(student)
        for signature, members in groups.items():
            if len(members) < 2:
                continue
            sample = behaviours[members[0]][exercise]
            spec = _specificity(sample)
            if spec <= 0:
                continue
            points = spec / (len(members) - 1)
            what = _describe_wrong(sample)
            for a, b in itertools.combinations(members, 2):
                found[(a, b)].append(Evidence("outputs", exercise, points, (
                    f"{exercise}: the same wrong answers on the same {len(signature)} of {sample.total} probe input(s) nobody saw "
                    f"({what}); {'nobody else' if len(members) == 2 else f'{len(members)} students in all'} answered exactly so")))
    return found


def _describe_wrong(b: Behaviour) -> str:
    parts = []
    if "value" in b.kinds:
        parts.append("the same wrong numbers" + (f", which the misconception {b.misconception} explains" if b.misconception not in SILENT_MISCONCEPTIONS else
                                                   ", which no known misconception explains"))
    for kind, words in (("raised", "the same exceptions"), ("timeout", "the same timeouts"), ("crash", "the same crashes"), ("forbidden", "the same forbidden call")):
        if kind in b.kinds:
            parts.append(words)
    return "; ".join(parts) or "the same answers"


def misconception_evidence(reports: dict[str, dict], exercises: list[str], labels: Callable[[dict], list[str]]) -> dict[tuple[str, str], list[Evidence]]:
    """Pairs whose grade reports name the same misconception on the same (labelled) hidden checks."""
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for exercise in exercises:
        groups: dict[tuple, list[str]] = defaultdict(list)
        for student in sorted(reports):
            entry = next((e for e in reports[student].get("exercises", []) if e.get("id") == exercise), None)
            if not entry or entry.get("status") == "passed" or entry.get("misconception") in SILENT_MISCONCEPTIONS:
                continue
            groups[(entry["misconception"], tuple(sorted(labels(entry))))].append(student)
        for (name, cases), members in groups.items():
            if len(members) < 2:
                continue
            points = MISCONCEPTION_POINTS / (len(members) - 1)
            where = f" on the same hidden checks ({', '.join(cases[:3])}{', ...' if len(cases) > 3 else ''})" if cases else ""
            for a, b in itertools.combinations(members, 2):
                found[(a, b)].append(Evidence("misconception", exercise, points, (
                    f"{exercise}: the grader named the same misconception, {name}{where}; "
                    f"{'nobody else' if len(members) == 2 else f'{len(members)} students in all'}")))
    return found


def variant_evidence(behaviours: dict[str, dict[str, Behaviour]], exercises, variants) -> dict[tuple[str, str], list[Evidence]]:
    """An on-paper answer wrong for its author's own numbers and right for a classmate's.

    ``variants(exercise, student)`` gives a student's right values ({name: value}) or None
    (no variants for that exercise, or the student is not known).
    """
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    if variants is None:
        return found
    for ex in exercises:
        if ex.kind != "value" or not getattr(ex, "on_paper", False):
            continue
        right: dict[str, dict] = {}
        for student in sorted(behaviours):
            try:
                values = variants(ex, student)
            except Exception:
                values = None
            if values:
                right[student] = values
        if len(right) < 2:
            continue
        owners: dict[str, list[str]] = defaultdict(list)
        for student, values in right.items():
            owners[digest({n: values.get(n) for n in ex.names})].append(student)
        for student in sorted(right):
            b = behaviours[student].get(ex.id)
            if b is None or not b.values:
                continue
            mine = digest({n: b.values.get(n) for n in ex.names})
            if mine == digest({n: right[student].get(n) for n in ex.names}):
                continue  # right for their own numbers
            for other in owners.get(mine, []):
                if other == student:
                    continue
                pair = tuple(sorted((student, other)))
                found[pair].append(Evidence("variant", ex.id, VARIANT_POINTS / len(owners[mine]), (
                    f"{ex.id}: {student}'s on-paper answer is wrong for {student}'s own numbers and exactly right for {other}'s")))
    return found


# --------------------------------------------------------------------------- putting it together


def combine(exercises, *sources: dict[tuple[str, str], list[Evidence]], references: dict | None = None) -> list[Pair]:
    """Every pair with any evidence, ranked; output and misconception evidence counted once per family of exercises."""
    family = families(exercises)
    merged: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for source in sources:
        for pair, items in source.items():
            merged[pair] += items
    pairs = []
    for (a, b), items in merged.items():
        kept, best = [], {}
        for item in items:
            if item.kind in ("outputs", "misconception"):
                key = family.get(item.exercise, item.exercise)
                if key not in best or item.points > best[key].points:
                    best[key] = item
            kept.append(item)
        for item in kept:
            if item.kind in ("outputs", "misconception") and best[family.get(item.exercise, item.exercise)] is not item:
                # shown, but counted once: the same mistake seen twice is one piece of evidence
                item.text += " (counted once, with the stronger evidence about the same functions)"
                item.points = 0.0
        pairs.append(Pair(a, b, sorted(kept, key=lambda e: (-e.points, e.exercise, e.kind))))
    for (a, name), items in (references or {}).items():
        pairs.append(Pair(a, name, sorted(items, key=lambda e: (-e.points, e.exercise)), reference=True))
    pairs = [p for p in pairs if p.score > 0]
    pairs.sort(key=lambda p: (-round(p.score, 9), p.a, p.b))
    for rank, pair in enumerate(pairs, 1):
        pair.rank = rank
    return pairs


