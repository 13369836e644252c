"""nbgrader's side of late penalties: the plugin that applies course.yml's rules
(:mod:`autograder.engine.late`) in ``nbgrader autograde``, and the
nbgrader_config.py lines that install it.  The rules are re-exported here for
the graders that import them from this module."""
from __future__ import annotations

from typing import Any

from ...engine.late import (  # noqa: F401  (re-exported)
    KEYS, UNITS, LateError, LatePolicy, Lateness, format_timestamp, lateness, parse_timestamp, policy_for,
    read_timestamp, validate_course,
)

# --------------------------------------------------------------------------- nbgrader

PLUGIN = "autograder.frontends.grading.late.CourseLatePenalty"


def late_penalty_settings(course) -> list[tuple[str, str, Any, str | None]]:
    """nbgrader_config.py lines (section, trait, value, comment) that apply course.yml's late
    penalties in ``nbgrader autograde``; empty when the course has none."""
    policies = {}
    for a in course.assignments:
        policy = policy_for(course, a.id)
        if policy is not None:
            policies[a.id] = policy.to_config()
    if not policies:
        return []
    return [
        ("AssignLatePenalties", "plugin_class", PLUGIN, "course.yml: late (the same penalties as autograder grade)"),
        ("CourseLatePenalty", "policies", policies, None),
    ]


def _plugin_base():
    from nbgrader.plugins import LateSubmissionPlugin

    return LateSubmissionPlugin


def __getattr__(name: str):
    # The plugin class needs nbgrader (slow to import); built on first use only.
    if name == "CourseLatePenalty":
        cls = _make_plugin()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_plugin():
    from traitlets import Dict

    base = _plugin_base()

    class CourseLatePenalty(base):
        """nbgrader's late-penalty plugin, with course.yml's rules (see :mod:`autograder.engine.late`)."""

        policies = Dict(help="assignment id -> late policy (written by autograder nbgrader-config)").tag(config=True)

        def late_submission_penalty(self, student_id, score, total_seconds_late):
            assignment = getattr(self.parent, "assignment_id", None)
            data = self.policies.get(assignment)
            if data is None:
                return None
            penalty = LatePolicy.from_config(data).penalty(float(score or 0.0), float(total_seconds_late or 0.0))
            self.log.info("late penalty for %s on %s: %s (%s s late)", student_id, assignment, penalty, total_seconds_late)
            return penalty

    CourseLatePenalty.__module__ = __name__
    return CourseLatePenalty
