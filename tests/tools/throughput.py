#!/usr/bin/env python3
"""Echo throughput on loopback: what the buffer size of echo_session costs.

Streams 64 MiB through the reference echo_session (solutions/lab6/echo.c) built
with the tutorial's 1024-byte buffer and with a 64 KiB one, and, when socat is
installed, through socat's echo (PIPE) and one way into socat's /dev/null (the
raw capacity of loopback, like cat through nc). Part of make bench: it prints
figures and fails nothing.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.labs import declared_labs

KIT = Path(__file__).resolve().parents[2]
DRIVER_LABS = 6  # echo_throughput.c calls echo_session (lab 6) and what it stands on


def library_files() -> dict[int, tuple[str, ...]]:
    """The library files of labs 1..DRIVER_LABS, as the labs declare them."""
    return {entry.number: entry.files for entry in declared_labs(KIT) if entry.number <= DRIVER_LABS}


def build_driver(output: Path, buffer_size: int) -> bool:
    """Builds echo_throughput.c with the reference labs 1-6 and echo_session's buffer size."""
    libraries = library_files()
    sources = [KIT / "solutions" / f"lab{lab}" / name
               for lab, names in libraries.items() for name in names]
    if not all(source.exists() for source in sources):
        return False
    includes = [f"-I{KIT / 'labs' / f'lab{lab}'}" for lab in libraries]
    command = ["cc", "-std=gnu11", "-O2", "-pthread", "-D_GNU_SOURCE",
               f"-DECHO_BUFFER_SIZE={buffer_size}", *includes,
               str(KIT / "tests" / "tools" / "echo_throughput.c"), *map(str, sources),
               "-o", str(output)]
    return subprocess.run(command, check=False).returncode == 0


def run_driver(driver: Path, *arguments: str) -> str:
    done = subprocess.run([str(driver), *arguments], capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()}"
    megabytes_per_second, seconds = done.stdout.split()
    return f"{float(megabytes_per_second):8.0f} MB/s  ({float(seconds):.2f} s)"


def free_loopback_port() -> int:
    """A port free right now (a benchmark, not a test: the tiny race is acceptable)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, deadline_seconds: float = 5) -> bool:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)  # polling a program we do not control; a benchmark, not a test
    return False


def through_socat(driver: Path, mode: str, socat_address: str, mebibytes: int) -> str:
    port = free_loopback_port()
    listen = f"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"
    options = ["-u"] if mode == "sink" else []
    with subprocess.Popen(["socat", *options, listen, socat_address],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as socat:
        try:
            if not wait_until_listening(port):
                return "failed: socat did not start listening"
            return run_driver(driver, mode, str(port), str(mebibytes))
        finally:
            socat.kill()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=64, help="stream size in MiB (default 64)")
    parser.add_argument("--make", default="make", help="unused; accepted for make bench")
    args = parser.parse_args(argv)

    print(f"Echo throughput on loopback, {args.mib} MiB each way")
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch:
        drivers = {}
        for buffer_size in (1024, 64 * 1024):
            driver = Path(scratch) / f"echo_throughput_{buffer_size}"
            if not build_driver(driver, buffer_size):
                print("  (the reference labs 1-6 are not all there: nothing to measure)")
                return 0
            drivers[buffer_size] = driver
            print(f"  echo_session, {buffer_size:>5}-byte buffer: "
                  f"{run_driver(driver, 'session', str(args.mib))}")
        if shutil.which("socat"):
            driver = drivers[64 * 1024]
            print(f"  socat echo (PIPE):                {through_socat(driver, 'connect', 'PIPE', args.mib)}")
            print(f"  one way into socat (cat | nc):    "
                  f"{through_socat(driver, 'sink', 'OPEN:/dev/null,wronly', args.mib)}")
        else:
            print("  (socat is not installed: make deps installs it, for the comparison)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
