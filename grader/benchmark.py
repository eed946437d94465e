"""make bench-grader (python3 -m grader.benchmark): how fast the grader is, against its targets.

Times the grader as an instructor runs it (grader/grade, the whole command: its
reference build included) and prints:

  - one reference submission (target: 20 s for labs 1-7, Valgrind on);
  - COPIES copies of it graded with --batch --jobs 2 (target: 300 s for 20 copies);
  - one skeleton submission (what a class's empty hand-ins cost);
  - make check + make memcheck of the same labs on the same machine, and the
    grader's time as a ratio to it, so that figures compare across machines.

    python3 -m grader.benchmark [--copies N] [--labs LIST] [--no-valgrind]

A benchmark prints figures; it fails nothing (exit status 1 only when a grading
did not run or did not give the reference full marks).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.labs import lab, labs_in_kit, parse_lab_list

KIT = Path(__file__).resolve().parents[1]

TARGET_LABS = "1-7"        # the labs the targets are stated for
TARGET_ONE_SECONDS = 20.0
TARGET_BATCH_SECONDS = 300.0
TARGET_BATCH_COPIES = 20


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


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True, errors="replace",
                          stdin=subprocess.DEVNULL, check=False)
    return time.monotonic() - started, done


def grade_one(submission: Path, labs: str, valgrind: bool) -> tuple[float, str]:
    """Seconds of grader/grade on one submission, and its total line."""
    command = [sys.executable, str(KIT / "grader" / "grade"), "--labs", labs, str(submission)]
    seconds, done = timed(command + ([] if valgrind else ["--no-valgrind"]))
    totals = [line for line in done.stdout.splitlines() if line.startswith("total:")]
    return seconds, totals[-1] if totals else f"no total (exit status {done.returncode})"


def grade_batch(folder: Path, labs: str, valgrind: bool, jobs: int,
                scratch: Path) -> tuple[float, list[str]]:
    """Seconds of grader/grade --batch on every copy in folder, and the scores it wrote."""
    table = scratch / f"grades-{jobs}.csv"
    command = [sys.executable, str(KIT / "grader" / "grade"), "--labs", labs, "--batch",
               str(folder), "--csv", str(table), "--jobs", str(jobs)]
    seconds, _ = timed(command + ([] if valgrind else ["--no-valgrind"]))
    scores: list[str] = []
    if table.exists():
        with table.open(newline="") as rows:
            for row in csv.DictReader(rows):
                scores.append(row.get("total") or "?")
    return seconds, scores


def make_check_seconds(labs: list[int], valgrind: bool, build: Path) -> float:
    """What make check (+ make memcheck) of the reference costs for these labs, built."""
    for number in labs:
        subprocess.run(["make", "-s", "--no-print-directory", "-C", str(KIT), f"build-lab{number}",
                        "SOLUTION=1", f"BUILD={build}"], capture_output=True, check=False)
    started = time.monotonic()
    for number in labs:
        for command in ("check", "memcheck") if valgrind else ("check",):
            subprocess.run([sys.executable, "-m", "grader.runtime.labcheck", "--build",
                            str(build), command, "--lab", str(number), "--solution"],
                           capture_output=True, check=False, cwd=KIT)
    return time.monotonic() - started


def full_marks(total: str) -> bool:
    """Whether grader/grade's "total: 700.00/700.00 (...)" line gives every point."""
    fields = total.split()
    return len(fields) > 1 and fields[0] == "total:" and len(set(fields[1].split("/"))) == 1


def verdict(seconds: float, target: float) -> str:
    return "within the target" if seconds <= target else "OVER the target"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    known = [entry.number for entry in labs_in_kit(KIT)]
    parser.add_argument("--copies", type=int, default=TARGET_BATCH_COPIES,
                        help=f"copies for the --jobs 2 batch (default {TARGET_BATCH_COPIES})")
    parser.add_argument("--labs", default=TARGET_LABS,
                        help=f"labs to grade (default {TARGET_LABS}, the targets' labs)")
    parser.add_argument("--no-valgrind", action="store_true")
    args = parser.parse_args(argv)
    numbers = parse_lab_list(args.labs, known)
    labs = ",".join(map(str, numbers))
    valgrind = not args.no_valgrind
    stated = labs == ",".join(map(str, parse_lab_list(TARGET_LABS, known))) and valgrind
    if not (KIT / "solutions").is_dir():
        print("grader bench: this kit has no solutions/, so there is no reference submission to "
              "time (the instructor's kit has them)")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    folder.chmod(0o711)
    ok = True
    try:
        print(f"grader bench: labs {labs}, Valgrind {'on' if valgrind else 'off'}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
              + ("" if stated else f" (the targets are for labs {TARGET_LABS} with Valgrind)"),
              flush=True)
        reference = reference_files(numbers)
        one = lay_out(folder / "one" / "reference", reference)
        seconds, total = grade_one(one, labs, valgrind)
        ok &= full_marks(total)
        print(f"  one reference submission (grader/grade, its reference build included): "
              f"{seconds:6.1f} s  target {TARGET_ONE_SECONDS:.0f} s: {verdict(seconds, TARGET_ONE_SECONDS)}"
              f"\n      {total}", flush=True)
        one_seconds = seconds
        batch = folder / "batch"
        for copy in range(args.copies):
            lay_out(batch / f"reference-{copy}", reference)
        seconds, scores = grade_batch(batch, labs, valgrind, 2, folder)
        ok &= len(scores) == args.copies
        target = TARGET_BATCH_SECONDS * args.copies / TARGET_BATCH_COPIES
        print(f"  {args.copies} reference copies, --batch --jobs 2: {seconds:6.1f} s, "
              f"{60 * args.copies / seconds:.1f} per minute  target {target:.0f} s: "
              f"{verdict(seconds, target)}  (scores {sorted(set(scores))})", flush=True)
        skeleton = lay_out(folder / "one" / "skeleton", {})
        seconds, total = grade_one(skeleton, labs, valgrind)
        print(f"  one skeleton submission: {seconds:6.1f} s  ({total})", flush=True)
        baseline = make_check_seconds(numbers, valgrind, folder / "make-check")
        print(f"  make check{' + memcheck' if valgrind else ''} of the same labs (built): "
              f"{baseline:.1f} s; one reference graded: {one_seconds:.1f} s = "
              f"{one_seconds / baseline:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
