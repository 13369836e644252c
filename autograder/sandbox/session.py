"""The trusted side of a sandbox: start the child, feed it, read plain data back.

A :class:`Session` runs one submission.  It implements the evaluator's
:class:`~autograder.engine.outcome.Caller`: it looks names up and calls
functions in the child, enforcing wall-clock limits, and restarts the child
(skipping the cell that ended it) when a cell or a call kills or stalls it, so
that one bad cell costs only the exercises that depend on it.
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
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
from ..engine.evaluate import ERROR, MISSING, NOT_IMPLEMENTED, TIMEOUT
from ..engine.outcome import Call, NameInfo, Outcome, Raised, WorkPath
from ..notebook.load import Program
from . import child, confine, identity

MAX_MESSAGE = child.MAX_MESSAGE
MAX_OUTPUT_FILE = 32 * 1024 * 1024


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
    #: kernel confinement (Landlock, PID namespace) where the kernel offers it
    confine: bool = True

    @classmethod
    def from_settings(cls, settings: dict) -> "Limits":
        known = {f: settings[f] for f in cls.__dataclass_fields__ if f in settings}
        return cls(**known)


_CONTEXT_LOCK = threading.Lock()
_CONTEXT = None


def context():
    """The fork server context, preloaded with NumPy, SciPy, Pillow and the child loop."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["autograder.sandbox.preload"])
            _CONTEXT = ctx
        return _CONTEXT


def warm_up() -> None:
    """Start the fork server now rather than on the first submission."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()


_START_LOCK = threading.Lock()
_ROOTS: list[str] | None = None


def _readable_roots() -> list[str]:
    """What a child may read (decided here, on the trusted side, once)."""
    global _ROOTS
    if _ROOTS is None:
        _ROOTS = confine.readable_roots()
    return _ROOTS


@contextlib.contextmanager
def _hidden_main():
    """Start children without making them re-import the grader's ``__main__``.

    multiprocessing tells every new process which script started the parent so
    that it can import it again; for the sandbox that would load grader code
    (and cost time) in the learner's process.  Hiding the main module's file
    and spec while the process starts leaves the child with nothing to import.
    """
    with _START_LOCK:
        main = sys.modules.get("__main__")
        saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        try:
            yield
        finally:
            if main is not None:
                main.__dict__.pop("__spec__", None)
                main.__dict__.update(saved)


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
    return Raised(str(data.get("type", "Exception"))[:100], mro, str(data.get("message", ""))[:500], str(data.get("where", ""))[:200], data.get("own") is True)


@dataclass
class Session:
    """One submission's sandbox; use as a context manager."""

    program: Program
    limits: Limits = field(default_factory=Limits)
    files: dict[str, bytes] = field(default_factory=dict)
    _process: Any = None
    _requests: Any = None
    _replies: Any = None
    _identity: identity.Identity | None = None
    _workdir: Path | None = None
    _skip: set[int] = field(default_factory=set)
    _cells: dict[int, _CellReport] = field(default_factory=dict)
    _deadline: float = 0.0
    load_seconds: float = 0.0

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> "Session":
        self._deadline = time.monotonic() + self.limits.submission_timeout
        if os.getuid() != 0:
            # The child runs as our own user: keep it out of our memory (ptrace, /proc/PID/mem).
            confine.not_dumpable()
        self._identity = identity.claim()
        self._workdir = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        for name, data in self.files.items():
            (self._workdir / name).write_bytes(data)
        self._own(self._workdir)
        started = time.perf_counter()
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

    def _own(self, path: Path) -> None:
        if self._identity and self._identity.uid is not None:
            for root, dirs, names in os.walk(path):
                os.chown(root, self._identity.uid, self._identity.gid)
                for name in names:
                    os.chown(os.path.join(root, name), self._identity.uid, self._identity.gid)
        os.chmod(path, 0o700)

    def _spec(self) -> dict:
        limits = self.limits
        processes = limits.max_processes
        if self._identity.uid is None:
            processes += identity.count_user_processes()
        return {
            "cells": [(c.index, c.code) for c in self.program.cells],
            "skip": sorted(self._skip),
            "workdir": str(self._workdir),
            "uid": self._identity.uid,
            "gid": self._identity.gid,
            "memory_bytes": limits.memory_mb * 1024 * 1024,
            "max_file_bytes": limits.max_file_mb * 1024 * 1024,
            "max_processes": processes,
            "cpu_seconds": math.ceil(limits.submission_timeout) + 5,
            "pid_namespace": limits.confine,
            "landlock": limits.confine,
            "read": _readable_roots() if limits.confine else [],
        }

    def _start(self) -> None:
        ctx = context()
        requests_reader, requests_writer = ctx.Pipe(duplex=False)
        replies_reader, replies_writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=child.main, args=(self._spec(), requests_reader, replies_writer), daemon=True)
        with _hidden_main():
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

    def _receive(self, deadline: float) -> dict | str:
        """The next message, or "timeout" / "eof" / "garbage"."""
        wait = min(deadline, self._deadline) - time.monotonic()
        try:
            if wait <= 0 or not self._replies.poll(wait):
                return "timeout"
            raw = self._replies.recv_bytes(MAX_MESSAGE)
        except (EOFError, OSError):
            return "eof"
        try:
            message = codec.loads(raw)
        except codec.CodecError:
            return "garbage"
        return message if isinstance(message, dict) else "garbage"

    def _exit_reason(self) -> str:
        process = self._process
        if process is not None:
            process.join(0.5)
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
                    return current, _CellReport(TIMEOUT, detail=f"cell {current} did not finish within {self.limits.exercise_timeout:g} s")
                reason = self._exit_reason()
                return current, _CellReport("crashed", detail=f"cell {current} ended the process that runs your code: {reason}")
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

    def _kill(self) -> None:
        if self._process is not None and self._process.pid:
            identity.kill_tree(self._process.pid, self._identity)

    def _ensure_running(self) -> None:
        if self._process is None and self.remaining() > 0:
            self._load()

    # -- the Caller interface ------------------------------------------------
    def sources(self) -> list[tuple[int | None, str]]:
        return self.program.sources()

    def cell_problems(self) -> list[str]:
        """Learner-facing lines about cells that raised, hung or crashed."""
        lines = []
        for index in sorted(self._cells):
            report = self._cells[index]
            if report.status == "raised" and report.raised:
                lines.append(f"cell {index} raised {report.raised.describe()}")
            elif report.status in (TIMEOUT, "crashed"):
                lines.append(report.detail)
        return lines

    def lookup(self, names: Sequence[str], owner: str | None = None) -> dict[str, NameInfo]:
        self._ensure_running()
        found: dict = {}
        if self._process is not None:
            sent = self._send({"op": "lookup", "names": list(names)})
            message = self._receive(time.monotonic() + self.limits.exercise_timeout) if sent else "eof"
            if isinstance(message, dict) and message.get("t") == "names" and isinstance(message.get("names"), dict):
                found = message["names"]
            else:
                self._kill()
                self._stop()
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
            report = self._cells.get(cell.index)
            if report is None or report.status == "ok":
                continue
            if report.status == "raised" and report.raised is not None:
                if report.raised.is_a(["NotImplementedError"]):
                    return NameInfo(NOT_IMPLEMENTED)
                return NameInfo(ERROR, detail=f"cell {cell.index} raised {report.raised.describe()}")
            return NameInfo(TIMEOUT if report.status == TIMEOUT else ERROR, detail=report.detail)
        if self.remaining() <= 0:
            return NameInfo(TIMEOUT, detail=f"the notebook used up the {self.limits.submission_timeout:g} s allowed for a submission")
        return NameInfo(MISSING)

    def call(self, name: str, calls: Sequence[Call], *, timeout: float, forbidden: tuple[str, ...]) -> list[Outcome]:
        self._ensure_running()
        if self._process is None:
            return [Outcome(timed_out=True)]
        folders = []
        encoded = []
        for position, call in enumerate(calls):
            folder = self._workdir / f"call-{position}"
            # Most calls touch no files: a folder each would cost a mkdir/rmdir per case.
            if call.files or call.outputs or _has_workpath((call.args, call.kwargs)):
                if folder.exists():
                    shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                for f in call.files:
                    (folder / f.name).write_bytes(f.data)
                self._own(folder)
            folders.append(folder)
            args = _resolve(call.args, folder)
            kwargs = _resolve(call.kwargs, folder)
            encoded.append({"args": codec.to_plain(tuple(args)), "kwargs": codec.to_plain(dict(kwargs))})
        sent = self._send({"op": "call", "name": name, "calls": encoded, "forbidden": list(forbidden)})
        outcomes: list[Outcome] = []
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline) if sent else "eof"
            if isinstance(message, str):
                if message == "timeout":
                    self._kill()
                    self._stop()
                    outcomes.append(Outcome(timed_out=True))
                else:
                    reason = self._exit_reason() if message == "eof" else "it sent data the grader cannot read"
                    self._kill()
                    self._stop()
                    outcomes.append(Outcome(crashed=reason))
                return outcomes
            kind = message.get("t")
            if kind == "done":
                return outcomes
            if kind != "result" or message.get("i") != len(outcomes) or len(outcomes) >= len(calls):
                self._kill()
                self._stop()
                outcomes.append(Outcome(crashed="it sent messages out of order"))
                return outcomes
            outcomes.append(self._outcome(message, calls[len(outcomes)], folders[len(outcomes)]))

    def _outcome(self, message: dict, call: Call, folder: Path) -> Outcome:
        try:
            value = codec.from_plain(message.get("value")) if "value" in message else None
            args_after = codec.from_plain(message.get("args_after")) if "args_after" in message else None
        except codec.CodecError:
            return Outcome(crashed="it sent data the grader cannot read")
        forbidden = message.get("forbidden")
        forbidden = tuple(str(f)[:100] for f in forbidden[:10]) if isinstance(forbidden, list) else ()
        seconds = message.get("seconds")
        files = {name: data for name in call.outputs if (data := _read_output(folder / name)) is not None}
        return Outcome(
            value=value,
            raised=_raised(message.get("raised")) if "raised" in message else None,
            args_after=tuple(args_after) if isinstance(args_after, (tuple, list)) else None,
            forbidden=forbidden,
            files=files,
            seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
        )


def _has_workpath(obj: Any) -> bool:
    if isinstance(obj, WorkPath):
        return True
    if type(obj) in (tuple, list):
        return any(_has_workpath(v) for v in obj)
    if type(obj) is dict:
        return any(_has_workpath(v) for v in obj.values())
    return False


def _resolve(obj: Any, folder: Path) -> Any:
    if isinstance(obj, WorkPath):
        return str(folder / obj.name)
    if type(obj) is tuple:
        return tuple(_resolve(v, folder) for v in obj)
    if type(obj) is dict:
        return {k: _resolve(v, folder) for k, v in obj.items()}
    return obj


def _read_output(path: Path) -> bytes | None:
    """Read a file the learner wrote: regular files only, never through a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_OUTPUT_FILE:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_OUTPUT_FILE)
    finally:
        os.close(fd)
