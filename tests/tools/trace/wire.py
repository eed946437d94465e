"""The packets of a scenario as a sequence diagram: Mermaid for Markdown, and plain text.

Drawn: SYN, SYN-ACK, the handshake's ACK, every data segment (its size and
the first bytes, readable), FIN and RST, and the ACK that answers the last
FIN. Other bare ACKs are counted, not drawn; a segment
that carries bytes already sent is drawn as a retransmission. Data segments that follow each
other in the same direction without a pause are drawn as one arrow ("3
segments, 12288 bytes"), so a bulk transfer stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pcap import ACK, FIN, RST, SYN, Segment

PAUSE = 0.002        # seconds between data segments that start a new arrow
MAX_ARROWS = 40      # a longer diagram keeps its first and last arrows
PREFIX = 24          # readable bytes shown per arrow


@dataclass
class Arrow:
    """One arrow of the diagram."""

    time: float      # seconds since the first packet
    src: str
    dst: str
    label: str
    kind: str        # SYN, SYN-ACK, ACK, data, FIN, RST, UDP, retransmission
    size: int = 0
    segments: int = 1
    first: bytes = b""   # the first bytes of a data arrow


def readable(data: bytes, limit: int = PREFIX) -> str:
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in data[:limit])
    return text + ("..." if len(data) > limit else "")


def not_after(seq: int, other: int) -> bool:
    """seq <= other in TCP's sequence space (which wraps at 2**32)."""
    gap = (seq - other) % 2**32
    return gap == 0 or gap > 2**31


def kind_of(segment: Segment) -> str:
    if segment.protocol == "UDP":
        return "UDP"
    if segment.has(RST):
        return "RST"
    if segment.has(SYN):
        return "SYN-ACK" if segment.has(ACK) else "SYN"
    if segment.has(FIN):
        return "FIN"
    return "data" if segment.payload else "ACK"


def data_label(size: int, segments: int, first: bytes) -> str:
    pieces = f"{segments} segments, " if segments > 1 else ""
    return f'{pieces}{size} bytes "{readable(first)}"'


@dataclass
class Diagram:
    """The arrows, the endpoints in order of appearance, and what was left out."""

    arrows: list[Arrow]
    endpoints: list[str]
    bare_acks: int
    names: dict[str, str]

    def name(self, endpoint: str) -> str:
        return self.names.get(endpoint, endpoint)


def endpoint_names(segments: list[Segment]) -> dict[str, str]:
    """ "client 127.0.0.1:40000" for the side that sent a SYN, "server ..." for the side that
    answered; more than one connection numbers the clients. With datagrams only, the sender of
    the first one is the client."""
    clients = [s.src for s in segments if s.protocol == "TCP" and s.has(SYN) and not s.has(ACK)]
    servers = [s.src for s in segments if s.protocol == "TCP" and s.has(SYN) and s.has(ACK)]
    datagrams = [s for s in segments if s.protocol == "UDP"]
    if not clients and datagrams:  # no handshake to tell: the first sender is the client
        clients, servers = [datagrams[0].src], [datagrams[0].dst]
    names: dict[str, str] = {}
    numbered = len(set(clients)) > 1
    for number, client in enumerate(dict.fromkeys(clients), start=1):
        names[client] = f"client {number} {client}" if numbered else f"client {client}"
    for server in dict.fromkeys(servers):
        names.setdefault(server, f"server {server}")
    return names


def build_diagram(segments: list[Segment], start: float = 0.0) -> Diagram:
    """The diagram; times count from start (seconds since the epoch), or the first packet."""
    if not start:
        start = segments[0].time if segments else 0.0
    arrows: list[Arrow] = []
    bare_acks = 0
    handshake_pending: set[tuple[str, str]] = set()
    fins: set[str] = set()
    last_data: dict[tuple[str, str], float] = {}
    sent_up_to: dict[tuple[str, str], int] = {}  # sequence number after the last new byte
    for segment in segments:
        kind = kind_of(segment)
        when = segment.time - start
        pair = (segment.src, segment.dst)
        if kind == "SYN-ACK":
            handshake_pending.add((segment.dst, segment.src))
        if kind == "ACK":
            if pair in handshake_pending:
                handshake_pending.discard(pair)
                arrows.append(Arrow(when, segment.src, segment.dst, "ACK", "ACK"))
            elif segment.dst in fins and segment.src in fins:
                arrows.append(Arrow(when, segment.src, segment.dst, "ACK (of the FIN)", "ACK"))
                fins.discard(segment.dst)
            else:
                bare_acks += 1
            continue
        end = segment.seq + len(segment.payload)
        if kind in ("data", "FIN") and segment.payload:
            if pair in sent_up_to and not_after(end, sent_up_to[pair]):
                arrows.append(Arrow(when, segment.src, segment.dst,
                                    f"{len(segment.payload)} bytes again (retransmission)",
                                    "retransmission", len(segment.payload)))
                continue
            sent_up_to[pair] = end
        if kind == "data":
            previous = arrows[-1] if arrows else None
            if (previous and previous.kind == "data" and (previous.src, previous.dst) == pair
                    and when - last_data.get(pair, -1.0) <= PAUSE):
                previous.size += len(segment.payload)
                previous.segments += 1
                previous.label = data_label(previous.size, previous.segments, previous.first)
            else:
                arrows.append(Arrow(when, segment.src, segment.dst,
                                    data_label(len(segment.payload), 1, segment.payload),
                                    "data", len(segment.payload), first=segment.payload[:64]))
            last_data[pair] = when
            continue
        label = kind
        if kind == "FIN":
            fins.add(segment.src)
            if segment.payload:
                label = f"FIN + {len(segment.payload)} bytes"
        if kind == "UDP":
            label = f'UDP {len(segment.payload)} bytes "{readable(segment.payload)}"'
        arrows.append(Arrow(when, segment.src, segment.dst, label, kind, len(segment.payload)))
    endpoints: list[str] = []
    for arrow in arrows:
        for endpoint in (arrow.src, arrow.dst):
            if endpoint not in endpoints:
                endpoints.append(endpoint)
    names = endpoint_names(segments)
    order = {endpoint: index for index, endpoint in enumerate(endpoints)}
    endpoints.sort(key=lambda e: (not names.get(e, "").startswith("client"), order[e]))
    return Diagram(arrows, endpoints, bare_acks, names)


def shortened(arrows: list[Arrow]) -> tuple[list[Arrow], int]:
    if len(arrows) <= MAX_ARROWS:
        return arrows, 0
    keep = MAX_ARROWS // 2
    return arrows[:keep] + arrows[-keep:], len(arrows) - 2 * keep


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid message: no ';' or '#' (Mermaid's separators), no quotes."""
    return re.sub(r"[;#<>]", lambda m: {";": "#59;", "#": "#35;", "<": "#lt;",
                                         ">": "#gt;"}[m.group(0)], text)


def to_mermaid(diagram: Diagram) -> str:
    ids = {endpoint: f"P{i}" for i, endpoint in enumerate(diagram.endpoints)}
    lines = ["```mermaid", "sequenceDiagram"]
    for endpoint in diagram.endpoints:
        lines.append(f"    participant {ids[endpoint]} as {mermaid_text(diagram.name(endpoint))}")
    arrows, left_out = shortened(diagram.arrows)
    for index, arrow in enumerate(arrows):
        if left_out and index == MAX_ARROWS // 2:
            first, last = ids[diagram.endpoints[0]], ids[diagram.endpoints[-1]]
            lines.append(f"    Note over {first},{last}: ... {left_out} more arrows ...")
        lines.append(f"    {ids[arrow.src]}->>{ids[arrow.dst]}: "
                     f"{mermaid_text(arrow.label)} ({milliseconds(arrow.time)})")
    lines.append("```")
    return "\n".join(lines)


def to_text(diagram: Diagram, width: int = 100) -> str:
    """The diagram as lines of text: one column per endpoint, one arrow per line."""
    if not diagram.arrows:
        return "  (no packets)"
    columns = len(diagram.endpoints)
    span = max(24, min(60, (width - 14) // max(columns - 1, 1)))
    position = {endpoint: 12 + i * span for i, endpoint in enumerate(diagram.endpoints)}
    header = [" "] * (12 + span * (columns - 1) + span)
    for endpoint in diagram.endpoints:
        title = diagram.name(endpoint)
        start = max(0, position[endpoint] - len(title) // 2)
        header[start:start + len(title)] = list(title)
    lines = ["".join(header).rstrip()]
    arrows, left_out = shortened(diagram.arrows)
    for index, arrow in enumerate(arrows):
        if left_out and index == MAX_ARROWS // 2:
            lines.append(f"{'':12}... {left_out} more arrows ...")
        row = [" "] * len(header)
        for endpoint in diagram.endpoints:
            row[position[endpoint]] = "|"
        left, right = sorted((position[arrow.src], position[arrow.dst]))
        for i in range(left + 1, right):
            row[i] = "-"
        if position[arrow.src] < position[arrow.dst]:
            row[right - 1] = ">"
        else:
            row[left + 1] = "<"
        label = f" {arrow.label} "
        room = right - left - 3
        if len(label) > room:
            label = label[:max(room - 4, 0)] + "... "
        start = left + 2 + max((room - len(label)) // 2, 0)
        row[start:start + len(label)] = list(label)
        stamp = f"{arrow.time * 1000:8.3f} ms"
        row[0:len(stamp)] = list(stamp)
        lines.append("".join(row).rstrip())
    return "\n".join(lines)


def summary(diagram: Diagram) -> list[str]:
    """The arrows as short words, for comparing two captures: "SYN >", "48 bytes <"..."""
    words = []
    first = diagram.endpoints[0] if diagram.endpoints else ""
    for arrow in diagram.arrows:
        direction = ">" if arrow.src == first else "<"
        what = f"{arrow.size} bytes" if arrow.kind == "data" else arrow.kind
        words.append(f"{what} {direction}")
    return words
