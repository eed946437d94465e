"""How make check, make memcheck and make status show results.

Failures come first, in the handout's order (the section each failure's "read:" line
cites, then the order of the handout's table of tests), each with its message; passing
tests are a count (listed with verbose). A timed-out or crashed test carries no message
of its own, so it gets one that names its time limit and the handout in both languages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TextIO

from grader import labs
from grader.runtime.criterion_run import RunOutcome, TestResult

KIT = Path(__file__).resolve().parents[2]
VALGRIND_LOG = re.compile(r"\[valgrind log: ([^\]]+)\]")
CRITERION_FRAME = re.compile(r"libcriterion|\(below main\)|_jmp \(|_impl \(|labrunner\.c|"
                             r"labtest\.c:|labcall\.c:")
CITED_SECTION = re.compile(r"read:\s+handouts/en/lab\d+\.md section (\d+(?:\.\d+)*)")
TABLE_TEST = re.compile(r"`([A-Za-z0-9_]+::[A-Za-z0-9_]+)`")
NO_SECTION = (99,)


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


def lab_topic(lab: int, kit: Path = KIT) -> str:
    """The lab's title, as its declaration (labs/labN/lab.mk) gives it; "" if it has none."""
    try:
        return labs.lab(lab, kit).title
    except (KeyError, OSError, labs.DeclarationError):
        return ""


def handout_paths(lab: int, section: str) -> str:
    """The same reference the tests print: both languages, one section."""
    return (f"handouts/en/lab{lab}.md section {section} "
            f"(es: handouts/es/lab{lab}.md section {section})")


# ---- the handout's order -------------------------------------------------------------

def cited_section(result: TestResult) -> tuple[int, ...] | None:
    """The handout section a failure's message cites first, as numbers (4.2 -> (4, 2))."""
    match = CITED_SECTION.search(result.message or "")
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def handout_table(lab: int, kit: Path = KIT) -> dict[str, int]:
    """Each test's position in the handout's table of tests (section 5.2), by name."""
    try:
        text = (kit / "handouts" / "en" / f"lab{lab}.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    positions: dict[str, int] = {}
    for name in TABLE_TEST.findall(text):
        positions.setdefault(name, len(positions))
    return positions


def handout_order(lab: int, failures: list[TestResult], kit: Path = KIT) -> list[TestResult]:
    """Failures sorted by the section they cite. One that cites none (a timeout, a crash)
    takes the first section its suite's other failures cite; then the handout's table
    order, then the order the tests were declared in."""
    table = handout_table(lab, kit)
    suite_section: dict[str, tuple[int, ...]] = {}
    for result in failures:
        section = cited_section(result)
        suite = result.name.split("::")[0]
        if section is not None and section < suite_section.get(suite, NO_SECTION):
            suite_section[suite] = section

    def key(indexed: tuple[int, TestResult]) -> tuple:
        index, result = indexed
        section = cited_section(result) or suite_section.get(result.name.split("::")[0],
                                                             NO_SECTION)
        return (section, table.get(result.name, len(table)), index)
    return [result for _, result in sorted(enumerate(failures), key=key)]


# ---- one result ----------------------------------------------------------------------

def seconds_text(seconds: float) -> str:
    """10.01 -> "10 s" (Criterion reports a timeout a few milliseconds late)."""
    return f"{seconds:.0f} s" if seconds >= 2 else f"{seconds:.1f} s"


def hint(lab: int, result: TestResult) -> str:
    """What a result with no message of its own means (timeouts, crashes, missing)."""
    see = f"  read:     {handout_paths(lab, '5.1')}"
    if result.status == "timed out":
        limit = f" of {seconds_text(result.seconds)}" if result.seconds else ""
        return ("The test did not finish within its time limit" + limit + ": a call of yours "
                "never returned (waiting for a connection or data that never comes, or a loop "
                "that never ends).\n" + see)
    if result.status == "crashed":
        return ("The test process crashed (a signal such as SIGSEGV or SIGPIPE) while your "
                "code ran. Usual causes: a NULL or invalid pointer, writing past a buffer, "
                "sending on a closed connection without MSG_NOSIGNAL.\n" + see)
    if result.status == "missing":
        return see
    return ""


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


def print_result(lab: int, result: TestResult, colours: Colours, out: TextIO) -> None:
    if result.passed:
        print(f"  {colours.good('PASS')}  {result.name}", file=out)
        return
    if result.status == "skipped":
        print(f"  SKIP  {result.name}: {result.message.strip()}", file=out)
        return
    label = "FAIL" if result.status == "failed" else result.status.upper()
    print(f"  {colours.bad(label)}  {result.name}", file=out)
    message = "\n".join(part for part in (hint(lab, result), result.message) if part)
    for line in (message or "(no message)").splitlines():
        print(f"        {line}", file=out)
    for log in VALGRIND_LOG.findall(result.message):
        excerpt = valgrind_excerpt(log)
        if excerpt:
            print("        Valgrind says:", file=out)
            for line in excerpt.splitlines():
                print(f"          {line}", file=out)


# ---- a lab's report --------------------------------------------------------------------

def report(lab: int, outcome: RunOutcome, colours: Colours, out: TextIO,
           verbose: bool = False, notes: list[str] | None = None, command: str = "check") -> int:
    """Failures first (handout order), then skips, the passing tests as a count (listed
    when verbose), any notes, and the summary line. Returns the exit status."""
    topic = lab_topic(lab)
    print(f"lab{lab}: {topic}" if topic else f"lab{lab}", file=out)
    failures = [r for r in outcome.results if not r.passed and r.status != "skipped"]
    for result in handout_order(lab, failures):
        print_result(lab, result, colours, out)
    for result in outcome.results:
        if result.status == "skipped":
            print_result(lab, result, colours, out)
    passing = [r for r in outcome.results if r.passed]
    if verbose:
        for result in passing:
            print_result(lab, result, colours, out)
    elif passing:
        print(f"  {colours.good('PASS')}  {len(passing)} test{'s' if len(passing) != 1 else ''}"
              f" (make {command} VERBOSE=1 lists them)", file=out)
    for note in notes or []:
        print(note, file=out)
    summary = f"lab{lab}: {outcome.passed}/{outcome.total} tests pass"
    if outcome.skipped:
        summary += f" ({outcome.skipped} skipped: this machine cannot arrange them)"
    complete = outcome.complete
    print(colours.good(summary) if complete else colours.bad(summary), file=out)
    if outcome.total == 0:
        print("  (no test could be listed: is the test binary broken?)", file=out)
    return 0 if complete else 1


# ---- make status -------------------------------------------------------------------

def status_widths(labs: list[tuple[int, str]], gap: int = 2) -> tuple[int, int]:
    """The widths of make status's lab and topic columns: the longest entry plus `gap`."""
    lab_width = max([len("lab"), *(len(str(lab)) for lab, _ in labs)]) + gap
    topic_width = max([len("topic"), *(len(topic) for _, topic in labs)]) + gap
    return lab_width, topic_width


def status_row(widths: tuple[int, int], lab: object, topic: str, verdict: str) -> str:
    return f"{lab!s:<{widths[0]}}{topic:<{widths[1]}}{verdict}"


def status_table(rows: list[tuple[int, str, str]]) -> list[str]:
    """The lines of make status: lab, topic, verdict, in columns at least two spaces
    apart whatever the length of the topics."""
    widths = status_widths([(lab, topic) for lab, topic, _ in rows])
    return [status_row(widths, "lab", "topic", "tests")] + [
        status_row(widths, lab, topic, verdict) for lab, topic, verdict in rows]
