"""Grading a class: every entry of a folder, in parallel, one CSV row each.

Every entry gets a row, in name order, written as soon as it and every entry before it
are graded (so an interrupted batch keeps what it finished); one that cannot be read
gets a row of zeros and the reason.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, TextIO

from grader.grading import Grader, Stopped
from grader.results import LabResult, SubmissionResult
from grader.text import escape_name


def submissions_in(folder: Path) -> list[Path]:
    """Every entry of `folder`, sorted by name: folders and archives are graded, anything
    else gets a row saying why it was not."""
    return sorted(folder.iterdir())


class Progress:
    """A progress bar on stderr (one line per submission when stderr is not a terminal)."""

    def __init__(self, total: int, out: TextIO = sys.stderr) -> None:
        self.total = total
        self.done = 0
        self.out = out
        self.started = time.monotonic()
        self.tty = out.isatty()

    def advance(self, name: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (width - filled)
            print(f"\r[{bar}] {self.done}/{self.total}  {elapsed:5.0f} s elapsed, "
                  f"~{left:4.0f} s left ", end="", file=self.out, flush=True)
            if self.done == self.total:
                print(file=self.out)
        else:
            print(f"[{self.done}/{self.total}] graded {escape_name(name)} ({elapsed:.0f} s elapsed)",
                  file=self.out, flush=True)


class LabProgress:
    """One submission's progress on stderr, a line as each lab starts and ends (the same
    lines whether or not stderr is a terminal, so `make grade > file` shows them too)."""

    def __init__(self, total: int, out: TextIO = sys.stderr) -> None:
        self.total = total
        self.done = 0
        self.out = out

    def lab_started(self, name: str) -> None:
        print(f"grade: [{self.done + 1}/{self.total}] {name}: building and testing...",
              file=self.out, flush=True)

    def lab_finished(self, result: LabResult) -> None:
        self.done += 1
        print(f"grade: [{self.done}/{self.total}] {result.name}: {result.points:.2f}/"
              f"{result.max_points:.2f} in {result.seconds:.1f} s", file=self.out, flush=True)


def grade_all(grader: Grader, submissions: list[Path], jobs: int,
              progress_out: TextIO | None = sys.stderr,
              on_row: Callable[[SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    """Grades every submission; one that breaks the grader becomes a row with its error.
    on_row gets each result in submission order, as soon as it can. When the grader is
    stopped (Stopped raised here, from the signal handler), the results done so far that
    on_row has not had yet are given to it, out of order, before Stopped goes on."""
    progress = Progress(len(submissions), progress_out) if progress_out else None
    results: dict[int, SubmissionResult] = {}
    given = 0

    def give_in_order() -> None:
        nonlocal given
        while given in results:
            if on_row:
                on_row(results[given])
            given += 1

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures: dict[Future, int] = {}
    try:
        futures = {pool.submit(grader.grade, path): index for index, path in enumerate(submissions)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = futures[future]
                path = submissions[index]
                try:
                    results[index] = future.result()
                except Stopped:
                    continue
                except Exception as error:  # noqa: BLE001 (one broken submission never stops the batch)
                    results[index] = SubmissionResult(path.name, error=f"grader error: {error!r}")
                if progress:
                    progress.advance(path.name)
            give_in_order()
    except BaseException:
        grader.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():
            if index not in results and future.done() and not future.cancelled() \
                    and future.exception() is None:
                results[index] = future.result()
        if on_row:
            for index in sorted(results):
                if index >= given:
                    on_row(results[index])
        raise
    pool.shutdown(wait=True)
    return [results[index] for index in range(len(submissions))]
