"""Read a learner's file without following a link the learner made.

A submission is a folder the learner filled: any name in it may be a
symbolic link (to a classmate's notebook, the instructor's solution, the
course's secret seed, ``/etc/passwd``) or a special file (a named pipe that
blocks whoever opens it).  Below a trusted folder (the submissions folder,
which is the instructor's), every component of a learner's path is opened
with ``O_NOFOLLOW`` relative to the folder before it, so that no link is
followed, not even one swapped in after the folder was listed; the last
component must be a regular file.

:func:`refusal` says, from ``lstat`` alone, why a path would be refused
(``None`` when it would not); :func:`read_regular` reads a path or raises
:class:`UnsafeFile` with the same message.  The messages are for the
learner: they name the path relative to the trusted folder, never where a
link points.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = {stat.S_IFIFO: "named pipe", stat.S_IFSOCK: "socket", stat.S_IFCHR: "device", stat.S_IFBLK: "device"}


class UnsafeFile(ValueError):
    """A path the grader will not read; the message says why, for the learner."""


def _split(path: str | os.PathLike, under: str | os.PathLike | None) -> tuple[Path, tuple[str, ...]]:
    """(the trusted folder, the learner's components below it)."""
    path = Path(os.path.abspath(path))
    if under is None:
        return path.parent, (path.name,)
    base = Path(os.path.abspath(under))
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        raise UnsafeFile(f"{path.name} is outside the submission's folder") from None
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise UnsafeFile(f"{path.name} is outside the submission's folder")
    return base, parts


def _link_message(shown: str, folder: bool) -> str:
    if folder:
        return (f"the folder {shown} is a symbolic link, not a folder of your own: the grader never follows links; "
                "submit your files in a folder of your own")
    return (f"{shown} is a symbolic link, not a file: the grader never follows links; "
            "submit the file itself, not a link to it")


def _kind_message(shown: str, mode: int, folder: bool) -> str:
    if folder:
        return f"{shown} should be a folder but is a file; submit your files in a folder"
    if stat.S_ISDIR(mode):
        return f"{shown} is a folder, not a file; submit the file itself"
    kind = _KINDS.get(stat.S_IFMT(mode), "special file")
    return f"{shown} is not a regular file (it is a {kind}); submit the file itself"


def refusal(path: str | os.PathLike, *, under: str | os.PathLike | None = None) -> str | None:
    """Why ``path`` would not be read (``lstat`` of each component below ``under``), or None.

    A component that does not exist is not a refusal (the caller says it is missing).
    """
    try:
        base, parts = _split(path, under)
    except UnsafeFile as exc:
        return str(exc)
    current = base
    for n, part in enumerate(parts):
        current = current / part
        shown = "/".join(parts[: n + 1])
        last = n == len(parts) - 1
        try:
            info = os.lstat(current)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):
            return _link_message(shown, folder=not last)
        if not last and not stat.S_ISDIR(info.st_mode):
            return _kind_message(shown, info.st_mode, folder=True)
        if last and not stat.S_ISREG(info.st_mode):
            return _kind_message(shown, info.st_mode, folder=False)
    return None


def open_regular(path: str | os.PathLike, *, under: str | os.PathLike | None = None, follow_links: bool = False) -> int:
    """A read-only descriptor of the regular file ``path`` (see the module docstring).

    ``under`` is the trusted folder: no component of ``path`` below it is
    followed when it is a link (default: the file's own folder, so the file
    itself).  ``follow_links=True`` opens ``path`` as any program would,
    still refusing what is not a regular file (a named pipe would block).
    Raises :class:`UnsafeFile` (refused) or :class:`OSError` (missing,
    unreadable).
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
    if follow_links:
        fd = os.open(path, flags)
        shown = Path(path).name
    else:
        base, parts = _split(path, under)
        shown = "/".join(parts)
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for n, part in enumerate(parts[:-1]):
                try:
                    inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
                except OSError as exc:
                    if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise
                    raise _refused(part, fd, "/".join(parts[: n + 1]), folder=True) from None
                os.close(fd)
                fd = inner
            try:
                inner = os.open(parts[-1], flags | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                raise _refused(parts[-1], fd, shown, folder=False) from None
        finally:
            os.close(fd)
        fd = inner
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(_kind_message(shown, info.st_mode, folder=False))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refused(name: str, folder_fd: int, shown: str, *, folder: bool) -> UnsafeFile:
    try:
        info = os.lstat(name, dir_fd=folder_fd)
    except OSError:
        return UnsafeFile(_link_message(shown, folder))
    if stat.S_ISLNK(info.st_mode):
        return UnsafeFile(_link_message(shown, folder))
    return UnsafeFile(_kind_message(shown, info.st_mode, folder))


def read_regular(path: str | os.PathLike, *, under: str | os.PathLike | None = None, follow_links: bool = False) -> bytes:
    """The bytes of the regular file ``path``, opened by :func:`open_regular`."""
    fd = open_regular(path, under=under, follow_links=follow_links)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def hard_links(path: str | os.PathLike) -> int:
    """How many names the file ``path`` has (1 for a file of its own; 0 when it cannot be seen)."""
    try:
        info = os.lstat(path)
    except OSError:
        return 0
    return info.st_nlink if stat.S_ISREG(info.st_mode) else 0
