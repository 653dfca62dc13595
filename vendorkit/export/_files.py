"""Private files and folders that are never written through a link someone planted.

Exports hold customer data, and checkpoints say where it is: every file is created readable by
its owner only (0600) and every folder the export creates is 0700, whatever the umask allows
beyond that. A path the export writes is never followed when it is a symbolic link:

- a new file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (a stale regular file from an
  earlier run is removed first; a symbolic link, a folder or a device there is refused);
- an existing file (a part file being resumed, a checkpoint being read) is opened with
  ``O_NOFOLLOW`` and must be a regular file; one opened for writing must also be ours and have no
  other hard link (it could be someone else's file under our name);
- a folder the export creates (anything below ``out=``) must be a real folder, not a link;
- a rename into place refuses a link at the destination (``rename`` would replace the link, not
  follow it, but a link there means someone is trying something, and we say so).

Any such refusal is an ``UnsafePathError`` naming the path; nothing is written.

``out=`` itself is the caller's: a link there is followed, as the caller chose it; missing
folders on the way to it are created 0700.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from vendorkit.errors import UnsafePathError

__all__ = [
    "create_private",
    "ensure_root",
    "ensure_subdirs",
    "is_regular_file",
    "open_private",
    "refuse_link",
    "replace_into",
    "write_private_atomic",
]

FILE_MODE = 0o600
DIR_MODE = 0o700

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO planted there must not hang
_BINARY = getattr(os, "O_BINARY", 0)


def _link_error(path: Path) -> UnsafePathError:
    return UnsafePathError(
        f"refusing to write through {path}: it is a symbolic link (remove it, or choose another "
        "out= folder)"
    )


def _kind_error(path: Path, what: str) -> UnsafePathError:
    return UnsafePathError(f"refusing to use {path}: it is {what}, not a regular file")


def refuse_link(path: Path) -> None:
    """Nothing, if ``path`` is absent or a regular file; else an ``UnsafePathError``."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise _link_error(path)
    if not stat.S_ISREG(st.st_mode):
        raise _kind_error(path, "a folder" if stat.S_ISDIR(st.st_mode) else "a special file")


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` exists as a regular file (a link to one is an ``UnsafePathError``)."""
    refuse_link(path)
    return os.path.lexists(path)


def _mkdir(path: Path) -> bool:
    """Create ``path`` (0700); False if something is already there."""
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return False
    return True


def ensure_root(root: Path) -> None:
    """``root`` exists as a folder (followed if a link: the caller named it); missing folders on
    the way to it are created 0700."""
    missing: list[Path] = []
    probe = root
    while not os.path.isdir(probe):
        if os.path.lexists(probe) and not os.path.islink(probe):
            if os.path.isdir(probe):
                # Made meanwhile by another process starting on the same out= (nine workers
                # of one export do): not a file after all.
                break
            raise UnsafePathError(f"out= {root} is not a folder: {probe} is a file")
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        if not _mkdir(folder) and not os.path.isdir(folder):
            raise UnsafePathError(f"refusing to use {folder}: it is not a folder")


def ensure_subdirs(root: Path, parts: Iterable[str]) -> Path:
    """``root/part/part/...``, each folder created 0700 where missing; each must be a real
    folder, never a link (checked after creating it too: a link swapped in is refused)."""
    path = root
    for part in parts:
        path = path / part
        _mkdir(path)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            raise _link_error(path)
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafePathError(f"refusing to use {path}: it is not a folder")
    return path


def create_private(path: Path) -> int:
    """A new, empty file at ``path``, 0600, open for writing (a file descriptor). A regular file
    already there (an earlier run's) is replaced; anything else there is refused."""
    refuse_link(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
    try:
        return os.open(path, flags, FILE_MODE)
    except FileExistsError:
        # Created between our unlink and our open: by someone else, so not ours to write.
        raise UnsafePathError(
            f"refusing to write {path}: something else created it at the same moment"
        ) from None


def open_private(path: Path, *, write: bool) -> int:
    """An existing regular file at ``path``, never through a link (a file descriptor). Opened
    for writing, it must be ours and have no other hard link; it is made 0600 if it was not."""
    flags = (os.O_RDWR if write else os.O_RDONLY) | _NOFOLLOW | _CLOEXEC | _NONBLOCK | _BINARY
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise _link_error(path) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _kind_error(path, "a folder" if stat.S_ISDIR(st.st_mode) else "a special file")
        if write:
            if st.st_nlink != 1:
                raise UnsafePathError(
                    f"refusing to write {path}: it has {st.st_nlink} hard links (another file "
                    "shares it)"
                )
            if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
                raise UnsafePathError(f"refusing to write {path}: it belongs to another user")
            if st.st_mode & 0o777 != FILE_MODE and hasattr(os, "fchmod"):
                os.fchmod(fd, FILE_MODE)
        return fd
    except BaseException:
        os.close(fd)
        raise


def replace_into(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` (atomic), refusing a link or a non-file at ``target``."""
    refuse_link(target)
    os.replace(source, target)


def write_private_atomic(path: Path, data: bytes) -> None:
    """``data`` as the whole content of ``path``: written to ``<path>.tmp`` (0600, created
    exclusively) and renamed over it, so a reader sees the old content or the new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    refuse_link(path)
    fd = create_private(tmp)
    try:
        with open(fd, "wb", closefd=True) as fh:
            fh.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    replace_into(tmp, path)
