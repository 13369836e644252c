"""Kernel confinement of a sandboxed child, without root where the kernel allows it.

Three independent layers, each used when the kernel offers it (and each
reported, so a test can say which were active):

* **Landlock** (Linux 5.13+, unprivileged): the child may read only the system
  and the Python installation (minus the grader's own package), write only its
  private working folder, open no TCP connection (ABI 4+), and neither signal
  (ABI 6+) nor ptrace (all ABIs) any process outside its own sandbox.  This is
  what keeps a child that runs as the grader's own user away from the output
  folder, the secret seed, the solutions, other students' files and the
  grader's memory.
* **A PID namespace** (root, or any user where unprivileged user namespaces
  are allowed): the learner's code runs as process 1 of a namespace of its own.
  It cannot name, hence cannot kill, any process outside it (``kill -9 -1``,
  ``os.kill(os.getppid(), ...)``, ``killpg``), and when that process ends the
  kernel kills every process left in the namespace, including background
  processes that escaped with double fork and setsid().
* **Not dumpable** (always): processes of the same user cannot read or write
  the memory of the fork server or of other children through ptrace or
  /proc/PID/mem (:func:`not_dumpable` is also called by the trusted grader).

Everything here is best effort by design: a kernel without a feature leaves
the other layers (resource limits, separate user when root, process-group and
session sweeps) in place.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000

_SYS_LANDLOCK = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

# Filesystem rights, by the ABI version that introduced them.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

#: System folders the child may read (and run programs from).
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc")
#: Devices the child may read and write.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
#: Never readable by the child, even inside the Python installation.
GRADER_DISTRIBUTIONS = ("autograder", "convolution_course", "__editable__.convolution_course", "__editable___convolution_course")

_libc = None


def _lib():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _libc


def prctl(option: int, arg: int = 0) -> bool:
    return _lib().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


def not_dumpable() -> bool:
    """Forbid ptrace and /proc/PID/mem access to this process by same-user processes."""
    try:
        return prctl(PR_SET_DUMPABLE, 0)
    except (OSError, AttributeError):
        return False


# -- Landlock ------------------------------------------------------------------
class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscalls():
    return _SYS_LANDLOCK.get(os.uname().machine)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when unavailable)."""
    numbers = _syscalls()
    if numbers is None:
        return 0
    try:
        version = _lib().syscall(ctypes.c_long(numbers[0]), None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _grader_entry(name: str) -> bool:
    base = name.split("-")[0].split(".")[0]
    return base in ("autograder", "convolution_course") or name.startswith(GRADER_DISTRIBUTIONS)


def _site_entries(site: str) -> list[str]:
    """A site-packages folder as one root, or entry by entry when it holds the grader."""
    try:
        names = os.listdir(site)
    except OSError:
        return []
    if not any(_grader_entry(n) for n in names):
        return [site]
    # The package, its metadata and its editable finder (which names the source folder) stay out.
    return [os.path.join(site, n) for n in names if not _grader_entry(n)]


def readable_roots() -> list[tuple[str, bool]]:
    """(path, is a folder) pairs the child may read: the system and Python, not the grader.

    A site-packages folder that holds the grader's own package (installed or
    editable) is opened entry by entry so that the package stays out of reach;
    any other folder on sys.path (the course repository, the tests) is left out.
    """
    roots: list[str] = list(SYSTEM_READ)
    site_dirs = set()
    for entry in sys.path:
        if entry and os.path.basename(entry) in ("site-packages", "dist-packages") and os.path.isdir(entry):
            site_dirs.add(os.path.realpath(entry))
    for prefix in {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}:
        lib = Path(prefix) / "lib"
        if not lib.is_dir():
            continue
        for child in lib.iterdir():
            inner_site = child / "site-packages"
            if child.name.startswith("python") and inner_site.is_dir() and _site_entries(str(inner_site)) != [str(inner_site)]:
                roots += [str(item) for item in child.iterdir() if item != inner_site]
                site_dirs.add(str(inner_site.resolve()))
            else:
                roots.append(str(child))
        for extra in ("bin", "share"):
            roots.append(str(Path(prefix) / extra))
    for site in sorted(site_dirs):
        roots += _site_entries(site)
    return [(r, os.path.isdir(r)) for r in dict.fromkeys(roots) if os.path.exists(r)]


def landlock(read: list, write: list[str], devices: tuple[str, ...] = DEVICES) -> int:
    """Restrict this process (and its future children); return the ABI used, 0 if none."""
    abi = landlock_abi()
    numbers = _syscalls()
    if abi < 1 or numbers is None:
        return 0
    create, add_rule, restrict = numbers
    libc = _lib()
    rights = _fs_rights(abi)
    attr = _RulesetAttr(rights, (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0, (SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET) if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(ctypes.c_long(create), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    read_rights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    device_rights = (FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV) & rights
    add = libc.syscall
    add.restype = ctypes.c_long
    add_rule_nr = ctypes.c_long(add_rule)
    add = lambda *args: libc.syscall(add_rule_nr, *(ctypes.c_int(a) if isinstance(a, int) else a for a in args[:3]), ctypes.c_uint32(0))  # noqa: E731
    entries = [(p, d, read_rights) for p, d in read] + [(p, True, rights) for p in write] + [(p, False, device_rights) for p in devices]
    try:
        for path, is_dir, wanted in entries:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneath((wanted if is_dir else wanted & _FILE_RIGHTS) & rights, fd)
                add(ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            finally:
                os.close(fd)
        if not prctl(PR_SET_NO_NEW_PRIVS, 1):
            return 0
        if libc.syscall(ctypes.c_long(restrict), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


# -- PID namespace -------------------------------------------------------------
def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def new_pid_namespace() -> bool:
    """Make the next fork() start a PID namespace (as root, or in a new user namespace)."""
    return new_namespaces(mount=False)["pid"]


def new_namespaces(mount: bool = True) -> dict:
    """A PID namespace for the next fork() and, with ``mount``, a private mount namespace now.

    As root both come directly; otherwise through a new user namespace (where
    the kernel allows unprivileged ones), keeping the same ids inside.
    Returns which were made: ``{"pid": bool, "mount": bool}``.
    """
    libc = _lib()
    flags = CLONE_NEWPID | (CLONE_NEWNS if mount else 0)
    if os.getuid() == 0:
        if libc.unshare(ctypes.c_int(flags)) == 0:
            return {"pid": True, "mount": mount}
        if mount and libc.unshare(ctypes.c_int(CLONE_NEWPID)) == 0:
            return {"pid": True, "mount": False}
    uid, gid = os.getuid(), os.getgid()
    made = None
    for attempt in ((flags, mount), (CLONE_NEWPID, False)):
        if libc.unshare(ctypes.c_int(CLONE_NEWUSER | attempt[0])) == 0:
            made = attempt[1]
            break
    if made is None:
        return {"pid": False, "mount": False}
    try:  # keep the same ids inside, so that learner code sees its own user
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        pass
    return {"pid": True, "mount": made}


MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 16384
MS_PRIVATE = 1 << 18


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = _lib()
    encode = lambda s: None if s is None else s.encode()  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {fstype or ''} on {target}: {os.strerror(errno)}")


def private_tmp(size_bytes: int, uid: int | None, gid: int | None) -> None:
    """In a private mount namespace: a size-limited tmpfs on /tmp (and /dev/shm, /var/tmp).

    Everything the sandbox writes lands in memory the kernel caps at
    ``size_bytes`` (writes past it fail with "No space left on device"),
    never on the grader's disk, and disappears with the namespace.  Mounts
    are made private first so that nothing propagates to the host.
    """
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    owner = f",uid={uid},gid={gid}" if uid is not None else ""
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size_bytes)},mode=0700{owner}")
    for extra in ("/dev/shm", "/var/tmp"):
        if os.path.isdir(extra):
            try:
                _mount("tmpfs", extra, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size=1m,mode=0700{owner}")
            except OSError:
                pass


def private_proc() -> bool:
    """A /proc of the process's own PID namespace: no other process of the machine is visible."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        return True
    except OSError:
        return False


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    """Give up every capability (those a new user namespace grants), for good."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    return _lib().capset(ctypes.byref(header), data) == 0


def run_as_namespace_init(close_in_parent=(), on_exit=None) -> None:
    """Fork; the parent waits for the child and mirrors how it ended; the child returns.

    Called right after :func:`new_pid_namespace`: the child is process 1 of the
    new namespace, killed when its parent dies (so killing the process the
    grader started ends everything), and every process it leaves behind is
    killed by the kernel when it ends.  ``on_exit(code, signal)`` is called in
    the parent once the child has ended (exit status, or the signal that ended
    it, the other None), before the parent mirrors it: how the child ended,
    told first-hand rather than read back through the fork server later.
    """
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(alive_w)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # If the parent died before the line above, the pipe is already at end of file.
        import select

        if select.select([alive_r], [], [], 0)[0]:
            os._exit(1)
        os.close(alive_r)
        # A group and session of its own: kill(0, ...) or killpg() by the learner's code
        # cannot reach the parent, whose death is what ends the namespace.
        os.setsid()
        return
    os.close(alive_r)
    for conn in close_in_parent:
        try:
            conn.close()
        except OSError:
            pass
    for fd in (0, 1, 2):
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    if on_exit is not None:
        try:
            if os.WIFSIGNALED(status):
                on_exit(None, os.WTERMSIG(status))
            else:
                on_exit(os.waitstatus_to_exitcode(status), None)
        except BaseException:
            pass
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


_PROBED: dict | None = None


def probe() -> dict:
    """Which layers this machine offers a child: {"landlock": ABI or 0, "pid_namespace": bool}.

    Tried once in a short-lived forked process (unshare changes the caller).
    """
    global _PROBED
    if _PROBED is None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the probe process
            os.close(read)
            ok = new_pid_namespace()
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        _PROBED = {"landlock": landlock_abi(), "pid_namespace": answer == b"1"}
    return _PROBED


def full_isolation() -> bool:
    """True when a child running as the grader's own user is still kept away from it."""
    layers = probe()
    return layers["landlock"] >= 6 and layers["pid_namespace"]
