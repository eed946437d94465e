/*
 * loopback.h - listeners and clients on 127.0.0.1 for lab 4's tests.
 *
 * Built from plain system calls (socket, bind, listen, connect), never from the
 * student's labs 2 and 3, so that a mistake in an earlier lab cannot fail a lab 4
 * test. Every port is picked by the system (port 0), never fixed.
 */
#ifndef LAB4_LOOPBACK_H
#define LAB4_LOOPBACK_H

#include <netinet/in.h>
#include <stdbool.h>

/* Milliseconds any test waits for an event (a connection, a signal) at most. */
#define LOOPBACK_WAIT_MS 3000

/*
 * A TCP socket listening on 127.0.0.1 at a port the system picked, whose two
 * bytes differ (so a port sent without htons() reaches another port). Stores its
 * address in *addr. Fails the test (as a setup failure) when it cannot be made.
 */
int loopback_listener(struct sockaddr_in *addr);

/*
 * A TCP socket bound to 127.0.0.1 at a port the system picked, NOT listening:
 * a connection to *addr is refused, and while the socket stays open no other
 * socket can take that port. Fails the test when it cannot be made.
 */
int loopback_refusing_port(struct sockaddr_in *addr);

/*
 * A plain TCP client connected to *server; stores the client's own address
 * (getsockname) in *local. Returns the descriptor, or -1 with errno. Never
 * asserts, so helper threads may call it.
 */
int loopback_client(const struct sockaddr_in *server, struct sockaddr_in *local);

/* Like loopback_client, but fails the test (as a setup failure) on error. */
int loopback_client_or_fail(const struct sockaddr_in *server, struct sockaddr_in *local);

/* Waits up to timeout_ms for fd to be readable (for a listener: a connection is
 * waiting). True when it is. */
bool wait_readable(int fd, int timeout_ms);

/* Accepts a connection with plain accept(), waiting at most LOOPBACK_WAIT_MS for
 * one to arrive. Returns the descriptor, or -1 when none came in time. */
int accept_within_deadline(int listen_fd);

/* getsockname / getpeername into *addr; -1 with errno on failure. */
int local_address(int fd, struct sockaddr_in *addr);
int peer_address(int fd, struct sockaddr_in *addr);

/* True when both are AF_INET with the same IP and port. */
bool same_address(const struct sockaddr_in *a, const struct sockaddr_in *b);

/* "127.0.0.1:5346", or what is wrong with the address ("family 10, ..."). */
const char *address_text(const struct sockaddr_in *addr);

/* What the kernel says about fd: "AF_INET SOCK_STREAM protocol 6". */
bool is_ipv4_tcp_socket(int fd);
const char *socket_kind_text(int fd);

/* True when fd is open and a listening socket (SO_ACCEPTCONN). */
bool is_listening(int fd);

#endif
