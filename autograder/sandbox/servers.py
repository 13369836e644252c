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
RELEASED = "autograder.sandbox.released"  # imported first: the server lets go of the grader's streams

_LOCK = threading.RLock()
_CONTEXT = None
_GENERIC = None
_LEAN = None  # where sealed servers come from, when the servers are copies of this process
_MODULES: tuple[str, ...] = ()  # what the notebooks import (start_here)
_SEALED: dict[tuple[tuple[str, ...], bool], "_Server"] = {}


class ServerGone(RuntimeError):
    """A fork server of the sandbox stopped (a grader problem, not the learner's)."""


def context():
    """The multiprocessing context of every sandbox process (fork-server start method)."""
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([RELEASED, PRELOAD])
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


def _detach(alive_r: int, main_thread: bool) -> None:
    """Let a server copy outlive nothing of its grader, and hold none of its terminal or pipes.

    The copy loads libraries for a second or two; a grader that finished
    sooner must not leave it running, nor wait for it: a caller reading the
    grader's output through a pipe (``autograder grade ... | tee``, CI, a
    script) would wait until every holder of the pipe has closed it.  The
    sandbox's children write their output into their own folder, never into
    the server's standard streams.
    """
    import select
    import signal

    if main_thread:  # the signal follows the thread that forked: only the main thread lives as long as the grader
        confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive_r], [], [], 0)[0]:  # the grader ended before the line above
            os._exit(0)
    release_streams()


def release_streams() -> None:
    """Point a server's standard streams at /dev/null: it must not keep its grader's terminal or pipes."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _fork_server(modules) -> "_Server":
    """A server that is a copy of this process, loading ``modules`` (besides BASE) before serving."""
    from . import warm

    listener, address = _listener()
    alive_r, alive_w = os.pipe()
    main_thread = threading.current_thread() is threading.main_thread()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the server
        code = 1
        try:
            os.close(alive_w)
            _detach(alive_r, main_thread)
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

    return _Server(address, alive_w, alive)


def start_for(notebooks=(), everything: bool = False) -> None:
    """:func:`start_here`, loading what ``notebooks`` import (``everything``: all the course's libraries,
    for a long run).  Called first by the commands that hold nothing secret yet: the servers cost no
    start-up, and load the libraries while the caller reads the course and prepares the checks."""
    import numpy  # noqa: F401  (the copies inherit it)

    from ..notebook.load import NotebookError, imported_modules, load_program
    from . import warm

    modules: set[str] = set(warm.LIBRARIES) if everything else set()
    for path in notebooks:
        try:
            modules |= imported_modules(load_program(path))
        except NotebookError:
            continue
    start_here(warm.for_imports(sorted(modules)))


def start_here(modules=()) -> None:
    """Make the sandbox's servers copies of this process (see the module docstring).

    Call it before loading anything secret or any reference: the copies keep
    what this process holds.  Two copies start at once: the generic server,
    which loads ``modules`` (what the notebooks import) for unsealed children,
    and a lean one (the standard library and NumPy) from which sealed servers
    are spawned: a sealed server needs none of the libraries it would remove,
    so a by-hand notebook's sandbox is ready without loading them.
    Single-threaded callers only (a fork copies one thread).
    """
    global _GENERIC, _LEAN, _MODULES
    from . import warm

    with _LOCK:
        if _GENERIC is not None:
            return
        warm.environment()
        _MODULES = tuple(modules)
        _LEAN = _fork_server(())
        _GENERIC = _fork_server(_MODULES)


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


def generic(imports=None):
    """The server for an unsealed child whose program imports ``imports`` (None: unknown).

    multiprocessing's own server, started clean, unless :func:`start_here`
    made copies of this process: then the lean one when the program imports
    nothing beyond what it has loaded (it is ready first), else the one that
    loads every library the notebooks use.
    """
    from . import warm

    context()
    with _LOCK:
        if _lean_enough(imports):
            _LEAN.ensure_running()
            return _LEAN
        if _GENERIC is not None:
            _GENERIC.ensure_running()
            return _GENERIC
        with _scrubbed_environment():
            forkserver.ensure_running()
        return forkserver._forkserver


def _loaded_by(name: str, modules) -> bool:
    """Is module ``name`` (or the attribute ``name`` of a loaded module) among ``modules``?"""
    return name in modules or name.rpartition(".")[0] in modules


def _lean_enough(imports) -> bool:
    """Can a program importing ``imports`` run in a lean server (one that loaded only BASE)?"""
    from . import warm

    return _LEAN is not None and imports is not None and all(_loaded_by(name, warm.BASE) for name in imports)


def sealed(seal: tuple[str, ...], starting, imports=None):
    """The server whose children are sealed against ``seal`` (started on first use).

    With copies of this process (:func:`start_here`) there are two per seal:
    a lean one, for programs that import nothing beyond the standard library
    and NumPy, ready at once, and one that also loads the notebooks'
    libraries.  ``starting(server)`` is the context manager under which a
    process is started through ``server`` (:func:`autograder.sandbox.session._starting`).
    """
    lean = _lean_enough(imports)
    key = (seal, lean)
    with _LOCK:
        server = _SEALED.get(key)
        if server is not None:
            try:
                server.ensure_running()
                return server
            except ServerGone:
                del _SEALED[key]
        ctx = context()
        base = _LEAN if _LEAN is not None else generic()
        if base is _LEAN:
            base.ensure_running()
        listener, address = _listener()
        reader, writer = ctx.Pipe(duplex=False)
        modules = [] if lean else list(_MODULES)
        process = ctx.Process(target=_serve_sealed, args=(list(seal), modules, listener, reader), daemon=True, name="autograder-sealed-server")
        process.authkey = os.urandom(32)
        with starting(base):
            process.start()
        listener.close()
        reader.close()
        server = _Server(address, writer.fileno(), process.is_alive, keep=(writer, process))
        _SEALED[key] = server
        return server


def _serve_sealed(seal: list[str], modules: list[str], listener, alive) -> None:  # pragma: no cover - runs in the server
    """A sealed server: stand-ins for the forbidden libraries not loaded, the notebooks' other
    modules loaded, everything forbidden sealed, then serve forks."""
    from . import seal as sealing
    from . import warm

    sealing.stand_in(tuple(seal), modules)
    warm.load(tuple(modules))
    sealing.seal(tuple(seal))
    confine.not_dumpable()
    forkserver.main(listener.fileno(), alive.fileno(), [])
