#!/usr/bin/env python3
"""make handin: a tarball of just the student's files, exactly what the grader reads.

    python3 -m grader.handin --output handin.tar.gz .

It warns about files that are still the skeleton as shipped (when the kit's manifest or
git can tell) and about files in the lab folders that it leaves out.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
from pathlib import Path

from grader.labs import DECLARATION, Lab, declared_labs
from grader.runtime.kitfiles import baseline


def labs_of(kit: Path) -> list[Lab]:
    """The labs the grader reads (as this kit declares them) whose folder `kit` has."""
    return [lab for lab in declared_labs() if (kit / "labs" / lab.name).is_dir()]


def collect(kit: Path) -> tuple[list[str], list[str]]:
    """The student files present as regular files, and warnings about the others."""
    taken: list[str] = []
    warnings: list[str] = []
    for lab in labs_of(kit):
        for relative in lab.kit_paths():
            path = kit / relative
            if path.is_symlink():
                warnings.append(f"{relative} is a symbolic link: left out (the grader refuses links)")
            elif path.is_file():
                taken.append(relative)
            else:
                warnings.append(f"{relative} is missing: it will be graded as the skeleton")
    return taken, warnings


def not_graded(kit: Path) -> list[str]:
    """Files in the student's folders (labs/labN/) that the grader will not read."""
    found: list[str] = []
    for lab in labs_of(kit):
        graded = set(lab.kit_paths()) | {f"labs/{lab.name}/{lab.name}.h", f"labs/{lab.name}/{DECLARATION}"}
        folder = kit / "labs" / lab.name
        found += sorted(path.relative_to(kit).as_posix() for path in folder.rglob("*")
                        if not path.is_dir() and path.relative_to(kit).as_posix() not in graded)
    return found


def still_skeletons(kit: Path, files: list[str]) -> list[str]:
    """Those of `files` that are still the skeleton as shipped (when that can be known)."""
    shipped = baseline(kit)
    return shipped.as_shipped(files) if shipped is not None else []


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
    skeletons = still_skeletons(args.kit, taken)
    if skeletons:
        warnings.append("still the skeleton as shipped (these score as unwritten): "
                        + ", ".join(skeletons))
    extra = not_graded(args.kit)
    if extra:
        warnings.append("not handed in (the grader reads only each lab's own files): "
                        + ", ".join(extra))
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
