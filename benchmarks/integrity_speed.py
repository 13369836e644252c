"""How long ``autograder integrity`` takes on a class of 200 (the target: under a minute on this machine).

Builds the synthetic class of tests/integrity_class.py: ``--students``
submissions of 01-conv1d written independently in many styles, plus the six
planted copies (renamed, reordered, commented, a copied wrong conv1d, a conv1d
copied from the reference implementation, all three disguises at once), in
nbgrader's ``submitted/`` layout in a temporary course folder.  Then runs the
command as an instructor types it::

    autograder integrity submitted/ -a 01-conv1d --seed SEED -o OUT

(every submission run in the sandbox on the probe inputs; ``--no-run`` skips
that), and prints the wall-clock time of the command, the phases it reports
(reading and fingerprinting, comparing, probes), the load average before and
after, and whether the planted pairs are the first ranked and the only ones
flagged.

    python benchmarks/integrity_speed.py [--students 200] [--workers N] [--no-run] [--keep DIR] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200, help="independent submissions (the planted copies come on top)")
    parser.add_argument("--workers", type=int, help="submissions run at once (default: the command's, the number of CPUs)")
    parser.add_argument("--no-run", dest="run", action="store_false", help="no probes (code evidence only)")
    parser.add_argument("--keep", help="keep the class and the report in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    import integrity_class as ic

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="integrity-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        students = ic.independent_class(args.students)
        planted = ic.plant_copies(students)
        submitted = ic.write_class(students, folder)
        built = time.perf_counter() - started
        out = folder / "integrity"
        command = [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.yml"), "integrity", str(submitted), "-a", ic.ASSIGNMENT,
                   "--seed", "20261202", "-o", str(out)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        if not args.run:
            command.append("--no-run")
        load_before = os.getloadavg()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=ENV)
        seconds = time.perf_counter() - started
        load_after = os.getloadavg()
        if done.returncode != 0:
            raise SystemExit(f"autograder integrity failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        data = json.loads((out / "integrity.json").read_text(encoding="utf-8"))
        keys = {kind: frozenset((a, b)) if b != "reference" else (a, "reference") for kind, (a, b) in planted.items()}

        def key(p):
            return (p["a"], "reference") if p["reference"] else frozenset((p["a"], p["b"]))

        ranks = {kind: next((p["rank"] for p in data["pairs"] if key(p) == k), None) for kind, k in keys.items()}
        independent = [p for p in data["pairs"] if key(p) not in keys.values()]
        figures = {
            "students": data["compared"], "seconds": round(seconds, 2), "phases": data["seconds"], "build_class_seconds": round(built, 2),
            "probes": data["probed"], "flagged": data["flagged"], "planted_ranks": ranks,
            "best_independent_rank": min((p["rank"] for p in independent), default=None),
            "independent_flagged": sum(1 for p in independent if p["flagged"]),
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count(),
        }
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            print(f"autograder integrity on {figures['students']} submissions of {ic.ASSIGNMENT} ({args.students} independent + {len(planted)} planted copies), "
                  f"{'with' if args.run else 'without'} probes, {figures['cpus']} CPUs")
            print(f"  wall-clock: {seconds:.1f} s (target: under 60 s); phases: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in data["seconds"].items()))
            print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
            print(f"  planted pairs ranked {sorted(r for r in ranks.values() if r)} (missing: {[k for k, r in ranks.items() if r is None]}); "
                  f"best independent pair ranked {figures['best_independent_rank']}; "
                  f"{data['flagged']} flagged, {figures['independent_flagged']} of them independent")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
