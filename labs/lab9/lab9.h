/*
 * lab9.h - Lab 9: datagrams (UDP).
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in datagram.c
 * (the functions), udp_echo_server.c and udp_echo_client.c (the programs).
 * Handout: handouts/en/lab9.md (en español: handouts/es/lab9.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 * Programs (the main of udp_echo_server.c and udp_echo_client.c) may print
 * and exit, as described below.
 *
 * UDP moves datagrams: each sendto() is one message that arrives whole or
 * not at all, with its own boundaries (a datagram of 0 bytes is a real
 * datagram, not an end), from whichever address sent it. Nothing tells the
 * sender whether anyone received it: a client waits for a reply for a while,
 * and asks again.
 *
 * What you may use: everything of labs 1 to 8 (udp_socket and close_socket
 * from lab1.h; addr_from_string, addr_to_string and parse_port from lab2.h;
 * local_port from lab3.h).
 */
#ifndef LAB9_H
#define LAB9_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest UDP payload over IPv4: 65535 bytes of IP packet, less 20 of IP
 * header and 8 of UDP header. */
#define UDP_MAX_DATAGRAM 65507

/*
 * udp_bind - a UDP socket bound to ip:port, ready to receive datagrams.
 *
 * ip:   a dotted quad, checked with addr_from_string (lab 2).
 * port: the port, in host order; 0 asks the system to pick a free one
 *       (local_port tells which).
 *
 * Creates an IPv4 UDP socket (udp_socket) and binds it to ip:port. It sets
 * no socket option: in particular not SO_REUSEADDR, which for UDP would let
 * a second socket bind the same port and share its datagrams.
 *
 * Returns the descriptor (the caller closes it), or -1 with errno:
 *   EINVAL        for an ip that addr_from_string rejects (NULL included),
 *                 checked before anything is opened;
 *   otherwise the errno of the call that failed, in particular:
 *   EADDRINUSE    when any socket is bound to that port already (one made by
 *                 udp_bind included);
 *   EADDRNOTAVAIL when ip is not an address of this host;
 *   EACCES        for a port below 1024 without the privilege to use it;
 *   EMFILE        when the process is out of descriptors.
 * On failure no descriptor stays open, and errno is still the one of the
 * call that failed (closing the socket must not change it).
 * Handout section 4.1.
 */
int udp_bind(const char *ip, uint16_t port);

/*
 * udp_echo_one - wait for one datagram and send it back to its sender.
 *
 * fd:   a bound UDP socket (what udp_bind returned).
 * peer: where to store the sender's address, or NULL.
 *
 * Waits for one datagram on fd (recvfrom, which also says who sent it) and
 * sends it back with one sendto, unchanged and whole, to the address it came
 * from: any length from 0 to UDP_MAX_DATAGRAM bytes and any byte values (a
 * datagram of 0 bytes is echoed as a datagram of 0 bytes; it is not an end).
 * One call, one datagram: two datagrams waiting are two calls.
 * On success, when peer is not NULL, *peer holds the sender's address
 * (after a failure its contents are unspecified).
 * Does not close fd, does not connect it, and never raises SIGPIPE (send
 * with MSG_NOSIGNAL).
 *
 * Returns the datagram's length (0 for an empty datagram), or -1 with
 * errno, at once:
 *   EBADF    when fd is not an open descriptor (a negative fd included);
 *   ENOTSOCK when fd is open but not a socket;
 *   EINTR    when a signal whose handler was installed without SA_RESTART
 *            interrupted the wait (do not wait again: the caller decides,
 *            so that a program can notice a stop request; with SA_RESTART
 *            either behaviour is allowed, so the tests use handlers without
 *            it);
 *   otherwise the errno of the receive or of the send that failed.
 * Handout section 4.2.
 */
ssize_t udp_echo_one(int fd, struct sockaddr_in *peer);

/*
 * udp_request - send a request datagram and wait for the reply, asking
 * again when none comes.
 *
 * fd:         a UDP socket, bound or not (the system binds an unbound one
 *             to a free port on the first send).
 * server:     where to send (sin_family must be AF_INET).
 * msg, len:   the request: len bytes (0 to UDP_MAX_DATAGRAM) sent as ONE
 *             datagram; msg may be NULL only when len is 0.
 * reply:      where to store the reply; room for size bytes. May be NULL
 *             only when size is 0.
 * size:       the room in reply. Nothing is ever written past size bytes.
 * timeout_ms: how long each wait lasts, measured from the send that starts
 *             it; 0 takes only what has already arrived.
 * tries:      how many sends in all (1: no retry).
 *
 * Sends the request to server, then waits up to timeout_ms for a datagram
 * whose source is server's IP and port exactly. A datagram from any other
 * address (a stranger) is read and ignored, and the wait goes on for the
 * time that was left: strangers never extend it. Any datagram from server
 * received during the call is the reply (also one answering an earlier
 * send). With no reply in time it sends the same request again, `tries`
 * sends in all, each followed by a wait of timeout_ms; so ETIMEDOUT comes
 * after about tries x timeout_ms.
 * It never connects fd and leaves its options and flags as it found them
 * (a non-blocking fd stays non-blocking, and udp_request still waits on it;
 * a blocking fd stays blocking). So a server that is not there is a
 * timeout, not an error. Never raises SIGPIPE.
 *
 * Returns the reply's length (0 for an empty reply), with the reply's bytes
 * at the start of reply (the bytes after them, and reply after a failure,
 * are unspecified), or -1 with errno:
 *   ETIMEDOUT when no reply came after `tries` sends;
 *   EMSGSIZE  when the reply was longer than size bytes: its first size
 *             bytes are stored in reply (receive with MSG_TRUNC, which makes
 *             recvfrom return the datagram's real length);
 *   EINVAL    before anything is sent, for tries below 1, timeout_ms below
 *             0, len above UDP_MAX_DATAGRAM, a NULL server or one whose
 *             sin_family is not AF_INET, a NULL msg with len above 0, or a
 *             NULL reply with size above 0;
 *   otherwise the errno of the call that failed (EBADF for a descriptor
 *   that is not open, ENOTSOCK for one that is not a socket).
 * Does not close fd.
 * Handout section 4.3.
 */
ssize_t udp_request(int fd, const struct sockaddr_in *server, const void *msg, size_t len,
                    void *reply, size_t size, int timeout_ms, int tries);

/*
 * The program udp_echo_server (udp_echo_server.c, built as
 * build/lab9/udp_echo_server). Handout section 4.4.
 *
 *     udp_echo_server [HOST [PORT]]
 *
 * HOST defaults to 127.0.0.1 and PORT to 5346, as in the tutorial. HOST is a
 * dotted quad (addr_from_string); PORT is what parse_port accepts, and 0
 * means "any free port". The program takes no options.
 *
 *   - It binds with udp_bind, then prints the line
 *         Listening on HOST:PORT
 *     (the same line as lab 6, nothing more) with the real port (local_port)
 *     and flushes stdout.
 *   - For each datagram it echoes with udp_echo_one it prints the line
 *         Echoed N bytes to IP:PORT
 *     (N the datagram's length, always the word "bytes", even for 0 or 1;
 *     IP:PORT the sender's address, as addr_to_string writes it) and
 *     flushes. An echo that fails is reported on stderr, and the server goes
 *     on with the next datagram.
 *   - SIGINT or SIGTERM stops it within a second, whether it is waiting for
 *     a datagram or not; it then closes its socket and exits 0. The handling
 *     must be in place before the "Listening on" line is printed: a signal
 *     may come as soon as the line is out.
 *   - Bad arguments (a PORT that parse_port rejects, a HOST that
 *     addr_from_string rejects, any argument starting with '-', or more than
 *     two arguments): a usage line on stderr, such as
 *         usage: udp_echo_server [HOST [PORT]]
 *     exit status 2, and nothing on stdout.
 *   - A failure to bind (the port is in use, the address is not this
 *     host's): a message on stderr naming the cause (strerror's text, such
 *     as "Address already in use"), exit status 1.
 *
 * Exit status: 0 stopped by a signal, 1 a failure, 2 bad arguments.
 */

/*
 * The program udp_echo_client (udp_echo_client.c, built as
 * build/lab9/udp_echo_client). Handout section 4.5.
 *
 *     udp_echo_client [HOST [PORT [MESSAGE]]]
 *
 * HOST defaults to 127.0.0.1, PORT to 5346 and MESSAGE to
 *     Hello world! This is a UDP echo client made with C.
 * Every argument is positional (a MESSAGE may begin with '-'). MESSAGE may be
 * empty (a datagram of 0 bytes is sent) and is at most UDP_MAX_DATAGRAM
 * bytes long.
 *
 *   - It sends MESSAGE to HOST:PORT with udp_request, 3 tries of 1000 ms
 *     each, accepting replies up to UDP_MAX_DATAGRAM bytes; prints the line
 *         Received: REPLY
 *     (the text "Received: ", the reply's bytes exactly as they came, which
 *     need not be MESSAGE, and a newline), closes its socket and exits 0.
 *   - No reply after the 3 tries: a message on stderr saying so, nothing on
 *     stdout, exit status 1.
 *   - Any other failure: a message on stderr naming the cause (strerror's
 *     text), exit status 1.
 *   - Bad arguments (a PORT that parse_port rejects, a HOST that
 *     addr_from_string rejects, a MESSAGE longer than UDP_MAX_DATAGRAM
 *     bytes, or more than three arguments): a usage line on stderr, such as
 *         usage: udp_echo_client [HOST [PORT [MESSAGE]]]
 *     exit status 2, and nothing on stdout.
 *
 * Exit status: 0 success, 1 a failure, 2 bad arguments.
 * No descriptor other than 0, 1 and 2 is open when it exits, and no memory
 * is leaked.
 */

#endif
