#!/usr/bin/env python3
"""Interoperability: a lab's echo programs against independent peers (make interop).

    run.py --build DIR --lab N        (N >= 6; the programs are DIR/lab6/echo_server,
                                       from lab 7 on DIR/lab7/echo_client, from lab 8
                                       on DIR/lab8/multi_echo_server, and from lab 9 on
                                       DIR/lab9/udp_echo_server and udp_echo_client)

Each pairing starts a server on 127.0.0.1 at a free port (PORT 0, read back
from its "Listening on HOST:PORT" line), runs a client against it with a
message, and checks both sides: the client prints "Received: MESSAGE" and
exits 0; the server prints "Connected by: ..." and exits 0 once the client
has gone. From lab 8 on, multi_echo_server serves every kind of client at
once beside a silent connection, then stops on SIGTERM with exit status 0.
From lab 9 on, the UDP pairings: udp_echo_server against a Python UDP
client, the reference's client and nc -u, then all of them at once;
udp_echo_client against a Python UDP echo server and the reference's; the
server prints "Echoed N bytes to ..." for each datagram and stops on
SIGTERM with exit status 0. The peers are the Python programs next to this
file (written in the style of the tutorial), the reference solution's
programs when the kit has them, and nc when it is installed. Every process
has a deadline and is killed and reaped when it passes; nothing waits for a
fixed time. Prints one line per pairing (PASS, FAIL or SKIP with the
reason) and exits 1 when a pairing fails.
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
KIT = HERE.parents[1]
HOST = "127.0.0.1"
MESSAGES = (
    "Hello from interop: ñandú, 'quotes', -dash",
    "long message " + "0123456789abcdef" * 3000,  # about 48 KB: many pieces on the way
)
UDP_MESSAGES = (
    "Hello from interop (UDP): ñandú, 'quotes', -dash",
    "",  # a datagram of 0 bytes is a real datagram, echoed as one
    "big datagram " + "0123456789abcdef" * 3000,  # about 48 KB in one datagram
)
# nc -u sends what one read() of its stdin returns as one datagram: short ones only.
NC_UDP_MESSAGES = (UDP_MESSAGES[0], "line of 1200 bytes " + "x" * 1181)
ECHOED = re.compile(r"^Echoed (\d+) bytes to 127\.0\.0\.1:\d+$")
COLUMN = 28


# ---- running programs with deadlines ----------------------------------------------


class Program:
    """A program started with pipes; everything it does is bounded by deadlines."""

    def __init__(self, command: list[str], stdin: bytes | None = None,
                 keep_stdin_open: bool = False) -> None:
        self.command = command
        self._keep_stdin_open = keep_stdin_open
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=KIT)
        self.stdout = b""
        self.stderr = b""
        self.killed = False
        self._stdin_data = stdin
        self._consumed = 0
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream in (self.process.stdout, self.process.stderr):
            os.set_blocking(stream.fileno(), False)
            self._selector.register(stream, selectors.EVENT_READ)
        if stdin is not None:
            assert self.process.stdin is not None
            os.set_blocking(self.process.stdin.fileno(), False)
            self._selector.register(self.process.stdin, selectors.EVENT_WRITE)

    def _pump(self, until: float) -> bool:
        """Moves data through the pipes until `until`; False when nothing is left open."""
        if not self._selector.get_map():
            return False
        for key, _ in self._selector.select(max(0.0, until - time.monotonic())):
            stream = key.fileobj
            if stream is self.process.stdin:
                self._feed_stdin()
                continue
            chunk = os.read(key.fd, 65536)
            if not chunk:
                self._selector.unregister(stream)
                continue
            if stream is self.process.stdout:
                self.stdout += chunk
            else:
                self.stderr += chunk
        return True

    def _feed_stdin(self) -> None:
        assert self.process.stdin is not None and self._stdin_data is not None
        try:
            written = os.write(self.process.stdin.fileno(), self._stdin_data[:65536])
        except BlockingIOError:
            return
        except BrokenPipeError:  # the program stopped reading: drop the rest
            written = len(self._stdin_data)
        self._stdin_data = self._stdin_data[written:]
        if not self._stdin_data:
            self._selector.unregister(self.process.stdin)
            if not self._keep_stdin_open:  # else kill() closes it
                self.process.stdin.close()

    def read_line(self, timeout: float) -> str | None:
        """The next line of stdout (without its newline), or None at EOF or the deadline."""
        until = time.monotonic() + timeout
        while True:
            newline = self.stdout.find(b"\n", self._consumed)
            if newline != -1:
                line = self.stdout[self._consumed:newline]
                self._consumed = newline + 1
                return line.decode("utf-8", errors="replace")
            if time.monotonic() >= until or not self._pump(until):
                return None

    def wait_for_output(self, length: int, timeout: float) -> bool:
        """Reads stdout until it holds `length` bytes; False at EOF or the deadline."""
        until = time.monotonic() + timeout
        while len(self.stdout) < length:
            if time.monotonic() >= until or not self._pump(until):
                return False
        return True

    def stop(self, timeout: float) -> int | None:
        """SIGTERM, then waits for the exit; None if it had to be killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float) -> int | None:
        """Waits for the program to exit, reading its output; None if it was killed."""
        until = time.monotonic() + timeout
        while time.monotonic() < until and self._pump(until):
            pass
        try:
            return self.process.wait(max(0.0, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """Kills the program and everything it started, reaps it, closes the pipes."""
        if self.process.poll() is None:
            self.killed = True
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self._selector.close()


def shown(data: bytes, limit: int = 90) -> str:
    """Bytes as readable text for a report, cut after `limit` characters."""
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + "...'"


def exit_text(code: int | None) -> str:
    if code is None:
        return "still running at the deadline: killed"
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit status {code}"


# ---- the peers ----------------------------------------------------------------------


@dataclass
class Peer:
    """One side of a pairing: how to start it, or why it cannot be used."""

    name: str
    command: list[str] = field(default_factory=list)
    skip_reason: str = ""


def python_command(script: str) -> list[str]:
    return [sys.executable, str(HERE / script)]


def student_peer(build: Path, lab: int, program: str, lab_of_program: int) -> Peer:
    name = f"your {program}"
    if lab < lab_of_program:
        return Peer(name, skip_reason=f"lab {lab}: {program} is lab {lab_of_program}'s program")
    path = build / f"lab{lab_of_program}" / program
    if not path.exists():
        return Peer(name, skip_reason=f"{path} is not built (make lab{lab})")
    return Peer(name, [str(path.resolve())])


def reference_build(make: str, lab: int) -> tuple[Path | None, str]:
    """The reference solution's build of lab's programs (built when the kit has solutions/)."""
    if not (KIT / "solutions").is_dir():
        return None, "the student kit has no reference solution (solutions/ is not there)"
    made = subprocess.run([*make.split(), "-s", "--no-print-directory", "-C", str(KIT),
                           f"programs-lab{lab}", "SOLUTION=1"], capture_output=True, text=True,
                          check=False)
    if made.returncode != 0:
        return None, f"make programs-lab{lab} SOLUTION=1 failed: " + made.stderr.strip()[-200:]
    return KIT / "build" / "solution", ""


def reference_peer(reference: Path | None, why_not: str, lab: int, program: str) -> Peer:
    name = f"reference {program}"
    if reference is None:
        return Peer(name, skip_reason=why_not)
    path = reference / f"lab{lab}" / program
    if not path.exists():
        return Peer(name, skip_reason=f"{path} was not built")
    return Peer(name, [str(path)])


def find_netcat() -> str | None:
    return shutil.which("nc") or shutil.which("ncat") or shutil.which("netcat")


NO_NETCAT = "nc is not installed (make deps installs it: netcat-openbsd)"


def netcat_command(nc: str | None) -> tuple[list[str], str]:
    """nc as an echo client: send stdin, half-close, print what comes back until EOF."""
    if nc is None:
        return [], NO_NETCAT
    probe = subprocess.run([nc, "-h"], capture_output=True, text=True, check=False,
                           stdin=subprocess.DEVNULL, timeout=5)
    help_text = probe.stdout + probe.stderr
    if "-N" in help_text:  # OpenBSD netcat: -N shuts the socket down after EOF on stdin
        return [nc, "-N"], ""
    if "Ncat" in help_text:  # Ncat half-closes after EOF on stdin by default
        return [nc], ""
    if "-q" in help_text:  # traditional netcat: quit a second after EOF on stdin
        return [nc, "-q", "1"], ""
    return [], f"{nc} is a netcat variant this script does not know how to half-close"


# ---- the pairings -------------------------------------------------------------------


@dataclass
class Verdict:
    status: str  # PASS, FAIL, SKIP
    detail: str = ""


def start_server(server: Peer, timeout: float) -> tuple[Program, int | None, str]:
    """Starts a server on a free port; returns it, its port (None on failure) and why."""
    program = Program([*server.command, HOST, "0"])
    line = program.read_line(timeout)
    prefix = f"Listening on {HOST}:"
    if line is None or not line.startswith(prefix) or not line[len(prefix):].isdigit():
        program.wait(0.5)
        program.kill()
        return program, None, (f"{server.name} did not print 'Listening on {HOST}:PORT' "
                               f"(first line: {line!r}; stderr: {shown(program.stderr)})")
    return program, int(line[len(prefix):]), ""


def check_server_end(server: Peer, program: Program, timeout: float) -> str:
    """The server's side after the client is done: Connected by, then exit 0."""
    line = program.read_line(timeout)
    code = program.wait(timeout)
    program.kill()
    if line is None or not line.startswith(f"Connected by: {HOST}:"):
        return f"{server.name} did not print 'Connected by: {HOST}:PORT' (got {line!r})"
    if code != 0:
        return (f"{server.name} should exit 0 once its client has gone: {exit_text(code)}; "
                f"stderr: {shown(program.stderr)}")
    return ""


def run_pair(server: Peer, client: Peer, message: str, timeout: float) -> str:
    """One message through one pairing; returns "" or what went wrong."""
    server_program, port, problem = start_server(server, timeout)
    if port is None:
        return problem
    data = message.encode("utf-8")
    if client.name == "nc":
        client_program = Program([*client.command, HOST, str(port)], stdin=data)
        expected = data
    else:
        client_program = Program([*client.command, HOST, str(port), message])
        expected = b"Received: " + data + b"\n"
    code = client_program.wait(timeout)
    client_program.kill()
    if client_program.stdout != expected or code != 0:
        server_program.kill()
        return (f"{client.name}: expected {shown(expected)} and exit status 0; got "
                f"{shown(client_program.stdout)} and {exit_text(code)}; stderr: "
                f"{shown(client_program.stderr)}")
    return check_server_end(server, server_program, timeout)


def run_pairing(server: Peer, client: Peer, timeout: float) -> Verdict:
    for peer in (server, client):
        if peer.skip_reason:
            return Verdict("SKIP", peer.skip_reason)
    for message in MESSAGES:
        problem = run_pair(server, client, message, timeout)
        if problem:
            return Verdict("FAIL", f"message of {len(message.encode())} bytes: {problem}")
    return Verdict("PASS", f"{len(MESSAGES)} messages echoed, both sides exited 0")


@dataclass
class Peers:
    """Everything a lab's pairings draw on: the build, the reference's, nc."""

    build: Path
    lab: int
    reference: Path | None
    reference_missing: str
    netcat: Peer
    netcat_udp: Peer

    def yours(self, program: str, lab_of_program: int) -> Peer:
        return student_peer(self.build, self.lab, program, lab_of_program)

    def reference_of(self, program: str, lab_of_program: int) -> Peer:
        return reference_peer(self.reference, self.reference_missing, lab_of_program, program)


def netcat_peers(nc: str | None) -> tuple[Peer, Peer]:
    """nc for TCP and nc -u for UDP, or why they cannot run."""
    nc_command, nc_missing = netcat_command(nc)
    # Every netcat has -u, and nc -u needs no half-close: any variant will do.
    udp = Peer("nc -u", [nc, "-u"]) if nc else Peer("nc -u", skip_reason=NO_NETCAT)
    return Peer("nc", nc_command, nc_missing), udp


def gather_peers(build: Path, lab: int, make: str) -> Peers:
    reference, why_not = reference_build(make, lab)
    tcp, udp = netcat_peers(find_netcat())
    return Peers(build, lab, reference, why_not, tcp, udp)


Row = tuple[str, str, Verdict]


def tcp_rows(peers: Peers, timeout: float) -> Iterator[Row]:
    """Labs 6 and 7: one client at a time against echo_server."""
    your_server = peers.yours("echo_server", 6)
    your_client = peers.yours("echo_client", 7)
    python_server = Peer("Python echo_server.py", python_command("echo_server.py"))
    python_client = Peer("Python echo_client.py", python_command("echo_client.py"))
    for server, client in [
            (your_server, python_client),
            (python_server, your_client),
            (your_server, your_client),
            (peers.reference_of("echo_server", 6), your_client),
            (your_server, peers.reference_of("echo_client", 7)),
            (your_server, peers.netcat)]:
        yield server.name, client.name, run_pairing(server, client, timeout)


# ---- lab 8: every client at once against one multi_echo_server ----------------------


def start_client(client: Peer, port: int, message: str) -> tuple[Program, bytes]:
    """Starts one client with `message`; returns it and what its stdout should be."""
    data = message.encode("utf-8")
    if client.name == "nc":
        return Program([*client.command, HOST, str(port)], stdin=data), data
    return Program([*client.command, HOST, str(port), message]), b"Received: " + data + b"\n"


def run_all_at_once(server: Peer, clients: list[Peer], timeout: float) -> Verdict:
    """Lab 8: the clients run at the same time against one server while a silent
    connection stays open, then SIGTERM must stop the server with exit status 0."""
    if server.skip_reason:
        return Verdict("SKIP", server.skip_reason)
    usable = [client for client in clients if not client.skip_reason]
    server_program, port, problem = start_server(server, timeout)
    if port is None:
        return Verdict("FAIL", problem)
    problems = []
    with socket.create_connection((HOST, port), timeout=timeout):  # connects, never sends
        started = [(client, *start_client(client, port, MESSAGES[index % len(MESSAGES)]))
                   for index, client in enumerate(usable * 2)]
        for client, program, expected in started:
            code = program.wait(timeout)
            program.kill()
            if program.stdout != expected or code != 0:
                problems.append(f"{client.name}: expected {shown(expected)} and exit status 0; "
                                f"got {shown(program.stdout)} and {exit_text(code)}")
    code = server_program.stop(timeout)
    server_program.kill()
    if code != 0:
        problems.append(f"{server.name} should exit 0 on SIGTERM: {exit_text(code)}; "
                        f"stderr: {shown(server_program.stderr)}")
    if problems:
        return Verdict("FAIL", "; ".join(problems))
    return Verdict("PASS", f"{len(started)} clients at once ({', '.join(c.name for c in usable)}, "
                           f"twice each) beside a silent one; SIGTERM: exit 0")


def lab8_rows(peers: Peers, timeout: float) -> Iterator[Row]:
    server = peers.yours("multi_echo_server", 8)
    clients = [Peer("Python echo_client.py", python_command("echo_client.py")),
               peers.yours("echo_client", 7), peers.reference_of("echo_client", 7),
               peers.netcat]
    yield server.name, "every client at once", run_all_at_once(server, clients, timeout)


# ---- lab 9: datagrams ---------------------------------------------------------------


@dataclass
class Datagram:
    """One client run with one message: the program, and what it must print."""

    client: Peer
    program: Program
    expected: bytes
    sizes: list[int]   # the datagrams the server must echo for it


def start_udp_client(client: Peer, port: int, message: str) -> Datagram:
    data = message.encode("utf-8")
    if client.name == "nc -u":
        # nc -u sends its stdin as datagrams and prints the replies; it does not end on
        # EOF, so its stdin stays open and it is stopped once the echo is in.
        return Datagram(client, Program([*client.command, HOST, str(port)], stdin=data,
                                        keep_stdin_open=True), data, [len(data)])
    return Datagram(client, Program([*client.command, HOST, str(port), message]),
                    b"Received: " + data + b"\n", [len(data)])


def finish_udp_client(run: Datagram, timeout: float) -> str:
    """Waits for the client's echo (and exit); "" or what went wrong."""
    if run.client.name == "nc -u":
        got = run.program.wait_for_output(len(run.expected), timeout)
        run.program.kill()
        if not got or run.program.stdout != run.expected:
            return (f"nc -u: expected {shown(run.expected)} back; got "
                    f"{shown(run.program.stdout)} within {timeout:g} s")
        return ""
    code = run.program.wait(timeout)
    run.program.kill()
    if run.program.stdout != run.expected or code != 0:
        return (f"{run.client.name}: expected {shown(run.expected)} and exit status 0; got "
                f"{shown(run.program.stdout)} and {exit_text(code)}; stderr: "
                f"{shown(run.program.stderr)}")
    return ""


def udp_messages(client: Peer) -> tuple[str, ...]:
    return NC_UDP_MESSAGES if client.name == "nc -u" else UDP_MESSAGES


def check_udp_server_end(server: Peer, program: Program, sizes: list[int],
                         timeout: float, any_order: bool) -> str:
    """After the clients: an "Echoed N bytes" line per datagram, then exit 0 on SIGTERM."""
    # Each line comes after its echo was sent: wait for them before the signal.
    until = time.monotonic() + timeout
    lines = [program.read_line(max(0.0, until - time.monotonic())) for _ in sizes]
    code = program.stop(timeout)
    program.kill()
    echoed = [int(match.group(1)) for line in lines
              if line is not None and (match := ECHOED.match(line))]
    wanted = sorted(sizes) if any_order else sizes
    if (sorted(echoed) if any_order else echoed) != wanted or len(echoed) != len(lines):
        return (f"{server.name} should print 'Echoed N bytes to {HOST}:PORT' for datagrams "
                f"of {wanted} bytes; got {lines!r}")
    if code != 0:
        return (f"{server.name} should exit 0 on SIGTERM: {exit_text(code)}; "
                f"stderr: {shown(program.stderr)}")
    return ""


def run_udp_pairing(server: Peer, client: Peer, timeout: float) -> Verdict:
    """Every message, one client after the other, through one server run."""
    for peer in (server, client):
        if peer.skip_reason:
            return Verdict("SKIP", peer.skip_reason)
    server_program, port, problem = start_server(server, timeout)
    if port is None:
        return Verdict("FAIL", problem)
    sizes = []
    for message in udp_messages(client):
        run = start_udp_client(client, port, message)
        problem = finish_udp_client(run, timeout)
        if problem:
            server_program.kill()
            return Verdict("FAIL", f"datagram of {run.sizes[0]} bytes: {problem}")
        sizes += run.sizes
    problem = check_udp_server_end(server, server_program, sizes, timeout, any_order=False)
    if problem:
        return Verdict("FAIL", problem)
    counts = ", ".join(str(size) for size in sizes)
    return Verdict("PASS", f"datagrams of {counts} bytes echoed; SIGTERM: exit 0")


def run_udp_all_at_once(server: Peer, clients: list[Peer], timeout: float) -> Verdict:
    """One socket serves every client: they all run at the same time."""
    if server.skip_reason:
        return Verdict("SKIP", server.skip_reason)
    usable = [client for client in clients if not client.skip_reason]
    server_program, port, problem = start_server(server, timeout)
    if port is None:
        return Verdict("FAIL", problem)
    runs = [start_udp_client(client, port, udp_messages(client)[index % 2])
            for index, client in enumerate(usable * 2)]
    problems = [problem for run in runs if (problem := finish_udp_client(run, timeout))]
    if problems:
        server_program.kill()
        return Verdict("FAIL", "; ".join(problems))
    problem = check_udp_server_end(server, server_program,
                                   [size for run in runs for size in run.sizes], timeout,
                                   any_order=True)
    if problem:
        return Verdict("FAIL", problem)
    return Verdict("PASS", f"{len(runs)} clients at once ({', '.join(c.name for c in usable)}, "
                           f"twice each); SIGTERM: exit 0")


def udp_rows(peers: Peers, timeout: float) -> Iterator[Row]:
    your_server = peers.yours("udp_echo_server", 9)
    your_client = peers.yours("udp_echo_client", 9)
    python_server = Peer("Python udp_echo_server.py", python_command("udp_echo_server.py"))
    python_client = Peer("Python udp_echo_client.py", python_command("udp_echo_client.py"))
    reference_client = peers.reference_of("udp_echo_client", 9)
    for server, client in [
            (your_server, python_client),
            (python_server, your_client),
            (your_server, your_client),
            (peers.reference_of("udp_echo_server", 9), your_client),
            (your_server, reference_client),
            (your_server, peers.netcat_udp)]:
        yield server.name, client.name, run_udp_pairing(server, client, timeout)
    everyone = [python_client, your_client, reference_client, peers.netcat_udp]
    yield (your_server.name, "every client at once",
           run_udp_all_at_once(your_server, everyone, timeout))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="the build folder (build)")
    parser.add_argument("--lab", type=int, required=True, help="the lab (6 or later)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds each program may take for each step (default 5)")
    parser.add_argument("--make", default="make", help="the make command")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.lab < 6:
        print(f"interop: lab {args.lab} has no programs yet: the echo server comes in lab 6, "
              "the client in lab 7.", file=sys.stderr)
        return 2
    build = Path(args.build)
    if not build.is_absolute():
        build = KIT / build
    peers = gather_peers(build, args.lab, args.make)
    print(f"interop: lab {args.lab}'s programs from {build}, on {HOST} only")
    if build.resolve() == (KIT / "build" / "solution").resolve():
        print("(SOLUTION=1: the programs called yours below are the reference's)")
    print(f"{'server':<{COLUMN}}{'client':<{COLUMN}}result")
    failures: list[str] = []
    sections = [tcp_rows] + ([lab8_rows] if args.lab >= 8 else []) \
        + ([udp_rows] if args.lab >= 9 else [])
    for rows in sections:
        for server, client, verdict in rows(peers, args.timeout):
            detail = verdict.detail
            if verdict.status == "FAIL":
                failures.append(f"{server} <-> {client}:\n  {verdict.detail}")
                detail = f"(why: below, #{len(failures)})"
            print(f"{server:<{COLUMN}}{client:<{COLUMN}}{verdict.status}  {detail}", flush=True)
    for number, failure in enumerate(failures, start=1):
        print(f"\n#{number} {failure}")
    print(f"\ninterop: {f'{len(failures)} pairing(s) failed' if failures else 'every pairing that could run passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
