"""Reading a submission archive, in a process of its own: python3 -I archive.py KIND PATH...

The archive comes on standard input (a regular file the grader opened); KIND is "zip",
"tar" or "tar.gz"; the PATHs are the kit paths wanted (labs/labN/file.c). It prints one
JSON object: {"files": {path: base64}, "notes": [...], "names": [the first names seen]}.
The grader runs it as the sandbox uid under limits (time, memory), so a decompression
bomb costs a bounded process, never the grader. Here it also stops by itself: at
MAX_TOTAL_BYTES decompressed, at MAX_ENTRIES entries, and it accepts only gzip inside a
.tar.gz (no bzip2 or xz streams behind that name), each with a note.

Standard library only, and no import from the rest of the grader: this file is the
whole program.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import stat
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_FILE_BYTES = 1 << 20
MAX_ENTRIES = 20000
MAX_TOTAL_BYTES = 256 << 20
MAX_NAMES = 20


class TooBig(Exception):
    """The archive decompresses past MAX_TOTAL_BYTES."""


class CountingReader(io.RawIOBase):
    """A stream that refuses to give more than `limit` bytes in all."""

    def __init__(self, stream: io.BufferedIOBase, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")  # any writable buffer, seen as bytes
        data = self.stream.read(len(view))
        self.count += len(data)
        if self.count > self.limit:
            raise TooBig()
        view[:len(data)] = data
        return len(data)


@dataclass
class Candidate:
    kind: str            # "file", "dir", "symlink", "hard link", "special file"
    size: int
    data: bytes | None   # the bytes, for a file no larger than MAX_FILE_BYTES


@dataclass
class Reading:
    """What one pass over the archive found."""

    wanted: list[str]
    notes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    kit_layout: bool = False
    kit: dict[str, Candidate] = field(default_factory=dict)     # by kit path
    flat: dict[str, Candidate] = field(default_factory=dict)    # by kit path

    def see(self, raw_name: str, kind: str, size: int, read: Callable[[], bytes]) -> None:
        name = raw_name.replace("\\", "/") if not escapes(raw_name) else raw_name
        if escapes(name):
            self.notes.append(f"refused archive entry {raw_name!r}: it would land outside "
                              "the submission's folder")
            return
        parts = PurePosixPath(name).parts
        parts = parts[1:] if parts and parts[0] == "." else parts
        if len(self.names) < MAX_NAMES and kind == "file":
            self.names.append("/".join(parts))
        if "labs" in parts[:2]:
            self.kit_layout = True
        for kit_path in self.wanted:
            target = PurePosixPath(kit_path).parts
            for table, shape in ((self.kit, target), (self.flat, target[-1:])):
                if parts == shape or (len(parts) == len(shape) + 1 and parts[1:] == shape):
                    data = read() if kind == "file" and size <= MAX_FILE_BYTES else None
                    table[kit_path] = Candidate(kind, size, data)

    def result(self) -> dict[str, object]:
        chosen = self.kit if self.kit_layout else self.flat
        files: dict[str, str] = {}
        for kit_path in self.wanted:
            entry = chosen.get(kit_path)
            if entry is None:
                continue
            if entry.kind != "file":
                self.notes.append(f"refused {kit_path}: it is a {entry.kind} in the archive "
                                  "(graded as missing)")
            elif entry.data is None or len(entry.data) > MAX_FILE_BYTES:
                self.notes.append(f"refused {kit_path}: larger than {MAX_FILE_BYTES} bytes "
                                  "(graded as missing)")
            else:
                files[kit_path] = base64.b64encode(entry.data).decode("ascii")
        return {"files": files, "notes": self.notes, "names": self.names}


def escapes(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return (path.is_absolute() or ".." in path.parts or name.startswith("~")
            or (len(name) > 1 and name[1] == ":"))


def read_tar(stream: io.BufferedReader, reading: Reading, compressed: bool) -> None:
    raw: io.BufferedIOBase = stream
    if compressed:
        if stream.read(2) != b"\x1f\x8b":
            raise tarfile.ReadError("not a gzip file (a .tar.gz must be gzip-compressed)")
        stream.seek(0)
        raw = gzip.GzipFile(fileobj=stream, mode="rb")
    counted = io.BufferedReader(CountingReader(raw, MAX_TOTAL_BYTES), 1 << 16)
    archive = tarfile.open(fileobj=counted, mode="r|")
    for count, member in enumerate(archive):
        if count >= MAX_ENTRIES:
            reading.notes.append(f"the archive has more than {MAX_ENTRIES} entries: only the "
                                 "first ones were read (a file after them is missing)")
            return
        kind = ("file" if member.isreg() else "dir" if member.isdir() else
                "symlink" if member.issym() else "hard link" if member.islnk() else
                "special file")

        def read(member: tarfile.TarInfo = member) -> bytes:
            handle = archive.extractfile(member)
            return handle.read(MAX_FILE_BYTES + 1) if handle else b""

        reading.see(member.name, kind, member.size, read)


def read_zip(stream: io.BufferedReader, reading: Reading) -> None:
    archive = zipfile.ZipFile(stream)
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        reading.notes.append(f"the archive has {len(entries)} entries: only the first "
                             f"{MAX_ENTRIES} were read (a file after them is missing)")
    total = 0
    for info in entries[:MAX_ENTRIES]:
        mode = info.external_attr >> 16
        kind = ("dir" if info.is_dir() else "symlink" if stat.S_ISLNK(mode) else
                "special file" if stat.S_IFMT(mode) not in (0, stat.S_IFREG) else "file")

        def read(info: zipfile.ZipInfo = info) -> bytes:
            nonlocal total
            data = archive.open(info).read(MAX_FILE_BYTES + 1)
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise TooBig()
            return data

        reading.see(info.filename, kind, info.file_size, read)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in ("zip", "tar", "tar.gz"):
        print("usage: python3 -I archive.py zip|tar|tar.gz KIT_PATH... < ARCHIVE",
              file=sys.stderr)
        return 2
    reading = Reading(argv[1:])
    stream = open(sys.stdin.fileno(), "rb", closefd=False)
    try:
        if argv[0] == "zip":
            read_zip(stream, reading)
        else:
            read_tar(stream, reading, compressed=argv[0] == "tar.gz")
    except TooBig:
        reading.notes.append(f"the archive expands past {MAX_TOTAL_BYTES >> 20} MiB: reading "
                             "stopped there (a file after that point is missing)")
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError,
            NotImplementedError) as error:
        print(json.dumps({"error": f"not a readable archive ({error})"}))
        return 0
    json.dump(reading.result(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
