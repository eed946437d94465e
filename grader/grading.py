"""Grading submissions: one Grader per session (one reference build, one sandbox probe).

Use it as a context manager: leaving it puts back what it hid (limits mode) and is what
a stopped grader (SIGINT, SIGTERM) goes through too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader import points, safefs
from grader.hiding import Hidden, sensitive_paths
from grader.kit import Reference, make_scratch
from grader.labrun import LabJob, LabLimits, grade_lab
from grader.labs import Lab, labs_in_kit, student_paths
from grader.results import LabResult, SubmissionResult, TestScore
from grader.sandbox import RunResult, Sandbox, UidSlot
from grader.submission import (ARCHIVE_READER, READER_LIMITS, StudentFiles,
                               UnreadableSubmission, read_submission, reader_command)


if TYPE_CHECKING:
    from grader.batch import LabProgress


def valgrind_jobs(submissions_at_once: int) -> int:
    """Tests side by side in one lab's Valgrind run: twice the cores, as make memcheck
    (many tests mostly wait), shared among the submissions graded at once."""
    return max(1, 2 * (os.cpu_count() or 1) // max(1, submissions_at_once))


class Stopped(Exception):
    """The grader is being stopped (SIGINT, SIGTERM): no more grading."""


@dataclass
class Settings:
    """How to grade: which labs, in which mode, with which tools and limits."""

    kit: Path
    labs: list[Lab]
    cumulative: bool = False
    valgrind: bool = True
    extra_tests: Path | None = None
    make: str = "make"
    limits: LabLimits = field(default_factory=LabLimits)
    sandbox_mode: str | None = None        # None: probe; "limits": no namespaces; "netns"
    valgrind_shards: int = field(default_factory=lambda: valgrind_jobs(1))  # tests at once under Valgrind
    hide: list[Path] = field(default_factory=list)   # submissions to hide in limits mode


class Grader:
    """Grades submissions against the kit it was made with. Thread-safe once built."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.sandbox = Sandbox(settings.sandbox_mode)
        self.hidden = Hidden()
        self.tools = workdir / "tools"       # the archive reader, where the sandbox uid reaches it
        self.tools.mkdir(mode=0o755, exist_ok=True)
        shutil.copyfile(ARCHIVE_READER, self.tools / ARCHIVE_READER.name)
        os.chmod(self.tools / ARCHIVE_READER.name, 0o644)
        self.reference = Reference(settings.kit, workdir / "reference", settings.extra_tests)
        self.reference.prepare(settings.labs, settings.make)
        if not self.sandbox.namespaces and os.geteuid() == 0:
            _check_reachable(workdir)
            for path in sensitive_paths(settings.kit, settings.extra_tests, settings.hide):
                self.hidden.hide(path)
        self.session_notes: list[str] = []
        if not settings.cumulative and not self.reference.has_solutions:
            settings.cumulative = True
            self.session_notes.append("this kit has no solutions/: every lab is built from "
                                      "the submission's own earlier labs (--cumulative)")
        for number, failure in sorted(self.reference.failures.items()):
            self.session_notes.append(f"the reference solution of lab {number} did not build; "
                                      f"that lab's tests are listed from the submission's own "
                                      f"build: {failure[-300:]}")

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Puts back the modes of what was hidden. Safe to call twice."""
        self.hidden.restore()

    def stop(self) -> None:
        """Asks every run in progress to stop now, and no new one to start."""
        self.sandbox.stop.set()

    def grade(self, submission: Path, progress: LabProgress | None = None) -> SubmissionResult:
        """Grades every lab of the settings; `progress` hears of each lab as it goes."""
        started = time.monotonic()
        result = SubmissionResult(os.path.basename(os.path.abspath(submission)),
                                  containment=self.sandbox.describe(),
                                  isolation=self.sandbox.mode, notes=list(self.session_notes))
        self._check_stop()
        with UidSlot() as slot:
            try:
                found = read_submission(submission, student_paths(self.settings.labs),
                                        lambda arguments, stdin: self._run_reader(arguments, stdin, slot.uid))
            except UnreadableSubmission as error:
                result.error = str(error)
                result.labs = [_empty_lab(lab, self.reference.tests.get(lab.number, []), str(error))
                               for lab in self.settings.labs]
                return result
            result.notes += found.notes
            result.notes += [f"{path} is missing: graded as the skeleton"
                             for path in student_paths(self.settings.labs) if path not in found.files]
            folder = Path(tempfile.mkdtemp(prefix="submission-", dir=self.workdir))
            _only_for(folder, slot.uid)
            try:
                for lab in self.settings.labs:
                    self._check_stop()
                    if progress is not None:
                        progress.lab_started(lab.name)
                    result.labs.append(self._grade_lab(lab, found, folder, slot.uid))
                    if progress is not None:
                        progress.lab_finished(result.labs[-1])
            finally:
                safefs.remove_tree(folder)
        self._check_stop()
        result.seconds = time.monotonic() - started
        return result

    def _check_stop(self) -> None:
        if self.sandbox.stop.is_set():
            raise Stopped()

    def _run_reader(self, arguments: list[str], stdin: int, uid: int | None) -> RunResult:
        """The archive reader, as the sandbox uid, seeing only its own copy of itself."""
        command = reader_command(self.tools / ARCHIVE_READER.name, arguments)
        return self.sandbox.run(command, uid=uid, cwd=self.tools, env={}, readable=[self.tools],
                                writable=[], limits=READER_LIMITS, stdin=stdin)

    def _grade_lab(self, lab: Lab, found: StudentFiles, folder: Path, uid: int | None) -> LabResult:
        started = time.monotonic()
        earlier = [other for other in self._all_labs() if other.number < lab.number]
        own_earlier = self.settings.cumulative or any(
            not self.reference.objects(other.number) for other in earlier)
        built_from = [*earlier, lab] if own_earlier else [lab]
        sources = {f"{entry.name}/{file}": self._source(entry, file, found)
                   for entry in built_from for file in entry.student_files}
        objects = [] if own_earlier else [obj for other in earlier
                                          for obj in self.reference.objects(other.number)]
        hidden_objects = self.reference.extra_objects(lab.number)
        scratch = make_scratch(folder / lab.name, self.settings.kit, lab, sources, objects,
                               hidden_objects, self.reference.test_objects(lab.number))
        if uid is not None:
            for writable in (scratch.build, scratch.memcheck, scratch.tmp):
                safefs.give_tree(writable, uid)
        job = LabJob(lab, scratch, self.reference.tests.get(lab.number, []), self.sandbox, uid,
                     self.settings.make, self.settings.valgrind, bool(hidden_objects),
                     self.settings.limits, tuple(built_from), self.settings.valgrind_shards)
        try:
            result = grade_lab(job)
        finally:
            safefs.remove_tree(scratch.root)
        hidden = self.reference.hidden.get(lab.number, set())
        for test in result.tests:
            test.hidden = test.name in hidden
        if own_earlier and earlier and not self.settings.cumulative:
            result.notes.append("built with your own earlier labs (their reference objects "
                                "are not available)")
        result.seconds = time.monotonic() - started
        return result

    def _all_labs(self) -> list[Lab]:
        return labs_in_kit(self.settings.kit)

    def _source(self, lab: Lab, file: str, found: StudentFiles) -> bytes:
        path = f"labs/{lab.name}/{file}"
        if path in found.files:
            return found.files[path]
        try:
            return (self.settings.kit / path).read_bytes()
        except OSError:
            return b""


def _check_reachable(workdir: Path) -> None:
    """Without namespaces the sandbox uid reaches its scratch folders by their real paths:
    every folder above them must let others through."""
    for folder in [workdir, *workdir.parents]:
        if not os.stat(folder).st_mode & 0o001:
            raise RuntimeError(f"{folder} does not let other users through (mode "
                               f"{os.stat(folder).st_mode & 0o777:o}): without namespaces "
                               "the sandbox uid could not reach its scratch folders")


def _only_for(folder: Path, uid: int | None) -> None:
    """A submission's scratch folder: root's, searchable by the sandbox uid's group only
    (so a concurrent grading's uid cannot read this one's sources)."""
    if uid is None:
        folder.chmod(0o755)
        return
    os.chown(folder, 0, uid)
    folder.chmod(0o750)


def _empty_lab(lab: Lab, tests: list[str], why: str) -> LabResult:
    maximum = points.test_points(lab.name, tests)
    result = LabResult(lab.number, points.LAB_POINTS,
                       [TestScore(name, maximum[name], message=why) for name in tests])
    result.notes.append(why)
    return result
