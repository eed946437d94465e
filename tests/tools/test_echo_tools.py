"""Tests of the tools around labs 8 and 9 (run by make test):

  - make bench-echo: its figures from fixed input; echo_load, the C driver, never hangs on a
    server that never answers; a real run against the tutorial-style Python server, and
    against the reference's echo_server -k and multi_echo_server;
  - make demo LAB=8 and LAB=9 on the reference programs, and the lab that has no demo;
  - make interop's UDP pairings: the Python peers pass each other, a server that echoes
    the wrong bytes fails with the reason, and nc -u is skipped, saying why, when nc is
    missing.

The reference programs are built once into a scratch folder. Every program runs on
127.0.0.1 on a port the system picks, and every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from tests.interop import run as interop
from tests.tools import bench_echo, demo

KIT = Path(__file__).resolve().parents[2]
INTEROP = KIT / "tests" / "interop"
MAKE_TIMEOUT = 300


def quiet_env() -> dict[str, str]:
    """The environment without the outer make's variables (make test's own flags)."""
    return {name: value for name, value in os.environ.items()
            if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def has_solutions() -> bool:
    return (KIT / "solutions" / "lab9").is_dir()


class ReferenceBuild(unittest.TestCase):
    """The reference programs of labs 6-9, built once for the class into a scratch folder."""

    scratch: Path
    build: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = Path(tempfile.mkdtemp(prefix="test-echo-tools-"))
        cls.build = cls.scratch / "build"
        made = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(KIT),
                               "SOLUTION=1", f"BUILD={cls.build}", "programs-lab9"],
                              capture_output=True, text=True, timeout=MAKE_TIMEOUT,
                              env=quiet_env(), check=False)
        if made.returncode != 0:
            shutil.rmtree(cls.scratch, ignore_errors=True)
            raise AssertionError(f"the reference programs did not build:\n{made.stderr}")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.scratch, ignore_errors=True)


# ---- make bench-echo --------------------------------------------------------------------


class BenchFigures(unittest.TestCase):
    def test_percentile_is_the_nearest_rank(self) -> None:
        samples = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, out of order
        self.assertEqual(bench_echo.percentile(samples, 0.5), 50.0)
        self.assertEqual(bench_echo.percentile(samples, 0.9), 90.0)
        self.assertEqual(bench_echo.percentile(samples, 0.99), 99.0)
        self.assertEqual(bench_echo.percentile([7.0], 0.99), 7.0)

    def test_sizes_take_k_and_m_suffixes(self) -> None:
        self.assertEqual(bench_echo.byte_count("65536"), 65536)
        self.assertEqual(bench_echo.byte_count("64K"), 65536)
        self.assertEqual(bench_echo.byte_count("1m"), 1024 * 1024)
        for wrong in ("0", "1G", "-5", "lots"):
            with self.assertRaises(Exception, msg=wrong):
                bench_echo.byte_count(wrong)

    def test_load_output_becomes_throughput_and_percentiles(self) -> None:
        measured = bench_echo.parse_load(
            "seconds 0.500000\nechoed 50000000\nclient 0 100.0 2000.0\n"
            "client 1 0.0 0.0\nrtt 10.0 20.0 30.0 40.0\n")
        self.assertAlmostEqual(measured.megabytes_per_second, 100.0)
        self.assertEqual(measured.first_echo, [100.0], "a client with no echo is left out")
        text = "\n".join(bench_echo.figures(measured, clients=2))
        self.assertIn("100.0 MB/s", text)
        self.assertIn("p50 0.020 ms  p90 0.040 ms  p99 0.040 ms  max 0.040 ms", text)
        self.assertIn("(1 of 2 clients, from the start)", text)


class EchoLoad(unittest.TestCase):
    """The C driver, alone."""

    scratch: Path
    load: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = Path(tempfile.mkdtemp(prefix="test-echo-load-"))
        cls.load = cls.scratch / "echo_load"
        problem = bench_echo.build_load(cls.load, os.environ.get("CC", "cc"))
        if problem:
            raise AssertionError(f"echo_load did not build: {problem}")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def test_a_server_that_never_answers_ends_at_the_deadline(self) -> None:
        with socket.socket() as listener:  # listens, never accepts: connects, no echo
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            started = time.monotonic()
            done = subprocess.run([str(self.load), str(listener.getsockname()[1]), "3",
                                   "4096", "1024", "300"], capture_output=True, text=True,
                                  timeout=30, check=False)
        elapsed = time.monotonic() - started
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertLess(elapsed, 5, "the deadline of 300 ms was kept")
        self.assertIn("echoed 0", done.stdout)

    def test_a_closed_port_fails_at_once(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # bound, never listening: connect is refused
            done = subprocess.run([str(self.load), str(port), "2", "1024", "1024", "5000"],
                                  capture_output=True, text=True, timeout=30, check=False)
        self.assertEqual(done.returncode, 1)
        self.assertIn("Connection refused", done.stderr)


class BenchEchoRuns(ReferenceBuild):
    def bench(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(KIT / "tests" / "tools" / "bench_echo.py"),
                               "--build", str(self.build), "--clients", "3", "--bytes", "32K",
                               "--timeout", "30", *arguments], capture_output=True, text=True,
                              timeout=90, cwd=KIT, check=False)

    def assert_measured(self, done: subprocess.CompletedProcess[str], one_at_a_time: bool) -> None:
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"throughput: +\d+\.\d MB/s")
        self.assertRegex(done.stdout, r"round trip: +p50 [\d.]+ ms  p90 [\d.]+ ms  p99 [\d.]+ ms")
        self.assertIn("(96 messages)", done.stdout, "3 clients x 32 KiB in 1 KiB messages")
        self.assertIn("(3 of 3 clients, from the start)", done.stdout)
        self.assertIn("the server, on SIGTERM: exit status 0", done.stdout)
        self.assertIn("one client at a time" if one_at_a_time else "every client at once",
                      done.stdout)

    def test_python_server_one_at_a_time(self) -> None:
        self.assert_measured(self.bench("--server", "python"), one_at_a_time=True)

    @unittest.skipUnless(has_solutions(), "this kit has no solutions/")
    def test_reference_echo_server_and_multi_echo_server(self) -> None:
        self.assert_measured(self.bench("--server", "reference", "--lab", "6"), True)
        self.assert_measured(self.bench("--server", "reference", "--lab", "8"), False)

    def test_a_server_that_does_not_start_is_reported(self) -> None:
        empty = self.scratch / "nothing"
        (empty / "lab8").mkdir(parents=True, exist_ok=True)
        fake = empty / "lab8" / "multi_echo_server"
        fake.write_text("#!/bin/sh\necho 'multi_echo_server: not written yet' >&2\nexit 1\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        done = subprocess.run([sys.executable, str(KIT / "tests" / "tools" / "bench_echo.py"),
                               "--build", str(empty), "--server", "yours"],
                              capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(done.returncode, 1)
        self.assertIn("did not print 'Listening on 127.0.0.1:PORT' (exit status 1)", done.stderr)
        self.assertIn("not written yet", done.stderr)


# ---- make demo LAB=8 and LAB=9 -----------------------------------------------------------


@unittest.skipUnless(has_solutions(), "this kit has no solutions/")
class DemoLabs(ReferenceBuild):
    def demo(self, lab: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(KIT / "tests" / "tools" / "demo.py"),
                               "--build", str(self.build), "--whose", "reference", "--lab",
                               str(lab)], capture_output=True, text=True, timeout=60,
                              check=False)

    def test_lab8_three_clients_beside_a_silent_one_then_sigterm(self) -> None:
        shown = self.demo(8)
        self.assertEqual(shown.returncode, 0, shown.stdout + shown.stderr)
        self.assertIn("make demo LAB=8: the reference programs", shown.stdout)
        for message in demo.LAB8_MESSAGES:
            self.assertIn(f"Received: {message[:40]}", shown.stdout)
        self.assertEqual(shown.stdout.count("(exit status 0)"), 4, shown.stdout)
        self.assertIn("[SIGTERM from the demo]", shown.stdout)
        self.assertIn("stayed open and silent", shown.stdout)

    def test_lab9_two_clients_on_two_ports_one_socket(self) -> None:
        shown = self.demo(9)
        self.assertEqual(shown.returncode, 0, shown.stdout + shown.stderr)
        self.assertIn("make demo LAB=9: the reference programs", shown.stdout)
        echoed = [line.split("|")[0].strip() for line in shown.stdout.splitlines()
                  if line.startswith("Echoed ")]
        self.assertEqual(len(echoed), 2, shown.stdout)
        self.assertNotEqual(echoed[0].rsplit(":", 1)[1], echoed[1].rsplit(":", 1)[1],
                            "two clients, two ports")
        for message in demo.LAB9_MESSAGES:
            self.assertIn(f"Received: {message}", shown.stdout)


class DemoChoice(unittest.TestCase):
    def test_a_lab_without_a_demo_names_the_demos(self) -> None:
        shown = subprocess.run(["make", "--no-print-directory", "-C", str(KIT), "demo", "LAB=3"],
                               capture_output=True, text=True, timeout=60, env=quiet_env(),
                               check=False)
        self.assertEqual(shown.returncode, 2)
        self.assertIn("lab 3 has no demo", shown.stderr)
        self.assertIn("make demo LAB=9 (UDP)", shown.stderr)


# ---- make interop's UDP pairings -----------------------------------------------------------


def wrapper(path: Path, script: str, body: str = "") -> None:
    """An executable that runs a Python peer (or `body`), standing in for a student's program."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body or f'#!/bin/sh\nexec "{sys.executable}" "{INTEROP / script}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


WRONG_UDP_SERVER = """#!{python}
import signal, socket, sys
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], int(sys.argv[2])))
print("Listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    data, peer = sock.recvfrom(65535)
    sock.sendto(data[::-1], peer)  # the bytes backwards: not an echo
    print("Echoed %d bytes to %s:%d" % (len(data), *peer), flush=True)
"""


class InteropUdp(unittest.TestCase):
    def setUp(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="test-interop-udp-"))
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def peers(self) -> interop.Peers:
        """The pairings' peers for a build in scratch, with no reference and no nc."""
        nc, nc_udp = interop.netcat_peers(None)
        return interop.Peers(self.scratch, 9, None, "no reference in this test", nc,
                                  nc_udp)

    def rows(self) -> dict[tuple[str, str], interop.Verdict]:
        return {(server, client): verdict
                for server, client, verdict in interop.udp_rows(self.peers(), 5.0)}

    def test_python_peers_pass_each_other_and_missing_nc_is_skipped_with_why(self) -> None:
        wrapper(self.scratch / "lab9" / "udp_echo_server", "udp_echo_server.py")
        wrapper(self.scratch / "lab9" / "udp_echo_client", "udp_echo_client.py")
        rows = self.rows()
        mine = rows[("your udp_echo_server", "your udp_echo_client")]
        self.assertEqual(mine.status, "PASS", mine.detail)
        self.assertIn("datagrams of 50, 0, 48013 bytes echoed", mine.detail)
        self.assertEqual(rows[("your udp_echo_server", "Python udp_echo_client.py")].status,
                         "PASS")
        self.assertEqual(rows[("Python udp_echo_server.py", "your udp_echo_client")].status,
                         "PASS")
        skipped = rows[("your udp_echo_server", "nc -u")]
        self.assertEqual(skipped.status, "SKIP")
        self.assertIn("nc is not installed", skipped.detail)
        self.assertIn("netcat-openbsd", skipped.detail)
        at_once = rows[("your udp_echo_server", "every client at once")]
        self.assertEqual(at_once.status, "PASS", at_once.detail)

    def test_a_server_that_echoes_the_wrong_bytes_fails_with_what_came_back(self) -> None:
        wrapper(self.scratch / "lab9" / "udp_echo_server", "",
                WRONG_UDP_SERVER.replace("{python}", sys.executable))
        wrapper(self.scratch / "lab9" / "udp_echo_client", "udp_echo_client.py")
        verdict = self.rows()[("your udp_echo_server", "Python udp_echo_client.py")]
        self.assertEqual(verdict.status, "FAIL")
        self.assertIn("expected b\"Received: Hello from interop (UDP)", verdict.detail)
        self.assertIn("hsad- ,'setouq'", verdict.detail, "what came back is shown")

    @unittest.skipUnless(shutil.which("nc"), "nc is not installed")
    def test_nc_u_gets_its_echo_without_waiting_for_eof(self) -> None:
        wrapper(self.scratch / "lab9" / "udp_echo_server", "udp_echo_server.py")
        server = interop.Peer("udp server", interop.python_command("udp_echo_server.py"))
        _, nc_udp = interop.netcat_peers(shutil.which("nc"))
        started = time.monotonic()
        verdict = interop.run_udp_pairing(server, nc_udp, 5.0)
        self.assertEqual(verdict.status, "PASS", verdict.detail)
        self.assertLess(time.monotonic() - started, 4.0, "nc -u is stopped once its echo is in")


if __name__ == "__main__":
    unittest.main()
