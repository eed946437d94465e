"""Taking the student's files out of a submission: a folder, a .tar.gz or a .zip.

Only the student files of the contract's table are taken, only as regular files, and
nothing is ever extracted to disk: a symlink (in a folder or an archive), an archive
entry that would land outside its folder (../, an absolute path), a link or a device is
refused and noted, and the file it stood for is graded as missing (the skeleton).

A submission is laid out like the kit (labs/labN/<file>), either at its top or inside
one top folder (socketlab/labs/...). When it has no labs/ folder at all (files uploaded
one by one, as Gradescope allows), files are looked for by name at its top.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1 << 20
MAX_ARCHIVE_ENTRIES = 20000
MAX_NOTES = 20


class UnreadableSubmission(Exception):
    """The submission cannot be opened at all (missing, not a folder or a known archive)."""


@dataclass
class StudentFiles:
    """The student files found (kit path -> bytes) and what was refused or missing."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        elif len(self.notes) == MAX_NOTES:
            self.notes.append("(more notes left out)")


def is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz", ".tar", ".zip"))


def read_submission(path: Path, wanted: list[str]) -> StudentFiles:
    """The wanted kit paths (labs/labN/file.c) found in the submission at `path`."""
    if path.is_symlink():
        raise UnreadableSubmission(f"{path} is a symbolic link: submissions are folders or archives")
    if path.is_dir():
        return _from_folder(path, wanted)
    if path.is_file() and is_archive(path):
        try:
            entries = _zip_entries(path) if path.name.endswith(".zip") else _tar_entries(path)
            return _from_entries(entries, wanted)
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as error:
            raise UnreadableSubmission(f"{path}: not a readable archive ({error})") from error
    if not path.exists():
        raise UnreadableSubmission(f"{path}: no such file or folder")
    raise UnreadableSubmission(f"{path}: not a folder, a .tar.gz or a .zip")


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


def _plain_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _from_folder(path: Path, wanted: list[str]) -> StudentFiles:
    root, found = _folder_root(path)
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

@dataclass
class _Entry:
    name: str
    kind: str           # "file", "dir" or what else it is ("symlink", "hard link", ...)
    size: int
    read: object        # () -> bytes, for files


def _tar_entries(path: Path) -> list[_Entry]:
    entries: list[_Entry] = []
    archive = tarfile.open(path, "r:*")
    for count, member in enumerate(archive):
        if count >= MAX_ARCHIVE_ENTRIES:
            break
        kind = ("file" if member.isreg() else "dir" if member.isdir() else
                "symlink" if member.issym() else "hard link" if member.islnk() else "special file")
        entries.append(_Entry(member.name, kind, member.size,
                              lambda member=member: _tar_read(archive, member)))
    return entries


def _tar_read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    return handle.read(MAX_FILE_BYTES + 1) if handle else b""


def _zip_entries(path: Path) -> list[_Entry]:
    archive = zipfile.ZipFile(path)
    entries: list[_Entry] = []
    for info in archive.infolist()[:MAX_ARCHIVE_ENTRIES]:
        mode = info.external_attr >> 16
        kind = ("dir" if info.is_dir() else "symlink" if stat.S_ISLNK(mode) else
                "special file" if stat.S_IFMT(mode) not in (0, stat.S_IFREG) else "file")
        entries.append(_Entry(info.filename, kind, info.file_size,
                              lambda info=info: archive.open(info).read(MAX_FILE_BYTES + 1)))
    return entries


def _escapes(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or name.startswith("~")


def _from_entries(entries: list[_Entry], wanted: list[str]) -> StudentFiles:
    found = StudentFiles()
    safe: list[_Entry] = []
    for entry in entries:
        if _escapes(entry.name):
            found.note(f"refused archive entry {entry.name!r}: it would land outside the "
                       "submission's folder")
        else:
            safe.append(entry)
    layout = _archive_layout(safe)
    for kit_path in wanted:
        candidates = [entry for entry in safe if _matches(entry.name, kit_path, layout)]
        if not candidates:
            continue
        entry = candidates[-1]
        if entry.kind != "file":
            found.note(f"refused {kit_path}: it is a {entry.kind} in the archive (graded as missing)")
            continue
        if entry.size > MAX_FILE_BYTES:
            found.note(f"refused {kit_path}: larger than {MAX_FILE_BYTES} bytes (graded as missing)")
            continue
        found.files[kit_path] = entry.read()  # type: ignore[operator]
    return found


def _archive_layout(entries: list[_Entry]) -> str:
    """'kit' when some entry sits under labs/ (at the top or one folder down), else 'flat'."""
    for entry in entries:
        parts = PurePosixPath(entry.name).parts
        parts = parts[1:] if parts and parts[0] == "." else parts
        if "labs" in parts[:2]:
            return "kit"
    return "flat"


def _matches(name: str, kit_path: str, layout: str) -> bool:
    parts = PurePosixPath(name).parts
    parts = parts[1:] if parts and parts[0] == "." else parts
    target = PurePosixPath(kit_path).parts if layout == "kit" else (PurePosixPath(kit_path).name,)
    return parts == target or (len(parts) == len(target) + 1 and parts[1:] == target)
