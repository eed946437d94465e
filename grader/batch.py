"""Grading a class: every submission in a folder, in parallel, one CSV row each."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TextIO

from grader.grading import Grader
from grader.results import LabResult, SubmissionResult
from grader.submission import is_archive


def submissions_in(folder: Path) -> list[Path]:
    """Every folder or archive in `folder` (hidden entries skipped), sorted by name."""
    return sorted(entry for entry in folder.iterdir()
                  if not entry.name.startswith(".") and (entry.is_dir() or is_archive(entry)))


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
            print(f"[{self.done}/{self.total}] graded {name} ({elapsed:.0f} s elapsed)",
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
              progress_out: TextIO | None = sys.stderr) -> list[SubmissionResult]:
    """Grades every submission; one that breaks the grader becomes a row with its error."""
    progress = Progress(len(submissions), progress_out) if progress_out else None
    results: dict[Path, SubmissionResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grader.grade, path): path for path in submissions}
        for future in as_completed(futures):
            path = futures[future]
            try:
                results[path] = future.result()
            except Exception as error:  # noqa: BLE001 (one broken submission never stops the batch)
                results[path] = SubmissionResult(path.name, error=f"grader error: {error!r}")
            if progress:
                progress.advance(path.name)
    return [results[path] for path in submissions]
