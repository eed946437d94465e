"""Gradescope's run_autograder: grade the submission as autograder.ini says.

    cd /autograder/source && python3 -m grader.gradescope.run

Reads SOURCE/autograder.ini (see grader/README.md), runs grader/grade on the submission
folder with those labs, hidden tests and options, and makes sure results.json exists:
when the grader itself cannot run, a results.json with score 0 says why.
"""

from __future__ import annotations

import argparse
import configparser
import json
import subprocess
import sys
from pathlib import Path

from grader.report import VISIBILITIES

DEFAULTS = {"labs": "", "hidden_tests": "", "hidden_visibility": "after_published",
            "valgrind": "yes", "require_namespaces": "no"}


class ConfigError(Exception):
    """autograder.ini says something the grader cannot do."""


def grade_arguments(source: Path, submission: Path, results: Path) -> list[str]:
    """grader/grade's arguments from SOURCE/autograder.ini (defaults when it is absent)."""
    config = configparser.ConfigParser(defaults=DEFAULTS, interpolation=None)
    path = source / "autograder.ini"
    if path.exists():
        try:
            config.read(path, encoding="utf-8")
        except configparser.Error as error:
            raise ConfigError(f"{path.name}: {error}") from error
    section = config["grade"] if config.has_section("grade") else config[config.default_section]
    arguments = [str(submission), "--json", str(results)]
    if section.get("labs", "").strip():
        arguments += ["--labs", section["labs"].strip()]
    hidden = section.get("hidden_tests", "").strip()
    if hidden:
        folder = (source / hidden).resolve()
        if source.resolve() not in folder.parents or not folder.is_dir():
            raise ConfigError(f"{path.name}: hidden_tests = {hidden}: no such folder inside "
                              "the autograder")
        arguments += ["--extra-tests", str(folder)]
    visibility = section.get("hidden_visibility", "after_published").strip()
    if visibility not in VISIBILITIES:
        raise ConfigError(f"{path.name}: hidden_visibility = {visibility}: use one of "
                          f"{', '.join(VISIBILITIES)}")
    arguments += ["--hidden-visibility", visibility]
    try:
        if not section.getboolean("valgrind", True):
            arguments.append("--no-valgrind")
        if section.getboolean("require_namespaces", False):
            arguments.append("--require-namespaces")
    except ValueError as error:
        raise ConfigError(f"{path.name}: {error}") from error
    return arguments


def write_failure(results: Path, reason: str) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({
        "score": 0, "output": "The autograder could not grade this submission:\n" + reason[-4000:],
        "tests": []}) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=Path("/autograder/source"))
    parser.add_argument("--submission", type=Path, default=Path("/autograder/submission"))
    parser.add_argument("--results", type=Path, default=Path("/autograder/results/results.json"))
    args = parser.parse_args(argv)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    try:
        arguments = grade_arguments(args.source, args.submission, args.results)
    except ConfigError as error:
        write_failure(args.results, str(error))
        print(f"run_autograder: {error}", file=sys.stderr)
        return 1
    done = subprocess.run([sys.executable, "-m", "grader", *arguments], cwd=args.source,
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          errors="replace", check=False)
    sys.stderr.write(done.stderr)
    if done.returncode != 0 and (not args.results.exists() or args.results.stat().st_size == 0):
        write_failure(args.results, done.stderr or f"grader/grade ended with status {done.returncode}")
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
