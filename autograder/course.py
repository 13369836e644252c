"""course.yml: the single place where the course is configured.

It names the course, lists the assignments (folder id, notebook, title, due
date, data files, points per exercise) and holds the grading settings.  This
module finds it, validates it against the exercise declarations and answers
questions about it; errors say what is wrong and where.
"""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FILE_NAME = "course.yml"
ENV_VAR = "AUTOGRADER_COURSE"
DEFAULT_SEED = 20261123
#: The instructor's secret seed of the graded hidden checks, beside course.yml.
SECRET_SEED_FILE = "secret_seed"
#: grading settings that bound what the grader takes on of a submission (numbers above 0; see Limits)
BOUND_SETTINGS = ("max_notebook_mb", "max_cells", "max_cell_kb", "max_code_kb", "max_nesting", "answers_mb")


class CourseError(ValueError):
    """course.yml is missing or wrong; the message says where and what to do."""


@dataclass
class Assignment:
    id: str
    title: str
    notebook: str
    due: str | None
    points: dict[str, float]
    files: list[str] = field(default_factory=list)
    late: dict | None = None  # this assignment's own late-penalty rule (see autograder/engine/late.py)
    #: each student's own numbers in the on-paper exercises that declare them (course.yml ``variants:``, default on)
    variants: bool = True

    @property
    def max_score(self) -> float:
        return float(sum(self.points.values()))


@dataclass
class Course:
    path: Path
    id: str
    title: str
    grading: dict[str, Any]
    assignments: list[Assignment]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def seed(self) -> int:
        """The public seed of the practice hidden checks (learners' self-checks)."""
        return int(self.grading.get("seed", DEFAULT_SEED))

    @property
    def variant_seed(self) -> int:
        """The public seed of each student's own numbers (``grading.variant_seed``, else the practice seed):
        a learner's notebook shows their numbers, so it is no secret; the answers are never derived from it alone."""
        return int(self.grading.get("variant_seed", self.seed))

    def numbers_for(self, assignment_id: str, student: str | None) -> str | None:
        """Whose numbers ``assignment_id``'s on-paper exercises ask for: ``student``'s when variants are on, else
        nobody's (the lesson's numbers)."""
        return student if student and self.assignment(assignment_id).variants else None

    @property
    def secret_seed_path(self) -> Path:
        return self.root / SECRET_SEED_FILE

    def secret_seed(self, *, create: bool = True) -> int:
        """The seed of the graded hidden checks: the instructor's secret.

        Drawn once with :mod:`secrets` and kept in ``secret_seed`` beside
        course.yml (mode 0600, outside everything released, never in git),
        so that ``nbgrader autograde`` and ``autograder grade`` grade with the
        same hidden cases, which learners' self-checks never see.
        """
        path = self.secret_seed_path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            if not create:
                raise CourseError(f"no secret seed at {path}; run `autograder nbgrader-config` once to create it") from None
            return self._create_secret_seed(path)
        except OSError as exc:
            raise CourseError(f"cannot read the secret seed {path}: {exc}") from None
        with os.fdopen(fd, "r", encoding="ascii", errors="replace") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise CourseError(f"{path} should be a file holding the secret seed")
            if info.st_mode & 0o077:
                os.fchmod(handle.fileno(), 0o600)
            text = handle.read(100).strip()
        try:
            return int(text)
        except ValueError:
            raise CourseError(f"{path} does not hold a seed (a whole number); delete it to draw a new one (grades made with the old one would change)") from None

    @staticmethod
    def _create_secret_seed(path: Path) -> int:
        seed = secrets.randbits(63)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:  # another grader drew it a moment ago
            return Course(path.parent / FILE_NAME, "", "", {}, []).secret_seed(create=False)
        except OSError as exc:
            raise CourseError(f"cannot create the secret seed {path}: {exc}") from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"{seed}\n")
            handle.flush()
            os.fsync(handle.fileno())
        return seed

    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        known = ", ".join(a.id for a in self.assignments)
        raise CourseError(f"no assignment {assignment_id!r} in {self.path}; known: {known}")

    def source_dir(self, assignment_id: str) -> Path:
        return self.root / "solutions" / assignment_id

    def release_dir(self, assignment_id: str) -> Path:
        return self.root / "assignments" / assignment_id

    def data_files(self, assignment_id: str) -> dict[str, bytes]:
        """The assignment's data files (from the instructor's copy, never the learner's)."""
        out = {}
        for name in self.assignment(assignment_id).files:
            path = self.source_dir(assignment_id) / name
            try:
                out[name] = path.read_bytes()
            except OSError as exc:
                raise CourseError(f"{self.path}: assignment {assignment_id} lists the file {name!r}, which cannot be read: {exc}") from None
        return out

    def grading_files(self, assignment_id: str) -> dict[str, bytes]:
        """The data files as the grading sandbox holds them, beside the learner's code.

        :meth:`data_files` with each transform the assignment's declaration module lists
        in ``GRADING_FILES`` (file name -> function of the instructor's bytes) applied:
        what the learner's code must not read there is withheld (06: the labels of the
        test digits its network is judged on).  The grader's own judges read their own
        copies.  Only this assignment's modules are imported; a learner kit, which
        holds no declaration modules, grades beside the data files as they are.
        """
        files = self.data_files(assignment_id)
        from .exercises import _modules_of, compiled

        if compiled.available():
            return files
        import importlib

        for name in _modules_of(assignment_id):
            transforms = getattr(importlib.import_module(f".exercises.{name}", __package__), "GRADING_FILES", None) or {}
            for file_name, transform in transforms.items():
                if file_name not in files:
                    continue
                try:
                    files[file_name] = transform(files[file_name])
                except ValueError as exc:
                    raise CourseError(f"{self.path}: the grading copy of {file_name!r} of assignment {assignment_id} cannot be made from "
                                      f"{self.source_dir(assignment_id) / file_name}: {exc}") from None
        return files

    def identify(self, notebook: Path, grade_ids: list[str] | None = None) -> Assignment:
        """Which assignment a notebook belongs to: by folder, file name or grade ids."""
        notebook = Path(notebook)
        for part in reversed(notebook.resolve().parts[:-1]):
            for a in self.assignments:
                if a.id == part:
                    return a
        matches = [a for a in self.assignments if a.notebook == notebook.name]
        if len(matches) == 1:
            return matches[0]
        if grade_ids:
            scored = [(len(set(grade_ids) & set(a.points)), a) for a in self.assignments]
            best = max(scored, key=lambda pair: pair[0])
            if best[0]:
                return best[1]
        raise CourseError(f"cannot tell which assignment {notebook} belongs to; pass --assignment (one of {', '.join(a.id for a in self.assignments)})")


def find_course_file(start: Path | None = None) -> Path:
    """course.yml: $AUTOGRADER_COURSE, else the nearest one above ``start`` or the
    current folder, else the one of the source tree this package was installed from,
    else a learner kit's own copy (autograder build-kit)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    for base in [p for p in (start, Path.cwd()) if p is not None]:
        base = Path(base).resolve()
        for folder in [base, *base.parents]:
            candidate = folder / FILE_NAME
            if candidate.is_file():
                return candidate
    packaged = Path(__file__).resolve().parent.parent / FILE_NAME
    if packaged.is_file():
        return packaged
    kit = Path(__file__).resolve().parent / "exercises" / "compiled" / "course" / FILE_NAME  # a learner kit's own copy
    if kit.is_file():
        return kit
    raise CourseError(f"no {FILE_NAME} found; pass --course PATH or set {ENV_VAR}")


def load_course(path: str | Path | None = None, *, start: Path | None = None, validate: bool = True) -> Course:
    """Read and validate course.yml."""
    path = Path(path) if path else find_course_file(start)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"no course file at {path}") from None
    except yaml.YAMLError as exc:
        raise CourseError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CourseError(f"{path} should hold a mapping with id, title, grading and assignments")
    for key in ("id", "title", "assignments"):
        if key not in data:
            raise CourseError(f"{path} has no {key!r}")
    grading = data.get("grading") or {}
    if not isinstance(grading, dict):
        raise CourseError(f"{path}: 'grading' should be a mapping")
    for key in BOUND_SETTINGS:
        value = grading.get(key)
        if key in grading and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise CourseError(f"{path}: grading.{key} should be a number above 0, not {value!r}")
    variant_seed = grading.get("variant_seed")
    if "variant_seed" in grading and (isinstance(variant_seed, bool) or not isinstance(variant_seed, int) or variant_seed < 0):
        raise CourseError(f"{path}: grading.variant_seed should be a whole number >= 0, not {variant_seed!r}")
    from .engine.spec import CreditWeights

    CreditWeights.parse(grading.get("weights"), f"{path}: grading.weights", error=CourseError)
    assignments = []
    seen = set()
    for n, entry in enumerate(data["assignments"] or []):
        where = f"{path}: assignments[{n}]"
        if not isinstance(entry, dict):
            raise CourseError(f"{where} should be a mapping")
        for key in ("id", "notebook", "points"):
            if key not in entry:
                raise CourseError(f"{where} has no {key!r}")
        if entry["id"] in seen:
            raise CourseError(f"{where}: the id {entry['id']!r} is used twice")
        seen.add(entry["id"])
        points = entry["points"]
        if not isinstance(points, dict) or not points:
            raise CourseError(f"{where}: 'points' should map exercise ids to points")
        for exercise_id, value in points.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CourseError(f"{where}: points for {exercise_id!r} should be a number >= 0, not {value!r}")
        files = entry.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) and "/" not in f for f in files):
            raise CourseError(f"{where}: 'files' should be a list of file names in the assignment folder")
        assignments.append(Assignment(str(entry["id"]), str(entry.get("title", entry["id"])), str(entry["notebook"]), str(entry["due"]) if entry.get("due") else None, {str(k): float(v) for k, v in points.items()}, files))
        assignments[-1].late = entry.get("late")
        variants = entry.get("variants", True)
        if not isinstance(variants, bool):
            raise CourseError(f"{where}: 'variants' should be true (each student their own numbers) or false, not {variants!r}")
        assignments[-1].variants = variants
    course = Course(path, str(data["id"]), str(data["title"]), grading, assignments)
    from .engine.late import LateError, validate_course  # late penalties: grading.late and assignments[].late

    try:
        validate_course(course)
    except LateError as exc:
        raise CourseError(str(exc)) from None
    if validate:
        _validate_against_declarations(course)
    return course


def validate_assignments(course: Course, assignment_ids) -> None:
    """Check course.yml against the declarations of these assignments only.

    Loads just their exercise modules, so that checking one notebook does not
    import every assignment's references (load_course(validate=True) checks all).
    """
    from .engine.spec import CreditWeights
    from .exercises import for_assignment

    selected = [course.assignment(a) for a in assignment_ids]
    declared = {ex.id: ex for a in selected for ex in for_assignment(a.id)}
    weights = course.grading.get("weights")
    if isinstance(weights, dict):
        weights = {**weights, "exercises": {k: v for k, v in (weights.get("exercises") or {}).items() if k in declared}} if isinstance(weights.get("exercises") or {}, dict) else weights
    CreditWeights.parse(weights, f"{course.path}: grading.weights", known=declared, error=CourseError)
    _check_points(course, selected, declared)
    _check_per_exercise(course, declared, complete=False)


def _validate_against_declarations(course: Course) -> None:
    from .exercises import registry

    declared = registry()
    from .engine.spec import CreditWeights

    CreditWeights.parse(course.grading.get("weights"), f"{course.path}: grading.weights", known=declared, error=CourseError)
    _check_points(course, course.assignments, declared)
    _check_per_exercise(course, declared, complete=True)


def _check_per_exercise(course: Course, declared, *, complete: bool) -> None:
    """grading.exercise_timeouts (seconds above 0) and grading.exercise_settings (the names an
    exercise declares it takes), by exercise id; ``complete``: every exercise is declared."""
    for key in ("exercise_timeouts", "exercise_settings"):
        mapping = course.grading.get(key)
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            raise CourseError(f"{course.path}: grading.{key} should map exercise ids to {'seconds' if key == 'exercise_timeouts' else 'their settings'}")
        for exercise_id, value in mapping.items():
            where = f"{course.path}: grading.{key}.{exercise_id}"
            if exercise_id not in declared:
                if complete:
                    raise CourseError(f"{where}: there is no exercise {exercise_id!r}")
                continue
            if key == "exercise_timeouts":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                    raise CourseError(f"{where} should be a number of seconds above 0, not {value!r}")
                continue
            known = declared[exercise_id].settings
            if not isinstance(value, dict) or not set(value) <= set(known):
                takes = ", ".join(known) if known else "no settings"
                raise CourseError(f"{where} should map setting names to values; {exercise_id} takes {takes}")


def _check_points(course: Course, assignments, declared) -> None:
    for a in assignments:
        listed = set(a.points)
        unknown = sorted(listed - set(declared))
        if unknown:
            raise CourseError(f"{course.path}: assignment {a.id} gives points to unknown exercises: {', '.join(unknown)}")
        wrong_home = sorted(e for e in listed if declared[e].assignment != a.id)
        if wrong_home:
            raise CourseError(f"{course.path}: {', '.join(wrong_home)} belong to another assignment than {a.id}")
        unlisted = sorted(e.id for e in declared.values() if e.assignment == a.id and e.id not in listed)
        if unlisted:
            raise CourseError(f"{course.path}: assignment {a.id} has no points for {', '.join(unlisted)}")
