#!/usr/bin/env python3
"""An echo server in the style of the tutorial's Python server, as an independent peer.

    echo_server.py [-k] [HOST [PORT]]   (defaults: 127.0.0.1 5346; PORT 0: any free port)

It prints the same lines as the kit's C echo_server (lab 6), so the two are
interchangeable in tests/interop/run.py:

    Listening on 127.0.0.1:40123
    Connected by: 127.0.0.1:51002

It serves one client: whatever arrives is sent straight back (recv, then
sendall), until the client closes its side; then it exits 0. With -k, as the
C echo_server -k, it serves clients one after another (the next one waits in
the listen queue meanwhile) until SIGINT or SIGTERM, then exits 0: the
one-client-at-a-time server that make bench-echo SERVER=python measures.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from types import FrameType

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5346
PIECE = 1024  # how much one recv() may return, as in the tutorial


class Stop(Exception):
    """Raised by the signal handler of -k: SIGINT or SIGTERM arrived."""


def request_stop(signal_number: int, frame: FrameType | None) -> None:
    raise Stop


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A one-client TCP echo server.")
    parser.add_argument("-k", dest="keep", action="store_true",
                        help="serve clients one after another until SIGINT or SIGTERM")
    parser.add_argument("host", nargs="?", default=DEFAULT_HOST)
    parser.add_argument("port", nargs="?", type=int, default=DEFAULT_PORT)
    return parser.parse_args(argv)


def echo_until_closed(conn: socket.socket) -> int:
    """Sends back everything the client sends; returns how many bytes were echoed."""
    echoed = 0
    while True:
        data = conn.recv(PIECE)
        if not data:  # the client closed its side
            return echoed
        conn.sendall(data)
        echoed += len(data)


def serve(host: str, port: int, keep: bool) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen()
        bound_host, bound_port = listener.getsockname()
        print(f"Listening on {bound_host}:{bound_port}", flush=True)
        while True:
            conn, (peer_host, peer_port) = listener.accept()
            with conn:
                print(f"Connected by: {peer_host}:{peer_port}", flush=True)
                try:
                    echo_until_closed(conn)
                except ConnectionError:
                    if not keep:
                        raise
            if not keep:
                return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.keep:  # before "Listening on": a signal may come as soon as the line is out
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
    try:
        return serve(args.host, args.port, args.keep)
    except Stop:
        return 0
    except OSError as error:
        print(f"echo_server.py: {error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
