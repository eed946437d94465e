#!/usr/bin/env python3
"""Mutants: known-wrong versions of a reference solution, kept as small unified diffs.

tests/mutants/labN/<file>--<mistake>.patch changes solutions/labN/<file>.c. It opens with a
header, which says what the mistake is and which test catches it, then the diff:

    Mistake: parse_port uses atoi, which ignores trailing junk ("80x" is 80).
    Caught by: parse_port::trailing_junk_fails_with_einval
    --- a/address.c
    +++ b/address.c
    @@ -114,15 +115,16 @@
    ...

"Caught by" names one or more tests (suite::name, separated by commas); the self-test checks
that each of them fails with the mistake in place ("objcheck": that the file is refused before
linking). A memory mutant adds "Caught under: memcheck": it passes every test natively, and
the tests "Caught by" names fail under the memory checker (make memcheck). Memory mutants
written as such are named mem-...; one that only a memory checker catches today though it
was written otherwise keeps its name.

Patches apply strictly: every context and removed line must match the solution exactly (a hunk
may have moved, never changed), so a patch that no longer fits its solution fails the self-test
instead of testing something else.

    mutants.py diff solutions/lab2/address.c my-copy.c    a diff to paste under a header
    mutants.py apply tests/mutants/lab2/address--atoi-port.patch   the mutated file, on stdout
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
HEADER_FIELD = re.compile(r"^([A-Z][a-z]+(?: [a-z]+)*): ?(.*)$")
MEMORY_PREFIX = "mem-"
UNDER_MEMCHECK = "memcheck"


class MutantError(Exception):
    """A patch that is malformed or does not apply to its solution; the message says why."""


@dataclass(frozen=True)
class Hunk:
    """One @@ block: the lines it expects (context and removed) and the lines it leaves."""

    header: str
    old_start: int
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class Mutant:
    """One mutant: where it lives, the file it changes, what it models, and its hunks."""

    path: Path
    target: str
    mistake: str
    description: str
    caught_by: tuple[str, ...]
    hunks: tuple[Hunk, ...]
    memory: bool = False  # only a memory checker sees it ("Caught under: memcheck")

    @property
    def name(self) -> str:
        return self.path.stem


def mutant_paths(kit: Path, lab: int) -> list[Path]:
    return sorted((kit / "tests" / "mutants" / f"lab{lab}").glob("*--*.patch"))


def stale_copies(kit: Path, lab: int) -> list[Path]:
    """Mutants in the old form (whole copies of a solution file), which nothing runs any more."""
    return sorted((kit / "tests" / "mutants" / f"lab{lab}").glob("*--*.c"))


def _header_fields(lines: list[str], path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    current = ""
    for line in lines:
        if line.startswith((" ", "\t")) and current:
            fields[current] += " " + line.strip()
        elif match := HEADER_FIELD.match(line):
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif line.strip():
            raise MutantError(f"{path.name}: header line {line!r} is neither 'Field: text' "
                              "nor an indented continuation")
    return fields


def _parse_hunks(lines: list[str], path: Path) -> list[Hunk]:
    hunks: list[Hunk] = []
    index = 0
    while index < len(lines):
        match = HUNK_HEADER.match(lines[index])
        if not match:
            raise MutantError(f"{path.name}: expected an @@ line, found {lines[index]!r}")
        old_count = int(match.group(2) or "1")
        new_count = int(match.group(4) or "1")
        old: list[str] = []
        new: list[str] = []
        index += 1
        while len(old) < old_count or len(new) < new_count:
            if index >= len(lines):
                raise MutantError(f"{path.name}: hunk {match.group(0)} ends early")
            line = lines[index]
            kind, text = (line[:1] or " "), line[1:] + "\n"
            if kind not in " -+":
                raise MutantError(f"{path.name}: hunk {match.group(0)} has the line {line!r}")
            if kind in " -":
                old.append(text)
            if kind in " +":
                new.append(text)
            index += 1
        if len(old) != old_count or len(new) != new_count:
            raise MutantError(f"{path.name}: hunk {match.group(0)} has the wrong line counts")
        hunks.append(Hunk(match.group(0), int(match.group(1)), tuple(old), tuple(new)))
    return hunks


def read_mutant(path: Path) -> Mutant:
    """Parses a mutant; raises MutantError when its name, header or diff is malformed."""
    target_stem, separator, mistake = path.stem.partition("--")
    if not separator or not mistake:
        raise MutantError(f"{path.name}: the name must be <file>--<mistake>.patch")
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines)
                     if line.startswith("--- ") and i + 1 < len(lines)
                     and lines[i + 1].startswith("+++ "))
    except StopIteration:
        raise MutantError(f"{path.name}: no diff (a '--- a/FILE' and '+++ b/FILE' pair)") from None
    target = target_stem + ".c"
    for line, side in ((lines[start], "a"), (lines[start + 1], "b")):
        named = line[4:].split("\t")[0].strip()
        if named != f"{side}/{target}":
            raise MutantError(f"{path.name}: the diff names {named!r}; it must change "
                              f"{side}/{target}, the file its name starts with")
    fields = _header_fields(lines[:start], path)
    for required in ("Mistake", "Caught by"):
        if not fields.get(required):
            raise MutantError(f"{path.name}: the header has no '{required}:' line")
    caught_by = tuple(name.strip() for name in fields["Caught by"].split(",") if name.strip())
    under = fields.get("Caught under", "")
    if under not in ("", UNDER_MEMCHECK):
        raise MutantError(f"{path.name}: 'Caught under: {under}' (the only one is memcheck)")
    if mistake.startswith(MEMORY_PREFIX) and under != UNDER_MEMCHECK:
        raise MutantError(f"{path.name}: a mem- mutant needs 'Caught under: {UNDER_MEMCHECK}'")
    hunks = _parse_hunks(lines[start + 2:], path)
    if not hunks:
        raise MutantError(f"{path.name}: the diff has no hunk")
    return Mutant(path, target, mistake, fields["Mistake"], caught_by, tuple(hunks),
                  under == UNDER_MEMCHECK)


def _find(lines: list[str], wanted: tuple[str, ...], around: int, earliest: int) -> int:
    """Where `wanted` occurs in `lines` at or after `earliest`, nearest to `around`; -1 if not."""
    size = len(wanted)
    starts = sorted(range(earliest, len(lines) - size + 1), key=lambda start: abs(start - around))
    return next((start for start in starts if tuple(lines[start:start + size]) == wanted), -1)


def apply_mutant(mutant: Mutant, original: str) -> str:
    """The solution's text with the mutant's hunks applied; MutantError if one does not fit."""
    lines = original.splitlines(keepends=True)
    result: list[str] = []
    consumed = 0  # lines of `original` already copied or replaced
    shift = 0  # how far the hunks found so far sit from where their headers say
    for number, hunk in enumerate(mutant.hunks, 1):
        header_at = hunk.old_start - 1 if hunk.old else hunk.old_start  # "-0,0" adds at the top
        found = _find(lines, hunk.old, header_at + shift, consumed)
        if found == -1:
            raise MutantError(
                f"{mutant.path.name}: hunk {number} ({hunk.header}) no longer matches "
                f"solutions/{mutant.path.parent.name}/{mutant.target} (the solution changed "
                "there): write the mistake again against the current solution")
        shift = found - header_at
        result += lines[consumed:found] + list(hunk.new)
        consumed = found + len(hunk.old)
    result += lines[consumed:]
    mutated = "".join(result)
    if mutated == original:
        raise MutantError(f"{mutant.path.name}: applying it changes nothing")
    return mutated


def diff_text(original: str, mutated: str, target: str) -> str:
    """A unified diff from `original` to `mutated`, named as mutants name their file."""
    return "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                        mutated.splitlines(keepends=True),
                                        f"a/{target}", f"b/{target}"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser("diff", help="print the diff from a solution to an edited copy")
    diff.add_argument("solution", type=Path)
    diff.add_argument("edited", type=Path)
    apply = commands.add_parser("apply", help="print a mutant's file (its solution, patched)")
    apply.add_argument("mutant", type=Path)
    args = parser.parse_args(argv)
    if args.command == "diff":
        print(diff_text(args.solution.read_text(encoding="utf-8"),
                        args.edited.read_text(encoding="utf-8"), args.solution.name), end="")
        return 0
    try:
        mutant = read_mutant(args.mutant)
        solution = Path(__file__).resolve().parents[2] / "solutions" / \
            args.mutant.resolve().parent.name / mutant.target
        print(apply_mutant(mutant, solution.read_text(encoding="utf-8")), end="")
    except MutantError as error:
        print(f"mutants: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
