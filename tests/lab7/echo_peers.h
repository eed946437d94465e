/*
 * echo_peers.h - the echo servers the lab 7 tests talk to.
 *
 * Each one is a thread of the test process, listening on 127.0.0.1 at a port
 * the system picks, serving one client and then stopping. They misbehave on
 * purpose, in the ways a real network lets a server behave:
 *
 *   - an echo that comes back in pieces of `piece` bytes with `pause_ms`
 *     between them (one byte at a time, with pauses: a single recv() on the
 *     client side gets only the first byte);
 *   - a server that collects the whole message first and only then replies
 *     (so a 64 KiB message never depends on the size of socket buffers);
 *   - a server that echoes only `reply_limit` bytes and then closes (the
 *     echo is short);
 *   - a server that resets the connection once it has the message.
 *
 * Every wait of a server has a deadline, so a client that never connects or
 * never sends cannot hang a test. Everything the client sent is kept, so a
 * test can check it.
 *
 * A port where nothing listens (connect: ECONNREFUSED) is refused_port_open.
 */
#ifndef ECHO_PEERS_H
#define ECHO_PEERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most the server keeps of what the client sends: a little over 64 KiB. */
#define ECHO_PEER_KEEP (64 * 1024 + 64)

/* How the server behaves. Zero-initialised: a plain streaming echo. */
struct echo_peer_options {
    size_t collect;      /* 0: echo each piece as it arrives; N: first wait for N bytes
                            (or the client's close), then echo them */
    size_t piece;        /* send the echo back in pieces of this many bytes (0: as received) */
    int pause_ms;        /* pause between two pieces (only with piece) */
    size_t reply_limit;  /* close after echoing this many bytes (with close_early) */
    bool close_early;    /* echo only reply_limit bytes, then close */
    bool reset;          /* once the message (collect bytes) is in, reset the connection */
};

struct echo_peer {
    struct echo_peer_options options;
    int listen_fd;
    uint16_t port;             /* where it listens (host order) */
    int stop_pipe[2];          /* echo_peer_stop writes here */
    pthread_t thread;
    bool running;
    /* What happened, readable after echo_peer_stop: */
    bool accepted;             /* a client connected */
    bool saw_close;            /* the client closed its side (recv returned 0) */
    unsigned char received[ECHO_PEER_KEEP]; /* what the client sent, first bytes */
    size_t received_len;       /* how many bytes it sent in all */
    size_t echoed_len;         /* how many bytes the server sent back */
};

/*
 * Starts a server with `options` (NULL: a plain echo). Fails the test
 * (lab_require: a problem of the test machine, not of the student's code)
 * when it cannot listen.
 */
void echo_peer_start(struct echo_peer *peer, const struct echo_peer_options *options);

/*
 * Stops the server and joins its thread; closes every descriptor it had.
 * Then its results can be read. A client that has connected (even one still
 * waiting to be accepted) is served to its end first, so call this once the
 * client has closed its side (the test closed its socket, or the program
 * exited); with no client, it returns at once. Idempotent.
 */
void echo_peer_stop(struct echo_peer *peer);

/*
 * A port on 127.0.0.1 where a connect is refused: a socket bound to it but
 * not listening (so no other test can take the port meanwhile). Returns that
 * socket; close it when done. *port receives the port.
 */
int refused_port_open(uint16_t *port);

/* A TCP socket connected to 127.0.0.1:port, with receive and send timeouts of
 * a few seconds so that a wrong implementation fails instead of hanging. */
int echo_peer_connect(uint16_t port);

#endif
