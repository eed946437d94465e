"""Grading one lab of one submission: build it, run its tests natively, then under Valgrind.

Scores come only from the TAP report the Criterion runner writes (parsed by the kit's
criterion_run.py), checked against the list of tests the reference build declares: a
test with no result scores zero. Each run uses a fresh random LAB_PASS_EXIT, so a
student's exit(N) cannot pass a test.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from grader import points
from grader.kit import Scratch, kit_tools
from grader.labs import Lab
from grader.results import LabResult, TestScore
from grader.sandbox import MIB, Limits, RunResult, Sandbox
from grader.text import escape

MAX_REPORT_BYTES = 8 * MIB
VALGRIND_LOG = re.compile(r"\[valgrind log: ([^\]]+)\]")
LOG_NOISE = ("LEAK SUMMARY", "HEAP SUMMARY", "ERROR SUMMARY", "For lists", "Rerun with",
             "For counts")
TEST_BODY = re.compile(r"\b([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__body\b")


@dataclass(frozen=True)
class LabLimits:
    """The limits of each step of a lab's grading."""

    build: Limits = Limits(wall_seconds=120, cpu_seconds=60, address_space=1024 * MIB)
    native: Limits = Limits(wall_seconds=120, cpu_seconds=20, address_space=512 * MIB)
    valgrind: Limits = Limits(wall_seconds=300, cpu_seconds=120, address_space=2048 * MIB,
                              processes=128)


@dataclass
class LabJob:
    """Everything needed to grade one lab in its scratch copy."""

    lab: Lab
    scratch: Scratch
    tests: list[str]                 # the lab's tests, from the reference build ([] if unknown)
    sandbox: Sandbox
    uid: int | None
    make: str = "make"
    valgrind: bool = True
    extra_tests: bool = False
    limits: LabLimits = LabLimits()
    built_from: tuple[Lab, ...] = ()      # the labs whose student sources are compiled
    valgrind_shards: int = 1              # runners side by side (Criterion under Valgrind is serial)


def grade_lab(job: LabJob) -> LabResult:
    result = LabResult(job.lab.number, points.LAB_POINTS)
    pass_exit = random.SystemRandom().choice([n for n in range(10, 121) if n != 86])
    build = _build(job, pass_exit)
    result.build_output = _clean_build_output(build, job.scratch)
    binary = job.scratch.build / job.lab.name / f"test_{job.lab.name}"
    result.built = build.returncode == 0 and _regular(binary)
    tests = job.tests or (_list_in_sandbox(job, binary) if result.built else [])
    maximum = points.test_points(job.lab.name, tests)
    result.tests = [TestScore(name, maximum[name]) for name in tests]
    if not result.built:
        reason = "timed out" if build.timed_out else "did not compile"
        result.notes.append(f"{job.lab.name} {reason}: every test scores 0 (compiler output below)")
        for test in result.tests:
            test.message = f"not built: {job.lab.name} {reason}"
        return result
    native, run = _run_tests(job, binary, "report", [], job.limits.native)
    result.run_output = escape(run.output.decode("utf-8", errors="replace"), 4000)
    if run.timed_out:
        result.notes.append(f"the test run hit the {job.limits.native.wall_seconds:.0f} s "
                            "wall-clock limit and was stopped")
    _score_native(result, native, job.valgrind)
    if job.valgrind:
        _score_valgrind(job, binary, result)
    return result


# ---- steps ----------------------------------------------------------------------------

def _build(job: LabJob, pass_exit: int) -> RunResult:
    scratch = job.scratch
    command = [job.make, "-C", str(scratch.kit), "--no-print-directory", "-s",
               f"build-{job.lab.name}",
               f"SRC={scratch.src}", f"BUILD={scratch.build}", f"TEST_BUILD={scratch.build}",
               f"LAB_PASS_EXIT={pass_exit}"]
    if job.extra_tests:
        command.append(f"EXTRA_TESTS={scratch.extra}")
    return job.sandbox.run(command, uid=job.uid, cwd=scratch.kit, env={},
                           readable=[scratch.kit, scratch.src], writable=[scratch.build],
                           limits=job.limits.build)


def _run_tests(job: LabJob, binary: Path, report_name: str, wrapper: list[str],
               limits: Limits, shards: list[list[str]] | None = None,
               env: dict[str, str] | None = None) -> tuple[dict, RunResult]:
    """Runs the test binary (once per shard of extra arguments, the shards side by side in
    one sandbox) and returns the results of every TAP report, merged."""
    kit_tools()
    from criterion_run import parse_tap  # noqa: E402
    shards = shards or [[]]
    reports = [binary.parent / f"{report_name}.{index}.tap" for index in range(len(shards))]
    commands = []
    for report, shard in zip(reports, shards):
        _remove(report)
        commands.append([*wrapper, str(binary), f"--tap={report}", "--always-succeed", *shard])
    command = commands[0] if len(commands) == 1 else [
        "/bin/sh", "-c", " ".join(f"{shlex.join(one)} &" for one in commands) + " wait"]
    run = job.sandbox.run(command, uid=job.uid, cwd=job.scratch.kit,
                          env={"LAB_BUILD_DIR": str(job.scratch.build), **(env or {})},
                          readable=[job.scratch.kit, job.scratch.src],
                          writable=[job.scratch.build], limits=limits)
    found: dict = {}
    for report in reports:
        tap = read_untrusted(report, MAX_REPORT_BYTES)
        shard_found = parse_tap(tap)
        for skipped in re.findall(rb"^ok - (\S+).*# SKIP", tap, flags=re.MULTILINE):
            shard_found.pop(skipped.decode("utf-8", errors="replace"), None)
        found.update(shard_found)
    return found, run


def _list_in_sandbox(job: LabJob, binary: Path) -> list[str]:
    """The tests the submission's own binary declares (only when the kit has no reference)."""
    kit_tools()
    from criterion_run import LIST_SUITE, LIST_TEST  # noqa: E402
    run = job.sandbox.run([str(binary), "--list"], uid=job.uid, cwd=job.scratch.kit,
                          env={"LAB_BUILD_DIR": str(job.scratch.build)},
                          readable=[job.scratch.kit, job.scratch.src],
                          writable=[job.scratch.build], limits=job.limits.native.scaled(0.25))
    names: list[str] = []
    suite = ""
    for line in run.output.decode("utf-8", errors="replace").splitlines():
        if match := LIST_SUITE.match(line):
            suite = match.group(1)
        elif (match := LIST_TEST.match(line)) and suite:
            names.append(f"{suite}::{match.group(1)}")
    return list(dict.fromkeys(names))


def _score_native(result: LabResult, found: dict, valgrind: bool) -> None:
    for test in result.tests:
        outcome = found.get(test.name)
        if outcome is None:
            test.status = "missing"
            test.message = ("no result: the test runner stopped before reporting this test "
                            "(killed, crashed as a whole, or out of time)")
            continue
        test.status = outcome.status
        test.message = outcome.message
        if outcome.passed:
            share = 1.0 - points.VALGRIND_SHARE if valgrind else 1.0
            test.points = test.max_points * share


def _score_valgrind(job: LabJob, binary: Path, result: LabResult) -> None:
    passed = [test for test in result.tests if test.passed]
    if not passed:
        return
    kit_tools()
    from labcheck import valgrind_command  # noqa: E402
    log_dir = binary.parent / "memcheck"
    log_dir.mkdir(exist_ok=True)
    shards = valgrind_shards([test.name for test in result.tests],
                             {test.name for test in passed}, job.valgrind_shards)
    # The leak check at each worker's exit (off in the kit's own memcheck) is what shows a
    # leak whose pointer still sat in a dead stack frame when the test's own check ran.
    wrapper = [*valgrind_command(log_dir), "--leak-check=full"]
    found, run = _run_tests(job, binary, "report-valgrind", wrapper,
                            job.limits.valgrind, shards, {"LAB_VALGRIND_LOG_DIR": str(log_dir)})
    if run.timed_out:
        result.notes.append(f"the Valgrind run hit the {job.limits.valgrind.wall_seconds:.0f} s "
                            "wall-clock limit and was stopped")
    student_files = tuple(file for lab in job.built_from for file in lab.student_files)
    from_logs = _log_findings(log_dir, student_files)
    for test in passed:
        outcome = found.get(test.name)
        if outcome is not None and outcome.passed and test.name not in from_logs:
            test.valgrind = "clean"
            test.points = test.max_points
        elif outcome is not None and outcome.passed:
            test.valgrind = "Valgrind's log shows what this test's code did:\n" + from_logs[test.name]
        else:
            finding = (outcome.message if outcome else "no result under Valgrind (the run was "
                       "stopped before this test reported)")
            test.valgrind = _with_log_excerpts(finding, log_dir)


def valgrind_shards(tests: list[str], passed: set[str], count: int) -> list[list[str]]:
    """Criterion arguments for `count` runners side by side that together run the passed
    tests. Whole suites go to one runner when all their tests passed, so that the filter is
    short (Criterion matches it slowly under Valgrind); no filter when one runner runs all."""
    suites: dict[str, list[str]] = {}
    for name in tests:
        if name in passed:
            suites.setdefault(name.split("::")[0], []).append(name)
    complete = {suite for suite, names in suites.items()
                if len(names) == sum(test.split("::")[0] == suite for test in tests)}
    if count <= 1 and len(passed) == len(tests):
        return [[]]
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(suites))))]
    sizes = [0] * len(groups)
    for suite, names in sorted(suites.items(), key=lambda item: -len(item[1])):
        lightest = sizes.index(min(sizes))
        groups[lightest].append(suite)
        sizes[lightest] += len(names)
    shards = []
    for group in groups:
        patterns = [f"{suite}/*" if suite in complete else
                    "|".join(name.replace("::", "/") for name in suites[suite]) for suite in group]
        shards.append([f"--filter=@({'|'.join(patterns)})"])
    return shards


def _log_findings(log_dir: Path, student_files: tuple[str, ...]) -> dict[str, str]:
    """Memory errors and definite/indirect leaks in Valgrind's logs that involve the
    student's code (a frame in one of their files), by the test whose body is on the same
    stack. This catches what a test's own check can miss, such as a leak whose pointer
    still sits in a dead stack frame; findings in the tests' own code are not blamed."""
    student_frame = re.compile(r"[ (](?:%s):\d+\)" % "|".join(map(re.escape, student_files)))
    findings: dict[str, list[str]] = {}
    for log in sorted(log_dir.glob("vg.*.log"))[:2000]:
        text = read_untrusted(log, 256 * 1024).decode("utf-8", errors="replace")
        for block in _log_blocks(text):
            body = TEST_BODY.search(block)
            if body and student_frame.search(block) and not block.startswith(LOG_NOISE):
                findings.setdefault(f"{body.group(1)}::{body.group(2)}", []).append(block)
    return {name: _trim_frames("\n".join(blocks)) for name, blocks in findings.items()}


def _log_blocks(text: str) -> list[str]:
    """A Valgrind log's records (separated by blank lines), without the ==PID== prefixes."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        line = re.sub(r"^==\d+==\s?", "", line)
        if line.strip():
            blocks[-1].append(line)
        else:
            blocks.append([])
    return ["\n".join(block) for block in blocks if block]


def _trim_frames(excerpt: str) -> str:
    """Drops the stack frames below a test's body (Criterion's own), keeping 25 lines."""
    kept = [line for line in excerpt.splitlines() if not any(
        noise in line for noise in ("libcriterion", "(below main)", "_impl (", "_jmp ("))]
    return "\n".join(kept[:25])


def _with_log_excerpts(message: str, log_dir: Path) -> str:
    """The Valgrind failure message plus what the log it names says (logs in log_dir only)."""
    kit_tools()
    from labcheck import valgrind_excerpt  # noqa: E402
    parts = [VALGRIND_LOG.sub("[see below]", message)]
    for logged in VALGRIND_LOG.findall(message)[:2]:
        name = Path(logged).name
        if Path(logged).parent != log_dir or not re.fullmatch(r"vg\.\d+\.log", name):
            continue
        content = read_untrusted(log_dir / name, 256 * 1024)
        if not content:
            continue
        safe_copy = log_dir.parent / f"grader-{name}"
        safe_copy.write_bytes(content)
        excerpt = valgrind_excerpt(str(safe_copy), limit=25)
        if excerpt:
            parts.append("Valgrind says:\n" + excerpt)
    return "\n".join(parts)


# ---- reading what the sandbox wrote ---------------------------------------------------------

def read_untrusted(path: Path, limit: int) -> bytes:
    """A file the submission could have replaced: a regular file only (no symlink, FIFO or
    device), at most `limit` bytes."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return b""
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return b""
        return handle.read(limit)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _clean_build_output(build: RunResult, scratch: Scratch) -> str:
    """The compiler's own messages, with scratch paths shown as the kit's (labs/labN/...)."""
    text = build.output.decode("utf-8", errors="replace")
    text = text.replace(f"{scratch.src}/", "labs/").replace(f"{scratch.kit}/", "")
    text = text.replace(f"{scratch.build}/", "build/")
    lines = [line for line in text.splitlines()
             if not line.startswith(("make: Entering", "make: Leaving", "make[", "cc ", "gcc "))]
    if build.timed_out:
        lines.append("(the build was stopped: it took too long)")
    if build.truncated:
        lines.append("(output cut)")
    return escape("\n".join(lines).strip(), 6000)
