"""Hostile lab 1 submissions are contained and scored exactly as they deserve.

Each fixture in fixtures/lab1/ is correct except for one function (socket_kind, or
close_socket for the infinite loop), so the tests that call that function lose their
points and every other test keeps them. Those that call what no lab needs (fork, kill,
fopen) are refused by the kit's object check before linking: not built, 0, with the
check's message. All are graded in one batch (2 at a time, natively: Valgrind is
covered by test_grading), which must finish in bounded time and leave the kit's files
unchanged.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
import unittest
import zipfile
from pathlib import Path

from grader.batch import grade_all
from grader.grading import Grader, Settings
from grader.labs import lab
from grader.results import LabResult, SubmissionResult
from grader.benchmark import lay_out, reference_files
from grader.tests.helpers import FIXTURES, KIT, fixture, kit_fingerprint, tools_missing

KIND = ("socket_kind::", "rules::")          # tests that call socket_kind
CLOSE = ("close_socket::", "rules::")         # tests that call close_socket
BOUND_SECONDS = 240
REFUSED = ("fork_bomb", "kill_everyone", "kill_group", "write_kit_tests")   # by objcheck


def lab1(result: SubmissionResult) -> LabResult:
    return result.labs[0]


def points_without(result: SubmissionResult, prefixes: tuple[str, ...]) -> float:
    return round(sum(test.max_points for test in lab1(result).tests
                     if not test.name.startswith(prefixes)), 2)


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class HostileSubmissions(unittest.TestCase):
    tmp: tempfile.TemporaryDirectory[str]
    escape_target: Path
    kit_before: dict[str, str]
    kit_after: dict[str, str]
    seconds: float
    results: dict[str, SubmissionResult]

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        root = Path(cls.tmp.name)
        batch = root / "batch"
        for source in sorted((FIXTURES / "lab1").glob("*.c")):
            lay_out(batch / source.stem, {"labs/lab1/socket.c": fixture("lab1", source.stem)})
        lay_out(batch / "skeleton", {})
        symlinked = lay_out(batch / "symlink", {})
        (symlinked / "labs/lab1").mkdir(parents=True)
        (symlinked / "labs/lab1/socket.c").symlink_to(KIT / "solutions/lab1/socket.c")
        cls.escape_target = root / "escaped.c"
        cls.make_archives(batch, reference_files([1])["labs/lab1/socket.c"])
        cls.kit_before = kit_fingerprint()
        workdir = root / "work"
        workdir.mkdir()
        workdir.chmod(0o711)
        grader = Grader(Settings(KIT, [lab(1)], valgrind=False, valgrind_shards=1), workdir)
        started = time.monotonic()
        graded = grade_all(grader, sorted(batch.iterdir()), jobs=2, progress_out=None)
        cls.seconds = time.monotonic() - started
        cls.results = {result.name: result for result in graded}
        cls.kit_after = kit_fingerprint()

    @classmethod
    def make_archives(cls, batch: Path, solution: bytes) -> None:
        with tarfile.open(batch / "traversal.tar.gz", "w:gz") as archive:
            for name, content in (("labs/lab1/socket.c", solution),
                                  ("../escaped.c", b"int escaped;\n"),
                                  (str(cls.escape_target), b"int absolute;\n")):
                info = tarfile.TarInfo(name)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
        with zipfile.ZipFile(batch / "traversal.zip", "w") as archive:
            archive.writestr("handin/labs/lab1/socket.c", solution)
            archive.writestr("../../escaped.c", b"int escaped;\n")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def assert_only_these_fail(self, name: str, prefixes: tuple[str, ...]) -> None:
        result = self.results[name]
        for test in lab1(result).tests:
            with self.subTest(fixture=name, test=test.name):
                self.assertEqual(test.passed, not test.name.startswith(prefixes), test.message)
        self.assertEqual(result.points, points_without(result, prefixes))

    def test_grading_is_bounded_and_leaves_the_kit_unchanged(self) -> None:
        self.assertLess(self.seconds, BOUND_SECONDS)
        self.assertEqual(self.kit_before, self.kit_after)
        self.assertFalse(self.escape_target.exists())
        self.assertFalse(any(result.error for result in self.results.values()))

    def test_skeleton_scores_zero(self) -> None:
        self.assertEqual(self.results["skeleton"].points, 0)
        self.assertEqual(lab1(self.results["skeleton"]).passed, 0)

    def test_does_not_compile(self) -> None:
        graded = lab1(self.results["does_not_compile"])
        self.assertFalse(graded.built)
        self.assertIn("error: expected", graded.build_output)
        self.assertIn("labs/lab1/socket.c:", graded.build_output)
        self.assertEqual(graded.points, 0)

    def test_infinite_loop_times_out_only_its_tests(self) -> None:
        self.assert_only_these_fail("infinite_loop", CLOSE)
        for test in lab1(self.results["infinite_loop"]).tests:
            if test.name.startswith(CLOSE):
                with self.subTest(test=test.name):
                    self.assertIn("still running when the test's time", test.message)

    def test_segfault_crashes_only_its_tests(self) -> None:
        self.assert_only_these_fail("segfault", KIND)

    def test_exit_zero_is_no_pass(self) -> None:
        self.assert_only_these_fail("exit_zero", KIND)

    def test_fake_success_lines_are_not_results(self) -> None:
        self.assert_only_these_fail("fake_success", KIND)

    def test_flooding_stdout_costs_only_the_no_printing_rule(self) -> None:
        self.assert_only_these_fail("flood_stdout", ("rules::",))

    def test_allocating_gigabytes_fails_under_the_memory_limit(self) -> None:
        self.assert_only_these_fail("allocate_gigabytes", ("socket_kind::",))

    def test_closing_every_descriptor(self) -> None:
        self.assert_only_these_fail("close_all_descriptors", KIND)

    def test_what_no_lab_needs_is_refused_before_linking(self) -> None:
        for name in REFUSED:
            with self.subTest(fixture=name):
                graded = lab1(self.results[name])
                self.assertFalse(graded.built)
                self.assertEqual(graded.points, 0)
                self.assertTrue(any("refused by the object check" in note and "objcheck:" in note
                                    for note in graded.notes), graded.notes)

    def test_symlink_to_a_solution_is_graded_as_missing(self) -> None:
        result = self.results["symlink"]
        self.assertEqual(result.points, 0)
        self.assertTrue(any("symbolic link" in note for note in result.notes))

    def test_archives_with_escaping_entries(self) -> None:
        for name in ("traversal.tar.gz", "traversal.zip"):
            with self.subTest(archive=name):
                result = self.results[name]
                self.assertEqual(result.points, 100)
                self.assertTrue(any("outside the submission" in note for note in result.notes))


if __name__ == "__main__":
    unittest.main()
