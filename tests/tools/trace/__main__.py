"""make trace: what your program's system calls and packets were, next to the reference's.

    python3 tests/tools/trace --lab 7 --build build --reference build/solution
                              [--scenario NAME] [--test SUITE/NAME] [--timeout S]

Runs each scenario of the lab (or the one named, or one test of the lab's
suite with --test) twice, once with the programs of --build and once with the
reference's, each under strace -f inside a private network namespace whose
loopback is captured. Prints the two timelines side by side with the first
difference marked, and the packets as a sequence diagram; writes
BUILD/labN/trace/SCENARIO/ (timeline.txt, trace.md, capture.pcap, and the
raw strace files) and prints where. Exit status 0 when the trace was made
(whatever it shows), 2 for bad arguments or a lab with no scenario.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from report import build_report
from run import Availability, Run, build_driver, probe, programs_for, run_scenario
from scenarios import SCENARIOS, TEST_SCENARIO, Scenario, scenarios_of

KIT = Path(__file__).resolve().parents[3]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make trace", description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, required=True)
    parser.add_argument("--build", type=Path, required=True, help="the build to trace")
    parser.add_argument("--reference", type=Path, required=True, help="the reference's build")
    parser.add_argument("--scenario", default="", help="one scenario of the lab, by name")
    parser.add_argument("--test", default="", help="trace one test: SUITE/NAME")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds before a program still running is stopped")
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    parser.add_argument("--width", type=int, default=0, help="terminal width (default: detected)")
    return parser.parse_args(argv)


def chosen(lab: int, name: str, test: str) -> list[Scenario] | str:
    if test:
        if "/" not in test:
            return "TEST must be SUITE/NAME (for example TEST=tcp_listen/port_zero_picks_a_port)"
        return [TEST_SCENARIO]
    available = scenarios_of(lab)
    if not available:
        labs = ", ".join(str(n) for n in sorted(SCENARIOS))
        return (f"lab {lab} has no trace scenario (its functions open no connection); "
                f"scenarios exist for labs {labs}, and TEST=SUITE/NAME traces one test of any lab")
    if not name:
        return available
    picked = [s for s in available if s.name == name]
    if not picked:
        names = ", ".join(s.name for s in available)
        return f"lab {lab} has no scenario '{name}'; its scenarios are: {names}"
    return picked


def suite_tests(binary: Path) -> list[str]:
    """SUITE/NAME of every test in a Criterion binary, from its --list output."""
    try:
        listed = subprocess.run([str(binary), "--list"], capture_output=True, text=True,
                                timeout=30, check=False)
    except OSError:
        return []
    tests, suite = [], ""
    for line in (listed.stdout + listed.stderr).splitlines():
        if match := re.match(r"^(\S+): \d+ tests?$", line):
            suite = match.group(1)
        elif match := re.match(r"^[├└]── (\S+)", line):
            tests.append(f"{suite}/{match.group(1)}")
    return tests


def unknown_test(build: Path, lab: int, test: str) -> str:
    """"" when the lab's suite has the test, else what to say."""
    binary = build / f"lab{lab}" / f"test_lab{lab}"
    tests = suite_tests(binary)
    if not tests or test in tests:
        return ""
    close = difflib.get_close_matches(test, tests, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"lab {lab} has no test {test}.{hint} The list: {binary} --list"


def prepare(scenario: Scenario, lab: int, build: Path, out: Path, cc: str,
            side: str) -> dict[str, str] | str:
    driver = None
    if "driver" in scenario.needs:
        driver = out / f"bin-{side}" / "trace_driver"
        built, errors = build_driver(cc, KIT, build, lab, driver)
        if not built:
            return f"the trace driver did not build with {build}'s objects:\n{errors}"
    return programs_for(scenario, build, lab, driver)


def trace_one(args: argparse.Namespace, scenario: Scenario, available: Availability,
              width: int) -> int:
    out = args.build / f"lab{args.lab}" / "trace" / (args.test.replace("/", "--")
                                                     if args.test else scenario.name)
    out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Run] = {}
    sides = [("yours", args.build)]
    if (KIT / "solutions").is_dir():
        sides.append(("reference", args.reference))
    for side, build in sides:
        programs = prepare(scenario, args.lab, build, out, args.cc, side)
        if isinstance(programs, str):
            print(f"make trace: {programs}", file=sys.stderr)
            return 1
        runs[side] = run_scenario(scenario, programs, out / side, available, args.timeout,
                                  args.test)
    title = f"test {args.test}" if args.test else f"scenario {scenario.name}"
    report = build_report(args.lab, scenario, runs["yours"], runs.get("reference"),
                          available.missing, width, title)
    (out / "timeline.txt").write_text(report.timeline, encoding="utf-8")
    (out / "trace.md").write_text(report.markdown, encoding="utf-8")
    written = [out / "timeline.txt", out / "trace.md"]
    pcap = out / "yours" / "capture.pcap"
    if pcap.exists():
        shutil.copyfile(pcap, out / "capture.pcap")
        written.append(out / "capture.pcap")
    print(report.text)
    print("")
    print("Written: " + ", ".join(str(path) for path in written)
          + (" (open capture.pcap with Wireshark, or: tcpdump -nn -r "
             f"{out / 'capture.pcap'})" if pcap.exists() else ""))
    if "reference" in runs:
        print(f"The reference's run: {out / 'reference'}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    picked = chosen(args.lab, args.scenario, args.test)
    if isinstance(picked, str):
        print(f"make trace: {picked}", file=sys.stderr)
        return 2
    problem = unknown_test(args.build, args.lab, args.test) if args.test else ""
    if problem:
        print(f"make trace: {problem}", file=sys.stderr)
        return 2
    width = args.width or max(80, min(shutil.get_terminal_size((120, 24)).columns, 180))
    available = probe()
    status = 0
    for index, scenario in enumerate(picked):
        if index:
            print("\n" + "=" * min(width, 100) + "\n")
        status = max(status, trace_one(args, scenario, available, width))
    others = [s.name for s in scenarios_of(args.lab)]
    if len(others) > 1 and not args.scenario and not args.test:
        print(f"\n(one scenario alone: make trace SCENARIO={others[0]}; "
              f"one test: make trace TEST=SUITE/NAME)")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
