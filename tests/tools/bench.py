#!/usr/bin/env python3
"""make bench: how fast the student's loop and the kit's self-test are.

Prints, per lab, the wall time of `make labN && make check` from a clean build,
for the reference solution and for the skeleton, then the time of `make test`
(labs only) and, when lab 6 exists, the echo throughput figures of
tests/tools/throughput.py. Targets (2 cores): a lab's build plus check under 2 s
on the solution and under 5 s on the skeleton; make memcheck at most 3x make check
on every lab; make test for labs 1-3 under 60 s.
A benchmark prints figures; it fails nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
TOOLS = Path(__file__).resolve().parent

from tests.tools.selftest import lab_numbers


def timed(command: list[str]) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False)
    return time.monotonic() - started, done.returncode


def bench_lab(make: list[str], lab: int, solution: bool) -> tuple[float, bool]:
    """Seconds for make labN && make check from a clean build folder; whether check passed."""
    build = KIT / "build" / "bench" / ("solution" if solution else "skeleton")
    shutil.rmtree(build, ignore_errors=True)
    variables = [f"BUILD={build}", f"SOLUTION={int(solution)}"]
    build_seconds, built = timed([*make, "-s", f"lab{lab}", *variables])
    check_seconds, checked = timed([*make, "-s", "check", f"LAB={lab}", *variables])
    return build_seconds + check_seconds, built == 0 and checked == 0


def bench_memcheck(make: list[str], lab: int, repeat: int) -> tuple[float, float, bool]:
    """Median seconds of make check and of make memcheck on the built solution, each run
    `repeat` times in turn (a shared machine's load comes and goes); whether all passed."""
    build = KIT / "build" / "bench" / "memcheck"
    variables = [f"BUILD={build}", "SOLUTION=1"]
    timed([*make, "-s", f"lab{lab}", *variables])
    checks, memchecks, passed = [], [], True
    for _ in range(repeat):
        check_seconds, checked = timed([*make, "-s", "check", f"LAB={lab}", *variables])
        memcheck_seconds, memchecked = timed([*make, "-s", "memcheck", f"LAB={lab}", *variables])
        checks.append(check_seconds)
        memchecks.append(memcheck_seconds)
        passed &= checked == 0 and memchecked == 0
    return statistics.median(checks), statistics.median(memchecks), passed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make", default="make")
    parser.add_argument("--labs", help="only these labs, e.g. '1 2 3'")
    parser.add_argument("--no-selftest", action="store_true", help="skip timing make test")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each check and memcheck, the median shown (default 3)")
    args = parser.parse_args(argv)
    make = args.make.split()
    labs = [int(n) for n in args.labs.split()] if args.labs else lab_numbers(KIT)

    print("make labN && make check, from a clean build (target: solution < 2 s, skeleton < 5 s)")
    print(f"{'lab':<5}{'solution':>12}{'skeleton':>12}")
    for lab in labs:
        solution_seconds, solution_ok = bench_lab(make, lab, solution=True)
        skeleton_seconds, _ = bench_lab(make, lab, solution=False)
        note = "" if solution_ok else "   (the solution did not pass: see make check SOLUTION=1)"
        print(f"{lab:<5}{solution_seconds:>10.2f} s{skeleton_seconds:>10.2f} s{note}")
    print(f"\nmake memcheck against make check, the solution already built, median of "
          f"{args.repeat} (target: at most 3x)")
    print(f"{'lab':<5}{'check':>10}{'memcheck':>11}{'ratio':>8}")
    for lab in labs:
        check_seconds, memcheck_seconds, ok = bench_memcheck(make, lab, max(1, args.repeat))
        ratio = memcheck_seconds / check_seconds if check_seconds else 0.0
        note = "" if ok else "   (a run reported failures)"
        print(f"{lab:<5}{check_seconds:>8.2f} s{memcheck_seconds:>9.2f} s{ratio:>7.1f}x{note}")
    shutil.rmtree(KIT / "build" / "bench", ignore_errors=True)

    if not args.no_selftest:
        selftest_labs = " ".join(map(str, labs))
        seconds, status = timed([sys.executable, "-m", "tests.tools.selftest",
                                 "--labs", selftest_labs, "--make", args.make])
        print(f"\nself-test of labs {selftest_labs} (the labs part of make test): {seconds:.1f} s"
              f"{'' if status == 0 else '  (it reported failures)'}  (target for labs 1-3: < 60 s)")

    throughput = TOOLS / "throughput.py"
    if throughput.exists() and (KIT / "labs" / "lab6").is_dir():
        print()
        subprocess.run([sys.executable, "-m", "tests.tools.throughput", "--make", args.make],
                       cwd=KIT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
