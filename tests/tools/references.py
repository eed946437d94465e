#!/usr/bin/env python3
"""Cross-file references of the kit that nothing else checks, for make test:

  - every handout section a test cites (the `section` of lab_expect and friends, lab_see("4.2"),
    "handout section 4.2" in comments and hints) is a numbered heading of that lab's handout,
    in every language (`### 4.2 ...`, or `## 5. ...` for "5");
  - the per-test table of each handout (the rows whose first cell is `suite::name`) lists
    exactly the lab's tests, in every language;
  - every weight pattern in grader/points.py matches at least one test.

Citations are read from the C sources of tests/labN/ (that lab) and tests/common/ (every lab);
tests are the names a built test binary lists (passed in by the caller).

    references.py --build build/solution     check every built lab
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

SECTION = r"\d{1,2}(?:\.\d{1,2}){0,2}"  # 5, 4.2, 2.3.1; never a dotted quad
# A section as code passes it: the last argument of a call or initialiser ("4.2")
# or "4.2"}), lab_see("4.2"), a `.section = "4.2"` field or `#define SECTION "4.2"`.
CITED_IN_CODE = re.compile(rf'"(\d{{1,2}}(?:\.\d{{1,2}}){{1,2}})"\s*[)}}]|lab_see\("({SECTION})"\)|'
                           rf'section\s*=\s*"({SECTION})"|'
                           rf'#\s*define\s+\w*SECTION\w*\s+"({SECTION})"')
CITED_IN_TEXT = re.compile(rf"[Hh]andout,? sections? ({SECTION})\b")
HEADING = re.compile(rf"^#{{2,6}} ({SECTION})\.?\s")
TABLE_TEST = re.compile(r"^\|\s*`([A-Za-z_]\w*::[A-Za-z_]\w*)`\s*\|")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Citation:
    """One handout section cited by a source file, at a line."""

    section: str
    path: Path
    line: int


def citations_in(path: Path) -> list[Citation]:
    found: list[Citation] = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        for match in CITED_IN_CODE.finditer(line):
            section = next(group for group in match.groups() if group)
            found.append(Citation(section, path, number))
        for match in CITED_IN_TEXT.finditer(line):
            found.append(Citation(match.group(1), path, number))
    return found


def lab_citations(kit: Path, lab: int) -> list[Citation]:
    """Every section lab `lab`'s tests cite: its own sources and the shared ones."""
    sources = sorted((kit / "tests" / f"lab{lab}").rglob("*.[ch]"))
    sources += sorted((kit / "tests" / "common").glob("*.[ch]"))
    sources += sorted((kit / "grader" / "runtime").glob("*.py"))
    return [citation for path in sources for citation in citations_in(path)]


def _outside_code(text: str) -> list[str]:
    lines: list[str] = []
    in_code = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            lines.append(line)
    return lines


def handout_sections(handout: Path) -> set[str]:
    return {match.group(1) for line in _outside_code(handout.read_text(encoding="utf-8"))
            if (match := HEADING.match(line))}


def handout_table_tests(handout: Path) -> list[str]:
    return [match.group(1) for line in _outside_code(handout.read_text(encoding="utf-8"))
            if (match := TABLE_TEST.match(line))]


def handouts_of(kit: Path, lab: int) -> list[Path]:
    return sorted(kit.glob(f"handouts/*/lab{lab}.md"))


def check_lab(kit: Path, lab: int, tests: list[str]) -> tuple[list[str], int]:
    """Problems with lab `lab`'s citations and tables, and how many references were checked."""
    problems: list[str] = []
    checked = 0
    handouts = handouts_of(kit, lab)
    if not handouts:
        return [f"lab{lab}: no handout (handouts/*/lab{lab}.md)"], 0
    citations = lab_citations(kit, lab)
    for handout in handouts:
        where = handout.relative_to(kit)
        sections = handout_sections(handout)
        reported: set[str] = set()
        for citation in citations:
            checked += 1
            if citation.section not in sections and citation.section not in reported:
                reported.add(citation.section)
                problems.append(f"{where} has no section {citation.section}, cited by "
                                f"{citation.path.relative_to(kit)}:{citation.line}")
        listed = handout_table_tests(handout)
        checked += len(listed) + len(tests)
        for name in sorted(set(tests) - set(listed)):
            problems.append(f"{where}: the per-test table has no row for {name}")
        for name in sorted(set(listed) - set(tests)):
            problems.append(f"{where}: the per-test table lists {name}, "
                            f"which is no test of lab{lab}")
        for name in sorted({name for name in listed if listed.count(name) > 1}):
            problems.append(f"{where}: the per-test table lists {name} more than once")
    return problems, checked


def weight_patterns(points: Path) -> list[str]:
    """The patterns of WEIGHTS in grader/points.py, read without importing the grader."""
    tree = ast.parse(points.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "WEIGHTS" and value is not None:
            return [pattern for pattern, _ in ast.literal_eval(value)]
    return []


def check_weights(kit: Path, tests_by_lab: dict[int, list[str]]) -> tuple[list[str], int]:
    """Problems with grader/points.py: patterns that name no test. Needs every lab's tests."""
    points = kit / "grader" / "points.py"
    if not points.exists():
        return [], 0
    names = [f"lab{lab}:{test}" for lab, tests in tests_by_lab.items() for test in tests]
    patterns = weight_patterns(points)
    return [f"grader/points.py: the weight pattern {pattern!r} matches no test"
            for pattern in patterns if not any(fnmatchcase(name, pattern) for name in names)], \
        len(patterns)


def main(argv: list[str]) -> int:
    from grader.runtime.criterion_run import list_tests

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build/solution",
                        help="a build holding every lab's test binary (default: build/solution)")
    args = parser.parse_args(argv)
    kit = Path(__file__).resolve().parents[2]
    tests_by_lab = {int(binary.parent.name[3:]): list_tests(binary)
                    for binary in sorted(Path(args.build).glob("lab*/test_lab*"))
                    if binary.name == f"test_{binary.parent.name}"}
    if not tests_by_lab:
        print(f"references: no test binary under {args.build} (build the labs first)",
              file=sys.stderr)
        return 2
    problems: list[str] = []
    checked = 0
    for lab, tests in sorted(tests_by_lab.items()):
        found, count = check_lab(kit, lab, tests)
        problems += found
        checked += count
    found, count = check_weights(kit, tests_by_lab)
    problems += found
    checked += count
    for problem in problems:
        print(problem)
    print(f"references: {checked} checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
