"""The kit the grader belongs to: its reference build and the per-lab scratch copies.

The reference solutions are built once per grading session, by the grader itself (they
are trusted), outside any sandbox and into a folder only the grader can read. From that
build the grader takes (1) the list of tests each lab has, from the test binary's
--list, so that a test missing from a submission's report scores zero, and (2) the
compiled objects of labs 1..N-1, which are copied (debug information stripped) into the
scratch build of lab N when labs are graded one mistake at a time. Sources from
solutions/ never enter a scratch copy. An instructor's hidden tests (--extra-tests) are
compiled here too, and only their objects enter a scratch build (their sources never do;
the Makefile sees empty stand-ins older than the objects, so it links them as they are).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from grader.labs import Lab
from grader.runtime.criterion_run import list_tests


@dataclass
class Reference:
    """The trusted reference build: per lab, its test names and whether it built."""

    kit: Path
    folder: Path
    extra_tests: Path | None = None
    tests: dict[int, list[str]] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    hidden: dict[int, set[str]] = field(default_factory=dict)    # tests from extra_tests

    @property
    def has_solutions(self) -> bool:
        return (self.kit / "solutions").is_dir()

    def prepare(self, labs: list[Lab], make: str = "make") -> None:
        """Builds the reference of every lab in `labs` (and lists its tests)."""
        if not self.has_solutions:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        # Every lab in one make, on every core; a lab that did not build is built again
        # alone, for its own messages.
        everything = self._build([f"build-{lab.name}" for lab in labs], make, os.cpu_count() or 1)
        for lab in labs:
            binary = self.folder / lab.name / f"test_{lab.name}"
            built = everything
            if everything.returncode != 0:
                built = self._build([f"build-{lab.name}"], make, 1)
            if built.returncode != 0 or not binary.exists():
                self.failures[lab.number] = (built.stdout + built.stderr).strip()[-2000:]
                continue
            self.tests[lab.number] = list_tests(binary)
            self.hidden[lab.number] = _hidden_tests(self.tests[lab.number],
                                                    self.extra_objects(lab.number))

    def _build(self, goals: list[str], make: str, jobs: int) -> subprocess.CompletedProcess:
        command = [make, "-C", str(self.kit), "--no-print-directory", "-s", "-k", f"-j{jobs}",
                   *goals, "SOLUTION=1", f"BUILD={self.folder}", f"TEST_BUILD={self.folder}"]
        if self.extra_tests:
            command.append(f"EXTRA_TESTS={self.extra_tests}")
        return subprocess.run(command, capture_output=True, text=True, errors="replace",
                              stdin=subprocess.DEVNULL, check=False, timeout=600)

    def extra_sources(self, lab_number: int) -> list[Path]:
        """The hidden tests' sources of one lab (DIR/labN/*.c), sorted."""
        folder = self.extra_tests / f"lab{lab_number}" if self.extra_tests else None
        return sorted(folder.glob("*.c")) if folder and folder.is_dir() else []

    def extra_objects(self, lab_number: int) -> list[Path]:
        """The hidden tests of one lab, compiled by the reference build."""
        folder = self.folder / "testobj" / f"lab{lab_number}"
        return [folder / f"{source.stem}.o" for source in self.extra_sources(lab_number)
                if (folder / f"{source.stem}.o").is_file()]

    def test_objects(self, lab_number: int) -> dict[str, Path]:
        """The kit's own tests of one lab as the reference build compiled them, by their
        path under testobj/labN/ (tests/labN/X.c is X.o, tests/common/X.c common/X.o):
        they do not depend on a submission, so its build links these instead of
        compiling them again. Empty when the lab's reference did not build."""
        if lab_number not in self.tests:
            return {}
        folder = self.folder / "testobj" / f"lab{lab_number}"
        found: dict[str, Path] = {}
        for prefix, sources in (("", self.kit / "tests" / f"lab{lab_number}"),
                                ("common/", self.kit / "tests" / "common"),
                                ("common/fork_only/", self.kit / "tests" / "common" / "fork_only")):
            for source in sorted(sources.glob("*.c")):
                obj = folder / f"{prefix}{source.stem}.o"
                if obj.is_file():
                    found[f"{prefix}{source.stem}.o"] = obj
        return found

    def objects(self, lab_number: int) -> list[Path]:
        """The reference's compiled student objects of one lab (library and programs)."""
        folder = self.folder / "obj" / f"lab{lab_number}"
        return sorted(folder.glob("*.o")) if folder.is_dir() else []


def _hidden_tests(tests: list[str], objects: list[Path]) -> set[str]:
    """The tests (suite::name) that Criterion registered from `objects` (its
    suite_name_meta symbol is defined there)."""
    if not objects or not shutil.which("nm"):
        return set()
    listed = subprocess.run(["nm", "--defined-only", *map(str, objects)], capture_output=True,
                            text=True, errors="replace", check=False, timeout=60)
    symbols = {line.split()[-1] for line in listed.stdout.splitlines() if line.strip()}
    return {test for test in tests if test.replace("::", "_") + "_meta" in symbols}


@dataclass
class Scratch:
    """The scratch copy of one lab: a read-only kit and sources, a build folder (writable
    while building, then sealed), a Valgrind log folder and a private TMPDIR."""

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

    @property
    def memcheck(self) -> Path:
        return self.root / "memcheck"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"


def make_scratch(root: Path, kit: Path, lab: Lab, sources: dict[str, bytes],
                 reference_objects: list[Path], hidden_objects: list[Path],
                 test_objects: dict[str, Path] | None = None) -> Scratch:
    """Lays out one lab's scratch copy. `sources` maps labK/<file> to the bytes to build
    (the student's or the skeleton's); reference_objects go to build/obj/labK/, the
    hidden tests' objects to build/testobj/labN/ (with empty stand-ins in extra/labN/),
    and the kit's compiled tests (Reference.test_objects) to build/testobj/labN/ too,
    newer than their sources, so make links them as they are.
    Everything is the grader's; the caller hands build/, memcheck/ and tmp/ to the
    sandbox uid."""
    scratch = Scratch(root)
    for folder in (root, scratch.kit, scratch.src, scratch.build, scratch.memcheck, scratch.tmp):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o755)
    shutil.copy2(kit / "Makefile", scratch.kit / "Makefile")
    shutil.copytree(kit / "labs", scratch.kit / "labs", symlinks=False,
                    ignore=shutil.ignore_patterns("*.o", "*.d"))
    (scratch.kit / "tests").mkdir()
    shutil.copytree(kit / "tests" / "common", scratch.kit / "tests" / "common")
    # The Makefile's own tool (the object check, python3 -m grader.runtime.objcheck) runs in
    # the build: the kit's runtime package goes along, nothing else of the grader.
    (scratch.kit / "grader").mkdir()
    shutil.copy2(kit / "grader" / "__init__.py", scratch.kit / "grader" / "__init__.py")
    shutil.copytree(kit / "grader" / "runtime", scratch.kit / "grader" / "runtime",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(kit / "tests" / lab.name, scratch.kit / "tests" / lab.name)
    for relative, obj in (test_objects or {}).items():
        target = scratch.build / "testobj" / lab.name / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(obj, target)       # (its time too: newer than the copied sources)
    for obj in hidden_objects:
        target = scratch.build / "testobj" / lab.name / obj.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(obj, target)
        stand_in = scratch.extra / lab.name / f"{obj.stem}.c"
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_bytes(b"")
        os.utime(stand_in, (0, 0))      # older than the object: make links it unchanged
    for relative, content in sources.items():
        target = scratch.src / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for obj in reference_objects:
        target = scratch.build / "obj" / obj.parent.name / obj.name
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_stripped(obj, target)
    _make_readable(root)
    os.chmod(scratch.tmp, 0o700)
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
