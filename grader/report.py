"""The three ways a grade is written: a text report, Gradescope's results.json, a CSV row."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from grader.results import LabResult, SubmissionResult, TestScore
from grader.runtime.checkview import Colours, lab_topic
from grader.text import escape, escape_name


def lab_title(lab: LabResult) -> str:
    topic = lab_topic(lab.number)
    return f"{lab.name}: {topic}" if topic else lab.name


def _indent(text: str, prefix: str = "        ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def test_line(test: TestScore, colours: Colours) -> str:
    label = "PASS" if test.passed else ("FAIL" if test.status == "failed" else test.status.upper())
    score = f"{test.points:5.2f}/{test.max_points:.2f}"
    memo = ""
    if test.passed and test.valgrind and test.valgrind != "clean":
        label, memo = "LEAK", "  (passes, but not under Valgrind)"
    painted = colours.good(label) if label == "PASS" else (
        colours.warn(label) if label == "LEAK" else colours.bad(label))
    return f"  {painted:<4}  {score}  {test.name}{memo}"


def write_text(result: SubmissionResult, out: TextIO, colours: Colours, verbose: bool = False) -> None:
    print(colours.bold(f"socketlab grade: {escape_name(result.name)}"), file=out)
    print(result.containment, file=out)
    if result.error:
        print(colours.bad(f"could not grade: {result.error}"), file=out)
    for note in result.notes:
        print(f"note: {escape(note, 400)}", file=out)
    for lab in result.labs:
        write_lab(lab, out, colours, verbose)
    total = f"total: {result.points:.2f}/{result.max_points:.2f}"
    summary = "  ".join(f"{lab.name} {lab.points:.2f}" for lab in result.labs)
    print(f"\n{colours.bold(total)}   ({summary})", file=out)


def write_lab(lab: LabResult, out: TextIO, colours: Colours, verbose: bool) -> None:
    print(f"\n{colours.bold(lab_title(lab))}", file=out)
    for note in lab.notes:
        print(f"  note: {escape(note, 400)}", file=out)
    if lab.build_output and (not lab.built or "warning" in lab.build_output):
        heading = "compiler says:" if not lab.built else "compiler warnings:"
        print(f"  {heading}\n{_indent(lab.build_output, '    ')}", file=out)
    for test in lab.tests:
        print(test_line(test, colours), file=out)
        if not test.passed and test.status != "not built":
            print(_indent(escape(test.message or "(no message)")), file=out)
        elif test.passed and test.valgrind and test.valgrind != "clean":
            print(_indent(escape(test.valgrind, 3000)), file=out)
    if verbose and lab.run_output:
        print("  what the test run printed (escaped, cut):", file=out)
        print(_indent(lab.run_output, "    "), file=out)
    line = (f"{lab.name}: {lab.points:.2f}/{lab.max_points:.2f}  ({lab.passed}/{len(lab.tests)} "
            f"tests pass, graded in {lab.seconds:.1f} s)")
    full = lab.tests and lab.points >= lab.max_points - 0.005
    print(colours.good(line) if full else colours.bad(line), file=out)


VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def gradescope(result: SubmissionResult, hidden_visibility: str = "after_published") -> dict:
    """results.json as Gradescope reads it. Hidden tests (--extra-tests) get
    `visibility` = hidden_visibility, one of Gradescope's VISIBILITIES."""
    assert hidden_visibility in VISIBILITIES
    tests: list[dict] = []
    for lab in result.labs:
        if not lab.built and lab.build_output:
            tests.append({"name": f"{lab.name}: build", "score": 0, "max_score": 0,
                          "status": "failed", "output": lab.build_output})
        if not lab.tests:
            tests.append({"name": f"{lab.name}: tests", "score": 0,
                          "max_score": round(lab.max_points, 2), "status": "failed",
                          "output": "; ".join(lab.notes) or "no test could be run"})
        for test in lab.tests:
            output = test.message if not test.passed else ""
            if test.passed and test.valgrind and test.valgrind != "clean":
                output = "Passes natively, but not under Valgrind:\n" + test.valgrind
            entry = {"name": f"{lab.name}: {test.name}", "score": round(test.points, 2),
                     "max_score": round(test.max_points, 2),
                     "status": "passed" if test.points >= test.max_points - 0.005 and
                     test.max_points > 0 else "failed",
                     "output": escape(output, 4000)}
            if test.hidden:
                entry["visibility"] = hidden_visibility
            tests.append(entry)
    lines = [result.containment, *(f"note: {note}" for note in result.notes)]
    if result.error:
        lines.insert(0, f"could not grade: {result.error}")
    lines += [f"{lab.name}: {lab.points:.2f}/{lab.max_points:.2f}" +
              ("".join(f"; {note}" for note in lab.notes)) for lab in result.labs]
    return {"score": result.points, "max_score": result.max_points,
            "execution_time": round(result.seconds, 2), "output": escape("\n".join(lines), 8000),
            "extra_data": {"isolation": result.isolation}, "tests": tests}


def write_json(result: SubmissionResult, out: TextIO, hidden_visibility: str = "after_published") -> None:
    """results.json into `out` (opened before grading, so a bad path fails first)."""
    out.write(json.dumps(gradescope(result, hidden_visibility), indent=2, ensure_ascii=False) + "\n")
    out.flush()


def csv_header(lab_names: list[str]) -> list[str]:
    return ["submission", *lab_names, "total", "notes"]


def first_error(build_output: str) -> str:
    """The compiler's (or the object check's) first complaint, for a one-line note."""
    for line in build_output.splitlines():
        if "error" in line or line.strip().startswith("objcheck:"):
            return line.strip()[:300]
    return ""


def csv_row(result: SubmissionResult, lab_count: int | None = None) -> list[str]:
    """One submission's row; `lab_count` pads a row with no lab results (an entry that
    could not be graded at all)."""
    isolation = [f"isolation: {result.isolation}"] if result.isolation not in ("", "bwrap") else []
    lab_notes = [f"{lab.name}: {note}" for lab in result.labs for note in lab.notes
                 if note != result.error]
    lab_notes += [f"{lab.name}: {first_error(lab.build_output)}" for lab in result.labs
                  if not lab.built and first_error(lab.build_output)]
    notes = ([result.error] if result.error else []) + isolation + result.notes + lab_notes
    scores = [f"{lab.points:.2f}" for lab in result.labs]
    if lab_count is not None and len(scores) < lab_count:
        scores += ["0.00"] * (lab_count - len(scores))
    return [escape_name(result.name), *scores, f"{result.points:.2f}",
            escape(" | ".join(notes), 1000).replace("\n", " ")]


class CsvTable:
    """The grades table, written (and flushed) one row at a time."""

    def __init__(self, out: TextIO, lab_names: list[str]) -> None:
        self.out = out
        self.lab_count = len(lab_names)
        self.writer = csv.writer(out)
        self.writer.writerow(csv_header(lab_names))
        out.flush()

    def add(self, result: SubmissionResult) -> None:
        self.writer.writerow(csv_row(result, self.lab_count))
        self.out.flush()


def write_csv(results: list[SubmissionResult], lab_names: list[str], out: TextIO) -> None:
    table = CsvTable(out, lab_names)
    for result in results:
        table.add(result)
