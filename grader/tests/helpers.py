"""Shared by the grader's own tests: the kit, fixtures, and laying out submissions."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path
KIT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SKIPPED_IN_FINGERPRINT = {".git", "build", "dist", "__pycache__"}


def tools_missing() -> list[str]:
    return [tool for tool in ("make", "cc", "pkg-config", "valgrind", "prlimit", "setpriv")
            if shutil.which(tool) is None]


def kit_fingerprint(kit: Path = KIT) -> dict[str, str]:
    """sha1 of every file of the kit (build output and VCS metadata aside)."""
    prints: dict[str, str] = {}
    for folder, dirs, files in os.walk(kit):
        dirs[:] = [name for name in dirs if name not in SKIPPED_IN_FINGERPRINT]
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink() and not name.endswith(".tar.gz"):
                prints[str(path.relative_to(kit))] = hashlib.sha1(path.read_bytes()).hexdigest()
    return prints


def fixture(lab: str, name: str, victim: Path | None = None, batch: Path | None = None) -> bytes:
    """A hostile fixture file, with @KIT@ replaced by the kit's real path, @VICTIM@ by
    `victim` (a folder the attack aims at) and @BATCH@ by `batch` (the class folder)."""
    text = (FIXTURES / lab / f"{name}.c").read_text(encoding="utf-8")
    text = text.replace("@KIT@", str(KIT))
    if victim is not None:
        text = text.replace("@VICTIM@", str(victim))
    if batch is not None:
        text = text.replace("@BATCH@", str(batch))
    return text.encode()


SANDBOX_UIDS = range(61000, 61512)


def _uid_in_use(uid: int) -> bool:
    """True when a grading (maybe another one on this machine) holds uid's lock."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.bind(f"\0socketlab-grader-uid-{uid}")
        return False
    except OSError:
        return True
    finally:
        probe.close()


def sandbox_leftovers() -> list[str]:
    """What a sandbox uid that no grading holds owns in the shared temporary folders, or
    still runs: what a finished grading left behind."""
    found = [item for item in _owned_by_sandbox_uids()
             if not _uid_in_use(item[0])]
    return [what for _, what in found]


def _owned_by_sandbox_uids() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                uid = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if uid in SANDBOX_UIDS:
                found.append((uid, entry.path))
    with os.scandir("/proc") as processes:
        for entry in processes:
            try:
                uid = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if entry.name.isdigit() and uid in SANDBOX_UIDS:
                found.append((uid, f"process {entry.name} of uid {uid}"))
    return found


def tree_fingerprint(root: Path) -> dict[str, tuple[int, int, str]]:
    """(owner, mode, sha1) of every entry below root, links not followed."""
    prints: dict[str, tuple[int, int, str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            digest = (hashlib.sha1(path.read_bytes()).hexdigest()
                      if path.is_file() and not path.is_symlink() else "")
            prints[str(path.relative_to(root))] = (info.st_uid, info.st_mode, digest)
    return prints
