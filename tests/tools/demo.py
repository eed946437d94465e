#!/usr/bin/env python3
"""The echo server and the echo client talking, side by side (make demo).

    demo.py --build DIR --whose reference|yours|yours-only [--lab 7|8|9] [--message TEXT]

Lab 7 (the default): starts DIR/lab6/echo_server 127.0.0.1 0, reads the port
from its "Listening on" line, runs DIR/lab7/echo_client 127.0.0.1 PORT
MESSAGE, and prints what each program wrote in two columns, the commands on
top, under a line that says whose programs these are (--whose: the reference
solutions, yours, or yours because the kit has no solutions/).

Lab 8: DIR/lab8/multi_echo_server, and three of lab 7's echo_client started
at the same moment while a connection from the demo stays silent (connected,
sending nothing); then SIGTERM stops the server. Lab 9: DIR/lab9/udp_echo_server
and DIR/lab9/udp_echo_client run twice, two clients on two ports served by one
socket; then SIGTERM stops the server.

Every step has a deadline; a program still running at the end is killed.
Exit status 0 when every program exited 0.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

LISTENING = re.compile(r"^Listening on (\d+\.\d+\.\d+\.\d+):(\d+)$")
COLUMN_MAX = 56
WHOSE = ("reference", "yours", "yours-only")
# The demo of each lab: its server and its client (program paths under the build).
PROGRAMS = {7: ("lab6/echo_server", "lab7/echo_client"),
            8: ("lab8/multi_echo_server", "lab7/echo_client"),
            9: ("lab9/udp_echo_server", "lab9/udp_echo_client")}
LAB8_MESSAGES = ("Hello from client 1!", "Client 2 here, at the same time.",
                 "And client 3: one server, one thread, three of us.")
LAB9_MESSAGES = ("Hello from the C UDP echo client!", "A second client, from another port.")


def heading(whose: str, lab: int) -> tuple[str, str]:
    """The line above the demo (whose programs ran) and the label of its columns."""
    server, client = (f"{path}.c" for path in PROGRAMS[lab])
    option = "" if lab == 7 else f" LAB={lab}"
    if whose == "reference":
        return (f"the reference programs (solutions/{server} and solutions/{client}); "
                f"make demo{option} MINE=1 runs yours", "reference")
    mine = f"your programs (labs/{server} and labs/{client}, each built on your earlier labs)"
    if whose == "yours-only":
        mine = mine[:-1] + ("): this kit has no solutions/, so there are no reference "
                            "programs to run")
    return mine, "yours"


@dataclass
class ProgramRun:
    """What one program did: its command, what it printed and how it ended."""

    command: list[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    status: str = "not run"
    events: list[str] = field(default_factory=list)  # what the demo did to it, in order

    def shown_command(self) -> str:
        return "$ " + shlex.join([Path(self.command[0]).name, *self.command[1:]])

    def output_lines(self) -> list[str]:
        """Stdout, stderr (marked), what the demo did to it and the exit status."""
        return (self.stdout + [f"[stderr] {line}" for line in self.stderr]
                + [f"[{event}]" for event in self.events] + [f"({self.status})"])

    @property
    def fine(self) -> bool:
        return self.status == status_text(0)


def status_text(returncode: int | None) -> str:
    if returncode is None:
        return "still running: stopped by the demo"
    if returncode < 0:
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def split_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines()


class LineReader:
    """Reads lines from a pipe with a deadline, keeping what comes after them."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def read_line(self, deadline: float) -> str | None:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", errors="replace")


def start_server(build: Path, program: str = "lab6/echo_server"
                 ) -> tuple[subprocess.Popen[bytes], ProgramRun]:
    command = [str(build / program), "127.0.0.1", "0"]
    run = ProgramRun(command)
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, bufsize=0)
    return server, run


def finish_server(server: subprocess.Popen[bytes], run: ProgramRun, reader: LineReader,
                  timeout: float) -> None:
    """Waits for the server to end (killing it after `timeout`) and collects its output."""
    killed = False
    try:
        out, err = server.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if server.poll() is None:
            server.kill()
            killed = True
        out, err = server.communicate()
    run.status = status_text(None if killed else server.returncode)
    run.stdout += split_lines(reader.buffer + out)
    run.stderr += split_lines(err)


def ended_soon(process: subprocess.Popen[bytes], grace: float = 0.5) -> bool:
    """True when the process has ended, or ends within `grace` seconds."""
    try:
        process.wait(timeout=grace)
        return True
    except subprocess.TimeoutExpired:
        return False


def run_client(build: Path, port: str, message: str, timeout: float,
               program: str = "lab7/echo_client") -> ProgramRun:
    command = [str(build / program), "127.0.0.1", port, message]
    run = ProgramRun(command)
    lab = program.split("/")[0]
    if not Path(command[0]).exists():
        run.stderr.append(f"{command[0]} is not built: build {lab} first "
                          f"(make {lab}, or make demo, which builds it)")
        return run
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
        run.stdout, run.stderr = split_lines(done.stdout), split_lines(done.stderr)
        run.status = status_text(done.returncode)
    except subprocess.TimeoutExpired as expired:
        run.stdout = split_lines(expired.stdout or b"")
        run.stderr = split_lines(expired.stderr or b"")
        run.status = status_text(None)
    return run


def wrap(lines: list[str], width: int) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, width, replace_whitespace=False) or [""]
    return wrapped


def side_by_side(left_title: str, left_run: ProgramRun, right_title: str,
                 right_runs: list[ProgramRun]) -> str:
    """Two columns, the server on the left, its clients one under the other on the right;
    each program's command on its first line, never wrapped (it can be copied and pasted),
    the rest wrapped to the column."""
    left_output = left_run.output_lines()
    width = max(len(left_run.shown_command()),
                min(COLUMN_MAX, max(len(line) for line in [left_title, *left_output])))
    left = [left_run.shown_command()] + wrap(left_output, width)
    right: list[str] = []
    for index, run in enumerate(right_runs):
        right += ([""] if index else []) + [run.shown_command()] + wrap(run.output_lines(),
                                                                        COLUMN_MAX)
    right_width = max(len(line) for line in [right_title, *right])
    rows = [f"{left_title:<{width}} | {right_title}", f"{'-' * width}-+-{'-' * right_width}"]
    for i in range(max(len(left), len(right))):
        one = left[i] if i < len(left) else ""
        two = right[i] if i < len(right) else ""
        rows.append(f"{one:<{width}} | {two}".rstrip())
    return "\n".join(rows)


@dataclass
class Served:
    """A server started for a demo: the process, what it did, and its port once known."""

    process: subprocess.Popen[bytes]
    run: ProgramRun
    reader: LineReader
    port: str = ""
    why_not: str = ""   # why there is no port


def serve(build: Path, program: str, timeout: float) -> Served:
    """Starts the server on port 0 and reads its port from the "Listening on" line."""
    process, run = start_server(build, program)
    assert process.stdout is not None
    served = Served(process, run, LineReader(process.stdout.fileno()))
    line = served.reader.read_line(time.monotonic() + timeout)
    match = LISTENING.match(line or "")
    if line is not None:
        run.stdout.append(line)
    if match:
        served.port = match.group(2)
    else:
        why = ("it ended without printing one" if ended_soon(process)
               else f"none came within {timeout:g} s")
        served.why_not = ("not run: the server's \"Listening on HOST:PORT\" line tells the "
                          f"port, and {why}")
    return served


def stop_server(served: Served, timeout: float) -> None:
    """SIGTERM (the way these servers are stopped), then what it printed and how it ended."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
        served.run.events.append("SIGTERM from the demo")
    finish_server(served.process, served.run, served.reader, timeout)


def not_run(build: Path, program: str, message: str, why: str) -> ProgramRun:
    run = ProgramRun([str(build / program), "127.0.0.1", "PORT", message])
    run.stderr.append(why)
    return run


def missing_server(build: Path, lab: int) -> bool:
    program = build / PROGRAMS[lab][0]
    if program.exists():
        return False
    print(f"demo: {program} is not built: build lab {program.parent.name[3:]} first "
          f"(make {program.parent.name}).", file=sys.stderr)
    return True


def demo(build: Path, whose: str, message: str, timeout: float) -> int:
    """Lab 7: echo_server and echo_client, one message."""
    text, label = heading(whose, 7)
    print(f"make demo: {text}.")
    if missing_server(build, 7):
        return 1
    served = serve(build, PROGRAMS[7][0], timeout)
    try:
        if served.port:
            client_run = run_client(build, served.port, message, timeout)
        else:
            client_run = not_run(build, PROGRAMS[7][1], message, served.why_not)
        # A server whose client never ran waits for nobody: stop it now.
        finish_server(served.process, served.run, served.reader,
                      timeout if client_run.status != "not run" else 0)
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
    print(side_by_side(f"server ({label})", served.run, f"client ({label})", [client_run]))
    return 0 if served.run.fine and client_run.fine else 1


def timed_client(build: Path, port: str, message: str, timeout: float) -> ProgramRun:
    started = time.monotonic()
    run = run_client(build, port, message, timeout)
    if run.fine:
        run.events.append(f"done {(time.monotonic() - started) * 1000:.0f} ms after it started")
    return run


def clients_beside_a_silent_one(build: Path, port: str, timeout: float) -> list[ProgramRun]:
    """The lab 8 clients, all started at once while a silent connection stays open."""
    try:
        silent = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
    except OSError as error:
        return [not_run(build, PROGRAMS[8][1], text, "not run: the demo's silent connection "
                        f"failed: {error.strerror or error}") for text in LAB8_MESSAGES]
    with silent, ThreadPoolExecutor(max_workers=len(LAB8_MESSAGES)) as pool:
        return list(pool.map(lambda text: timed_client(build, port, text, timeout),
                             LAB8_MESSAGES))


def demo_lab8(build: Path, whose: str, timeout: float) -> int:
    """Lab 8: three echo clients at the same moment, beside a silent connection."""
    text, label = heading(whose, 8)
    print(f"make demo LAB=8: {text}.")
    if missing_server(build, 8):
        return 1
    served = serve(build, PROGRAMS[8][0], timeout)
    try:
        clients = [not_run(build, PROGRAMS[8][1], text, served.why_not)
                   for text in LAB8_MESSAGES]
        if served.port:
            clients = clients_beside_a_silent_one(build, served.port, timeout)
        stop_server(served, timeout)
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
    print(side_by_side(f"server ({label})", served.run,
                       f"{len(clients)} clients at the same moment ({label})", clients))
    if served.port:
        print(textwrap.fill(
            "All the while a connection from the demo stayed open and silent (connected, sending "
            "nothing). Lab 6's echo_server would have served it first and kept the three "
            "clients waiting behind it; the hub's poll() loop serves whichever socket is ready.",
            COLUMN_MAX * 2))
    fine = served.run.fine and all(client.fine for client in clients)
    return 0 if fine else 1


def demo_lab9(build: Path, whose: str, timeout: float) -> int:
    """Lab 9: two UDP clients, one after the other, served by one socket."""
    text, label = heading(whose, 9)
    print(f"make demo LAB=9: {text}.")
    if missing_server(build, 9):
        return 1
    served = serve(build, PROGRAMS[9][0], timeout)
    clients: list[ProgramRun] = []
    try:
        for text in LAB9_MESSAGES:
            if not served.port:
                clients.append(not_run(build, PROGRAMS[9][1], text, served.why_not))
                continue
            clients.append(run_client(build, served.port, text, timeout, PROGRAMS[9][1]))
            # The server prints its "Echoed" line after the echo: read it before the next.
            line = served.reader.read_line(time.monotonic() + timeout)
            if line is not None:
                served.run.stdout.append(line)
        stop_server(served, timeout)
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
    print(side_by_side(f"server ({label})", served.run, f"two clients ({label})", clients))
    if served.port:
        print(textwrap.fill(
            "No accept and no connection: each datagram carries its sender's address, so one "
            "socket answers both clients, each on its own port (the \"Echoed\" lines).",
            COLUMN_MAX * 2))
    fine = served.run.fine and all(client.fine for client in clients)
    return 0 if fine else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=Path("build/solution"),
                        help="the build folder holding the lab's programs")
    parser.add_argument("--whose", choices=WHOSE, default="reference",
                        help="whose programs DIR holds (said above the output)")
    parser.add_argument("--lab", type=int, choices=sorted(PROGRAMS), default=7,
                        help="which demo: 7 (echo server and client, the default), 8 (many "
                             "clients at once), 9 (UDP)")
    parser.add_argument("--message", default="Hello from the C echo client!",
                        help="what the client sends (lab 7)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds each step may take (default: 5)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.lab == 8:
        return demo_lab8(args.build, args.whose, args.timeout)
    if args.lab == 9:
        return demo_lab9(args.build, args.whose, args.timeout)
    return demo(args.build, args.whose, args.message, args.timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
