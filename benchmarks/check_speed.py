"""How long a learner waits for a self-check, next to the cost of importing NumPy and SciPy.

Every figure is a fresh process (a cold start), timed as a learner runs it:

* the floor: ``python -c "import numpy, scipy.signal"``;
* ``autograder check NOTEBOOK`` on each solution notebook;
* ``pytest NOTEBOOK`` on each solution notebook;
* ``autograder grade`` on a class of one (the solution of 01-conv1d), with
  ``--no-report``: its start-up is this minus the time to grade one warm
  submission, which ``autograder grade`` reports itself.

Each command is run ``--repeat`` times, interleaved with the floor so that a
change in the machine's load affects both alike; the medians are printed,
with each command's ratio to the floor's median.  The target of the course is
a ratio of at most 1.5 for ``autograder check``.

    python benchmarks/check_speed.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


#: As on a learner's machine: Python keeps compiled bytecode (this workplace sets
#: PYTHONDONTWRITEBYTECODE, which would make every run compile the package anew).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (medians are reported)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from autograder.course import load_course

    course = load_course(ROOT / "course.yml", validate=False)
    floor_command = [sys.executable, "-c", "import numpy, scipy.signal"]
    work = Path(tempfile.mkdtemp(prefix="check-speed-"))
    klass = work / "class"
    klass.mkdir()
    shutil.copy(course.source_dir("01-conv1d") / course.assignment("01-conv1d").notebook, klass / "alice.ipynb")

    from autograder.notebook.load import imported_modules, load_program

    commands: dict[str, list[str]] = {}
    own_floor: dict[str, str] = {}  # a notebook's own floor: importing what it imports, besides NumPy and SciPy
    for a in course.assignments:
        notebook = str(course.source_dir(a.id) / a.notebook)
        commands[f"autograder check {a.id}"] = [str(BIN / "autograder"), "check", notebook]
        imports = sorted(m for m in imported_modules(load_program(notebook)) if _importable(m))
        own_floor[f"autograder check {a.id}"] = "import numpy, scipy.signal" + "".join(f"; import {m}" for m in imports)
    for a in course.assignments:
        notebook = str(course.source_dir(a.id) / a.notebook)
        # As installed by the README's `make demo`: pytest without the test suite's plugins
        # (hypothesis, installed by `make test` only, costs a second or two at start-up).
        commands[f"pytest {a.id}"] = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", notebook]
    commands["autograder grade, class of 1"] = [str(BIN / "autograder"), "grade", str(klass), "-a", "01-conv1d", "--no-progress", "--no-report", "--force", "-o", str(work / "out")]

    for command in commands.values():  # once, unmeasured: bytecode written, caches warm, as for a learner's second run
        timed(command, ROOT)
    floors: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    own: dict[str, list[float]] = {name: [] for name in own_floor}
    for _ in range(args.repeat):
        for name, command in commands.items():
            floors.append(timed(floor_command, ROOT))
            times[name].append(timed(command, ROOT))
            if name in own_floor:
                own[name].append(timed([sys.executable, "-c", own_floor[name]], ROOT))
    floor = statistics.median(floors)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; {args.repeat} runs each, medians")
    print(f"{'floor: import numpy, scipy.signal':<40} {floor:6.2f} s   1.00x")
    for name, values in times.items():
        median = statistics.median(values)
        line = f"{name:<40} {median:6.2f} s   {median / floor:4.2f}x"
        if own.get(name):
            mine = statistics.median(own[name])
            line += f"   ({median / mine:4.2f}x the {mine:.2f} s of importing what the notebook imports)"
        print(line)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
