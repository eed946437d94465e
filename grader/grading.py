"""Grading submissions: one Grader per session (one reference build, one sandbox probe)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.kit import Reference, make_scratch
from grader.labrun import LabJob, LabLimits, grade_lab
from grader import points
from grader.labs import Lab, labs_in_kit, student_paths
from grader.results import LabResult, SubmissionResult, TestScore
from grader.sandbox import Sandbox, UidSlot
from grader.submission import StudentFiles, UnreadableSubmission, read_submission

if TYPE_CHECKING:
    from grader.batch import LabProgress


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
    sandbox_mode: str | None = None        # None: probe; "limits": no namespaces
    valgrind_shards: int = field(default_factory=lambda: os.cpu_count() or 1)  # Valgrind runners per lab


class Grader:
    """Grades submissions against the kit it was made with. Thread-safe once built."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.sandbox = Sandbox(settings.sandbox_mode)
        self.reference = Reference(settings.kit, workdir / "reference", settings.extra_tests)
        self.reference.prepare(settings.labs, settings.make)
        self.session_notes: list[str] = []
        if not settings.cumulative and not self.reference.has_solutions:
            settings.cumulative = True
            self.session_notes.append("this kit has no solutions/: every lab is built from "
                                      "the submission's own earlier labs (--cumulative)")
        for number, failure in sorted(self.reference.failures.items()):
            self.session_notes.append(f"the reference solution of lab {number} did not build; "
                                      f"that lab's tests are listed from the submission's own "
                                      f"build: {failure[-300:]}")

    def grade(self, submission: Path, progress: LabProgress | None = None) -> SubmissionResult:
        """Grades every lab of the settings; `progress` hears of each lab as it goes."""
        started = time.monotonic()
        result = SubmissionResult(Path(os.path.abspath(submission)).name, containment=self.sandbox.describe(),
                                  notes=list(self.session_notes))
        try:
            found = read_submission(submission, student_paths(self.settings.labs))
        except UnreadableSubmission as error:
            result.error = str(error)
            result.labs = [_empty_lab(lab, self.reference.tests.get(lab.number, []), str(error))
                           for lab in self.settings.labs]
            return result
        result.notes += found.notes
        result.notes += [f"{path} is missing: graded as the skeleton"
                         for path in student_paths(self.settings.labs) if path not in found.files]
        folder = Path(tempfile.mkdtemp(prefix="submission-", dir=self.workdir))
        folder.chmod(0o755)
        try:
            with UidSlot() as slot:
                for lab in self.settings.labs:
                    if progress is not None:
                        progress.lab_started(lab.name)
                    result.labs.append(self._grade_lab(lab, found, folder, slot.uid))
                    if progress is not None:
                        progress.lab_finished(result.labs[-1])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        result.seconds = time.monotonic() - started
        return result

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
        scratch = make_scratch(folder / lab.name, self.settings.kit, lab, sources, objects,
                               self.settings.extra_tests)
        job = LabJob(lab, scratch, self.reference.tests.get(lab.number, []), self.sandbox, uid,
                     self.settings.make, self.settings.valgrind,
                     self.settings.extra_tests is not None, self.settings.limits,
                     tuple(built_from), self.settings.valgrind_shards)
        try:
            result = grade_lab(job)
        finally:
            shutil.rmtree(scratch.root, ignore_errors=True)
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


def _empty_lab(lab: Lab, tests: list[str], why: str) -> LabResult:
    maximum = points.test_points(lab.name, tests)
    result = LabResult(lab.number, points.LAB_POINTS,
                       [TestScore(name, maximum[name], message=why) for name in tests])
    result.notes.append(why)
    return result
