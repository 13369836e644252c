"""The ``autograder integrity`` command (registered in :mod:`autograder.frontends.grading.cli`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = """\
Pairs of students worth a second look, ranked, each with its evidence (never a penalty).

SUBMISSIONS is read as `autograder grade` reads it: nbgrader's submitted/ (or autograded/)
folder, or a flat folder of notebooks from an LMS download.

Evidence, each weighed against this class (short correct answers look alike):
  code      per exercise, after removing what the released notebook held and setting aside
            names, comments, layout and statement order (winnowed fingerprints, copydetect);
  reference an answer taken from the course's own code (autograder.references, the solution);
  outputs   the same wrong answers on probe inputs nobody saw (each submission runs once more
            in the sandbox; --no-run skips it);
  misconception  the same rare misconception on the same hidden checks (from --grades);
  variant   an on-paper answer right for a classmate's numbers and wrong for one's own
            (when the course gives each student their own numbers).

Output (default GRADES/integrity, GRADES being --grades or hardened/ASSIGNMENT): index.html
(one self-contained page: the ranked pairs, each flagged pair side by side with the lines
they share marked), pairs.csv (every pair with any evidence) and integrity.json. When
GRADES holds a class report (report/index.html), it is written again with an Integrity section.
"""


def add_command(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("integrity", help="pairs of students worth a second look (copied work), ranked with their evidence",
                              description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", help="nbgrader's submitted/ (or autograded/) folder, or a flat folder of .ipynb files")
    p.add_argument("--assignment", "-a", required=True, help="assignment id in course.yml (e.g. 01-conv1d)")
    p.add_argument("--grades", "-g", help="output folder of autograder grade for this class (default: hardened/ASSIGNMENT when it exists)")
    p.add_argument("--output", "-o", help="report folder (default: GRADES/integrity)")
    p.add_argument("--seed", type=int, help="batch seed the probes derive from (default: the grades folder's, else the course's secret_seed)")
    p.add_argument("--no-run", dest="probes", action="store_false", help="do not run the submissions on probe inputs (no output evidence)")
    p.add_argument("--workers", "-j", type=int, help="submissions run at once (default: number of CPUs)")
    p.add_argument("--json", action="store_true", help="print the ranked pairs as JSON")
    p.set_defaults(run=cmd_integrity)


def cmd_integrity(args) -> int:
    from ...course import CourseError, load_course
    from ..grading.discover import DiscoveryError
    from ..grading.store import StoreError

    if args.workers is not None and args.workers < 1:
        print("autograder: error: --workers must be at least 1", file=sys.stderr)
        return 2
    grades = Path(args.grades) if args.grades else Path("hardened") / args.assignment
    if args.grades and not grades.is_dir():
        print(f"autograder: error: no grades folder at {grades}", file=sys.stderr)
        return 2
    if args.probes and args.seed is None:
        from ...sandbox.servers import start_for as start_sandbox_servers

        start_sandbox_servers(everything=True)  # before anything secret is read, as `autograder grade` does
    try:
        course = load_course(args.course, start=Path(args.submissions), validate=False)
        from ...course import validate_assignments

        validate_assignments(course, [args.assignment])
        from .analyse import IntegrityError, analyse
        from .page import write

        analysis = analyse(args.submissions, args.assignment, course=course, seed=args.seed,
                           grades=grades if grades.is_dir() else None, run=args.probes, workers=args.workers)
    except (CourseError, DiscoveryError, StoreError) as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    except IntegrityError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else grades / "integrity"
    page = write(analysis, output)
    out = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps([p.to_dict() for p in analysis.pairs], indent=2, ensure_ascii=False))
    flagged = analysis.flagged
    print(f"compared {len(analysis.students)} submission(s) of {args.assignment}; {len(flagged)} pair(s) flagged for a second look "
          f"(of {len(analysis.pairs)} with any evidence); nothing was changed in any grade", file=out)
    for pair in flagged[:10]:
        other = f"course code ({pair.b})" if pair.reference else pair.b
        print(f"  #{pair.rank}  {pair.a} and {other}: score {pair.score:.2f} ({', '.join(pair.kinds())})", file=out)
    if len(flagged) > 10:
        print(f"  ... and {len(flagged) - 10} more", file=out)
    for student, why in sorted(analysis.not_compared.items()):
        print(f"autograder: note: {student}: not compared ({why})", file=sys.stderr)
    for student, why in sorted(analysis.probe_failures.items()):
        print(f"autograder: note: {student}: not run on the probes ({why})", file=sys.stderr)
    print(f"integrity report: {page}", file=out)
    if (grades / "report" / "index.html").is_file() and not args.output:
        try:
            from ..reports.classreport import write_report

            print(f"class report (with its Integrity section): {write_report([grades], course=course)}", file=out)
        except Exception as exc:  # noqa: BLE001 - the integrity report is written; the class report is a convenience
            print(f"autograder: warning: the class report could not be written again: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0
