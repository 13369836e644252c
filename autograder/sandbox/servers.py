"""Where sandboxed children come from: fork servers, plain and sealed.

A child is forked from a server that has already loaded NumPy and the child's
loop, so it starts in milliseconds.  There are two ways to get the plain
(*generic*) server:

* **exec**: multiprocessing's own fork server, a fresh Python started with a
  scrubbed environment that loads :mod:`autograder.sandbox.preload`.  It holds
  nothing of the grader's process; used whenever the grader may already hold
  something secret (nbgrader, which has other students' data loaded; ``grade
  --seed``, whose seed is on the command line).
* **fork**: a copy of the grader's own process, made by
  :func:`start_here` before anything secret or any reference implementation
  is loaded (``autograder check``, pytest, ``grade`` with the course's secret
  seed file).  It costs no start-up at all: the copy has the libraries the
  grader had already imported, loads what the notebooks import, and serves.

A server *sealed* against a set of forbidden names (by-hand exercises) is a
process started from the generic server that seals itself
(:mod:`autograder.sandbox.seal`) and then serves: its children start as fast
as any other.  All servers speak multiprocessing's fork-server protocol, so a
child is started with an ordinary ``Process.start()``.
"""
from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
from multiprocessing import connection, forkserver, resource_tracker

from . import confine

PRELOAD = "autograder.sandbox.preload"

_LOCK = threading.RLock()
_CONTEXT = None
_GENERIC = None
_SEALED: dict[tuple[str, ...], "_Server"] = {}


class ServerGone(RuntimeError):
    """A fork server of the sandbox stopped (a grader problem, not the learner's)."""


def context():
    """The multiprocessing context of every sandbox process (fork-server start method)."""
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([PRELOAD])
            _CONTEXT = ctx
        return _CONTEXT


class _Server(forkserver.ForkServer):
    """A fork server we started ourselves: its address, and how to tell it is alive."""

    def __init__(self, address, alive_fd: int, alive, keep=()):
        super().__init__()
        self._forkserver_address = address
        self._forkserver_alive_fd = alive_fd
        self._alive = alive
        self._keep = keep  # objects whose file descriptors must stay open

    def ensure_running(self):
        resource_tracker.ensure_running()
        if not self._alive():
            raise ServerGone("a fork server of the sandbox stopped")


def _listener():
    listener = socket.socket(socket.AF_UNIX)
    address = connection.arbitrary_address("AF_UNIX")
    listener.bind(address)
    os.chmod(address, 0o600)
    listener.listen()
    return listener, address


def _scrub() -> None:
    """What a server must not pass on of the process it was copied from."""
    for name in ("argv", "orig_argv"):
        value = getattr(sys, name, None)
        if isinstance(value, list):
            value[:] = ["autograder-sandbox"]
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    os.environ.clear()
    os.environ.update(keep)


def start_here(modules=()) -> None:
    """Make the generic server a copy of this process (see the module docstring).

    Call it before loading anything secret or any reference: the copy keeps
    what this process holds.  ``modules`` are loaded in the copy (besides
    :data:`autograder.sandbox.warm.BASE`), while this process goes on.
    Single-threaded callers only (a fork copies one thread).
    """
    global _GENERIC
    from . import warm

    with _LOCK:
        if _GENERIC is not None:
            return
        warm.environment()
        listener, address = _listener()
        alive_r, alive_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the server
            code = 1
            try:
                os.close(alive_w)
                _scrub()
                warm.load(warm.BASE + tuple(modules))
                forkserver.main(listener.fileno(), alive_r, [])
                code = 0
            finally:
                os._exit(code)
        os.close(alive_r)
        listener.close()

        def alive(pid=pid):
            try:
                return os.waitpid(pid, os.WNOHANG)[0] == 0
            except ChildProcessError:
                return False

        _GENERIC = _Server(address, alive_w, alive)


def _scrubbed_environment():
    """A minimal environment while multiprocessing's own server starts: it keeps it."""
    import contextlib

    @contextlib.contextmanager
    def scrubbed():
        saved = dict(os.environ)
        keep = {k: saved[k] for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if k in saved}
        os.environ.clear()
        os.environ.update({**keep, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    return scrubbed()


def generic():
    """The generic server (multiprocessing's own, started clean, unless :func:`start_here` made one)."""
    context()
    with _LOCK:
        if _GENERIC is not None:
            _GENERIC.ensure_running()
            return _GENERIC
        with _scrubbed_environment():
            forkserver.ensure_running()
        return forkserver._forkserver


def sealed(seal: tuple[str, ...], starting):
    """The server whose children are sealed against ``seal`` (started on first use).

    ``starting(server)`` is the context manager under which a process is
    started through ``server`` (:func:`autograder.sandbox.session._starting`).
    """
    with _LOCK:
        server = _SEALED.get(seal)
        if server is not None:
            try:
                server.ensure_running()
                return server
            except ServerGone:
                del _SEALED[seal]
        ctx = context()
        base = generic()
        listener, address = _listener()
        reader, writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_serve_sealed, args=(list(seal), listener, reader), daemon=True, name="autograder-sealed-server")
        process.authkey = os.urandom(32)
        with starting(base):
            process.start()
        listener.close()
        reader.close()
        server = _Server(address, writer.fileno(), process.is_alive, keep=(writer, process))
        _SEALED[seal] = server
        return server


def _serve_sealed(seal: list[str], listener, alive) -> None:  # pragma: no cover - runs in the server
    """A sealed server: seal this copy of the generic server, then serve forks."""
    from . import seal as sealing

    sealing.seal(tuple(seal))
    confine.not_dumpable()
    forkserver.main(listener.fileno(), alive.fileno(), [])
