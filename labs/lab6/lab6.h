/*
 * lab6.h - Lab 6: the echo server.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in echo.c (the
 * function) and echo_server.c (the program).
 * Handout: handouts/en/lab6.md (en español: handouts/es/lab6.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 * Programs (the main of echo_server.c) may print and exit, as described below.
 *
 * What you may use: everything of labs 1 to 5 (tcp_listen and local_port from
 * lab3.h, tcp_accept from lab4.h, send_all from lab5.h, addr_to_string,
 * addr_from_string and parse_port from lab2.h).
 */
#ifndef LAB6_H
#define LAB6_H

#include <sys/types.h>

/*
 * echo_session - serve one connected client: send back everything it sends.
 *
 * client_fd: a connected TCP socket (what tcp_accept returned).
 *
 * Receives whatever the client sends and sends each piece back in full as
 * soon as it has arrived, so a client that waits for its echo before sending
 * more (or before closing) gets it. Stops when the client closes its side
 * (recv returns 0). The tutorial receives 1024 bytes at a time; any buffer
 * size meets the contract. The data is bytes, not text: zero bytes and any
 * other byte come back unchanged.
 *
 * Returns the total number of bytes echoed (0 for a client that closes
 * without sending anything), or -1 with errno on an error (for example
 * ECONNRESET when the client resets the connection). A client that goes away
 * is an error to report, never a crash: no SIGPIPE may be raised (send with
 * MSG_NOSIGNAL, which send_all does). Does not close client_fd: the caller
 * does.
 *
 * Signals, unlike labs 4 and 5. The kit fixes what a signal does only for
 * the calls it names: tcp_accept, send_all and recv_all wait again after
 * EINTR (their caller wants a connection or bytes, nothing else), while
 * lab 8's hub_step and lab 9's udp_echo_one return -1 with EINTR (a server
 * waits in them, and must notice a stop request). echo_session is in neither
 * list: what it does when a signal interrupts its recv is left open, and no
 * test signals echo_session itself. The plain loop is the better choice, and
 * the reference solution makes it: recv fails with EINTR and echo_session
 * returns -1 with that errno, like any other error, instead of waiting again
 * (the send_all inside still goes on after EINTR, as lab 5 says). Returning
 * is what lets echo_server -k (below) end a session on SIGINT or SIGTERM. It
 * is not enough on its own: a signal that comes just before recv starts to
 * wait interrupts nothing, so echo_server's handler also shuts the client's
 * socket down (handout section 2.7).
 * Handout section 4.1.
 */
ssize_t echo_session(int client_fd);

/*
 * The program echo_server (echo_server.c, built as build/lab6/echo_server).
 * Handout section 4.2.
 *
 *     echo_server [-k] [HOST [PORT]]
 *
 * HOST defaults to 127.0.0.1 and PORT to 5346, as in the tutorial. HOST is a
 * dotted quad (addr_from_string); PORT is what parse_port accepts, and 0 means
 * "any free port".
 *
 *   - It listens on HOST:PORT, then prints the line
 *         Listening on HOST:PORT
 *     with the real port (local_port: not 0 when PORT was 0) and flushes
 *     stdout, so a program reading it through a pipe sees it at once.
 *   - It accepts one client and prints the line
 *         Connected by: IP:PORT
 *     (the client's address, as addr_to_string writes it) and flushes; echoes
 *     with echo_session until the client closes; closes every descriptor and
 *     exits 0. When the session ends in an error (the client reset the
 *     connection), it prints the cause on stderr and exits 1.
 *   - With -k as the first argument it serves clients one after another, a
 *     "Connected by: ..." line for each, until it receives SIGINT or SIGTERM.
 *     Either signal stops it within a second, whether it is waiting for a
 *     client or in the middle of a session; it then closes everything and
 *     exits 0. A client that vanishes mid-session (resets, or connects and
 *     leaves) does not end the server: it goes on to the next client.
 *     The handler must be installed before the "Listening on" line is
 *     printed (in practice: before tcp_listen, right after reading the
 *     arguments): whoever reads that line may send the signal at once, and a
 *     signal that comes before the handler is in place kills the server.
 *     Remember that tcp_accept waits again after EINTR: the server needs its
 *     own way to notice the signal (for example, a handler that sets a flag,
 *     and poll() on the listening socket before accepting). Install the
 *     handler with sigaction and without SA_RESTART: glibc's signal() sets
 *     SA_RESTART, and then the kernel restarts an interrupted recv (or
 *     accept) instead of failing it with EINTR, so a session never ends and
 *     the flag is never looked at. (poll is never restarted, SA_RESTART or
 *     not: the wait for a client is not the problem.)
 *     A signal during a session must end it even if it comes just before recv
 *     starts to wait: the handler can shutdown() the client's socket (keep
 *     its descriptor where the handler can read it), which makes that recv
 *     return 0 at once (handout section 2.7).
 *   - Bad arguments (a PORT that parse_port rejects, a HOST that
 *     addr_from_string rejects, any other argument starting with '-', or too
 *     many arguments): a usage line on stderr, such as
 *         usage: echo_server [-k] [HOST [PORT]]
 *     exit status 2, and nothing on stdout.
 *   - A failure to listen (the port is in use, the address is not this
 *     host's): a message on stderr naming the cause (strerror's text, such as
 *     "Address already in use"), exit status 1.
 *
 * Exit status: 0 success, 1 a failure while running, 2 bad arguments.
 */

#endif
