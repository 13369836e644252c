"""How fast `autograder grade` grades a class, next to `nbgrader autograde`.

    python benchmarks/grade_speed.py --students 60 --assignment 01-conv1d

Builds a synthetic class of N submissions of one assignment in a temporary
nbgrader course (nbgrader_config.py from course.yml, the released notebook
made by nbgrader's generate_assignment): each submission is the released
notebook with its answer cells filled in, taking in turn

- the solution (every exercise right),
- the untouched release (every exercise a stub),
- each planted wrong answer of tests/planted (one misconception per notebook,
  the other exercises right),

then grades the same folder with ``nbgrader autograde`` (real kernels, one
notebook after another) and with ``autograder grade`` (sandboxed, parallel),
both as the commands an instructor types, on this machine in this run.  It
checks that both give every submission the same score, exercise by exercise
(the hidden checks use course.yml's seed on both sides), and prints both
times, submissions per second, the ratio, and the cost of one trivial
(untouched) notebook in ``autograder grade``: (T(1 + K untouched) - T(1)) / K,
the startup cost taken out.

Plants whose verdict is a timeout cost each grader its timeout, not grading
work; they are left out unless ``--with-timeouts``.  Exit status 0 when all
scores agree, 1 otherwise.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the planted wrong answers

from autograder.frontends.nbgrader.bridge import interpreter_scripts_on_path  # noqa: E402

interpreter_scripts_on_path()  # nbgrader runs alembic; the venv may not be activated


def _course(path):
    from autograder.course import load_course

    return load_course(path or os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")


def kinds(assignment_id: str, with_timeouts: bool) -> list[tuple[str, dict | None]]:
    """(label, answers to plant over the solution) in the order the class cycles through."""
    from planted import all_plants

    out: list[tuple[str, dict | None]] = [("solution", {}), ("untouched", None)]
    for a, plant in all_plants():
        if a == assignment_id and (with_timeouts or plant.status != "timeout"):
            out.append((plant.name, {plant.exercise: plant.source}))
    return out


def run(cmd: list[str], cwd: Path, log: Path) -> float:
    started = time.perf_counter()
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        done = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"grade_speed: {' '.join(cmd[:4])} failed (exit {done.returncode}); see {log}")
    return seconds


def build(course, assignment_id: str, root: Path, students: int, with_timeouts: bool, log: Path) -> tuple[dict[str, str], Path]:
    """The nbgrader course in ``root`` with ``students`` submissions; student -> kind."""
    from autograder.frontends.nbgrader.bridge import CONFIG_NAME, answered_notebook, config_text, solution_answers

    a = course.assignment(assignment_id)
    solution = course.source_dir(a.id) / a.notebook
    (root / "solutions" / a.id).mkdir(parents=True)
    shutil.copyfile(solution, root / "solutions" / a.id / a.notebook)
    files = course.data_files(a.id)
    for name, data in files.items():
        (root / "solutions" / a.id / name).write_bytes(data)
    (root / CONFIG_NAME).write_text(config_text(course), encoding="utf-8")
    shutil.copyfile(course.path, root / "course.yml")
    run([sys.executable, "-m", "nbgrader", "generate_assignment", a.id, "--force"], root, log)
    released = root / "assignments" / a.id / a.notebook
    answers = solution_answers(solution)
    cycle = kinds(a.id, with_timeouts)
    roster = {}
    for i in range(students):
        label, plant = cycle[i % len(cycle)]
        student = f"s{i:04d}"
        target = root / "submitted" / student / a.id / a.notebook
        if plant is None:
            target.parent.mkdir(parents=True)
            shutil.copyfile(released, target)
        else:
            answered_notebook(released, target, {**answers, **plant})
        for name, data in files.items():
            (target.parent / name).write_bytes(data)
        roster[student] = label
    return roster, released


def nbgrader_scores(root: Path, assignment_id: str, notebook: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment_id):
            nb = gb.find_submission_notebook(Path(notebook).stem, assignment_id, sub.student_id)
            out[sub.student_id] = {g.name.removeprefix("check_"): float(g.score) for g in nb.grades}
    return out


def autograder_scores(output: Path, exercise_ids: list[str]) -> dict[str, dict[str, float]]:
    with open(output / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {row["student_id"]: {e: float(row[e]) for e in exercise_ids} for row in csv.DictReader(f)}


def autograder_grade(course, submissions: Path, assignment_id: str, output: Path, workers: int | None, log: Path) -> float:
    cmd = [sys.executable, "-m", "autograder", "--course", str(course.path), "grade", str(submissions), "--assignment", assignment_id,
           "--output", str(output), "--seed", str(course.seed), "--force", "--no-progress"]
    if workers:
        cmd += ["--workers", str(workers)]
    return run(cmd, submissions.parent, log)


def trivial_cost(course, assignment_id: str, released: Path, base: Path, count: int, repeat: int, workers: int | None, log: Path) -> tuple[float, float]:
    """Seconds of `autograder grade` for 1 untouched notebook, and per extra untouched
    notebook: (T(1 + count) - T(1)) / count, each T the fastest of ``repeat`` runs."""
    a = course.assignment(assignment_id)
    times = {}
    for n in (1, 1 + count):
        folder = base / f"trivial-{n}" / "submitted"
        for i in range(n):
            target = folder / f"t{i:04d}" / a.id / a.notebook
            target.parent.mkdir(parents=True)
            shutil.copyfile(released, target)
            for name, data in course.data_files(a.id).items():
                (target.parent / name).write_bytes(data)
        times[n] = min(autograder_grade(course, folder, a.id, folder.parent / "out", workers, log) for _ in range(repeat))
    return times[1], (times[1 + count] - times[1]) / count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="See the module docstring.")
    parser.add_argument("--students", "-n", type=int, default=60, help="size of the synthetic class (default 60)")
    parser.add_argument("--assignment", "-a", default="01-conv1d", help="assignment id (default 01-conv1d)")
    parser.add_argument("--workers", "-j", type=int, help="workers of autograder grade (default: its own, the number of CPUs)")
    parser.add_argument("--trivial", type=int, default=200, help="untouched notebooks for the per-notebook cost (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each trivial batch; the fastest counts (default 3)")
    parser.add_argument("--with-timeouts", action="store_true", help="include the plants that time out")
    parser.add_argument("--course", help="course.yml (default: $AUTOGRADER_COURSE, else the repository's)")
    parser.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    course = _course(args.course)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (figures are only comparable on a quiet machine)")
    a = course.assignment(args.assignment)
    exercise_ids = list(a.points)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grade-speed-"))
    base.mkdir(parents=True, exist_ok=True)
    root = base / "course"
    if root.exists():
        shutil.rmtree(root)
    log = base / "grade_speed.log"
    try:
        print(f"building {args.students} submissions of {a.id} in {root} ...", flush=True)
        roster, released = build(course, a.id, root, args.students, args.with_timeouts, log)
        print(f"nbgrader autograde ({args.students} notebooks, one kernel each) ...", flush=True)
        t_nbgrader = run([sys.executable, "-m", "nbgrader", "autograde", a.id, "--force"], root, log)
        print("autograder grade ...", flush=True)
        output = root / "hardened" / a.id
        t_ours = autograder_grade(course, root / "submitted", a.id, output, args.workers, log)
        print("autograder grade on untouched notebooks only ...", flush=True)
        t_one, per_trivial = trivial_cost(course, a.id, released, base, args.trivial, args.repeat, args.workers, log)

        theirs = nbgrader_scores(root, a.id, a.notebook)
        ours = autograder_scores(output, exercise_ids)
        disagree = [(s, roster[s], theirs.get(s), ours.get(s)) for s in roster if theirs.get(s) != ours.get(s)]
        n = len(roster)
        figures = {
            "assignment": a.id, "students": n, "kinds": len({*roster.values()}), "cpus": os.cpu_count(),
            "nbgrader_seconds": round(t_nbgrader, 2), "autograder_seconds": round(t_ours, 2),
            "nbgrader_per_second": round(n / t_nbgrader, 2), "autograder_per_second": round(n / t_ours, 2),
            "speedup": round(t_nbgrader / t_ours, 1),
            "autograder_one_trivial_seconds": round(t_one, 2), "autograder_ms_per_trivial": round(1000 * per_trivial, 1),
            "scores_agree": not disagree,
        }
        print()
        load = os.getloadavg()
        figures["load_average_after"] = [round(x, 2) for x in load]
        print(f"{n} submissions of {a.id} ({figures['kinds']} kinds: solution, untouched, {figures['kinds'] - 2} plants), {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print(f"  nbgrader autograde   {t_nbgrader:8.1f} s   {n / t_nbgrader:7.2f} submissions/s   {1000 * t_nbgrader / n:8.0f} ms each")
        print(f"  autograder grade     {t_ours:8.1f} s   {n / t_ours:7.2f} submissions/s   {1000 * t_ours / n:8.0f} ms each")
        print(f"  ratio                {t_nbgrader / t_ours:8.1f} x nbgrader's throughput")
        print(f"  trivial notebook     {1000 * per_trivial:8.1f} ms each in autograder grade ({args.trivial} untouched; startup {t_one:.1f} s not counted)")
        if disagree:
            print(f"  SCORES DISAGREE on {len(disagree)} submission(s):")
            for student, label, nbg, auto in disagree:
                print(f"    {student} ({label}): nbgrader {nbg} vs autograder {auto}")
        else:
            print(f"  scores agree on every submission, exercise by exercise ({n} x {len(exercise_ids)})")
        if args.json:
            print(json.dumps(figures, indent=2))
        return 0 if not disagree else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
