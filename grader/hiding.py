"""Without namespaces, what the sandbox uid must not read is made unreadable to it.

Under bubblewrap the sandbox sees only the scratch copy. Without it (limits mode, as in
most Gradescope containers) the uid sees the whole machine, so while grading, the
grader (root) takes read and search permission from group and others on the folders a
submission could copy from at compile time: the kit's solutions/, its mutants (each
almost a solution) and the grader's own fixtures, the hidden tests, and the folder of
submissions being graded. The reference build and the hidden tests' objects are made
first, by the grader itself.

Several gradings may hide the same folder at once (two batches of one kit): each one
signs a record in a root-only folder (STATE), and the last one to finish puts the
original mode back. A record whose signers are all dead (a grader killed with SIGKILL)
is taken over by the next grading, which then restores it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import tempfile
from pathlib import Path

# Root-only; /run is root's on every Debian or Ubuntu system (a container without it
# falls back to the temporary folder, where a folder someone else made is refused).
STATE = (Path("/run") if Path("/run").is_dir() else Path(tempfile.gettempdir())) / "socketlab-grader"


class Hidden:
    """Folders and files made owner-only for a while; restore() puts their modes back."""

    def __init__(self, state: Path = STATE) -> None:
        self.state = state
        self.token = f"{os.getpid()}:{id(self)}"
        self._mine: list[Path] = []

    @property
    def paths(self) -> list[Path]:
        return list(self._mine)

    def hide(self, path: Path) -> None:
        try:
            info = os.lstat(path)
        except OSError:
            return
        if stat.S_ISLNK(info.st_mode):
            return
        with self._record(path) as record:
            mode, signers = record.read()
            if mode is None:
                mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
            record.write(mode, [*signers, self.token])
        self._mine.append(path)

    def restore(self) -> None:
        while self._mine:
            path = self._mine.pop()
            with self._record(path) as record:
                mode, signers = record.read()
                signers = [signer for signer in signers if signer != self.token]
                if mode is not None and signers:
                    record.write(mode, signers)
                    continue
                record.clear()
                if mode is not None:
                    try:
                        os.chmod(path, mode)
                    except OSError:
                        continue

    def _record(self, path: Path) -> "_Record":
        self.state.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(self.state)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise RuntimeError(f"{self.state} is not a folder only the grader can use")
        name = hashlib.sha256(os.fsencode(os.path.abspath(path))).hexdigest()[:32]
        return _Record(self.state / name)


class _Record:
    """One hidden path's record, "MODE TOKEN TOKEN...", read and written under flock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> "_Record":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)

    def read(self) -> tuple[int | None, list[str]]:
        """The original mode and the live signers (None, [] when nobody hides it)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        words = os.read(self.fd, 65536).decode("ascii", errors="replace").split()
        if not words:
            return None, []
        try:
            mode = int(words[0], 8)
        except ValueError:
            return None, []
        return mode, [signer for signer in words[1:] if _alive(signer)]

    def write(self, mode: int, signers: list[str]) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, " ".join([f"{mode:o}", *signers]).encode("ascii"), 0)

    def clear(self) -> None:
        """Nobody hides the path any more. (Never unlinked: another grader may be waiting
        on this very file's lock.)"""
        os.ftruncate(self.fd, 0)


def _alive(signer: str) -> bool:
    try:
        os.kill(int(signer.split(":")[0]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def sensitive_paths(kit: Path, extra_tests: Path | None, submissions: list[Path]) -> list[Path]:
    """What a submission must not #include when it can see the machine."""
    paths = [kit / "solutions", kit / "tests" / "mutants", kit / "grader" / "tests"]
    if extra_tests is not None:
        paths.append(extra_tests)
    return paths + submissions
