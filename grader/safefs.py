"""Touching folders a submission could write, without following its links.

The grader runs as root. Every path below a folder the sandbox uid can write (its build
folder, its Valgrind logs, the shared /tmp) is reached from a folder descriptor, one
component at a time, with O_NOFOLLOW: a symbolic link planted there is refused, never
followed. These functions are called only once every process of that uid is dead, so
nothing changes under them while they work.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path, PurePosixPath

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def open_dir(base: Path, relative: str = "") -> int | None:
    """A descriptor of base/relative, or None when some component is missing, not a
    folder or a symbolic link. `base` itself must sit in folders the sandbox cannot
    write (it is opened without following a link at its last component only)."""
    try:
        current = os.open(base, DIR_FLAGS)
    except OSError:
        return None
    for part in PurePosixPath(relative).parts if relative else ():
        try:
            following = os.open(part, DIR_FLAGS, dir_fd=current)
        except OSError:
            os.close(current)
            return None
        os.close(current)
        current = following
    return current


def read_file(dir_fd: int, name: str, limit: int) -> bytes:
    """At most `limit` bytes of the regular file `name` in dir_fd; b"" for anything else
    (missing, a link, a FIFO, a device)."""
    try:
        descriptor = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return b""
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return b""
        return handle.read(limit)


def read_beneath(base: Path, relative: str, limit: int) -> bytes:
    """read_file of base/relative, every component checked."""
    parent = str(PurePosixPath(relative).parent)
    folder = open_dir(base, "" if parent == "." else parent)
    if folder is None:
        return b""
    try:
        return read_file(folder, PurePosixPath(relative).name, limit)
    finally:
        os.close(folder)


def names_in(dir_fd: int) -> list[str]:
    try:
        return sorted(os.listdir(dir_fd))
    except OSError:
        return []


def give_tree(path: Path, uid: int) -> None:
    """Hands a tree the grader has just laid out (nothing of the sandbox in it yet) to uid."""
    os.chown(path, uid, uid, follow_symlinks=False)
    for _root, dirs, files, root_fd in os.fwalk(path, follow_symlinks=False):
        for name in dirs + files:
            os.chown(name, uid, uid, dir_fd=root_fd, follow_symlinks=False)


def seal_tree(path: Path, uid: int) -> None:
    """Takes a tree back from uid: what it owns becomes root's and loses every write
    and set-id bit, so the next run (same uid) can read and execute it but not change it.
    Entries the uid does not own (a hard link to someone else's file) are left alone."""
    def seal(name: str, dir_fd: int | None) -> None:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if info.st_uid != uid:
            return
        os.chown(name, 0, 0, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISLNK(info.st_mode):
            os.chmod(name, stat.S_IMODE(info.st_mode) & 0o755, dir_fd=dir_fd)

    seal(str(path), None)
    for _root, dirs, files, root_fd in os.fwalk(path, follow_symlinks=False):
        for name in dirs + files:
            seal(name, root_fd)


def tree_bytes(path: Path) -> int:
    """Disk blocks used below path (links not followed), in bytes."""
    total = 0
    try:
        total += os.lstat(path).st_blocks * 512
        for _root, _dirs, files, root_fd in os.fwalk(path, follow_symlinks=False):
            for name in files:
                try:
                    total += os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_blocks * 512
                except OSError:
                    continue
    except OSError:
        pass
    return total


def remove_tree(path: Path) -> None:
    """shutil.rmtree, which on Linux works from folder descriptors and never follows links."""
    assert shutil.rmtree.avoids_symlink_attacks
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def left_in_shared_tmp(uid: int, folders: tuple[str, ...] = SHARED_TMP) -> list[Path]:
    """What uid owns at the top of the shared temporary folders, or one level down in a
    world-writable folder it does not own (such as /tmp/.X11-unix)."""
    found: list[Path] = []
    for folder in folders:
        found += _owned_in(Path(folder), uid, depth=2)
    return found


def _owned_in(folder: Path, uid: int, depth: int) -> list[Path]:
    found: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            found.append(Path(entry.path))
        elif depth > 1 and stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:
            found += _owned_in(Path(entry.path), uid, depth - 1)
    return found
