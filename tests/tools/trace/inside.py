#!/usr/bin/env python3
"""The part of make trace that runs inside the private namespaces: one scenario, recorded.

    inside.py PLAN.json

PLAN (written by the tool, see run.py) names the scenario, the programs, the
output folder and the bound in seconds. This script brings lo up and starts
the capture (when the plan asks for it), runs the scenario's programs under
strace, answers them as the scenario says (reads the port they print, runs
the Python peer, looks with ss), stops any program still running at the
bound, waits until the connections have finished closing, and writes
result.json and capture.pcap in the output folder. Processes are started in
their own process groups and killed at the end, whatever happened; inside
`unshare --pid` the kernel also kills anything left when this script exits.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import capture

TRACED_CALLS = ("socket", "socketpair", "setsockopt", "getsockopt", "bind", "listen", "accept",
                "accept4", "connect", "getsockname", "getpeername", "send", "sendto", "sendmsg",
                "recv", "recvfrom", "recvmsg", "read", "write", "readv", "writev", "poll",
                "ppoll", "select", "pselect6", "shutdown", "close")
LISTENING = re.compile(r"^Listening on [\d.]+:(\d+)")
ECHOED = re.compile(r"^Echoed \d+ bytes to ")
DRIVER_PORT = re.compile(r"^port (\d+)")
BUSY_STATES = {"01", "02", "03", "04", "08", "09", "0B"}  # states still expecting packets


@dataclass
class RoleResult:
    """What one program of the scenario did."""

    name: str
    command: list[str]
    traced: bool
    strace_file: str = ""
    stdout: str = ""
    stderr: str = ""
    status: int | None = None
    stopped: bool = False


@dataclass
class Result:
    roles: list[RoleResult] = field(default_factory=list)
    peers: list[RoleResult] = field(default_factory=list)
    ss: list[tuple[str, str]] = field(default_factory=list)
    pcap: str = ""
    notes: list[str] = field(default_factory=list)


class Program:
    """A running program: its stdout lines as they come, its stderr kept, a deadline to kill it."""

    def __init__(self, command: list[str], result: RoleResult, deadline: float) -> None:
        self.result = result
        self.deadline = deadline
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.out: list[str] = []
        self.err: list[bytes] = []
        self.readers = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self.readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace")
            self.out.append(line)
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr
        self.err.append(self.process.stderr.read())

    def wait_line(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The first stdout line matching pattern, or None (the program ended or the bound)."""
        while True:
            try:
                line = self.lines.get(timeout=max(self.deadline - time.monotonic(), 0.0))
            except queue.Empty:
                return None
            if line is None:
                return None
            if match := pattern.match(line):
                return match

    def send_line(self, text: str) -> None:
        try:
            assert self.process.stdin
            self.process.stdin.write(text.encode() + b"\n")
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def signal_program(self, signum: int) -> None:
        """Sends signum to the program itself: under strace, to its tracees (strace, the
        group's leader, would stop tracing); else to the process."""
        if self.result.traced:
            for pid in group_members(self.process.pid):
                if pid != self.process.pid:
                    try:
                        os.kill(pid, signum)
                    except (ProcessLookupError, PermissionError):
                        pass
        elif self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self) -> None:
        try:
            self.process.wait(timeout=max(self.deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            self.result.stopped = True
        self.kill()

    def kill(self) -> None:
        """Kills the program's process group, then collects. The tracees go first, so that
        strace (the group's leader) can still write down the call each one was waiting in."""
        for pid in group_members(self.process.pid):
            if pid != self.process.pid:
                kill_quietly(pid)
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for reader in self.readers:
            reader.join(timeout=2)
        self.result.status = self.process.returncode
        self.result.stdout = "".join(self.out)
        self.result.stderr = b"".join(self.err).decode("utf-8", errors="replace")


def group_members(group: int) -> list[int]:
    """The processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == group:
            members.append(int(entry.name))
    return members


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ScenarioRun:
    """The programs of one run, and the steps every scenario shares."""

    def __init__(self, plan: dict, result: Result) -> None:
        self.plan = plan
        self.result = result
        self.out = Path(plan["out"])
        self.deadline = time.monotonic() + float(plan["timeout"])
        self.running: list[Program] = []

    def start(self, role: str, argv: list[str], traced: bool = True) -> Program:
        strace = self.plan.get("strace") if traced else None
        command = list(argv)
        strace_file = ""
        if strace:
            strace_file = str(self.out / f"{role}.strace")
            command = [strace, "-f", "-ttt", "-yy", "-s", "256", "-e",
                       "trace=" + ",".join("?" + name for name in TRACED_CALLS),
                       "-o", strace_file, "--", *argv]
        record = RoleResult(role, argv, bool(strace), strace_file)
        (self.result.roles if traced else self.result.peers).append(record)
        program = Program(command, record, self.deadline)
        self.running.append(program)
        return program

    def peer(self, role: str, args: list[str]) -> Program:
        return self.start(role, [self.plan["python"], self.plan["peer"], *args], traced=False)

    def look_with_ss(self, when: str) -> None:
        if not self.plan.get("ss"):
            return
        shown = subprocess.run([self.plan["ss"], "-tan"], capture_output=True, text=True,
                               timeout=5, check=False)
        self.result.ss.append((when, shown.stdout.rstrip()))

    def finish(self) -> None:
        for program in self.running:
            program.wait()


def scenario_listener(run: ScenarioRun) -> None:
    driver = run.start("driver", [run.plan["programs"]["driver"], "listener"])
    found = driver.wait_line(DRIVER_PORT)
    if found:
        port = int(found.group(1))
        run.look_with_ss("after tcp_listen: the socket listens, nobody has connected")
        try:
            client = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError as error:
            run.result.notes.append(f"the kit's client could not connect to port {port}: "
                                    f"{error.strerror or error}")
            driver.send_line("close")
            run.finish()
            return
        run.look_with_ss("after a client connected: nobody has called accept")
        driver.send_line("close")
        driver.wait()
        try:
            client.recv(1)
        except OSError as error:
            run.result.notes.append(f"the waiting client's recv(): {error.strerror or error}")
        client.close()
    run.finish()


def scenario_driver(name: str) -> Callable[[ScenarioRun], None]:
    """A scenario that is one run of the trace driver: trace_driver NAME."""
    def scenario(run: ScenarioRun) -> None:
        run.start("driver", [run.plan["programs"]["driver"], name])
        run.finish()
    return scenario


def scenario_python_client(run: ScenarioRun) -> None:
    server = run.start("server", [run.plan["programs"]["echo_server"], "127.0.0.1", "0"])
    found = server.wait_line(LISTENING)
    if found:
        run.peer("python client", ["client", "127.0.0.1", found.group(1), run.plan["message"]])
    run.finish()


def scenario_roundtrip(run: ScenarioRun) -> None:
    server = run.start("server", [run.plan["programs"]["echo_server"], "127.0.0.1", "0"])
    found = server.wait_line(LISTENING)
    if found:
        client = run.start("client", [run.plan["programs"]["echo_client"], "127.0.0.1",
                                      found.group(1), run.plan["message"]])
        client.wait()
    run.finish()


def scenario_python_server(run: ScenarioRun) -> None:
    server = run.peer("python server", ["server", "127.0.0.1", "0", "--pieces",
                                        str(run.plan["pieces"])])
    found = server.wait_line(LISTENING)
    if found:
        client = run.start("client", [run.plan["programs"]["echo_client"], "127.0.0.1",
                                      found.group(1), run.plan["message"]])
        client.wait()
    run.finish()


def scenario_hub(run: ScenarioRun) -> None:
    """Lab 8: two Python clients through multi_echo_server, then SIGTERM."""
    server = run.start("server", [run.plan["programs"]["multi_echo_server"], "127.0.0.1", "0"])
    found = server.wait_line(LISTENING)
    if found:
        clients = run.peer("python clients", ["two", "127.0.0.1", found.group(1),
                                              run.plan["message"]])
        clients.wait()
        server.signal_program(signal.SIGTERM)
    run.finish()


def scenario_datagram(run: ScenarioRun) -> None:
    """Lab 9: udp_echo_client sends one datagram to udp_echo_server, then SIGTERM."""
    server = run.start("server", [run.plan["programs"]["udp_echo_server"], "127.0.0.1", "0"])
    found = server.wait_line(LISTENING)
    if found:
        client = run.start("client", [run.plan["programs"]["udp_echo_client"], "127.0.0.1",
                                      found.group(1), run.plan["message"]])
        client.wait()
        server.wait_line(ECHOED)  # printed once the echo is sent: the server is done with it
        server.signal_program(signal.SIGTERM)
    run.finish()


def scenario_test(run: ScenarioRun) -> None:
    run.start("test", [run.plan["programs"]["test"], "--filter", run.plan["test"], "-j1",
                       "--full-stats"])
    run.finish()


SCENARIOS = {
    "listener": scenario_listener,
    "accept": scenario_driver("accept"),
    "shortwrite": scenario_driver("shortwrite"),
    "python-client": scenario_python_client,
    "roundtrip": scenario_roundtrip,
    "python-server": scenario_python_server,
    "hub": scenario_hub,
    "datagram": scenario_datagram,
    "ipv6": scenario_driver("ipv6"),
    "test": scenario_test,
}


def busy_connections() -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        if any(row.split()[3] in BUSY_STATES for row in rows if len(row.split()) > 3):
            return True
    return False


def wait_for_quiet_wire(bound: float = 1.0) -> None:
    """Until every connection has sent its last packet (no socket mid-close), at most bound."""
    deadline = time.monotonic() + bound
    while busy_connections() and time.monotonic() < deadline:
        # No event announces a connection's last packet: its state is polled, within bound.
        time.sleep(0.005)


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = Result()
    out = Path(plan["out"])
    recorder = None
    if plan.get("capture"):
        try:
            capture.bring_loopback_up()
            recorder = capture.LoopbackCapture()
            recorder.start()
        except OSError as error:
            result.notes.append(f"no capture: opening a packet socket on lo failed: {error}")
    elif plan.get("loopback_up"):
        try:
            capture.bring_loopback_up()
        except OSError as error:
            result.notes.append(f"cannot bring lo up: {error}")
    try:
        SCENARIOS[plan["scenario"]](ScenarioRun(plan, result))
    finally:
        if recorder:
            wait_for_quiet_wire()
            (out / "capture.pcap").write_bytes(recorder.stop())
            result.pcap = str(out / "capture.pcap")
        (out / "result.json").write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
