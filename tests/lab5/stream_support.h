/*
 * stream_support.h - the peers, data and signals of the lab 5 tests.
 *
 * The functions under test run in the test's main thread; the other end of
 * the connection is a peer thread (a drain that reads everything, a feed
 * that sends a buffer in pieces), or the parent process when the function
 * runs in a child (to see whether SIGPIPE kills it). Nothing here sleeps to
 * wait for an event: waits are on the event itself, with a deadline.
 */
#ifndef STREAM_SUPPORT_H
#define STREAM_SUPPORT_H

#include "labsignal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)

/* Longest a peer waits for anything, in milliseconds (tests time out later). */
#define PEER_DEADLINE_MS 8000

/* ---- connections ---- */

/*
 * A connected TCP pair over 127.0.0.1 (labnet.h's lab_tcp_pair_or_fail). With
 * buffer_size > 0, both ends get small kernel buffers (SO_RCVBUF and
 * SO_SNDBUF), so that a large send blocks until the peer reads. Fails the
 * test if the pair cannot be made.
 */
void tcp_pair(int *client, int *server, int buffer_size);

/* ---- patterned data ---- */

/* Byte `i` of the test pattern: it repeats only every 65521 bytes (a prime). */
unsigned char pattern_byte(size_t i);

/* A new buffer of len pattern bytes starting at byte `first` (free it). */
unsigned char *pattern_alloc(size_t len, size_t first);

/* Index of the first byte of buf that is not pattern byte first+i, or len. */
size_t pattern_mismatch(const unsigned char *buf, size_t len, size_t first);

/* "byte 1024 is 0x12 where 0x34 was sent (bytes 0-1023 are right)". */
const char *pattern_mismatch_text(const unsigned char *buf, size_t len, size_t first);

/* ---- an event one thread waits for and another sets ---- */

struct event {
    int pipe_fds[2];
};

void event_init(struct event *event);
void event_set(struct event *event);
/* True when the event was set within timeout_ms. */
bool event_wait(struct event *event, int timeout_ms);
void event_destroy(struct event *event);

/* ---- peer threads ---- */

/* Reads everything from fd until end of stream, keeping up to `capacity` bytes. */
struct drain {
    int fd;
    size_t capacity;
    struct event *start; /* when not NULL, wait for it before reading */
    size_t read_size;    /* bytes per recv (0: 64 KiB) */
    long pause_us;       /* pause between reads (0: none) */
    unsigned char *data; /* what arrived (the first `capacity` bytes) */
    size_t received;     /* how many bytes arrived in all */
    int err;             /* errno of a failed recv, or 0 */
    pthread_t thread;
};

void drain_start(struct drain *drain);
void drain_finish(struct drain *drain); /* joins; drain->data stays until drain_free */
void drain_free(struct drain *drain);

/* Sends `len` bytes in pieces of `piece` bytes, then shuts down its side if asked. */
struct feed {
    int fd;
    const unsigned char *data;
    size_t len;
    size_t piece;        /* bytes per send (0: all at once) */
    long pause_us;       /* pause between pieces (0: none) */
    struct event *start; /* when not NULL, wait for it before sending */
    bool shut_after;     /* shutdown(SHUT_WR) at the end: the reader sees end of stream */
    int err;             /* errno of a failed send, or 0 */
    pthread_t thread;
};

void feed_start(struct feed *feed);
void feed_finish(struct feed *feed);

/* ---- real signals ---- */

/*
 * Sends SIGUSR1 to the student call in progress (labsignal.h's interrupter:
 * each time once the call is asleep in a send or recv), about once a
 * millisecond, with a handler installed without SA_RESTART: the blocking send
 * or recv fails with EINTR (or returns a short count). After `warmup` signals
 * it sets `warm` (when not NULL), so a peer can wait until the main thread
 * has been interrupted a few times before it moves any data.
 */
struct interrupter {
    unsigned long warmup;
    struct event *warm;
    struct lab_catcher catcher;
    struct lab_interrupter signals;
};

void interrupter_start(struct interrupter *interrupter, unsigned long warmup,
                       struct event *warm);
/* Stops it, restores SIGUSR1's disposition; returns how many signals were handled. */
unsigned long interrupter_stop(struct interrupter *interrupter);

/* ---- send_all in a child process, to see whether SIGPIPE kills it ---- */

struct child_outcome {
    bool reported;     /* the child reported send_all's result */
    ssize_t result;    /* what send_all returned */
    int err;           /* errno after it */
    bool killed;       /* the child died of a signal */
    int signal_number; /* which one */
};

/*
 * Forks; the child closes `peer_fd` (the other end, which only the parent
 * keeps), calls send_all(fd, buf, len) and reports the result. The parent
 * closes its copy of fd (so the peer sees end of stream when the child
 * ends), runs peer_action(peer_fd, arg) meanwhile (may be NULL), then waits
 * for the report with a deadline, kills the child if it is late, and reaps
 * it. On return fd is closed in this process.
 */
struct child_outcome send_all_in_child(int fd, int peer_fd, const void *buf, size_t len,
                                       void (*peer_action)(int peer_fd, void *arg), void *arg);

/* "returned -1 with errno EPIPE" / "was killed by SIGPIPE" / "did not finish". */
const char *child_outcome_text(struct child_outcome outcome);

#endif
