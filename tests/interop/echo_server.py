#!/usr/bin/env python3
"""An echo server in the style of the tutorial's Python server, as an independent peer.

    echo_server.py [HOST [PORT]]        (defaults: 127.0.0.1 5346; PORT 0: any free port)

It prints the same lines as the kit's C echo_server (lab 6), so the two are
interchangeable in tests/interop/run.py:

    Listening on 127.0.0.1:40123
    Connected by: 127.0.0.1:51002

It serves one client: whatever arrives is sent straight back (recv, then
sendall), until the client closes its side; then it exits 0.
"""

from __future__ import annotations

import argparse
import socket
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5346
PIECE = 1024  # how much one recv() may return, as in the tutorial


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A one-client TCP echo server.")
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


def serve_one(host: str, port: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen()
        bound_host, bound_port = listener.getsockname()
        print(f"Listening on {bound_host}:{bound_port}", flush=True)
        conn, (peer_host, peer_port) = listener.accept()
        with conn:
            print(f"Connected by: {peer_host}:{peer_port}", flush=True)
            echo_until_closed(conn)
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        return serve_one(args.host, args.port)
    except OSError as error:
        print(f"echo_server.py: {error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
