"""The output folder of a grading run, written so that nothing is ever half-written.

Layout (see :mod:`autograder.grading`)::

    OUTPUT/seed                   secret seed of the hidden checks (0600), drawn once
    OUTPUT/reports/{name}.json    one per graded submission
    OUTPUT/feedback/{name}.md     one per graded submission (and .html beside it)
    OUTPUT/submissions.json       what discovery found per student (timestamp, LMS id, notes, notebook)
    OUTPUT/gradebook.csv          rebuilt at the end of every run

``{name}`` is the student id when it makes a safe file name, else a safe
name derived from it (:func:`safe_name`); the real id is always the report's
``"student"``, and the gradebook's.

Every file is written to a temporary file in the same folder, flushed to disk
(fsync) and renamed over the final name, so a grader killed at any moment
(even with SIGKILL) leaves either the old file or the new one.  The folders
are private to the grader's user (0700, files 0600).  A submission
counts as graded only when its report exists, parses, and belongs to this
student and assignment; anything else is graded again on the next run.  A
report of a grader failure (``"grader_error"``) is graded again on the next
run once; when the grader fails a second time it is kept as it is (the
report says so) so that one notebook the grader cannot handle is not graded
again and again; ``--force`` regrades it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from pathlib import Path

from ...report import Report

SEED_FILE = "seed"
REPORTS = "reports"
FEEDBACK = "feedback"
GRADEBOOK = "gradebook.csv"
MANIFEST = "submissions.json"
GRADER_ATTEMPTS = 2  # runs in which a grader failure is tried before it is kept
NAME_BYTES = 120  # longest file-name stem: room for suffixes and atomic_write's temporary names
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def safe_name(student: str) -> str:
    """A file-name stem for ``student``: the id itself when it is short and plain, else a
    readable prefix of it plus a hash of the whole id (so two ids never share a name)."""
    if student and not student.startswith((".", "-")) and not _SAFE.search(student) and len(student) <= NAME_BYTES:
        return student
    readable = _SAFE.sub("_", student).lstrip(".-")[:60] or "student"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable}-{digest}"


class StoreError(ValueError):
    """The output folder cannot be used as asked."""


def atomic_write(path: Path, data: bytes | str, mode: int = 0o600, *, sync_dir: bool = False) -> None:
    """Write ``data`` to ``path`` atomically: the old file or the new one, never a part.

    The data is fsync'ed before the rename, so even a power cut cannot leave
    a renamed but empty file.  ``sync_dir`` also makes the rename itself
    durable; without it a power cut may forget the newest files, which a
    rerun then simply grades again.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dumps_report(report: dict) -> str:
    """The one serialisation of a report (deterministic: same report, same bytes)."""
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


class Store:
    """Reads and writes one output folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.reports = self.root / REPORTS
        self.feedback = self.root / FEEDBACK
        self.gradebook = self.root / GRADEBOOK

    def create(self) -> None:
        for folder in (self.root, self.reports, self.feedback):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)  # grades are private; sandboxed learner code (another user under root) cannot look in
        for stale in list(self.reports.glob(".*.tmp")) + list(self.feedback.glob(".*.tmp")) + list(self.root.glob(".*.tmp")):
            try:  # left by a grader killed while writing
                stale.unlink()
            except OSError:
                pass

    # -- the secret seed -----------------------------------------------------
    @property
    def seed_path(self) -> Path:
        return self.root / SEED_FILE

    def stored_seed(self) -> int | None:
        try:
            text = self.seed_path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {self.seed_path}: {exc}") from None
        try:
            return int(text)
        except ValueError:
            raise StoreError(f"{self.seed_path} does not hold a seed; delete it and grade with --force") from None

    def seed(self, requested: int | None = None, *, force: bool = False) -> int:
        """The batch's seed: stored one, else ``requested``, else a fresh secret one.

        A seed that differs from the stored one would mix grades made with two
        sets of hidden checks, so it is refused unless ``force`` (which regrades all).
        """
        stored = self.stored_seed()
        if stored is not None and (requested is None or requested == stored):
            self._protect()
            return stored
        if stored is not None and not force and self.has_reports():
            raise StoreError(
                f"{self.root} holds grades made with another seed ({self.seed_path}); use --force to regrade everyone with the new one, or another --output"
            )
        seed = requested if requested is not None else secrets.randbits(63)
        atomic_write(self.seed_path, f"{seed}\n", mode=0o600, sync_dir=True)
        return seed

    def _protect(self) -> None:
        if self.seed_path.stat().st_mode & 0o077:
            os.chmod(self.seed_path, 0o600)

    # -- reports -------------------------------------------------------------
    def report_path(self, student: str) -> Path:
        return self.reports / f"{safe_name(student)}.json"

    def feedback_path(self, student: str) -> Path:
        return self.feedback / f"{safe_name(student)}.md"

    def feedback_html_path(self, student: str) -> Path:
        return self.feedback / f"{safe_name(student)}.html"

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    def load_manifest(self) -> dict[str, dict]:
        """student -> what discovery recorded (see :func:`write_manifest`); {} when absent or unreadable."""
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data.get("students", {}) if isinstance(data, dict) and isinstance(data.get("students"), dict) else {}

    def write_manifest(self, assignment: str, submissions_root: str, entries: dict[str, dict]) -> None:
        data = {"assignment": assignment, "submissions": submissions_root, "students": entries}
        atomic_write(self.manifest, json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")

    def has_reports(self) -> bool:
        return self.reports.is_dir() and any(p.suffix == ".json" for p in self.reports.iterdir())

    def load(self, student: str, assignment: str) -> dict | None:
        """The stored report of ``student``, or None when it must be graded (again)."""
        try:
            data = json.loads(self.report_path(student).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("student") != student or data.get("assignment") != assignment:
            return None
        if data.get("grader_error") and int(data.get("grader_attempts", 1) or 1) < GRADER_ATTEMPTS:
            return None  # the grader failed, not the learner: try again (once; see the module docstring)
        try:
            Report.from_dict(data)
        except (KeyError, TypeError, ValueError):
            return None
        return data

    def previous_attempts(self, student: str) -> int:
        """How many runs the grader already failed on ``student`` (0 when it never did)."""
        try:
            data = json.loads(self.report_path(student).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0
        if not isinstance(data, dict) or data.get("student") != student or not data.get("grader_error"):
            return 0
        return int(data.get("grader_attempts", 1) or 1)

    def save(self, report: dict, feedback: str, html: str | None = None) -> None:
        """Write one student's feedback, then report (the report marks it done)."""
        student = report["student"]
        atomic_write(self.feedback_path(student), feedback)
        if html is not None:
            atomic_write(self.feedback_html_path(student), html)
        atomic_write(self.report_path(student), dumps_report(report))
