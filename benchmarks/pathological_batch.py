"""What pathological notebooks cost the grader, next to honest ones measured in the same run.

Four figures, each beside its baseline (issue 16, classes 4 and 5):

1. **A batch with pathological neighbours.**  A class of honest students (the
   01-conv1d solution and planted misconceptions) graded with
   ``autograder grade -j 2``, alone and then beside a notebook with one 4 MB
   cell of deeply nested brackets and one of 40,000 tiny cells: wall time,
   the grader's peak memory, and whether every honest report is the same.
2. **Reading a notebook.**  ``load_program`` on the honest notebook, on the
   4 MB cell (refused before it is parsed) and on the 40,000 cells (refused
   from the count of cells), next to what one parse of that cell costs.
3. **Bookkeeping against the number of cells.**  With the cell limits
   raised, notebooks of N cells that each redefine ``conv1d`` wrongly (so that
   every cell is run, and the feedback shows code) are graded in a fresh
   process each: seconds per 1000 cells should stay flat as N grows.
4. **Answers that decode to many objects.**  The grader's peak memory
   (``VmHWM``) for 04-shapes, honest and with ``conv_params`` answering
   ~0.7 MB of nested lists per call (~20 MB of Python objects each).

    python benchmarks/pathological_batch.py [--students 4] [--cells 1000 4000 16000]
"""
from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
ASSIGNMENT = "01-conv1d"
SEED = 161616
NESTED = "x = [" + ",".join(["[" * 150 + "]" * 150] * 14_100) + "]\n"

#: runs `autograder grade` in this process and prints the wall time and the peak memory (VmHWM)
GRADE = textwrap.dedent("""
    import json, sys, time
    from autograder.frontends.cli import main
    started = time.perf_counter()
    status = main(sys.argv[1:])
    seconds = time.perf_counter() - started
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024
    print(json.dumps({"status": status, "seconds": seconds, "peak_mb": peak}))
""")

#: grades one folder of submissions with raised cell limits, in a fresh process
RAISED = textwrap.dedent("""
    import dataclasses, json, sys, time
    from autograder.course import load_course
    from autograder.frontends.grading import grade_class
    course = load_course(sys.argv[1])
    course = dataclasses.replace(course, grading={**course.grading, "max_cells": 1_000_000, "max_code_kb": 1_000_000})
    started = time.perf_counter()
    result = grade_class(sys.argv[2], sys.argv[3], sys.argv[4], course=course, workers=1, seed=1)
    seconds = time.perf_counter() - started
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024
    report = next(iter(result.reports.values()))
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "score": report["score"]}))
""")

PEAK = textwrap.dedent("""
    import json, sys
    from autograder.pipeline import check_notebook
    report = check_notebook(sys.argv[1], assignment="04-shapes")
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024
    conv = next(e for e in report.exercises if e.id == "conv_params")
    print(json.dumps({"peak_mb": peak, "conv_params": [conv.status, conv.score]}))
""")

FLOAT_LISTS = textwrap.dedent("""
    def conv_params(kh, kw, c_in, c_out, bias=True):
        return [[0.5]] * 120_000
    """)


def _json_run(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _notebook(source: Path, target: Path, *, answers: dict[str, str] | None = None, extra: list[str] = ()) -> Path:
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell["source"] = answers[grade_id]
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text} for text in extra]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


def _reports(output: Path) -> dict[str, dict]:
    return {d["student"]: d for d in (json.loads(p.read_text(encoding="utf-8")) for p in (output / "reports").glob("*.json"))}


def batch(course, solution: Path, students: int, tmp: Path) -> None:
    from planted import all_plants

    plants = [p for a, p in all_plants() if a == ASSIGNMENT and p.status == "failed"]
    honest = {}
    for n in range(students):
        plant = plants[n - 1] if 0 < n <= len(plants) else None
        honest[f"honest-{n}"] = {plant.exercise: plant.source} if plant else {}
    for folder in ("alone", "beside"):
        for student, answers in honest.items():
            _notebook(solution, tmp / folder / student / ASSIGNMENT / "conv1d.ipynb", answers=answers)
    _notebook(solution, tmp / "beside" / "nested" / ASSIGNMENT / "conv1d.ipynb", answers={"conv1d": NESTED})
    _notebook(solution, tmp / "beside" / "many-cells" / ASSIGNMENT / "conv1d.ipynb",
              extra=[f"def f_{i}(x):\n    return x + {i}\n" for i in range(40_000)])
    figures = {}
    for folder in ("alone", "beside"):
        figures[folder] = _json_run([GRADE, "--course", str(ROOT / "course.yml"), "grade", str(tmp / folder), "-a", ASSIGNMENT,
                                     "-o", str(tmp / f"out-{folder}"), "-j", "2", "--seed", str(SEED), "--no-report"])
    alone, beside = _reports(tmp / "out-alone"), _reports(tmp / "out-beside")
    same = sum(alone[s] == beside[s] for s in honest)
    print(f"1. a batch of {students} honest students, autograder grade -j 2")
    print(f"   alone:                                    {figures['alone']['seconds']:6.1f} s, peak {figures['alone']['peak_mb']} MB")
    print(f"   beside a 4 MB nested cell and 40k cells:  {figures['beside']['seconds']:6.1f} s, peak {figures['beside']['peak_mb']} MB")
    print(f"   honest reports identical: {same} of {students}")
    for student in ("nested", "many-cells"):
        first = next(e for e in beside[student]["exercises"] if e["status"] != "passed")
        print(f"   {student}: {beside[student]['score']:g}/{beside[student]['max_score']:g}; {first['id']}: {first['feedback'].splitlines()[-1][:160]}")


def reading(course, solution: Path, tmp: Path) -> None:
    from autograder.notebook.load import NotebookError, load_program

    nested = _notebook(solution, tmp / "read" / "nested.ipynb", answers={"conv1d": NESTED})
    many = _notebook(solution, tmp / "read" / "many.ipynb", extra=[f"def f_{i}(x):\n    return x + {i}\n" for i in range(40_000)])
    print("2. reading a notebook (load_program)")
    for name, path in (("honest", solution), ("4 MB nested cell", nested), ("40,000 cells", many)):
        started = time.perf_counter()
        try:
            program = load_program(path)
            outcome = f"{len(program.cells)} cells, {len(program.refused())} refused"
        except NotebookError as exc:
            outcome = f"refused: {str(exc)[:60]}..."
        print(f"   {name:18s} {time.perf_counter() - started:7.3f} s  ({outcome})")
    started = time.perf_counter()
    ast.parse(NESTED)
    print(f"   one ast.parse of the 4 MB cell, for comparison: {time.perf_counter() - started:.1f} s (the grader used to parse it 4 times to read it)")


def scaling(course, solution: Path, counts: list[int], tmp: Path) -> None:
    print("3. cells that each redefine conv1d wrongly, cell limits raised (a fresh process each)")
    for count in counts:
        folder = tmp / f"scale-{count}"
        _notebook(solution, folder / "s" / ASSIGNMENT / "conv1d.ipynb",
                  extra=[f"def conv1d(x, h):\n    return x[:{i % 7}]\n" for i in range(count)])
        got = _json_run([RAISED, str(ROOT / "course.yml"), str(folder), ASSIGNMENT, str(tmp / f"out-scale-{count}")])
        print(f"   {count:6d} cells: {got['seconds']:6.1f} s ({1000 * got['seconds'] / count:5.2f} s per 1000 cells), peak {got['peak_mb']} MB, score {got['score']:g}")


def answers(course, tmp: Path) -> None:
    from conftest import solution_path

    solution = solution_path(course, "04-shapes")
    attacked = _notebook(solution, tmp / "answers" / "lists.ipynb", answers={"conv_params": FLOAT_LISTS})
    honest, lists = _json_run([PEAK, str(solution)]), _json_run([PEAK, str(attacked)])
    print("4. the grader's peak memory on 04-shapes (check_notebook, a fresh process each)")
    print(f"   honest:                                 {honest['peak_mb']:5d} MB  conv_params {honest['conv_params']}")
    print(f"   conv_params answering 0.7 MB of lists:  {lists['peak_mb']:5d} MB  conv_params {lists['conv_params']}"
          f"  (+{lists['peak_mb'] - honest['peak_mb']} MB; ~+265 MB before answers were counted decoded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--cells", type=int, nargs="*", default=[1000, 4000, 16000])
    args = parser.parse_args()
    from autograder.course import load_course
    from conftest import solution_path

    course = load_course(ROOT / "course.yml")
    solution = solution_path(course, ASSIGNMENT)
    with tempfile.TemporaryDirectory(prefix="pathological-batch-") as tmp:
        tmp = Path(tmp)
        batch(course, solution, args.students, tmp)
        reading(course, solution, tmp)
        scaling(course, solution, args.cells, tmp)
        answers(course, tmp)


if __name__ == "__main__":
    main()
