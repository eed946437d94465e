"""The reference solutions get full marks (natively and under Valgrind), the skeleton
gets zero, Valgrind findings cost their share, and the command line keeps its contract.

Every lab is graded natively; Valgrind runs over lab 1 only, to keep `make test` quick
(set GRADER_TEST_FULL=1 to run it over every lab: the labs' own self-test already runs
each solution under Valgrind)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from grader import points
from grader.batch import grade_all
from grader.grading import Grader, Settings
from grader.labs import lab, labs_in_kit
from grader.benchmark import lay_out, reference_files
from grader.results import LabResult
from grader.tests.helpers import FIXTURES, KIT, fixture, tools_missing

GRADE = KIT / "grader" / "grade"
FULL = os.environ.get("GRADER_TEST_FULL") == "1"   # Valgrind over every lab: minutes, not seconds
VALGRIND_LABS = [1]


def labs_with_solutions() -> list[int]:
    return [entry.number for entry in labs_in_kit(KIT)
            if all((KIT / "solutions" / entry.name / name).is_file()
                   for name in entry.student_files)]


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class ReferenceAndSkeleton(unittest.TestCase):
    tmp: tempfile.TemporaryDirectory[str]
    labs: list[int]
    results: dict[str, list[LabResult]]  # by submission

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        root = Path(cls.tmp.name)
        cls.labs = labs_with_solutions()
        batch = root / "batch"
        lay_out(batch / "reference", reference_files(cls.labs))
        lay_out(batch / "skeleton", {})
        cls.results = {}
        for name, labs, valgrind in (("native", cls.labs, FULL), ("valgrind", VALGRIND_LABS, True)):
            workdir = root / f"work-{name}"
            workdir.mkdir()
            workdir.chmod(0o711)
            grader = Grader(Settings(KIT, [lab(number) for number in labs], valgrind=valgrind,
                                     valgrind_shards=1), workdir)
            for result in grade_all(grader, sorted(batch.iterdir()), 2, None):
                cls.results.setdefault(result.name, []).extend(result.labs)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_reference_gets_full_marks_with_valgrind(self) -> None:
        for graded in self.results["reference"]:
            with self.subTest(lab=graded.name):
                failing = [f"{test.name}: {test.status} {test.message} {test.valgrind}"[:300]
                           for test in graded.tests if test.points < test.max_points - 1e-6]
                self.assertEqual(failing, [])
                self.assertTrue(graded.tests)
                self.assertAlmostEqual(graded.points, points.LAB_POINTS, places=2)

    def test_skeleton_gets_zero(self) -> None:
        for graded in self.results["skeleton"]:
            with self.subTest(lab=graded.name):
                self.assertTrue(graded.built, graded.build_output)
                self.assertEqual(graded.points, 0)


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class ValgrindShareAndModes(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        self.root = Path(self.tmp.name)
        self.workdir = self.root / "work"
        self.workdir.mkdir()
        self.workdir.chmod(0o711)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_a_leak_costs_the_valgrind_share_of_the_tests_that_leak(self) -> None:
        submission = lay_out(self.root / "leak", {"labs/lab1/socket.c": fixture("lab1", "leak")})
        result = Grader(Settings(KIT, [lab(1)]), self.workdir).grade(submission)
        leaking = [test for test in result.labs[0].tests
                   if test.name.startswith(("socket_kind::", "rules::"))]
        self.assertTrue(all(test.passed and "definitely lost" in test.valgrind
                            for test in leaking))
        lost = sum(test.max_points for test in leaking) * points.VALGRIND_SHARE
        self.assertAlmostEqual(result.points, points.LAB_POINTS - lost, places=2)

    def test_extra_tests_join_the_lab(self) -> None:
        submission = lay_out(self.root / "ref", reference_files([1]))
        settings = Settings(KIT, [lab(1)], valgrind=False, extra_tests=FIXTURES / "extra_tests")
        result = Grader(settings, self.workdir).grade(submission)
        names = [test.name for test in result.labs[0].tests]
        self.assertIn("hidden::tcp_and_udp_sockets_differ", names)
        self.assertEqual(result.points, 100)

    def test_default_mode_charges_a_mistake_once_cumulative_twice(self) -> None:
        files = reference_files([1, 2])
        files["labs/lab1/socket.c"] = (KIT / "labs/lab1/socket.c").read_bytes()
        submission = lay_out(self.root / "lab1-undone", files)
        once = Grader(Settings(KIT, [lab(2)], valgrind=False), self.workdir).grade(submission)
        self.assertEqual(once.points, 100)
        cumulative = Grader(Settings(KIT, [lab(2)], valgrind=False, cumulative=True),
                            self.workdir).grade(submission)
        self.assertEqual(cumulative.labs[0].built, True)


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class CommandLine(unittest.TestCase):
    def run_grade(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(GRADE), *args], capture_output=True,
                              text=True, timeout=300, check=False)

    def test_json_follows_gradescope_and_exit_is_zero(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            submission = lay_out(Path(tmp) / "sub", {"labs/lab1/socket.c": b"int broken(\n"})
            out = Path(tmp) / "results.json"
            done = self.run_grade(str(submission), "--labs", "1", "--no-valgrind",
                                  "--json", str(out))
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("lab1: 0.00/100.00  (0/", done.stdout)
            results = json.loads(out.read_text(encoding="utf-8"))
            self.assertEqual((results["score"], results["max_score"]), (0, 100))
            for key in ("execution_time", "output", "tests"):
                self.assertIn(key, results)
            for test in results["tests"]:
                self.assertTrue(test["name"].startswith("lab1:"))
                self.assertIn(test["status"], ("passed", "failed"))
                self.assertEqual(set(test), {"name", "score", "max_score", "status", "output"})

    def test_bad_arguments_and_unreadable_submissions_fail(self) -> None:
        self.assertEqual(self.run_grade("x", "--labs", "99").returncode, 2)
        self.assertEqual(self.run_grade().returncode, 2)
        missing = self.run_grade("/nonexistent/submission", "--labs", "1", "--no-valgrind")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no such file", missing.stderr)

    def test_batch_writes_one_row_per_submission(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            batch = Path(tmp) / "class"
            lay_out(batch / "alice", reference_files([1]))
            lay_out(batch / "bob", {})
            (batch / "carol.tar.gz").write_bytes(b"not really a tarball")
            table = Path(tmp) / "grades.csv"
            done = self.run_grade("--batch", str(batch), "--csv", str(table), "--labs", "1",
                                  "--no-valgrind", "--jobs", "2")
            self.assertEqual(done.returncode, 0, done.stderr)
            rows = table.read_text(encoding="utf-8").splitlines()
            self.assertEqual(rows[0], "submission,lab1,total,notes")
            self.assertTrue(rows[1].startswith("alice,100.00,100.00"))
            self.assertTrue(rows[2].startswith("bob,0.00,0.00"))
            self.assertTrue(rows[3].startswith("carol.tar.gz,0.00,0.00"))
            self.assertIn("not a readable archive", rows[3])


if __name__ == "__main__":
    unittest.main()
