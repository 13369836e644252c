"""nbgrader, driven from course.yml.

course.yml is the one place where the course is configured; this module
derives what nbgrader needs from it:

- :func:`config_text` / :func:`write_config`: ``nbgrader_config.py`` beside
  course.yml (course id, our folder names, the gradebook, the stubs and the
  timeouts), so that the plain ``nbgrader`` commands work in the course root.
- :func:`release`: the released notebooks in ``assignments/<id>/``, made by
  nbgrader's own ``generate_assignment`` in a throw-away course folder (no
  gradebook, log or caches left behind; the same solutions give
  byte-identical releases).
- :func:`sync_points` / :func:`points_disagreements`: course.yml's points
  written into / compared with the ``points`` of the check cells (grade id
  ``check_<exercise id>``) of the notebooks.
- :func:`sync_gradebook`: the assignments and their due dates registered in
  nbgrader's gradebook.
"""
from __future__ import annotations

import json
import re
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

from ...course import Assignment, Course, CourseError

CONFIG_NAME = "nbgrader_config.py"
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "assignments"
GRADEBOOK_NAME = "gradebook.db"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
CHECK_PREFIX = "check_"
EXCHANGE_DIRECTORY = "exchange"
#: nbgrader 0.9's Autograde.autograde_preprocessors, with Execute (the learner's
#: kernel) replaced by the hardened sandbox (autograder.frontends.nbgrader.autograde).
AUTOGRADE_PREPROCESSORS = [
    "autograder.frontends.nbgrader.autograde.SandboxGrade",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
#: nbgrader 0.9's Autograde.sanitize_preprocessors, after the instructor's cell metadata is
#: restored from the gradebook (autograder.frontends.nbgrader.submitted.RestoreCellMetadata):
#: nbgrader's own steps never see metadata a learner made (a repeated grade id ended the run).
SANITIZE_PREPROCESSORS = [
    "autograder.frontends.nbgrader.submitted.RestoreCellMetadata",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
#: nbgrader 0.9's GenerateFeedback.preprocessors, then the learner's raw cells and outputs made
#: inert (autograder.frontends.nbgrader.feedback), rendered by an exporter that sanitizes
#: Markdown and puts a Content-Security-Policy in the page.
FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.frontends.nbgrader.feedback.SanitizeFeedback",
]
FEEDBACK_EXPORTER = "autograder.frontends.nbgrader.feedback.FeedbackExporter"




def interpreter_scripts_on_path() -> None:
    """Put this interpreter's script folder on PATH, for the tools nbgrader runs.

    nbgrader creates and upgrades a gradebook by running the ``alembic``
    command, found on PATH; in a virtual environment that was not activated
    (``.venv/bin/autograder release``) it would not be found.
    """
    scripts = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if scripts not in parts:
        os.environ["PATH"] = os.pathsep.join([scripts, *filter(None, parts)])


# --------------------------------------------------------------------------- config

def _cell_timeout(course: Course) -> int:
    """Seconds nbgrader lets one cell run: a check cell runs the visible and the
    hidden checks of one exercise, each within ``exercise_timeout`` (inline
    ``check()``), so the whole submission's budget is the sensible ceiling."""
    grading = course.grading
    exercise = float(grading.get("exercise_timeout", 10))
    submission = float(grading.get("submission_timeout", 120))
    return int(max(submission, 3 * exercise))


def _settings(course: Course) -> list[tuple[str, str, Any, str]]:
    """(section, trait, value, comment) of every setting except the course root."""
    from ..grading.late import late_penalty_settings

    return [
        ("CourseDirectory", "course_id", course.id, "course.yml: id"),
        ("CourseDirectory", "source_directory", SOURCE_DIRECTORY, "instructor notebooks, with solutions and hidden tests"),
        ("CourseDirectory", "release_directory", RELEASE_DIRECTORY, "what learners get (made by `autograder release`)"),
        ("ClearSolutions", "code_stub", {"python": CODE_STUB}, "what replaces a solution; `autograder check` reports it as not-implemented"),
        ("ClearSolutions", "text_stub", TEXT_STUB, None),
        ("ClearSolutions", "enforce_metadata", True, None),
        ("Execute", "timeout", _cell_timeout(course), "seconds per cell: course.yml grading.submission_timeout"),
        ("Execute", "interrupt_on_timeout", True, None),
        ("Autograde", "sanitize_preprocessors", SANITIZE_PREPROCESSORS,
         "nbgrader's list after the instructor's cell metadata is restored: no learner's notebook stops the run"),
        ("Autograde", "autograde_preprocessors", AUTOGRADE_PREPROCESSORS,
         "nbgrader's list with Execute replaced: grading runs in autograder's sandbox, never in the learner's kernel"),
        ("GenerateFeedback", "preprocessors", FEEDBACK_PREPROCESSORS,
         "nbgrader's list, then the learner's raw cells and outputs made inert"),
        ("GenerateFeedback", "exporter_class", FEEDBACK_EXPORTER,
         "feedback pages: Markdown sanitized, no script runs (Content-Security-Policy)"),
        *late_penalty_settings(course),  # course.yml late: the same penalties as autograder grade (none when unset)
    ]


def config_text(course: Course) -> str:
    """The text of ``nbgrader_config.py`` for ``course`` (deterministic)."""
    lines = [
        f"# nbgrader configuration of the course {course.id!r}.",
        "#",
        f"# GENERATED from {course.path.name} by `autograder nbgrader-config`: do not edit;",
        f"# change {course.path.name} and run `autograder nbgrader-config` again.",
        "# The course root is the folder of this file, wherever the repository lives.",
        "import os",
        "",
        "c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)",
        "",
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))",
    ]
    for section, trait, value, comment in _settings(course):
        line = f"c.{section}.{trait} = {value!r}"
        lines.append(f"{line}  # {comment}" if comment else line)
    lines.append(f'c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, {GRADEBOOK_NAME!r})')
    lines.append(f"c.Exchange.root = os.path.join(c.CourseDirectory.root, {EXCHANGE_DIRECTORY!r})  # nbgrader release_assignment / collect, inside the course folder")
    lines += [
        "",
        "# nbgrader autograde: read submissions as `autograder grade` does (no link a learner made",
        "# is followed, nothing reached through one is copied; see autograder.frontends.nbgrader.submitted),",
        "# and start the sandbox's fork servers now, before nbgrader reads any submission (they are",
        "# copies of this process; see autograder.sandbox.servers).",
        "import sys  # noqa: E402",
        "",
        'if "autograde" in sys.argv[1:3]:',
        "    from autograder.frontends.nbgrader.autograde import start_servers",
        "    from autograder.frontends.nbgrader.submitted import install",
        "",
        "    install()",
        "    start_servers()",
    ]
    return "\n".join(lines) + "\n"


def write_config(course: Course) -> Path:
    """Write ``nbgrader_config.py`` beside course.yml (only when its text changes).

    Also makes what the configuration points at: the exchange folder inside
    the course folder, and the instructor's secret seed of the graded hidden
    checks (:meth:`~autograder.course.Course.secret_seed`), drawn once.
    """
    course.secret_seed()
    try:
        (course.root / EXCHANGE_DIRECTORY).mkdir(mode=0o755, exist_ok=True)
    except OSError as exc:
        raise CourseError(f"cannot create nbgrader's exchange folder {course.root / EXCHANGE_DIRECTORY}: {exc}") from None
    path = course.root / CONFIG_NAME
    text = config_text(course)
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CourseError(f"cannot read {path}: {exc}") from None
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CourseError(f"cannot write {path}: {exc}") from None
    return path


def nbgrader_config(course: Course, root: str | Path, db_url: str | None = None):
    """A traitlets Config equal to :func:`config_text`'s, for a course root elsewhere."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    for section, trait, value, _ in _settings(course):
        setattr(getattr(config, section), trait, value)
    config.CourseDirectory.db_url = db_url or "sqlite:///" + str(Path(root) / GRADEBOOK_NAME)
    config.Exchange.root = str(Path(root) / EXCHANGE_DIRECTORY)
    return config


# --------------------------------------------------------------------------- release

def _selected(course: Course, assignments: Iterable[str] | None) -> list[Assignment]:
    if not assignments:
        return list(course.assignments)
    return [course.assignment(a) for a in assignments]


def _solution(course: Course, a: Assignment) -> Path:
    folder = course.source_dir(a.id)
    if not folder.is_dir():
        raise CourseError(f"{course.path}: assignment {a.id} has no folder {folder}")
    notebook = folder / a.notebook
    if not notebook.is_file():
        raise CourseError(f"{course.path}: assignment {a.id} names the notebook {a.notebook}, but {notebook} does not exist")
    return notebook


def submissions_of(course: Course, assignment_id: str, db_url: str | None = None) -> list[str]:
    """Students who have submitted ``assignment_id`` (in submitted/, autograded/ or the gradebook)."""
    found = set()
    for folder in ("submitted", "autograded"):
        base = course.root / folder
        if base.is_dir():
            found |= {d.name for d in base.iterdir() if (d / assignment_id).is_dir()}
    db_url = db_url or default_db_url(course)
    db_file = Path(db_url[len("sqlite:///"):]) if db_url.startswith("sqlite:///") else None
    if db_file is None or db_file.is_file():
        from nbgrader.api import Gradebook, MissingEntry

        try:
            with Gradebook(db_url, course_id=course.id) as gb:
                found |= {s.student.id for s in gb.assignment_submissions(assignment_id)}
        except MissingEntry:
            pass
    return sorted(found)


def _generate(course: Course, a: Assignment, root: Path, db_url: str) -> Path:
    """nbgrader's generate_assignment of ``a`` in the throw-away course ``root``; the built folder."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(course, root, db_url)
    config.NbGraderAPI.log_level = logging.WARNING
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = api.generate_assignment(a.id, force=True, create=True)
    if not result.get("success"):
        detail = (result.get("error") or "") + (result.get("log") or "")
        raise CourseError(f"nbgrader generate_assignment failed for {a.id}:\n{detail.strip()}")
    return root / RELEASE_DIRECTORY / a.id


def release(course: Course, assignments: Iterable[str] | None = None, *, dest: str | Path | None = None,
            force: bool = False, db_url: str | None = None) -> list[Path]:
    """Regenerate the released notebooks with nbgrader's ``generate_assignment``.

    For each assignment, the notebook and the data files that course.yml lists
    are copied from ``solutions/<id>/`` into a temporary nbgrader course and
    generated there; the released notebook and data files are copied to
    ``assignments/<id>/`` (or ``dest/<id>/``).  A released folder is never
    deleted, and nothing else in it is touched.

    Releasing into the course (no ``dest``) also registers the assignment,
    its notebooks and their graded cells in nbgrader's gradebook, as
    ``nbgrader generate_assignment`` would (so that ``nbgrader autograde``
    finds them), and its due date from course.yml.  When students have
    already submitted the assignment, a release that would change what they
    answered is refused unless ``force``: their submissions were made
    against the notebook that is there now.

    Refuses when course.yml's points and the solution's disagree (run
    ``autograder sync-points``).  Returns the written paths.
    """
    interpreter_scripts_on_path()
    selected = _selected(course, assignments)
    for a in selected:
        _solution(course, a)
    problems = [p for a in selected for p in _disagreements(course, a, released=False)]
    if problems:
        raise CourseError("points in course.yml and the solution notebooks disagree (run `autograder sync-points`):\n  " + "\n  ".join(problems))
    registering = dest is None
    real_db = db_url or default_db_url(course)
    written: list[Path] = []
    for a in selected:
        with tempfile.TemporaryDirectory(prefix="autograder-release-") as tmp:
            root = Path(tmp)
            source = root / SOURCE_DIRECTORY / a.id
            source.mkdir(parents=True)
            shutil.copyfile(_solution(course, a), source / a.notebook)
            files = course.data_files(a.id)
            for name, data in files.items():
                (source / name).write_bytes(data)
            students = submissions_of(course, a.id, real_db) if registering else []
            # Generated against a private gradebook first when submissions exist: the real
            # one is touched only once we know the release may go ahead.
            built = _generate(course, a, root, real_db if registering and not students else "sqlite:///" + str(root / GRADEBOOK_NAME))
            target = Path(dest) / a.id if dest is not None else course.release_dir(a.id)
            new = {}
            for name in [a.notebook, *files]:
                if not (built / name).is_file():
                    raise CourseError(f"nbgrader generate_assignment made no {name} for {a.id}")
                new[name] = (built / name).read_bytes()
            new[a.notebook] = value_stubs(new[a.notebook])
            changed = [name for name, data in new.items() if not (target / name).is_file() or (target / name).read_bytes() != data]
            if students:
                if changed and not force:
                    shown = ", ".join(students[:5]) + (f" and {len(students) - 5} more" if len(students) > 5 else "")
                    raise CourseError(
                        f"{a.id} already has submissions ({len(students)}: {shown}); releasing it again would change "
                        f"{', '.join(changed)}, which they answered as it is now in {target}. Nothing was changed. "
                        f"To release the new version anyway (existing submissions keep their notebooks; autograde them again "
                        f"to grade them against the new tests), run `autograder release {a.id} --force`."
                    )
                _generate(course, a, root, real_db)  # register (same cells, or forced)
            target.mkdir(parents=True, exist_ok=True)
            for name, data in new.items():
                out = target / name
                if name in changed:
                    out.write_bytes(data)
                written.append(out)
    if registering:
        sync_gradebook(course, real_db, [a.id for a in selected])
    return written


#: A released answer cell's stub that raises at top level, and a value the cell leaves at None.
_TOP_RAISE = re.compile(r"^raise NotImplementedError\(\)[ \t]*$", re.M)
_NONE_VALUE = re.compile(r"^[A-Za-z_]\w*\s*=\s*None\b", re.M)


def value_stubs(notebook: bytes) -> bytes:
    """The released notebook with its value stubs left at None: in an answer cell that assigns its
    answers None (``max_stable_lr = None  # ...``), nbgrader's ``raise NotImplementedError()`` at top
    level is dropped, so that "Run All" on the untouched notebook reaches its last cell (a function's
    stub raises inside the function, only when called, and stays).  The grader reports values still
    None as not written yet."""
    nb = json.loads(notebook.decode("utf-8"))
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if _TOP_RAISE.search(source) and _NONE_VALUE.search(source):
            kept = "\n".join(line for line in source.split("\n") if not _TOP_RAISE.match(line)).rstrip("\n")
            cell["source"] = kept.splitlines(True) if isinstance(cell["source"], list) else kept
            changed = True
    if not changed:
        return notebook
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": ")) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- points

def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CourseError(f"cannot read the notebook {path}: {exc}") from None


def _write_json(path: Path, nb: dict) -> None:
    # nbformat's own layout, so that nothing but the changed values moves
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": ")) + "\n", encoding="utf-8")


def _check_cells(nb: dict) -> dict[str, dict]:
    """grade_id -> cell, for the graded cells of a notebook."""
    out = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            out[meta["grade_id"]] = cell
    return out


def _notebooks(course: Course, a: Assignment, released: bool) -> list[Path]:
    paths = [course.source_dir(a.id) / a.notebook]
    if released and (course.release_dir(a.id) / a.notebook).is_file():
        paths.append(course.release_dir(a.id) / a.notebook)
    return paths


def _disagreements(course: Course, a: Assignment, released: bool = True) -> list[str]:
    problems = []
    for path in _notebooks(course, a, released):
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        cells = _check_cells(_read_json(path))
        for exercise_id, points in a.points.items():
            cell = cells.get(CHECK_PREFIX + exercise_id)
            if cell is None:
                problems.append(f"{path}: no graded cell {CHECK_PREFIX}{exercise_id} for the {points:g} point(s) course.yml gives {exercise_id}")
                continue
            have = cell["metadata"]["nbgrader"].get("points")
            if not isinstance(have, (int, float)) or float(have) != float(points):
                problems.append(f"{path}: {CHECK_PREFIX}{exercise_id} has {have!r} point(s), course.yml gives {points:g}")
        for grade_id, cell in cells.items():
            if grade_id.removeprefix(CHECK_PREFIX) not in a.points:
                problems.append(f"{path}: graded cell {grade_id} ({cell['metadata']['nbgrader'].get('points')!r} point(s)) has no points in course.yml")
    return problems


def points_disagreements(course: Course) -> list[str]:
    """Every place where a notebook's nbgrader points differ from course.yml's.

    Looks at the solution notebooks and, where they exist, the released ones.
    """
    return [p for a in course.assignments for p in _disagreements(course, a)]


def _as_points(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def sync_points(course: Course) -> list[Path]:
    """Write course.yml's points into the solution notebooks' check cells.

    Returns the notebooks that changed.  Released notebooks take the points
    from the solutions at the next ``autograder release``.
    """
    changed = []
    for a in course.assignments:
        path = _solution(course, a)
        nb = _read_json(path)
        cells = _check_cells(nb)
        missing = [e for e in a.points if CHECK_PREFIX + e not in cells]
        if missing:
            raise CourseError(f"{path} has no graded cell for {', '.join(CHECK_PREFIX + e for e in missing)}; add one (nbgrader 'Autograder tests', grade id check_<exercise id>)")
        extra = [g for g in cells if g.removeprefix(CHECK_PREFIX) not in a.points]
        if extra:
            raise CourseError(f"{path}: graded cell(s) {', '.join(extra)} have no points in {course.path}")
        dirty = False
        for exercise_id, points in a.points.items():
            meta = cells[CHECK_PREFIX + exercise_id]["metadata"]["nbgrader"]
            if not isinstance(meta.get("points"), (int, float)) or float(meta["points"]) != float(points):
                meta["points"] = _as_points(points)
                dirty = True
        if dirty:
            _write_json(path, nb)
            changed.append(path)
    return changed


# --------------------------------------------------------------------------- gradebook

def default_db_url(course: Course) -> str:
    return "sqlite:///" + str(course.root / GRADEBOOK_NAME)


def sync_gradebook(course: Course, db_url: str | None = None, assignments: Iterable[str] | None = None) -> list[str]:
    """Register every assignment of course.yml, with its due date, in nbgrader's gradebook.

    Returns one line per assignment saying what was done.  Assignments in the
    gradebook that course.yml no longer lists are reported, never deleted.
    """
    interpreter_scripts_on_path()
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.utils import parse_utc

    db_url = db_url or default_db_url(course)
    if db_url.startswith("sqlite:///"):
        folder = Path(db_url[len("sqlite:///"):]).parent
        if not folder.is_dir():
            raise CourseError(f"cannot open the gradebook {db_url}: no folder {folder}")
    lines = []
    try:
        with Gradebook(db_url, course_id=course.id) as gb:
            for a in _selected(course, assignments):
                try:
                    due = parse_utc(a.due) if a.due else None
                except (ValueError, OverflowError) as exc:
                    raise CourseError(f"{course.path}: assignment {a.id} has a due date nbgrader cannot read ({a.due!r}): {exc}") from None
                try:
                    existing = gb.find_assignment(a.id)
                except MissingEntry:
                    gb.add_assignment(a.id, duedate=due, course_id=course.id)
                    lines.append(f"{a.id}: added, due {_fmt_due(due)}")
                    continue
                if existing.duedate == due:
                    lines.append(f"{a.id}: already registered, due {_fmt_due(due)}")
                else:
                    before = existing.duedate
                    existing.duedate = due
                    gb.db.commit()
                    lines.append(f"{a.id}: due date changed from {_fmt_due(before)} to {_fmt_due(due)}")
            listed = {a.id for a in course.assignments}
            for stale in gb.assignments:
                if stale.name not in listed:
                    lines.append(f"{stale.name}: in the gradebook but not in {course.path.name} (left as it is)")
    except CourseError:
        raise
    except Exception as exc:  # sqlalchemy / nbgrader errors: one clear line
        raise CourseError(f"cannot update the gradebook {db_url}: {type(exc).__name__}: {exc}") from None
    return lines


def _fmt_due(due) -> str:
    return due.strftime("%Y-%m-%d %H:%M:%S UTC") if due else "(no due date)"


# --------------------------------------------------------------------------- submissions

def solution_answers(solution: str | Path) -> dict[str, str]:
    """grade_id -> answer of every solution cell of an instructor notebook,
    as a learner would type it (the ``### BEGIN/END SOLUTION`` lines dropped)."""
    nb = _read_json(Path(solution))
    answers = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            kept = [line for line in source.split("\n") if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
            answers[meta["grade_id"]] = "\n".join(kept)
    return answers


def answered_notebook(released: str | Path, target: str | Path, answers: dict[str, str]) -> Path:
    """A submission: the released notebook with the answer cells named by grade_id filled in."""
    import nbformat

    nb = nbformat.read(str(released), as_version=4)
    found = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            if not cell["metadata"]["nbgrader"].get("solution"):
                raise CourseError(f"{released}: cell {grade_id} is not an answer cell")
            cell.source = answers[grade_id]
            found.add(grade_id)
    missing = set(answers) - found
    if missing:
        raise CourseError(f"{released} has no answer cell {', '.join(sorted(missing))}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))
    return target
