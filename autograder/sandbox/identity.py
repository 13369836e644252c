"""Who a sandboxed child runs as, and how everything it started is ended.

When the grader runs as root, each concurrent sandbox gets a user id of its
own (a *slot*, claimed with a lock file so that several grader processes on
one machine never share one).  A per-slot user makes the process limit count
only that learner's processes, keeps the child away from files of the grader
and of other students, and lets the grader end every process the learner
started, even one that escaped its process group with setsid(), by sweeping
all processes of that user.

Without root, the child runs as the grader's own user; the process group is
still killed, and processes of the same session are swept.
"""
from __future__ import annotations

import fcntl
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_UID = 61000
SLOTS = 256
# Root's own folder where there is one (/run is not writable by anyone else); /tmp is
# world-writable, so there the folder is checked before use (see _slot_dir).
_SLOT_DIR = Path("/run/autograder-slots") if os.path.isdir("/run") and os.access("/run", os.W_OK) else Path(tempfile.gettempdir()) / "autograder-slots"


def _slot_dir() -> int:
    """An fd of the slot folder: made by us, root's, mode 0700, not a link (never followed)."""
    try:
        os.mkdir(_SLOT_DIR, 0o700)
    except FileExistsError:
        pass
    fd = os.open(_SLOT_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        os.close(fd)
        raise RuntimeError(f"{_SLOT_DIR} is not a private folder of this user (owner {info.st_uid}, mode {oct(info.st_mode & 0o777)}); remove it")
    return fd


@dataclass
class Identity:
    """A claimed sandbox identity; ``uid`` is None when not running as root."""

    uid: int | None
    gid: int | None
    slot: int | None
    _lock: int | None = None

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def claim() -> Identity:
    """Claim a free slot (root) or describe the current user (not root)."""
    if os.getuid() != 0:
        return Identity(None, None, None)
    folder = _slot_dir()
    try:
        return _claim_in(folder)
    finally:
        os.close(folder)


_NEXT = [0]


def _claim_in(folder: int) -> Identity:
    # Slots are taken in turn rather than lowest first: processes of a sandbox that was
    # just ended may still be dying, and they count against their user's process limit.
    start = _NEXT[0]
    for offset in range(SLOTS):
        slot = (start + offset) % SLOTS
        fd = os.open(f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600, dir_fd=folder)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        uid = BASE_UID + slot
        sweep_user(uid)  # leftovers of a grader that was killed
        _NEXT[0] = (slot + 1) % SLOTS
        return Identity(uid, uid, slot, fd)
    raise RuntimeError(f"all {SLOTS} sandbox slots are in use; lower the number of workers")


def _processes():
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def _status_field(pid: int, field: str) -> str | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _zombie(pid: int) -> bool:
    state = _status_field(pid, "State")
    return state is None or state.startswith(("Z", "X"))


def sweep_user(uid: int, rounds: int = 20) -> int:
    """Kill every process whose real or effective user is ``uid``; return how many."""
    killed = 0
    for _ in range(rounds):
        found = []
        for pid in _processes():
            uids = _status_field(pid, "Uid")
            if uids and str(uid) in uids.split()[:2] and _zombie(pid):
                continue  # already dead, waiting for a parent that may never reap it
            if uids and str(uid) in uids.split()[:2]:
                found.append(pid)
        if not found:
            return killed
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.005)
    return killed


def sweep_session(sid: int, rounds: int = 10) -> int:
    """Kill every process of session ``sid`` (the child's, as it called setsid)."""
    killed = 0
    for _ in range(rounds):
        found = []
        for pid in _processes():
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and fields[0] not in ("Z", "X"):  # fields after the name: state ppid pgrp session
                    found.append(pid)
            except (OSError, ValueError, IndexError):
                continue
        if not found:
            return killed
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.005)
    return killed


def kill_tree(pid: int, identity: Identity) -> None:
    """End the child, its process group, and everything its user or session started."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass
    if identity.uid is not None:
        sweep_user(identity.uid)
    else:
        sweep_session(pid)


def count_user_processes() -> int:
    uid = str(os.getuid())
    return sum(1 for pid in _processes() if (_status_field(pid, "Uid") or "").split()[:1] == [uid])
