"""Without namespaces, what the sandbox uid must not read is made unreadable to it.

Under bubblewrap the sandbox sees only the scratch copy. Without it (limits mode, as in
most Gradescope containers) the uid sees the whole machine, so while grading, the
grader (root) takes read and search permission from group and others on the folders a
submission could copy from at compile time: the kit's solutions/, its mutants (each
almost a solution) and the grader's own fixtures, the hidden tests, and the folder of
submissions being graded. The modes are put back when grading ends (or is stopped).
The reference build and the hidden tests' objects are made first, by the grader itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Hidden:
    """Folders and files made owner-only for a while; restore() puts their modes back."""

    def __init__(self) -> None:
        self._saved: list[tuple[Path, int]] = []

    def hide(self, path: Path) -> None:
        try:
            info = os.lstat(path)
        except OSError:
            return
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode) or not mode & 0o077:
            return
        os.chmod(path, mode & 0o700)
        self._saved.append((path, mode))

    @property
    def paths(self) -> list[Path]:
        return [path for path, _ in self._saved]

    def restore(self) -> None:
        while self._saved:
            path, mode = self._saved.pop()
            try:
                os.chmod(path, mode)
            except OSError:
                continue


def sensitive_paths(kit: Path, extra_tests: Path | None, submissions: list[Path]) -> list[Path]:
    """What a submission must not #include when it can see the machine."""
    paths = [kit / "solutions", kit / "tests" / "mutants", kit / "grader" / "tests"]
    if extra_tests is not None:
        paths.append(extra_tests)
    return paths + submissions
