#!/usr/bin/env python3
"""The echo server and the echo client talking, side by side (make demo).

    demo.py --build DIR --whose reference|yours|yours-only [--message TEXT]

Starts DIR/lab6/echo_server 127.0.0.1 0, reads the port from its
"Listening on" line, runs DIR/lab7/echo_client 127.0.0.1 PORT MESSAGE, and
prints what each program wrote in two columns, the commands on top, under a
line that says whose programs these are (--whose: the reference solutions,
yours, or yours because the kit has no solutions/). Every step has a deadline;
the server is killed if it is still running at the end. Exit status 0 when
both programs exited 0.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shlex
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

LISTENING = re.compile(r"^Listening on (\d+\.\d+\.\d+\.\d+):(\d+)$")
COLUMN_MAX = 56
WHOSE = {
    "reference": ("the reference programs (solutions/lab6 and solutions/lab7); "
                  "make demo MINE=1 runs yours", "reference"),
    "yours": ("your programs (labs/lab6/echo_server.c and labs/lab7/echo_client.c, "
              "each built on your earlier labs)", "yours"),
    "yours-only": ("your programs (labs/lab6/echo_server.c and labs/lab7/echo_client.c, "
                   "each built on your earlier labs): this kit has no solutions/, so there are no "
                   "reference programs to run", "yours"),
}


@dataclass
class ProgramRun:
    """What one program did: its command, what it printed and how it ended."""

    command: list[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    status: str = "not run"

    def shown_command(self) -> str:
        return "$ " + shlex.join([Path(self.command[0]).name, *self.command[1:]])

    def output_lines(self) -> list[str]:
        """Stdout, stderr (marked) and the exit status, as display lines."""
        return (self.stdout + [f"[stderr] {line}" for line in self.stderr]
                + [f"({self.status})"])


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


def start_server(build: Path) -> tuple[subprocess.Popen[bytes], ProgramRun]:
    command = [str(build / "lab6" / "echo_server"), "127.0.0.1", "0"]
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


def run_client(build: Path, port: str, message: str, timeout: float) -> ProgramRun:
    command = [str(build / "lab7" / "echo_client"), "127.0.0.1", port, message]
    run = ProgramRun(command)
    if not Path(command[0]).exists():
        run.stderr.append(f"{command[0]} is not built: build lab 7 first "
                          "(make lab7, or make demo, which builds it)")
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
                 right_run: ProgramRun) -> str:
    """Two columns; each program's command on its first line, never wrapped (it can be
    copied and pasted), the rest wrapped to the column."""
    left_output = left_run.output_lines()
    width = max(len(left_run.shown_command()),
                min(COLUMN_MAX, max(len(line) for line in [left_title, *left_output])))
    left = [left_run.shown_command()] + wrap(left_output, width)
    right = [right_run.shown_command()] + wrap(right_run.output_lines(), COLUMN_MAX)
    right_width = max(len(line) for line in [right_title, *right])
    rows = [f"{left_title:<{width}} | {right_title}", f"{'-' * width}-+-{'-' * right_width}"]
    for i in range(max(len(left), len(right))):
        one = left[i] if i < len(left) else ""
        two = right[i] if i < len(right) else ""
        rows.append(f"{one:<{width}} | {two}".rstrip())
    return "\n".join(rows)


def demo(build: Path, whose: str, message: str, timeout: float) -> int:
    heading, label = WHOSE[whose]
    print(f"make demo: {heading}.")
    program = build / "lab6" / "echo_server"
    if not program.exists():
        print(f"demo: {program} is not built: build lab 6 first (make lab6).", file=sys.stderr)
        return 1
    server, server_run = start_server(build)
    assert server.stdout is not None
    reader = LineReader(server.stdout.fileno())
    client_run = ProgramRun([str(build / "lab7" / "echo_client"), "127.0.0.1", "PORT", message])
    try:
        line = reader.read_line(time.monotonic() + timeout)
        match = LISTENING.match(line or "")
        if line is not None:
            server_run.stdout.append(line)
        if match:
            client_run = run_client(build, match.group(2), message, timeout)
        else:
            why = ("it ended without printing one" if ended_soon(server)
                   else f"none came within {timeout:g} s")
            client_run.stderr.append("not run: the server's \"Listening on HOST:PORT\" "
                                     f"line tells the port, and {why}")
        # A server whose client never ran waits for nobody: stop it now.
        finish_server(server, server_run, reader, timeout if client_run.status != "not run" else 0)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    print(side_by_side(f"server ({label})", server_run, f"client ({label})", client_run))
    both_fine = server_run.status == client_run.status == status_text(0)
    return 0 if both_fine else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=Path("build/solution"),
                        help="the build folder holding lab6/echo_server and lab7/echo_client")
    parser.add_argument("--whose", choices=sorted(WHOSE), default="reference",
                        help="whose programs DIR holds (said above the output)")
    parser.add_argument("--message", default="Hello from the C echo client!",
                        help="what the client sends")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds each step may take (default: 5)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    return demo(args.build, args.whose, args.message, args.timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
