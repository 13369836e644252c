"""How fast a class is graded: stock nbgrader, our nbgrader, and `autograder grade`.

    python benchmarks/grade_speed.py --students 20 --assignment 01-conv1d

Builds a synthetic class of N submissions of one assignment in a temporary
nbgrader course (nbgrader_config.py and course.yml from the course, a secret
seed of its own, the released notebook made by nbgrader's
generate_assignment): each submission is the released notebook with its
answer cells filled in, taking in turn

- the solution (every exercise right),
- the untouched release (every exercise a stub),
- each planted wrong answer of tests/planted (one misconception per notebook,
  the other exercises right),

then grades that same class, on this machine in this run, three ways, each as
the command an instructor types:

1. **stock nbgrader**: ``nbgrader autograde`` with nbgrader's own ``Execute``
   (a Jupyter kernel per notebook runs every cell, check cells included): the
   derived configuration without its ``autograde_preprocessors`` line, in a
   copy of the course;
2. **our nbgrader**: ``nbgrader autograde`` with the derived configuration,
   which grades each submission in autograder's sandbox (SandboxGrade);
3. ``autograder grade`` (sandboxed, in parallel).

It checks that our nbgrader and ``autograder grade`` give every submission the
same points, exercise by exercise (both use the course's secret seed), prints
where stock nbgrader differs (its kernel runs the learner's self-checks, with
the public seed of the practice checks and no partial credit), and prints for
each the total time, submissions per second and time per submission, with our
nbgrader's throughput as a multiple of stock nbgrader's (the target is at
least 10).  Both nbgrader autogrades are also run on a class of one (the
first submission): their start-up, taken out of the class's time, leaves the
cost of each further submission, whose ratio is the one a large class tends
to.  ``--trivial K`` also measures the cost of one trivial (untouched)
notebook in ``autograder grade``: (T(1 + K untouched) - T(1)) / K, the
start-up taken out.

Plants whose verdict is a timeout cost each grader its timeout, not grading
work; they are left out unless ``--with-timeouts``.  Exit status 0 when our
nbgrader and ``autograder grade`` agree on every score, 1 otherwise.
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

TARGET = 10.0  # our nbgrader's throughput, as a multiple of stock nbgrader's
MARGINAL_FROM = 10  # smaller classes cannot tell the cost of a submission from the start-up's noise


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
        f.write(f"$ (cd {cwd} && {' '.join(cmd)})\n")
        f.flush()
        done = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"grade_speed: {' '.join(cmd[:4])} failed (exit {done.returncode}); see {log}")
    return seconds


def build(course, assignment_id: str, root: Path, students: int, with_timeouts: bool, log: Path) -> tuple[dict[str, str], Path]:
    """The nbgrader course in ``root`` with ``students`` submissions; student -> kind, and the released notebook."""
    from autograder.course import load_course
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
    load_course(root / "course.yml").secret_seed()  # drawn once, as `autograder nbgrader-config` does
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


def stock_copy(root: Path, dest: Path) -> Path:
    """A copy of the course whose nbgrader_config.py keeps nbgrader's own autograde steps (Execute in a kernel)."""
    from autograder.frontends.nbgrader.bridge import CONFIG_NAME

    shutil.copytree(root, dest, symlinks=True)
    config = (dest / CONFIG_NAME).read_text(encoding="utf-8")
    stock = "\n".join(line for line in config.splitlines() if "autograde_preprocessors" not in line) + "\n"
    assert stock != config, "the derived configuration has no autograde_preprocessors line"
    (dest / CONFIG_NAME).write_text(stock, encoding="utf-8")
    return dest


def class_of_one(root: Path, dest: Path) -> Path:
    """A copy of the course ``root`` in which only the first student has submitted."""
    shutil.copytree(root, dest, symlinks=True, ignore=shutil.ignore_patterns("autograded", "feedback", "hardened"))
    for folder in sorted((dest / "submitted").iterdir())[1:]:
        shutil.rmtree(folder)
    return dest


def nbgrader_autograde(root: Path, assignment_id: str, log: Path) -> float:
    return run([sys.executable, "-m", "nbgrader", "autograde", assignment_id, "--force"], root, log)


def nbgrader_scores(root: Path, assignment_id: str, notebook: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment_id):
            nb = gb.find_submission_notebook(Path(notebook).stem, assignment_id, sub.student_id)
            out[sub.student_id] = {g.name.removeprefix("check_"): float(g.auto_score) for g in nb.grades}
    return out


def autograder_scores(output: Path, exercise_ids: list[str]) -> dict[str, dict[str, float]]:
    with open(output / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {row["student_id"]: {e: float(row[e]) for e in exercise_ids} for row in csv.DictReader(f)}


def autograder_grade(course_file: Path, submissions: Path, assignment_id: str, output: Path, workers: int | None, log: Path) -> float:
    """`autograder grade` as an instructor types it; the hidden checks use the course's secret seed."""
    cmd = [sys.executable, "-m", "autograder", "--course", str(course_file), "grade", str(submissions), "--assignment", assignment_id,
           "--output", str(output), "--force", "--no-progress"]
    if workers:
        cmd += ["--workers", str(workers)]
    return run(cmd, submissions.parent, log)


def trivial_cost(course_file: Path, assignment_id: str, released: Path, files: dict[str, bytes], base: Path, count: int, repeat: int,
                 workers: int | None, log: Path) -> tuple[float, float]:
    """Seconds of `autograder grade` for 1 untouched notebook, and per extra untouched
    notebook: (T(1 + count) - T(1)) / count, each T the fastest of ``repeat`` runs."""
    times = {}
    for n in (1, 1 + count):
        folder = base / f"trivial-{n}" / "submitted"
        for i in range(n):
            target = folder / f"t{i:04d}" / assignment_id / released.name
            target.parent.mkdir(parents=True)
            shutil.copyfile(released, target)
            for name, data in files.items():
                (target.parent / name).write_bytes(data)
        times[n] = min(autograder_grade(course_file, folder, assignment_id, folder.parent / "out", workers, log) for _ in range(repeat))
    return times[1], (times[1 + count] - times[1]) / count


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="See the module docstring.")
    parser.add_argument("--students", "-n", type=int, default=20, help="size of the synthetic class (default 20)")
    parser.add_argument("--assignment", "-a", default="01-conv1d", help="assignment id (default 01-conv1d)")
    parser.add_argument("--workers", "-j", type=int, help="workers of autograder grade (default: its own, the number of CPUs)")
    parser.add_argument("--trivial", type=int, default=0, help="untouched notebooks for the per-notebook cost of autograder grade (default 0: not measured)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each trivial batch; the fastest counts (default 3)")
    parser.add_argument("--with-timeouts", action="store_true", help="include the plants that time out")
    parser.add_argument("--course", help="course.yml (default: $AUTOGRADER_COURSE, else the repository's)")
    parser.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")

    course = _course(args.course)
    loads = {"before": _load()}
    print(f"load average before: {loads['before']} (figures are only comparable on a quiet machine)")
    a = course.assignment(args.assignment)
    exercise_ids = list(a.points)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grade-speed-"))
    base.mkdir(parents=True, exist_ok=True)
    root, stock_root = base / "course", base / "stock"
    for folder in (root, stock_root, base / "one", base / "stock-one"):
        if folder.exists():
            shutil.rmtree(folder)
    log = base / "grade_speed.log"
    try:
        print(f"building {args.students} submissions of {a.id} in {root} ...", flush=True)
        roster, released = build(course, a.id, root, args.students, args.with_timeouts, log)
        stock_copy(root, stock_root)
        class_of_one(root, base / "one")
        class_of_one(stock_root, base / "stock-one")
        n = len(roster)
        times = {}
        print(f"our nbgrader autograde ({n} notebooks, graded in the sandbox) ...", flush=True)
        times["ours"] = nbgrader_autograde(root, a.id, log)
        loads["ours"] = _load()
        print("autograder grade ...", flush=True)
        output = root / "hardened" / a.id
        times["grade"] = autograder_grade(root / "course.yml", root / "submitted", a.id, output, args.workers, log)
        loads["grade"] = _load()
        print(f"stock nbgrader autograde ({n} notebooks, one kernel each) ...", flush=True)
        times["stock"] = nbgrader_autograde(stock_root, a.id, log)
        loads["stock"] = _load()
        if n >= MARGINAL_FROM:
            print("both nbgrader autogrades on a class of one (start-up and first submission) ...", flush=True)
            times["ours_one"] = nbgrader_autograde(base / "one", a.id, log)
            times["stock_one"] = nbgrader_autograde(base / "stock-one", a.id, log)
        trivial = None
        if args.trivial > 0:
            print(f"autograder grade on untouched notebooks only (1 and {1 + args.trivial}, best of {args.repeat}) ...", flush=True)
            trivial = trivial_cost(root / "course.yml", a.id, released, course.data_files(a.id), base, args.trivial, args.repeat, args.workers, log)

        stock = nbgrader_scores(stock_root, a.id, a.notebook)
        ours = nbgrader_scores(root, a.id, a.notebook)
        hardened = autograder_scores(output, exercise_ids)
        disagree = [(s, roster[s], ours.get(s), hardened.get(s)) for s in roster if ours.get(s) != hardened.get(s)]
        stock_differs = [(s, roster[s], {e: (v, ours.get(s, {}).get(e)) for e, v in (stock.get(s) or {}).items() if v != ours.get(s, {}).get(e)})
                         for s in roster if stock.get(s) != ours.get(s)]

        print()
        print(f"{n} submissions of {a.id} ({len(set(roster.values()))} kinds: solution, untouched, {len(set(roster.values())) - 2} plants), "
              f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) before {loads['before']}, after {loads['stock']}")
        rows = [("stock nbgrader autograde", "stock"), ("our nbgrader autograde", "ours"), ("autograder grade", "grade")]
        for label, key in rows:
            t = times[key]
            print(f"  {label:<26} {t:8.1f} s   {n / t:7.2f} submissions/s   {1000 * t / n:8.0f} ms each")
        ratio = times["stock"] / times["ours"]
        print(f"  our nbgrader: {ratio:.1f} x stock nbgrader's throughput (target: at least {TARGET:g} x){'' if ratio >= TARGET else '  BELOW THE TARGET'}")
        print(f"  autograder grade: {times['stock'] / times['grade']:.1f} x stock nbgrader's throughput")
        marginal = None
        if n >= MARGINAL_FROM:
            # each further submission, the start-up (a class of one) taken out: the ratio a large class tends to
            marginal = {key: (times[key] - times[f"{key}_one"]) / (n - 1) for key in ("stock", "ours")}
            print(f"  each further submission: stock {1000 * marginal['stock']:.0f} ms, ours {1000 * marginal['ours']:.0f} ms "
                  f"(class of one: stock {times['stock_one']:.1f} s, ours {times['ours_one']:.1f} s), "
                  f"so {marginal['stock'] / marginal['ours']:.1f} x for a large class")
        if trivial:
            print(f"  trivial notebook: {1000 * trivial[1]:.1f} ms each in autograder grade ({args.trivial} untouched; start-up {trivial[0]:.1f} s not counted)")
        if disagree:
            print(f"  OUR NBGRADER AND AUTOGRADER GRADE DISAGREE on {len(disagree)} submission(s):")
            for student, label, nbg, auto in disagree:
                print(f"    {student} ({label}): our nbgrader {nbg} vs autograder grade {auto}")
        else:
            print(f"  our nbgrader and autograder grade: the same score on every submission, exercise by exercise ({n} x {len(exercise_ids)})")
        if stock_differs:
            print(f"  stock nbgrader scores differently on {len(stock_differs)} of {n} submissions (exercise: (stock, ours)):")
            for student, label, diff in stock_differs:
                print(f"    {student} ({label}): {diff}")
        else:
            print("  stock nbgrader gives the same scores")
        if args.json:
            figures = {
                "assignment": a.id, "students": n, "kinds": len(set(roster.values())), "cpus": os.cpu_count(), "load_average": loads,
                **{f"{key}_seconds": round(times[key], 2) for key in times},
                **{f"{key}_per_second": round(n / times[key], 2) for key in ("stock", "ours", "grade")},
                "ours_vs_stock": round(ratio, 1), "grade_vs_stock": round(times["stock"] / times["grade"], 1),
                "ours_equals_grade": not disagree, "stock_differs": len(stock_differs),
            }
            if marginal:
                figures.update(stock_ms_per_further=round(1000 * marginal["stock"]), ours_ms_per_further=round(1000 * marginal["ours"]),
                               large_class_ratio=round(marginal["stock"] / marginal["ours"], 1))
            if trivial:
                figures.update(grade_one_trivial_seconds=round(trivial[0], 2), grade_ms_per_trivial=round(1000 * trivial[1], 1))
            print(json.dumps(figures, indent=2))
        return 0 if not disagree else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
