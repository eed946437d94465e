"""The kit the grader belongs to: its reference build and the per-lab scratch copies.

The reference solutions are built once per grading session, by the grader itself (they
are trusted), outside any sandbox and into a folder only the grader can read. From that
build the grader takes (1) the list of tests each lab has, from the test binary's
--list, so that a test missing from a submission's report scores zero, and (2) the
compiled objects of labs 1..N-1, which are copied (debug information stripped) into the
scratch build of lab N when labs are graded one mistake at a time. Sources from
solutions/ never enter a scratch copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.labs import Lab

TOOLS = Path(__file__).resolve().parents[1] / "tests" / "tools"


def kit_tools() -> Path:
    """tests/tools of the kit, importable (criterion_run, labcheck)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return TOOLS


@dataclass
class Reference:
    """The trusted reference build: per lab, its test names and whether it built."""

    kit: Path
    folder: Path
    extra_tests: Path | None = None
    tests: dict[int, list[str]] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)

    @property
    def has_solutions(self) -> bool:
        return (self.kit / "solutions").is_dir()

    def prepare(self, labs: list[Lab], make: str = "make") -> None:
        """Builds the reference of every lab in `labs` (and lists its tests)."""
        if not self.has_solutions:
            return
        kit_tools()
        from criterion_run import list_tests  # noqa: E402 (the kit's own runner)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        for lab in labs:
            command = [make, "-C", str(self.kit), "--no-print-directory", "-s", "-k",
                       f"build-{lab.name}", "SOLUTION=1", f"BUILD={self.folder}",
                       f"TEST_BUILD={self.folder}"]
            if self.extra_tests:
                command.append(f"EXTRA_TESTS={self.extra_tests}")
            built = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                   stdin=subprocess.DEVNULL, check=False, timeout=600)
            binary = self.folder / lab.name / f"test_{lab.name}"
            if built.returncode != 0 or not binary.exists():
                self.failures[lab.number] = (built.stdout + built.stderr).strip()[-2000:]
                continue
            self.tests[lab.number] = list_tests(binary)

    def objects(self, lab_number: int) -> list[Path]:
        """The reference's compiled student objects of one lab (library and programs)."""
        folder = self.folder / "obj" / f"lab{lab_number}"
        return sorted(folder.glob("*.o")) if folder.is_dir() else []


@dataclass
class Scratch:
    """The scratch copy of one lab: a read-only kit and sources, a writable build folder."""

    root: Path

    @property
    def kit(self) -> Path:
        return self.root / "kit"

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def extra(self) -> Path:
        return self.kit / "extra"


def make_scratch(root: Path, kit: Path, lab: Lab, sources: dict[str, bytes],
                 reference_objects: list[Path], extra_tests: Path | None) -> Scratch:
    """Lays out one lab's scratch copy. `sources` maps labK/<file> to the bytes to build
    (the student's or the skeleton's); reference_objects go to build/obj/labK/."""
    scratch = Scratch(root)
    for folder in (root, scratch.kit, scratch.src, scratch.build):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o755)
    shutil.copy2(kit / "Makefile", scratch.kit / "Makefile")
    shutil.copytree(kit / "labs", scratch.kit / "labs", symlinks=False,
                    ignore=shutil.ignore_patterns("*.o", "*.d"))
    (scratch.kit / "tests").mkdir()
    shutil.copytree(kit / "tests" / "common", scratch.kit / "tests" / "common")
    shutil.copytree(kit / "tests" / lab.name, scratch.kit / "tests" / lab.name)
    if extra_tests and (extra_tests / lab.name).is_dir():
        shutil.copytree(extra_tests / lab.name, scratch.extra / lab.name,
                        ignore=lambda folder, names: [n for n in names if not n.endswith((".c", ".h"))])
    for relative, content in sources.items():
        target = scratch.src / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for obj in reference_objects:
        target = scratch.build / "obj" / obj.parent.name / obj.name
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_stripped(obj, target)
    _make_readable(root)
    return scratch


def _copy_stripped(source: Path, target: Path) -> None:
    objcopy = shutil.which("objcopy")
    if objcopy:
        done = subprocess.run([objcopy, "--strip-debug", str(source), str(target)],
                              capture_output=True, check=False)
        if done.returncode == 0:
            return
    shutil.copy2(source, target)


def _make_readable(root: Path) -> None:
    """Folders 0755 and files 0644 (owned by the grader: the sandbox can read, not write)."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
