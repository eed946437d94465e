/*
 * udp_support.h - the sockets and test peers of the lab 9 tests.
 *
 * Everything here is the test's own code, written with the plain socket API
 * (never the student's functions), on 127.0.0.1 with ports the system picks:
 *
 *   - test_udp_socket(): a UDP socket bound to 127.0.0.1:0, with a roomy
 *     receive buffer and a receive timeout, so that a wrong implementation
 *     fails a test instead of hanging it;
 *   - a UDP server peer (a thread) that answers requests in the ways a real
 *     network lets a server behave: it drops the first N requests, never
 *     answers, answers with other bytes (too many of them, say), or has a
 *     stranger (another socket) send a datagram to the client first. It keeps
 *     what it received and when, so a test can check the retries;
 *   - a stranger (a thread) that sends a datagram to a client every few
 *     milliseconds, to check that strangers never extend udp_request's wait.
 *
 * Every wait of a peer has a deadline; stopping a peer joins its thread and
 * closes its sockets.
 */
#ifndef UDP_SUPPORT_H
#define UDP_SUPPORT_H

#include "lab9.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most requests a peer keeps the time and length of. */
#define UDP_PEER_MAX_REQUESTS 32

/* A UDP socket of the test bound to 127.0.0.1:0 (a receive timeout of a few
 * seconds, a receive buffer big enough for several of the largest
 * datagrams). Fails the test when the kernel refuses. */
int test_udp_socket(void);

/* The address a socket is bound to. */
struct sockaddr_in test_local_address(int fd);

/* Sends one datagram from fd to `to`; fails the test when it cannot. */
void test_send_datagram(int fd, const struct sockaddr_in *to, const void *data, size_t len);

/*
 * Receives one datagram on fd within timeout_ms. Returns its length (the real
 * one: MSG_TRUNC), or -1 when none came; *from (when not NULL) receives the
 * sender.
 */
long test_receive_datagram(int fd, void *buf, size_t size, int timeout_ms,
                           struct sockaddr_in *from);

/* True when a datagram is waiting on fd now (never waits). */
bool test_datagram_waiting(int fd);

/* How the peer behaves. Zero-initialised: a plain echo of every request. */
struct udp_peer_options {
    int drop_first;           /* ignore the first N requests */
    bool never_answer;        /* ignore every request */
    bool stranger_first;      /* before each answer, another socket sends the client
                                 "stranger's datagram" */
    int answer_first_after_ms; /* answer the first request this late (a slow network),
                                  and no other */
    bool fixed_reply;         /* answer with reply/reply_len instead of the request */
    const void *reply;
    size_t reply_len;
};

struct udp_peer {
    struct udp_peer_options options;
    int fd;                    /* the server's socket */
    int stranger_fd;           /* another socket, for stranger_first */
    struct sockaddr_in address;  /* where the server is (127.0.0.1:port) */
    struct sockaddr_in stranger; /* where the stranger sends from */
    int stop_pipe[2];
    pthread_t thread;
    bool running;
    /* What happened: safe to read after udp_peer_stop. */
    int requests;                                /* requests received */
    long long request_ms[UDP_PEER_MAX_REQUESTS]; /* when (lab_now_ms) */
    size_t request_len[UDP_PEER_MAX_REQUESTS];   /* their lengths */
    struct sockaddr_in client;                   /* the last request's sender */
    unsigned char last[UDP_MAX_DATAGRAM + 1];    /* the last request's bytes */
    size_t last_len;
};

/* Starts a peer (options NULL: a plain echo). Fails the test when it cannot. */
void udp_peer_start(struct udp_peer *peer, const struct udp_peer_options *options);

/* The same on 127.0.0.1:port; false (nothing started) when the port is taken. */
bool udp_peer_start_at(struct udp_peer *peer, const struct udp_peer_options *options,
                       uint16_t port);

/* Stops the peer, joins its thread and closes its sockets. Idempotent. */
void udp_peer_stop(struct udp_peer *peer);

/* A stranger that sends a datagram to `target` every every_ms until stopped
 * (or for at most lifetime_ms). */
struct stranger {
    int fd;
    struct sockaddr_in target;
    int every_ms;
    int lifetime_ms;
    int stop_pipe[2];
    pthread_t thread;
    bool running;
    int sent;
};

void stranger_start(struct stranger *stranger, const struct sockaddr_in *target, int every_ms,
                    int lifetime_ms);
void stranger_stop(struct stranger *stranger);

#endif
