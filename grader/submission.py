"""Taking the student's files out of a submission: a folder, a .tar.gz or a .zip.

Only the student files of the contract's table are taken, only as regular files, and
nothing is ever extracted to disk: a symlink (in a folder or an archive), an archive
entry that would land outside its folder (../, an absolute path), a link or a device is
refused and noted, and the file it stood for is graded as missing (the skeleton).

A submission is laid out like the kit (labs/labN/<file>), either at its top or inside
one top folder (socketlab/labs/...). When it has no labs/ folder at all (files uploaded
one by one, as Gradescope allows), files are looked for by name at its top. A folder
that holds nothing but one archive (Gradescope's folder for an uploaded handin.tar.gz)
is graded as that archive.

Archives are read by grader/archive.py in a process of its own, bounded (time, memory,
decompressed bytes, entries): the caller gives the function that runs it (the grader
runs it as the sandbox uid); by default it runs under prlimit as the current user.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from grader.sandbox import MIB, SAFE_PATH, Limits, RunResult, run_capped

MAX_FILE_BYTES = 1 << 20
MAX_NOTES = 20
ARCHIVE_READER = Path(__file__).resolve().parent / "archive.py"   # a whole program
READER_LIMITS = Limits(wall_seconds=60, cpu_seconds=30, address_space=512 * MIB,
                       file_size=1 * MIB, processes=16, open_files=32,
                       output_bytes=16 * MIB)
ARCHIVE_KINDS = ((".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar", "tar"), (".zip", "zip"))

# Runs the archive reader: (its arguments, the archive as a stdin descriptor) -> how it ended.
ReaderRun = Callable[[list[str], int], RunResult]


class UnreadableSubmission(Exception):
    """The submission cannot be opened at all (missing, not a folder or a known archive)."""


@dataclass
class StudentFiles:
    """The student files found (kit path -> bytes) and what was refused or missing."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)   # some names it holds, for a note

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        elif len(self.notes) == MAX_NOTES:
            self.notes.append("(more notes left out)")


def archive_kind(path: Path) -> str | None:
    for suffix, kind in ARCHIVE_KINDS:
        if path.name.endswith(suffix):
            return kind
    return None


def is_archive(path: Path) -> bool:
    return archive_kind(path) is not None


def read_submission(path: Path, wanted: list[str], run_reader: ReaderRun | None = None) -> StudentFiles:
    """The wanted kit paths (labs/labN/file.c) found in the submission at `path`."""
    if path.is_symlink():
        raise UnreadableSubmission(f"{path} is a symbolic link: submissions are folders or archives")
    if path.is_dir():
        found = _from_folder(path, wanted)
        single = _single_archive(path) if not found.files else None
        if single is not None:
            found = read_archive(single, wanted, run_reader)
            found.notes.insert(0, f"the folder holds only {single.name}: graded that archive")
    elif path.is_file() and is_archive(path):
        found = read_archive(path, wanted, run_reader)
    elif not path.exists():
        raise UnreadableSubmission(f"{path}: no such file or folder")
    else:
        raise UnreadableSubmission(f"{path}: not a submission format the grader reads (a "
                                   "folder, a .tar.gz, .tgz, .tar or .zip)")
    if not found.files:
        shown = ", ".join(found.contents[:10]) or "nothing"
        found.note(f"none of the expected files ({', '.join(wanted[:3])}"
                   f"{', ...' if len(wanted) > 3 else ''}) was found; the submission holds: "
                   f"{shown}{' ...' if len(found.contents) > 10 else ''}")
    return found


def _single_archive(folder: Path) -> Path | None:
    """The one archive a folder holds when it holds nothing else (hidden names aside)."""
    try:
        entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    except OSError:
        return None
    if len(entries) == 1 and is_archive(entries[0]) and not entries[0].is_symlink() \
            and entries[0].is_file():
        return entries[0]
    return None


# ---- folders --------------------------------------------------------------------

def _folder_root(path: Path) -> tuple[Path | None, StudentFiles]:
    """The folder holding labs/ (the submission or its single top folder), or None (flat)."""
    found = StudentFiles()
    if (path / "labs").is_symlink():
        found.note("refused labs/: it is a symbolic link (its files are graded as missing)")
    if _plain_dir(path / "labs"):
        return path, found
    children = [child for child in sorted(path.iterdir()) if _plain_dir(child / "labs")]
    if len(children) == 1 and not children[0].is_symlink():
        return children[0], found
    return None, found


def _some_names(folder: Path, limit: int = 20) -> list[str]:
    """Up to `limit` file names below folder (links not followed), for a note."""
    names: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            names.append(os.path.relpath(os.path.join(root, name), folder))
            if len(names) >= limit:
                return names
    return names


def _plain_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _from_folder(path: Path, wanted: list[str]) -> StudentFiles:
    root, found = _folder_root(path)
    found.contents = _some_names(path)
    if root is None and found.notes:
        return found
    for kit_path in wanted:
        relative = kit_path if root is not None else PurePosixPath(kit_path).name
        base = root if root is not None else path
        content = _read_regular(base, relative, kit_path, found)
        if content is not None:
            found.files[kit_path] = content
    return found


def _read_regular(base: Path, relative: str, kit_path: str, found: StudentFiles) -> bytes | None:
    """The file's bytes when every component is a real folder/file (no symlink), else None."""
    current = base
    parts = PurePosixPath(relative).parts
    for index, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            found.note(f"refused {kit_path}: {'/'.join(parts[:index + 1])} is a symbolic link "
                       "(graded as missing)")
            return None
        last = index == len(parts) - 1
        if last and not stat.S_ISREG(mode):
            found.note(f"refused {kit_path}: not a regular file (graded as missing)")
            return None
        if not last and not stat.S_ISDIR(mode):
            return None
    return _read_capped(current, kit_path, found)


def _read_capped(path: Path, kit_path: str, found: StudentFiles) -> bytes | None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        found.note(f"could not read {kit_path}: {error.strerror} (graded as missing)")
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            found.note(f"refused {kit_path}: not a regular file (graded as missing)")
            return None
        content = handle.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        found.note(f"refused {kit_path}: larger than {MAX_FILE_BYTES} bytes (graded as missing)")
        return None
    return content


# ---- archives -----------------------------------------------------------------------

def read_archive(path: Path, wanted: list[str], run_reader: ReaderRun | None = None) -> StudentFiles:
    """The wanted files of an archive, read by grader/archive.py in a bounded process that
    gets the archive (a regular file, opened here without following a link) as stdin."""
    kind = archive_kind(path)
    assert kind is not None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise UnreadableSubmission(f"{path}: cannot be opened ({error.strerror})") from error
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnreadableSubmission(f"{path}: not a regular file")
        os.set_blocking(descriptor, True)
        run = (run_reader or _run_reader_here)([kind, *wanted], descriptor)
    finally:
        os.close(descriptor)
    if run.timed_out or run.returncode != 0 or run.truncated:
        last = (run.output.decode("utf-8", errors="replace").strip().splitlines() or [""])[-1]
        why = ("it took longer than the time allowed to read it" if run.timed_out else
               f"its reader failed: {last[:200]}" if run.returncode else
               "what it holds is too large")
        raise UnreadableSubmission(f"{path}: not a readable archive ({why})")
    try:
        answer = json.loads(run.output)
    except ValueError as error:
        raise UnreadableSubmission(f"{path}: not a readable archive (its reader failed)") from error
    if "error" in answer:
        raise UnreadableSubmission(f"{path}: {answer['error']}")
    found = StudentFiles(contents=list(answer.get("names", [])))
    for note in answer.get("notes", []):
        found.note(note)
    found.files = {name: base64.b64decode(data) for name, data in answer["files"].items()
                   if name in wanted}
    return found


def reader_command(script: Path, arguments: list[str]) -> list[str]:
    """The archive reader's command: the system's python3 (the sandbox uid cannot reach
    one installed under /root), isolated (-I: no environment, no user site, not even
    the script's own folder on the import path)."""
    python = shutil.which("python3", path=SAFE_PATH) or sys.executable
    return [python, "-I", str(script), *arguments]


def _run_reader_here(arguments: list[str], stdin: int) -> RunResult:
    """The reader as the current user, under prlimit (when no grader runs it)."""
    limits = READER_LIMITS
    prlimit = ["prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.address_space}",
               f"--fsize={limits.file_size}", f"--nofile={limits.open_files}", "--core=0", "--"]
    return run_capped([*prlimit, *reader_command(ARCHIVE_READER, arguments)],
                      {"PATH": SAFE_PATH, "LANG": "C.UTF-8"}, Path("/"), limits, stdin=stdin)
