"""Grading one lab of one submission: build it, run its tests natively, then under Valgrind.

Scores come only from the TAP reports the Criterion runner writes into pipes the grader
made (--tap=/dev/fd/N), parsed by the kit's criterion_run.py and checked against the
list of tests the reference build declares: a test with no result scores zero. Nothing
the submission can write decides a result: after the build, the build folder is taken
back from the sandbox uid (root-owned, read-only), so the test binary that runs is the
one the kit's Makefile linked; Valgrind's logs are read from a folder descriptor without
following links, and only to explain a failure or to find a leak the test missed.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from grader import points, safefs
from grader.kit import Scratch
from grader.labs import Lab
from grader.results import LabResult, TestScore
from grader.runtime.criterion_run import LIST_SUITE, LIST_TEST, parse_tap
from grader.runtime.labcheck import VALGRIND_TIME_SCALE, valgrind_command
from grader.sandbox import MIB, Limits, ReportPipe, RunResult, Sandbox
from grader.text import escape

MAX_REPORT_BYTES = 8 * MIB
MAX_LOG_BYTES = 8 * MIB               # of one Valgrind log (the fork runner's is the lab's)
MAX_LOGS_BYTES = 32 * MIB             # of all of them together
# "[valgrind log: DIR/vg.log, process PID]" (the fork runner's shared log) or
# "[valgrind log: DIR/program.NAME.PID.T.log]" (a program a test started).
VALGRIND_LOG = re.compile(r"\[valgrind log: ([^\],]+)(?:, process (\d+))?\]")
LOG_NAME = re.compile(r"vg(?:\.\d+)?\.log|program\.[A-Za-z0-9_.-]+\.log")
MAX_FILTERS = 16                      # the fork runner's limit (tests/common/labrunner.c)
LOG_NOISE = ("LEAK SUMMARY", "HEAP SUMMARY", "ERROR SUMMARY", "For lists", "Rerun with",
             "For counts")
EXCERPT_NOISE = LOG_NOISE + ("Memcheck,", "Copyright", "Using Valgrind", "Command:",
                             "searching for")
TEST_BODY = re.compile(r"\b([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__body\b")
OBJCHECK = "objcheck:"
# Stack frames below a test's body: Criterion's, and the kit's runners'.
FRAME_NOISE = ("libcriterion", "(below main)", "_impl (", "_jmp (", "(labrunner.c:",
               "lab_run_forked_test (", "__run (")


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
    valgrind_shards: int = 1              # tests side by side under Valgrind (--jobs)


def grade_lab(job: LabJob) -> LabResult:
    result = LabResult(job.lab.number, points.LAB_POINTS)
    build = _build(job)
    if job.uid is not None:
        safefs.seal_tree(job.scratch.build, job.uid)
    result.build_output = _clean_build_output(build, job.scratch)
    binary = job.scratch.build / job.lab.name / f"test_{job.lab.name}"
    # The same tests linked without Criterion, for the Valgrind pass (it starts faster).
    forking = job.scratch.build / job.lab.name / f"test_{job.lab.name}_fork"
    result.built = (build.returncode == 0 and _regular_beneath(job.scratch.build, binary)
                    and _regular_beneath(job.scratch.build, forking))
    tests = job.tests or (_list_in_sandbox(job, binary) if result.built else [])
    maximum = points.test_points(job.lab.name, tests)
    result.tests = [TestScore(name, maximum[name]) for name in tests]
    if not result.built:
        _not_built(result, build, job)
        return result
    native, run = _run_tests(job, binary, [], job.limits.native)
    result.run_output = escape(run.output.decode("utf-8", errors="replace"), 4000)
    _note_how_it_ended(result, run, job.limits.native, "test run")
    if run.returncode is not None and run.returncode != 0:
        result.notes.append(f"the test runner did not end normally ({_status(run.returncode)}): "
                            "its report is not trusted, so every test counts as missing")
    _score_native(result, native, job.valgrind)
    _leave_out_skipped(result, job.lab.name)
    if job.valgrind and not run.stopped:
        _score_valgrind(job, forking, result)
    return result


def _not_built(result: LabResult, build: RunResult, job: LabJob) -> None:
    refusals = _objcheck_refusal(result.build_output)
    if refusals:
        reason = "was refused by the object check"
        why = refusals
    elif build.disk_full:
        reason = f"used more than {job.limits.build.disk_bytes // MIB} MiB of disk while building"
        why = reason
    else:
        reason = "timed out" if build.timed_out else "did not compile"
        why = f"{job.lab.name} {reason}"
    result.notes.append(f"{job.lab.name} {reason}: every test scores 0"
                        + (f" ({why})" if refusals else " (see the compiler's output)"))
    for test in result.tests:
        test.message = f"not built: {why}"


def _status(returncode: int) -> str:
    if returncode < 0:
        return f"killed by signal {-returncode}"
    if returncode > 128:
        return f"killed by signal {returncode - 128}"
    return f"exit status {returncode}"


def _objcheck_refusal(build_output: str) -> str:
    """The object check's first refusal and its reasons (its "  - ..." lines), on one line."""
    lines = [line.strip() for line in build_output.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith(OBJCHECK):
            reasons = []
            for following in lines[index + 1:]:
                if not following.startswith("- "):
                    break
                reasons.append(following[2:])
            return line + (" " + "; ".join(reasons[:4]) if reasons else "")
    return ""


def _note_how_it_ended(result: LabResult, run: RunResult, limits: Limits, step: str) -> None:
    if run.timed_out:
        result.notes.append(f"the {step} hit the {limits.wall_seconds:.0f} s wall-clock limit "
                            "and was stopped")
    if run.disk_full:
        result.notes.append(f"the {step} used more than {limits.disk_bytes // MIB} MiB of disk "
                            "and was stopped")
    if run.stopped:
        result.notes.append(f"the {step} was stopped: the grader itself was being stopped")


# ---- steps ----------------------------------------------------------------------------

def _build(job: LabJob) -> RunResult:
    scratch = job.scratch
    command = [job.make, "-C", str(scratch.kit), "--no-print-directory", "-s",
               f"build-{job.lab.name}",
               f"SRC={scratch.src}", f"BUILD={scratch.build}", f"TEST_BUILD={scratch.build}"]
    if job.extra_tests:
        command.append(f"EXTRA_TESTS={scratch.extra}")
    return job.sandbox.run(command, uid=job.uid, cwd=scratch.kit, env={},
                           readable=[scratch.kit, scratch.src], writable=[scratch.build],
                           limits=job.limits.build, tmp=scratch.tmp)


def _run_tests(job: LabJob, binary: Path, wrapper: list[str], limits: Limits,
               fork_runner: list[str] | None = None,
               env: dict[str, str] | None = None) -> tuple[dict, RunResult]:
    """Runs the test binary once (Criterion's runner, or with `fork_runner` arguments its
    fork runner), writing its TAP report into a pipe of its own, and returns the results
    of that report: none when the runner did not end by itself with status 0 (it may have
    been replaced by code that wrote its own), or when Criterion's report does not begin
    as Criterion's does (something wrote into the pipe before it; the fork runner writes
    no header, one entry per test as it ends)."""
    pipe = ReportPipe(MAX_REPORT_BYTES)
    try:
        if fork_runner is None:
            command = [*wrapper, str(binary), f"--tap={pipe.path}", "--always-succeed"]
        else:
            command = [*wrapper, str(binary), "--lab-fork-runner", f"--tap={pipe.path}",
                       *fork_runner]
        writable = [job.scratch.memcheck] if wrapper else []
        run = job.sandbox.run(command, uid=job.uid, cwd=job.scratch.kit,
                              env={"LAB_BUILD_DIR": str(job.scratch.build), **(env or {})},
                              readable=[job.scratch.kit, job.scratch.src, job.scratch.build],
                              writable=writable, limits=limits, reports=[pipe],
                              tmp=job.scratch.tmp)
    finally:
        pipe.finish()
    tap = bytes(pipe.data)
    if run.returncode != 0 or not trusted_report(tap, header=fork_runner is None):
        return {}, run
    return parse_tap(tap), run


def trusted_report(tap: bytes, header: bool) -> bool:
    """False for a report something else wrote into: Criterion's must start with its TAP
    header, once (`header`; the fork runner writes none), and no result line may appear
    indented or carry a second result (bytes slipped in just before a runner's line
    would turn its result into a message line, or into the tail of an injected one)."""
    if header and not (tap.startswith(b"TAP version 13\n")
                       and len(re.findall(rb"^TAP version", tap, re.M)) == 1):
        return False
    indented = rb"^[ \t]+(?:not )?ok - \S+::"
    merged = rb"^(?:not )?ok - \S+[^\n]*?ok - \S+::"     # "ok - T " + the runner's own line
    return re.search(indented, tap, re.M) is None and re.search(merged, tap, re.M) is None


def _list_in_sandbox(job: LabJob, binary: Path) -> list[str]:
    """The tests the submission's own binary declares (only when the kit has no reference)."""
    run = job.sandbox.run([str(binary), "--list"], uid=job.uid, cwd=job.scratch.kit,
                          env={"LAB_BUILD_DIR": str(job.scratch.build)},
                          readable=[job.scratch.kit, job.scratch.src, job.scratch.build],
                          writable=[], limits=job.limits.native.scaled(0.25),
                          tmp=job.scratch.tmp)
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
        if outcome.status == "skipped":
            continue  # weighed by _leave_out_skipped
        if outcome.passed:
            share = 1.0 - points.VALGRIND_SHARE if valgrind else 1.0
            test.points = test.max_points * share


def _leave_out_skipped(result: LabResult, lab: str) -> None:
    """A skipped test checks a situation this grading machine cannot arrange (its message
    says why, as make check says it): it counts neither for nor against the student. It
    weighs nothing, and the lab's other tests share its points."""
    kept = [test.name for test in result.tests if test.status != "skipped"]
    if len(kept) == len(result.tests) or not kept:
        return
    maximum = points.test_points(lab, kept)
    for test in result.tests:
        if test.status == "skipped":
            test.max_points = test.points = 0.0
            continue
        share = test.points / test.max_points if test.max_points else 0.0
        test.max_points = maximum[test.name]
        test.points = test.max_points * share


def _score_valgrind(job: LabJob, binary: Path, result: LabResult) -> None:
    """The tests that passed natively, again under one Valgrind running the fork runner of
    `binary` (test_labN_fork, as make memcheck does: a fork per test, not an exec)."""
    passed = [test for test in result.tests if test.passed]
    if not passed:
        return
    log_dir = job.scratch.memcheck
    filters = valgrind_filters([test.name for test in result.tests],
                               {test.name for test in passed})
    wrapper = valgrind_command(log_dir)
    found, run = _run_tests(job, binary, wrapper, job.limits.valgrind,
                            [f"--jobs={max(1, job.valgrind_shards)}", *filters],
                            {"LAB_VALGRIND_LOG_DIR": str(log_dir),
                             "LAB_TIME_SCALE": VALGRIND_TIME_SCALE})
    _note_how_it_ended(result, run, job.limits.valgrind, "Valgrind run")
    if run.returncode is not None and run.returncode != 0:
        result.notes.append(f"the Valgrind run did not end normally ({_status(run.returncode)}): "
                            "its report is not trusted, so no test earns the Valgrind share")
    logs = read_logs(job.scratch.root, log_dir.name)
    student_files = tuple(file for lab in job.built_from for file in lab.student_files)
    from_logs = _log_findings(logs, student_files)
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
            test.valgrind = _with_log_excerpts(finding, log_dir, logs)


def valgrind_filters(tests: list[str], passed: set[str]) -> list[str]:
    """The fork runner's --filter options that select the passed tests: whole suites when
    all their tests passed, else each test; none (every test) when all passed or when
    that would take more filters than the runner takes."""
    if passed >= set(tests):
        return []
    suites: dict[str, list[str]] = {}
    for name in tests:
        suites.setdefault(name.split("::")[0], []).append(name)
    filters: list[str] = []
    for suite, names in suites.items():
        chosen = [name for name in names if name in passed]
        if len(chosen) == len(names):
            filters.append(f"--filter={suite}/*")
        else:
            filters += [f"--filter={name.replace('::', '/')}" for name in chosen]
    return filters if len(filters) <= MAX_FILTERS else []


def read_logs(parent: Path, folder: str) -> dict[str, str]:
    """Valgrind's logs (vg.PID.log) in parent/folder, by name: read from a folder
    descriptor, regular files only, links never followed, each and all capped."""
    logs: dict[str, str] = {}
    descriptor = safefs.open_dir(parent, folder)
    if descriptor is None:
        return logs
    total = 0
    try:
        for name in [name for name in safefs.names_in(descriptor) if LOG_NAME.fullmatch(name)][:2000]:
            content = safefs.read_file(descriptor, name, MAX_LOG_BYTES)
            total += len(content)
            if total > MAX_LOGS_BYTES:
                break
            if content:          # b"" also for a link, a FIFO, a device: never followed
                logs[name] = content.decode("utf-8", errors="replace")
    finally:
        os.close(descriptor)
    return logs


def _log_findings(logs: dict[str, str], student_files: tuple[str, ...]) -> dict[str, str]:
    """Memory errors and definite/indirect leaks in Valgrind's logs that involve the
    student's code (a frame in one of their files), by the test whose body is on the same
    stack. This catches what a test's own check can miss, such as a leak whose pointer
    still sits in a dead stack frame; findings in the tests' own code are not blamed."""
    student_frame = re.compile(r"[ (](?:%s):\d+\)" % "|".join(map(re.escape, student_files)))
    findings: dict[str, list[str]] = {}
    texts = [part for _name, text in sorted(logs.items()) for part in by_process(text).values()]
    for text in texts:
        for block in _log_blocks(text):
            body = TEST_BODY.search(block)
            if body and student_frame.search(block) and not block.startswith(LOG_NOISE):
                findings.setdefault(f"{body.group(1)}::{body.group(2)}", []).append(block)
    return {name: _trim_frames("\n".join(blocks)) for name, blocks in findings.items()}


def by_process(text: str) -> dict[str, str]:
    """A Valgrind log that several processes share, split by the ==PID== of each line."""
    parts: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"==(\d+)==", line)
        parts.setdefault(match.group(1) if match else "", []).append(line)
    return {pid: "\n".join(lines) for pid, lines in parts.items()}


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
        noise in line for noise in FRAME_NOISE)]
    return "\n".join(kept[:25])


def _with_log_excerpts(message: str, log_dir: Path, logs: dict[str, str]) -> str:
    """The Valgrind failure message plus what the log it names says (logs of log_dir only,
    from the bytes already read: nothing is written or reopened)."""
    parts = [VALGRIND_LOG.sub("[see below]", message)]
    for logged, pid in VALGRIND_LOG.findall(message)[:2]:
        name = Path(logged.strip()).name
        if Path(logged.strip()).parent != log_dir or name not in logs:
            continue
        text = by_process(logs[name]).get(pid, "") if pid else logs[name]
        excerpt = valgrind_excerpt(text, limit=25)
        if excerpt:
            parts.append("Valgrind says:\n" + excerpt)
    return "\n".join(parts)


def valgrind_excerpt(text: str, limit: int = 25) -> str:
    """The memory errors and leak records of one Valgrind log, without its noise."""
    shown = [line for block in _log_blocks(text) if not block.startswith(EXCERPT_NOISE)
             for line in block.splitlines()
             if not any(noise in line for noise in FRAME_NOISE)]
    return "\n".join(shown[:limit])


def _regular_beneath(base: Path, path: Path) -> bool:
    """True when path (below base) is a regular file reached through no symbolic link."""
    relative = path.relative_to(base)
    folder = safefs.open_dir(base, str(relative.parent))
    if folder is None:
        return False
    try:
        return stat.S_ISREG(os.stat(relative.name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False
    finally:
        os.close(folder)


def _clean_build_output(build: RunResult, scratch: Scratch) -> str:
    """The compiler's own messages, with scratch paths shown as the kit's (labs/labN/...)."""
    text = build.output.decode("utf-8", errors="replace")
    text = text.replace(f"{scratch.src}/", "labs/").replace(f"{scratch.kit}/", "")
    text = text.replace(f"{scratch.build}/", "build/")
    lines = [line for line in text.splitlines()
             if not line.startswith(("make: Entering", "make: Leaving", "make[", "cc ", "gcc "))]
    if build.timed_out:
        lines.append("(the build was stopped: it took too long)")
    if build.disk_full:
        lines.append("(the build was stopped: it used too much disk)")
    if build.truncated:
        lines.append("(output cut)")
    return escape("\n".join(lines).strip(), 6000)
