"""What ``nbgrader autograde`` reads of a submission: what ``autograder grade`` reads, nothing more.

nbgrader 0.9's ``Autograde`` trusts the submitted folder.  Before grading a
student it copies every file of ``submitted/STUDENT/ASSIGNMENT/`` but the
notebooks into ``autograded/`` with ``shutil.copy``, which follows links (a
"data file" that is a link to the course's ``secret_seed`` lands in
``autograded/`` and then in the student's ``feedback/``); it reads the
notebook with nbformat, following links too (a link to a classmate's notebook
or to the solution is graded as the student's own); and its sanitize
preprocessors stop on cell metadata a learner can edit: a copy-pasted check
cell leaves ``DeduplicateIds`` an empty ``nbgrader`` entry that
``CheckCellMetadata`` reports as an outdated schema, which ends the whole run
(every student after it is not graded); an answer cell flagged
``grade: true`` makes ``SaveAutoGrades`` fail for that student.

:class:`HardenedAutograde`, which ``nbgrader_config.py`` installs for
``nbgrader autograde`` (:func:`install`), replaces those two reads:

- the learner's files are copied without following any link
  (:mod:`autograder.notebook.files`): a link, a special file or a file with
  several hard links (which may be the secret seed) is not copied, and the
  log says so;
- the notebook is read as ``autograder grade`` reads it
  (:func:`~autograder.notebook.load.read_notebook` without following links,
  the refusals of :mod:`autograder.frontends.grading.discover`, course.yml's
  bound on the file's size).
  ``SandboxGrade`` grades exactly that notebook, so both commands give every
  student the same score; a refused or unreadable notebook scores 0 with the
  reason in every check cell's verdict.  What nbgrader's preprocessors process
  is a copy of it, which only carries the verdicts: when they fail on it
  anyway, a stand-in notebook carries them instead, and that student is
  graded all the same;
- ``timestamp.txt`` is read without following links; one that is not a date
  counts as no timestamp (as ``autograder grade`` does), where nbgrader's own
  reading fails that student (it calls a ``CourseDirectory.fail`` that does
  not exist).

:class:`RestoreCellMetadata`, first of ``Autograde.sanitize_preprocessors``,
gives every cell the nbgrader metadata the instructor's notebook gives it in
the gradebook (grade, solution, locked, task, points, cell type): a grade id
the gradebook does not know, or one that another cell of the notebook keeps
(the first of the instructor's cell type), loses its nbgrader metadata
altogether; so nbgrader's own sanitize preprocessors never see metadata a
learner made.
"""
from __future__ import annotations

import copy
import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import find_all_files
from sqlalchemy.exc import SQLAlchemyError

from ...notebook.files import UnsafeFile, hard_links, open_regular
from ...notebook.load import NotebookError, read_notebook
from ..grading.discover import refused, visible
from ..grading.late import read_timestamp

#: how much of timestamp.txt is read (a date is a few dozen bytes)
TIMESTAMP_LIMIT = 4096


@dataclass
class Submitted:
    """One submitted notebook as ``autograder grade`` reads it."""

    raw: dict | None = None  # the notebook, parsed as autograder grade parses it
    problem: str = ""  # why it is not graded, as discovery says it (a link, a special file)
    unreadable: str = ""  # why it could not be read (not JSON, not a notebook)

    @property
    def refused(self) -> bool:
        return self.raw is None

    def reason(self) -> str:
        return self.problem or self.unreadable

    def report(self, *, course, assignment_id: str, label: str):
        """The report of a notebook that is not graded: 0 on every exercise, and why, as `autograder grade` says it."""
        from ...exercises import for_assignment
        from ...pipeline import unreadable
        from ...report import Report

        info = course.assignment(assignment_id)
        exercises = for_assignment(assignment_id)
        results = unreadable(exercises, self.unreadable or self.problem)
        if self.problem:
            for result in results.values():
                result.feedback = self.problem + "."
        report = Report(label, assignment_id)
        for ex in exercises:
            report.add(results[ex.id], info.points[ex.id])
        return report


def submitted_for(preprocessor, resources: dict) -> Submitted | None:
    """What :class:`HardenedAutograde` read of the notebook ``preprocessor`` is converting (None: another converter)."""
    converter = getattr(getattr(preprocessor, "parent", None), "parent", None)
    lookup = getattr(converter, "submitted_notebook", None)
    meta = resources.get("nbgrader", {})
    return lookup(meta.get("student"), meta.get("assignment"), meta.get("notebook")) if callable(lookup) else None


def install() -> None:
    """Make ``nbgrader autograde`` use :class:`HardenedAutograde` (called by nbgrader_config.py).

    nbgrader's ``AutogradeApp.start`` makes its converter from the name
    ``Autograde`` of its own module, with no setting to choose another class.
    """
    import nbgrader.apps.autogradeapp as app

    app.Autograde = HardenedAutograde


class _LearnerFiles(BaseConverter):
    """``BaseConverter``'s two reads of a learner's files, without following links.

    In :class:`HardenedAutograde`'s method order this class comes right after
    ``Autograde`` and before ``BaseConverter``: ``Autograde``'s own calls to
    ``super().init_assignment`` and ``super().convert_single_notebook`` land
    here, and nbgrader's versions, which follow links, never run.
    """

    def _trusted(self, step: str) -> str:
        """The folder of one nbgrader step (``submitted/``): the instructor's; below it, the learners'."""
        return os.path.normpath(self.coursedir.format_path(step, ".", "."))

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        source = self._format_source(assignment_id, student_id)
        dest = self._format_dest(assignment_id, student_id)
        under = self._trusted(self._input_directory)
        for filename in find_all_files(source, self.coursedir.ignore + ["*.ipynb"]):  # the files nbgrader copies
            shown = visible(os.path.relpath(filename, under))
            try:
                fd = open_regular(filename, under=under)
            except UnsafeFile as exc:
                self.log.warning("autograder: not copied: %s", visible(str(exc)))
                continue
            except OSError as exc:
                self.log.warning("autograder: not copied: %s cannot be read (%s)", shown, exc.strerror or exc)
                continue
            with os.fdopen(fd, "rb") as handle:
                links = os.fstat(handle.fileno()).st_nlink
                if links > 1:
                    self.log.warning("autograder: not copied: %s has %d hard links (the same file is also elsewhere on this disk)", shown, links)
                    continue
                path = os.path.join(dest, os.path.relpath(filename, source))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.lexists(path):
                    os.remove(path)
                self.log.info("Copying %s -> %s", filename, path)
                with open(path, "xb") as out:
                    while chunk := handle.read(1 << 20):
                        out.write(chunk)

    def convert_single_notebook(self, notebook_filename: str) -> None:
        resources = self.init_single_notebook_resources(notebook_filename)
        nb, mtime = self.notebook_to_convert(notebook_filename, resources)
        _file_metadata(resources, notebook_filename, mtime)
        try:
            output, resources = self.exporter.from_notebook_node(nb, resources)
        except SQLAlchemyError:
            raise  # the gradebook's trouble, not the notebook's: nbgrader reports it
        except Exception as exc:  # noqa: BLE001 - one notebook's trouble is that student's, never the run's
            standin = self.when_conversion_fails(notebook_filename, resources, exc)
            if standin is None:
                raise
            resources = self.init_single_notebook_resources(notebook_filename)
            _file_metadata(resources, notebook_filename, mtime)
            output, resources = self.exporter.from_notebook_node(standin, resources)
        self.write_single_notebook(output, resources)

    def notebook_to_convert(self, notebook_filename: str, resources: dict):
        """(notebook, mtime) of ``notebook_filename``, read without following links."""
        fd = open_regular(notebook_filename, under=self._trusted(self._input_directory))
        with os.fdopen(fd, "rb") as handle:
            mtime = os.fstat(handle.fileno()).st_mtime
            return nbformat.reads(handle.read().decode("utf-8"), as_version=4), mtime

    def when_conversion_fails(self, notebook_filename: str, resources: dict, exc: Exception):
        """A notebook to convert instead when nbconvert's preprocessors raised (None: let it raise)."""
        return None


def _file_metadata(resources: dict, filename: str, mtime: float) -> None:
    """What nbconvert's ``Exporter.from_filename`` records of the file."""
    meta = resources.setdefault("metadata", {})
    path, basename = os.path.split(filename)
    meta["name"] = os.path.splitext(basename)[0]
    meta["path"] = path
    meta["modified_date"] = datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc).strftime("%B %-d, %Y")


class HardenedAutograde(Autograde, _LearnerFiles):
    """nbgrader's ``Autograde``, reading submissions as ``autograder grade`` does (see the module docstring)."""

    def start(self) -> None:
        self._submitted: dict[tuple[str, str, str], Submitted] = {}
        coursedir = self.coursedir
        had = "get_existing_timestamp" in vars(coursedir)
        original = coursedir.get_existing_timestamp
        coursedir.get_existing_timestamp = self._existing_timestamp  # nbgrader's follows links, fails a student on a bad date
        try:
            super().start()
        finally:
            if had:
                coursedir.get_existing_timestamp = original
            else:
                del coursedir.get_existing_timestamp

    # -- what SandboxGrade grades

    def submitted_notebook(self, student: str, assignment: str, notebook: str) -> Submitted | None:
        """The notebook of ``student`` as read when it was sanitized (None: not read by this converter)."""
        return self._submitted.get((student, assignment, notebook))

    def notebook_to_convert(self, notebook_filename: str, resources: dict):
        if not self._sanitizing:  # the autograde pass reads what the sanitize pass wrote
            return super().notebook_to_convert(notebook_filename, resources)
        meta = resources["nbgrader"]
        under = self._trusted(self.coursedir.submitted_directory)
        label = visible(os.path.relpath(notebook_filename, under))
        raw = None
        why = refused(notebook_filename, under)
        too_big = "" if why else self._file_refusal(notebook_filename, meta["assignment"])
        if why:
            submitted = Submitted(problem=why)
        elif too_big:
            submitted = Submitted(unreadable=too_big)
        else:
            try:
                raw = read_notebook(notebook_filename, follow_links=False, under=under)
                submitted = Submitted(raw=raw)
            except NotebookError as exc:
                submitted = Submitted(unreadable=str(exc).replace(os.path.dirname(notebook_filename) + os.sep, ""))
        self._submitted[(meta["student"], meta["assignment"], meta["notebook"])] = submitted
        links = hard_links(notebook_filename) if raw is not None else 0
        if links > 1:
            self.log.warning("autograder: %s has %d hard links: the same file is also elsewhere on this disk (maybe in "
                             "another submission); check whose work it is", label, links)
        try:
            mtime = os.lstat(notebook_filename).st_mtime
        except OSError:
            mtime = 0.0
        if submitted.refused:
            self.log.warning("autograder: %s is not graded: %s", label, submitted.reason())
            return _standin(f"This submission was not graded: {submitted.reason()}."), mtime
        try:
            # what nbgrader itself would have read from the file
            return nbformat.reads(json.dumps(raw), as_version=4), mtime
        except Exception as exc:  # noqa: BLE001 - nbformat raises several types
            self.log.warning("autograder: %s could not be kept as a notebook (%s); its verdicts are given in a stand-in", label, exc)
            return _kept_elsewhere(exc), mtime

    def _file_refusal(self, notebook_filename: str, assignment_id: str) -> str:
        """Why the file is too large to read, under course.yml's bounds, as `autograder grade` says it ('' when it is not)."""
        from ...course import CourseError
        from ...sandbox.session import Limits
        from .autograde import _course

        try:
            bounds = Limits.from_settings(_course(Path(self.coursedir.root), assignment_id).grading).bounds()
            size = os.lstat(notebook_filename).st_size
        except (CourseError, OSError):
            return ""  # SandboxGrade reports a course it cannot read; read_notebook a file it cannot read
        return bounds.file_refusal(Path(notebook_filename).name, size)

    def when_conversion_fails(self, notebook_filename: str, resources: dict, exc: Exception):
        if not self._sanitizing:
            return None
        label = visible(os.path.relpath(notebook_filename, self._trusted(self.coursedir.submitted_directory)))
        self.log.warning("autograder: nbgrader could not sanitize %s (%s: %s); it is graded as submitted and its "
                         "verdicts are given in a stand-in notebook", label, type(exc).__name__, exc)
        return _kept_elsewhere(exc)

    def convert_single_notebook(self, notebook_filename: str) -> None:
        meta = self.init_single_notebook_resources(notebook_filename)["nbgrader"]
        try:
            super().convert_single_notebook(notebook_filename)  # both passes: sanitize, then autograde
        finally:
            self._submitted.pop((meta["student"], meta["assignment"], meta["notebook"]), None)

    # -- timestamps

    def _existing_timestamp(self, dest_path: str):
        """nbgrader's ``CourseDirectory.get_existing_timestamp``, without following links, never ending the run."""
        from nbgrader.utils import parse_utc

        path = os.path.join(dest_path, "timestamp.txt")
        if not os.path.lexists(path):
            return None
        under = None
        for step in (self.coursedir.submitted_directory, self.coursedir.autograded_directory):
            folder = self._trusted(step)
            if os.path.abspath(path).startswith(folder + os.sep):
                under = folder
        try:
            fd = open_regular(path, under=under)
        except (UnsafeFile, OSError) as exc:
            self.log.warning("autograder: no submission time for %s: %s", visible(dest_path), visible(str(exc)))
            return None
        with os.fdopen(fd, "rb") as handle:
            if os.fstat(handle.fileno()).st_nlink > 1:
                self.log.warning("autograder: no submission time for %s: timestamp.txt has several hard links (the same "
                                 "file is also elsewhere on this disk), so it was not read", visible(dest_path))
                return None
            stamp, trouble = read_timestamp(handle.read(TIMESTAMP_LIMIT).decode("utf-8", errors="replace"))
        if trouble:
            self.log.warning("autograder: %s: %s", visible(dest_path), trouble)
            return None
        if not stamp:
            return None
        try:
            return parse_utc(stamp)
        except (ValueError, OverflowError):
            self.log.warning("autograder: %s: timestamp.txt holds a date nbgrader cannot read; no submission time", visible(dest_path))
            return None


def _standin(message: str):
    """A notebook that carries only a message (SandboxGrade adds every check cell with its verdict)."""
    nb = new_notebook()
    nb.cells.append(new_markdown_cell(message))
    return nb


def _kept_elsewhere(exc: Exception):
    return _standin("Your notebook was graded as you submitted it, but it could not be copied here "
                    f"({type(exc).__name__}); the verdict of every check is below.")


class RestoreCellMetadata(NbGraderPreprocessor):
    """The instructor's nbgrader metadata on every cell (see the module docstring)."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gb:
            try:
                source = gb.find_notebook(meta["notebook"], meta["assignment"])
            except MissingEntry:
                return nb, resources  # nbgrader skips notebooks it does not know
            known = _instructor_cells(source)
        keep = _kept_cells(nb, known)
        for index, cell in enumerate(nb.cells):
            if not isinstance(cell.get("metadata"), dict):
                cell["metadata"] = nbformat.NotebookNode()
            data = cell.metadata.get("nbgrader")
            if data is None:
                continue
            grade_id = data.get("grade_id") if isinstance(data, dict) else None
            if not isinstance(grade_id, str) or grade_id not in known or keep.get(grade_id) != index:
                del cell.metadata["nbgrader"]
                if isinstance(grade_id, str) and grade_id in keep:
                    self.log.warning("autograder: cell %d repeats the grade id %r; it is kept as a plain cell", index + 1, grade_id)
                elif isinstance(grade_id, str):
                    self.log.warning("autograder: cell %d has a grade id the gradebook does not know (%r); it is kept as a plain cell", index + 1, grade_id)
                continue
            cell_type, restored = known[grade_id]
            if cell.get("cell_type") != cell_type:
                _retype(cell, cell_type)
            if any(data.get(key) != value for key, value in restored.items()):
                self.log.warning("autograder: cell %d (%s) had nbgrader metadata other than the instructor's; restored", index + 1, grade_id)
            cell.metadata["nbgrader"] = nbformat.from_dict(copy.deepcopy(restored))
        return nb, resources


def _kept_cells(nb, known: dict) -> dict[str, int]:
    """grade id -> the one cell that keeps it: the first of the instructor's cell type, else the first."""
    keep: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        data = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
        grade_id = data.get("grade_id") if isinstance(data, dict) else None
        if not isinstance(grade_id, str) or grade_id not in known:
            continue
        if grade_id not in keep:
            keep[grade_id] = index
        elif nb.cells[keep[grade_id]].get("cell_type") != known[grade_id][0] and cell.get("cell_type") == known[grade_id][0]:
            keep[grade_id] = index
    return keep


def _instructor_cells(notebook) -> dict[str, tuple[str, dict]]:
    """grade id -> (cell type, nbgrader metadata) of the instructor's cells, from the gradebook."""
    grades = {c.name: c for c in notebook.grade_cells}
    solutions = {c.name for c in notebook.solution_cells}
    tasks = {c.name: c for c in notebook.task_cells}
    out = {}
    for cell in notebook.source_cells:
        data = {
            "grade": cell.name in grades, "grade_id": cell.name, "locked": bool(cell.locked), "schema_version": 3,
            "solution": cell.name in solutions, "task": cell.name in tasks,
        }
        if cell.name in grades or cell.name in tasks:
            score = (grades.get(cell.name) or tasks.get(cell.name)).max_score
            data["points"] = int(score) if float(score).is_integer() else float(score)
        out[cell.name] = (cell.cell_type, data)
    return out


def _retype(cell, cell_type: str) -> None:
    """Give ``cell`` back the instructor's cell type, with the fields that type has."""
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
