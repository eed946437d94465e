#!/usr/bin/env python3
"""A UDP echo server in the style of the tutorial's Python code, as an independent peer.

    udp_echo_server.py [HOST [PORT]]    (defaults: 127.0.0.1 5346; PORT 0: any free port)

It prints the same lines as the kit's C udp_echo_server (lab 9), so the two
are interchangeable in tests/interop/run.py:

    Listening on 127.0.0.1:40123
    Echoed 48 bytes to 127.0.0.1:51002

There is no accept and no connection: each datagram that arrives (recvfrom,
which also says who sent it) is sent straight back to its sender (sendto),
one datagram for one datagram, an empty one included. It runs until SIGINT
or SIGTERM, then exits 0.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from types import FrameType

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5346
BIGGEST = 65535  # room for any UDP datagram, so none is cut short


class Stop(Exception):
    """Raised by the signal handler: SIGINT or SIGTERM arrived."""


def request_stop(signal_number: int, frame: FrameType | None) -> None:
    raise Stop


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A UDP echo server.")
    parser.add_argument("host", nargs="?", default=DEFAULT_HOST)
    parser.add_argument("port", nargs="?", type=int, default=DEFAULT_PORT)
    return parser.parse_args(argv)


def serve(sock: socket.socket) -> None:
    """Echoes datagrams until Stop is raised."""
    while True:
        data, (peer_host, peer_port) = sock.recvfrom(BIGGEST)
        sock.sendto(data, (peer_host, peer_port))
        print(f"Echoed {len(data)} bytes to {peer_host}:{peer_port}", flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Before "Listening on": a signal may come as soon as the line is out.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((args.host, args.port))
            bound_host, bound_port = sock.getsockname()
            print(f"Listening on {bound_host}:{bound_port}", flush=True)
            serve(sock)
    except Stop:
        return 0
    except OSError as error:
        print(f"udp_echo_server.py: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
