"""What grading produced: per test, per lab, per submission. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TestScore:
    """One test of one lab. status: passed, failed, crashed, timed out, missing, not built."""

    name: str
    max_points: float
    points: float = 0.0
    status: str = "not built"
    message: str = ""
    valgrind: str = ""          # "" (not run), "clean", or what Valgrind found
    hidden: bool = False        # an instructor's hidden test (--extra-tests)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class LabResult:
    """One lab's grade: its tests, how the build went, and notes for the reader."""

    number: int
    max_points: float
    tests: list[TestScore] = field(default_factory=list)
    built: bool = False
    build_output: str = ""
    notes: list[str] = field(default_factory=list)
    run_output: str = ""
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"lab{self.number}"

    @property
    def points(self) -> float:
        return round(sum(test.points for test in self.tests), 2)

    @property
    def passed(self) -> int:
        return sum(test.passed for test in self.tests)


@dataclass
class SubmissionResult:
    """A whole submission: its labs, notes (refused files, containment) and timing."""

    name: str
    labs: list[LabResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    containment: str = ""       # the isolation the runs had, in words
    isolation: str = ""         # the same, one word: bwrap, netns or limits
    seconds: float = 0.0
    error: str = ""             # set when the submission could not be graded at all

    @property
    def points(self) -> float:
        return round(sum(lab.points for lab in self.labs), 2)

    @property
    def max_points(self) -> float:
        return round(sum(lab.max_points for lab in self.labs), 2)
