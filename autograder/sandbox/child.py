"""The untrusted side: the process that runs a learner's notebook code.

It is forked from a server that has already imported NumPy, SciPy, Pillow and
Matplotlib (for "by hand" exercises, a server sealed against the library
shortcuts: :mod:`autograder.sandbox.seal`), so starting one costs
milliseconds.  Before any learner code runs it: starts a new session (so the
whole group can be killed), applies resource limits, scrubs the environment,
enters PID and mount namespaces of its own where the kernel allows (a private
/proc, and a /tmp that is a tmpfs capped at the disk quota), switches to an
unprivileged user when started as root, drops capabilities, writes the
assignment's files into its private working folder, points stdout/stderr at
files there, applies Landlock, forgets the grader's command line and key,
installs the by-hand guard when sealed, forgets the grader's own modules and
blocks importing them.

Files reach it through the pipe (input files with each call) and leave it the
same way (output files with each answer): the trusted parent never touches a
folder that learner code can change.

It then executes the program's cells, reporting each, and serves requests:
look names up, call a function on inputs.  Everything it sends is plain JSON
(:mod:`autograder.engine.codec`); nothing it sends is trusted.

This module must import nothing that holds references or hidden cases.
"""
from __future__ import annotations

import builtins
import linecache
import multiprocessing
import os
import resource
import shutil
import signal
import stat
import sys
import time
import types

from autograder.engine import codec
from autograder.engine.forbidden import ForbiddenCall
from autograder.engine.outcome import WorkPath
from autograder.engine.traceback_info import describe as describe_traceback
from autograder.engine.traceback_info import origin as traceback_origin
from autograder.sandbox import confine, seal

MAX_MESSAGE = 128 * 1024 * 1024


class _Blocker:
    """A meta-path finder that refuses the grader's own package."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "autograder" or fullname.startswith("autograder."):
            raise ImportError("the grading package is not available to learner code")
        return None


class _Shell:
    """Enough of IPython's shell for notebook code that calls get_ipython()."""

    def __init__(self, namespace: dict):
        self.user_ns = namespace
        self.input_transformers_post: list = []
        self.input_transformers_cleanup: list = []
        self.events = types.SimpleNamespace(register=lambda *a, **k: None, unregister=lambda *a, **k: None)
        self.kernel = None

    def run_line_magic(self, name, line, _stack_depth=1):
        if name in ("time", "timeit"):
            exec(compile(line, "<magic>", "exec"), self.user_ns)
        return None

    def run_cell_magic(self, name, line, cell):
        if name in ("time", "timeit", "capture"):
            exec(compile(cell, "<magic>", "exec"), self.user_ns)
        elif name == "writefile":
            target = line.split()[-1] if line.split() else ""
            if target and "/" not in target:
                with open(target, "w", encoding="utf-8") as handle:
                    handle.write(cell)
        return None

    def system(self, command):
        print(f"(shell command not run by the grader: {command})")

    def getoutput(self, command, split=True):
        return []

    def register_magic_function(self, *args, **kwargs):
        return None

    def set_custom_exc(self, *args, **kwargs):
        return None


class _DemoStopped(Exception):
    pass


class _Demo:
    """The notebook's ``with demo():`` in the grader.

    As in the notebook, a demonstration that fails or runs too long ends
    itself, not its cell: an exception is dropped, and a block still running
    after half of the per-cell time limit is interrupted, so that the cell
    (and the definitions after it) goes on.
    """

    seconds = 1.0  # set from the spec: half of the exercise time limit

    def __init__(self, *args, **kwargs):
        self._previous = None

    def __enter__(self):
        def stop(signum, frame):
            raise _DemoStopped()

        try:
            self._previous = signal.signal(signal.SIGALRM, stop)
            signal.setitimer(signal.ITIMER_REAL, _Demo.seconds)
        except (ValueError, OSError):
            self._previous = None
        return self

    def __exit__(self, etype, value, tb):
        if self._previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
        return etype is not None and issubclass(etype, Exception)


class Channel:
    """Length-limited JSON messages over the two pipes of the session."""

    def __init__(self, requests, replies):
        self.requests = requests
        self.replies = replies

    def send(self, message: dict) -> None:
        self.replies.send_bytes(codec.dumps(message))

    def receive(self) -> dict | None:
        try:
            return codec.loads(self.requests.recv_bytes(MAX_MESSAGE))
        except (EOFError, OSError):
            return None


def _raised(exc: BaseException) -> dict:
    names = []
    for cls in type(exc).__mro__:
        try:
            names.append(str(cls.__name__))
        except Exception:
            continue
    try:
        message = str(exc)
    except BaseException:
        message = "<the exception's message could not be shown>"
    try:
        where, own = describe_traceback(exc.__traceback__)
        library = traceback_origin(exc.__traceback__)
    except Exception:  # a traceback that learner code tampered with
        where, own, library = "", False, ""
    return {"type": names[0] if names else "Exception", "mro": names[:12], "message": message[:500], "where": where, "own": own, "origin": library}


def _apply_limits(spec: dict) -> None:
    def limit(which, soft, hard=None):
        try:
            current_soft, current_hard = resource.getrlimit(which)
            hard = soft if hard is None else hard
            if current_hard != resource.RLIM_INFINITY:
                hard = min(hard, current_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass

    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_CPU, int(spec["cpu_seconds"]), int(spec["cpu_seconds"]) + 2)
    limit(resource.RLIMIT_FSIZE, int(spec["max_file_bytes"]))
    limit(resource.RLIMIT_NOFILE, 256)
    limit(resource.RLIMIT_AS, _address_space() + int(spec["memory_bytes"]))
    if spec.get("max_processes"):
        limit(resource.RLIMIT_NPROC, int(spec["max_processes"]))


def _address_space() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _become(spec: dict) -> None:
    uid = spec.get("uid")
    if uid is None or os.getuid() != 0:
        return
    os.setgroups([])
    os.setgid(int(spec["gid"]))
    os.setuid(int(uid))


#: The child's working folder when it has a private /tmp (a tmpfs of its own).
PRIVATE_WORKDIR = "/tmp/work"


def _environment(workdir: str) -> None:
    os.environ.clear()
    os.environ.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    })


def _isolate(spec: dict) -> dict:
    """Set the process up as root (or its own user); return the namespaces made.

    Runs before the fork that makes the learner's process the first process of
    its PID namespace: limits, a scrubbed environment, and (where the kernel
    allows) a private mount namespace whose /tmp is a tmpfs capped at the
    submission's disk quota.
    """
    os.setsid()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the size limit fails instead
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(0, "r", closefd=False)
    _environment(spec["workdir"])
    _apply_limits(spec)
    confine.not_dumpable()
    spaces = {"pid": False, "mount": False}
    if spec.get("pid_namespace"):
        spaces = confine.new_namespaces(mount=bool(spec.get("private_tmp")))
    if spaces["mount"]:
        try:
            confine.private_tmp(int(spec["disk_bytes"]), spec.get("uid"), spec.get("gid"))
        except OSError:
            spaces["mount"] = False
    return spaces


def _settle(spec: dict, spaces: dict) -> str:
    """In the learner's process, before its code: identity, folder, files, confinement."""
    if spaces["mount"]:
        confine.private_proc()
    _become(spec)
    confine.drop_capabilities()
    workdir = PRIVATE_WORKDIR if spaces["mount"] else spec["workdir"]
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    os.chdir(workdir)
    _environment(workdir)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        # The folder may hold what an earlier child of this submission left there (a link, a folder).
        try:
            if os.path.lexists(name):
                os.unlink(name)
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except OSError:
            handle = os.open(os.devnull, os.O_WRONLY)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
    for name, data in (spec.get("files") or {}).items():
        _write_file(name, data)
    if spec.get("landlock"):
        confine.landlock(list(spec.get("read") or ()), ["/tmp" if spaces["mount"] else workdir])
    os.umask(0o077)
    # Nothing of the grader's process: not its command line, not multiprocessing's key.
    sys.argv[:] = ["autograder-sandbox"]
    try:
        multiprocessing.current_process().authkey = os.urandom(32)
    except Exception:
        pass
    return workdir


def _write_file(name: str, data: bytes, folder: str = ".") -> None:
    if "/" in name or name.startswith(".") or not name:
        return
    handle = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(data)


def _forget_grader() -> None:
    for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _Blocker())


def _namespace() -> dict:
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    ns = main.__dict__
    shell = _Shell(ns)
    ns["get_ipython"] = lambda: shell
    ns["display"] = lambda *args, **kwargs: None
    ns["demo"] = _Demo  # `from autograder import demo` is removed with the self-check lines
    ns["In"], ns["Out"] = [], {}
    return ns


def _run_cells(channel: Channel, cells: list, skip: set, ns: dict) -> None:
    for index, code in cells:
        if index in skip:
            continue
        channel.send({"t": "start", "cell": index})
        filename = f"<cell {index}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        started = time.perf_counter()
        report = {"t": "cell", "cell": index, "status": "ok"}
        try:
            exec(compile(code, filename, "exec"), ns)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included
            report["status"] = "raised"
            report["raised"] = _raised(exc)
        _only_the_server()
        report["seconds"] = time.perf_counter() - started
        _flush()
        channel.send(report)
    channel.send({"t": "ready"})


_SERVER_PID = [0]


def _only_the_server() -> None:
    """A copy of this process that learner code forked (os.fork) ends here, rather
    than going on to answer the grader as well."""
    if os.getpid() != _SERVER_PID[0]:
        os._exit(0)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _lookup(names: list, ns: dict) -> dict:
    found = {}
    for name in names:
        if type(name) is not str:
            continue
        if name not in ns:
            found[name] = {"defined": False}
            continue
        try:
            value = ns[name]
            if callable(value) and not isinstance(value, type):
                found[name] = {"defined": True, "callable": True, "value": {"$opaque": "function", "repr": name}}
            else:
                found[name] = {"defined": True, "callable": False, "value": codec.to_plain(value)}
        except BaseException as exc:  # a value whose type misbehaves, or a patched encoder
            found[name] = {"defined": True, "callable": False, "value": {"$opaque": "unreadable value", "repr": _raised(exc)["type"]}}
    return found


def _serve_call(channel: Channel, request: dict, ns: dict, workdir: str) -> None:
    function = ns.get(request.get("name"))
    for position, call in enumerate(request.get("calls") or []):
        folder = None
        if call.get("files") or call.get("outputs") or call.get("folder"):
            folder = os.path.join(workdir, f"call-{position}")
            _fresh_folder(folder)
            for name, data in call.get("files") or []:
                _write_file(str(name), codec.bytes_from_plain(data), folder)
        args = _resolve(codec.from_plain(call.get("args", {"$tuple": []})), folder)
        kwargs = _resolve(codec.from_plain(call.get("kwargs", {"$dict": []})), folder)
        args, kwargs = codec.plain_values(args), codec.plain_values(kwargs)
        reply: dict = {"t": "result", "i": position}
        budget = [codec.MAX_BYTES]  # one budget for the value, the arguments after the call and the files
        seal.take_hits()
        started = time.perf_counter()
        try:
            value = function(*args, **kwargs)
            reply["value"] = codec.to_plain(value, 0, budget)
        except (Exception, ForbiddenCall, SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
            reply["raised"] = _raised(exc)
        finally:
            reply["forbidden"] = seal.take_hits()
        _only_the_server()
        reply["seconds"] = time.perf_counter() - started
        reply["args_after"] = codec.to_plain(tuple(args), 0, budget)
        if folder is not None and call.get("outputs"):
            reply["files"] = [[name, codec.bytes_to_plain(data)] for name in call["outputs"]
                              if (data := _read_output(os.path.join(folder, str(name)), budget)) is not None]
        _flush()
        channel.send(reply)
    channel.send({"t": "done"})


def _fresh_folder(folder: str) -> None:
    if os.path.lexists(folder):
        if os.path.isdir(folder) and not os.path.islink(folder):
            shutil.rmtree(folder, ignore_errors=True)
        else:
            os.unlink(folder)
    os.mkdir(folder, 0o700)


def _resolve(obj, folder):
    """WorkPath placeholders of a call become paths in its folder."""
    if isinstance(obj, WorkPath):
        return os.path.join(folder or ".", obj.name)
    if type(obj) is tuple:
        return tuple(_resolve(v, folder) for v in obj)
    if type(obj) is dict:
        return {k: _resolve(v, folder) for k, v in obj.items()}
    return obj


def _read_output(path: str, budget: list) -> bytes | None:
    """A file the function wrote: a regular file, never through a link, within the budget."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget[0]:
            return None
        with os.fdopen(handle, "rb", closefd=False) as source:
            data = source.read(budget[0] + 1)
        if len(data) > budget[0]:
            return None
        budget[0] -= len(data)
        return data
    finally:
        os.close(handle)


def main(spec: dict, requests, replies) -> None:
    """Entry point of the sandboxed process (``spec`` comes from the trusted parent)."""
    channel = Channel(requests, replies)
    try:
        spaces = _isolate(spec)
    except BaseException as exc:  # report why the sandbox could not be set up
        channel.send({"t": "fatal", "message": f"{type(exc).__name__}: {exc}"})
        return
    if spaces["pid"]:
        # From here on the learner's code runs as process 1 of its own PID namespace:
        # it cannot name any process outside, and nothing it starts outlives it.
        # How it ended goes to the grader from here, before the end of the pipe does: the same
        # words in every run (the fork server's own account can come too late, or not at all).
        confine.run_as_namespace_init(on_exit=lambda code, sig: channel.send({"t": "exited", "code": code, "signal": sig}))
    prefixes = tuple(spec.get("seal") or ())
    try:
        workdir = _settle(spec, spaces)
        if prefixes:
            if seal.sealed() != prefixes:
                raise RuntimeError(f"the fork server was not sealed against {', '.join(prefixes)}")
            seal.install_guard(prefixes)
    except BaseException as exc:
        channel.send({"t": "fatal", "message": f"{type(exc).__name__}: {exc}"})
        return
    _Demo.seconds = max(0.1, float(spec.get("demo_seconds") or 1.0))
    _forget_grader()
    ns = _namespace()
    _SERVER_PID[0] = os.getpid()
    _run_cells(channel, spec["cells"], set(spec.get("skip", ())), ns)
    while True:
        request = channel.receive()
        if not isinstance(request, dict) or request.get("op") == "exit":
            break
        try:
            if request.get("op") == "lookup":
                channel.send({"t": "names", "names": _lookup(request.get("names") or [], ns)})
            elif request.get("op") == "call":
                _serve_call(channel, request, ns, workdir)
        except BaseException:  # learner code broke the serving machinery: the grader sees a crash
            if os.environ.get("AUTOGRADER_DEBUG_CHILD"):
                import traceback

                traceback.print_exc(file=sys.__stderr__)
            break
    _flush()
    os._exit(0)
