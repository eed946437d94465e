"""The kit as shipped: which files a student must not edit, and whether they were edited.

The tests follow whatever header, test or Makefile they are built with, while the grader
uses the kit's own copies. So an edited lab7.h (a smaller ECHO_MAX_MESSAGE, say) passes
`make check` and then fails the grade. This module finds such edits, and tells whether a
student's own files are still the skeleton as shipped, in one of two ways:

  - a manifest, MANIFEST (sha256sum format, `sha256sum -c` reads it), which `make dist`
    writes into the student kit: the kit as shipped, exactly;
  - git, in a clone without a manifest: where the branch last met the one it tracks
    (the merge base with @{upstream}: the kit as cloned or last pulled), else HEAD.

    kitfiles.py manifest --output FILE     write the manifest of the kit (used by make dist)
"""

from __future__ import annotations

import argparse
import abc
import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "tests/kit-manifest.sha256"
ARCHIVE = "socketlab-student.tar.gz"
HEADER = re.compile(r"labs/lab\d+/lab\d+\.h")
STUDENT_FILE = re.compile(r"labs/lab\d+/[^/]+\.c")
NOT_KIT = ("tests/mutants/", "__pycache__/")


def protected(path: str) -> bool:
    """A kit file the student must not edit: the Makefile, a lab's header, anything in tests/."""
    if path == MANIFEST or path.endswith(".pyc") or any(part in path for part in NOT_KIT):
        return False
    return path == "Makefile" or bool(HEADER.fullmatch(path)) or path.startswith("tests/")


def student_file(path: str) -> bool:
    """A file the student writes: a .c file in labs/labN/ (shipped as a skeleton)."""
    return bool(STUDENT_FILE.fullmatch(path))


def candidates(kit: Path) -> list[str]:
    """The kit's files that are protected or skeletons, as relative POSIX paths, sorted."""
    found = [kit / "Makefile", *(kit / "labs").glob("lab*/*"), *(kit / "tests").rglob("*")]
    paths = {path.relative_to(kit).as_posix() for path in found
             if path.is_file() and not path.is_symlink()}
    return sorted(path for path in paths if protected(path) or student_file(path))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_text(kit: Path) -> str:
    return "".join(f"{digest(kit / path)}  {path}\n" for path in candidates(kit))


@dataclass(frozen=True)
class Change:
    """A protected file that is not as shipped: edited, missing or added."""

    path: str
    how: str


class Baseline(abc.ABC):
    """The kit as shipped, by path: its files' checksums, or a git revision."""

    @abc.abstractmethod
    def changes(self) -> list[Change]:
        """Protected files that differ from the kit as shipped."""

    @abc.abstractmethod
    def as_shipped(self, paths: list[str]) -> list[str]:
        """Those of `paths` whose content is exactly the one shipped."""

    @abc.abstractmethod
    def restore_hint(self, changes: list[Change]) -> list[str]:
        """Commands (or words) that put the files back as shipped."""


class ManifestBaseline(Baseline):
    def __init__(self, kit: Path, shipped: dict[str, str]) -> None:
        self.kit = kit
        self.shipped = shipped

    @classmethod
    def read(cls, kit: Path) -> ManifestBaseline | None:
        try:
            text = (kit / MANIFEST).read_text(encoding="utf-8")
        except OSError:
            return None
        shipped = {}
        for line in text.splitlines():
            checksum, _, path = line.partition("  ")
            if re.fullmatch(r"[0-9a-f]{64}", checksum) and path:
                shipped[path] = checksum
        return cls(kit, shipped)

    def _current(self, path: str) -> str | None:
        try:
            return digest(self.kit / path)
        except OSError:
            return None

    def changes(self) -> list[Change]:
        found = []
        for path, checksum in sorted(self.shipped.items()):
            if not protected(path):
                continue
            now = self._current(path)
            if now is None:
                found.append(Change(path, "missing"))
            elif now != checksum:
                found.append(Change(path, "edited"))
        found += [Change(path, "added") for path in candidates(self.kit)
                  if protected(path) and path not in self.shipped]
        return found

    def as_shipped(self, paths: list[str]) -> list[str]:
        return [path for path in paths
                if path in self.shipped and self._current(path) == self.shipped[path]]

    def restore_hint(self, changes: list[Change]) -> list[str]:
        hints = []
        back = [change.path for change in changes if change.how != "added"]
        if back:
            hints.append("copy them back from the archive you were given (" + ARCHIVE + "), in "
                         "this folder: tar -xzf " + ARCHIVE + " --strip-components=1 "
                         + " ".join(f"socketlab/{path}" for path in back))
        hints += [f"rm {change.path}    (not part of the kit)"
                  for change in changes if change.how == "added"]
        return hints


class GitBaseline(Baseline):
    def __init__(self, kit: Path, base: str, name: str) -> None:
        self.kit = kit
        self.base = base    # a commit
        self.name = name    # how to show it: origin/main, HEAD or a short hash

    @classmethod
    def find(cls, kit: Path) -> GitBaseline | None:
        """The kit's clone, when the kit is one (its Makefile tracked) and has a commit."""
        head = _git(kit, "rev-parse", "--verify", "--quiet", "HEAD")
        if head is None or _git(kit, "ls-files", "--error-unmatch", "Makefile") is None:
            return None
        upstream = (_git(kit, "rev-parse", "--abbrev-ref", "--symbolic-full-name",
                         "@{upstream}") or "").strip()
        met = (_git(kit, "merge-base", "HEAD", upstream) or "").strip() if upstream else ""
        if not met:
            return cls(kit, head.strip(), "HEAD")
        at_upstream = (_git(kit, "rev-parse", upstream) or "").strip() == met
        return cls(kit, met, upstream if at_upstream else met[:12])

    def changes(self) -> list[Change]:
        found: list[Change] = []
        listed = _git(self.kit, "diff", "--name-status", "--relative", "--no-renames",
                      self.base, "--", "Makefile", "labs", "tests") or ""
        kinds = {"A": "added", "D": "missing"}
        for line in listed.splitlines():
            status, _, path = line.partition("\t")
            if protected(path):
                found.append(Change(path, kinds.get(status[:1], "edited")))
        untracked = _git(self.kit, "ls-files", "--others", "--exclude-standard", "--",
                         "labs", "tests") or ""
        found += [Change(path, "added") for path in untracked.splitlines() if protected(path)]
        return sorted(found, key=lambda change: change.path)

    def as_shipped(self, paths: list[str]) -> list[str]:
        if not paths:
            return []
        tracked = set((_git(self.kit, "ls-tree", "-r", "--name-only", self.base, "--", *paths)
                       or "").splitlines())
        differing = set((_git(self.kit, "diff", "--name-only", "--relative", self.base, "--",
                              *paths) or "").splitlines())
        return [path for path in paths if path in tracked and path not in differing
                and (self.kit / path).is_file()]

    def restore_hint(self, changes: list[Change]) -> list[str]:
        hints = []
        back = [change.path for change in changes if change.how != "added"]
        if back:
            hints.append(f"git checkout {self.name} -- {' '.join(back)}")
        hints += [f"rm {change.path}    (not part of the kit)"
                  for change in changes if change.how == "added"]
        return hints


def _git(kit: Path, *args: str) -> str | None:
    """git's output, or None when git is missing or the command fails."""
    try:
        done = subprocess.run(["git", *args], cwd=kit, capture_output=True, text=True,
                              timeout=20, check=False, errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def baseline(kit: Path) -> Baseline | None:
    """How to know the kit as shipped here: the manifest, else git, else nothing."""
    return ManifestBaseline.read(kit) or GitBaseline.find(kit)


def tamper_warning(kit: Path, found: Baseline | None = None) -> list[str]:
    """The lines of a warning about edited kit files; [] when there are none (or no way to tell)."""
    found = found if found is not None else baseline(kit)
    if found is None:
        return []
    changes = found.changes()
    if not changes:
        return []
    lines = ["warning: these kit files are not as shipped. The tests here follow your copies, "
             "but the grader", "uses the kit's own, so what passes here may fail there:"]
    lines += [f"  {change.path} ({change.how})" for change in changes]
    lines.append("Put them back as shipped (your own files in labs/labN/*.c are not touched):")
    lines += [f"  {hint}" for hint in found.restore_hint(changes)]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("manifest", help="write the manifest of the kit")
    write.add_argument("--kit", type=Path, default=Path(__file__).resolve().parents[2])
    write.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    args.output.write_text(manifest_text(args.kit), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
