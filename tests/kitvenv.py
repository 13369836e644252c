"""A fresh virtual environment holding the learner kit and nothing of the instructor's install.

Built once per test run and shared by the test files (and pytest-xdist
workers) that need it, under a lock:

1. ``autograder build-kit --roster tests/roster.txt`` writes the kit's wheel (with
   the roster's students' own numbers: tests/test_kit_variants.py);
2. ``python -m venv`` makes an environment without the system's packages;
3. the kit's dependencies (NumPy, SciPy, Pillow, Matplotlib, IPython, pytest,
   nbformat, PyYAML and theirs) go in as the very files this interpreter has
   installed, hard-linked with their metadata, so that pip sees them
   installed: what ``pip install`` would unpack from its cache, without the
   minute that unpacking takes;
4. ``pip install`` of the kit's wheel, as a learner types it.

The instructor's package (``convolution-course``, installed in editable mode)
is not among the dependencies, so ``import autograder`` there finds the kit.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
#: The class roster the kit is built with (each rostered student's own numbers are checked in it).
ROSTER = ROOT / "tests" / "roster.txt"

def kit_assignments(course) -> list[str]:
    """The assignments of course.yml the kit is built for: all of them."""
    return [a.id for a in course.assignments]


def _closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need, with theirs."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        requirement = Requirement(todo.pop())
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if key in seen:
            continue
        dist = metadata.distribution(requirement.name)
        seen[key] = dist
        for text in dist.requires or ():
            sub = Requirement(text)
            if sub.marker is None or sub.marker.evaluate({"extra": ""}):
                todo.append(str(sub))
    return list(seen.values())


def _link_distribution(dist: metadata.Distribution, site: Path) -> None:
    base = Path(dist.locate_file(""))
    for entry in dist.files or ():
        if str(entry).startswith(".."):
            continue  # scripts and headers: bin/ belongs to the new environment
        source, target = base / entry, site / entry
        if not source.is_file() or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def _scripts(venv: Path, dist: metadata.Distribution) -> None:
    for ep in dist.entry_points:
        if ep.group != "console_scripts":
            continue
        module, _, attr = ep.value.partition(":")
        script = venv / "bin" / ep.name
        script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom {module} import {attr.split('.')[0]}\n"
                          f"sys.exit({attr}())\n")
        script.chmod(0o755)


def build(base: Path, course_file: Path = ROOT / "course.yml", assignments: list[str] | None = None) -> dict:
    """The kit's wheel and a venv with it installed, under ``base`` (made once; later calls reuse it)."""
    base.mkdir(parents=True, exist_ok=True)
    done = base / "kit.json"
    with open(base / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():
            return json.loads(done.read_text())
        timings = {}
        started = time.perf_counter()
        wheel_dir = base / "wheel"
        built = subprocess.run([sys.executable, "-m", "autograder", "--course", str(Path(course_file).resolve()), "build-kit", "-o", str(wheel_dir), "--roster", str(ROSTER),
                                *[arg for a in assignments or () for arg in ("-a", a)]],
                               capture_output=True, text=True, cwd=base)
        if built.returncode:
            raise RuntimeError(f"autograder build-kit failed:\n{built.stdout}{built.stderr[-3000:]}")
        wheel = next(wheel_dir.glob("*.whl"))
        timings["build-kit"] = time.perf_counter() - started
        started = time.perf_counter()
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        requires = [line.split(": ", 1)[1] for line in _wheel_metadata(wheel) if line.startswith("Requires-Dist: ")]
        for dist in _closure(requires):
            _link_distribution(dist, site)
            _scripts(venv, dist)
        timings["dependencies"] = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)],
                       check=True, capture_output=True, text=True)
        timings["pip install"] = time.perf_counter() - started
        info = {"wheel": str(wheel), "venv": str(venv), "python": str(venv / "bin" / "python"), "timings": timings,
                "build output": built.stdout}
        done.write_text(json.dumps(info))
        return info


def _wheel_metadata(wheel: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode().splitlines()


def shared_base(tmp_path_factory) -> Path:
    """A folder of this test run shared by its pytest-xdist workers (each has its own basetemp below it)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "autograder-kit"


def learner_env(info: dict) -> dict:
    """The environment a learner's shell has: the kit's venv first on PATH, nothing of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "AUTOGRADER"))}
    env["PATH"] = f"{Path(info['venv']) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = info["venv"]
    return env
