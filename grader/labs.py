"""What each lab asks the student to write: the contract's table, declared once.

Every other part of the grader (taking files from a submission, building, the hand-in
tarball) reads this table. A lab is graded only when the kit has it (labs/labN/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lab:
    """One lab: its number, the student's library files and program files (both graded)."""

    number: int
    files: tuple[str, ...]
    programs: tuple[str, ...] = ()

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


LABS: tuple[Lab, ...] = (
    Lab(1, ("socket.c",)),
    Lab(2, ("address.c",)),
    Lab(3, ("listen.c",)),
    Lab(4, ("connect.c",)),
    Lab(5, ("stream.c",)),
    Lab(6, ("echo.c",), ("echo_server",)),
    Lab(7, ("client.c",), ("echo_client",)),
    Lab(8, ("hub.c",), ("multi_echo_server",)),
    Lab(9, ("datagram.c",), ("udp_echo_server", "udp_echo_client")),
    Lab(10, ("names.c",)),
)


def lab(number: int) -> Lab:
    for candidate in LABS:
        if candidate.number == number:
            return candidate
    raise KeyError(f"there is no lab {number}")


def labs_in_kit(kit: Path) -> list[Lab]:
    """The labs of the table that the kit has (a header in labs/labN/)."""
    return [entry for entry in LABS if (kit / "labs" / entry.name / f"{entry.name}.h").is_file()]


def student_paths(labs: list[Lab] | tuple[Lab, ...] = LABS) -> list[str]:
    """Every student file's path in the kit, in lab order."""
    return [path for entry in labs for path in entry.kit_paths()]


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
