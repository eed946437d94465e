"""How a lab that was not built is reported: the object check's refusal is the reason."""

from __future__ import annotations

import unittest

from grader.labrun import LabJob, _not_built, trusted_report
from grader.labs import lab
from grader.report import csv_row, gradescope
from grader.results import LabResult, SubmissionResult, TestScore
from grader.sandbox import RunResult


class NotBuilt(unittest.TestCase):
    def refused(self) -> LabResult:
        result = LabResult(1, 100.0, [TestScore("tcp_socket::returns_ipv4_tcp_socket", 100.0)])
        result.build_output = ("make: *** [Makefile:99: build/lab1/test_lab1] Error 1\n"
                               "objcheck: labs/lab1/socket.c defines main, which no lab 1 "
                               "file may define")
        build = RunResult(2, b"", False, False, 0.1)
        job = LabJob(lab(1), None, [], None, None)  # type: ignore[arg-type]
        _not_built(result, build, job)
        return result

    def test_an_object_check_refusal_scores_as_not_built_with_its_message(self) -> None:
        result = self.refused()
        self.assertEqual(result.points, 0)
        self.assertIn("refused by the object check", result.notes[0])
        self.assertIn("objcheck: labs/lab1/socket.c defines main", result.notes[0])
        self.assertTrue(result.tests[0].message.startswith("not built: objcheck:"))

    def test_the_refusal_reaches_the_csv_and_results_json(self) -> None:
        submission = SubmissionResult("alice", [self.refused()], isolation="bwrap")
        row = csv_row(submission)
        self.assertIn("objcheck: labs/lab1/socket.c defines main", row[-1])
        answer = gradescope(submission)
        build = [test for test in answer["tests"] if test["name"] == "lab1: build"]
        self.assertIn("objcheck:", build[0]["output"])


class Reports(unittest.TestCase):
    CRITERION = (b"TAP version 13\n1..2\n# Criterion v2.4.1\nok - a::b  (0.00s)\n"
                 b"not ok - a::c  (0.00s)\n  ---\n  assertions: 1\n  failures:\n"
                 b"    - message:\n      expected 1, got 2\n  ...\n")

    def test_a_runners_own_report_is_trusted(self) -> None:
        self.assertTrue(trusted_report(self.CRITERION, header=True))
        self.assertTrue(trusted_report(b"ok - a::b\nnot ok - a::c\n  ---\n  ...\n", header=False))

    def test_lines_before_the_header_or_a_second_header_void_it(self) -> None:
        self.assertFalse(trusted_report(b"ok - a::c\n" + self.CRITERION, header=True))
        self.assertFalse(trusted_report(self.CRITERION + self.CRITERION, header=True))

    def test_an_indented_result_line_voids_it(self) -> None:
        forged = b"ok - a::c\n  " + b"not ok - a::c\n"
        self.assertFalse(trusted_report(forged, header=False))
        self.assertFalse(trusted_report(self.CRITERION.replace(b"not ok - a::c", b"      not ok - a::c"),
                                        header=True))

    def test_a_result_line_carrying_another_voids_it(self) -> None:
        self.assertFalse(trusted_report(b"ok - a::c not ok - a::c  (0.00s)\n", header=False))

    def test_quoted_result_text_in_a_message_is_fine(self) -> None:
        quoted = self.CRITERION.replace(b"expected 1, got 2",
                                        b'got: printed "ok - a::b  (0.00s)\\x0a"')
        self.assertTrue(trusted_report(quoted, header=True))


if __name__ == "__main__":
    unittest.main()
