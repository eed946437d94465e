"""What make trace runs for each lab: the scenarios, in the words the report uses."""

from __future__ import annotations

from dataclasses import dataclass

MESSAGE = "Hello world! This is an echo server made with C."
PIECES = 16  # the Python server of lab 7 sends the echo back as 16 bytes, then the rest


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name on the command line, what runs, what to look at."""

    name: str            # make trace SCENARIO=name
    runner: str          # the scenario's function in inside.py
    title: str
    notice: str          # what the student should look for
    needs: tuple[str, ...]  # driver, test, or programs by name (as declared)


SCENARIOS: dict[int, list[Scenario]] = {
    3: [Scenario("listener", "listener",
                 "your tcp_listen on 127.0.0.1 port 0, ss's view of the listening socket, then a "
                 "client that connects while nobody calls accept",
                 "socket, setsockopt(SO_REUSEADDR), bind, listen in that order; ss shows the "
                 "socket LISTEN, then the client's connection waiting in the listener's queue "
                 "(the kernel completed the handshake without accept); closing the listener "
                 "resets that connection (RST)", ("driver",))],
    4: [Scenario("accept", "accept",
                 "your tcp_listen, then your tcp_connect to it and your tcp_accept, then every "
                 "socket closed",
                 "connect returns once the handshake (SYN, SYN-ACK, ACK) is done; accept returns "
                 "a NEW descriptor for the connection, the listening one stays open",
                 ("driver",))],
    5: [Scenario("shortwrite", "shortwrite",
                 "your send_all of 64 KiB to a slow reader (your recv_all of 4096 bytes every "
                 "5 ms, in a child process), with small socket buffers and a timer signal every "
                 "5 ms",
                 "a send() that had to wait returns fewer bytes than asked (a short write) when "
                 "the timer interrupts it; send_all sends the rest, until all 65536 are sent",
                 ("driver",))],
    6: [Scenario("python", "python-client",
                 "your echo_server on 127.0.0.1 port 0, and a Python client written the way the "
                 "tutorial writes it (connect, sendall, recv) sending the tutorial's message",
                 "socket, setsockopt(SO_REUSEADDR), bind, listen, accept; the message comes in "
                 "with one recv and goes back with send; recv returns 0 when the client closes",
                 ("echo_server",))],
    7: [Scenario("roundtrip", "roundtrip",
                 "your echo_client sends the tutorial's message to your echo_server and "
                 "receives the echo: the full round trip",
                 "the server's socket, bind, listen, accept; the client's socket, connect; the "
                 "message's bytes each way; a FIN from each side as each closes",
                 ("echo_server", "echo_client")),
        Scenario("python", "python-server",
                 f"your echo_client against a Python echo server in the tutorial's style that "
                 f"sends the echo back in two parts ({PIECES} bytes, then the rest), as a slow "
                 f"network may",
                 "one recv() is not enough: the client must receive until all the bytes of the "
                 "message are back", ("echo_client",))],
    8: [Scenario("hub", "hub",
                 "your multi_echo_server on 127.0.0.1 port 0; a Python client connects and gets an "
                 "echo, a second one connects, gets its echo and leaves while the first is still "
                 "connected, then the first gets a second echo and leaves; then SIGTERM",
                 "one process and one thread serve both: poll() says which socket is ready, "
                 "accept gives each client its own descriptor, and client 2's echo goes out while "
                 "client 1's connection stays open (no fork, no second thread); two handshakes "
                 "on the wire; SIGTERM ends poll() and the server exits 0",
                 ("multi_echo_server",))],
    9: [Scenario("datagram", "datagram",
                 "your udp_echo_client sends the tutorial's message to your udp_echo_server on "
                 "127.0.0.1 port 0 and receives the echo; then SIGTERM stops the server",
                 "no listen, no accept, no connect: the server's socket is only bound; sendto names "
                 "the address each time and recvfrom says who sent; on the wire, no handshake and "
                 "no FIN: the first packet is the message itself, the second its echo",
                 ("udp_echo_server", "udp_echo_client"))],
    10: [Scenario("ipv6", "ipv6",
                  "your tcp_listen_name(\"::1\", \"0\"), then your tcp_connect_name(\"::1\", PORT) "
                  "to it, the connection accepted, and your sockaddr_to_string of the client's "
                  "address",
                  "socket(AF_INET6, ...) on both sides, as getaddrinfo's answer says; bind to "
                  "[::1]; a non-blocking connect (EINPROGRESS), poll for POLLOUT, then "
                  "getsockopt(SO_ERROR) to learn the outcome; the handshake between [::1] ports "
                  "on the wire; the client's address written as [::1]:PORT", ("driver",))],
}

TEST_SCENARIO = Scenario("test", "test", "one test of the lab's suite, under strace -f",
                         "the calls of the test and of the forked processes it runs your "
                         "functions in", ("test",))


def scenarios_of(lab: int) -> list[Scenario]:
    return SCENARIOS.get(lab, [])
