"""The trusted side of a sandbox: start the child, feed it, read plain data back.

A :class:`Session` runs one submission.  It implements the evaluator's
:class:`~autograder.engine.outcome.Caller`: it looks names up and calls
functions in the child, enforcing wall-clock limits, and restarts the child
(skipping the cell that ended it) when a cell or a call kills or stalls it, so
that one bad cell costs only the exercises that depend on it.

What the trusted side holds for a submission is bounded: every message from
the child is read only up to a size decided beforehand (per call: a few megabytes
plus a multiple of what was sent; per exercise: a cap on the sum), and counted
as what it becomes once decoded (:func:`~autograder.engine.codec.decoded_size`:
~1 MB of ``[[0],[0],...]`` is ~40 MB of Python objects), so that a small
submission cannot make the grader decode and keep gigabytes.  The grader's own
time on the submission (reading and parsing its notebook) comes out of the
submission's time.  Files go
to the child and come back through the pipe; the trusted side never reads or
writes a folder the child can change.
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..engine import codec
from ..engine.result import ERROR, MISSING, NOT_IMPLEMENTED, TIMEOUT
from ..engine.outcome import Call, NameInfo, Outcome, Raised, mentions_workpath
from ..notebook.load import Bounds, Program, ProgramCell, imported_modules
from . import child, confine, cpuclock, identity, servers

MAX_MESSAGE = child.MAX_MESSAGE
MAX_OUTPUT_FILE = 32 * 1024 * 1024
#: what one answer may take, decoded (:func:`~autograder.engine.codec.decoded_size`), beyond a multiple of its call's own size
CALL_REPLY_BASE = 4 * 1024 * 1024
CALL_REPLY_FACTOR = 16  # a compressed image in, its float64 pixels out
#: what all the answers of one exercise may take together, decoded (Limits.answers_mb; honest: under 2 MB)
EXERCISE_REPLY_LIMIT = 32 * 1024 * 1024
#: what a lookup of names or a message about a cell may take, decoded
LOOKUP_REPLY_LIMIT = 8 * 1024 * 1024
CELL_MESSAGE_LIMIT = 64 * 1024
MB = 1024 * 1024
#: lines about the notebook's cells that a report carries (the first ones, then how many more)
MAX_PROBLEMS = 10
#: how often the disk quota is checked when the child has no private tmpfs
DISK_POLL_SECONDS = 0.2


class SandboxError(RuntimeError):
    """The sandbox itself could not work (a grader problem, not the learner's)."""


@dataclass(frozen=True)
class Limits:
    """Limits of one sandboxed child (course.yml's ``grading`` section)."""

    exercise_timeout: float = 10.0
    submission_timeout: float = 120.0
    memory_mb: int = 1024
    max_file_mb: int = 16
    max_processes: int = 64
    #: all the files one submission may write, together (a private tmpfs, or a watch)
    disk_mb: int = 64
    #: kernel confinement (Landlock, PID namespace) where the kernel offers it
    confine: bool = True
    #: what the grader takes on of a notebook before parsing it (:class:`~autograder.notebook.load.Bounds`)
    max_notebook_mb: float = Bounds.max_notebook_mb
    max_cells: int = Bounds.max_cells
    max_cell_kb: float = Bounds.max_cell_kb
    max_code_kb: float = Bounds.max_code_kb
    max_nesting: int = Bounds.max_nesting
    #: what the answers of one exercise may take in the grader's memory, decoded
    answers_mb: float = EXERCISE_REPLY_LIMIT // MB
    #: exercises whose checks may take longer than ``exercise_timeout`` (all of them together), by id
    exercise_timeouts: dict = field(default_factory=dict)
    #: what an exercise's checks are run with, by id (course.yml's ``grading.exercise_settings``:
    #: train's epochs and learning rate); carried here so that every grader, on any worker, has them
    exercise_settings: dict = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: dict) -> "Limits":
        known = {f: settings[f] for f in cls.__dataclass_fields__ if f in settings}
        return cls(**known)

    def timeout_for(self, exercise_id: str) -> float:
        """Seconds for all the checks of ``exercise_id``."""
        return float((self.exercise_timeouts or {}).get(exercise_id, self.exercise_timeout))

    def settings_for(self, exercise_id: str) -> dict:
        """course.yml's settings of ``exercise_id`` (empty when it sets none)."""
        return dict((self.exercise_settings or {}).get(exercise_id) or {})

    def bounds(self) -> Bounds:
        """The notebook's bounds (checked before anything of it is parsed)."""
        return Bounds(self.max_notebook_mb, self.max_cells, self.max_cell_kb, self.max_code_kb, self.max_nesting)

    @property
    def answers_bytes(self) -> int:
        return int(self.answers_mb * MB)


_START_LOCK = threading.RLock()


def context():
    """The multiprocessing context of the sandbox (see :mod:`autograder.sandbox.servers`)."""
    return servers.context()


def _server(seal: tuple[str, ...] = (), imports=None):
    """The running fork server for children sealed against ``seal`` (none: an unsealed one
    that has loaded what a program importing ``imports`` needs)."""
    if not seal:
        return servers.generic(imports)
    return servers.sealed(seal, _starting, imports)


def warm_up(seals=((),), imports=None) -> None:
    """Start the fork servers now rather than on the first submission (for programs
    importing ``imports``; None: any)."""
    for seal in seals:
        _server(tuple(seal), imports)


_ROOTS: list[str] | None = None


def _readable_roots() -> list[str]:
    """What a child may read (decided here, on the trusted side, once)."""
    global _ROOTS
    if _ROOTS is None:
        _ROOTS = confine.readable_roots()
    return _ROOTS


@contextlib.contextmanager
def _starting(server):
    """Start a child through ``server``, telling it nothing of the grader's process.

    multiprocessing tells every new process which script started the parent
    (so that it can import it again), the parent's command line and its
    authentication key.  For the sandbox the first would load grader code in
    the learner's process and the others could carry secrets (``--seed``), so
    while the child starts, the main module's file and spec are hidden and the
    command line is a placeholder; the child gets a key of its own.
    """
    from multiprocessing import forkserver

    with _START_LOCK:
        main = sys.modules.get("__main__")
        saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
        argv = list(sys.argv)
        connect = forkserver.connect_to_new_process
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        sys.argv[:] = ["autograder-sandbox"]
        forkserver.connect_to_new_process = server.connect_to_new_process
        try:
            yield
        finally:
            forkserver.connect_to_new_process = connect
            sys.argv[:] = argv
            if main is not None:
                main.__dict__.pop("__spec__", None)
                main.__dict__.update(saved)


_MOUNTS: bool | None = None


def private_tmp_available() -> bool:
    """Whether a child can have a mount namespace of its own (for its private tmpfs)."""
    global _MOUNTS
    if _MOUNTS is None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the probe process
            os.close(read)
            made = confine.new_namespaces(mount=True)
            os.write(write, b"1" if made["mount"] else b"0")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        _MOUNTS = answer == b"1"
    return _MOUNTS


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return f"it was killed ({name}); this happens when it uses more memory or processes than allowed"
        if -code == signal.SIGXCPU:
            return f"it used more CPU time than allowed ({name})"
        if -code == signal.SIGSEGV:
            return f"it crashed ({name}), for example after unbounded recursion"
        return f"it was ended by {name}"
    return f"it exited with status {code} (sys.exit() or os._exit() ends the process that grades you)"


@dataclass
class _CellReport:
    status: str  # ok, raised, timeout, crashed
    raised: Raised | None = None
    detail: str = ""


def _raised(data: Any) -> Raised | None:
    if not isinstance(data, dict):
        return None
    mro = data.get("mro")
    mro = tuple(str(n)[:100] for n in mro[:12]) if isinstance(mro, list) else ()
    return Raised(str(data.get("type", "Exception"))[:100], mro, str(data.get("message", ""))[:500], str(data.get("where", ""))[:200],
                  data.get("own") is True, str(data.get("origin") or "")[:40])


@dataclass
class Session:
    """One submission's sandbox; use as a context manager."""

    program: Program
    limits: Limits = field(default_factory=Limits)
    files: dict[str, bytes] = field(default_factory=dict)
    #: forbidden names this submission's child is sealed against (by-hand exercises)
    seal: tuple[str, ...] = ()
    _process: Any = None
    _watch_disk: bool = False
    _requests: Any = None
    _replies: Any = None
    _identity: identity.Identity | None = None
    _workdir: Path | None = None
    _skip: set[int] = field(default_factory=set)
    _cells: dict[int, _CellReport] = field(default_factory=dict)
    _deadline: float = 0.0
    #: (the started child's pid, the learner's process below it: see cpuclock.learner_process)
    _learner: tuple[int, int | None] | None = None
    load_seconds: float = 0.0

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> "Session":
        # Reading and parsing the notebook was the grader's work for this submission: it counts.
        self._deadline = time.monotonic() + self.limits.submission_timeout - self.program.grader_seconds
        if os.getuid() != 0:
            # The child runs as our own user: keep it out of our memory (ptrace, /proc/PID/mem).
            confine.not_dumpable()
        self._identity = identity.claim()
        # Made before any learner code runs, and never written by us afterwards. With a
        # private tmpfs (mount namespace) the child does not even see it.
        self._workdir = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        if self._identity.uid is not None:
            os.chown(self._workdir, self._identity.uid, self._identity.gid)
        self._watch_disk = not (self.limits.confine and private_tmp_available())
        started = time.perf_counter()
        if self.remaining() > 0:
            self._load()
        self.load_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._identity is not None:
            self._identity.release()
            self._identity = None

    def remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _spec(self) -> dict:
        limits = self.limits
        processes = limits.max_processes
        if self._identity.uid is None:
            processes += identity.count_user_processes()
        return {
            "cells": [(c.index, c.code) for c in self.program.cells if not c.refused],
            "skip": sorted(self._skip),
            "workdir": str(self._workdir),
            "uid": self._identity.uid,
            "gid": self._identity.gid,
            "memory_bytes": limits.memory_mb * 1024 * 1024,
            "max_file_bytes": limits.max_file_mb * 1024 * 1024,
            "max_processes": processes,
            "cpu_seconds": math.ceil(limits.submission_timeout) + 5,
            "pid_namespace": limits.confine,
            "private_tmp": limits.confine,
            "disk_bytes": limits.disk_mb * 1024 * 1024,
            "landlock": limits.confine,
            "read": _readable_roots() if limits.confine else [],
            "files": dict(self.files),
            "seal": list(self.seal),
            "demo_seconds": limits.exercise_timeout / 2,
        }

    def _start(self) -> None:
        self._exited = None
        ctx = context()
        server = _server(self.seal, imported_modules(self.program))
        requests_reader, requests_writer = ctx.Pipe(duplex=False)
        replies_reader, replies_writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=child.main, args=(self._spec(), requests_reader, replies_writer), daemon=True)
        process.authkey = os.urandom(32)
        with _starting(server):
            process.start()
        requests_reader.close()
        replies_writer.close()
        self._process, self._requests, self._replies = process, requests_writer, replies_reader

    def _stop(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            self._requests.send_bytes(codec.dumps({"op": "exit"}))
        except (OSError, ValueError):
            pass
        if process.pid:
            process.join(0.05)
            identity.kill_tree(process.pid, self._identity)
        process.join(2)
        for conn in (self._requests, self._replies):
            try:
                conn.close()
            except OSError:
                pass
        self._process = self._requests = self._replies = None

    @property
    def alive(self) -> bool:
        return self._process is not None

    # -- messages ------------------------------------------------------------
    def _send(self, message: dict) -> bool:
        """Send a request; False when the child is gone (it may have ended itself)."""
        try:
            self._requests.send_bytes(codec.dumps(message))
            return True
        except (OSError, ValueError):
            return False

    def _receive(self, deadline: float, limit: int = CELL_MESSAGE_LIMIT) -> dict | str:
        """The next message of at most ``limit`` bytes once decoded, or "timeout" / "eof" / "garbage" /
        "oversize" (more bytes) / "decoded" (more once decoded: nothing of it is decoded) / "disk"."""
        while True:
            wait = min(deadline, self._deadline) - time.monotonic()
            if self._watch_disk:
                wait = min(wait, DISK_POLL_SECONDS)
            try:
                if wait > 0 and self._replies.poll(wait):
                    raw = self._replies.recv_bytes(max(1, min(limit, MAX_MESSAGE)))
                    break
            except EOFError:
                return "eof"
            except OSError as exc:
                return "oversize" if "message length" in str(exc) else "eof"
            if self._watch_disk and self._disk_used() > self.limits.disk_mb * 1024 * 1024:
                return "disk"
            if min(deadline, self._deadline) - time.monotonic() <= 0:
                return "timeout"
        cost = codec.decoded_size(raw)
        self.received += cost
        if cost > limit:
            self._over = (cost, codec.decoded_items(raw), limit)
            return "decoded"
        try:
            message = codec.loads(raw)
        except codec.CodecError:
            return "garbage"
        if not isinstance(message, dict):
            return "garbage"
        if message.get("t") == "exited":  # the sandbox's first process saw the learner's process end
            self._exited = message
            return "eof"
        return message

    #: what the messages read so far take once decoded (codec.decoded_size)
    received: int = 0
    _exited: dict | None = None
    #: the last message refused for what it would take once decoded: (its cost, its values, the limit)
    _over: tuple[int, int, int] = (0, 0, 0)
    _by_index: dict[int, ProgramCell] | None = None

    def _disk_used(self) -> int:
        """Bytes of the files under the working folder (when no tmpfs caps them)."""
        total, todo = 0, [str(self._workdir)]
        while todo:
            try:
                with os.scandir(todo.pop()) as entries:
                    for entry in entries:
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        total += info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            todo.append(entry.path)
            except OSError:
                continue
        return total

    def _trouble(self, message: str, exercise: bool = False) -> str:
        """Why the child's answer is unusable, for the learner (``exercise``: the exercise's budget was what it passed)."""
        if message == "disk":
            return f"it wrote more than the {self.limits.disk_mb} MB of files a submission may write"
        if message == "oversize":
            return "it sent back more data than the grader reads for one answer"
        if message == "decoded":
            cost, items, limit = self._over
            if exercise:
                return (f"its answers would take more than the {self.limits.answers_mb:g} MB one exercise's answers may take in the "
                        f"grader's memory once read (this one alone {_mb(cost)}, {items:,} Python values): return NumPy arrays rather than long lists")
            return (f"its answer would take {_mb(cost)} of the grader's memory once read ({items:,} Python values; "
                    f"at most {_mb(limit)} here): return NumPy arrays rather than long lists")
        if message == "eof":
            return self._exit_reason()
        return "it sent data the grader cannot read"

    def _exit_reason(self) -> str:
        told, self._exited = self._exited, None
        if told is not None:
            code, sig = told.get("code"), told.get("signal")
            if type(sig) is int and 0 < sig < 128:
                return _describe_exit(-sig)
            if type(code) is int:
                return _describe_exit(code & 0xFF)
        process = self._process
        if process is not None:
            process.join(2)
            return _describe_exit(process.exitcode)
        return "it stopped"

    # -- loading the notebook ------------------------------------------------
    def _load(self) -> None:
        """Run the cells; a cell that hangs or ends the process is skipped on restart."""
        while True:
            self._start()
            trouble = self._read_cells()
            if trouble is None:
                return
            cell, report = trouble
            self._cells[cell] = report
            self._stop()
            self._skip.add(cell)
            if self.remaining() <= 0:
                return

    def _read_cells(self) -> tuple[int, _CellReport] | None:
        current: int | None = None
        deadline = time.monotonic() + self.limits.exercise_timeout
        while True:
            message = self._receive(deadline)
            if isinstance(message, str):
                if current is None:
                    if message == "timeout" and self.remaining() <= 0:
                        return None
                    raise SandboxError(f"the sandbox did not start: {self._exit_reason() if message == 'eof' else message}")
                if message == "timeout":
                    self._kill()
                    return current, _CellReport(TIMEOUT, detail=f"{self._cell_name(current)} did not finish within {self.limits.exercise_timeout:g} s")
                if message != "eof":
                    self._kill()
                reason = self._trouble(message)
                return current, _CellReport("crashed", detail=f"{self._cell_name(current)} ended the process that runs your code: {reason}")
            kind = message.get("t")
            if kind == "fatal":
                raise SandboxError(f"the sandbox could not be set up: {message.get('message')}")
            if kind == "start":
                current = message.get("cell") if type(message.get("cell")) is int else current
                deadline = time.monotonic() + self.limits.exercise_timeout
            elif kind == "cell" and type(message.get("cell")) is int:
                status = "raised" if message.get("status") == "raised" else "ok"
                self._cells[message["cell"]] = _CellReport(status, _raised(message.get("raised")))
            elif kind == "ready":
                return None

    def _cell_name(self, index: int | None) -> str:
        """A cell as the learner can find it: by its first line (Jupyter shows no cell numbers)."""
        if self._by_index is None:
            self._by_index = {cell.index: cell for cell in self.program.cells}
        cell = self._by_index.get(index)
        if cell is not None:
            for line in cell.source.split("\n", 20)[:20]:
                text = line.strip()
                if text and not text.startswith("#"):
                    return f"the cell that starts with `{text if len(text) <= 50 else text[:47] + '...'}`"
        return "a cell"

    def _kill(self) -> None:
        if self._process is not None and self._process.pid:
            identity.kill_tree(self._process.pid, self._identity)

    def _ensure_running(self) -> None:
        if self._process is None and self.remaining() > 0:
            self._load()

    # -- the Caller interface ------------------------------------------------
    def sources(self) -> list[tuple[int | None, str]]:
        return self.program.sources()

    def _provided(self, index: int) -> bool:
        if self._by_index is None:
            self._by_index = {cell.index: cell for cell in self.program.cells}
        cell = self._by_index.get(index)
        return bool(cell is not None and getattr(cell, "provided", False))

    def course_cell_problems(self) -> list[str]:
        """Lines about the course's own cells (unchanged from the release) that raised, hung or crashed here."""
        lines = []
        for index in sorted(self._cells):
            report = self._cells[index]
            if not self._provided(index) or report.status == "ok":
                continue
            if report.status == "raised" and report.raised:
                lines.append(f"{self._cell_name(index)} raised {report.raised.describe()}")
            else:
                lines.append(report.detail)
        return lines[:MAX_PROBLEMS]

    def cell_problems(self) -> list[str]:
        """Learner-facing lines about cells the grader did not run, and cells that raised, hung or crashed
        (at most :data:`MAX_PROBLEMS`, then how many more); the course's own cells are not among them
        (:meth:`course_cell_problems`)."""
        lines = [cell.refused for cell in self.program.refused()]
        for index in sorted(self._cells):
            if len(lines) > MAX_PROBLEMS:
                break
            if self._provided(index):
                continue
            report = self._cells[index]
            if report.status == "raised" and report.raised:
                lines.append(f"{self._cell_name(index)} raised {report.raised.describe()}")
            elif report.status in (TIMEOUT, "crashed"):
                lines.append(report.detail)
        if len(lines) > MAX_PROBLEMS:
            more = len(self.program.refused()) + sum(r.status != "ok" for r in self._cells.values()) - MAX_PROBLEMS
            lines[MAX_PROBLEMS:] = [f"and {more} more cells that were not run or did not run to the end"]
        return lines

    def lookup(self, names: Sequence[str], owner: str | None = None) -> dict[str, NameInfo]:
        self._ensure_running()
        found: dict = {}
        if self._process is not None:
            sent = self._send({"op": "lookup", "names": list(names)})
            message = self._receive(time.monotonic() + self.limits.exercise_timeout, LOOKUP_REPLY_LIMIT) if sent else "eof"
            if isinstance(message, dict) and message.get("t") == "names" and isinstance(message.get("names"), dict):
                found = message["names"]
            else:
                self._kill()
                self._stop()
                if message in ("oversize", "decoded"):
                    cost, items, limit = self._over
                    detail = (f"its value would take {_mb(cost)} of the grader's memory once read ({items:,} Python values; at most {_mb(limit)}): "
                              "give a shorter answer, or a NumPy array rather than a long list") if message == "decoded" else \
                        "its value is larger than the grader reads for an answer: give a shorter answer"
                    return {name: NameInfo(ERROR, detail=detail) for name in names}
        infos = {}
        for name in names:
            entry = found.get(name)
            if isinstance(entry, dict) and entry.get("defined") is True:
                try:
                    value = codec.from_plain(entry.get("value"))
                except codec.CodecError:
                    value = codec.Opaque("unreadable value", "")
                infos[name] = NameInfo("defined", entry.get("callable") is True, value)
            else:
                infos[name] = self._why_missing(name, owner)
        return infos

    def _why_missing(self, name: str, owner: str | None) -> NameInfo:
        for cell in reversed(self.program.cells_defining(name, owner)):
            if cell.refused:
                return NameInfo(ERROR, detail=f"the grader did not run cell {cell.index}, which should define it (see the notes on your notebook)")
            report = self._cells.get(cell.index)
            if report is None or report.status == "ok":
                continue
            if report.status == "raised" and report.raised is not None:
                if report.raised.is_a(["NotImplementedError"]):
                    return NameInfo(NOT_IMPLEMENTED)
                return NameInfo(ERROR, detail=f"{self._cell_name(cell.index)} raised {report.raised.describe()}")
            return NameInfo(TIMEOUT if report.status == TIMEOUT else ERROR, detail=report.detail)
        if self.remaining() <= 0:
            return NameInfo(TIMEOUT, detail=f"the notebook used up the {self.limits.submission_timeout:g} s allowed for a submission")
        refused = self.program.refused()
        if refused:
            return NameInfo(ERROR, detail=f"it is not defined by the cells the grader ran, and {len(refused)} cell{'s were' if len(refused) > 1 else ' was'} "
                                          "not run (see the notes on your notebook)")
        return NameInfo(MISSING)

    #: a timed call here is timed by the learner's processor time (see :meth:`call`)
    times_processor = True

    def call(self, name: str, calls: Sequence[Call], *, timeout: float, forbidden: tuple[str, ...],
             timed: bool = False) -> list[Outcome]:
        """Run the calls in the learner's process; stop early after a timeout or a crash.

        With ``timed``, the first outcome's ``seconds`` are the processor time the learner's process
        spent from the request to the replies, read from the kernel (:mod:`.cpuclock`), with
        ``processor`` set; when that reading cannot stand for all of the learner's work (another
        process of the learner, or no PID namespace of its own), ``seconds`` is 0 and the caller
        times the call by the wall clock.
        """
        self._ensure_running()
        if self._process is None:
            return [Outcome(timed_out=True)]
        if not timed:
            return self._call(name, calls, timeout, forbidden)
        if self._learner is None or self._learner[0] != self._process.pid:  # found once per child
            self._learner = (self._process.pid, cpuclock.learner_process(self._process.pid))
        learner = self._learner[1]
        before = cpuclock.read(learner)
        outcomes = self._call(name, calls, timeout, forbidden)
        spent = cpuclock.between(before, cpuclock.read(learner))
        if outcomes:
            outcomes[0].seconds, outcomes[0].processor = (spent, True) if spent is not None else (0.0, False)
        return outcomes

    def _call(self, name: str, calls: Sequence[Call], timeout: float, forbidden: tuple[str, ...]) -> list[Outcome]:
        encoded, limits = [], []
        for call in calls:
            entry = {"args": codec.to_plain(tuple(call.args)), "kwargs": codec.to_plain(dict(call.kwargs))}
            if call.files:
                entry["files"] = [[f.name, codec.bytes_to_plain(f.data)] for f in call.files]
            if call.outputs:
                entry["outputs"] = list(call.outputs)
            if call.files or call.outputs or mentions_workpath((call.args, call.kwargs)):
                entry["folder"] = True
            size = len(codec.dumps(entry))
            limits.append(CALL_REPLY_BASE + CALL_REPLY_FACTOR * size + (self.limits.max_file_mb * 1024 * 1024 * 4 // 3 if call.outputs else 0))
            encoded.append(entry)
        sent = self._send({"op": "call", "name": name, "calls": encoded, "forbidden": list(forbidden)})
        outcomes: list[Outcome] = []
        deadline = time.monotonic() + timeout
        left = self.limits.answers_bytes  # what this exercise's answers may take, decoded, together
        while True:
            own = limits[len(outcomes)] if len(outcomes) < len(limits) else CELL_MESSAGE_LIMIT
            limit = max(min(own, left), 4096)
            before = self.received
            message = self._receive(deadline, limit) if sent else "eof"
            left -= self.received - before
            if isinstance(message, str):
                timed_out = message == "timeout"
                reason = "" if timed_out else self._trouble(message, exercise=limit < own)
                self._kill()
                self._stop()
                outcomes.append(Outcome(timed_out=True) if timed_out else Outcome(crashed=reason))
                return outcomes
            kind = message.get("t")
            if kind == "done":
                return outcomes
            if kind != "result" or message.get("i") != len(outcomes) or len(outcomes) >= len(calls):
                self._kill()
                self._stop()
                outcomes.append(Outcome(crashed="it sent messages out of order"))
                return outcomes
            outcomes.append(self._outcome(message, calls[len(outcomes)]))

    def _outcome(self, message: dict, call: Call) -> Outcome:
        try:
            value = codec.from_plain(message.get("value")) if "value" in message else None
            args_after = codec.from_plain(message.get("args_after")) if "args_after" in message else None
            files = {}
            for entry in message.get("files") or []:
                if isinstance(entry, list) and len(entry) == 2 and entry[0] in call.outputs:
                    files[entry[0]] = codec.bytes_from_plain(entry[1])[:MAX_OUTPUT_FILE]
        except codec.CodecError:
            return Outcome(crashed="it sent data the grader cannot read")
        forbidden = message.get("forbidden")
        forbidden = tuple(str(f)[:100] for f in forbidden[:10]) if isinstance(forbidden, list) else ()
        seconds = message.get("seconds")
        return Outcome(
            value=value,
            raised=_raised(message.get("raised")) if "raised" in message else None,
            args_after=tuple(args_after) if isinstance(args_after, (tuple, list)) else None,
            forbidden=forbidden,
            files=files,
            seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
        )


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n / 1024:.0f} KB"
