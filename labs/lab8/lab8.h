/*
 * lab8.h - Lab 8: many clients at once.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in hub.c (the
 * hub) and multi_echo_server.c (the program).
 * Handout: handouts/en/lab8.md (en español: handouts/es/lab8.md).
 *
 * Lab 6's server serves one client at a time: a second client waits until
 * the first leaves, and one client that stops reading its echo stops the
 * whole server. The hub serves every client at once from one thread, with
 * non-blocking sockets and a readiness call (poll(), as the handout teaches;
 * nothing tests which one). The program calls hub_step in a loop; each step
 * waits until some socket is ready, does what can be done without waiting,
 * and returns.
 *
 * Rules for every function of every lab:
 *   - failure is -1 (or NULL) with errno set (the errno named below, where
 *     one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 * Programs (the main of multi_echo_server.c) may print and exit.
 *
 * What you may use: everything of labs 1 to 7 (tcp_listen and local_port
 * from lab3.h, addr_from_string, addr_to_string and parse_port from lab2.h).
 */
#ifndef LAB8_H
#define LAB8_H

/* Clients served at once. While this many are connected, the next ones wait
 * in the kernel's accept queue until one leaves. */
#define HUB_MAX_CLIENTS 64

/* Bytes of echo the hub holds for one client: received from it, not yet sent
 * back. While a client's room is full the hub stops receiving from it. */
#define HUB_MAX_PENDING (64 * 1024)

/* The hub. You define this struct in hub.c; its callers only hold a pointer
 * and never look inside. */
struct echo_hub;

/*
 * hub_create - a hub serving the clients that connect to listen_fd.
 *
 * listen_fd: any listening stream socket (what tcp_listen returns). The hub
 *            may make it non-blocking and leave it so; it never closes it.
 *
 * Nothing is accepted yet: that happens in hub_step. The hub leaves its
 * sockets' buffer sizes as they are (a test may size the listener's
 * buffers, which the accepted sockets inherit).
 *
 * Returns the new hub (free it with hub_destroy), or NULL with errno:
 * EBADF for a descriptor that is not open (a negative one included),
 * ENOTSOCK for one that is not a socket, EINVAL for a socket that is not a
 * listening stream socket (a TCP socket that never called listen, or a UDP
 * socket), ENOMEM when memory runs out.
 * Handout section 4.1.
 */
struct echo_hub *hub_create(int listen_fd);

/*
 * hub_step - wait until something can be done, do it, and return.
 *
 * hub:        what hub_create returned.
 * timeout_ms: how long to wait at most, in milliseconds: any negative value
 *             waits with no limit, 0 does not wait at all.
 *
 * Waits until a client can be accepted, a client has sent something, or a
 * held echo can be sent; then does everything that can be done without
 * waiting, and returns. It returns before timeout_ms only after doing
 * something or on an error. While HUB_MAX_CLIENTS clients are connected,
 * connections waiting in the accept queue do not end the wait.
 *
 * In one call:
 *   - it accepts every connection that was waiting when it was called,
 *     while fewer than HUB_MAX_CLIENTS clients are connected (the others wait
 *     in the kernel's queue until a client leaves);
 *   - for each client the readiness call reports, it receives what has
 *     arrived (within the room below) and sends what the socket takes; bytes
 *     received in a call are sent in that call when the socket can take
 *     them. Work per client per call may be bounded; what is left is taken
 *     up by the next call without waiting.
 *
 * What every client gets:
 *   - every byte it sends comes back to it, in order, none lost, none to
 *     anyone else; what cannot be sent at once is held and sent as soon as
 *     the client can take it;
 *   - no client can delay another: one that sends nothing, sends a little and
 *     stops, or stops reading its echo delays no other client's echo;
 *   - the hub never holds more than HUB_MAX_PENDING bytes of echo for one
 *     client: it receives at most into the free room (and may hold less);
 *     while that room is full it stops receiving from that client, so the
 *     hub's memory stays bounded and that client's sends eventually block,
 *     at the kernel's buffers;
 *   - a client that closes its side (end of stream) gets the rest of its
 *     echo, then its socket is closed and it is forgotten;
 *   - a client that resets the connection (ECONNRESET, EPIPE) is closed and
 *     forgotten in the step that sees the reset, without the rest of its
 *     echo;
 *   - neither is an error of hub_step, and no SIGPIPE is ever raised (send
 *     with MSG_NOSIGNAL).
 * Errors of accept that mean a client left before it was accepted
 * (ECONNABORTED, EPROTO and Linux's other network errors listed in
 * accept(2)) are not errors of hub_step either: the hub goes on.
 *
 * Returns the number of clients connected after the step (0 or more), or -1
 * with errno: EINTR when a signal interrupted the wait (nothing is lost: the
 * next call goes on where this one stopped; this is how a program notices a
 * stop request), EINVAL for a NULL hub, EMFILE, ENFILE, ENOBUFS or ENOMEM
 * when accept failed for want of resources (the clients already connected
 * are kept; a connection that accept could not take for want of a descriptor
 * stays in the queue, for a later step), or the errno of any other failure
 * of the readiness call or of accept.
 * Handout sections 2.2 to 2.6 and 4.2.
 */
int hub_step(struct echo_hub *hub, int timeout_ms);

/*
 * hub_clients - the number of clients accepted and not yet forgotten.
 *
 * Returns that number (0 or more), or -1 with errno EINVAL for a NULL hub.
 * Handout section 4.3.
 */
int hub_clients(const struct echo_hub *hub);

/*
 * hub_destroy - close every client and free the hub.
 *
 * Closes every client socket (a client may then see an end of stream or a
 * reset) and frees everything the hub holds. It does not close listen_fd:
 * the caller opened it and closes it. NULL is allowed and does nothing.
 * Handout section 4.3.
 */
void hub_destroy(struct echo_hub *hub);

/*
 * The program multi_echo_server (multi_echo_server.c, built as
 * build/lab8/multi_echo_server).
 * Handout section 4.4.
 *
 *     multi_echo_server [HOST [PORT]]
 *
 * HOST defaults to 127.0.0.1 and PORT to 5346, as in lab 6. HOST is a dotted
 * quad (addr_from_string); PORT is what parse_port accepts, and 0 means "any
 * free port". There are no options.
 *
 *   - It listens on HOST:PORT with a backlog of at least HUB_MAX_CLIENTS,
 *     then prints the line
 *         Listening on HOST:PORT
 *     (the dotted quad it is bound to and the real port: local_port, not 0
 *     when PORT was 0) and flushes stdout.
 *   - It then serves every client at once with the hub (hub_create, then
 *     hub_step in a loop) until it receives SIGINT or SIGTERM. Either signal
 *     stops it within a second, whatever its clients are doing; it then
 *     exits 0 (closing everything and returning from main, or _exit(0) from
 *     the handler: both are correct). The handling must be in place before
 *     the "Listening on" line is printed: a signal may come as soon as the
 *     line is out.
 *   - Bad arguments (a PORT that parse_port rejects, a HOST that
 *     addr_from_string rejects, any argument starting with '-', or more than
 *     two arguments): a usage line on stderr, such as
 *         usage: multi_echo_server [HOST [PORT]]
 *     exit status 2, and nothing on stdout.
 *   - A failure to listen (the port is in use, the address is not this
 *     host's): a message on stderr naming the cause (strerror's text, such
 *     as "Address already in use"), exit status 1.
 *
 * Exit status: 0 stopped by a signal, 1 a failure, 2 bad arguments.
 */

#endif
