#!/usr/bin/env python3
"""A UDP echo client in the style of the tutorial's Python code, as an independent peer.

    udp_echo_client.py [HOST [PORT [MESSAGE]]]    (defaults: 127.0.0.1 5346 and a greeting)

It behaves like the kit's C udp_echo_client (lab 9), so the two are
interchangeable in tests/interop/run.py: it sends MESSAGE as one datagram
(sendto; there is no connect and no handshake), waits a second for the
reply (recvfrom with a timeout) and asks again when none came, three tries
in all, because nothing tells a UDP sender whether its datagram arrived.
It prints

    Received: <the reply's bytes as they came>

and exits 0; with no reply after three tries it says so on stderr and exits
1. Every argument is positional: a MESSAGE may begin with '-'.
"""

from __future__ import annotations

import argparse
import socket
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5346
DEFAULT_MESSAGE = "Hello world! This is a UDP echo client made with Python."
BIGGEST = 65535
TRIES = 3
WAIT_SECONDS = 1.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A UDP echo client.", add_help=False)
    parser.add_argument("host", nargs="?", default=DEFAULT_HOST)
    parser.add_argument("port", nargs="?", type=int, default=DEFAULT_PORT)
    parser.add_argument("message", nargs="?", default=DEFAULT_MESSAGE)
    # "--" first: every argument is positional, so a message such as "-k" stays a message.
    return parser.parse_args(["--", *argv])


def request(host: str, port: int, message: bytes) -> bytes | None:
    """Sends message and returns the first datagram that comes back from the server, or
    None after TRIES tries of WAIT_SECONDS each."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(WAIT_SECONDS)
        for _ in range(TRIES):
            sock.sendto(message, (host, port))
            try:
                while True:
                    reply, sender = sock.recvfrom(BIGGEST)
                    if sender == (host, port):  # anyone may send to our port: ignore others
                        return reply
            except socket.timeout:  # TimeoutError since Python 3.10
                continue
    return None


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    message = args.message.encode("utf-8", errors="surrogateescape")
    try:
        reply = request(args.host, args.port, message)
    except OSError as error:
        print(f"udp_echo_client.py: {error.strerror or error}", file=sys.stderr)
        return 1
    if reply is None:
        print(f"udp_echo_client.py: no reply after {TRIES} tries of {WAIT_SECONDS:g} s",
              file=sys.stderr)
        return 1
    sys.stdout.buffer.write(b"Received: " + reply + b"\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
