"""Capturing the loopback packets of a private network namespace, with the standard library.

Inside `unshare -rn` the process is root of its own user namespace, which is
enough to bring that namespace's lo up and to open an AF_PACKET socket on it:
no tcpdump needed (tcpdump drops its privileges to the user "tcpdump", which
a user namespace cannot switch to). Every packet on lo passes the packet
socket twice, once leaving and once arriving; only the arrival is kept, as
tcpdump does. Timestamps are the kernel's (SO_TIMESTAMPNS). The result is a
classic pcap file (Ethernet link type) that Wireshark and tcpdump -r read.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import threading

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SNAPLEN = 262144
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, SNAPLEN, 1)  # nanosecond pcap


def bring_loopback_up() -> None:
    """ip link set lo up, with an ioctl. Raises OSError without CAP_NET_ADMIN."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


class LoopbackCapture:
    """Packets of lo, from start() until stop(); stop() returns the pcap file's bytes."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.records: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.sock.settimeout(0.05)
        self.thread.start()

    def _take(self) -> bool:
        """Reads one packet; False when none was waiting."""
        try:
            data, ancillary, _flags, address = self.sock.recvmsg(SNAPLEN, 64)
        except (TimeoutError, BlockingIOError, socket.timeout):
            return False
        if address[2] == PACKET_OUTGOING:
            return True
        seconds, nanoseconds = 0, 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
        self.records.append(struct.pack("<IIII", seconds, nanoseconds, len(data), len(data))
                            + data)
        return True

    def _run(self) -> None:
        while not self.done.is_set():
            self._take()

    def stop(self) -> bytes:
        """Stops, takes every packet still queued, and returns the whole capture."""
        self.done.set()
        self.thread.join()
        self.sock.setblocking(False)
        while self._take():
            pass
        self.sock.close()
        return PCAP_HEADER + b"".join(self.records)
