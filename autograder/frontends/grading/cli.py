"""``autograder grade``, ``report``, ``export``, ``audit`` and ``integrity`` (registered by :mod:`autograder.cli`)."""
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
column per exercise), reports/STUDENT.json, feedback/STUDENT.md and .html, submissions.json,
the secret seed (0600) and the class report (report/index.html, summary.md, figures).
STUDENT is the student id, or a safe file name derived from it when the id is long or
holds unusual characters (the id itself is in the report and the gradebook).
Each result is written the moment it is done; a rerun grades only what is missing
(--force regrades everyone). Ctrl-C keeps what is done (exit status 130).
A submission that cannot be graded (an unreadable notebook, an odd file name, a
timestamp.txt that is not a date) is reported for that student; the others are graded.
Late penalties come from course.yml (late:) and timestamp.txt or Canvas's _late marker.
On a terminal a progress bar is shown; elsewhere (CI, a cluster job) one line per
few submissions with counts and the ETA.
"""

REPORT_HELP = """\
Write the class report of one or more graded assignments.

GRADES are output folders of `autograder grade` (hardened/ASSIGNMENT). The report folder
gets index.html (one self-contained page: figures embedded, no network, opens from disk),
summary.md and the figures as PNG files: score distribution, mean and median, full marks,
zero, errors, timeouts, forbidden calls; per exercise the pass rate, mean score,
misconceptions recognised and the hidden checks failed most often (labels only); students
who need attention, linked to their feedback; with several folders, every exercise's pass
rate side by side across assignments.
"""

EXPORT_HELP = """\
Export grades for an LMS.

--format canvas writes a CSV for Canvas's gradebook import: Student, ID, SIS User ID,
SIS Login ID, Section, then one column per assignment ("Title (canvas id)"), a
"Points Possible" row, then one row per student. The Canvas user id comes from Canvas
download file names; nbgrader student ids go to SIS Login ID; --roster (Canvas's own
gradebook export) fills in names, ids and sections. --format csv writes student_id,
lms_user_id, one score column per assignment, total and max_score.
Scores have course.yml's late penalties taken off.
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
    p.add_argument("--seed", type=int, help="seed of the hidden checks (default: the course's secret_seed, shared with nbgrader autograde)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar or progress lines")
    p.add_argument("--no-report", dest="report", action="store_false", help="do not write the class report (OUTPUT/report)")
    p.set_defaults(run=cmd_grade)

    p = subparsers.add_parser("report", help="the class at a glance: an HTML page, figures and a Markdown summary",
                              description=REPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("grades", nargs="+", help="output folder(s) of autograder grade (one per assignment)")
    p.add_argument("--output", "-o", help="report folder (default: GRADES/report, or COMMON_PARENT/class-report for several)")
    p.add_argument("--title", help="page title (default: the course title)")
    p.set_defaults(run=cmd_report)

    p = subparsers.add_parser("export", help="grades for an LMS: a Canvas gradebook import file or a plain CSV",
                              description=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("grades", nargs="+", help="output folder(s) of autograder grade (one per assignment)")
    p.add_argument("--format", "-f", choices=["canvas", "csv"], default="canvas", help="canvas (default) or csv")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.add_argument("--roster", help="Canvas's gradebook export (CSV): names, ids and sections of the students")
    p.add_argument("--canvas-id", action="append", default=[], metavar="ASSIGNMENT=ID", help="Canvas id of an assignment's column (repeatable)")
    p.set_defaults(run=cmd_export)

    p = subparsers.add_parser("audit", help="list where nbgrader awarded more than the hardened grader",
                              description=AUDIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("gradebook", help="nbgrader's gradebook.db, or the CSV of nbgrader export")
    p.add_argument("--grades", required=True, help="output folder of autograder grade")
    p.add_argument("--assignment", "-a", help="assignment id (default: every assignment found in the hardened reports)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(run=cmd_audit)

    from ..integrity.command import add_command as add_integrity

    add_integrity(subparsers)  # `autograder integrity`: pairs worth a second look (autograder.frontends.integrity)


def _course(args):
    from ...course import load_course, validate_assignments

    course = load_course(args.course, start=Path(args.submissions), validate=False)
    validate_assignments(course, [args.assignment])  # this assignment's declarations only: a faster start
    return course


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
    if args.seed is None and args.scheduler is None:
        # Nothing secret is loaded yet (the seed comes from a file, later): the sandbox's
        # fork server can be a copy of this process, ready at once. With --seed on the
        # command line, it starts as a fresh process instead (servers.generic).
        from ...sandbox.servers import start_for as start_sandbox_servers

        start_sandbox_servers(everything=True)
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
    out = sys.stderr if args.json else sys.stdout
    total = len(result.reports)
    full = sum(1 for r in result.reports.values() if r["score"] == r["max_score"])
    print(f"graded {len(result.graded)}, resumed {len(result.skipped)} of {total} submission(s) of {args.assignment}; "
          f"{full} with full marks; gradebook: {result.gradebook}", file=out)
    from ..reports.classreport import terminal_table, write_report

    try:
        print(terminal_table(output, course), file=out)
        if args.report:
            page = write_report([output], course=course)
            print(f"class report: {page}", file=out)
    except Exception as exc:  # noqa: BLE001 - the grades are written; a report problem must not hide them
        print(f"autograder: warning: the class report could not be written: {type(exc).__name__}: {exc}", file=sys.stderr)
    late = sum(1 for x in result.lateness.values() if x.penalty > 0)
    if late:
        print(f"late penalties applied to {late} submission(s) (see the gradebook's late_submission_penalty)", file=out)
    for student, notes in sorted(result.notes.items()):
        for note in notes:
            print(f"autograder: note: {_shown(student)}: {note}", file=sys.stderr)
    for student, why in sorted(result.grader_errors.items()):
        report = result.reports.get(student, {})
        if int(report.get("grader_attempts", 1) or 1) >= _attempts():
            print(f"autograder: warning: the grader failed on {_shown(student)} again ({why}); kept as an error, regrade it with --force", file=sys.stderr)
        else:
            print(f"autograder: warning: the grader failed on {_shown(student)} ({why}); it will be retried on the next run", file=sys.stderr)
    return 0


def _attempts() -> int:
    from .store import GRADER_ATTEMPTS

    return GRADER_ATTEMPTS


def _shown(student: str) -> str:
    return student if len(student) <= 60 else student[:40] + f"... ({len(student)} characters)"


def cmd_report(args) -> int:
    from ...course import CourseError, load_course
    from ..reports.classreport import ReportError, write_report

    try:
        course = load_course(args.course, start=Path(args.grades[0]))
    except CourseError:
        course = None  # a report of grades made elsewhere: titles and policies fall back to ids
    try:
        page = write_report(args.grades, args.output, course=course, title=args.title)
    except ReportError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    print(f"class report: {page}")
    return 0


def cmd_export(args) -> int:
    from ...course import CourseError, load_course
    from ..reports.classreport import ReportError
    from ..reports.export import ExportError, export

    try:
        course = load_course(args.course, start=Path(args.grades[0]))
    except CourseError:
        course = None
    ids = {}
    for item in args.canvas_id:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            print(f"autograder: error: --canvas-id takes ASSIGNMENT=ID (a number), not {item!r}", file=sys.stderr)
            return 2
        ids[name.strip()] = value.strip()
    try:
        text = export(args.grades, args.format, course=course, roster=args.roster, canvas_ids=ids)
    except (ReportError, ExportError) as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
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
