"""make bench-grader (python3 -m grader.benchmark): how fast the grader is.

Grades N copies of the reference solution and N of the skeleton with --jobs 1 and 2 and
prints seconds per submission and submissions per minute; then compares one reference
grading with the kit's own check + memcheck of the same labs (no sandbox) to show the
grader's overhead.

    python3 -m grader.benchmark [--copies N] [--labs LIST] [--no-valgrind]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.batch import grade_all
from grader.grading import Grader, Settings
from grader.labs import lab, labs_in_kit, parse_lab_list

KIT = Path(__file__).resolve().parents[1]


def lay_out(root: Path, files: dict[str, bytes]) -> Path:
    """A submission folder holding `files` (kit paths -> bytes)."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    root.mkdir(parents=True, exist_ok=True)
    return root


def reference_files(labs: list[int], kit: Path = KIT) -> dict[str, bytes]:
    """The reference solutions laid out as a student's files ({} in a kit without them)."""
    files: dict[str, bytes] = {}
    for number in labs:
        for name in lab(number, kit).student_files:
            source = kit / "solutions" / f"lab{number}" / name
            if source.exists():
                files[f"labs/lab{number}/{name}"] = source.read_bytes()
    return files


def make_check_seconds(labs: list[int], valgrind: bool, folder: Path) -> float:
    """What `make labN check` (+ memcheck) of the reference costs, for every lab."""
    started = time.monotonic()
    build = folder / "make-check"
    for number in labs:
        subprocess.run(["make", "-s", "--no-print-directory", "-C", str(KIT), f"build-lab{number}",
                        "SOLUTION=1", f"BUILD={build}"], capture_output=True, check=False)
        for command in ("check", "memcheck") if valgrind else ("check",):
            subprocess.run([sys.executable, "-m", "grader.runtime.labcheck", "--build",
                            str(build), command, "--lab", str(number)],
                           capture_output=True, check=False, cwd=KIT)
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    known = [entry.number for entry in labs_in_kit(KIT)]
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--labs", default=None)
    parser.add_argument("--no-valgrind", action="store_true")
    args = parser.parse_args(argv)
    labs = parse_lab_list(args.labs, known) if args.labs else known
    valgrind = not args.no_valgrind
    if not (KIT / "solutions").is_dir():
        print("grader bench: this kit has no solutions/, so there is no reference submission to "
              "time (the instructor's kit has them)")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    folder.chmod(0o711)
    try:
        print(f"grader bench: labs {','.join(map(str, labs))}, Valgrind {'on' if valgrind else 'off'}, "
              f"{args.copies} copies each of the reference and the skeleton, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        skeleton: dict[str, bytes] = {}  # no file: every lab file is the skeleton as shipped
        for kind, files in (("reference", reference_files(labs)), ("skeleton", skeleton)):
            batch = folder / kind
            for copy in range(args.copies):
                lay_out(batch / f"{kind}-{copy}", files)
            for jobs in (1, 2):
                workdir = folder / f"work-{kind}-{jobs}"
                workdir.mkdir()
                workdir.chmod(0o711)
                settings = Settings(KIT, [lab(n) for n in labs], valgrind=valgrind,
                                    valgrind_shards=max(1, (os.cpu_count() or 1) // jobs))
                with Grader(settings, workdir) as grader:
                    started = time.monotonic()
                    results = grade_all(grader, sorted(batch.iterdir()), jobs, None)
                    seconds = time.monotonic() - started
                scores = sorted({result.points for result in results})
                print(f"  {kind:<9} --jobs {jobs}: {seconds / len(results):6.1f} s per submission, "
                      f"{60 * len(results) / seconds:6.1f} per minute  (scores {scores})")
                if kind == "reference" and jobs == 1:
                    one_reference = seconds / len(results)
        baseline = make_check_seconds(labs, valgrind, folder)
        print(f"  make check{' + memcheck' if valgrind else ''} of the same labs: {baseline:.1f} s; "
              f"grader (one reference, --jobs 1): {one_reference:.1f} s "
              f"= {one_reference / baseline:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
