"""What make trace prints and writes: the timelines side by side, the first difference, the
sequence diagram, and the same as Markdown (a Mermaid sequenceDiagram that GitHub draws)."""

from __future__ import annotations

import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

import wire
from run import Role, Run
from scenarios import Scenario
from steps import Difference, Step, compare, difference_time, fd_text, processes

MARK = ">>"


@dataclass
class RoleReport:
    """One program's timelines, yours and the reference's, and where they part."""

    name: str
    yours: Role | None
    reference: Role | None
    difference: Difference | None


def compare_roles(yours: Run, reference: Run) -> list[RoleReport]:
    names = list(dict.fromkeys([r.name for r in reference.roles] + [r.name for r in yours.roles]))
    reports = []
    for name in names:
        mine, ref = yours.role(name), reference.role(name)
        difference = compare(mine.steps if mine else [], ref.steps if ref else [])
        reports.append(RoleReport(name, mine, ref, difference))
    return reports


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def clock(step: Step, start: float) -> str:
    return f"{(step.time - start) * 1000:9.3f}"


def groups(steps: list[Step]) -> list[list[Step]]:
    """Steps cut after each compared step: the lines before it travel with it."""
    out: list[list[Step]] = [[]]
    for step in steps:
        out[-1].append(step)
        if step.key:
            out.append([])
    return [group for group in out if group]


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def side_by_side(mine: list[Step], ref: list[Step], starts: tuple[float, float], width: int,
                 marked: Step | None) -> list[str]:
    column = (width - 6) // 2
    lines = [f"   {'yours (ms)':<{column}} | reference (ms)"]
    left_groups, right_groups = groups(mine), groups(ref)
    for index in range(max(len(left_groups), len(right_groups))):
        left = left_groups[index] if index < len(left_groups) else []
        right = right_groups[index] if index < len(right_groups) else []
        # align the compared steps (last of each group): pad the shorter group on top
        left_rows = [row for step in left for row in rows(step, starts[0])]
        right_rows = [row for step in right for row in rows(step, starts[1])]
        height = max(len(left_rows), len(right_rows))
        left_rows = [("", None)] * (height - len(left_rows)) + left_rows
        right_rows = [("", None)] * (height - len(right_rows)) + right_rows
        for (text_a, a), (text_b, _) in zip(left_rows, right_rows):
            mark = MARK if marked is not None and a is marked else "  "
            lines.append(f"{mark} {fit(text_a, column):<{column}} | {fit(text_b, column)}"
                         .rstrip())
    return lines


def rows(step: Step | None, start: float) -> list[tuple[str, Step | None]]:
    """The display rows of a step: the first with its time (and the step, for the mark)."""
    if step is None:
        return [("", None)]
    first, *more = step.text.split("\n")
    return [(f"{clock(step, start)} {first}", step)] + [(f"{'':9} {line}", None) for line in more]


def role_lines(report: RoleReport, yours: Run, reference: Run, width: int) -> list[str]:
    role = report.yours or report.reference
    assert role
    lines = [f"{report.name}: {shlex.join([Path(role.command[0]).name, *role.command[1:]])}"]
    mine = report.yours.steps if report.yours else []
    ref = report.reference.steps if report.reference else []
    mine_pids, ref_pids = processes(mine), processes(ref)
    marked = report.difference.yours if report.difference else None
    for rank in range(max(len(mine_pids), len(ref_pids), 1)):
        a = [s for s in mine if rank < len(mine_pids) and s.pid == mine_pids[rank]]
        b = [s for s in ref if rank < len(ref_pids) and s.pid == ref_pids[rank]]
        if rank and not any(step.kind not in ("exit", "signal") for step in a + b):
            continue  # a helper process that did nothing with sockets
        if max(len(mine_pids), len(ref_pids)) > 1:
            lines.append("  " + ("the program's process" if rank == 0
                                 else f"child process {rank} (forked)"))
        lines += side_by_side(a, b, (yours.start, reference.start), width, marked)
    if report.yours and report.yours.stopped:
        lines.append(f"   (yours was still running after {yours.timeout:g} s and was stopped: "
                     f"{stopped_where(report.yours)})")
    return lines


def stopped_where(role: Role) -> str:
    waiting = [step.calls[-1] for step in role.steps
               if step.calls and step.calls[-1].result == ""]
    if waiting:
        return f"it was waiting in {waiting[-1].name}({fd_text(waiting[-1])}...)"
    return "it was not in a socket call"


def skeleton_sentence(yours: Run, reference: Run | None) -> str:
    """The sentence for a run that made no socket call while the reference made some."""
    made = any(step.key and step.kind != "exit" for role in yours.roles for step in role.steps)
    expected = reference is None or any(step.key and step.kind != "exit"
                                        for role in reference.roles for step in role.steps)
    if made or not expected:
        return ""
    enosys = any("ENOSYS" in step.text for role in yours.roles for step in role.steps)
    unwritten = any("not written yet" in role.stderr for role in yours.roles)
    if enosys or unwritten:
        why = " and ".join(
            ([("the skeleton's functions set errno to ENOSYS and return -1")] if enosys else [])
            + (["the skeleton's programs print \"not written yet\" and exit"] if unwritten
               else []))
        return ("Your code made no socket system call, so nothing reached the wire: "
                f"{why} before asking the kernel for anything. This is expected until you "
                "write them" + ("; the reference column shows what to aim for." if reference
                                 else "."))
    return ("Your code made no socket system call, so nothing reached the wire (see its "
            "output above).")


def report_time(report: RoleReport) -> float:
    assert report.difference
    mine = [s for s in (report.yours.steps if report.yours else []) if s.key]
    return difference_time(report.difference, mine)


def difference_lines(reports: list[RoleReport]) -> list[str]:
    found = [r for r in reports if r.difference]
    if not found:
        return ["First difference: none: your system calls match the reference's, step by step."]
    first = min(found, key=report_time)
    assert first.difference
    where = "" if first.difference.process == 0 else f", child process {first.difference.process}"
    marked = f", marked {MARK}" if first.difference.yours else ""
    return [f"First difference ({first.name}{where}{marked}): {first.difference.sentence}"]


def arrow_side(diagram: wire.Diagram, arrow: wire.Arrow) -> str:
    """">" for client to server, "<" back; with several clients, their number too (">2")."""
    client = diagram.name(arrow.src) if diagram.name(arrow.src).startswith("client") \
        else diagram.name(arrow.dst)
    number = client.split()[1] if client.startswith("client ") and \
        client.split()[1].isdigit() else ""
    if not client.startswith("client"):  # no handshake seen: the first endpoint's view
        first = diagram.endpoints[0] if diagram.endpoints else ""
        return ">" if arrow.src == first else "<"
    return (">" if diagram.name(arrow.src).startswith("client") else "<") + number


def merged_summary(diagram: wire.Diagram) -> list[str]:
    """Arrow words with consecutive data in one direction added up (timing-proof)."""
    words: list[str] = []
    total, direction = 0, ""
    for arrow in diagram.arrows:
        side = arrow_side(diagram, arrow)
        if arrow.kind == "retransmission":
            continue  # the network's doing, not the program's
        if arrow.kind == "FIN" and arrow.size:  # data that rode on the FIN counts as data
            if direction == side:
                total += arrow.size
                words[-1] = f"{total} bytes {side}"
            else:
                words.append(f"{arrow.size} bytes {side}")
        if arrow.kind == "data":
            if direction == side:
                total += arrow.size
                words[-1] = f"{total} bytes {side}"
                continue
            total, direction = arrow.size, side
            words.append(f"{total} bytes {side}")
            continue
        direction = ""
        words.append(f"UDP {arrow.size} bytes {side}" if arrow.kind == "UDP"
                     else f"{arrow.kind} {side}")
    return words


def wire_lines(yours: Run, reference: Run | None,
               width: int) -> tuple[list[str], wire.Diagram | None]:
    if yours.segments is None:
        return ["Packets: not captured (see what is missing above)."], None
    diagram = wire.build_diagram(yours.segments, yours.start)
    lines = ["Packets on the private loopback (yours):", wire.to_text(diagram, width)]
    if diagram.bare_acks:
        lines.append(f"   ({diagram.bare_acks} bare ACKs not drawn)")
    if reference and reference.segments is not None:
        ref = wire.build_diagram(reference.segments)
        a, b = merged_summary(diagram), merged_summary(ref)
        if not a and b:
            lines.append("Packets: none from yours; the reference's: " + ", ".join(b))
        elif a == b:
            lines.append("Packets: the same as the reference's: " + ", ".join(a))
        else:
            i = next(i for i in range(max(len(a), len(b)))
                     if i >= len(a) or i >= len(b) or a[i] != b[i])
            mine = a[i] if i < len(a) else "nothing more"
            theirs = b[i] if i < len(b) else "nothing more"
            lines.append(f"Packets: yours part from the reference's at packet {i + 1}: yours "
                         f"{mine}, the reference {theirs} (> client to server, < back; >2: client 2)")
    return lines, diagram


def single_column(run: Run) -> list[str]:
    """One run's timelines, one program after the other, nothing cut."""
    lines: list[str] = []
    for role in run.roles:
        lines.append(f"{role.name}: {shlex.join([Path(role.command[0]).name, *role.command[1:]])}")
        pids = processes(role.steps)
        for rank, pid in enumerate(pids):
            if rank and len(pids) > 1:
                lines.append(f"  child process {rank} (forked)")
            for step in role.steps:
                if step.pid == pid:
                    lines += [text for text, _ in rows(step, run.start)]
        lines.append("")
    return lines


def output_lines(run: Run) -> list[str]:
    lines = []
    for role in run.roles + run.peers:
        status = (f"still running after {run.timeout:g} s: stopped" if role.stopped else
                  f"exit status {role.status}" if role.status is not None and role.status >= 0
                  else f"killed by signal {-(role.status or 0)}")
        shown = [f"    {line}" for line in role.stdout.splitlines()[:6]]
        shown += [f"    [stderr] {line}" for line in role.stderr.splitlines()
                  if not line.startswith("@ ")][:6]
        lines.append(f"  {role.name} ({status})" + (":" if shown else ""))
        lines += shown
    return lines


@dataclass
class Report:
    """What make trace prints, and the two files it writes."""

    text: str
    markdown: str
    timeline: str
    differences: list[RoleReport]


def prose(text: str, columns: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=min(columns, 110), initial_indent=indent,
                         subsequent_indent=indent + "  ")


def head_lines(lab: int, scenario: Scenario, title: str, missing: list[str], notes: list[str],
               width: int) -> list[str]:
    head = [f"make trace: lab {lab}, {title}"]
    for words in ([f"{sentence_case(scenario.title)}.", f"Look for: {scenario.notice}."]
                  + [f"Missing: {item}." for item in missing]
                  + [f"Note: {note}." for note in notes]):
        head += prose(words, width, "  ")
    return head


def timeline_lines(yours: Run, reference: Run | None, roles: list[RoleReport],
                   columns: int) -> list[str]:
    """The system calls: side by side with the reference's, or alone when there is none."""
    if not any(role.traced for role in yours.roles):
        return ["System calls: not traced (strace is missing, see above)."]
    sentence = skeleton_sentence(yours, reference)
    if reference is None:
        return (prose("System calls (ms since your first call; this kit has no reference "
                      "solutions to compare with):", columns) + single_column(yours)
                + (prose(sentence, columns) if sentence else []))
    body = prose("System calls, yours next to the reference's (descriptors as <local->remote>, "
                 "127.0.0.1 left out; ms since your first call, the same clock as the "
                 "packets'; a call that waited is shown when it began):", columns)
    for report in roles:
        body += role_lines(report, yours, reference, columns) + [""]
    if sentence:
        body += prose(sentence, columns)
    checks = [step.text.split("check: ", 1)[1] for role in yours.roles
              for step in role.steps if step.kind == "contract" and "check: " in step.text]
    found = [f"The reader's check failed: {checks[0]}."] if checks else []
    return body + difference_lines(roles) + found  # one line each: easy to find


def build_report(lab: int, scenario: Scenario, yours: Run, reference: Run | None,
                 missing: list[str], width: int, title: str) -> Report:
    roles = compare_roles(yours, reference) if reference else []
    head = head_lines(lab, scenario, title, missing, yours.notes, width)
    ss_lines = []
    for when, shown in yours.ss:
        ss_lines += [f"ss -tan, {when}:"] + [f"    {line.rstrip()}" for line in shown.splitlines()]
    wires, diagram = wire_lines(yours, reference, width)
    outputs = ["What the programs printed:"] + output_lines(yours)
    text = "\n".join(head + [""] + timeline_lines(yours, reference, roles, width) + [""]
                     + ss_lines + wires + [""] + outputs)
    alone = ["", "Yours alone, every line in full:"] + single_column(yours)
    timeline = "\n".join(head + [""] + timeline_lines(yours, reference, roles, 200) + [""]
                         + outputs + alone) + "\n"
    markdown = to_markdown(lab, scenario, title, [f"Missing: {m}" for m in missing],
                           yours.notes, timeline_lines(yours, reference, roles, 150), ss_lines,
                           wires, diagram, outputs)
    return Report(text, markdown, timeline, roles)


def to_markdown(lab: int, scenario: Scenario, title: str, missing: list[str], notes: list[str],
                timeline: list[str],
                ss_lines: list[str], wires: list[str], diagram: wire.Diagram | None,
                outputs: list[str]) -> str:
    parts = [f"# make trace: lab {lab}, {title}", "", f"{sentence_case(scenario.title)}.", "",
             f"Look for: {scenario.notice}.", ""]
    parts += [f"{item}." for item in missing] + [f"Note: {note}." for note in notes]
    if diagram is not None:
        parts += ["## Packets", "", wire.to_mermaid(diagram), ""]
        if diagram.bare_acks:
            parts += [f"{diagram.bare_acks} bare ACKs are not drawn.", ""]
        parts += [line for line in wires[2:] if line.startswith("Packets:")] + [""]
    else:
        parts += ["## Packets", "", wires[0], ""]
    parts += ["## System calls", "", "```text", *timeline, "```", ""]
    if ss_lines:
        parts += ["## ss", "", "```text", *ss_lines, "```", ""]
    parts += ["## Output", "", "```text", *outputs[1:], "```", ""]
    return "\n".join(parts)
