"""Taking student files out of folders and archives: what is taken, what is refused."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path

from grader.labs import parse_lab_list, student_paths
from grader.submission import UnreadableSubmission, read_submission

WANTED = student_paths()


def add_tar_file(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


class FolderSubmissions(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, relative: str, content: bytes = b"int x;\n") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    def test_kit_layout_takes_only_student_files(self) -> None:
        self.write("sub/labs/lab1/socket.c", b"mine")
        self.write("sub/labs/lab1/lab1.h", b"edited header")
        self.write("sub/tests/lab1/test_socket.c", b"edited test")
        found = read_submission(self.root / "sub", WANTED)
        self.assertEqual(found.files, {"labs/lab1/socket.c": b"mine"})

    def test_one_top_folder_is_looked_into(self) -> None:
        self.write("sub/socketlab/labs/lab2/address.c", b"two")
        found = read_submission(self.root / "sub", WANTED)
        self.assertEqual(found.files, {"labs/lab2/address.c": b"two"})

    def test_flat_upload_is_matched_by_name(self) -> None:
        self.write("sub/socket.c", b"flat")
        found = read_submission(self.root / "sub", WANTED)
        self.assertEqual(found.files, {"labs/lab1/socket.c": b"flat"})

    def test_symlinked_file_is_refused(self) -> None:
        target = self.write("secret.c", b"solution")
        (self.root / "sub/labs/lab1").mkdir(parents=True)
        os.symlink(target, self.root / "sub/labs/lab1/socket.c")
        found = read_submission(self.root / "sub", WANTED)
        self.assertEqual(found.files, {})
        self.assertTrue(any("symbolic link" in note for note in found.notes))

    def test_symlinked_folder_is_refused(self) -> None:
        self.write("elsewhere/socket.c", b"solution")
        (self.root / "sub/labs").mkdir(parents=True)
        os.symlink(self.root / "elsewhere", self.root / "sub/labs/lab1")
        found = read_submission(self.root / "sub", WANTED)
        self.assertEqual(found.files, {})
        self.assertTrue(any("symbolic link" in note for note in found.notes))

    def test_missing_submission_is_unreadable(self) -> None:
        with self.assertRaises(UnreadableSubmission):
            read_submission(self.root / "nothing-here", WANTED)


class ArchiveSubmissions(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_tar_entries_escaping_the_folder_are_refused(self) -> None:
        path = self.root / "handin.tar.gz"
        with tarfile.open(path, "w:gz") as archive:
            add_tar_file(archive, "labs/lab1/socket.c", b"good")
            add_tar_file(archive, "../../labs/lab2/address.c", b"escape")
            add_tar_file(archive, "/tmp/labs/lab3/listen.c", b"absolute")
            add_tar_file(archive, "labs/lab4/../../../connect.c", b"dotdot")
        found = read_submission(path, WANTED)
        self.assertEqual(found.files, {"labs/lab1/socket.c": b"good"})
        self.assertEqual(sum("outside" in note for note in found.notes), 3)

    def test_tar_symlink_entry_is_refused(self) -> None:
        path = self.root / "handin.tar.gz"
        with tarfile.open(path, "w:gz") as archive:
            link = tarfile.TarInfo("labs/lab1/socket.c")
            link.type = tarfile.SYMTYPE
            link.linkname = "/work/main/solutions/lab1/socket.c"
            archive.addfile(link)
        found = read_submission(path, WANTED)
        self.assertEqual(found.files, {})
        self.assertTrue(any("symlink" in note for note in found.notes))

    def test_zip_with_top_folder_and_traversal(self) -> None:
        path = self.root / "handin.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("alice/labs/lab5/stream.c", b"five")
            archive.writestr("../evil.c", b"evil")
        found = read_submission(path, WANTED)
        self.assertEqual(found.files, {"labs/lab5/stream.c": b"five"})
        self.assertTrue(any("outside" in note for note in found.notes))

    def test_backslash_names_that_stay_inside_are_found(self) -> None:
        path = self.root / "windows.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("labs\\lab1\\socket.c", b"one")
            archive.writestr("labs\\..\\..\\evil.c", b"evil")
        found = read_submission(path, WANTED)
        self.assertEqual(found.files, {"labs/lab1/socket.c": b"one"})
        self.assertTrue(any("outside" in note for note in found.notes))

    def test_entry_cap_is_noted(self) -> None:
        path = self.root / "many.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for index in range(20001):
                archive.writestr(f"junk/{index}", b"")
            archive.writestr("labs/lab1/socket.c", b"late")
        found = read_submission(path, WANTED)
        self.assertEqual(found.files, {})
        self.assertTrue(any("only the first 20000" in note for note in found.notes), found.notes)

    def test_gzip_only_inside_tar_gz(self) -> None:
        import bz2
        path = self.root / "handin.tar.gz"
        inner = io.BytesIO()
        with tarfile.open(fileobj=inner, mode="w") as archive:
            add_tar_file(archive, "labs/lab1/socket.c", b"good")
        path.write_bytes(bz2.compress(inner.getvalue()))
        with self.assertRaisesRegex(UnreadableSubmission, "not a gzip file"):
            read_submission(path, WANTED)

    def test_folder_holding_one_archive_is_graded_as_it(self) -> None:
        folder = self.root / "upload"
        folder.mkdir()
        with tarfile.open(folder / "handin.tar.gz", "w:gz") as archive:
            add_tar_file(archive, "labs/lab1/socket.c", b"inside")
        found = read_submission(folder, WANTED)
        self.assertEqual(found.files, {"labs/lab1/socket.c": b"inside"})
        self.assertIn("graded that archive", found.notes[0])

    def test_nothing_expected_says_what_was_there(self) -> None:
        folder = self.root / "wrong"
        folder.mkdir()
        (folder / "main.py").write_text("print('hi')\n")
        found = read_submission(folder, WANTED)
        self.assertTrue(any("holds: main.py" in note for note in found.notes), found.notes)

    def test_corrupt_archive_is_unreadable(self) -> None:
        path = self.root / "broken.tar.gz"
        path.write_bytes(b"not a tarball")
        with self.assertRaises(UnreadableSubmission):
            read_submission(path, WANTED)


class Hiding(unittest.TestCase):
    """Two gradings hiding the same folder: the last one to finish restores its mode."""

    def test_the_last_grading_to_finish_restores_the_mode(self) -> None:
        from grader.hiding import Hidden
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            state = root / "state"
            folder = root / "solutions"
            folder.mkdir()
            folder.chmod(0o755)
            first, second = Hidden(state), Hidden(state)
            first.hide(folder)
            second.hide(folder)
            self.assertEqual(folder.stat().st_mode & 0o777, 0o700)
            first.restore()
            self.assertEqual(folder.stat().st_mode & 0o777, 0o700)
            second.restore()
            self.assertEqual(folder.stat().st_mode & 0o777, 0o755)

    def test_a_dead_graders_record_is_taken_over(self) -> None:
        from grader.hiding import Hidden
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            state = root / "state"
            folder = root / "solutions"
            folder.mkdir()
            folder.chmod(0o755)
            dead = Hidden(state)
            dead.token = "999999999:1"          # a pid no process has
            dead.hide(folder)                    # ... and it never restores
            alive = Hidden(state)
            alive.hide(folder)
            alive.restore()
            self.assertEqual(folder.stat().st_mode & 0o777, 0o755)


class LabLists(unittest.TestCase):
    def test_ranges_and_lists(self) -> None:
        known = [1, 2, 3, 4, 5, 6, 7]
        self.assertEqual(parse_lab_list("3", known), [3])
        self.assertEqual(parse_lab_list("1-3,5", known), [1, 2, 3, 5])
        self.assertEqual(parse_lab_list("2,5", known), [2, 5])
        for bad in ("9", "3-1", "x", "1-"):
            with self.assertRaises(ValueError):
                parse_lab_list(bad, known)


if __name__ == "__main__":
    unittest.main()
