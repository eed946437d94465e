#!/usr/bin/env python3
"""Many clients at once against an echo server on loopback (make bench-echo).

    bench_echo.py --lab 6|8 --server reference|yours|python [--build DIR]
                  [--clients N] [--bytes M] [--size S] [--timeout SECONDS]

Starts the server on 127.0.0.1 port 0 (read back from its "Listening on" line):
lab 6's echo_server -k, which serves one client after another, or lab 8's
multi_echo_server, which serves them all at once with poll(); --server python
is tests/interop/echo_server.py -k, the tutorial's way (one at a time). Then
tests/tools/echo_load.c (built here with cc) connects N clients at the same
moment, each sending M bytes as messages of S bytes, one message and its whole
echo at a time, and every echo is checked. Prints the throughput (MB/s, 10^6
bytes a second, of echo), the round trip of each message (p50, p90, p99, max)
and, per client, how long it waited for its first echo and for its last. The
server is stopped with SIGTERM; every step has a deadline. Exit status 0 when
every client got its whole echo, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
LISTENING = re.compile(r"^Listening on 127\.0\.0\.1:(\d+)$")
SIZE_TEXT = re.compile(r"^(\d+)([KkMm]?)$")
SERVERS = ("reference", "yours", "python")


# ---- the figures ----------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with `fraction` of them at or below."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Measured:
    """What echo_load printed."""

    seconds: float = 0.0
    echoed: int = 0
    first_echo: list[float] = field(default_factory=list)   # microseconds, per client
    last_echo: list[float] = field(default_factory=list)
    rtts: list[float] = field(default_factory=list)          # microseconds, per message

    @property
    def megabytes_per_second(self) -> float:
        return self.echoed / self.seconds / 1e6 if self.seconds > 0 else 0.0


def parse_load(text: str) -> Measured:
    """echo_load's stdout; a client that never got an echo counts as 0 there (left out)."""
    measured = Measured()
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if word == "seconds":
            measured.seconds = float(rest)
        elif word == "echoed":
            measured.echoed = int(rest)
        elif word == "client":
            _, first, last = rest.split()
            if float(first) > 0:
                measured.first_echo.append(float(first))
            if float(last) > 0:
                measured.last_echo.append(float(last))
        elif word == "rtt":
            measured.rtts = [float(value) for value in rest.split()]
    return measured


def milliseconds(microseconds: float) -> str:
    if math.isnan(microseconds):
        return "-"
    return f"{microseconds / 1000:.3f} ms" if microseconds < 10_000 else \
        f"{microseconds / 1000:.0f} ms"


def spread(samples: list[float], fractions: tuple[float, ...]) -> str:
    parts = [f"p{round(fraction * 100)} {milliseconds(percentile(samples, fraction))}"
             for fraction in fractions]
    return "  ".join(parts + [f"max {milliseconds(max(samples) if samples else math.nan)}"])


def figures(measured: Measured, clients: int) -> list[str]:
    """The lines a learner reads."""
    return [
        f"  throughput:          {measured.megabytes_per_second:8.1f} MB/s  "
        f"({measured.echoed / 1e6:.1f} MB of echo in {measured.seconds:.2f} s)",
        f"  round trip:          {spread(measured.rtts, (0.5, 0.9, 0.99))}  "
        f"({len(measured.rtts)} messages)",
        f"  first echo, after:   {spread(measured.first_echo, (0.5, 0.9))}  "
        f"({len(measured.first_echo)} of {clients} clients, from the start)",
        f"  last echo, after:    {spread(measured.last_echo, (0.5, 0.9))}",
    ]


def byte_count(text: str) -> int:
    """'65536', '64K' (KiB) or '1M' (MiB) as bytes."""
    match = SIZE_TEXT.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size such as 65536, 64K or 1M")
    scale = {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2).lower()]
    return int(match.group(1)) * scale


def size_text(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


# ---- the programs -------------------------------------------------------------------


def build_load(output: Path, cc: str) -> str:
    """Builds echo_load when its source is newer; "" or what the compiler said."""
    source = KIT / "tests" / "tools" / "echo_load.c"
    if output.exists() and output.stat().st_mtime >= source.stat().st_mtime:
        return ""
    output.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", str(source), "-o",
                           str(output)], capture_output=True, text=True, timeout=120,
                          check=False)
    return "" if done.returncode == 0 else done.stderr.strip() or "cc failed"


def server_command(lab: int, server: str, build: Path) -> tuple[list[str], str]:
    """The server to start, and what it is in words."""
    if server == "python":
        return ([sys.executable, str(KIT / "tests" / "interop" / "echo_server.py"), "-k",
                 HOST, "0"], "the Python echo_server.py -k in the tutorial's style "
                             "(one client at a time)")
    whose = "the reference build" if server == "reference" else "your build"
    if lab < 8:
        return ([str(build / "lab6" / "echo_server"), "-k", HOST, "0"],
                f"lab 6's echo_server -k, {whose} (one client at a time)")
    return ([str(build / "lab8" / "multi_echo_server"), HOST, "0"],
            f"lab 8's multi_echo_server, {whose} (every client at once, with poll())")


def read_port(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The port from the server's first line, within timeout; None if it did not say."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1)  # one byte at a time: nothing after the line is taken
        if not chunk:
            return None
        line += chunk
    match = LISTENING.match(line.decode("utf-8", errors="replace").rstrip("\n"))
    return int(match.group(1)) if match else None


def drain(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    while os.read(process.stdout.fileno(), 65536):
        pass


def stop(process: subprocess.Popen[bytes], timeout: float) -> str:
    """SIGTERM, then a kill if it does not end in time; how it ended, in words."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return f"still running {timeout:g} s after SIGTERM: killed"
    code = process.returncode
    return f"exit status {code}" if code >= 0 else f"killed by signal {-code}"


def run(args: argparse.Namespace) -> int:
    load = KIT / "build" / "tools" / "echo_load"
    problem = build_load(load, args.cc)
    if problem:
        print(f"bench-echo: echo_load.c did not build:\n{problem}", file=sys.stderr)
        return 1
    command, described = server_command(args.lab, args.server, args.build)
    if not Path(command[0]).exists():
        print(f"bench-echo: {command[0]} is not built (make lab{6 if args.lab < 8 else 8})",
              file=sys.stderr)
        return 1
    print(f"bench-echo: {described}; {args.clients} clients at once x "
          f"{size_text(args.bytes)} each, in messages of {size_text(args.size)}, on {HOST} "
          "(loopback: no network between them, so these are the programs' own costs)")
    errors = tempfile.TemporaryFile()  # a file, not a pipe: it never fills up
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=errors, cwd=KIT)
    try:
        port = read_port(server, args.timeout)
        if port is None:
            ended = stop(server, 5.0)
            errors.seek(0)
            said = errors.read().decode("utf-8", errors="replace").strip()
            print(f"bench-echo: the server did not print 'Listening on {HOST}:PORT' ({ended})"
                  + (f"; it said: {said[-500:]}" if said else ""), file=sys.stderr)
            return 1
        # What the server prints per client ("Connected by") is read and dropped: a full
        # pipe would stop it.
        threading.Thread(target=drain, args=(server,), daemon=True).start()
        try:
            done = subprocess.run([str(load), str(port), str(args.clients), str(args.bytes),
                                   str(args.size), str(int(args.timeout * 1000))],
                                  capture_output=True, text=True, timeout=args.timeout + 10,
                                  check=False)
        except subprocess.TimeoutExpired:
            print(f"bench-echo: echo_load did not finish within {args.timeout + 10:g} s",
                  file=sys.stderr)
            return 1
        ended = stop(server, 5.0)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        errors.close()
    measured = parse_load(done.stdout)
    print("\n".join(figures(measured, args.clients)))
    print(f"  the server, on SIGTERM: {ended}")
    if done.returncode == 3:
        print(f"bench-echo: not every client got its echo within {args.timeout:g} s "
              "(TIMEOUT=SECONDS gives more)", file=sys.stderr)
    elif done.returncode != 0:
        print(f"bench-echo: {done.stderr.strip() or 'echo_load failed'}", file=sys.stderr)
    if args.server != "python" and args.lab >= 8:
        print("  compare: make bench-echo LAB=6 (the same load, one client at a time)")
    elif args.server != "python":
        print("  compare: make bench-echo LAB=8 (the same load, every client at once)")
    return 0 if done.returncode == 0 else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lab", type=int, default=8,
                        help="6 or 7: echo_server -k; 8 or later: multi_echo_server (default 8)")
    parser.add_argument("--server", choices=SERVERS, default="reference")
    parser.add_argument("--build", type=Path, default=KIT / "build" / "solution",
                        help="the build holding the server (default build/solution)")
    parser.add_argument("--clients", type=int, default=8, help="clients at once (default 8)")
    parser.add_argument("--bytes", type=byte_count, default=1024 * 1024,
                        help="bytes each client sends: 65536, 64K, 1M (default 1M)")
    parser.add_argument("--size", type=byte_count, default=1024,
                        help="bytes per message (default 1024, the tutorial's recv size)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds the whole load may take (default 60)")
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = parser.parse_args(argv)
    if args.lab < 6:
        parser.error(f"lab {args.lab} has no echo server: lab 6 brings one, lab 8 the one "
                     "for many clients")
    if not 1 <= args.clients <= 1000:
        parser.error("--clients must be between 1 and 1000")
    if args.size > 1024 * 1024:
        parser.error("--size must be at most 1M")
    if not args.build.is_absolute():
        args.build = KIT / args.build
    return args


def main(argv: list[str]) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
