"""The kit's self-test, behind `make test`. For every lab it proves that:

  - the reference solution compiles without warnings and passes every test,
    natively and under Valgrind;
  - the skeleton compiles without warnings and fails every test (no test passes
    against a function that does nothing);
  - every mutant in tests/mutants/labN/ (a patch to the reference solution that models a
    known mistake, see mutants.py) applies, compiles, and fails at least one test, among them
    every test its header names (or, for "Caught by: objcheck", is refused before linking);
    each lab has at least MIN_MUTANTS of them;
  - every memory mutant ("Caught under: memcheck") passes every test natively and fails, under
    Valgrind, each test its header names (only those tests run under Valgrind);
  - the handouts, tests and grader weights agree (see references.py).

Lab N is always built with the reference solutions of labs 1..N-1, so each
verdict is about lab N's own files. Prints a table per lab and a closing
"N passed, N failed" line; exits non-zero on any shortfall.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from grader.runtime.criterion_run import RunOutcome, list_tests, run_forked, run_tests
from grader.labs import declared_labs
from grader.runtime.checkview import VALGRIND_LOG
from grader.runtime.labcheck import fork_binary, run_memcheck, test_binary, test_env
from tests.tools.mutants import Mutant, MutantError, apply_mutant, mutant_paths, read_mutant, stale_copies
from tests.tools.references import check_lab, check_weights

MIN_MUTANTS = 6
# "Caught by: objcheck": the mistake is refused before linking (grader/runtime/objcheck.py).
OBJCHECK = "objcheck"
OBJCHECK_REFUSAL = re.compile(r"^objcheck: (\S+) was not linked with the tests", re.MULTILINE)


@dataclass
class Check:
    """One verdict of the self-test: what was checked, whether it held, and why not."""

    lab: int
    kind: str  # solution, memcheck, skeleton, mutant, runners, references
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Variant:
    """One way of filling lab N's student files: a folder of .c files, some replaced by text."""

    lab: int
    name: str
    source_dir: Path
    overrides: dict[str, str] = field(default_factory=dict)  # file name -> its text
    warnings_are_errors: bool = True


def lab_numbers(kit: Path) -> list[int]:
    return [entry.number for entry in declared_labs(kit)]


def assemble_sources(kit: Path, variant: Variant, root: Path) -> Path:
    """A source tree for the variant: solutions of earlier labs, the variant's files for its lab."""
    src = root / "src"
    if src.exists():
        shutil.rmtree(src)
    for earlier in range(1, variant.lab):
        if (kit / "solutions" / f"lab{earlier}").is_dir():
            shutil.copytree(kit / "solutions" / f"lab{earlier}", src / f"lab{earlier}")
    target = src / f"lab{variant.lab}"
    target.mkdir(parents=True)
    for source in variant.source_dir.glob("*.c"):
        shutil.copy2(source, target / source.name)
    for name, text in variant.overrides.items():
        (target / name).write_text(text, encoding="utf-8")
    return src


def build_variant(make: str, kit: Path, variant: Variant, root: Path,
                  test_build: Path) -> tuple[bool, str, Path]:
    """Builds the variant's lab; returns (built, compiler output, build folder)."""
    src = assemble_sources(kit, variant, root)
    build = root / "build"
    command = [*make.split(), "-s", "--no-print-directory", "-C", str(kit),
               f"build-lab{variant.lab}", f"SRC={src}", f"BUILD={build}",
               f"TEST_BUILD={test_build}", f"WERROR={int(variant.warnings_are_errors)}"]
    made = subprocess.run(command, capture_output=True, text=True, check=False)
    return made.returncode == 0, made.stdout + made.stderr, build


def failing_names(outcome: RunOutcome) -> list[str]:
    return [r.name for r in outcome.results if not r.passed and r.status != "skipped"]


def summarise_failures(outcome: RunOutcome, limit: int = 3) -> str:
    failed = [r for r in outcome.results if not r.passed and r.status != "skipped"]
    lines = [f"{r.name} ({r.status}): {r.message.splitlines()[0] if r.message else ''}"
             for r in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"... and {len(failed) - limit} more")
    return "; ".join(lines)


class SelfTest:
    """Runs every check of one self-test run, keeping its scratch folders under `scratch`."""

    def __init__(self, make: str, kit: Path, scratch: Path) -> None:
        self.make = make
        self.kit = kit
        self.scratch = scratch
        self.test_build = scratch / "tests"

    def root_for(self, variant: Variant) -> Path:
        return self.scratch / f"lab{variant.lab}" / variant.name.replace("/", "_")

    def solution(self, lab: int) -> Variant:
        return Variant(lab, "solution", self.kit / "solutions" / f"lab{lab}")

    def prepare(self, lab: int) -> tuple[list[Check], Path | None]:
        """Builds the solution first: it also builds the lab's test objects for the others."""
        variant = self.solution(lab)
        built, output, build = build_variant(self.make, self.kit, variant, self.root_for(variant),
                                             self.test_build)
        if not built:
            return [Check(lab, "solution", "compiles without warnings", False, output.strip())], None
        return [], build

    def check_solution(self, lab: int, build: Path) -> list[Check]:
        outcome = run_tests(test_binary(build, lab), env=test_env(build))
        return [Check(lab, "solution", "passes every test", outcome.complete,
                      f"{outcome.passed}/{outcome.total}" + (
                          "" if outcome.complete else ": " + summarise_failures(outcome))),
                runners_agree(lab, "solution", build, outcome)]

    def check_memcheck(self, lab: int, build: Path) -> list[Check]:
        outcome = run_memcheck(build, lab)
        return [Check(lab, "memcheck", "Valgrind-clean", outcome.complete,
                      f"{outcome.passed}/{outcome.total}" + (
                          "" if outcome.complete else ": " + summarise_failures(outcome)))]

    def check_skeleton(self, lab: int) -> list[Check]:
        variant = Variant(lab, "skeleton", self.kit / "labs" / f"lab{lab}")
        built, output, build = build_variant(self.make, self.kit, variant, self.root_for(variant),
                                             self.test_build)
        if not built:
            return [Check(lab, "skeleton", "compiles without warnings", False, output.strip())]
        outcome = run_tests(test_binary(build, lab), env=test_env(build))
        passing = [r.name for r in outcome.results if r.passed]
        return [Check(lab, "skeleton", "fails every test", outcome.total > 0 and not passing,
                      f"{outcome.passed}/{outcome.total} pass" +
                      (": " + ", ".join(passing) if passing else "")),
                runners_agree(lab, "skeleton", build, outcome)]

    def check_mutant(self, lab: int, path: Path) -> list[Check]:
        """Applies the patch to the lab's solution, builds it, and proves the mistake is caught."""
        solutions = self.kit / "solutions" / f"lab{lab}"
        try:
            mutant = read_mutant(path)
            mutated = apply_mutant(mutant, (solutions / mutant.target).read_text(encoding="utf-8"))
        except (MutantError, OSError) as error:
            return [Check(lab, "mutant", path.stem, False, f"does not apply: {error}")]
        variant = Variant(lab, f"mutant-{mutant.name}", solutions, {mutant.target: mutated},
                          warnings_are_errors=False)
        built, output, build = build_variant(self.make, self.kit, variant, self.root_for(variant),
                                             self.test_build)
        refused = [Path(path).name for path in OBJCHECK_REFUSAL.findall(output)]
        if mutant.caught_by == (OBJCHECK,):
            return [Check(lab, "mutant", mutant.name, mutant.target in refused,
                          "caught by objcheck (refused before linking)" if mutant.target in refused
                          else "its header says 'Caught by: objcheck', but objcheck let "
                          f"{mutant.target} through" + (f": {output.strip()}" if not built else ""))]
        if not built:
            return [Check(lab, "mutant", mutant.name, False, "does not compile: " + output.strip())]
        tests = list_tests(test_binary(build, lab))
        unknown = [name for name in mutant.caught_by if name not in tests]
        if unknown:
            return [Check(lab, "mutant", mutant.name, False,
                          f"its header names {', '.join(unknown)}, but lab{lab} has no such test")]
        outcome = run_tests(test_binary(build, lab), env=test_env(build), expected=tests)
        return [self.verdict(lab, mutant, build, outcome),
                runners_agree(lab, mutant.name, build, outcome)]

    def verdict(self, lab: int, mutant: Mutant, build: Path, outcome: RunOutcome) -> Check:
        """Whether the mutant is caught: by the tests its header names, natively or under
        Valgrind."""
        if mutant.memory:
            return self.memory_verdict(lab, mutant, build, outcome)
        caught = failing_names(outcome)
        if not caught:
            return Check(lab, "mutant", mutant.name, False,
                         "SURVIVED: every test passes with this mistake")
        missed = [name for name in mutant.caught_by if name not in caught]
        if missed:
            return Check(lab, "mutant", mutant.name, False,
                         f"its header says 'Caught by: {', '.join(missed)}', but that passes "
                         f"with the mistake in place; the tests that fail: {', '.join(caught)}")
        others = len(caught) - len(mutant.caught_by)
        return Check(lab, "mutant", mutant.name, True, "caught by " + ", ".join(mutant.caught_by)
                     + (f" (and {others} more)" if others else ""))

    def memory_verdict(self, lab: int, mutant: Mutant, build: Path,
                       native: RunOutcome) -> Check:
        """A memory mutant must pass natively and fail under Valgrind the tests it names."""
        if not native.complete:
            return Check(lab, "mutant", mutant.name, False,
                         "a memory mutant must pass every test natively, but: " +
                         summarise_failures(native))
        outcome = run_memcheck(build, lab, only=list(mutant.caught_by))
        # Caught means failed for what Valgrind found (its log is cited), not stopped or missing.
        caught = [result.name for result in outcome.results
                  if result.status == "failed" and VALGRIND_LOG.search(result.message)]
        missed = [result for result in outcome.results if result.name not in caught]
        if missed:
            return Check(lab, "mutant", mutant.name, False, "SURVIVED make memcheck: " + "; ".join(
                f"{result.name} {result.status}" + (f" ({result.message.splitlines()[0]})"
                                                    if result.message else "")
                for result in missed))
        return Check(lab, "mutant", mutant.name, True,
                     "passes natively; under Valgrind caught by " + ", ".join(caught))

    def check_references(self, labs: list[int], builds: dict[int, Path]) -> list[Check]:
        """Handout sections, per-test tables and grader weights against the built tests."""
        tests = {lab: list_tests(test_binary(build, lab)) for lab, build in builds.items()}
        checks: list[Check] = []
        for lab in labs:
            if lab not in tests:
                continue
            problems, count = check_lab(self.kit, lab, tests[lab])
            checks.append(Check(lab, "references", f"{count} references agree", not problems,
                                "\n  ".join(problems)))
        if sorted(tests) == lab_numbers(self.kit):  # the weights name tests of every lab
            problems, count = check_weights(self.kit, tests)
            checks.append(Check(min(labs), "references",
                                f"grader/points.py: {count} weight patterns match tests",
                                not problems, "\n  ".join(problems)))
        return checks

    def run(self, labs: list[int], jobs: int) -> list[Check]:
        checks: list[Check] = []
        # Each job is one check, ready to run. Valgrind runs take longest: they start first so
        # that the pool packs well.
        slow_work: list[Callable[[], list[Check]]] = []
        work: list[Callable[[], list[Check]]] = []
        builds: dict[int, Path] = {}
        for lab in labs:
            failed, build = self.prepare(lab)
            checks += failed
            mutants = mutant_paths(self.kit, lab)
            checks.append(Check(lab, "mutant", f"at least {MIN_MUTANTS} mutants",
                                len(mutants) >= MIN_MUTANTS, f"{len(mutants)} found"))
            stale = stale_copies(self.kit, lab)
            if stale:
                checks.append(Check(lab, "mutant", "mutants are patches", False,
                                    "whole-file copies nothing runs (write each as a .patch, "
                                    "see tests/tools/mutants.py): " +
                                    ", ".join(path.name for path in stale)))
            if build is not None:
                builds[lab] = build
                slow_work.append(partial(self.check_memcheck, lab, build))
                work.append(partial(self.check_solution, lab, build))
            work.append(partial(self.check_skeleton, lab))
            work += [partial(self.check_mutant, lab, mutant) for mutant in mutants]
        checks += self.check_references(labs, builds)
        work = slow_work + work
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for found in pool.map(lambda job: job(), work):
                checks += found
        return checks


# How often a test whose verdicts differ is run again by both runners: a mutant that
# races (a signal against a blocking call) may go either way in any one run.
RUNNER_RETRIES = 2


def runners_agree(lab: int, variant: str, build: Path, criterion: RunOutcome) -> Check:
    """The fork runner (behind make memcheck) gives every test the verdict Criterion's
    runner gave it: the fast path judges the same LAB_TEST bodies the same way. A test
    whose verdicts differ is run again by both: it agrees when some pair of runs does
    (a racing mutant's test may go either way in one run), and it must agree by then."""
    binary = test_binary(build, lab)
    forking = fork_binary(build, lab)  # what make memcheck runs: the same objects, no Criterion
    names = [result.name for result in criterion.results]
    by_criterion = {result.name: {result.passed} for result in criterion.results}
    forked = run_forked(forking, env=test_env(build), expected=names)
    by_fork = {result.name: {result.passed} for result in forked.results}
    differ = [name for name in names if not by_criterion[name] & by_fork.get(name, set())]
    for _ in range(RUNNER_RETRIES):
        if not differ:
            break
        for result in run_tests(binary, env=test_env(build), only=differ).results:
            by_criterion[result.name].add(result.passed)
        for result in run_forked(forking, env=test_env(build), only=differ).results:
            by_fork.setdefault(result.name, set()).add(result.passed)
        differ = [name for name in differ if not by_criterion[name] & by_fork.get(name, set())]
    return Check(lab, "runners", f"{variant}: fork runner agrees with Criterion", not differ,
                 "same verdict for every test" if not differ else
                 "different verdicts: " + ", ".join(differ[:5]))


def print_table(labs: list[int], checks: list[Check]) -> None:
    print(f"{'lab':<5}{'solution':<12}{'memcheck':<12}{'skeleton':<16}{'mutants caught':<16}"
          f"{'runners agree':<14}{'references':<12}")
    for lab in labs:
        mine = [check for check in checks if check.lab == lab]

        def verdict(kind: str) -> str:
            found = [check for check in mine if check.kind == kind]
            if not found:
                return "-"
            return "ok" if all(check.ok for check in found) else "FAIL"

        mutants = [c for c in mine if c.kind == "mutant" and "--" in c.name]
        caught = sum(check.ok for check in mutants)
        print(f"{lab:<5}{verdict('solution'):<12}{verdict('memcheck'):<12}"
              f"{verdict('skeleton'):<16}{f'{caught}/{len(mutants)}':<16}"
              f"{verdict('runners'):<14}{verdict('references'):<12}")


def selftest(make: str, kit: Path, labs: list[int] | None = None, jobs: int = 2) -> int:
    started = time.monotonic()
    labs = labs or lab_numbers(kit)
    (kit / "build").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="selftest-", dir=kit / "build"))
    print(f"selftest: labs {', '.join(map(str, labs))} (solutions, Valgrind, skeletons, mutants)")
    checks = SelfTest(make, kit, scratch).run(labs, jobs)
    print_table(labs, checks)
    for check in checks:
        if check.kind == "mutant" and check.ok and "--" in check.name:
            print(f"  lab{check.lab} {check.name}: {check.detail}")
    failures = [check for check in checks if not check.ok]
    for check in failures:
        print(f"\nlab{check.lab} {check.kind} {check.name}: FAILED\n  {check.detail[:2000]}")
    if failures:
        print(f"\nThe builds are kept for a look: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nselftest took {time.monotonic() - started:.1f} s")
    print(f"selftest: {len(checks) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The kit's self-test (make test), or some labs of it.")
    parser.add_argument("--make", default="make", help="the make command that builds the labs")
    parser.add_argument("--labs", help="only these labs, e.g. '3' or '2 5' (default: every lab)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    kit = Path(__file__).resolve().parents[2]
    labs = [int(lab) for lab in args.labs.replace(",", " ").split()] if args.labs else None
    os.chdir(kit)
    return selftest(args.make, kit, labs, args.jobs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
