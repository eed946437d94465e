"""The command line refuses what it cannot do before grading anything, and says which
isolation it had: outputs it cannot write, an empty --labs, --require-namespaces on a
machine without bubblewrap (simulated: a PATH without it), where unshare's private
network is what the runs get."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from grader.benchmark import lay_out, reference_files
from grader.tests.helpers import KIT, tools_missing

GRADE = KIT / "grader" / "grade"


def run_grade(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GRADE), *args], capture_output=True, text=True,
                          timeout=300, check=False, env=env)


def path_without(tool: str, folder: Path) -> str:
    """A PATH folder with every program of /usr/bin and /bin but `tool`."""
    for source in (Path("/usr/sbin"), Path("/usr/bin"), Path("/bin"), Path("/sbin")):
        for program in source.iterdir():
            target = folder / program.name
            if program.name != tool and not target.exists():
                target.symlink_to(program)
    return str(folder)


@unittest.skipIf(tools_missing(), f"missing tools: {tools_missing()}")
class RefusedBeforeGrading(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="grader-test-")
        self.root = Path(self.tmp.name)
        self.root.chmod(0o711)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_unwritable_outputs_fail_at_once_with_status_2(self) -> None:
        submission = lay_out(self.root / "sub", {})
        for args in (["--json", "/nonexistent-folder/r.json"],
                     ["--batch", str(self.root), "--csv", "/nonexistent-folder/g.csv"]):
            with self.subTest(args=args):
                started = time.monotonic()
                done = run_grade(*([] if "--batch" in args else [str(submission)]), *args,
                                 "--labs", "1", "--no-valgrind")
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("cannot write it", done.stderr)
                self.assertNotIn("Traceback", done.stderr)
                self.assertLess(time.monotonic() - started, 10)

    def test_empty_labs_is_an_error(self) -> None:
        done = run_grade(str(self.root), "--labs", "")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--labs is empty", done.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("bwrap"), "needs root and bwrap")
    def test_without_bubblewrap_require_namespaces_refuses_and_unshare_is_tried(self) -> None:
        bin_folder = self.root / "bin"
        bin_folder.mkdir()
        env = {"PATH": path_without("bwrap", bin_folder), "LANG": "C.UTF-8",
               "TMPDIR": str(self.root)}
        submission = lay_out(self.root / "ref", reference_files([1]))
        refused = run_grade(str(submission), "--labs", "1", "--no-valgrind",
                            "--require-namespaces", env=env)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        self.assertIn("--require-namespaces", refused.stderr)
        out = self.root / "results.json"
        graded = run_grade(str(submission), "--labs", "1", "--no-valgrind", "--json", str(out),
                           env=env)
        self.assertEqual(graded.returncode, 0, graded.stderr)
        results = json.loads(out.read_text(encoding="utf-8"))
        self.assertEqual(results["score"], 100)
        if results["extra_data"]["isolation"] == "netns":
            self.assertIn("isolation: PARTIAL", results["output"])
        else:
            self.assertIn("isolation: NONE", results["output"])


if __name__ == "__main__":
    unittest.main()
