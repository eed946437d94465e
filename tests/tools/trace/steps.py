"""From strace's calls to the steps a student reads, and the first difference from the reference.

A Step is one socket system call (socket, setsockopt, bind, listen, accept,
connect, close...), one run of sends or receives on the same descriptor (a
loop of recv shows as one step: "recv x2, 48 bytes"), a line the program
printed, a contract call the trace driver reported ("@ tcp_listen(...) = 3"),
a signal, or the exit. Steps that are system calls have a key, the part that
must match the reference (the call, the option, the address, the bytes moved,
the error), and compare() walks two step lists key by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from syscalls import Call, first_string

SEND_CALLS = ("sendto", "send", "sendmsg", "write", "writev")
RECV_CALLS = ("recvfrom", "recv", "recvmsg", "read", "readv")
OPEN_CALLS = ("socket", "socketpair")
POLL_CALLS = ("poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait")
SOCKET_CALLS = ("setsockopt", "getsockopt", "bind", "listen", "accept", "accept4", "connect",
                "getsockname", "getpeername", "shutdown", "close") + POLL_CALLS
MARKER = b"@ "
RUN_LINES = 8      # calls of a run shown one per line
QUIET_SIGNALS = ("SIGCHLD", "SIGSTOP", "SIGCONT")  # process bookkeeping, not the lesson


@dataclass
class Step:
    """One line of the timeline."""

    pid: int
    time: float
    kind: str          # socket, bind, ..., send, recv, output, contract, signal, exit
    text: str          # what the timeline shows
    key: str = ""      # what must match the reference ("" for lines that are not compared)
    calls: list[Call] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)  # signals that came during a run

    @property
    def moved(self) -> int:
        """Bytes moved by a send or recv run."""
        return sum(max(call.value or 0, 0) for call in self.calls if not call.failed)

    @property
    def asked(self) -> list[int]:
        return [size_argument(call) for call in self.calls]


def size_argument(call: Call) -> int:
    """The length a send or recv asked for (the number after the buffer)."""
    match = re.search(r'(?:"(?:[^"\\]|\\.)*"(?:\.\.\.)?|0x[0-9a-f]+|\[.*?\]|NULL), (\d+)',
                      call.args)
    return int(match.group(1)) if match else 0


def address_of(call: Call) -> str:
    """'127.0.0.1:5346' from the sockaddr in bind's or connect's arguments."""
    port = re.search(r"sin6?_port=htons\((\d+)\)", call.args)
    host = re.search(r'inet_(?:addr|pton)\((?:AF_INET6, )?"([^"]+)"', call.args)
    if not port or not host:
        return "?"
    if ":" in host.group(1):  # IPv6: in brackets, as in URLs and as -yy writes it
        return f"[{host.group(1)}]:{port.group(1)}"
    return f"{host.group(1)}:{port.group(1)}"


def outcome(call: Call) -> str:
    if call.result == "":
        return " ... (never returned: stopped)"
    if call.failed:
        return f" = -1 {call.errname}"
    return f" = {call.result}"


def fd_text(call: Call) -> str:
    """ "4<:40000->:5346>" (endpoints once bound or connected), "3" before."""
    if call.fd is None:
        return "?"
    shown = call.endpoint.short()
    return f"{call.fd}<{shown}>" if call.endpoint.local else str(call.fd)


def preview(data: bytes, limit: int = 12) -> str:
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in data[:limit])
    return f'"{text}"' + ("..." if len(data) > limit else "")


def socket_text(call: Call) -> str:
    parts = [part.strip() for part in call.args.split(",")]
    family = parts[0] if parts else "?"
    kind = parts[1].split("|")[0] if len(parts) > 1 else "?"
    return f"socket({family}, {kind})"


def option_name(call: Call) -> str:
    match = re.search(r"(SO_\w+|TCP_\w+|IP_\w+)", call.args)
    return match.group(1) if match else "?"


def describe(call: Call) -> tuple[str, str]:
    """(timeline text, comparison key) of one socket call."""
    name = "accept" if call.name == "accept4" else call.name
    state = call.endpoint.state
    if name in OPEN_CALLS:
        text = socket_text(call)
        return text + outcome(call), text + error_key(call)
    if name in ("setsockopt", "getsockopt"):
        value = re.search(r"_[A-Z_]+, \[(-?\d+)\]", call.args)
        shown = f", {value.group(1)}" if value and name == "setsockopt" else ""
        text = f"{name}({fd_text(call)}, {option_name(call)}{shown})"
        return text + outcome(call), f"{name}({option_name(call)})" + error_key(call)
    if name in ("bind", "connect"):
        text = f"{name}({fd_text(call)}, {address_of(call)})"
        key_address = address_of(call) if name == "bind" else "the server"
        return text + outcome(call), f"{name}({key_address})" + error_key(call)
    if name == "listen":
        backlog = call.args.rsplit(",", 1)[-1].strip()
        return f"listen({fd_text(call)}, {backlog})" + outcome(call), "listen" + error_key(call)
    if name == "accept":
        shown = f"<{call.result_endpoint.short()}>" if not call.failed and call.result else ""
        return f"accept({fd_text(call)})" + outcome(call) + shown, "accept" + error_key(call)
    if name == "shutdown":
        how = call.args.rsplit(",", 1)[-1].strip()
        return f"shutdown({fd_text(call)}, {how})" + outcome(call), f"shutdown({how})"
    if name in POLL_CALLS:
        return poll_text(call), ""  # shown, not compared: how often a loop polls is timing
    if name == "close":
        return (f"close({fd_text(call)})" + outcome(call),
                f"close({state} socket)" + error_key(call))
    return f"{name}({fd_text(call)})" + outcome(call), name + error_key(call)


POLLED = re.compile(r"\{fd=(\d+)(?:<(?:->|[^<>])*>)?, events=([A-Z|]+)\}")
READY = re.compile(r"\{fd=(\d+), revents=([A-Z|]+)\}")


def poll_text(call: Call) -> str:
    """ "poll(3 4: POLLIN, 200 ms) = 1: 4 POLLIN": the descriptors watched, what came."""
    watched: dict[str, list[str]] = {}
    for fd, events in POLLED.findall(call.args):
        watched.setdefault(events, []).append(fd)
    fds = ", ".join(f"{' '.join(numbers)}: {events}" for events, numbers in watched.items())
    limit = re.search(r"\], \d+, (-?\d+)$", call.args) if call.name == "poll" else None
    wait = ""
    if limit:
        wait = ", no limit" if int(limit.group(1)) < 0 else f", {limit.group(1)} ms"
    text = f"{call.name}({fds or '?'}{wait})"
    if call.result == "0":
        return text + " = 0 (timed out)"
    ready = ", ".join(f"{fd} {events}" for fd, events in READY.findall(call.extra))
    return text + outcome(call) + (f": {ready}" if ready and not call.failed else "")


def error_key(call: Call) -> str:
    return f" = -1 {call.errname}" if call.failed and call.errname else ""


def is_inet_socket_call(call: Call) -> bool:
    if call.name in POLL_CALLS:
        return re.search(r"fd=\d+<(?:TCP|UDP)", call.args) is not None
    if call.name in OPEN_CALLS:
        return call.args.startswith(("AF_INET", "AF_INET6"))
    if call.name == "close" and call.errname == "EBADF":
        return True  # a double close: always worth seeing
    return call.endpoint.inet


def datagram_peer(call: Call, kind: str) -> str:
    """ ", to :5346" for a sendto on a UDP socket (the address it names), ", from :40000" for
    a recvfrom (the sender strace read back); "" for anything else."""
    if not call.endpoint.kind.startswith("UDP") or call.failed:
        return ""
    address = address_of(call)
    if address == "?":
        return ""
    brief = address[len("127.0.0.1"):] if address.startswith("127.0.0.1:") else address
    return f", {'to' if kind == 'send' else 'from'} {brief}"


def io_kind(call: Call) -> str:
    if call.name in SEND_CALLS:
        return "send"
    if call.name in RECV_CALLS:
        return "recv"
    return ""


def io_text(step: Step) -> str:
    """"sendto(4<:40000->:5346>, "Hello"..., 48) = 48", or a run of them in one line."""
    first = step.calls[0]
    if len(step.calls) == 1:
        data = first_string(first)
        shown = f", {preview(data)}" if data and not first.failed else ""
        return (f"{first.name}({fd_text(first)}{datagram_peer(first, step.kind)}{shown}, "
                f"{size_argument(first)}){outcome(first)}")
    verb = "sent" if step.kind == "send" else "received"
    lines = [f"{first.name}({fd_text(first)}) x{len(step.calls)}: {step.moved} bytes in all"]
    for call in step.calls[:RUN_LINES]:
        if call.result == "":
            lines.append("  another one, which never returned (stopped)")
            continue
        asked = size_argument(call)
        got = f"-1 {call.errname}" if call.failed else call.result
        short = " (short)" if not call.failed and (call.value or 0) not in (0, asked) else ""
        lines.append(f"  asked {asked}, {verb} {got}{short}")
    if len(step.calls) > RUN_LINES:
        lines.append(f"  ... {len(step.calls) - RUN_LINES} more")
    if step.signals:
        names = sorted(set(step.signals))
        lines.append(f"  (interrupted by {len(step.signals)} {'/'.join(names)} on the way)")
    return "\n".join(lines)


def io_key(step: Step) -> str:
    last = step.calls[-1]
    key = f"{step.kind} {step.moved} bytes"
    if last.result == "":
        return key + ", then waits"
    if step.kind == "recv" and last.value == 0:
        key += " then end of stream"
    if last.failed and last.errname:
        key += f" = -1 {last.errname}"
    return key


def output_step(call: Call) -> Step | None:
    """A line written on stdout or stderr: a program's output, or the driver's report."""
    data = first_string(call)
    if data.startswith(MARKER):
        text = data[len(MARKER):].decode("utf-8", errors="replace").strip()
        if text.startswith("check: "):
            return Step(call.pid, call.time, "contract", f"[kit] {text}")
        return Step(call.pid, call.time, "contract", "[call] " + re.sub(r" \(.*\)$", "", text))
    text = data.decode("utf-8", errors="replace").rstrip("\n")
    if not text:
        return None
    where = "stdout" if call.fd == 1 else "stderr"
    return Step(call.pid, call.time, "output", f"[{where}] {text}")


def build_steps(calls: list[Call]) -> list[Step]:
    """The timeline of one process tree, runs of sends and receives joined."""
    steps: list[Step] = []
    for call in calls:
        if call.name == "signal":
            last = next((s for s in reversed(steps) if s.pid == call.pid), None)
            if last and last.kind in ("send", "recv"):
                last.signals.append(call.args)  # it interrupted the run: told with the run
            elif call.args not in QUIET_SIGNALS:
                steps.append(Step(call.pid, call.time, "signal", f"--- {call.args} ---"))
            continue
        if call.name == "exit":  # how it ended is compared too: "exited with 0"
            steps.append(Step(call.pid, call.time, "exit", call.args, call.args))
            continue
        if call.result == "?" and call.errname.startswith("ERESTART"):
            if call.name in POLL_CALLS and is_inet_socket_call(call):
                # A wait that a signal ended: the program sees EINTR (or a restart).
                text = poll_text(call).split(" = ")[0] + " = interrupted by a signal"
                steps.append(Step(call.pid, call.time, call.name, text, "", [call]))
            continue  # interrupted and restarted by the kernel: the next line is the restart
        kind = io_kind(call)
        if kind and not call.endpoint.inet:
            if kind == "send" and call.fd in (1, 2):
                step = output_step(call)
                if step:
                    steps.append(step)
            continue
        if kind:
            last = next((s for s in reversed(steps) if s.pid == call.pid), None)
            if last and last.kind == kind and last.calls and last.calls[-1].fd == call.fd:
                last.calls.append(call)
            else:
                steps.append(Step(call.pid, call.time, kind, "", calls=[call]))
            continue
        if call.name in OPEN_CALLS + SOCKET_CALLS and is_inet_socket_call(call):
            text, key = describe(call)
            last = next((s for s in reversed(steps) if s.pid == call.pid), None)
            if (call.name in POLL_CALLS and call.result == "0" and last is not None
                    and last.kind == call.name and last.calls[-1].result == "0"):
                last.calls.append(call)  # a run of idle waits: one line
                last.text = f"{text} x{len(last.calls)}"
                continue
            steps.append(Step(call.pid, call.time, call.name, text, key, [call]))
    for step in steps:
        if step.kind in ("send", "recv"):
            step.text, step.key = io_text(step), io_key(step)
    return steps


def processes(steps: list[Step]) -> list[int]:
    """The process ids in the order they first appear."""
    seen: list[int] = []
    for step in steps:
        if step.pid not in seen:
            seen.append(step.pid)
    return seen


def compared(steps: list[Step], pid: int) -> list[Step]:
    return [step for step in steps if step.pid == pid and step.key]


@dataclass
class Difference:
    """Where the student's steps first part from the reference's, in words."""

    process: int            # rank of the process (0: the program, 1: its first child...)
    yours: Step | None
    reference: Step | None
    sentence: str


def name_of(step: Step) -> str:
    """The step as a sentence uses it: "bind", "setsockopt(SO_REUSEADDR)", "close"."""
    if step.kind in ("send", "recv"):
        return step.kind
    key = step.key.split(" = ")[0]
    if step.kind in ("bind", "listen", "accept", "accept4", "connect", "socket"):
        return key.split("(")[0]
    if step.kind == "close":
        return f"close of the {key[len('close('):-1]}"
    return key


def run_words(step: Step, yours: bool) -> str:
    """ "one recv of 1024 bytes that returned 16" / "receives until 48 bytes arrived (2 recvs)"."""
    count = len(step.calls)
    verb = step.kind
    if yours and count == 1:
        asked, got = step.asked[0], step.moved
        words = f"one {verb} of {asked} bytes"
        return words + (f" that {'returned' if verb == 'recv' else 'moved'} {got}"
                        if got != asked else "")
    if yours:
        return f"{count} {verb}s, {step.moved} bytes in all"
    plural = f"{count} {verb}{'s' if count != 1 else ''}"
    if verb == "recv":
        ending = (", then the end of the stream" if step.calls[-1].value == 0 else "")
        return f"receives until {step.moved} bytes arrived ({plural}{ending})"
    return f"sends until all {step.moved} bytes are sent ({plural})"


def io_sentence(mine: Step, ref: Step, after: Step | None) -> str:
    then = f", then {name_of(after)}" if after else ", then nothing more"
    if mine.calls[-1].result == "":
        done = len(mine.calls) - 1
        before = (f"{done} {mine.kind}{'s' if done != 1 else ''} ({mine.moved} bytes), then "
                  if done else "")
        return (f"yours: {before}one more {mine.kind} that never returned (stopped at the "
                f"bound): the reference {run_words(ref, False)}")
    if mine.calls[-1].failed and not ref.calls[-1].failed:
        return (f"yours: {mine.kind} failed with {mine.calls[-1].errname} "
                f"after {mine.moved} bytes: the reference {run_words(ref, False)}")
    return f"yours: {run_words(mine, True)}{then}: the reference {run_words(ref, False)}"


def compare_process(mine: list[Step], ref: list[Step], rank: int) -> Difference | None:
    for i in range(max(len(mine), len(ref))):
        a = mine[i] if i < len(mine) else None
        b = ref[i] if i < len(ref) else None
        if a and b and a.key == b.key:
            continue
        return Difference(rank, a, b, sentence(mine, ref, i))
    return None


def sentence(mine: list[Step], ref: list[Step], i: int) -> str:
    a = mine[i] if i < len(mine) else None
    b = ref[i] if i < len(ref) else None
    if a is None and b is not None:
        before = f"after {name_of(mine[i - 1])}" if i else "before any socket call"
        return f"yours: stops {before}; the reference goes on with {name_of(b)}"
    assert a is not None
    if a.kind == "exit" and b is not None and b.kind != "exit":
        where = f"after {name_of(mine[i - 1])}" if i else "before any socket call"
        return f"yours: {a.key} {where}; the reference goes on with {name_of(b)}"
    if b is None:
        return f"yours: an extra {a.text} after the reference's last step"
    if a.kind == b.kind and a.kind in ("send", "recv"):
        return io_sentence(a, b, mine[i + 1] if i + 1 < len(mine) else None)
    if a.kind == b.kind and a.key.split(" = ")[0] == b.key.split(" = ")[0]:
        got = a.key.split(" = ")[1] if " = " in a.key else "success"
        want = b.key.split(" = ")[1] if " = " in b.key else "success"
        return f"yours: {a.text} ({got}) where the reference's {name_of(b)} gives {want}"
    if a.kind == b.kind and a.kind not in ("send", "recv"):
        return f"yours: {a.key} where the reference's is {b.key}"
    later_keys = [step.key for step in mine[i + 1:]]
    if b.key in later_keys:
        return f"yours: {name_of(a)} before {name_of(b)}"
    if a.key in [step.key for step in ref[i + 1:]]:
        return f"yours: no {name_of(b)} before {name_of(a)} (the reference calls it there)"
    return f"yours: {a.text} where the reference calls {name_of(b)}"


def compare(mine: list[Step], ref: list[Step]) -> Difference | None:
    """The first difference in time among the processes (the program, then its children)."""
    mine_pids, ref_pids = processes(mine), processes(ref)
    found = []
    for rank in range(max(len(mine_pids), len(ref_pids))):
        a = compared(mine, mine_pids[rank]) if rank < len(mine_pids) else []
        b = compared(ref, ref_pids[rank]) if rank < len(ref_pids) else []
        difference = compare_process(a, b, rank)
        if difference:
            found.append((difference_time(difference, a), difference))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def difference_time(difference: Difference, mine: list[Step]) -> float:
    """When yours parted: the differing step's time, or the last step's when yours stopped."""
    if difference.yours is not None:
        return difference.yours.time
    return mine[-1].time if mine else float("inf")  # a program that never ran: blame others
