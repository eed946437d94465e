"""Run a Criterion test binary and read its results from the TAP report.

Results come only from the TAP file the runner writes (never from what the code
under test prints), checked against the list of tests the binary declares: a
test with no result (the runner was killed) counts as failed. Shared by
labcheck.py (make check) and the grader.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TAP_RESULT = re.compile(rb"^(ok|not ok) - (\S+)(.*)$")
FILTERED_OUT = "test was skipped"  # Criterion's reason for a test --filter left out
TAP_SECONDS = re.compile(rb"\((\d+(?:\.\d+)?)s\)\s*$")
LIST_SUITE = re.compile(r"^(\S+): \d+ tests?$")
LIST_TEST = re.compile(r"^[├└]── (\S+)$")


@dataclass
class TestResult:
    """One test's outcome: passed, failed, crashed, timed out, skipped or missing.

    A skipped test could not be arranged on this machine (its message says why):
    it is neither a pass nor a failure.
    """

    name: str
    status: str
    message: str = ""
    seconds: float | None = None  # as the runner measured it; for a timeout, the time limit

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class RunOutcome:
    """Every declared test's result, in declaration order, and how the run went."""

    results: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0
    runner_output: str = ""

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def skipped(self) -> int:
        return sum(result.status == "skipped" for result in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def complete(self) -> bool:
        """True when every test passed (or was skipped), and there was at least one."""
        return self.total > 0 and self.passed + self.skipped == self.total


def list_tests(binary: Path, timeout: float = 30) -> list[str]:
    """The tests a Criterion binary declares, as suite::name."""
    listing = subprocess.run([str(binary), "--list"], capture_output=True, text=True,
                             timeout=timeout, check=False, errors="replace")
    names: list[str] = []
    suite = ""
    for line in listing.stdout.splitlines():
        if match := LIST_SUITE.match(line):
            suite = match.group(1)
        elif (match := LIST_TEST.match(line)) and suite:
            names.append(f"{suite}::{match.group(1)}")
    return names


def _message_of(lines: list[bytes]) -> str:
    """The failure messages of one TAP entry's YAML block, as plain text."""
    messages: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace")
        if line.startswith("      "):
            text = line[6:]
            messages.append(text.removeprefix("Assertion failed: "))
    return "\n".join(messages).strip()


def _status_of(verdict: bytes, rest: bytes) -> str:
    if verdict == b"ok":
        return "skipped" if b"# SKIP" in rest else "passed"
    if b"timed out" in rest:
        return "timed out"
    if b"unexpected signal" in rest:
        return "crashed"
    return "failed"


def parse_tap(report: bytes) -> dict[str, TestResult]:
    """Results by test name. A test reported more than once is failed: never trusted."""
    results: dict[str, TestResult] = {}
    seen: set[str] = set()
    entries: list[tuple[re.Match[bytes], list[bytes]]] = []
    for line in report.splitlines():
        if match := TAP_RESULT.match(line):
            entries.append((match, []))
        elif entries and line.startswith(b" "):
            entries[-1][1].append(line)
    for match, body in entries:
        name = match.group(2).decode("utf-8", errors="replace")
        status = _status_of(match.group(1), match.group(3))
        message = _message_of(body)
        if status == "skipped":
            message = match.group(3).decode("utf-8", errors="replace").split("# SKIP", 1)[1]
        if status == "crashed":
            where = match.group(3).decode("utf-8", errors="replace").strip()
            message = (message + "\n" if message else "") + where
        if name in seen:
            results[name] = TestResult(name, "failed", "reported more than once")
            continue
        seen.add(name)
        timing = TAP_SECONDS.search(match.group(3))
        results[name] = TestResult(name, status, message,
                                   float(timing.group(1)) if timing else None)
    return results


def suite_filters(tests: list[str], count: int) -> list[str]:
    """Criterion --filter patterns that split the tests, whole suites each, into at most
    `count` groups of about the same size."""
    suites: dict[str, int] = {}
    for name in tests:
        suite = name.split("::")[0]
        suites[suite] = suites.get(suite, 0) + 1
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(suites))))]
    sizes = [0] * len(groups)
    for suite, size in sorted(suites.items(), key=lambda item: -item[1]):
        lightest = sizes.index(min(sizes))
        groups[lightest].append(f"{suite}/*")
        sizes[lightest] += size
    return [f"--filter=@({'|'.join(group)})" for group in groups]


# The longest a test may take in a native run (Criterion's --timeout lowers every test's
# own timeout to this). The tests' longer timeouts (15-90 s) are allowances for Valgrind:
# every wait inside a test has its own deadline, at most 8 s natively (ten times that under
# Valgrind), so a hung call fails with its own message first. Measured: a whole lab's
# tests take under 1 s natively on 2 cores at a load average of 10.
NATIVE_TEST_TIMEOUT = 10.0


def native_jobs() -> int:
    """Criterion workers for a native run: more than the cores.

    The tests wait on sockets and child processes far more than they compute, and a test
    that hangs holds its worker until its timeout: with two workers, three hung tests of a
    10 s timeout cost 20 s, with eight they cost 10 s. Measured on 2 cores: every
    solution's tests pass at -j8 and -j16 while three spinning mutant tests share the
    machine (the tests' own deadlines are seconds for work that takes milliseconds).
    """
    return max(8, 4 * (os.cpu_count() or 2))


def run_tests(binary: Path, *, env: dict[str, str] | None = None, timeout: float = 300,
              wrapper: list[str] | None = None, runners: int = 1,
              expected: list[str] | None = None, jobs: int | None = None,
              test_timeout: float | None = None, only: list[str] | None = None) -> RunOutcome:
    """Runs every test of `binary` (under `wrapper`, such as valgrind) and collects results.

    `runners` > 1 splits the suites among that many runners side by side: Criterion runs
    one test at a time under Valgrind, so this is how a memcheck uses every core.
    `expected` is the list of tests, when the caller already knows it. `jobs` is how
    many tests each runner runs at once (Criterion's --jobs; default: its own choice,
    the number of cores). `test_timeout` caps every test's timeout (Criterion's --timeout).
    `only` runs just those tests (suite::name) and reports only them.
    """
    if only is not None:
        expected = list(only)
    expected = expected if expected is not None else list_tests(binary)
    started = time.monotonic()
    if only is not None:
        filters: list[str | None] = [
            "--filter=@(" + "|".join(name.replace("::", "/") for name in only) + ")"]
    elif runners > 1:
        filters = list(suite_filters(expected, runners))
    else:
        filters = [None]
    with tempfile.TemporaryDirectory(prefix="labcheck-") as scratch, \
            ThreadPoolExecutor(max_workers=len(filters)) as pool:
        commands = []
        for index, test_filter in enumerate(filters):
            tap_path = Path(scratch) / f"report.{index}.tap"
            command = [*(wrapper or []), str(binary), f"--tap={tap_path}", "--always-succeed"]
            if jobs is not None:
                command.append(f"--jobs={jobs}")
            if test_timeout is not None:
                command.append(f"--timeout={test_timeout:g}")
            commands.append((command + [test_filter] if test_filter else command, tap_path))
        outputs = list(pool.map(lambda job: _run_bounded(job[0], env, timeout), commands))
        reports = [tap.read_bytes() if tap.exists() else b"" for _, tap in commands]
    found: dict[str, TestResult] = {}
    for report in reports:
        for name, result in parse_tap(report).items():
            if _more_telling(result, found.get(name)):
                found[name] = result
    outcome = RunOutcome(seconds=time.monotonic() - started, runner_output="".join(outputs))
    for name in expected:
        outcome.results.append(found.get(name) or TestResult(
            name, "missing", "no result: the test runner stopped before reporting this test "
            "(was it killed, or did the whole run time out?)"))
    return outcome


def _more_telling(new: TestResult, old: TestResult | None) -> bool:
    """Whether one runner's result replaces another's. A test filtered out of a runner
    shows there as skipped with Criterion's generic reason: any other result, a real skip's
    reason included, tells more."""
    if old is None:
        return True
    if old.status != "skipped":
        return False
    return new.status != "skipped" or (old.message.strip() == FILTERED_OUT
                                       and new.message.strip() != FILTERED_OUT)


def run_forked(binary: Path, *, env: dict[str, str] | None = None, timeout: float = 300,
               wrapper: list[str] | None = None, jobs: int = 1,
               expected: list[str] | None = None, only: list[str] | None = None) -> RunOutcome:
    """Runs every test of `binary` with its fork runner (labrunner.c): one process (one
    Valgrind, under `wrapper`) that forks a child per test, `jobs` at a time. Same TAP,
    same verdicts as Criterion's runner; far cheaper under Valgrind, where every exec
    of a Criterion worker is a new Valgrind. `only` runs just those tests (suite::name)
    and reports only them."""
    if only is not None:
        expected = list(only)
    expected = expected if expected is not None else list_tests(binary)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="labcheck-") as scratch:
        tap_path = Path(scratch) / "report.tap"
        command = [*(wrapper or []), str(binary), "--lab-fork-runner", f"--tap={tap_path}",
                   f"--jobs={max(1, jobs)}"]
        if only is not None:
            command.append(f"--filter=@({'|'.join(name.replace('::', '/', 1) for name in only)})")
        output = _run_bounded(command, env, timeout)
        report = tap_path.read_bytes() if tap_path.exists() else b""
    found = parse_tap(report)
    outcome = RunOutcome(seconds=time.monotonic() - started, runner_output=output)
    for name in expected:
        outcome.results.append(found.get(name) or TestResult(
            name, "missing", "no result: the test runner stopped before reporting this test "
            "(was it killed, or did the whole run time out?)"))
    return outcome


def _run_bounded(command: list[str], env: dict[str, str] | None, timeout: float) -> str:
    """Runs a command in its own process group, killing the whole group at the deadline."""
    full_env = {**os.environ, **(env or {})}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, env=full_env,
                          start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return output.decode("utf-8", errors="replace")
