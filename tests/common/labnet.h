/*
 * labnet.h - the tests' own sockets, for every lab: what a networking test
 * needs to set the scene around a student's call and to look at the result.
 *
 * Everything here is built from plain system calls, never from a student's
 * code, so that a mistake in an earlier lab cannot break a later lab's test.
 * Only loopback addresses, and ports the system picks (port 0), except where a
 * caller asks for a port on purpose (the contract's default port, say).
 *
 * Two kinds of functions:
 *   - plain ones return -1 (or false) with errno and never fail the test, so
 *     a helper thread may call them;
 *   - *_or_fail ones, and those that say so, fail the test as a problem of the
 *     test's own setup (lab_require: "Test setup (not your code)") when the
 *     kernel refuses.
 * Descriptors they make are close-on-exec, so a program a test starts
 * (process.h) never inherits them.
 */
#ifndef LABNET_H
#define LABNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest a test waits, natively, for a loopback event it expects at once:
 * a connection, a datagram, a line a program prints, a program that should
 * exit now. lab_deadline_ms(LAB_WAIT_MS) stretches it under make memcheck. */
#define LAB_WAIT_MS 3000

/* ---- waiting ---- */

/*
 * Waits at most timeout_ms (negative: no limit) until poll() reports any of
 * `events` on fd (or an error or hang-up on it). A signal does not end the
 * wait: it goes on for the time left. Returns true when fd is ready; false
 * when the time ran out (errno ETIMEDOUT) or poll failed (its errno).
 */
bool lab_wait_fd(int fd, short events, int timeout_ms);

/* ---- addresses ---- */

/* The IPv4 address ip (a dotted quad, read with inet_pton) and port (host
 * order), every other byte zero. Fails the test (setup) for any other text. */
struct sockaddr_in lab_ipv4_address(const char *ip, uint16_t port);

/* 127.0.0.1:port (host order). */
struct sockaddr_in lab_loopback_address(uint16_t port);

/* "127.0.0.1:5346", or what is wrong with the address ("not an IPv4 address
 * (sin_family 10; ...)"). In a ring of static buffers (lab_fmt). */
const char *lab_address_text(const struct sockaddr_in *addr);

/* True when both are AF_INET with the same IP and port. */
bool lab_same_address(const struct sockaddr_in *a, const struct sockaddr_in *b);

/* getsockname / getpeername into *addr (zeroed first; sizeof *addr bytes at
 * most). Return 0, or -1 with errno (EBADF, ENOTSOCK, ENOTCONN...). */
int lab_local_address(int fd, struct sockaddr_in *addr);
int lab_peer_address(int fd, struct sockaddr_in *addr);

/* The port fd is bound to, in host order; 0 when it is not bound or cannot
 * be asked (errno then says why). */
uint16_t lab_local_port(int fd);

/* ---- socket options and flags ---- */

/* The int-valued option (getsockopt), or -1 when it cannot be read (errno).
 * An option whose value is -1 cannot be told from a failure: ask errno. */
int lab_int_option(int fd, int level, int option);

/* setsockopt of an int. Returns 0, or -1 with errno. */
int lab_set_int_option(int fd, int level, int option, int value);

/* Sets SO_RCVBUF and SO_SNDBUF to `bytes` (nothing when bytes is 0). Returns
 * 0, or -1 with errno. Set before connect or listen: the window is agreed in
 * the handshake, and accepted sockets inherit the listener's sizes. */
int lab_set_buffers(int fd, int bytes);

/* SO_RCVTIMEO (send: SO_SNDTIMEO) of `ms` milliseconds: a blocking recv (send)
 * that waits longer fails with EAGAIN. Returns 0, or -1 with errno. */
int lab_set_receive_timeout(int fd, int ms);
int lab_set_send_timeout(int fd, int ms);

/* True when O_NONBLOCK is set on fd (false too when fcntl fails). */
bool lab_is_nonblocking(int fd);

/* Sets or clears O_NONBLOCK, keeping every other status flag (F_GETFL is
 * checked before F_SETFL). Returns 0, or -1 with errno. */
int lab_set_nonblocking(int fd, bool nonblocking);

/* The kernel's TCP state of fd (TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_LISTEN...,
 * from TCP_INFO), or -1 with errno. */
int lab_tcp_state(int fd);

/* For a listening TCP socket: the backlog the kernel reports (TCP_INFO), or -1
 * (errno; EINVAL for a socket that is not listening). */
long lab_listen_backlog(int fd);

/* For a listening TCP socket: how many connections wait in its accept queue
 * (TCP_INFO), or -1 with errno. */
int lab_accept_queue_length(int listen_fd);

/* ---- closing ---- */

/* close(fd) for fd >= 0 (nothing for a negative fd), keeping errno as it was:
 * for cleanup on a failure path that reports an earlier call's errno. */
void lab_close_keeping_errno(int fd);

/* Closes a TCP socket with a reset (RST) instead of an orderly close (FIN):
 * SO_LINGER on with a zero timeout, then close. The peer's next recv fails
 * with ECONNRESET, its next send with EPIPE or ECONNRESET. Keeps errno. */
void lab_close_with_reset(int fd);

/* ---- sockets of the test's own ---- */

/*
 * A socket of `type` (SOCK_STREAM or SOCK_DGRAM) bound to ip:port (port 0:
 * the system picks), listening with `backlog` when backlog >= 0 (stream
 * sockets only; -1: bound, not listening, so a connection to it is refused
 * and no other socket can take the port while it stays open). With buffers >
 * 0, SO_RCVBUF and SO_SNDBUF are set to it before bind. No other option is
 * set (no SO_REUSEADDR). Returns the descriptor, or -1 with errno (nothing
 * stays open).
 */
int lab_bound_socket(int type, const char *ip, uint16_t port, int backlog, int buffers);

/* lab_bound_socket for TCP on 127.0.0.1 (listening when backlog >= 0), failing
 * the test (setup) when it cannot; *addr (when not NULL) receives where it is
 * bound. */
int lab_tcp_socket_or_fail(uint16_t port, int backlog, int buffers, struct sockaddr_in *addr);

/* What the kernel answers when a plain socket of `type` binds ip:port: 0 when
 * the bind works (the socket is closed again), else its errno (EADDRINUSE,
 * EADDRNOTAVAIL, EACCES...). For the tests that compare a student's failure
 * with the kernel's. */
int lab_bind_errno(int type, const char *ip, uint16_t port);

/* True when a socket of `type` could take 127.0.0.1:port now (a stream one
 * with SO_REUSEADDR and listen, as a server would; a datagram one with bind):
 * for the tests of a contract's fixed default port, which skip when it is
 * taken. */
bool lab_port_free(int type, uint16_t port);

/*
 * A TCP client connected to `server` (any family: lab 10 passes IPv6 ones),
 * waiting at most timeout_ms (non-blocking while connecting). Returns the
 * descriptor, in blocking mode, or -1 with errno: ECONNREFUSED when nothing
 * listens, ETIMEDOUT when the time ran out, or the error of the call that
 * failed.
 */
int lab_connect_within(const struct sockaddr *server, socklen_t len, int timeout_ms);

/* lab_connect_within to 127.0.0.1:port. */
int lab_connect_local(uint16_t port, int timeout_ms);

/*
 * accept() waiting at most timeout_ms for a connection to arrive. Stores the
 * client's address in *peer (room: *len bytes; *len then holds its size) when
 * peer is not NULL. Returns the new descriptor, or -1 with errno (ETIMEDOUT
 * when nobody came in time).
 */
int lab_accept_within(int listen_fd, int timeout_ms, struct sockaddr *peer, socklen_t *len);

/* A connected TCP pair of the test's own over 127.0.0.1. */
struct lab_tcp_pair {
    int client; /* the end that connected */
    int server; /* the end accept() returned */
};

/* Socket buffer sizes for lab_tcp_pair_or_fail; 0 leaves the system's size. */
struct lab_pair_buffers {
    int client_rcvbuf, client_sndbuf; /* set on the client before connect */
    int server_rcvbuf, server_sndbuf; /* set on the listener, inherited by the server end */
};

/* A connected TCP pair (listen on 127.0.0.1 port 0, connect, accept; the
 * listener is closed again). buffers may be NULL. Fails the test (setup) when
 * the kernel refuses any step. */
struct lab_tcp_pair lab_tcp_pair_or_fail(const struct lab_pair_buffers *buffers);

/* ---- test data ---- */

/* Fills `len` bytes with deterministic bytes of every value, the same for the
 * same seed: every 97th byte (the first included) is zero, the others look
 * random. Binary data to send where text would hide a strlen() mistake. */
void lab_fill_data(unsigned char *data, size_t len, unsigned seed);

/* The same in a new buffer of `len` bytes (at least one is allocated); free()
 * it. Fails the test (setup) when memory runs out. */
unsigned char *lab_make_data(size_t len, unsigned seed);

/* The same bytes made a piece at a time, for a long flood of which a test sends
 * only the start (a few hundred KiB of 8 MiB: under Valgrind the rest costs time):
 * lab_data_maker_fill makes data[made..upto) of what lab_fill_data(data, upto, seed)
 * would, after lab_data_maker_start(maker, seed). */
struct lab_data_maker {
    uint64_t state;
    size_t made;
};
void lab_data_maker_start(struct lab_data_maker *maker, unsigned seed);
void lab_data_maker_fill(struct lab_data_maker *maker, unsigned char *data, size_t upto);

/* The index of the first byte where a and b differ (of `len`), or len. */
size_t lab_first_difference(const void *a, const void *b, size_t len);

#endif
