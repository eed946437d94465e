#!/usr/bin/env python3
"""make handin: a tarball of just the student's files, exactly what the grader reads.

    python3 grader/handin.py --output handin.tar.gz .
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.labs import labs_in_kit  # noqa: E402


def collect(kit: Path) -> tuple[list[str], list[str]]:
    """The student files present as regular files, and warnings about the others."""
    taken: list[str] = []
    warnings: list[str] = []
    for lab in labs_in_kit(kit):
        for relative in lab.kit_paths():
            path = kit / relative
            if path.is_symlink():
                warnings.append(f"{relative} is a symbolic link: left out (the grader refuses links)")
            elif path.is_file():
                taken.append(relative)
            else:
                warnings.append(f"{relative} is missing: it will be graded as the skeleton")
    return taken, warnings


def write_tarball(kit: Path, files: list[str], output: Path) -> None:
    now = int(time.time())
    with tarfile.open(output, "w:gz") as archive:
        for relative in files:
            content = (kit / relative).read_bytes()
            info = tarfile.TarInfo(relative)
            info.size, info.mode, info.mtime = len(content), 0o644, now
            archive.addfile(info, fileobj=io.BytesIO(content))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kit", type=Path, help="your checkout of the kit")
    parser.add_argument("--output", type=Path, default=Path("handin.tar.gz"))
    args = parser.parse_args(argv)
    taken, warnings = collect(args.kit)
    for warning in warnings:
        print(f"handin: {warning}", file=sys.stderr)
    if not taken:
        print("handin: none of your files was found: is this the kit's folder?", file=sys.stderr)
        return 1
    write_tarball(args.kit, taken, args.output)
    print(f"handin: wrote {args.output} with {len(taken)} files: {', '.join(taken)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
