"""The grader audit's attacks (shared/reviews/grader-audit.md), each scored exactly, with
nothing outside the scratch folders changed.

- Forged passes (a01-a05, a16) and the #include of a solution or of a classmate's file
  (a07, a07c) score 0, with and without namespaces (the kit's fork-per-call harness and
  object check, the report pipe, hiding).
- The symlinked log copy (a06, a06b, a06c), aimed at a root-only folder, writes nothing
  there (graded with Valgrind, where the copy used to happen): the object check refuses
  them now, so the grader's own reading of logs and sealing of the build folder are also
  checked directly against planted links.
- A batch with bombs, odd names and entries that are no submission: every entry a row,
  in bounded time.
- Gradescope: the handin.tar.gz of `make handin`, uploaded, is graded (with a hidden
  test, whose visibility Gradescope's way).
- Disk: a step that fills /tmp is stopped at the cap, and what it wrote is removed.
- Stopping the grader (SIGTERM) kills the sandbox's processes and removes its folders.
Natively and for lab 1 only, except where Valgrind is the point.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from grader import safefs
from grader.batch import grade_all
from grader.grading import Grader, Settings
from grader.kit import Reference, make_scratch
from grader.labrun import LabLimits, read_logs
from grader.labs import lab
from grader.results import SubmissionResult
from grader.sandbox import MIB, Limits, Sandbox, UidSlot
from grader.benchmark import lay_out, reference_files
from grader.tests.helpers import (FIXTURES, KIT, fixture, kit_fingerprint, sandbox_leftovers,
                                  tools_missing, tree_fingerprint)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

ATTACKS = FIXTURES / "attacks"
GRADE = KIT / "grader" / "grade"
FORGERIES = ("a01_exit_code_oracle", "a02_define_main", "a03_report_hook",
             "a04_destructor_rewrites_tap", "a05_daemon_rewrites_later",
             "a16_interpose_criterion", "a07_include_reference_at_compile_time",
             "a07c_include_classmate")
ROOT_WRITES = ("a06_valgrind_log_symlink_root_write", "a06b_root_write_full_content",
               "a06c_gradescope_rce")
# A forgery that hangs its own runner (a04 reading its report pipe) costs this, not 120 s.
QUICK = LabLimits(native=Limits(wall_seconds=40, cpu_seconds=20, address_space=512 * MIB))
ROOT = os.geteuid() == 0


def make_workdir(parent: Path, name: str) -> Path:
    """A grader workdir; its parent (a TemporaryDirectory, 0700) made traversable, as
    the sandbox uid needs without namespaces."""
    parent.chmod(0o711)
    workdir = parent / name
    workdir.mkdir()
    workdir.chmod(0o711)
    return workdir


def victim_folder(parent: Path) -> Path:
    """A root-only folder (0755) holding a stand-in for /autograder/run_autograder."""
    victim = parent / "victim"
    victim.mkdir()
    victim.chmod(0o755)
    (victim / "run_autograder").write_text("#!/bin/sh\necho the real one\n")
    return victim


class Snapshot:
    """What must not change: the kit, the victim folder, the sandbox uids' leftovers."""

    def __init__(self, victim: Path) -> None:
        self.victim = victim
        self.kit = kit_fingerprint()
        self.victim_before = tree_fingerprint(victim)
        self.solutions_mode = (KIT / "solutions").stat().st_mode

    def assert_unchanged(self, case: unittest.TestCase) -> None:
        case.assertEqual(self.kit, kit_fingerprint())
        case.assertEqual(self.victim_before, tree_fingerprint(self.victim))
        case.assertEqual(self.solutions_mode, (KIT / "solutions").stat().st_mode)
        case.assertEqual(sandbox_leftovers(), [])


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class ForgedPasses(unittest.TestCase):
    """a01-a05, a16 and a07 deserve 0: with bubblewrap (when it works) and without."""

    tmp: tempfile.TemporaryDirectory[str]
    snapshot: Snapshot
    results: dict[str, dict[str, SubmissionResult]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        root = Path(cls.tmp.name)
        victim = victim_folder(root)
        batch = root / "batch"
        for name in FORGERIES:
            lay_out(batch / name, {"labs/lab1/socket.c": fixture("attacks", name, victim, batch)})
        lay_out(batch / "reference", reference_files([1]))
        cls.snapshot = Snapshot(victim)
        cls.results = {}
        for mode in (None, "limits"):
            settings = Settings(KIT, [lab(1)], valgrind=False, valgrind_shards=1,
                                limits=QUICK, sandbox_mode=mode, hide=[batch])
            with Grader(settings, make_workdir(root, f"work-{mode}")) as grader:
                graded = grade_all(grader, sorted(batch.iterdir()), jobs=2, progress_out=None)
                cls.results[grader.sandbox.mode] = {result.name: result for result in graded}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_nothing_outside_the_scratch_changed(self) -> None:
        self.snapshot.assert_unchanged(self)

    def test_the_reference_still_gets_full_marks(self) -> None:
        for mode, results in self.results.items():
            with self.subTest(mode=mode):
                self.assertEqual(results["reference"].points, 100)

    def test_every_forgery_scores_zero(self) -> None:
        for mode, results in self.results.items():
            for name in FORGERIES:
                with self.subTest(mode=mode, attack=name):
                    self.assertEqual(results[name].points, 0,
                                     [f"{test.name}: {test.status}" for test in results[name].labs[0].tests
                                      if test.passed])

    def test_limits_mode_says_so(self) -> None:
        result = self.results["limits"]["reference"]
        self.assertEqual(result.isolation, "limits")
        self.assertIn("isolation: NONE", result.containment)


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
@unittest.skipUnless(ROOT, "the root-write attacks matter only when the grader is root")
class RootNeverWritesWhereTheSubmissionPoints(unittest.TestCase):
    """a06, a06b, a06c plant links for the old copy of a Valgrind log; nothing lands."""

    tmp: tempfile.TemporaryDirectory[str]
    victim: Path
    snapshot: Snapshot
    results: dict[str, dict[str, SubmissionResult]]  # by sandbox mode, then by submission

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        root = Path(cls.tmp.name)
        cls.victim = victim_folder(root)
        batch = root / "batch"
        for name in ROOT_WRITES:
            lay_out(batch / name, {"labs/lab1/socket.c": fixture("attacks", name, cls.victim)})
        cls.snapshot = Snapshot(cls.victim)
        cls.results = {}
        for mode in (None, "limits"):
            settings = Settings(KIT, [lab(1)], valgrind=True, valgrind_shards=1,
                                sandbox_mode=mode)
            with Grader(settings, make_workdir(root, f"work-{mode}")) as grader:
                graded = grade_all(grader, sorted(batch.iterdir()), jobs=2, progress_out=None)
                cls.results[grader.sandbox.mode] = {result.name: result for result in graded}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_nothing_outside_the_scratch_changed(self) -> None:
        self.snapshot.assert_unchanged(self)
        self.assertEqual(sorted(os.listdir(self.victim)), ["run_autograder"])

    def test_each_is_refused_before_linking(self) -> None:
        for mode, results in self.results.items():
            for name in ROOT_WRITES:
                with self.subTest(mode=mode, attack=name):
                    graded = results[name].labs[0]
                    self.assertEqual((graded.built, graded.points), (False, 0))
                    self.assertTrue(any("objcheck:" in note for note in graded.notes))

    def test_logs_are_read_without_following_links(self) -> None:
        with tempfile.TemporaryDirectory(prefix="grader-test-") as tmp:
            scratch = Path(tmp)
            logs = scratch / "memcheck"
            logs.mkdir()
            secret = scratch / "secret"
            secret.write_text("root's own bytes\n")
            (logs / "vg.log").symlink_to(secret)
            os.mkfifo(logs / "vg.7.log")
            (logs / "program.echo_server.1.2.log").write_text("==1== a real log\n")
            found = read_logs(scratch, "memcheck")
            self.assertEqual(found, {"program.echo_server.1.2.log": "==1== a real log\n"})
            moved = scratch / "elsewhere"
            moved.mkdir()
            (moved / "vg.log").write_text("==2== planted\n")
            for entry in logs.iterdir():
                entry.unlink()
            logs.rmdir()
            logs.symlink_to(moved)          # the whole folder replaced by a link
            self.assertEqual(read_logs(scratch, "memcheck"), {})

    def test_sealing_a_build_folder_does_not_follow_its_links(self) -> None:
        with tempfile.TemporaryDirectory(prefix="grader-test-") as tmp:
            build = Path(tmp) / "build"
            (build / "lab1").mkdir(parents=True)
            target = self.victim / "run_autograder"
            before = target.stat()
            (build / "lab1" / "grader-vg.1.log").symlink_to(target)
            (build / "lab1" / "test_lab1").write_bytes(b"binary")
            (build / "lab1" / "test_lab1").chmod(0o777)
            with UidSlot() as slot:
                assert slot.uid is not None
                safefs.give_tree(build, slot.uid)
                safefs.seal_tree(build, slot.uid)
            after = target.stat()
            self.assertEqual((after.st_uid, after.st_mode), (before.st_uid, before.st_mode))
            sealed = (build / "lab1" / "test_lab1").stat()
            self.assertEqual((sealed.st_uid, sealed.st_mode & 0o777), (0, 0o755))
            self.assertEqual(os.lstat(build / "lab1" / "grader-vg.1.log").st_uid, 0)


def gzip_bomb(path: Path, solution: bytes) -> None:
    """A .tar.gz whose first member is 300 MiB of zeros (about 300 KB compressed), then
    socket.c: the reader must stop at its cap and say so."""
    size = 300 * MIB

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: WriteableBuffer) -> int:
            view = memoryview(buffer).cast("B")
            count = min(len(view), self.left)
            view[:count] = bytes(count)
            self.left -= count
            return count

    with tarfile.open(path, mode="w:gz", compresslevel=1) as archive:
        junk = tarfile.TarInfo("labs/junk.bin")
        junk.size = size
        archive.addfile(junk, io.BufferedReader(Zeros(), 1 << 20))
        info = tarfile.TarInfo("labs/lab1/socket.c")
        info.size = len(solution)
        archive.addfile(info, io.BytesIO(solution))


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class BatchWithBombs(unittest.TestCase):
    """One good submission among bombs, odd names and entries that are no submission."""

    tmp: tempfile.TemporaryDirectory[str]
    table: Path
    done: subprocess.CompletedProcess[str]
    seconds: float
    rows: dict[str, str]  # the grades table's rows, by their first column

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        root = Path(cls.tmp.name)
        batch = root / "class"
        solution = reference_files([1])["labs/lab1/socket.c"]
        lay_out(batch / "alice", reference_files([1]))
        for name in ("f14_bz2_bomb_64GiB.tar.gz", "f13_bz2_bomb_1GiB_named.tar.gz",
                     "f08b_backslash_names.zip"):
            (batch / name).write_bytes((ATTACKS / name).read_bytes())
        gzip_bomb(batch / "gzip_bomb.tar.gz", solution)
        (batch / "notes.txt").write_text("not a submission\n")
        lay_out(Path(os.fsdecode(bytes(batch) + b"/caf\xe9_latin1")), {})
        lay_out(batch / "two\nlines\x1b]0;title\x07", {})
        cls.table = root / "grades.csv"
        started = time.monotonic()
        cls.done = subprocess.run([sys.executable, str(GRADE), "--batch", str(batch), "--csv",
                                   str(cls.table), "--labs", "1", "--no-valgrind", "--jobs", "2"],
                                  capture_output=True, text=True, errors="replace", timeout=600,
                                  check=False)
        cls.seconds = time.monotonic() - started
        cls.rows = {row.split(",")[0]: row for row in
                    cls.table.read_text(encoding="utf-8").splitlines()[1:]}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_every_entry_has_a_row_in_bounded_time(self) -> None:
        self.assertEqual(self.done.returncode, 0, self.done.stderr)
        self.assertLess(self.seconds, 180)
        self.assertEqual(sorted(self.rows), sorted([
            "alice", "caf\\xe9_latin1", "f08b_backslash_names.zip", "f13_bz2_bomb_1GiB_named.tar.gz",
            "f14_bz2_bomb_64GiB.tar.gz", "gzip_bomb.tar.gz", "notes.txt",
            "two\\x0alines\\x1b]0;title\\x07"]))
        self.assertEqual(sandbox_leftovers(), [])

    def test_the_good_submission_keeps_its_marks(self) -> None:
        self.assertTrue(self.rows["alice"].startswith("alice,100.00,100.00"))

    def test_bzip2_behind_a_gz_name_is_refused_at_once(self) -> None:
        for name in ("f14_bz2_bomb_64GiB.tar.gz", "f13_bz2_bomb_1GiB_named.tar.gz"):
            with self.subTest(archive=name):
                self.assertTrue(self.rows[name].startswith(f"{name},0.00,0.00"))
                self.assertIn("not a gzip file", self.rows[name])

    def test_a_gzip_bomb_stops_at_the_cap_with_a_note(self) -> None:
        row = self.rows["gzip_bomb.tar.gz"]
        self.assertTrue(row.startswith("gzip_bomb.tar.gz,0.00,0.00"), row)
        self.assertIn("expands past 256 MiB", row)

    def test_backslash_names_are_found(self) -> None:
        self.assertTrue(self.rows["f08b_backslash_names.zip"].startswith(
            "f08b_backslash_names.zip,100.00,100.00"), self.rows["f08b_backslash_names.zip"])

    def test_what_is_not_a_submission_says_so(self) -> None:
        self.assertIn("not a submission format", self.rows["notes.txt"])

    def test_an_empty_submission_says_what_it_held(self) -> None:
        self.assertIn("the submission holds: nothing", self.rows["caf\\xe9_latin1"])


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class GradescopeUpload(unittest.TestCase):
    """autograder.zip unzipped as Gradescope does; the student uploads handin.tar.gz."""

    def test_handin_tarball_is_graded_with_hidden_test_visibility(self) -> None:
        with tempfile.TemporaryDirectory(prefix="grader-test-") as tmp:
            root = Path(tmp)
            config = root / "autograder.ini"
            config.write_text("[grade]\nlabs = 1\nvalgrind = no\n"
                              "hidden_visibility = after_due_date\n")
            subprocess.run([sys.executable, str(KIT / "grader/gradescope/make_zip.py"),
                            "--output", str(root / "autograder.zip"), "--config", str(config),
                            "--hidden-tests", str(FIXTURES / "extra_tests"), str(KIT)],
                           check=True, capture_output=True, timeout=120)
            source = root / "source"
            with zipfile.ZipFile(root / "autograder.zip") as archive:
                archive.extractall(source)
            (source / "grader" / "grade").chmod(0o755)
            student = lay_out(root / "student", {**reference_files([1]),
                                                 "labs/lab1/lab1.h": (KIT / "labs/lab1/lab1.h").read_bytes()})
            upload = root / "submission"
            upload.mkdir()
            subprocess.run([sys.executable, "-m", "grader.handin", "--output",
                            str(upload / "handin.tar.gz"), str(student)], cwd=KIT, check=True,
                           capture_output=True, timeout=60)
            results = root / "results" / "results.json"
            done = subprocess.run([sys.executable, "-m", "grader.gradescope.run", "--source",
                                   str(source), "--submission", str(upload), "--results",
                                   str(results)], cwd=source, capture_output=True, text=True,
                                  timeout=300, check=False)
            self.assertEqual(done.returncode, 0, done.stderr)
            answer = json.loads(results.read_text(encoding="utf-8"))
            self.assertEqual((answer["score"], answer["max_score"]), (100, 100))
            self.assertIn("graded that archive", answer["output"])
            hidden = [test for test in answer["tests"] if "hidden::" in test["name"]]
            self.assertEqual([test.get("visibility") for test in hidden], ["after_due_date"])
            self.assertTrue(all("visibility" not in test for test in answer["tests"]
                                if "hidden::" not in test["name"]))
            self.assertFalse((source / "tests" / "mutants").exists())


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class HiddenTestSources(unittest.TestCase):
    def test_only_objects_of_hidden_tests_enter_a_scratch_copy(self) -> None:
        with tempfile.TemporaryDirectory(prefix="grader-test-") as tmp:
            root = Path(tmp)
            reference = Reference(KIT, root / "reference", FIXTURES / "extra_tests")
            reference.prepare([lab(1)])
            self.assertEqual(reference.hidden[1], {"hidden::tcp_and_udp_sockets_differ"})
            objects = reference.extra_objects(1)
            self.assertEqual([obj.name for obj in objects], ["test_hidden.o"])
            scratch = make_scratch(root / "scratch", KIT, lab(1), {}, [], objects)
            for path in scratch.root.rglob("*"):
                if path.is_file() and path.suffix in (".c", ".h"):
                    with self.subTest(path=path):
                        self.assertNotIn(b"tcp_and_udp_sockets_differ", path.read_bytes())
            self.assertEqual((scratch.extra / "lab1/test_hidden.c").read_bytes(), b"")
            self.assertTrue((scratch.build / "testobj/lab1/test_hidden.o").is_file())


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
@unittest.skipUnless(ROOT, "limits mode hides and cleans only as root")
class LimitsMode(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        self.root = Path(self.tmp.name)
        self.root.chmod(0o711)      # the sandbox uid walks through it without namespaces

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_a13_is_refused_before_linking(self) -> None:
        submission = lay_out(self.root / "a13", {"labs/lab1/socket.c": fixture("attacks", "a13_fill_disk")})
        settings = Settings(KIT, [lab(1)], valgrind=False, sandbox_mode="limits")
        with Grader(settings, make_workdir(self.root, "work")) as grader:
            result = grader.grade(submission)
        self.assertEqual(result.points, 0)
        self.assertTrue(any("objcheck:" in note for note in result.labs[0].notes))
        self.assertEqual(sandbox_leftovers(), [])

    def test_a_step_filling_tmp_is_stopped_at_the_disk_cap_and_cleaned(self) -> None:
        sandbox = Sandbox("limits")
        fill = ("i=0; while [ $i -lt 48 ]; do head -c 8388608 /dev/zero > /tmp/grader-fill-$$-$i;"
                " i=$((i+1)); done; exec sleep 60")
        with UidSlot() as slot:
            run = sandbox.run(["/bin/sh", "-c", fill], uid=slot.uid, cwd=Path("/"), env={},
                              readable=[], writable=[],
                              limits=Limits(wall_seconds=60, disk_bytes=32 * MIB))
        self.assertTrue(run.disk_full)
        self.assertLess(run.seconds, 30)
        self.assertEqual([name for name in os.listdir("/tmp") if name.startswith("grader-fill-")], [])
        self.assertEqual(sandbox_leftovers(), [])

    def test_a_uid_is_cleaned_before_it_is_used(self) -> None:
        with UidSlot() as slot:
            uid = slot.uid
        assert uid is not None
        lingering = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[],
                                     start_new_session=True)
        try:
            with UidSlot() as slot:
                if slot.uid != uid:
                    self.skipTest("another grading took that uid meanwhile")
                self.assertIsNotNone(lingering.wait(timeout=10))
        finally:
            if lingering.poll() is None:
                lingering.kill()
                lingering.wait()

    def test_sigterm_kills_the_sandbox_and_cleans_up(self) -> None:
        submission = lay_out(self.root / "loop", {"labs/lab1/socket.c": fixture("lab1", "infinite_loop")})
        scratch = self.root / "scratch"
        scratch.mkdir()
        scratch.chmod(0o711)
        before = (KIT / "solutions").stat().st_mode
        grading = subprocess.Popen([sys.executable, str(GRADE), str(submission), "--labs", "1",
                                    "--no-valgrind", "--no-namespaces"],
                                   env={**os.environ, "TMPDIR": str(scratch)},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not _test_runner_running(scratch) and time.monotonic() < deadline:
                if grading.poll() is not None:
                    _, stderr = grading.communicate(timeout=60)
                    self.fail(f"the grading ended before its runner started: {stderr}")
                time.sleep(0.1)
            grading.send_signal(signal.SIGTERM)
            _, stderr = grading.communicate(timeout=60)
        finally:
            if grading.poll() is None:
                grading.kill()
        self.assertEqual(grading.returncode, 128 + signal.SIGTERM, stderr)
        self.assertIn("stopped by SIGTERM", stderr)
        self.assertEqual(os.listdir(scratch), [])
        self.assertEqual((KIT / "solutions").stat().st_mode, before)
        self.assertEqual(sandbox_leftovers(), [])


def _test_runner_running(scratch: Path) -> bool:
    """True once a test_lab1 runner of the grading that uses `scratch` is running."""
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                command = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            if str(scratch).encode() in command and b"test_lab1\0--tap=" in command:
                return True
    return False


if __name__ == "__main__":
    unittest.main()
