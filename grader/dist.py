#!/usr/bin/env python3
"""make dist: the student kit, everything but what reveals a solution.

    python3 grader/dist.py --output dist/socketlab-student.tar.gz .

Left out: solutions/, tests/mutants/ (each mutant is a solution with one mistake),
grader/tests/ (its fixtures are mostly-correct lab files), build output, VCS metadata
and archives. Before writing, every file is checked against the reference solutions:
a file identical to one, or holding most of one's code lines, stops the dist.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
from pathlib import Path, PurePosixPath

LEFT_OUT_FOLDERS = ("solutions", "tests/mutants", "grader/tests", "build", "dist", ".git")
LEFT_OUT_NAMES = ("__pycache__", ".DS_Store")
LEFT_OUT_SUFFIXES = (".tar.gz", ".zip", ".pyc", ".o", ".d")
TOP = "socketlab"
REVEALING_SHARE = 0.6


def kit_files(kit: Path) -> list[str]:
    """The kit's files that go into the student kit (relative POSIX paths, sorted)."""
    chosen: list[str] = []
    for path in sorted(kit.rglob("*")):
        relative = PurePosixPath(path.relative_to(kit).as_posix())
        text = str(relative)
        if any(text == folder or text.startswith(folder + "/") for folder in LEFT_OUT_FOLDERS):
            continue
        if any(part in LEFT_OUT_NAMES for part in relative.parts) or text.endswith(LEFT_OUT_SUFFIXES):
            continue
        if path.is_file() and not path.is_symlink():
            chosen.append(text)
    return chosen


def code_lines(text: str) -> set[str]:
    """A solution's distinctive lines: code, not comments, braces or includes."""
    lines = set()
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) >= 16 and not line.startswith(("/*", "*", "//", "#include", "}", "{")):
            lines.add(line)
    return lines


def revealing(kit: Path, files: list[str]) -> list[str]:
    """Files that give a solution away."""
    solutions = [path for path in (kit / "solutions").rglob("*.c")] if (kit / "solutions").is_dir() else []
    signatures = {path: (path.read_bytes(), code_lines(path.read_text(errors="replace")))
                  for path in solutions}
    found: list[str] = []
    for relative in files:
        content = (kit / relative).read_bytes()
        text_lines = code_lines(content.decode("utf-8", errors="replace"))
        for solution, (solution_bytes, lines) in signatures.items():
            shared = len(lines & text_lines) / len(lines) if lines else 0.0
            if content == solution_bytes or (len(lines) >= 3 and shared >= REVEALING_SHARE):
                found.append(f"{relative} (like {solution.relative_to(kit)}: "
                             f"{shared:.0%} of its code lines)")
                break
    return found


def write_tarball(kit: Path, files: list[str], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    with tarfile.open(output, "w:gz") as archive:
        for relative in files:
            path = kit / relative
            content = path.read_bytes()
            info = tarfile.TarInfo(f"{TOP}/{relative}")
            info.size, info.mtime = len(content), now
            info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            archive.addfile(info, io.BytesIO(content))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kit", type=Path)
    parser.add_argument("--output", type=Path, default=Path("dist/socketlab-student.tar.gz"))
    args = parser.parse_args(argv)
    files = kit_files(args.kit)
    leaks = revealing(args.kit, files)
    if leaks:
        print("dist: these files would reveal a solution; nothing written:", file=sys.stderr)
        for leak in leaks:
            print(f"  {leak}", file=sys.stderr)
        return 1
    write_tarball(args.kit, files, args.output)
    print(f"dist: wrote {args.output} ({len(files)} files, no solutions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
