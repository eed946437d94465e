"""The kit's test driver, behind make check, make memcheck and make status.

    python3 -m grader.runtime.labcheck check --lab 3      the lab's tests, a readable report
    python3 -m grader.runtime.labcheck memcheck --lab 3   the same under Valgrind
    python3 -m grader.runtime.labcheck status --labs "1 2"   every lab's tests passing / total

The kit's own self-test (make test) is tests/tools/selftest.py, which uses this module.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from grader.runtime import kitfiles
from grader.runtime.checkview import (Colours, handout_paths, lab_topic, report, status_row,
                                      status_widths)
from grader.runtime.criterion_run import (NATIVE_TEST_TIMEOUT, RunOutcome, list_tests,
                                          native_jobs, run_forked, run_tests)

KIT = Path(__file__).resolve().parents[2]
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\* \[.*\] Error \d+$")  # make's echo of a failure


def test_binary(build: Path, lab: int) -> Path:
    """The lab's tests with Criterion: Criterion's runner (make check), or the fork runner."""
    return build / f"lab{lab}" / f"test_lab{lab}"


def fork_binary(build: Path, lab: int) -> Path:
    """The same tests linked without Criterion, which only run the fork runner: what
    make memcheck runs under Valgrind (Criterion's libraries cost every Valgrind start a
    fifth of a second). It lists no tests: ask test_binary."""
    return build / f"lab{lab}" / f"test_lab{lab}_fork"


def test_env(build: Path) -> dict[str, str]:
    return {"LAB_BUILD_DIR": str(build.resolve())}


def valgrind_command(log_dir: Path) -> list[str]:
    """Valgrind as make memcheck runs it: findings fail tests through labcall.c, not exit
    codes.

    One Valgrind runs the test binary's fork runner, and every test and every student call
    is a fork of it: they share its one log (each line starts with ==PID==; a failure names
    the process). --leak-check=no turns off only the check at exit; the per-call checks of
    labcall.c still run and log each new leak with its stack. --track-origins is left out:
    it makes every test about a third slower; add it by hand when hunting where an
    uninitialised value came from. --read-inline-info=no: faster start, same findings.
    --vex-guest-chase=no: smaller translations, made afresh in every forked test (a few
    per cent of the lab's CPU; the same findings). --vgdb=no: no gdbserver to poll for
    (add --vgdb-error=0 by hand to debug a test). The programs tests start under Valgrind
    get the same speed options (tests/common/process.c).
    """
    return ["valgrind", "--quiet", "--leak-check=no", "--show-leak-kinds=definite,indirect",
            "--error-limit=no", "--read-inline-info=no", "--vex-guest-chase=no", "--vgdb=no",
            f"--log-file={log_dir}/vg.log"]


# How much slower a test may run under Valgrind before it counts as timed out.
VALGRIND_TIME_SCALE = "5"


def run_memcheck(build: Path, lab: int, jobs: int | None = None,
                 only: list[str] | None = None) -> RunOutcome:
    """The lab's tests under Valgrind (`only`: just these tests, suite::name)."""
    log_dir = (build / f"lab{lab}" / "memcheck").resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    for old_log in log_dir.glob("vg*.log"):
        old_log.unlink()
    env = {**test_env(build), "LAB_VALGRIND_LOG_DIR": str(log_dir),
           "LAB_TIME_SCALE": VALGRIND_TIME_SCALE}
    expected = None if only is not None else list_tests(test_binary(build, lab))
    return run_forked(fork_binary(build, lab), env=env, wrapper=valgrind_command(log_dir),
                      timeout=600, jobs=jobs or memcheck_jobs(), only=only, expected=expected)


def memcheck_jobs() -> int:
    """Tests side by side under Valgrind: twice the cores. Many tests mostly wait (for a
    timeout, a peer, a program under its own Valgrind); measured on 2 cores, 4 at once
    against 2: lab 9 8.0 -> 4.6 s, lab 10 3.3 -> 2.2 s, lab 8 3.3 -> 2.8 s, the labs
    that only compute the same within noise. The fork runner goes up to twice this
    while the processors stay idle (labrunner.c)."""
    return 2 * (os.cpu_count() or 2)


def run_native(build: Path, lab: int) -> RunOutcome:
    return run_tests(test_binary(build, lab), env=test_env(build), jobs=native_jobs(),
                     test_timeout=NATIVE_TEST_TIMEOUT)


def build_lab(make: str, build: Path, lab: int, solution: bool) -> tuple[bool, str]:
    """make build-labN into `build`, quietly: whether it built, and what the compiler said
    (its warnings and errors; no command lines)."""
    command = [*make.split(), "-s", "--no-print-directory", f"build-lab{lab}", f"BUILD={build}",
               f"SOLUTION={int(solution)}"]
    made = subprocess.run(command, cwd=KIT,
                          capture_output=True, text=True, errors="replace", check=False)
    lines = [line for line in (made.stdout + made.stderr).splitlines()
             if "jobserver unavailable" not in line and not MAKE_ERROR.match(line)]
    return made.returncode == 0, "\n".join(lines).strip()


def indented(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def lab_files(lab: int) -> list[str]:
    """The student's files of a lab, as they are in the kit (labs/labN/*.c)."""
    return sorted(path.relative_to(KIT).as_posix()
                  for path in (KIT / "labs" / f"lab{lab}").glob("*.c"))


def untouched_note(lab: int, baseline: kitfiles.Baseline | None) -> list[str]:
    """A note when every file of the lab is still the skeleton as shipped."""
    files = lab_files(lab)
    if baseline is None or not files or baseline.as_shipped(files) != files:
        return []
    named = files[0] if len(files) == 1 else f"{', '.join(files[:-1])} and {files[-1]}"
    return [f"note: {named} {'is' if len(files) == 1 else 'are'} still the skeleton "
            "as shipped, so these failures are expected until you write the code.",
            f"      Start with the tasks: {handout_paths(lab, '4')}."]


def earlier_labs_note(make: str, build: Path, lab: int) -> list[str]:
    """Lab N is built on the student's own labs 1..N-1: say which of them fail."""
    notes = []
    for earlier in range(1, lab):
        if not (KIT / "labs" / f"lab{earlier}").is_dir():
            continue
        built, _ = build_lab(make, build, earlier, False)
        if not built:
            state = "does not build"
        else:
            outcome = run_native(build, earlier)
            if outcome.complete:
                continue
            state = f"passes {outcome.passed}/{outcome.total}"
        notes.append(f"note: lab {lab} uses your lab {earlier}, which {state}: fix it first "
                     f"(make check LAB={earlier}).")
    if notes and (KIT / "solutions").is_dir():
        notes.append(f"      (make grade grades lab {lab} on the reference solutions of the "
                     "earlier labs, unless --cumulative: there it can pass.)")
    return notes


def tamper_notes(args: argparse.Namespace) -> list[str]:
    return [] if args.solution else kitfiles.tamper_warning(KIT)


def built_or_explained(args: argparse.Namespace, colours: Colours) -> bool:
    """Builds the lab quietly; when it fails, prints the compiler's output and says so."""
    built, output = build_lab(args.make, Path(args.build), args.lab, args.solution)
    if built and output:
        print(f"lab{args.lab}: the compiler warns:\n{indented(output)}")
    if not built:
        print(f"lab{args.lab}: the build failed:\n{indented(output)}")
        for line in tamper_notes(args):
            print(colours.warn(line))
        print(colours.bad(f"lab{args.lab}: not built, so no test ran"))
    return built


def command_check(args: argparse.Namespace) -> int:
    build = Path(args.build)
    colours = Colours(sys.stdout.isatty())
    if not built_or_explained(args, colours):
        return 1
    outcome = run_native(build, args.lab)
    notes: list[str] = []
    if not args.solution and not outcome.complete:
        notes = untouched_note(args.lab, kitfiles.baseline(KIT))
        if not notes:
            notes = earlier_labs_note(args.make, build, args.lab)
    notes += [colours.warn(line) for line in tamper_notes(args)]
    return report(args.lab, outcome, colours, sys.stdout, args.verbose, notes)


def command_memcheck(args: argparse.Namespace) -> int:
    build = Path(args.build)
    colours = Colours(sys.stdout.isatty())
    if not built_or_explained(args, colours):
        return 1
    print(f"lab{args.lab}: running the tests under Valgrind (slower: a few seconds)...",
          flush=True)
    outcome = run_memcheck(build, args.lab)
    notes = [colours.warn(line) for line in tamper_notes(args)]
    return report(args.lab, outcome, colours, sys.stdout, args.verbose, notes, "memcheck")


def command_status(args: argparse.Namespace) -> int:
    build = Path(args.build)
    colours = Colours(sys.stdout.isatty())
    labs = [(int(lab), lab_topic(int(lab))) for lab in args.labs.split()]
    widths = status_widths(labs)
    print(status_row(widths, "lab", "topic", "tests"), flush=True)
    for lab, topic in labs:
        built, _ = build_lab(args.make, build, lab, args.solution)
        if not built:
            verdict = colours.bad(f"does not build (make lab{lab} shows why)")
        else:
            outcome = run_native(build, lab)
            text = f"{outcome.passed}/{outcome.total}"
            verdict = colours.good(f"{text}  done") if outcome.complete else text
        print(status_row(widths, lab, topic, verdict), flush=True)
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="the build folder (default: build)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run in (("check", command_check), ("memcheck", command_memcheck)):
        sub = commands.add_parser(name)
        sub.add_argument("--lab", type=int, required=True)
        sub.add_argument("--make", default="make", help="the make command that builds the lab")
        sub.add_argument("--solution", action="store_true",
                         help="the reference solutions (no notes about the student's files)")
        sub.add_argument("--verbose", action="store_true", help="list the passing tests too")
        sub.set_defaults(run=run)
    status = commands.add_parser("status")
    status.add_argument("--labs", required=True, help="lab numbers, space-separated")
    status.add_argument("--make", default="make")
    status.add_argument("--solution", action="store_true")
    status.set_defaults(run=command_status)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.chdir(KIT)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
