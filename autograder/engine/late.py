"""Late submissions: validated timestamps and the penalty course.yml asks for.

One function decides a penalty, :func:`LatePolicy.penalty`; ``autograder
grade`` calls it when it writes the gradebook, and nbgrader calls it through
:class:`autograder.frontends.grading.late.CourseLatePenalty`, the
``LateSubmissionPlugin`` that nbgrader_config.py configures, so that both
graders take the same points off the same submission.  The rules live here,
below course.py, which validates course.yml's ``late:`` with them; the
graders above use them.

course.yml (course-wide under ``grading:``, or per assignment, whose own
``late:`` replaces the course-wide one)::

    late:
      per: day            # unit of lateness: day or hour; every started unit counts
      penalty: 10%        # taken per unit: a share of the assignment's points ("10%") or points (0.5)
      cap: 50%            # at most this much in all (same forms); default: up to the whole score
      grace_minutes: 15   # submissions at most this late lose nothing (default 0)
      lms_late: 1         # units counted for an LMS download marked _late without a time (default 1)

Lateness is measured from the assignment's ``due`` to the submission time:
nbgrader's ``timestamp.txt`` (``submitted/STUDENT/ASSIGNMENT/timestamp.txt``).
A flat LMS download has no times; Canvas marks late files ``NAME_late_...``,
which counts as ``lms_late`` units late.  Beyond the grace period, lateness
counts from the due date (15 minutes of grace and 20 minutes late is one
started day late).  The penalty never exceeds the score (nbgrader clamps it
the same way).

Timestamps are learner-reachable text (a learner may write timestamp.txt in
some setups), so they are validated as dates before they are used or
written: ``YYYY-MM-DD HH:MM[:SS[.ffffff]]`` with an optional zone (``UTC``,
``Z``, ``+01:00`` or an IANA name such as ``Europe/Paris``); anything else is
not a date, is never written to a CSV, and is reported for that student.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

UNITS = {"day": 86400.0, "hour": 3600.0}
KEYS = ("per", "penalty", "cap", "grace_minutes", "lms_late")

_STAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?:\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+\-]{0,40}(?:/[A-Za-z0-9_+\-]{1,40}){0,3}))?$"
)
_AMOUNT = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<percent>%?)\s*$")


class LateError(ValueError):
    """A late-penalty setting of course.yml is wrong; the message says which and how."""


# --------------------------------------------------------------------------- timestamps

def parse_timestamp(text: str) -> datetime | None:
    """``text`` as an aware UTC datetime, or None when it is not a date (see the module docstring)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) > 80:
        return None
    match = _STAMP.match(text)
    if not match:
        return None
    try:
        moment = datetime.fromisoformat(f"{match['date']} {match['time']}")
    except ValueError:  # 2027-02-30, 25:00
        return None
    zone = match["zone"]
    if zone is None or zone.upper() in ("Z", "UTC", "GMT"):
        tz = timezone.utc
    elif zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone((-1 if zone[0] == "-" else 1) * timedelta(hours=hours, minutes=minutes))
    else:
        from dateutil import tz as dateutil_tz

        tz = dateutil_tz.gettz(zone)
        if tz is None:
            return None
    try:
        return moment.replace(tzinfo=tz).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def format_timestamp(moment: datetime) -> str:
    """The way nbgrader writes a timestamp (UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def read_timestamp(text: str) -> tuple[str, str]:
    """(the timestamp to record, a problem to report): the text when it is a date, else ('', why)."""
    stripped = (text or "").strip()
    if not stripped:
        return "", ""
    if parse_timestamp(stripped) is not None:
        return stripped, ""
    shown = stripped[:40].encode("unicode_escape").decode("ascii")
    return "", (f"timestamp.txt does not hold a date ({shown!r}{'...' if len(stripped) > 40 else ''}), "
                "so the submission time is unknown and no late penalty was applied; check it by hand")


# --------------------------------------------------------------------------- policy

def _amount(value: Any, where: str, key: str) -> tuple[float, bool]:
    """(number, is_percent) from ``10%``, ``"10 %"``, ``0.5`` or ``2``."""
    if isinstance(value, bool):
        raise LateError(f"{where}: late.{key} should be a share of the points such as \"10%\" or a number of points, not {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise LateError(f"{where}: late.{key} should be >= 0, not {value!r}")
        return float(value), False
    match = _AMOUNT.match(str(value))
    if not match:
        raise LateError(f"{where}: late.{key} should be a share of the points such as \"10%\" or a number of points such as 0.5, not {value!r}")
    number = float(match["number"])
    if match["percent"] and number > 100:
        raise LateError(f"{where}: late.{key} is {value!r}; a share of the points is at most 100%")
    return number, bool(match["percent"])


@dataclass(frozen=True)
class LatePolicy:
    """One assignment's late rule, in points and seconds."""

    unit: str = "day"
    per_unit: float = 0.0  # points per started unit late
    cap: float | None = None  # points at most
    grace_seconds: float = 0.0
    lms_late_units: float = 1.0
    max_score: float = 0.0
    described: str = ""

    @classmethod
    def from_settings(cls, settings: Any, *, max_score: float, where: str = "course.yml") -> "LatePolicy | None":
        """The policy of a ``late:`` mapping (None when ``settings`` is None). Raises :class:`LateError`."""
        if settings is None:
            return None
        if not isinstance(settings, dict):
            raise LateError(f"{where}: late should be a mapping with the keys {', '.join(KEYS)}, not {settings!r}")
        unknown = sorted(set(map(str, settings)) - set(KEYS))
        if unknown:
            raise LateError(f"{where}: late has unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
        if "penalty" not in settings:
            raise LateError(f"{where}: late needs a penalty (per started day or hour), e.g. penalty: 10%")
        unit = settings.get("per", "day")
        if unit not in UNITS:
            raise LateError(f"{where}: late.per should be day or hour, not {unit!r}")
        number, percent = _amount(settings["penalty"], where, "penalty")
        per_unit = max_score * number / 100 if percent else number
        cap = None
        if settings.get("cap") is not None:
            number, percent = _amount(settings["cap"], where, "cap")
            cap = max_score * number / 100 if percent else number
        grace = settings.get("grace_minutes", 0)
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not math.isfinite(grace) or grace < 0:
            raise LateError(f"{where}: late.grace_minutes should be a number of minutes >= 0, not {grace!r}")
        lms = settings.get("lms_late", 1)
        if isinstance(lms, bool) or not isinstance(lms, (int, float)) or not math.isfinite(lms) or lms < 0:
            raise LateError(f"{where}: late.lms_late should be a number of {unit}s >= 0, not {lms!r}")
        text = f"{settings['penalty']} per started {unit} late"
        if cap is not None:
            text += f", at most {settings['cap']}"
        if grace:
            text += f", {grace:g} minute(s) of grace"
        return cls(unit, round(per_unit, 6), None if cap is None else round(cap, 6), float(grace) * 60, float(lms), float(max_score), text)

    def units_late(self, seconds_late: float) -> int:
        if seconds_late <= 0 or seconds_late <= self.grace_seconds:
            return 0
        return math.ceil(seconds_late / UNITS[self.unit] - 1e-9)

    def penalty(self, score: float, seconds_late: float = 0.0, *, lms_late: bool = False) -> float:
        """Points taken off ``score`` for a submission ``seconds_late`` late (or marked late by the LMS)."""
        units = float(self.units_late(seconds_late)) if seconds_late > 0 else (self.lms_late_units if lms_late else 0.0)
        if units <= 0:
            return 0.0
        taken = units * self.per_unit
        if self.cap is not None:
            taken = min(taken, self.cap)
        return round(max(0.0, min(taken, float(score))), 6)

    def to_config(self) -> dict:
        """Plain data for nbgrader_config.py (see :class:`CourseLatePenalty`)."""
        return {"unit": self.unit, "per_unit": self.per_unit, "cap": self.cap, "grace_seconds": self.grace_seconds,
                "lms_late_units": self.lms_late_units, "max_score": self.max_score, "described": self.described}

    @classmethod
    def from_config(cls, data: dict) -> "LatePolicy":
        return cls(**{k: data[k] for k in ("unit", "per_unit", "cap", "grace_seconds", "lms_late_units", "max_score", "described") if k in data})


def policy_for(course, assignment_id: str) -> LatePolicy | None:
    """The late policy of one assignment of ``course`` (None: no penalty)."""
    a = course.assignment(assignment_id)
    settings = getattr(a, "late", None)
    if settings is None:
        settings = (course.grading or {}).get("late")
    return LatePolicy.from_settings(settings, max_score=a.max_score, where=f"{course.path}: {'assignment ' + a.id if getattr(a, 'late', None) is not None else 'grading'}")


def validate_course(course) -> None:
    """Raise :class:`LateError` (a ValueError) for any wrong late setting in ``course``; called by course.py."""
    for a in course.assignments:
        policy = policy_for(course, a.id)
        if policy is not None:
            if not a.due:
                raise LateError(f"{course.path}: assignment {a.id} has a late penalty but no due date")
            if parse_timestamp(a.due) is None:
                raise LateError(f"{course.path}: assignment {a.id}: due {a.due!r} is not a date such as \"2027-01-15 23:59:00 UTC\"")


# --------------------------------------------------------------------------- one submission

@dataclass(frozen=True)
class Lateness:
    """How late one submission is and what it costs."""

    timestamp: str = ""  # validated, as submitted
    seconds_late: float = 0.0
    lms_late: bool = False
    penalty: float = 0.0
    policy: str = ""

    @property
    def late(self) -> bool:
        return self.seconds_late > 0 or self.lms_late

    def describe(self) -> str:
        if not self.late:
            return ""
        if self.seconds_late > 0:
            how = f"submitted {_duration(self.seconds_late)} after the due date"
        else:
            how = "marked late by the LMS (no submission time)"
        if self.penalty > 0:
            return f"{how}: {self.penalty:g} point(s) taken off ({self.policy})"
        return f"{how}: no points taken off" + (f" ({self.policy})" if self.policy else "")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} day(s)"] if days else []
    if hours:
        parts.append(f"{hours} hour(s)")
    if minutes and not days:
        parts.append(f"{minutes} minute(s)")
    return " ".join(parts) or f"{seconds} second(s)"


def lateness(policy: LatePolicy | None, *, due: str | None, timestamp: str = "", lms_late: bool = False, score: float = 0.0) -> Lateness:
    """The lateness of one submission (``timestamp`` already validated, or empty)."""
    when = parse_timestamp(timestamp) if timestamp else None
    deadline = parse_timestamp(due) if due else None
    seconds = max(0.0, (when - deadline).total_seconds()) if when is not None and deadline is not None else 0.0
    marked = lms_late and when is None
    if policy is None:
        return Lateness(timestamp, seconds, marked, 0.0, "")
    return Lateness(timestamp, seconds, marked, policy.penalty(score, seconds, lms_late=marked), policy.described)
