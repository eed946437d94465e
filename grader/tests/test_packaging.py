"""make handin holds just the student files; make dist holds nothing that reveals a solution."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

from grader.labs import labs_in_kit
from grader.tests.helpers import KIT


class Packaging(unittest.TestCase):
    def test_handin_holds_only_student_files(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "handin.tar.gz"
            subprocess.run([sys.executable, "-m", "grader.handin", "--output",
                            str(output), str(KIT)], cwd=KIT, check=True, capture_output=True)
            with tarfile.open(output) as archive:
                names = sorted(archive.getnames())
            expected = sorted(path for lab in labs_in_kit(KIT) for path in lab.kit_paths()
                              if (KIT / path).is_file())
            self.assertEqual(names, expected)

    def test_dist_leaves_out_solutions_mutants_and_fixtures(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "student.tar.gz"
            done = subprocess.run([sys.executable, str(KIT / "grader/dist.py"), "--output",
                                   str(output), str(KIT)], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            with tarfile.open(output) as archive:
                names = archive.getnames()
            for forbidden in ("socketlab/solutions/", "socketlab/tests/mutants/",
                              "socketlab/grader/tests/", "socketlab/build/", "socketlab/.git/"):
                self.assertFalse([name for name in names if name.startswith(forbidden)], forbidden)
            for needed in ("socketlab/Makefile", "socketlab/grader/grade",
                           "socketlab/labs/lab1/lab1.h", "socketlab/tests/lab1/test_socket.c"):
                self.assertIn(needed, names)


if __name__ == "__main__":
    unittest.main()
