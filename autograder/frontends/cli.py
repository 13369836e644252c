"""The ``autograder`` command.

    autograder check NOTEBOOK... [--json]     self-check notebooks (exit 0 when all pass)
    autograder demo                           check every solution and released notebook
    autograder release [ASSIGNMENT...]        regenerate assignments/ with nbgrader; register them in the gradebook
    autograder nbgrader-config                write nbgrader_config.py from course.yml (and exchange/, secret_seed)
    autograder sync-points                    copy course.yml's points into the solution notebooks
    autograder sync-gradebook                 register assignments and due dates in nbgrader's gradebook
    autograder grade SUBMISSIONS -a ID        grade a whole class in the hardened sandbox
    autograder report GRADES_DIR...           the class at a glance: HTML, figures and a summary
    autograder export --format canvas|csv DIR grades for an LMS gradebook import
    autograder audit GRADEBOOK --grades DIR   list where nbgrader gave more than the hardened grader
    autograder integrity SUBMISSIONS -a ID    pairs of submissions worth a second look, with their evidence
    autograder build-kit [-o DIR] [-a ID...] [--roster FILE] [--roster-gradebook [DB_URL]]
                                              the learner kit: a wheel of self-checks holding no solutions

A learner kit (what ``build-kit`` builds) has ``autograder check`` only.

Errors in what you asked for (a missing file, a wrong course.yml) are
reported in one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..course import CourseError, load_course
from ..exercises import compiled
from ..sandbox.servers import start_for as start_sandbox_servers

try:  # a learner kit ships without the instructor's commands
    from .grading.cli import add_commands
except ImportError:  # pragma: no cover - exercised in the kit's own tests
    add_commands = None


def _course(args):
    """course.yml, checked against the declarations of the assignments the command grades."""
    start = Path(args.notebooks[0]).parent if getattr(args, "notebooks", None) else None
    return load_course(args.course, start=start, validate=False)


def cmd_check(args) -> int:
    start_sandbox_servers(args.notebooks)
    from ..pipeline import check_notebook
    from .inline import PRACTICE_NOTE

    course = _course(args)
    if compiled.available():
        problem = compiled.seed_problem(args.seed if args.seed is not None else course.seed)
        if problem:
            raise CourseError(problem)
    reports = [check_notebook(path, course=course, assignment=args.assignment, seed=args.seed) for path in args.notebooks]
    if args.json:
        data = [r.to_dict() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
    else:
        color = sys.stdout.isatty()
        for report in reports:
            if len(reports) > 1:
                print(f"== {report.notebook}")
            print("\n".join(report.lines(color=color)))
        print(PRACTICE_NOTE)
    return 0 if all(r.all_passed for r in reports) else 1


def cmd_demo(args) -> int:
    start_sandbox_servers(everything=True)
    from ..pipeline import check_notebook

    course = load_course(args.course)
    problems = 0
    for a in course.assignments:
        solution = course.source_dir(a.id) / a.notebook
        release = course.release_dir(a.id) / a.notebook
        for label, path, want in (("solution", solution, a.max_score), ("released", release, 0.0)):
            report = check_notebook(path, course=course, assignment=a.id)
            statuses = sorted({e.status for e in report.exercises})
            ok = report.score == want
            problems += not ok
            print(f"{'✓' if ok else '✗'} {a.id:<18} {label:<9} {report.score:g}/{report.max_score:g} points  ({', '.join(statuses)})")
            if args.verbose or not ok:
                print("\n".join("    " + line for line in report.lines()))
    print("demo: every solution scores full marks and every released notebook scores 0" if not problems else f"demo: {problems} notebook(s) did not score as expected")
    return 0 if not problems else 1


def cmd_nbgrader_config(args) -> int:
    from .nbgrader.bridge import write_config

    course = load_course(args.course)
    path = write_config(course)
    print(f"wrote {path}")
    return 0


def cmd_release(args) -> int:
    from .nbgrader.bridge import release

    course = load_course(args.course)
    for path in release(course, args.assignments or None, force=args.force):
        print(f"released {path}")
    return 0


def cmd_sync_points(args) -> int:
    from .nbgrader.bridge import sync_points

    course = load_course(args.course)
    changed = sync_points(course)
    print("\n".join(f"updated points in {p}" for p in changed) or "points already agree with course.yml")
    return 0


def cmd_sync_gradebook(args) -> int:
    from .nbgrader.bridge import sync_gradebook

    course = load_course(args.course)
    for line in sync_gradebook(course, args.db):
        print(line)
    return 0


def cmd_build_kit(args) -> int:
    from .kit.build import build_kit
    from .kit.portable import NotPortable

    from .kit.roster import gradebook_roster, read_roster

    course = load_course(args.course)
    roster = read_roster(args.roster) if args.roster else []
    if args.roster_gradebook is not None:
        roster += gradebook_roster(course, args.roster_gradebook or None)
    try:
        kit = build_kit(course, args.output, args.assignment, roster=roster)
    except NotPortable as exc:
        print(f"autograder build-kit: {exc}\nList a pure judge in autograder/frontends/kit/forms.py (PORTABLE), or give it a form there.", file=sys.stderr)
        return 2
    print(f"wrote {kit.wheel} ({kit.size / 1e6:.1f} MB, built in {kit.seconds:.1f} s): the learner kit of {course.id}, "
          f"its practice checks compiled for seed {course.seed}")
    if roster:
        personal = ", ".join(f"{exercise_id} ({count} distinct sets of numbers)" for exercise_id, count in kit.compiled.personal.items())
        print(f"  each student's own numbers checked for the {len(set(roster))} students of the roster: {personal or 'no exercise has numbers of its own'}")
    for assignment, problems in kit.compiled.left_out.items():
        print(f"  not in the kit: {assignment} (its learners self-check with the instructor's install): a kit cannot hold "
              f"{len(problems)} of its checks yet, first: {problems[0]}")
    for exercise_id, misconception, why in kit.compiled.dropped:
        print(f"  not in the kit: the detector of [{misconception}] in {exercise_id} ({why}); the kit names it less often")
    print(f"learners install it with: pip install {kit.wheel.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Check and grade the convolution course's notebooks.")
    parser.add_argument("--course", help="path of course.yml (default: found from the notebook or the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="self-check notebooks: one line per exercise")
    p.add_argument("notebooks", nargs="+", help=".ipynb files")
    p.add_argument("--json", action="store_true", help="print the JSON report instead")
    p.add_argument("--assignment", "-a", help="assignment id, when it cannot be told from the path")
    p.add_argument("--seed", type=int, help="seed of the hidden checks (default: course.yml's)")
    p.set_defaults(run=cmd_check)

    if compiled.available():  # a learner kit: self-checks only
        return parser

    p = sub.add_parser("demo", help="check every solution (full marks) and released notebook (0)")
    p.add_argument("--verbose", "-v", action="store_true", help="show every exercise's line")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("release", help="regenerate assignments/ from solutions/ with nbgrader generate_assignment")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--force", action="store_true", help="release even when students have submitted a different version")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("nbgrader-config", help="write nbgrader_config.py derived from course.yml")
    p.set_defaults(run=cmd_nbgrader_config)

    p = sub.add_parser("sync-points", help="write course.yml's points into the solution notebooks' nbgrader metadata")
    p.set_defaults(run=cmd_sync_points)

    p = sub.add_parser("sync-gradebook", help="register course.yml's assignments and due dates in nbgrader's gradebook")
    p.add_argument("--db", help="gradebook database URL (default: nbgrader's, next to course.yml)")
    p.set_defaults(run=cmd_sync_gradebook)

    p = sub.add_parser("build-kit", help="build the learner kit: a wheel of self-checks that holds no solutions")
    p.add_argument("--output", "-o", default="kit", help="folder to write the wheel into (default: kit)")
    p.add_argument("--assignment", "-a", action="append", help="only this assignment (repeat it; default: all of course.yml)")
    p.add_argument("--roster", metavar="FILE", help="the class roster: one student id a line, or a CSV with an id, student, "
                   "student_id or username column; the kit checks these students' own numbers (without their ids)")
    p.add_argument("--roster-gradebook", metavar="DB_URL", nargs="?", const="",
                   help="the roster from nbgrader's gradebook (default: the course's gradebook.db)")
    p.set_defaults(run=cmd_build_kit)

    if add_commands is not None:
        add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
    except CourseError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        code = 130
    if argv is None:
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End the command now: run multiprocessing's clean-up (sandbox servers, temporary
    sockets), flush the output, and skip the interpreter's slow tear-down of NumPy & co."""
    import multiprocessing.util

    try:
        multiprocessing.util._exit_function()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
