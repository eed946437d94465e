#!/usr/bin/env python3
"""The Python side of make trace's labs 6 to 8: an echo client or server written the way
the tutorial writes them in Python (socket, connect or bind/listen/accept, sendall, recv).

    peer.py client HOST PORT MESSAGE       prints "Received: ..." (exit 1 if the echo is short)
    peer.py server HOST PORT [--pieces N]  one client; prints "Listening on HOST:PORT"
    peer.py two HOST PORT MESSAGE          lab 8: two clients, the second served while the
                                           first is still connected (see run_two_clients)

With --pieces N the server sends each echo back in two parts, the first N
bytes and then the rest, and sends the rest only once the client has read
the first part (it watches the client's receive queue in /proc/net/tcp, at
most 2 s): a client that calls recv() once gets only the first part, as it
may on a real network.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

PIECE = 1024
READ_WAIT = 2.0


def receive_echo(conn: socket.socket, length: int) -> bytes:
    echo = b""
    while len(echo) < length:
        data = conn.recv(PIECE)
        if not data:
            break
        echo += data
    return echo


def run_client(host: str, port: int, message: bytes) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.connect((host, port))
        conn.sendall(message)
        echo = receive_echo(conn, len(message))
    sys.stdout.buffer.write(b"Received: " + echo + b"\n")
    sys.stdout.flush()
    return 0 if len(echo) == len(message) else 1


def round_trip(conn: socket.socket, name: str, message: bytes) -> bool:
    conn.sendall(message)
    echo = receive_echo(conn, len(message))
    sys.stdout.buffer.write(f"{name} received: ".encode() + echo + b"\n")
    sys.stdout.flush()
    return echo == message


def leave(conn: socket.socket) -> bool:
    """Half-closes and waits for the server's end of stream: the server has closed its side
    before this returns (whether it sends anything more is a failure)."""
    conn.shutdown(socket.SHUT_WR)
    return conn.recv(PIECE) == b""


def run_two_clients(host: str, port: int, message: bytes) -> int:
    """Client 1 connects and gets an echo; client 2 connects, gets its echo and leaves while
    client 1 is still connected; then client 1 gets a second echo and leaves. Each step waits
    for the server's answer (the echo, or its close after a client's FIN), so the server sees
    one thing at a time and its calls come in the same order in every run."""
    fine = True
    with socket.create_connection((host, port)) as first:
        fine &= round_trip(first, "client 1", b"client 1: " + message)
        with socket.create_connection((host, port)) as second:
            fine &= round_trip(second, "client 2", b"client 2: " + message)
            fine &= leave(second)
        fine &= round_trip(first, "client 1", b"client 1 again, still connected")
        fine &= leave(first)
    return 0 if fine else 1


def unread_bytes(local_port: int, remote_port: int) -> int | None:
    """The receive queue of the loopback socket local_port->remote_port, or None if gone."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            if (int(local.rsplit(":", 1)[1], 16) == local_port
                    and int(remote.rsplit(":", 1)[1], 16) == remote_port):
                return int(queues.split(":")[1], 16)
    return None


def wait_until_read(client_port: int, server_port: int) -> None:
    deadline = time.monotonic() + READ_WAIT
    while time.monotonic() < deadline:
        unread = unread_bytes(client_port, server_port)
        if not unread:
            return
        # No event announces that the peer has read its queue: the kernel's count in
        # /proc/net/tcp is polled, within READ_WAIT.
        time.sleep(0.002)


def run_server(host: str, port: int, pieces: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen()
        bound = listener.getsockname()
        print(f"Listening on {bound[0]}:{bound[1]}", flush=True)
        conn, peer = listener.accept()
        with conn:
            print(f"Connected by: {peer[0]}:{peer[1]}", flush=True)
            while data := conn.recv(PIECE):
                if pieces and len(data) > pieces:
                    conn.sendall(data[:pieces])
                    wait_until_read(peer[1], bound[1])
                    data = data[pieces:]
                conn.sendall(data)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The tutorial's style of echo peer.")
    parser.add_argument("role", choices=("client", "server", "two"))
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("message", nargs="?", default="")
    parser.add_argument("--pieces", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        if args.role == "client":
            return run_client(args.host, args.port, args.message.encode())
        if args.role == "two":
            return run_two_clients(args.host, args.port, args.message.encode())
        return run_server(args.host, args.port, args.pieces)
    except OSError as error:
        print(f"peer.py: {error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
