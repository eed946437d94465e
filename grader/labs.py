"""What each lab is, read from its one declaration: labs/labN/lab.mk.

A lab is declared once, in labs/labN/lab.mk (a few `NAME := words` lines that the Makefile
includes as they are): its title, the student's library files, its programs, and which
programs are servers and which clients. The Makefile, the grader, make handin, make dist,
make status, the check runner and the kit's tools all read that file, the Python ones
through this module. The grader reads the declarations of its own kit, never a
submission's. `declaration_problems` is what make test checks: that every lab folder is
declared, that what a declaration names exists, and that each declared lab has its
header, tests, handouts and (in the instructor's kit) its solution.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
DECLARATION = "lab.mk"
LAB_FOLDER = re.compile(r"lab([1-9][0-9]*)")
DECLARED_LINE = re.compile(r"^(LAB_[A-Z]+)\s*:=\s*(.*?)\s*$")
FIELDS = ("LAB_TITLE", "LAB_FILES", "LAB_PROGRAMS", "LAB_SERVERS", "LAB_CLIENTS")


class DeclarationError(ValueError):
    """A lab.mk that cannot be read as a declaration; the message names the file and line."""


@dataclass(frozen=True)
class Lab:
    """One lab: its number and title, the student's library files and programs (all graded),
    and which of the programs are servers and which are clients."""

    number: int
    title: str
    files: tuple[str, ...]
    programs: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"lab{self.number}"

    @property
    def student_files(self) -> tuple[str, ...]:
        """Every file the student writes for this lab: library files, then programs."""
        return self.files + tuple(f"{program}.c" for program in self.programs)

    def kit_paths(self) -> list[str]:
        """Where the student's files live in the kit: labs/labN/<file>."""
        return [f"labs/{self.name}/{file}" for file in self.student_files]


def read_declaration(path: Path, number: int) -> Lab:
    """The Lab that labs/labN/lab.mk declares. Raises DeclarationError (or OSError)."""
    values: dict[str, str] = {}
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = DECLARED_LINE.match(line)
        if not match or match.group(1) not in FIELDS:
            raise DeclarationError(f"{path}:{line_number}: expected one of "
                                   f"{', '.join(FIELDS)} followed by ':=', got: {line.strip()}")
        values[match.group(1)] = match.group(2)
    missing = [name for name in ("LAB_TITLE", "LAB_FILES") if not values.get(name)]
    if missing:
        raise DeclarationError(f"{path}: {' and '.join(missing)} must be set")
    words = {name: tuple(values.get(name, "").split()) for name in FIELDS[1:]}
    return Lab(number, values["LAB_TITLE"], words["LAB_FILES"], words["LAB_PROGRAMS"],
               words["LAB_SERVERS"], words["LAB_CLIENTS"])


def lab_folders(kit: Path = KIT) -> list[tuple[int, Path]]:
    """(N, labs/labN) for every lab folder of the kit, in lab order."""
    found = []
    for folder in (kit / "labs").iterdir() if (kit / "labs").is_dir() else ():
        match = LAB_FOLDER.fullmatch(folder.name)
        if match and folder.is_dir():
            found.append((int(match.group(1)), folder))
    return sorted(found)


def declared_labs(kit: Path = KIT) -> list[Lab]:
    """Every lab the kit declares, in lab order. Raises DeclarationError for a lab folder
    without a readable lab.mk."""
    labs = []
    for number, folder in lab_folders(kit):
        path = folder / DECLARATION
        if not path.is_file():
            raise DeclarationError(f"{folder} has no {DECLARATION}: every lab is declared there "
                                   f"(see labs/lab1/{DECLARATION})")
        labs.append(read_declaration(path, number))
    return labs


def labs_in_kit(kit: Path = KIT) -> list[Lab]:
    """The labs the kit has (its lab folders, each read from its declaration)."""
    return declared_labs(kit)


def lab(number: int, kit: Path = KIT) -> Lab:
    for candidate in declared_labs(kit):
        if candidate.number == number:
            return candidate
    raise KeyError(f"there is no lab {number}")


def student_paths(labs: list[Lab] | None = None) -> list[str]:
    """Every student file's path in the kit (of `labs`, default every lab), in lab order."""
    return [path for entry in (declared_labs() if labs is None else labs)
            for path in entry.kit_paths()]


def header_title(kit: Path, number: int) -> str | None:
    """The title the lab's header opens with ("Lab 1: creating sockets."), or None."""
    try:
        text = (kit / "labs" / f"lab{number}" / f"lab{number}.h").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf"Lab {number}: ([^.\n]+)", text)
    return match.group(1) if match else None


def declaration_problems(kit: Path = KIT) -> list[str]:
    """What make test refuses: a lab folder and its declaration that disagree, a declared
    file that is missing, a declared lab without its header, tests, handouts or solution."""
    try:
        labs = declared_labs(kit)
    except (DeclarationError, OSError) as error:
        return [str(error)]
    problems = []
    for entry in labs:
        problems += _lab_problems(kit, entry)
    return problems


def _lab_problems(kit: Path, entry: Lab) -> list[str]:
    where = f"labs/{entry.name}/{DECLARATION}"
    problems = []
    declared = set(entry.student_files)
    for folder in ["labs"] + (["solutions"] if (kit / "solutions").is_dir() else []):
        present = {path.name for path in (kit / folder / entry.name).glob("*.c")}
        for name in sorted(declared - present):
            problems.append(f"{where} declares {name}, but {folder}/{entry.name}/{name} is missing")
        for name in sorted(present - declared):
            problems.append(f"{folder}/{entry.name}/{name} is not declared in {where} "
                            f"(LAB_FILES or LAB_PROGRAMS)")
    for role, names in (("LAB_SERVERS", entry.servers), ("LAB_CLIENTS", entry.clients)):
        for name in names:
            if name not in entry.programs:
                problems.append(f"{where}: {role} names {name}, which is not in LAB_PROGRAMS")
    needed = [f"labs/{entry.name}/{entry.name}.h", f"tests/{entry.name}",
              f"handouts/en/{entry.name}.md", f"handouts/es/{entry.name}.md"]
    if (kit / "solutions").is_dir():
        needed.append(f"solutions/{entry.name}")
    for path in needed:
        if not (kit / path).exists():
            problems.append(f"lab {entry.number} is declared ({where}), but {path} is missing")
    title = header_title(kit, entry.number)
    if title is not None and title != entry.title:
        problems.append(f"labs/{entry.name}/{entry.name}.h opens with 'Lab {entry.number}: {title}', "
                        f"but {where} says LAB_TITLE := {entry.title}")
    return problems


def parse_lab_list(text: str, known: list[int]) -> list[int]:
    """'3', '1-7', '2,5' -> sorted lab numbers. Raises ValueError for anything else."""
    chosen: set[int] = set()
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ValueError(f"'{part}' is not a lab number or a range such as 1-7")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ValueError(f"'{part}' is an empty range")
        chosen.update(range(first, last + 1))
    unknown = sorted(chosen - set(known))
    if unknown:
        raise ValueError(f"no such lab: {', '.join(map(str, unknown))} "
                         f"(the labs are {', '.join(map(str, known))})")
    return sorted(chosen)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The kit's labs, as labs/labN/lab.mk declares them.")
    parser.add_argument("--check", action="store_true",
                        help="check every declaration against the kit (make test runs this)")
    parser.add_argument("--kit", type=Path, default=KIT)
    args = parser.parse_args(argv)
    if args.check:
        problems = declaration_problems(args.kit)
        for problem in problems:
            print(f"lab declarations: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"lab declarations: {len(declared_labs(args.kit))} labs, each folder as declared")
        return 0
    for entry in declared_labs(args.kit):
        print(f"lab{entry.number}: {entry.title} - {' '.join(entry.student_files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
