"""Tests of make trace (run by make test): its readers on fixed input, then the real thing.

The end-to-end tests run `make trace` for lab 7's round trip on the reference and check
the diagram and the timelines, then trace two mutants and check that each is shown as
the first difference; then one scenario each of labs 8 (two clients through the hub), 9
(a datagram and its echo) and 10 (a connection over ::1), on the reference. They are
skipped, saying why, where strace or user namespaces are missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import wire
from pcap import Segment
from run import probe
from steps import build_steps, compare
from syscalls import parse_lines

KIT = Path(__file__).resolve().parents[3]
MESSAGE = "Hello world! This is an echo server made with C."
MAKE = os.environ.get("MAKE", "make")

# Recorded strace text that the reader parses: nothing binds or connects here, so the
# ports in it (5000, 40000, 5346) are only text.
SERVER_LINES = """\
7 10:00:00.000100 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[100]>
7 10:00:00.000200 setsockopt(3<TCP:[100]>, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
7 10:00:00.000300 bind(3<TCP:[100]>, {sa_family=AF_INET, sin_port=htons(0), \
sin_addr=inet_addr("127.0.0.1")}, 16) = 0
7 10:00:00.000400 listen(3<TCP:[127.0.0.1:5000]>, 16) = 0
7 10:00:00.000500 accept(3<TCP:[127.0.0.1:5000]>,  <unfinished ...>
7 10:00:00.100000 <... accept resumed>{sa_family=AF_INET, sin_port=htons(40000), \
sin_addr=inet_addr("127.0.0.1")}, [16]) = 4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>
7 10:00:00.100100 recvfrom(4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, "Hello", 1024, 0, NULL, \
NULL) = 5
7 10:00:00.100200 recvfrom(4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>,  <unfinished ...>) = ?
7 10:00:03.000000 +++ killed by SIGKILL +++
"""


class ReadersTest(unittest.TestCase):
    """strace's lines become steps; two step lists give a sentence."""

    def test_strace_lines_joined_resumed_and_cut_short_calls_kept(self) -> None:
        steps = build_steps(parse_lines(SERVER_LINES.splitlines()))
        kinds = [step.kind for step in steps]
        self.assertEqual(kinds, ["socket", "setsockopt", "bind", "listen", "accept", "recv",
                                 "exit"], f"steps: {[s.text for s in steps]}")
        accept = steps[4]
        self.assertIn("4<:5000->:40000>", accept.text, "accept shows the new descriptor")
        self.assertEqual(steps[5].key, "recv 5 bytes, then waits",
                         "a recv killed while waiting is kept as 'waits'")

    def test_bind_before_reuseaddr_is_the_first_difference(self) -> None:
        lines = SERVER_LINES.splitlines()
        stamp = len("7 10:00:00.000200 ")
        swapped = [lines[0], lines[1][:stamp] + lines[2][stamp:],
                   lines[2][:stamp] + lines[1][stamp:], *lines[3:]]
        mine = build_steps(parse_lines(swapped))
        ref = build_steps(parse_lines(lines))
        difference = compare(mine, ref)
        self.assertIsNotNone(difference, "the order of bind and setsockopt differs")
        assert difference
        self.assertEqual(difference.sentence, "yours: bind before setsockopt(SO_REUSEADDR)")


HUB_LINES = """\
8 10:00:00.000100 poll([{fd=3<TCP:[127.0.0.1:5000]>, events=POLLIN}, \
{fd=4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, events=POLLIN}], 2, 200) = 0 (Timeout)
8 10:00:00.200100 poll([{fd=3<TCP:[127.0.0.1:5000]>, events=POLLIN}, \
{fd=4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, events=POLLIN}], 2, 200) = 0 (Timeout)
8 10:00:00.400100 poll([{fd=3<TCP:[127.0.0.1:5000]>, events=POLLIN}, \
{fd=4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, events=POLLIN}], 2, 200) = 1 \
([{fd=4, revents=POLLIN}])
8 10:00:00.400200 recvfrom(4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, "Hello", 65536, 0, NULL, \
NULL) = 5
8 10:00:00.400300 poll([{fd=3<TCP:[127.0.0.1:5000]>, events=POLLIN}], 1, 200) = \
? ERESTART_RESTARTBLOCK (Interrupted by signal)
8 10:00:00.500000 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER} ---
8 10:00:00.500100 +++ exited with 0 +++
"""


class PollAndDatagramTest(unittest.TestCase):
    """The readers on what labs 8 to 10 add: poll loops, datagrams, IPv6."""

    def test_poll_shows_watched_and_ready_idle_waits_join_and_none_is_compared(self) -> None:
        steps = build_steps(parse_lines(HUB_LINES.splitlines()))
        texts = [step.text for step in steps]
        self.assertEqual(texts[0], "poll(3 4: POLLIN, 200 ms) = 0 (timed out) x2", texts)
        self.assertEqual(texts[1], "poll(3 4: POLLIN, 200 ms) = 1: 4 POLLIN", texts)
        self.assertEqual(texts[3], "poll(3: POLLIN, 200 ms) = interrupted by a signal", texts)
        self.assertEqual([step.key for step in steps if step.kind == "poll"], ["", "", ""],
                         "how often a loop polls is timing: never a difference")

    def test_datagrams_alone_make_the_first_sender_the_client(self) -> None:
        segments = [Segment(1.0, "UDP", "127.0.0.1:40000", "127.0.0.1:5346", payload=b"hi"),
                    Segment(1.1, "UDP", "127.0.0.1:5346", "127.0.0.1:40000", payload=b"hi")]
        diagram = wire.build_diagram(segments)
        self.assertEqual([arrow.label for arrow in diagram.arrows],
                         ['UDP 2 bytes "hi"', 'UDP 2 bytes "hi"'])
        self.assertEqual(diagram.name("127.0.0.1:40000"), "client 127.0.0.1:40000")
        self.assertEqual(diagram.name("127.0.0.1:5346"), "server 127.0.0.1:5346")

    def test_sendto_names_its_address_and_ipv6_binds_in_brackets(self) -> None:
        # strace text to parse, not a socket: port 5346 is only text here.
        lines = [
            '9 10:00:00.000100 sendto(3<UDP:[55]>, "Hello", 5, 0, {sa_family=AF_INET, '
            'sin_port=htons(5346), sin_addr=inet_addr("127.0.0.1")}, 16) = 5',
            '9 10:00:00.000200 bind(4<TCPv6:[66]>, {sa_family=AF_INET6, sin6_port=htons(0), '
            'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), '
            'sin6_scope_id=0}, 28) = 0']
        steps = build_steps(parse_lines(lines))
        self.assertIn("sendto(3, to :5346, \"Hello\", 5) = 5", steps[0].text)
        self.assertEqual(steps[1].text, "bind(4, [::1]:0) = 0")


def unavailable() -> str:
    """Why the end-to-end tests cannot run here, or ""."""
    if not shutil.which("strace"):
        return "strace is not installed (make deps)"
    found = probe()
    if not found.namespace:
        return "no user namespaces here: " + "; ".join(found.missing)
    return ""


def build_mutant(root: Path, lab: int, file: str, mutant: str) -> Path:
    """The reference with one file replaced by a mutant; builds only the two programs."""
    src = root / "src"
    shutil.copytree(KIT / "solutions", src)
    patch = KIT / "tests" / "mutants" / f"lab{lab}" / mutant
    applied = subprocess.run([sys.executable, str(KIT / "tests" / "tools" / "mutants.py"),
                              "apply", str(patch)],
                             check=True, capture_output=True, text=True, timeout=60, cwd=KIT)
    (src / f"lab{lab}" / file).write_text(applied.stdout)
    build = root / "build"
    subprocess.run([MAKE, "-s", "--no-print-directory", "-C", str(KIT), f"SRC={src}",
                    f"BUILD={build}", str(build / "lab6" / "echo_server"),
                    str(build / "lab7" / "echo_client")],
                   check=True, capture_output=True, text=True, timeout=300)
    return build


def trace(build: Path, scenario: str) -> str:
    done = subprocess.run([sys.executable, str(KIT / "tests" / "tools" / "trace"), "--lab", "7",
                           "--build", str(build), "--reference",
                           str(KIT / "build" / "solution"), "--scenario", scenario,
                           "--width", "160"],
                          capture_output=True, text=True, timeout=120, cwd=KIT, check=False)
    if done.returncode != 0:
        raise AssertionError(f"make trace failed: {done.stderr}")
    return done.stdout


@unittest.skipIf(unavailable(), unavailable())
class RoundTripTest(unittest.TestCase):
    """make trace on lab 7's round trip: the reference, then two mutants."""

    output: str
    status: int
    folder: Path

    @classmethod
    def setUpClass(cls) -> None:
        done = subprocess.run([MAKE, "-s", "--no-print-directory", "-C", str(KIT), "trace",
                               "LAB=7", "SOLUTION=1", "SCENARIO=roundtrip"],
                              capture_output=True, text=True, timeout=600, check=False)
        cls.output = done.stdout + done.stderr
        cls.status = done.returncode
        cls.folder = KIT / "build" / "solution" / "lab7" / "trace" / "roundtrip"

    def test_reference_trace_is_written_where_it_says(self) -> None:
        self.assertEqual(self.status, 0, f"make trace failed:\n{self.output}")
        for name in ("timeline.txt", "trace.md", "capture.pcap"):
            self.assertTrue((self.folder / name).is_file(), f"{name} missing:\n{self.output}")
            self.assertIn(str(Path("build/solution/lab7/trace/roundtrip") / name), self.output,
                          f"the path of {name} is printed")

    def test_diagram_holds_handshake_message_each_way_and_both_fins(self) -> None:
        markdown = (self.folder / "trace.md").read_text(encoding="utf-8")
        arrows = re.findall(r"^    (P\d)->>(P\d): (.*)$", markdown, re.MULTILINE)
        labels = [(src, dst, label.rsplit(" (", 1)[0]) for src, dst, label in arrows]
        client, server = "P0", "P1"
        wanted = [(client, server, "SYN"), (server, client, "SYN-ACK"),
                  (client, server, "ACK"),
                  (client, server, f'{len(MESSAGE)} bytes "{MESSAGE[:24]}..."'),
                  (server, client, f'{len(MESSAGE)} bytes "{MESSAGE[:24]}..."')]
        self.assertEqual(labels[:5], wanted, f"the diagram:\n{markdown}")
        fins = [(src, dst) for src, dst, label in labels if label.startswith("FIN")]
        self.assertEqual(sorted(fins), sorted([(client, server), (server, client)]),
                         f"a FIN each way:\n{markdown}")
        self.assertIn("```mermaid\nsequenceDiagram", markdown)

    def test_timeline_holds_server_and_client_calls_in_order(self) -> None:
        from syscalls import read_calls
        order = {"server": ["socket", "bind", "listen", "accept"], "client": ["socket", "connect"]}
        for role, wanted in order.items():
            steps = build_steps(read_calls(self.folder / "yours" / f"{role}.strace"))
            kinds = [("accept" if s.kind == "accept4" else s.kind) for s in steps]
            positions = [kinds.index(kind) if kind in kinds else -1 for kind in wanted]
            self.assertTrue(-1 not in positions and positions == sorted(positions),
                            f"{role}: expected {wanted} in order, got {kinds}")
        timeline = (self.folder / "timeline.txt").read_text(encoding="utf-8")
        self.assertIn("First difference: none", timeline, "the reference matches itself")

    def test_bind_before_reuseaddr_mutant_is_the_first_difference(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            build = build_mutant(Path(root), 3, "listen.c", "listen--reuseaddr-after-bind.patch")
            shown = trace(build, "roundtrip")
        self.assertIn("First difference (server, marked >>): yours: bind before "
                      "setsockopt(SO_REUSEADDR)", shown, shown)

    def test_single_recv_mutant_is_the_first_difference(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            build = build_mutant(Path(root), 7, "client.c", "client--single-recv.patch")
            shown = trace(build, "python")
        self.assertRegex(shown, r"First difference \(client, marked >>\): yours: one recv of "
                         r"\d+ bytes that returned 16, then close of the connected socket: the "
                         rf"reference receives until {len(MESSAGE)} bytes arrived", shown)


def make_trace(lab: int, scenario: str) -> tuple[int, str, Path]:
    """make trace on the reference (yours and the reference's runs are both the reference)."""
    done = subprocess.run([MAKE, "-s", "--no-print-directory", "-C", str(KIT), "trace",
                           f"LAB={lab}", "SOLUTION=1", f"SCENARIO={scenario}"],
                          capture_output=True, text=True, timeout=600, check=False)
    folder = KIT / "build" / "solution" / f"lab{lab}" / "trace" / scenario
    return done.returncode, done.stdout + done.stderr, folder


def arrows_of(folder: Path) -> list[tuple[str, str, str]]:
    """(from, to, label without its time) of each arrow of trace.md's diagram, by name."""
    markdown = (folder / "trace.md").read_text(encoding="utf-8")
    names = dict(re.findall(r"^    participant (P\d) as (.*)$", markdown, re.MULTILINE))
    return [(names[src], names[dst], label.rsplit(" (", 1)[0])
            for src, dst, label in re.findall(r"^    (P\d)->>(P\d): (.*)$", markdown,
                                              re.MULTILINE)]


@unittest.skipIf(unavailable(), unavailable())
class LaterLabsTest(unittest.TestCase):
    """One scenario each of labs 8, 9 and 10, on the reference."""

    def trace(self, lab: int, scenario: str) -> tuple[str, Path]:
        status, output, folder = make_trace(lab, scenario)
        self.assertEqual(status, 0, f"make trace failed:\n{output}")
        self.assertIn("First difference: none", output, "the reference matches itself")
        return output, folder

    def test_lab8_hub_serves_client_2_while_client_1_stays_connected(self) -> None:
        output, folder = self.trace(8, "hub")
        arrows = [(src.rsplit(" ", 1)[0], dst.rsplit(" ", 1)[0], label)
                  for src, dst, label in arrows_of(folder)]
        syns = [src for src, _, label in arrows if label == "SYN"]
        self.assertEqual(syns, ["client 1", "client 2"], f"two handshakes: {arrows}")
        data = [(src, dst) for src, dst, label in arrows if "bytes" in label]
        self.assertEqual(data, [("client 1", "server"), ("server", "client 1"),
                                ("client 2", "server"), ("server", "client 2"),
                                ("client 1", "server"), ("server", "client 1")], f"{arrows}")
        fins = [src for src, _, label in arrows if label == "FIN"]
        self.assertLess(fins.index("client 2"), fins.index("client 1"),
                        "client 2 left while client 1 was still connected")
        self.assertIn("poll(3 4 5: POLLIN", output, "one poll watches both clients")
        self.assertIn("--- SIGTERM ---", output)
        self.assertIn("exited with 0", output)

    def test_lab9_datagram_has_no_handshake_and_no_fin(self) -> None:
        output, folder = self.trace(9, "datagram")
        arrows = arrows_of(folder)
        self.assertEqual([(src.split()[0], dst.split()[0], label) for src, dst, label in arrows],
                         [("client", "server", f'UDP {len(MESSAGE)} bytes "{MESSAGE[:24]}..."'),
                          ("server", "client", f'UDP {len(MESSAGE)} bytes "{MESSAGE[:24]}..."')],
                         f"only the datagram and its echo: {arrows}")
        self.assertIn("socket(AF_INET, SOCK_DGRAM)", output)
        self.assertNotIn("listen(", output)
        self.assertNotIn("accept(", output)

    def test_lab10_connects_over_ipv6_loopback(self) -> None:
        output, folder = self.trace(10, "ipv6")
        arrows = arrows_of(folder)
        self.assertEqual([label for _, _, label in arrows[:3]], ["SYN", "SYN-ACK", "ACK"])
        self.assertTrue(all("[::1]:" in src and "[::1]:" in dst for src, dst, _ in arrows),
                        f"every packet between [::1] ports: {arrows}")
        self.assertIn("socket(AF_INET6, SOCK_STREAM)", output)
        self.assertIn("bind(3, [::1]:0)", output)
        self.assertIn("= -1 EINPROGRESS", output)
        self.assertRegex(output, r'sockaddr_to_string\(client\): "\[::1\]:\d+')


if __name__ == "__main__":
    unittest.main()
