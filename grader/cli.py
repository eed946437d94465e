"""grader/grade: the command line. See grader/README.md."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from grader import safefs
from grader.batch import LabProgress, grade_all, submissions_in
from grader.grading import Grader, Settings, Stopped, valgrind_jobs
from grader.labs import labs_in_kit, lab, parse_lab_list
from grader.report import VISIBILITIES, Colours, CsvTable, write_json, write_text

KIT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str], known: list[int]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="grader/grade",
        description="Grade socketlab submissions (a folder laid out like the kit, or a "
                    ".tar.gz/.zip of one) against this kit's tests.")
    parser.add_argument("submission", nargs="?", type=Path,
                        help="the submission to grade (a folder, .tar.gz or .zip)")
    parser.add_argument("--labs", default=None,
                        help=f"labs to grade: 3, 1-7, 2,5 (default: every lab: "
                             f"{','.join(map(str, known))})")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write a Gradescope results.json to FILE")
    parser.add_argument("--cumulative", action="store_true",
                        help="build lab N with the submission's own labs 1..N-1 (default: "
                             "with the reference solutions, so one mistake costs points once)")
    parser.add_argument("--extra-tests", type=Path, metavar="DIR",
                        help="an instructor's own Criterion tests: DIR/labN/*.c join lab N's")
    parser.add_argument("--no-valgrind", action="store_true",
                        help="skip the Valgrind run (tests then earn their full points natively)")
    parser.add_argument("--batch", type=Path, metavar="DIR",
                        help="grade every folder or archive in DIR (needs --csv)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="with --batch: the grades table")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="with --batch: submissions graded at once (default: the cores)")
    parser.add_argument("--no-namespaces", action="store_true",
                        help="use no namespaces at all, even when bubblewrap or unshare "
                             "work (limits only: what most Gradescope containers give)")
    parser.add_argument("--require-namespaces", action="store_true",
                        help="refuse to grade (status 1) unless bubblewrap's namespaces work")
    parser.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_published",
                        help="with --json: Gradescope visibility of the --extra-tests "
                             "(default: after_published)")
    parser.add_argument("--verbose", action="store_true",
                        help="also show what each test run printed (escaped, cut)")
    args = parser.parse_args(argv)
    if (args.batch is None) == (args.submission is None):
        parser.error("give one SUBMISSION, or --batch DIR --csv FILE")
    if args.batch is not None and args.csv is None:
        parser.error("--batch needs --csv FILE")
    if args.batch is not None and args.json is not None:
        parser.error("--json is for one submission; --batch writes --csv")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.no_namespaces and args.require_namespaces:
        parser.error("--no-namespaces and --require-namespaces contradict each other")
    if args.labs is not None and not args.labs.strip():
        parser.error("--labs is empty: give lab numbers or ranges such as 1-7")
    try:
        args.lab_numbers = parse_lab_list(args.labs, known) if args.labs is not None else known
    except ValueError as error:
        parser.error(str(error))
    return args


def missing_tools(valgrind: bool) -> list[str]:
    tools = ["make", "cc", "pkg-config", "prlimit", "setpriv"] + (["valgrind"] if valgrind else [])
    return [tool for tool in tools if shutil.which(tool) is None]


def open_output(path: Path | None, what: str) -> TextIO | None:
    """An output file, opened before grading: a bad path fails now, not after the class."""
    if path is None:
        return None
    try:
        return open(path, "w", newline="" if what == "--csv" else None, encoding="utf-8")
    except OSError as error:
        print(f"grade: {what} {path}: cannot write it ({error.strerror})", file=sys.stderr)
        raise SystemExit(2) from error


def main(argv: list[str]) -> int:
    known = [entry.number for entry in labs_in_kit(KIT)]
    args = parse_args(argv, known)
    missing = missing_tools(not args.no_valgrind)
    if missing:
        print(f"grade: missing {', '.join(missing)}: run `make deps` first", file=sys.stderr)
        return 1
    if args.extra_tests is not None and not args.extra_tests.is_dir():
        print(f"grade: --extra-tests {args.extra_tests}: no such folder", file=sys.stderr)
        return 1
    if args.batch is not None and not args.batch.is_dir():
        print(f"grade: --batch {args.batch}: no such folder", file=sys.stderr)
        return 1
    output = open_output(args.csv if args.batch is not None else args.json,
                         "--csv" if args.batch is not None else "--json")
    graded = Path(os.path.abspath(args.batch if args.batch is not None else args.submission))
    hide = [] if graded == KIT or graded in KIT.parents else [graded]
    settings = Settings(KIT, [lab(number) for number in args.lab_numbers],
                        cumulative=args.cumulative, valgrind=not args.no_valgrind,
                        extra_tests=args.extra_tests.resolve() if args.extra_tests else None,
                        sandbox_mode="limits" if args.no_namespaces else None,
                        valgrind_shards=valgrind_jobs(args.jobs if args.batch else 1),
                        hide=hide)
    workdir = Path(tempfile.mkdtemp(prefix="socketlab-grade-"))
    workdir.chmod(0o711)
    grader: Grader | None = None
    previous = {signo: signal.getsignal(signo) for signo in (signal.SIGINT, signal.SIGTERM)}
    stopping: list[int] = []

    def on_signal(signo: int, _frame: object) -> None:
        """Stops every run (each kills its processes), then unwinds through the cleanups
        once; a second signal does not interrupt them."""
        if grader is not None:
            grader.stop()
        if not stopping:
            stopping.append(signo)
            raise Stopped(signo)

    for signo in previous:
        signal.signal(signo, on_signal)
    try:
        if args.batch is None:
            print("grade: building the reference solutions and the tests...", file=sys.stderr,
                  flush=True)
        grader = Grader(settings, workdir)
        with grader:
            if args.require_namespaces and not grader.sandbox.namespaces:
                print(f"grade: --require-namespaces: this machine cannot give them "
                      f"({grader.sandbox.describe()})", file=sys.stderr)
                return 1
            if args.batch is not None:
                return run_batch(grader, args, output)
            return run_one(grader, args, output)
    except Stopped as stopped:
        signo = stopped.args[0] if stopped.args else signal.SIGTERM
        print(f"grade: stopped by {signal.Signals(signo).name}: every sandboxed process was "
              f"killed and the scratch folders removed"
              + (f"; {args.csv} holds the submissions finished so far" if args.batch else ""),
              file=sys.stderr)
        return 128 + signo
    except RuntimeError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    finally:
        for signo, handler in previous.items():
            signal.signal(signo, handler)
        if output is not None:
            output.close()
        safefs.remove_tree(workdir)


def run_one(grader: Grader, args: argparse.Namespace, output: TextIO | None) -> int:
    result = grader.grade(args.submission, LabProgress(len(grader.settings.labs)))
    try:
        write_text(result, sys.stdout, Colours(sys.stdout.isatty()), args.verbose)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    if output is not None:
        write_json(result, output, args.hidden_visibility)
    if result.error:
        print(f"grade: {result.error}", file=sys.stderr)
        return 1
    return 0


def run_batch(grader: Grader, args: argparse.Namespace, output: TextIO | None) -> int:
    assert output is not None
    submissions = submissions_in(args.batch)
    table = CsvTable(output, [entry.name for entry in grader.settings.labs])
    results = grade_all(grader, submissions, args.jobs, on_row=table.add)
    broken = sum(1 for result in results if result.error)
    print(f"graded {len(results)} submissions into {args.csv}"
          + (f" ({broken} could not be read: see the notes column)" if broken else ""),
          file=sys.stderr)
    return 0
