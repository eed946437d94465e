/*
 * loopback.h - what lab 4's tests add to the shared labnet.h: listeners whose
 * port shows a byte-order mistake, clients that report their own address, and
 * what the kernel says a socket is.
 *
 * Built from plain system calls (socket, bind, listen, connect), never from the
 * student's labs 2 and 3, so that a mistake in an earlier lab cannot fail a lab 4
 * test. Every port is picked by the system (port 0), never fixed.
 */
#ifndef LAB4_LOOPBACK_H
#define LAB4_LOOPBACK_H

#include "labnet.h"

#include <netinet/in.h>
#include <stdbool.h>

/*
 * A TCP socket listening on 127.0.0.1 at a port the system picked, whose two
 * bytes differ (so a port sent without htons() reaches another port). Stores its
 * address in *addr. Fails the test (as a setup failure) when it cannot be made.
 */
int loopback_listener(struct sockaddr_in *addr);

/*
 * A plain TCP client connected to *server; stores the client's own address
 * (getsockname) in *local. Returns the descriptor, or -1 with errno. Never
 * asserts, so helper threads may call it.
 */
int loopback_client(const struct sockaddr_in *server, struct sockaddr_in *local);

/* Like loopback_client, but fails the test (as a setup failure) on error. */
int loopback_client_or_fail(const struct sockaddr_in *server, struct sockaddr_in *local);

/* What the kernel says about fd: "AF_INET SOCK_STREAM protocol 6". */
bool is_ipv4_tcp_socket(int fd);
const char *socket_kind_text(int fd);

/* True when fd is open and a listening socket (SO_ACCEPTCONN). */
bool is_listening(int fd);

#endif
