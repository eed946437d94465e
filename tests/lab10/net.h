/*
 * net.h - the tests' own sockets and addresses, of both families (lab 10).
 *
 * Built from plain system calls (and labnet.h), never from the student's
 * code, so that a mistake in names.c cannot break a test's setup. Only loopback addresses
 * (127.0.0.0/8 and ::1), every port picked by the system (port 0).
 */
#ifndef LAB10_NET_H
#define LAB10_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 socket address and its length. */
struct endpoint {
    struct sockaddr_storage addr;
    socklen_t len;
};

/* The endpoint of a numeric IP of either family ("::1", "127.0.0.1") and a
 * port in host order. Fails the test (as a setup failure) for other text. */
struct endpoint endpoint_of(const char *ip, uint16_t port);

/* The port (host order), 0 for an unknown family. */
uint16_t endpoint_port(const struct endpoint *endpoint);

/* "127.0.0.1:5346", "[::1]:5346": the test's own rendering, never the student's. */
const char *endpoint_text(const struct endpoint *endpoint);

/* Same family, address and port (the IPv6 flow label and scope id aside). */
bool endpoint_same(const struct endpoint *a, const struct endpoint *b);

/* getsockname / getpeername; -1 with errno. */
int endpoint_local(int fd, struct endpoint *out);
int endpoint_peer(int fd, struct endpoint *out);

/* True when this machine's loopback has ::1 (an AF_INET6 socket can bind
 * [::1]:0). Otherwise *why says what failed, for lab_skip. */
bool ipv6_loopback_available(const char **why);

/* Skips the current test, saying why, when ipv6_loopback_available is false. */
void skip_without_ipv6_loopback(void);

/* What a test socket at one address does with the connections that come. */
enum spot_role {
    SPOT_REFUSING,  /* bound, not listening: a connection is refused at once */
    SPOT_LISTENING, /* listening: a connection gets in */
    SPOT_FULL,      /* listening with backlog 0 and its queue already full (a
                     * client of the test's own waits in it): the kernel drops
                     * new SYNs, so a connection never completes nor fails */
};

/* One address at the shared port, and the sockets the test keeps there. */
struct spot {
    const char *ip;
    enum spot_role role;
    int fd;        /* the test's socket at ip:port */
    int filler_fd; /* SPOT_FULL: the client that fills the queue; else -1 */
};

/* A spot in an initializer: struct spot spots[] = {SPOT("::1", SPOT_REFUSING)}; */
#define SPOT(ip_text, spot_role) {.ip = (ip_text), .role = (spot_role), .fd = -1, .filler_fd = -1}

/* Opens every spot at ONE port: `port`, or with port 0 one the system picked
 * (tried again with another when one is taken). Returns the port; fails the
 * test (as a setup failure) when it cannot. */
uint16_t spots_open(struct spot spots[], size_t count, uint16_t port);
void spots_close(struct spot spots[], size_t count);

/* The index of the spot `peer` is (ip and port), or -1. */
int spot_index(const struct spot spots[], size_t count, uint16_t port,
               const struct endpoint *peer);

/*
 * A service name from /etc/services (TCP, port 1024 or above, so no privilege
 * is needed) whose port is free on 127.0.0.1 now and that getaddrinfo turns
 * into that port. Stores the port; NULL when there is none (then *why says
 * so, for lab_skip).
 */
const char *free_service_name(uint16_t *port, const char **why);

/* The same, skipping the current test (saying why) when there is none. */
const char *free_service_name_or_skip(uint16_t *port);

/* A call of lab 10 as a message shows it, NULL as NULL:
 * "tcp_connect_name(\"localhost\", \"5346\", 1000)". `last` is the third
 * argument (timeout_ms or backlog). */
const char *name_call_text(const char *function, const char *host, const char *service, int last);

/* What a call of lab 10 that must fail should give: "-2, and no descriptor
 * left open" for err 0 (getaddrinfo fails), else "-1 with errno E, and ...". */
const char *name_failure_expected_text(int err);

/* labnet.h's lab_connect_within and lab_accept_within for endpoints: a plain
 * TCP client connected to *server within timeout_ms (blocking once
 * connected), or -1 with errno; accept() waiting at most timeout_ms, storing
 * the peer, or -1 with errno (ETIMEDOUT when nobody came). Never assert. */
int net_connect_within(const struct endpoint *server, int timeout_ms);
int net_accept_within(int listen_fd, int timeout_ms, struct endpoint *peer);

#endif
