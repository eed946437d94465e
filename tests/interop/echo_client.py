#!/usr/bin/env python3
"""An echo client in the style of the tutorial's Python client, as an independent peer.

    echo_client.py [HOST [PORT [MESSAGE]]]    (defaults: 127.0.0.1 5346 and a greeting)

It behaves like the kit's C echo_client (lab 7), so the two are
interchangeable in tests/interop/run.py: it connects, sends MESSAGE
(sendall), receives until the whole echo is in (a loop of recv: one recv
may return only part of it), and prints

    Received: <the echoed bytes as they came>

then exits 0. A short echo (the server closed early) is printed too, with a
note on stderr and exit status 1; a network failure is reported on stderr,
exit status 1. Every argument is positional: a MESSAGE may begin with '-'.
"""

from __future__ import annotations

import argparse
import socket
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5346
DEFAULT_MESSAGE = "Hello world! This is an echo server made with C."
PIECE = 1024


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A TCP echo client.", add_help=False)
    parser.add_argument("host", nargs="?", default=DEFAULT_HOST)
    parser.add_argument("port", nargs="?", type=int, default=DEFAULT_PORT)
    parser.add_argument("message", nargs="?", default=DEFAULT_MESSAGE)
    # "--" first: every argument is positional, so a message such as "-k" stays a message.
    return parser.parse_args(["--", *argv])


def receive_echo(conn: socket.socket, expected: int) -> bytes:
    """Receives until `expected` bytes are in or the server closes."""
    pieces: list[bytes] = []
    received = 0
    while received < expected:
        data = conn.recv(min(PIECE, expected - received))
        if not data:  # the server closed before echoing everything
            break
        pieces.append(data)
        received += len(data)
    return b"".join(pieces)


def round_trip(host: str, port: int, message: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.connect((host, port))
        conn.sendall(message)
        return receive_echo(conn, len(message))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    message = args.message.encode("utf-8", errors="surrogateescape")
    try:
        echo = round_trip(args.host, args.port, message)
    except OSError as error:
        print(f"echo_client.py: {error.strerror or error}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(b"Received: " + echo + b"\n")
    sys.stdout.flush()
    if len(echo) < len(message):
        print(f"echo_client.py: incomplete echo: {len(echo)} of {len(message)} bytes",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
