"""``autograder build-kit``: the learner kit, one wheel built from course.yml.

The kit is the package ``autograder`` as a learner needs it for ``from
autograder import check, demo``, ``autograder check NOTEBOOK`` and ``pytest
NOTEBOOK.ipynb``: the engine, the notebook reader, the sandbox and those
three ways in, with the exercises compiled into data for course.yml's public
seed (:mod:`.compile`) in place of their declarations.  It leaves out the
references, the hidden-case generators, the wrong implementations, the
instructor's commands (grading, nbgrader, reports) and ``secret_seed``.

The wheel is written here, without a build backend, so that building needs
nothing from the network; ``pip install`` installs it like any other.
"""
from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ... import __version__
from ...course import FILE_NAME, Course
from .compile import Compiled, compile_course

DIST = "convolution-course-kit"
#: What a learner's machine needs besides the kit (the notebooks import NumPy, SciPy, Pillow and Matplotlib; IPython reads their magics).
REQUIRES = ["numpy>=1.26", "scipy>=1.11", "pillow>=10.1", "pyyaml>=6", "nbformat>=5.9", "matplotlib>=3.8", "ipython>=8", "pytest>=7.4"]
#: The modules of the package that a kit ships, as paths below autograder/ (folders: every .py in them).
SHIPPED = (
    "__init__.py", "__main__.py", "course.py", "report.py", "pipeline.py",
    "engine/", "notebook/", "sandbox/",
    "frontends/__init__.py", "frontends/cli.py", "frontends/inline.py", "frontends/pytest_plugin.py", "frontends/verdict.py",
    "exercises/__init__.py", "exercises/compiled.py", "exercises/sealed.py", "exercises/library.py",
)
#: Where the kit keeps its own copy of course.yml and the assignments' data files (found when no course.yml is nearer).
COURSE_DIR = "exercises/compiled/course"


@dataclass
class Kit:
    wheel: Path
    seconds: float
    compiled: Compiled

    @property
    def size(self) -> int:
        return self.wheel.stat().st_size


def package_root() -> Path:
    return Path(__file__).resolve().parents[2]


def build_kit(course: Course, out_dir: str | Path, assignments: list[str] | None = None, roster: list[str] | None = None) -> Kit:
    """Compile the course (or only ``assignments``, e.g. those released so far) and write the kit's wheel into ``out_dir``.

    Without ``assignments``, an assignment whose checks a kit cannot hold yet is left out and
    listed (``kit.compiled.left_out``); named ones must all go in, or nothing is written.
    ``roster``: the students whose own numbers the kit checks (:mod:`.roster`); their ids do not go in.
    """
    if assignments:
        course = dataclasses.replace(course, assignments=[course.assignment(a) for a in assignments])
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Named assignments must all go in; "every assignment" means every one whose checks a kit can hold
    # (the others are listed in compiled.left_out, and the kit's course.yml does not name them).
    compiled = compile_course(course, leave_out_unportable=not assignments, roster=roster or ())
    if compiled.left_out:
        course = dataclasses.replace(course, assignments=[a for a in course.assignments if a.id not in compiled.left_out])
    files = _package_files(course, compiled)
    wheel = out_dir / f"{DIST.replace('-', '_')}-{__version__}-py3-none-any.whl"
    _write_wheel(wheel, files)
    return Kit(wheel, time.perf_counter() - started, compiled)


def _package_files(course: Course, compiled: Compiled) -> dict[str, bytes]:
    """Every file of the kit's ``autograder`` package, by path in the wheel."""
    root = package_root()
    files: dict[str, bytes] = {}
    for entry in SHIPPED:
        path = root / entry
        found = sorted(path.glob("*.py")) if entry.endswith("/") else [path]
        for source in found:
            files[f"autograder/{source.relative_to(root).as_posix()}"] = source.read_bytes()
    data = "autograder/exercises/compiled"
    files[f"{data}/index.json"] = (json.dumps(compiled.index(), indent=1) + "\n").encode()
    for assignment, exercises in compiled.assignments.items():
        files[f"{data}/{assignment}.json.gz"] = _dumped({"format": 1, "assignment": assignment, "exercises": exercises})
    modules = compiled.bundle.modules()
    files["autograder/exercises/portable/__init__.py"] = b'"""Judges and detectors copied into the learner kit by autograder build-kit."""\n'
    for name, source in modules.items():
        files[f"autograder/exercises/portable/{name}.py"] = source.encode("utf-8")
        files[f"{data}/portable-{name}.json.gz"] = _dumped(compiled.bundle.data.get(name, {}))
    files.update(_course_files(course))
    return files


def _dumped(value) -> bytes:
    return gzip.compress(json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8"), mtime=0)


def _course_files(course: Course) -> dict[str, bytes]:
    """course.yml as learners need it (no secret is in it; secret_seed never ships) and the assignments' data files."""
    data = yaml.safe_load(course.path.read_text(encoding="utf-8"))
    kept = {a.id for a in course.assignments}
    data["assignments"] = [a for a in data["assignments"] if a.get("id") in kept]
    files = {f"autograder/{COURSE_DIR}/{FILE_NAME}": ("# The course as this learner kit was built from it (autograder build-kit).\n"
                                                     + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)).encode("utf-8")}
    for assignment in course.assignments:
        for name, content in course.data_files(assignment.id).items():
            files[f"autograder/{COURSE_DIR}/solutions/{assignment.id}/{name}"] = content
    return files


def _write_wheel(path: Path, files: dict[str, bytes]) -> None:
    info = f"{DIST.replace('-', '_')}-{__version__}.dist-info"
    meta = [f"Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {__version__}",
            "Summary: The learner kit of the convolution course: self-checks without the solutions.",
            "Requires-Python: >=3.11"] + [f"Requires-Dist: {r}" for r in REQUIRES]
    files = dict(files)
    files[f"{info}/METADATA"] = ("\n".join(meta) + "\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: autograder build-kit\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = (b"[console_scripts]\nautograder = autograder.frontends.cli:main\n\n"
                                         b"[pytest11]\nautograder_notebooks = autograder.frontends.pytest_plugin\n")
    files[f"{info}/top_level.txt"] = b"autograder\n"
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(content)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n.startswith(info), n)):
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, files[name])
    os.replace(tmp, path)
