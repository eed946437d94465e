#!/usr/bin/env python3
"""make lint: the kit's own code through static checkers (a few seconds).

    python3 -m tests.tools.lint --cc gcc --cflags "-std=c11 ... -Ilabs/lab1 ..."

  - shellcheck on every shell script (*.sh, and any file whose first line runs bash or sh);
  - pyflakes on every Python file (*.py, and any file whose first line runs Python);
  - mypy on the same files (its settings: grader/mypy.ini): one run for the packages with the
    scripts inside them (grader/, tests/, grader/grade), one per other folder of scripts
    (scripts in different folders may share a module name: tests/interop/run.py and
    tests/tools/trace/run.py);
  - gcc -fanalyzer on each reference solution (solutions/labN/*.c, with --cflags): any
    diagnostic counts, warning or not.

The tools come from `make deps`. Prints one line per check and what the tools found; exits 1
when any found something, 2 when a tool is missing.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
MYPY_CONFIG = Path("grader") / "mypy.ini"
SKIPPED_FOLDERS = {"build", "dist", "__pycache__"}  # and hidden folders but .ci
SHELL_SHEBANG = re.compile(rb"#!\s*(/usr/bin/env\s+)?(\S*/)?(ba|da)?sh\b")
PYTHON_SHEBANG = re.compile(rb"#!\s*(/usr/bin/env\s+)?(\S*/)?python3?\b")

# Analyzer findings that are known to be false, per solution file: the flags that silence them.
ANALYZER_EXCEPTIONS = {
    # hub_step serves the clients from the last one down, and forget() moves the last client
    # into the hole it leaves, so clients[0..count-1] is never NULL. GCC 12's analyzer does not
    # follow that invariant through the loop and reports NULL dereferences in forget, serve and
    # receive_into_room; every other analyzer check still runs on the file.
    "solutions/lab8/hub.c": ["-Wno-analyzer-null-dereference"],
}


@dataclass
class Finding:
    """One check's verdict: what ran, on how many files, and what it printed."""

    name: str
    files: int
    output: str
    passed: bool
    seconds: float


def kit_files(kit: Path) -> list[Path]:
    """Every file of the kit (relative paths, sorted), build output and VCS metadata aside."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(kit):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS
                               and (name == ".ci" or not name.startswith(".")))
        found += [Path(folder, name).relative_to(kit) for name in names]
    return sorted(found)


def first_line(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.readline(200)
    except OSError:
        return b""


def scripts(kit: Path, files: list[Path], suffix: str, shebang: re.Pattern[bytes]) -> list[Path]:
    """The files named *`suffix`, and those with no suffix whose first line is `shebang`."""
    return [path for path in files if path.suffix == suffix
            or (not path.suffix and shebang.match(first_line(kit / path)))]


def package_root(kit: Path, folder: Path) -> Path | None:
    """The top package a folder belongs to (its first part, when that has __init__.py), if any.
    Folders below it without __init__.py are namespace packages, like grader/runtime/."""
    if folder.parts and (kit / folder.parts[0] / "__init__.py").is_file():
        return Path(folder.parts[0])
    return None


def imports_siblings(kit: Path, scripts: list[Path]) -> bool:
    """Whether the scripts of one folder import each other by bare name (`from run import x`):
    they run with their folder on sys.path (tests/tools/trace/), not as part of a package."""
    siblings = {path.stem for path in scripts}
    for path in scripts:
        try:
            tree = ast.parse((kit / path).read_bytes())
        except (SyntaxError, ValueError):
            continue  # pyflakes reports it
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(alias.name in siblings for alias in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in siblings:
                return True
    return False


@dataclass
class MypyRun:
    label: str
    targets: list[Path]  # folders (packages) and files, as mypy is given them
    files: int
    excluded: list[Path] = field(default_factory=list)  # folders of scripts inside the targets
    scripts: bool = False  # a folder of scripts: module names stop at the folder


def mypy_runs(kit: Path, files: list[Path]) -> list[MypyRun]:
    """One run for the packages (with their scripts that have no .py, checked under their own
    name: mypy --scripts-are-modules), one for each folder of scripts: a run puts its scripts'
    folders on the import path, so folders apart keep an `import run` from finding another
    folder's run.py."""
    folders: dict[Path, list[Path]] = {}
    for path in files:
        folders.setdefault(path.parent, []).append(path)
    packages: set[Path] = set()
    in_packages: list[Path] = []
    script_folders: list[Path] = []
    for folder, scripts in sorted(folders.items()):
        root = package_root(kit, folder)
        plain = not (kit / folder / "__init__.py").is_file()
        if root is None or (plain and imports_siblings(kit, scripts)):
            script_folders.append(folder)
        else:
            packages.add(root)
            in_packages += scripts
    runs = []
    if packages:
        targets = [*sorted(packages), *(path for path in in_packages if path.suffix != ".py")]
        label = ", ".join(f"{path}/" if path in packages else str(path) for path in targets)
        inside = [folder for folder in script_folders if package_root(kit, folder) is not None]
        runs.append(MypyRun(label, targets, len(in_packages), inside))
    runs += [MypyRun(f"{folder}/", folders[folder], len(folders[folder]), scripts=True)
             for folder in script_folders]
    return runs


def run_check(name: str, command: list[str], files: int, kit: Path) -> Finding:
    started = time.monotonic()
    done = subprocess.run(command, cwd=kit, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace", check=False)
    return Finding(name, files, done.stdout.strip(), done.returncode == 0,
                   time.monotonic() - started)


def run_analyzer(cc: str, cflags: list[str], sources: list[Path], kit: Path) -> Finding:
    """gcc -fanalyzer on each source: passed only when the compiler printed nothing at all."""
    started = time.monotonic()
    outputs = []
    for source in sources:
        extra = ANALYZER_EXCEPTIONS.get(source.as_posix(), [])
        done = subprocess.run([cc, *cflags, "-fanalyzer", *extra, "-c", "-o", os.devnull,
                               str(source)], cwd=kit, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", check=False)
        if done.returncode != 0 or done.stdout.strip():
            outputs.append(done.stdout.strip() or f"{source}: {cc} exited {done.returncode}")
    return Finding(f"{cc} -fanalyzer", len(sources), "\n".join(outputs), not outputs,
                   time.monotonic() - started)


def find_tools(cc: str, analyze: bool) -> tuple[dict[str, str], list[str]]:
    """The checkers' commands (pyflakes3 on Debian, pyflakes on Fedora), and those missing.
    They are run as installed, with the system's Python, whichever python3 runs this."""
    found: dict[str, str] = {}
    missing: list[str] = []
    wanted = {"shellcheck": ("shellcheck",), "pyflakes": ("pyflakes3", "pyflakes"),
              "mypy": ("mypy",), **({cc: (cc,)} if analyze else {})}
    for tool, commands in wanted.items():
        command = next((shutil.which(name) for name in commands if shutil.which(name)), None)
        if command is None:
            missing.append(tool)
        else:
            found[tool] = command
    return found, missing


def lint(kit: Path, tools: dict[str, str], cc: str, cflags: list[str], jobs: int) -> list[Finding]:
    files = kit_files(kit)
    shell = scripts(kit, files, ".sh", SHELL_SHEBANG)
    python = scripts(kit, files, ".py", PYTHON_SHEBANG)
    solutions = [path for path in files if path.parts[0] == "solutions" and path.suffix == ".c"]
    checks = [("shellcheck", [tools["shellcheck"], *map(str, shell)], len(shell)),
              ("pyflakes", [tools["pyflakes"], *map(str, python)], len(python))]
    for run in mypy_runs(kit, python):
        name = run.label.split(",")[0].strip("/").replace("/", "_")
        cache = Path("build") / "lint" / "mypy-cache" / name
        skipped = "|".join(re.escape(f"{folder}/") for folder in run.excluded)
        command = [tools["mypy"], "--config-file", str(MYPY_CONFIG), "--cache-dir", str(cache),
                   "--scripts-are-modules", *(["--exclude", f"^({skipped})"] if skipped else []),
                   *(["--no-namespace-packages"] if run.scripts else []), *map(str, run.targets)]
        checks.append((f"mypy {run.label}", command, run.files))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_check, name, command, count, kit)
                   for name, command, count in checks]
        if solutions:
            futures.append(pool.submit(run_analyzer, cc, cflags, solutions, kit))
        return [future.result() for future in futures]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cc", default="gcc", help="the compiler whose -fanalyzer runs")
    parser.add_argument("--cflags", default="", help="flags for the solutions (the Makefile's)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    analyze = (KIT / "solutions").is_dir()
    tools, missing = find_tools(args.cc, analyze)
    if missing:
        print(f"lint: {', '.join(missing)} not installed. Run: make deps", file=sys.stderr)
        return 2
    started = time.monotonic()
    findings = lint(KIT, tools, args.cc, shlex.split(args.cflags), max(1, args.jobs))
    for finding in findings:
        verdict = "clean" if finding.passed else "FOUND PROBLEMS"
        print(f"lint: {finding.name}: {finding.files} files, {verdict} ({finding.seconds:.1f} s)")
        if not finding.passed:
            print("  " + finding.output.replace("\n", "\n  "))
    if not analyze:
        print("lint: no solutions/ in this kit: gcc -fanalyzer skipped")
    failed = [finding.name for finding in findings if not finding.passed]
    seconds = time.monotonic() - started
    if failed:
        print(f"lint: problems found by {', '.join(failed)} ({seconds:.1f} s)")
        return 1
    print(f"lint: everything clean ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
