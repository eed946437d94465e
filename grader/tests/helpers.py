"""Shared by the grader's own tests: the kit, fixtures, and laying out submissions."""

from __future__ import annotations

import hashlib
import os
import shutil
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


def lay_out(root: Path, files: dict[str, bytes]) -> Path:
    """A submission folder holding `files` (kit paths -> bytes)."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    root.mkdir(parents=True, exist_ok=True)
    return root


def fixture(lab: str, name: str) -> bytes:
    """A hostile fixture file, with @KIT@ replaced by the kit's real path."""
    text = (FIXTURES / lab / f"{name}.c").read_text(encoding="utf-8")
    return text.replace("@KIT@", str(KIT)).encode()


def reference_files(labs: list[int]) -> dict[str, bytes]:
    """The reference solutions laid out as a student's files."""
    from grader.labs import lab
    files: dict[str, bytes] = {}
    for number in labs:
        for name in lab(number).student_files:
            source = KIT / "solutions" / f"lab{number}" / name
            if source.exists():
                files[f"labs/lab{number}/{name}"] = source.read_bytes()
    return files
