"""Reading a pcap file (classic format) into TCP and UDP segments, with the standard library.

Link types: Ethernet (1, what lo gives), raw IP (101), Linux cooked (113) and
BSD loopback (0). IPv4 and IPv6; other protocols are skipped.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass
class Segment:
    """One TCP segment or UDP datagram."""

    time: float
    protocol: str            # "TCP" or "UDP"
    src: str                 # "127.0.0.1:40000"
    dst: str
    flags: int = 0
    seq: int = 0
    ack: int = 0
    window: int = 0
    payload: bytes = b""

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


def records(data: bytes) -> tuple[int, list[tuple[float, bytes]]]:
    """(link type, [(time, frame bytes)]) of a pcap file."""
    if len(data) < 24:
        return 1, []
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(order + "I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError("not a pcap file")
    fraction = 1e-9 if magic == 0xA1B23C4D else 1e-6
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0xFFFF
    frames: list[tuple[float, bytes]] = []
    offset = 24
    while offset + 16 <= len(data):
        seconds, fraction_part, captured, _ = struct.unpack(order + "IIII",
                                                            data[offset:offset + 16])
        offset += 16
        frames.append((seconds + fraction_part * fraction, data[offset:offset + captured]))
        offset += captured
    return linktype, frames


def network_layer(linktype: int, frame: bytes) -> bytes | None:
    if linktype == 1:
        ethertype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        return frame[14:] if ethertype in (0x0800, 0x86DD) else None
    if linktype == 113:
        return frame[16:]
    if linktype == 0:
        return frame[4:]
    if linktype == 101:
        return frame
    return None


def transport(time: float, packet: bytes) -> Segment | None:
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20:
        header = (packet[0] & 0x0F) * 4
        total = struct.unpack("!H", packet[2:4])[0]
        protocol = packet[9]
        src = str(ipaddress.IPv4Address(packet[12:16]))
        dst = str(ipaddress.IPv4Address(packet[16:20]))
        body = packet[header:total]
    elif version == 6 and len(packet) >= 40:
        protocol = packet[6]
        length = struct.unpack("!H", packet[4:6])[0]
        src = f"[{ipaddress.IPv6Address(packet[8:24])}]"
        dst = f"[{ipaddress.IPv6Address(packet[24:40])}]"
        body = packet[40:40 + length]
    else:
        return None
    if protocol == 6 and len(body) >= 20:
        sport, dport, seq, ack, offset_flags, window = struct.unpack("!HHIIHH", body[:16])
        data_offset = (offset_flags >> 12) * 4
        return Segment(time, "TCP", f"{src}:{sport}", f"{dst}:{dport}", offset_flags & 0x3F,
                       seq, ack, window, body[data_offset:])
    if protocol == 17 and len(body) >= 8:
        sport, dport = struct.unpack("!HH", body[:4])
        return Segment(time, "UDP", f"{src}:{sport}", f"{dst}:{dport}", payload=body[8:])
    return None


def read_segments(data: bytes) -> list[Segment]:
    linktype, frames = records(data)
    segments = []
    for time, frame in frames:
        packet = network_layer(linktype, frame)
        segment = transport(time, packet) if packet is not None else None
        if segment:
            segments.append(segment)
    return segments
