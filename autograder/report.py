"""The report of one notebook: the stable JSON format and the terminal lines.

JSON (``autograder check --json``), stable::

    {"notebook": str, "assignment": str, "score": float, "max_score": float,
     "exercises": [{"id": str, "status": str, "score": float,
                    "max_score": float, "feedback": str,
                    "misconception": str | null,
                    "breakdown": {kind: {"passed": int, "total": int}}}]}

``breakdown`` (added with partial credit; absent from older reports) says
what passed per kind of check: ``examples`` (worked examples), ``hidden``,
``errors`` (bad input), ``by_hand`` (the by-hand rule) or ``values``.

Every grader turns an exercise's result into points with
:func:`points_earned`, and with nothing else: ``autograder check``, pytest,
the notebook's ``check()``, ``autograder grade`` and nbgrader agree to the
hundredth of a point.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .engine.result import PASSED, STATUSES, ExerciseResult

#: Points are given in hundredths.
POINT_STEP = 0.01


def points_earned(result: ExerciseResult, max_points: float) -> float:
    """The points ``result`` earns out of ``max_points``: the one rule every grader uses.

    Full marks exactly when the exercise passed; otherwise its fraction of
    the points, rounded down to the hundredth (never up to full marks, never
    below 0).
    """
    max_points = float(max_points)
    if result.status == PASSED:
        return max_points
    fraction = min(1.0, max(0.0, float(result.fraction)))
    hundredths = math.floor(round(max_points * fraction / POINT_STEP, 6))
    points = hundredths * POINT_STEP
    if points >= max_points:  # not passed: not full marks
        points = max(0.0, max_points - POINT_STEP)
    return round(points, 2)


@dataclass
class ExerciseReport:
    id: str
    status: str
    score: float
    max_score: float
    feedback: str
    misconception: str | None = None
    breakdown: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Report:
    notebook: str
    assignment: str
    exercises: list[ExerciseReport] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(float(sum(e.score for e in self.exercises)), 2)

    @property
    def max_score(self) -> float:
        return float(sum(e.max_score for e in self.exercises))

    @property
    def all_passed(self) -> bool:
        return all(e.status == PASSED for e in self.exercises)

    def add(self, result: ExerciseResult, points: float) -> ExerciseReport:
        entry = ExerciseReport(
            result.id, result.status, points_earned(result, points), float(points), result.feedback, result.misconception,
            {kind: dict(counts) for kind, counts in result.breakdown.items()},
        )
        self.exercises.append(entry)
        return entry

    def to_dict(self) -> dict:
        return {
            "notebook": self.notebook,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(e) for e in self.exercises],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        report = cls(str(data["notebook"]), str(data["assignment"]))
        for e in data["exercises"]:
            if e["status"] not in STATUSES:
                raise ValueError(f"unknown status {e['status']!r} in a report")
            breakdown = e.get("breakdown") or {}
            report.exercises.append(ExerciseReport(e["id"], e["status"], float(e["score"]), float(e["max_score"]), e["feedback"], e.get("misconception"), breakdown))
        return report

    def lines(self, color: bool = False) -> list[str]:
        """One line per exercise (✓ / ✗, points), the message indented under a failure."""
        green, red, dim, reset = ("\033[32m", "\033[31m", "\033[2m", "\033[0m") if color else ("",) * 4
        out = []
        for e in self.exercises:
            mark = f"{green}✓{reset}" if e.status == PASSED else f"{red}✗{reset}"
            points = f"{_fmt(e.score)}/{_fmt(e.max_score)}"
            if e.status == PASSED:
                out.append(f"{mark} {e.id:<22} {points:>7}")
            else:
                out.append(f"{mark} {e.id:<22} {points:>7}  {e.status}")
                out += [f"    {dim}{line}{reset}" if line.startswith("    ") else f"    {line}" for line in e.feedback.splitlines()]
        out.append(f"{self.assignment}: {_fmt(self.score)}/{_fmt(self.max_score)} points")
        return out


def _fmt(x: float) -> str:
    return f"{x:g}"
