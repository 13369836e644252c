"""``autograder grade`` and ``autograder audit`` (registered by :mod:`autograder.cli`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

GRADE_HELP = """\
Grade every submission of one assignment in the hardened sandbox.

SUBMISSIONS is either nbgrader's submitted/ folder (submitted/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb;
the student id is the folder name; a renamed notebook is graded when it is the only one)
or a flat folder of notebooks from an LMS download, where the student id is taken from
the file name: Canvas names NAME_USERID_SUBMISSIONID_FILE.ipynb (optionally NAME_late_...)
give NAME; any other name gives the file name without .ipynb (alice.ipynb -> alice).
Two notebooks with the same student id are an error. Other files are ignored.

Output (default hardened/ASSIGNMENT): gradebook.csv (nbgrader export columns plus one
column per exercise), reports/STUDENT.json, feedback/STUDENT.md and the secret seed (0600).
Each result is written the moment it is done; a rerun grades only what is missing
(--force regrades everyone). Ctrl-C keeps what is done (exit status 130).
"""

AUDIT_HELP = """\
Compare nbgrader's grades with the hardened grader's.

GRADEBOOK is nbgrader's gradebook.db (per exercise: nbgrader's grade cell check_EXERCISE
against the hardened exercise EXERCISE) or the CSV of `nbgrader export` (per assignment
totals only). Lists every case where nbgrader awarded more, with the hardened grader's
feedback as the reason. Exit 0 when there is none, 1 otherwise.
"""


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade a whole class in the hardened sandbox (parallel, resumable)",
                              description=GRADE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", help="nbgrader's submitted/ folder, or a flat folder of .ipynb files")
    p.add_argument("--assignment", "-a", required=True, help="assignment id in course.yml (e.g. 01-conv1d)")
    p.add_argument("--output", "-o", help="output folder (default: hardened/ASSIGNMENT)")
    p.add_argument("--workers", "-j", type=int, help="submissions graded at once (default: number of CPUs)")
    p.add_argument("--json", action="store_true", help="print every report as one JSON list")
    p.add_argument("--force", action="store_true", help="regrade submissions that already have a report")
    p.add_argument("--scheduler", help="'local' for a Dask LocalCluster, or a Dask scheduler address")
    p.add_argument("--seed", type=int, help="seed of the hidden checks (default: the one stored in the output, else a fresh secret one)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(run=cmd_grade)

    p = subparsers.add_parser("audit", help="list where nbgrader awarded more than the hardened grader",
                              description=AUDIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("gradebook", help="nbgrader's gradebook.db, or the CSV of nbgrader export")
    p.add_argument("--grades", required=True, help="output folder of autograder grade")
    p.add_argument("--assignment", "-a", help="assignment id (default: every assignment found in the hardened reports)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(run=cmd_audit)


def _course(args):
    from ...course import load_course

    return load_course(args.course, start=Path(args.submissions))


def _warn_without_isolation() -> None:
    """Say so when learner code would run as the grader's own user without kernel confinement."""
    import os

    from ...sandbox import confine

    if os.getuid() != 0 and not confine.full_isolation():
        layers = confine.probe()
        print("autograder: warning: not running as root, and this kernel does not offer full confinement "
              f"(Landlock ABI {layers['landlock']}, 6 needed; PID namespace: {'yes' if layers['pid_namespace'] else 'no'}): "
              "learner code runs as your own user and could reach your files. Grade as root or inside a container "
              "for a class you do not trust.", file=sys.stderr)


def cmd_grade(args) -> int:
    from .discover import DiscoveryError, discover
    from .store import StoreError

    output = Path(args.output) if args.output else Path("hardened") / args.assignment
    if args.workers is not None and args.workers < 1:
        print("autograder: error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        course = _course(args)
        discover(Path(args.submissions), args.assignment, course.assignment(args.assignment).notebook)  # fail fast, before loading the sandbox
        from .batch import grade_class

        _warn_without_isolation()
        result = grade_class(Path(args.submissions), args.assignment, output, course=course, workers=args.workers,
                             force=args.force, scheduler=args.scheduler, seed=args.seed, progress=args.progress)
    except (DiscoveryError, StoreError) as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if not hasattr(exc, "kept"):
            raise
        print(f"autograder: interrupted: kept {exc.kept} graded submission(s) in {output}; {exc.remaining} left, run the same command again to grade them", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(list(result.reports.values()), indent=2, ensure_ascii=False))
    total = len(result.reports)
    full = sum(1 for r in result.reports.values() if r["score"] == r["max_score"])
    print(f"graded {len(result.graded)}, resumed {len(result.skipped)} of {total} submission(s) of {args.assignment}; "
          f"{full} with full marks; gradebook: {result.gradebook}", file=sys.stderr if args.json else sys.stdout)
    for student, why in sorted(result.grader_errors.items()):
        print(f"autograder: warning: the grader failed on {student} ({why}); it will be retried on the next run", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    from .audit import AuditError, audit, format_findings

    try:
        findings, note = audit(Path(args.gradebook), Path(args.grades), assignment=args.assignment)
    except AuditError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"note": note, "findings": [f.to_dict() for f in findings]}, indent=2, ensure_ascii=False))
    else:
        print(format_findings(findings, note))
    return 1 if findings else 0
