"""Tests of make trace (run by make test): its readers on fixed input, then the real thing.

The end-to-end tests run `make trace` for lab 7's round trip on the reference and check
the diagram and the timelines, then trace two mutants and check that each is shown as
the first difference. They are skipped, saying why, where strace or user namespaces are
missing.
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

from run import probe
from steps import build_steps, compare
from syscalls import parse_lines

KIT = Path(__file__).resolve().parents[3]
MESSAGE = "Hello world! This is an echo server made with C."
MAKE = os.environ.get("MAKE", "make")

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


if __name__ == "__main__":
    unittest.main()
