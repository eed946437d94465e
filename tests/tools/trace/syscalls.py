"""Reading what `strace -f -ttt -yy -o FILE` wrote: one Call per finished system call.

strace writes a call that blocks in two halves ("... <unfinished ...>", later
"<... name resumed> ..."); read_calls joins them, so each Call has its
arguments and its result. Descriptors come with what -yy says they are:
    3<TCP:[127.0.0.1:5346]>                       a bound or listening socket
    4<TCP:[127.0.0.1:40000->127.0.0.1:5346]>      a connected one
    5<TCP:[43617574]>                             a socket not yet bound
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<time>\d+\.\d+|\d\d:\d\d:\d\d\.\d+) (?P<rest>.*)$")
UNFINISHED = re.compile(r"^(?P<name>\w+)\((?P<args>.*) <unfinished \.\.\.>$")
CUT_SHORT = re.compile(r"^(?P<name>\w+)\((?P<args>.*) <unfinished \.\.\.>\) = \?$")  # killed
RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<args>.*)$")
# What -yy appends to a descriptor; "->" may appear inside it, a bare ">" may not.
FD_INFO = r"<(?:->|[^<>])*>"
FINISHED = re.compile(
    r"^(?P<name>\w+)\((?P<args>.*)\)\s+= (?P<result>-?\d+|\?|0x[0-9a-f]+)"
    rf"(?P<info>{FD_INFO})?(?: (?P<errname>E[A-Z0-9_]+) \((?P<errtext>[^)]*)\))?"
    r"(?: \((?P<extra>.*)\))?$")
SIGNAL = re.compile(r"^--- (?P<signal>SIG\w+) .*---$")
EXIT = re.compile(r"^\+\+\+ (?P<how>.*) \+\+\+$")
FIRST_FD = re.compile(rf"^(?P<fd>\d+)(?P<info>{FD_INFO})?")
INET_KINDS = ("TCP", "TCPv6", "UDP", "UDPv6")


@dataclass(frozen=True)
class Endpoint:
    """What -yy said about one descriptor."""

    kind: str = ""     # TCP, UDP, TCPv6, UNIX-STREAM, pipe, a path for a file...
    local: str = ""    # "127.0.0.1:5346" once bound
    remote: str = ""   # "127.0.0.1:40000" once connected

    @property
    def inet(self) -> bool:
        return self.kind in INET_KINDS or self.kind == "socket"

    @property
    def state(self) -> str:
        """connected, bound or unbound: what a reader needs to tell sockets apart."""
        if self.remote:
            return "connected"
        return "bound" if self.local else "unbound"

    def short(self) -> str:
        """The endpoints in brief: ":40000->:5346" on loopback, the full text elsewhere."""
        def brief(address: str) -> str:
            return address[len("127.0.0.1"):] if address.startswith("127.0.0.1:") else address
        if self.remote:
            return f"{brief(self.local)}->{brief(self.remote)}"
        return brief(self.local) if self.local else ("unbound" if self.inet else self.kind)


def parse_endpoint(info: str | None) -> Endpoint:
    """Endpoint from "<TCP:[127.0.0.1:1->127.0.0.1:2]>", "<pipe:[9]>", "</dev/null>"..."""
    if not info:
        return Endpoint()
    body = info[1:-1]
    match = re.match(r"^(?P<kind>[\w-]+):\[(?P<inside>.*)\]$", body)
    if not match:
        return Endpoint(kind="file")
    kind, inside = match.group("kind"), match.group("inside")
    if kind not in INET_KINDS:
        return Endpoint(kind=kind)
    if "->" in inside:
        local, remote = inside.split("->", 1)
        return Endpoint(kind, local, remote)
    if inside.isdigit():  # only the inode: not bound yet
        return Endpoint(kind)
    return Endpoint(kind, inside)


@dataclass
class Call:
    """One system call (or signal, or exit) of one process, as strace saw it."""

    pid: int
    time: float              # seconds since the epoch (-ttt), to the microsecond
    name: str                # "bind", or "signal" / "exit" for the lines between calls
    args: str = ""
    result: str = ""         # "0", "-1", "?", "3"...
    errname: str = ""        # "EADDRINUSE" when the call failed
    fd: int | None = None    # the first argument when it is a descriptor
    endpoint: Endpoint = Endpoint()
    result_endpoint: Endpoint = Endpoint()  # what a returned descriptor is (socket, accept)
    extra: str = ""          # poll's "([{fd=3, revents=POLLIN}])" and the like

    @property
    def failed(self) -> bool:
        return self.result in ("-1", "?")

    @property
    def value(self) -> int | None:
        try:
            return int(self.result, 0)
        except ValueError:
            return None


def seconds(clock: str) -> float:
    """Seconds from -ttt's "1764600000.123456" (since the epoch) or -tt's "10:00:00.123456"."""
    if ":" not in clock:
        return float(clock)
    hours, minutes, rest = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def make_call(pid: int, when: float, name: str, args: str, match: re.Match[str]) -> Call:
    first = FIRST_FD.match(args)
    fd = int(first.group("fd")) if first and name not in ("socket", "socketpair") else None
    return Call(pid=pid, time=when, name=name, args=args, result=match.group("result"),
                errname=match.group("errname") or "", fd=fd,
                endpoint=parse_endpoint(first.group("info")) if first and fd is not None
                else Endpoint(),
                result_endpoint=parse_endpoint(match.group("info")),
                extra=match.group("extra") or "")


def parse_lines(lines: list[str]) -> list[Call]:
    """Calls in the order they finished; a call cut short by a kill stays unfinished
    and is returned with result "" (so a hang shows where it waited)."""
    calls: list[Call] = []
    pending: dict[int, tuple[float, str, str]] = {}
    for raw in lines:
        line = LINE.match(raw.rstrip("\n"))
        if not line:
            continue
        pid, when, rest = int(line.group("pid")), seconds(line.group("time")), line.group("rest")
        if match := CUT_SHORT.match(rest):
            pending[pid] = (when, match.group("name"), match.group("args"))
            continue
        if match := UNFINISHED.match(rest):
            pending[pid] = (when, match.group("name"), match.group("args"))
            continue
        if match := RESUMED.match(rest):
            started = pending.pop(pid, None)
            if started is None:
                continue
            rest = f"{started[1]}({started[2]}{match.group('args')}"
            when = started[0]
        if match := FINISHED.match(rest):
            calls.append(make_call(pid, when, match.group("name"), match.group("args"), match))
        elif match := SIGNAL.match(rest):
            calls.append(Call(pid=pid, time=when, name="signal", args=match.group("signal")))
        elif match := EXIT.match(rest):
            calls.append(Call(pid=pid, time=when, name="exit", args=match.group("how")))
    for pid, (when, name, args) in pending.items():
        first = FIRST_FD.match(args)
        calls.append(Call(pid=pid, time=when, name=name, args=args,
                          fd=int(first.group("fd")) if first else None,
                          endpoint=parse_endpoint(first.group("info")) if first else Endpoint()))
    calls.sort(key=lambda call: call.time)
    return calls


def read_calls(path: Path) -> list[Call]:
    try:
        return parse_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return []


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "a": "\a", "b": "\b",
           '"': '"', "\\": "\\"}


def c_string(text: str) -> bytes:
    """The bytes of a string as strace prints it ("a\\nb\\x00..."); stops at the closing quote."""
    out = bytearray()
    i = 1 if text.startswith('"') else 0
    while i < len(text):
        char = text[i]
        if char == '"':
            break
        if char != "\\":
            out += char.encode("utf-8", errors="replace")
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif nxt.isdigit():
            digits = re.match(r"[0-7]{1,3}", text[i + 1:])
            assert digits
            out.append(int(digits.group(0), 8) & 0xFF)
            i += 1 + len(digits.group(0))
        else:
            out += ESCAPES.get(nxt, nxt).encode()
            i += 2
    return bytes(out)


def first_string(call: Call) -> bytes:
    """The bytes of the call's first string argument (write's or send's buffer), or b""."""
    match = re.search(r'"(?:[^"\\]|\\.)*"', call.args)
    return c_string(match.group(0)) if match else b""
