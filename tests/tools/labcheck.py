#!/usr/bin/env python3
"""The kit's test driver, behind make check, make memcheck, make status and make test.

    labcheck.py check --lab 3         the lab's tests, a readable report, a summary line
    labcheck.py memcheck --lab 3      the same under Valgrind, with what leaked and where
    labcheck.py status --labs "1 2"   every lab's tests passing / total
    labcheck.py selftest              the kit's own test (see selftest.py)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criterion_run import run_forked, RunOutcome, TestResult, run_tests  # noqa: E402

KIT = Path(__file__).resolve().parents[2]
VALGRIND_LOG = re.compile(r"\[valgrind log: ([^\]]+)\]")
CRITERION_FRAME = re.compile(r"libcriterion|\(below main\)|_jmp \(|_impl \(|labrunner\.c|labtest\.c:|labcall\.c:")


class Colours:
    """ANSI colours, or nothing when the output is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def good(self, text: str) -> str:
        return self.paint(text, "32")

    def bad(self, text: str) -> str:
        return self.paint(text, "31")

    def warn(self, text: str) -> str:
        return self.paint(text, "33")

    def bold(self, text: str) -> str:
        return self.paint(text, "1")


def lab_topic(lab: int) -> str:
    """The lab's topic, from the first line of its header ("Lab 1: creating sockets.")."""
    header = KIT / "labs" / f"lab{lab}" / f"lab{lab}.h"
    try:
        text = header.read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(r"Lab \d+: ([^.\n]+)", text)
    return match.group(1) if match else ""


def test_binary(build: Path, lab: int) -> Path:
    return build / f"lab{lab}" / f"test_lab{lab}"


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
    """
    return ["valgrind", "--quiet", "--leak-check=no", "--show-leak-kinds=definite,indirect",
            "--error-limit=no", "--read-inline-info=no", f"--log-file={log_dir}/vg.log"]


# How much slower a test may run under Valgrind before it counts as timed out.
VALGRIND_TIME_SCALE = "5"


def run_memcheck(build: Path, lab: int, jobs: int | None = None) -> RunOutcome:
    log_dir = (build / f"lab{lab}" / "memcheck").resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    for old_log in log_dir.glob("vg*.log"):
        old_log.unlink()
    env = {**test_env(build), "LAB_VALGRIND_LOG_DIR": str(log_dir),
           "LAB_TIME_SCALE": VALGRIND_TIME_SCALE}
    return run_forked(test_binary(build, lab), env=env, wrapper=valgrind_command(log_dir),
                      timeout=600, jobs=jobs or os.cpu_count() or 2)


HINTS = {
    "crashed": "The test process crashed (a signal such as SIGSEGV or SIGPIPE) while your code "
               "ran. Usual causes: a NULL or invalid pointer, writing past a buffer, sending on "
               "a closed connection without MSG_NOSIGNAL. Handout section 5.1.",
    "timed out": "The test did not finish in time: a call never returned (waiting for a "
                 "connection or data that never comes, or a loop that never ends). "
                 "Handout section 5.1.",
}


def valgrind_excerpt(log_reference: str, limit: int = 40) -> str:
    """The memory errors and leak records one process wrote in a Valgrind log, without
    its noise. `log_reference` is what a failure names: "PATH, process PID"."""
    path, _, process = log_reference.partition(", process ")
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    prefix = f"=={process.strip()}==" if process.strip() else "=="
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.startswith(prefix):
            continue
        text = re.sub(r"^==\d+==\s?", "", line)
        if not text.strip():
            blocks.append([])
        else:
            blocks[-1].append(text)
    interesting = [block for block in blocks if block and not block[0].startswith(
        ("LEAK SUMMARY", "HEAP SUMMARY", "ERROR SUMMARY", "For lists", "Rerun with",
         "Memcheck,", "Copyright", "Using Valgrind", "Command:", "searching for"))]
    shown = [line for block in interesting for line in block
             if not CRITERION_FRAME.search(line)]
    return "\n".join(shown[:limit])


def print_result(result: TestResult, colours: Colours, out) -> None:
    if result.passed:
        print(f"  {colours.good('PASS')}  {result.name}", file=out)
        return
    if result.status == "skipped":
        print(f"  SKIP  {result.name}: {result.message.strip()}", file=out)
        return
    label = "FAIL" if result.status == "failed" else result.status.upper()
    print(f"  {colours.bad(label)}  {result.name}", file=out)
    message = result.message or "(no message)"
    if result.status in HINTS:
        message = f"{HINTS[result.status]}\n{result.message}".strip()
    for line in message.splitlines():
        print(f"        {line}", file=out)
    for log in VALGRIND_LOG.findall(result.message):
        excerpt = valgrind_excerpt(log)
        if excerpt:
            print("        Valgrind says:", file=out)
            for line in excerpt.splitlines():
                print(f"          {line}", file=out)


def report(lab: int, outcome: RunOutcome, colours: Colours, out=sys.stdout) -> int:
    """Prints every result and the summary line; returns the exit status."""
    topic = lab_topic(lab)
    print(f"lab{lab}: {topic}" if topic else f"lab{lab}", file=out)
    for result in outcome.results:
        print_result(result, colours, out)
    summary = f"lab{lab}: {outcome.passed}/{outcome.total} tests pass"
    if outcome.skipped:
        summary += f" ({outcome.skipped} skipped: this machine cannot arrange them)"
    complete = outcome.complete
    print(colours.good(summary) if complete else colours.bad(summary), file=out)
    if outcome.total == 0:
        print("  (no test could be listed: is the test binary broken?)", file=out)
    return 0 if complete else 1


def command_check(args: argparse.Namespace) -> int:
    build = Path(args.build)
    outcome = run_tests(test_binary(build, args.lab), env=test_env(build))
    return report(args.lab, outcome, Colours(sys.stdout.isatty()))


def command_memcheck(args: argparse.Namespace) -> int:
    build = Path(args.build)
    print(f"lab{args.lab}: running the tests under Valgrind (slower: a few seconds)...")
    outcome = run_memcheck(build, args.lab)
    return report(args.lab, outcome, Colours(sys.stdout.isatty()))


def command_status(args: argparse.Namespace) -> int:
    build = Path(args.build)
    colours = Colours(sys.stdout.isatty())
    labs = [int(lab) for lab in args.labs.split()]
    print(f"{'lab':<5}{'topic':<36}tests")
    for lab in labs:
        made = subprocess.run([*args.make.split(), "--no-print-directory", "-s",
                               f"build-lab{lab}"] + (["SOLUTION=1"] if args.solution else []),
                              capture_output=True, text=True, cwd=KIT, check=False)
        if made.returncode != 0:
            verdict = colours.bad(f"does not compile (make lab{lab} shows why)")
        else:
            outcome = run_tests(test_binary(build, lab), env=test_env(build))
            text = f"{outcome.passed}/{outcome.total}"
            done = outcome.complete
            verdict = colours.good(f"{text}  done") if done else text
        print(f"{lab:<5}{lab_topic(lab):<36}{verdict}")
    return 0


def command_selftest(args: argparse.Namespace) -> int:
    from selftest import selftest
    labs = [int(lab) for lab in args.labs.replace(",", " ").split()] if args.labs else None
    return selftest(args.make, KIT, labs, args.jobs)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="the build folder (default: build)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run in (("check", command_check), ("memcheck", command_memcheck)):
        sub = commands.add_parser(name)
        sub.add_argument("--lab", type=int, required=True)
        sub.set_defaults(run=run)
    status = commands.add_parser("status")
    status.add_argument("--labs", required=True, help="lab numbers, space-separated")
    status.add_argument("--make", default="make")
    status.add_argument("--solution", action="store_true")
    status.set_defaults(run=command_status)
    selftest = commands.add_parser("selftest")
    selftest.add_argument("--make", default="make")
    selftest.add_argument("--labs", help="only these labs (default: every lab)")
    selftest.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    selftest.set_defaults(run=command_selftest)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.chdir(KIT)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
