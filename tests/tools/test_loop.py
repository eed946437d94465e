"""Tests of the student's loop around the tests (run by make test):

  - a timed-out test's report names its time limit and the handout in both languages;
  - make status keeps its columns apart, whatever the length of a lab's topic;
  - make check warns when a kit file is not as shipped (a manifest in the student kit, git
    in a clone) and says how to put it back;
  - make check lists failures in the handout's order and counts the passing tests;
  - make demo works in the student kit (no solutions/) and says whose programs ran, for lab
    7's demo and for lab 8's;
  - make handin warns about untouched skeletons and files it leaves out.

The kit is copied into a scratch folder for everything that edits or builds it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest
from pathlib import Path
from typing import Any

from grader.runtime import checkview
from grader.runtime import kitfiles
from grader.runtime.checkview import Colours, print_result, report, status_table
from grader.runtime.criterion_run import RunOutcome, TestResult, native_jobs, parse_tap, run_tests

KIT = Path(__file__).resolve().parents[2]
MAKE_TIMEOUT = 300


def quiet_env() -> dict[str, str]:
    """The environment without the outer make's variables (make test's own flags)."""
    return {name: value for name, value in os.environ.items()
            if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def copy_kit(target: Path, solutions: bool) -> Path:
    """A copy of the kit's files (no build, no mutants; solutions/ only when asked)."""
    ignore = shutil.ignore_patterns("build", "dist", "mutants", "__pycache__", "*.pyc",
                                    "kit-manifest.sha256", "handin.tar.gz")
    target.mkdir(parents=True)
    shutil.copy2(KIT / "Makefile", target / "Makefile")
    for folder in ("labs", "tests", "handouts", "grader") + (("solutions",) if solutions else ()):
        shutil.copytree(KIT / folder, target / folder, ignore=ignore)
    shutil.rmtree(target / "grader" / "tests", ignore_errors=True)
    return target


def make(kit: Path, *goals: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", "-C", str(kit), *goals],
                          capture_output=True, text=True, errors="replace", env=quiet_env(),
                          timeout=MAKE_TIMEOUT, check=False)


def have_criterion() -> bool:
    return subprocess.run(["pkg-config", "--exists", "criterion"], check=False).returncode == 0


class ScratchTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="test-loop-"))
        self.addCleanup(shutil.rmtree, self.scratch, True)


# ---- timeouts and skips ---------------------------------------------------------------------------

class RunnerResults(ScratchTestCase):
    def test_timed_out_tap_line_gives_the_time_limit(self) -> None:
        found = parse_tap(b"not ok - tcp_accept::closed_fails timed out (10.00s)\n")
        self.assertEqual(found["tcp_accept::closed_fails"].status, "timed out")
        self.assertEqual(found["tcp_accept::closed_fails"].seconds, 10.0)

    def test_timed_out_report_names_limit_and_both_handouts(self) -> None:
        out = io.StringIO()
        print_result(4, TestResult("tcp_accept::closed_fails", "timed out", "", 10.01),
                     Colours(False), out)
        text = out.getvalue()
        self.assertIn("TIMED OUT  tcp_accept::closed_fails", text)
        self.assertIn("time limit of 10 s", text)
        self.assertIn("handouts/en/lab4.md section 5.1", text)
        self.assertIn("handouts/es/lab4.md section 5.1", text)

    @unittest.skipUnless(have_criterion(), "Criterion is not installed")
    def test_split_run_keeps_a_real_skips_reason(self) -> None:
        source = self.scratch / "skip.c"
        source.write_text("#include <criterion/criterion.h>\n"
                          'Test(a, skipped) { cr_skip_test("no IPv6 here"); }\n'
                          "Test(b, passes) { cr_assert(1); }\n")
        binary = self.scratch / "skip"
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "criterion"],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", str(source), "-o", str(binary), *flags], check=True, timeout=60)
        for runners in (1, 2):
            results = {r.name: r for r in run_tests(binary, runners=runners).results}
            self.assertEqual(results["b::passes"].status, "passed")
            self.assertEqual(results["a::skipped"].status, "skipped")
            self.assertIn("no IPv6 here", results["a::skipped"].message)

    @unittest.skipUnless(have_criterion(), "Criterion is not installed")
    def test_hung_tests_capped_and_side_by_side_cost_one_limit(self) -> None:
        source = self.scratch / "hang.c"
        source.write_text("#include <criterion/criterion.h>\n#include <unistd.h>\n"
                          + "".join(f"Test(hang, t{i}, .timeout = 30) {{ pause(); }}\n"
                                    for i in range(4))
                          + "Test(fine, passes, .timeout = 1) { cr_assert(1); }\n")
        binary = self.scratch / "hang"
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "criterion"],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", str(source), "-o", str(binary), *flags], check=True, timeout=60)
        outcome = run_tests(binary, jobs=native_jobs(), test_timeout=1)
        statuses = {result.name: result.status for result in outcome.results}
        self.assertEqual(statuses.pop("fine::passes"), "passed")
        self.assertEqual(set(statuses.values()), {"timed out"})
        self.assertTrue(all(result.seconds and result.seconds >= 1 for result in outcome.results
                            if result.status == "timed out"))
        # capped at 1 s, four hung tests side by side: about one time limit, not four
        self.assertLess(outcome.seconds, 3.5, f"took {outcome.seconds:.1f} s")


# ---- make status ------------------------------------------------------------------------

class StatusLayout(unittest.TestCase):
    def assert_columns_apart(self, rows: list[tuple[int, str, str]]) -> None:
        lines = status_table(rows)
        verdict_column = lines[0].index("tests")
        for line, (_, topic, verdict) in zip(lines[1:], rows):
            self.assertEqual(line[verdict_column:], verdict, line)
            before = line[:verdict_column]
            self.assertTrue(before.endswith("  "), f"columns touch: {line!r}")
            self.assertIn(f" {topic}  ", f" {before}", line)

    def test_every_lab_topic_keeps_two_spaces_before_the_tests(self) -> None:
        labs = sorted(int(path.name[3:]) for path in (KIT / "labs").glob("lab[0-9]*"))
        self.assert_columns_apart([(lab, checkview.lab_topic(lab), "27/27  done")
                                   for lab in labs])

    def test_a_topic_longer_than_any_today_widens_its_column(self) -> None:
        self.assert_columns_apart([(1, "short", "1/2"), (10, "x" * 80, "does not compile")])


# ---- make check's order ------------------------------------------------------------------

def failure(name: str, section: str | None, status: str = "failed") -> TestResult:
    cite = (f"  read:     handouts/en/lab1.md section {section} "
            f"(es: handouts/es/lab1.md section {section})") if section else ""
    return TestResult(name, status, f"what\n{cite}")


class CheckOrder(unittest.TestCase):
    def test_failures_sorted_by_cited_section_a_timeout_by_its_suite(self) -> None:
        results = [failure("rules::prints", "5.1"), failure("kind::a", "4.3"),
                   failure("socket::a", "4.1"), failure("socket::b", None, "timed out"),
                   failure("kind::b", "4.10")]
        names = [r.name for r in checkview.handout_order(1, results, KIT)]
        self.assertEqual(names, ["socket::a", "socket::b", "kind::a", "kind::b", "rules::prints"])

    def test_passing_tests_are_a_count_unless_verbose(self) -> None:
        outcome = RunOutcome([TestResult("a::one", "passed"), TestResult("a::two", "passed"),
                              failure("a::three", "4.1")])
        short, long = io.StringIO(), io.StringIO()
        report(1, outcome, Colours(False), short)
        report(1, outcome, Colours(False), long, verbose=True)
        self.assertIn("PASS  2 tests (make check VERBOSE=1 lists them)", short.getvalue())
        self.assertNotIn("a::one", short.getvalue())
        self.assertIn("PASS  a::one", long.getvalue())
        self.assertLess(short.getvalue().index("a::three"), short.getvalue().index("PASS"))


# ---- the kit as shipped ------------------------------------------------------------------

class TamperWarning(ScratchTestCase):
    def small_kit(self) -> Path:
        kit = self.scratch / "kit"
        (kit / "labs" / "lab7").mkdir(parents=True)
        (kit / "tests" / "lab7").mkdir(parents=True)
        shutil.copy2(KIT / "labs" / "lab7" / "lab7.h", kit / "labs" / "lab7" / "lab7.h")
        shutil.copy2(KIT / "labs" / "lab7" / "client.c", kit / "labs" / "lab7" / "client.c")
        (kit / "tests" / "lab7" / "test_client.c").write_text("/* a test */\n")
        (kit / "Makefile").write_text("all:\n")
        return kit

    @staticmethod
    def shrink_message_limit(kit: Path) -> None:
        header = kit / "labs" / "lab7" / "lab7.h"
        text = header.read_text()
        assert "#define ECHO_MAX_MESSAGE (64 * 1024)" in text
        header.write_text(text.replace("#define ECHO_MAX_MESSAGE (64 * 1024)",
                                       "#define ECHO_MAX_MESSAGE (1024)"))

    def test_manifest_kit_as_shipped_gives_no_warning(self) -> None:
        kit = self.small_kit()
        (kit / kitfiles.MANIFEST).write_text(kitfiles.manifest_text(kit))
        self.assertEqual(kitfiles.tamper_warning(kit), [])

    def test_manifest_kit_edited_header_is_named_with_how_to_restore(self) -> None:
        kit = self.small_kit()
        (kit / kitfiles.MANIFEST).write_text(kitfiles.manifest_text(kit))
        self.shrink_message_limit(kit)
        (kit / "tests" / "lab7" / "test_mine.c").write_text("/* mine */\n")
        (kit / "labs" / "lab7" / "client.c").write_text("/* my work */\n")
        text = "\n".join(kitfiles.tamper_warning(kit))
        self.assertIn("labs/lab7/lab7.h (edited)", text)
        self.assertIn("tests/lab7/test_mine.c (added)", text)
        self.assertNotIn("client.c", text.split("Put them back")[0])
        self.assertIn("--strip-components=1 socketlab/labs/lab7/lab7.h", text)

    def test_manifest_kit_knows_untouched_skeletons(self) -> None:
        kit = self.small_kit()
        (kit / kitfiles.MANIFEST).write_text(kitfiles.manifest_text(kit))
        found = kitfiles.baseline(kit)
        assert found is not None
        self.assertEqual(found.as_shipped(["labs/lab7/client.c"]), ["labs/lab7/client.c"])
        (kit / "labs" / "lab7" / "client.c").write_text("/* my work */\n")
        self.assertEqual(found.as_shipped(["labs/lab7/client.c"]), [])

    @unittest.skipUnless(shutil.which("git"), "git is not installed")
    def test_git_clone_edited_header_says_git_checkout(self) -> None:
        kit = self.small_kit()
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(kit)]
        subprocess.run([*git, "init", "-q"], check=True, timeout=30)
        subprocess.run([*git, "add", "-A"], check=True, timeout=30)
        subprocess.run([*git, "commit", "-qm", "kit"], check=True, timeout=30)
        self.assertEqual(kitfiles.tamper_warning(kit), [])
        self.shrink_message_limit(kit)
        (kit / "tests" / "lab7" / "test_client.c").unlink()
        text = "\n".join(kitfiles.tamper_warning(kit))
        self.assertIn("labs/lab7/lab7.h (edited)", text)
        self.assertIn("tests/lab7/test_client.c (missing)", text)
        self.assertIn("git checkout HEAD -- labs/lab7/lab7.h tests/lab7/test_client.c", text)

    @unittest.skipUnless(shutil.which("git"), "git is not installed")
    def test_git_clone_committed_edit_is_found_against_upstream(self) -> None:
        kit = self.small_kit()
        identity = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
        subprocess.run(["git", *identity, "-C", str(kit), "init", "-q", "-b", "main"],
                       check=True, timeout=30)
        subprocess.run(["git", "-C", str(kit), "add", "-A"], check=True, timeout=30)
        subprocess.run(["git", *identity, "-C", str(kit), "commit", "-qm", "kit"], check=True,
                       timeout=30)
        clone = self.scratch / "clone"
        subprocess.run(["git", "clone", "-q", str(kit), str(clone)], check=True, timeout=30)
        self.shrink_message_limit(clone)
        subprocess.run(["git", *identity, "-C", str(clone), "commit", "-qam", "mine"],
                       check=True, timeout=30)
        text = "\n".join(kitfiles.tamper_warning(clone))
        self.assertIn("labs/lab7/lab7.h (edited)", text)
        self.assertIn("git checkout origin/main -- labs/lab7/lab7.h", text)

class MakeCheck(ScratchTestCase):
    """make check itself, in a copy of the student kit (lab 1: the quickest to build)."""

    @unittest.skipUnless(have_criterion(), "Criterion is not installed")
    def test_make_check_in_a_student_kit_warns_about_an_edited_header(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=False)
        (kit / kitfiles.MANIFEST).write_text(kitfiles.manifest_text(kit))
        header = kit / "labs" / "lab1" / "lab1.h"
        header.write_text(header.read_text() + "/* a student's edit */\n")
        checked = make(kit, "check", "LAB=1")
        self.assertEqual(checked.returncode, 2, checked.stderr)  # make's status: check failed
        self.assertIn("labs/lab1/lab1.h (edited)", checked.stdout)
        self.assertIn("tar -xzf socketlab-student.tar.gz --strip-components=1 "
                      "socketlab/labs/lab1/lab1.h", checked.stdout)
        self.assertIn("still the skeleton as shipped, so these failures are expected",
                      checked.stdout)
        self.assertIn("lab1: 0/", checked.stdout)
        self.assertNotIn("cc -std", checked.stdout + checked.stderr)  # a quiet build

    @unittest.skipUnless(have_criterion(), "Criterion is not installed")
    def test_make_check_shows_the_compiler_when_the_build_fails(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=False)
        source = kit / "labs" / "lab1" / "socket.c"
        source.write_text(source.read_text() + "\nint broken(void) { return }\n")
        checked = make(kit, "check", "LAB=1")
        self.assertNotEqual(checked.returncode, 0)
        self.assertIn("lab1: the build failed:", checked.stdout)
        self.assertIn("labs/lab1/socket.c", checked.stdout)
        self.assertIn("error:", checked.stdout)
        self.assertIn("lab1: not built, so no test ran", checked.stdout)


# ---- make demo and make handin in the student kit ----------------------------------------

class StudentKit(ScratchTestCase):
    def test_demo_without_solutions_runs_the_students_programs_and_says_so(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=False)
        shown = make(kit, "demo")
        self.assertNotIn("No rule to make target", shown.stderr)
        self.assertIn("make demo: your programs", shown.stdout)
        self.assertIn("this kit has no solutions/", shown.stdout)
        self.assertIn("server (yours)", shown.stdout)

    def test_demo_of_lab8_without_solutions_says_whose_and_stops_cleanly(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=False)
        shown = make(kit, "demo", "LAB=8")
        self.assertNotIn("No rule to make target", shown.stderr)
        self.assertIn("make demo LAB=8: your programs (labs/lab8/multi_echo_server.c and "
                      "labs/lab7/echo_client.c", shown.stdout)
        self.assertIn("this kit has no solutions/", shown.stdout)
        self.assertIn("not written yet", shown.stdout, "the skeleton's own words are shown")

    @unittest.skipUnless((KIT / "solutions").is_dir(), "this kit has no solutions/")
    def test_demo_with_solutions_says_they_are_the_reference(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=True)
        shown = make(kit, "demo")
        self.assertEqual(shown.returncode, 0, shown.stdout + shown.stderr)
        self.assertIn("make demo: the reference programs", shown.stdout)
        self.assertIn("Received: Hello from the C echo client!", shown.stdout)

    @unittest.skipUnless((KIT / "solutions").is_dir(), "this kit has no solutions/")
    def test_dist_ships_a_manifest_of_the_kit_and_leaves_none_behind(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=True)
        built = make(kit, "dist")
        self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
        self.assertFalse((kit / kitfiles.MANIFEST).exists())
        unpacked = self.scratch / "unpacked"
        with tarfile.open(kit / "dist" / "socketlab-student.tar.gz") as archive:
            # Python < 3.11.4 has no filter (nor does the typeshed of Debian 12's mypy: hence Any).
            safe: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(unpacked, **safe)
        shipped = unpacked / "socketlab"
        manifest = (shipped / kitfiles.MANIFEST).read_text()
        self.assertIn("  labs/lab7/lab7.h\n", manifest)
        self.assertIn("  labs/lab1/socket.c\n", manifest)
        self.assertEqual(kitfiles.tamper_warning(shipped), [])

    @unittest.skipUnless((KIT / "solutions").is_dir(), "this kit has no solutions/")
    def test_handin_warns_about_skeletons_and_files_left_out(self) -> None:
        kit = copy_kit(self.scratch / "socketlab", solutions=False)
        (kit / kitfiles.MANIFEST).write_text(kitfiles.manifest_text(kit))
        shutil.copy2(KIT / "solutions" / "lab1" / "socket.c", kit / "labs" / "lab1" / "socket.c")
        (kit / "labs" / "lab1" / "notes.c").write_text("/* notes */\n")
        done = subprocess.run(["python3", "-m", "grader.handin", "--output",
                               str(self.scratch / "handin.tar.gz"), str(kit)], cwd=kit,
                              capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        skeletons = [line for line in done.stderr.splitlines() if "still the skeleton" in line]
        self.assertEqual(len(skeletons), 1, done.stderr)
        self.assertIn("labs/lab2/address.c", skeletons[0])
        self.assertNotIn("labs/lab1/socket.c", skeletons[0])
        self.assertIn("not handed in", done.stderr)
        self.assertIn("labs/lab1/notes.c", done.stderr)


if __name__ == "__main__":
    unittest.main()
