/*
 * hubrig.h - what the lab 8 hub tests share: a listener with a hub on it,
 * and the test's own non-blocking clients.
 *
 * The test drives the hub itself, one hub_step at a time, and its clients
 * act between the steps, so every interleaving is chosen by the test, not
 * left to a scheduler. Everything the test learns about the hub comes from
 * the contract's four functions and from what its own sockets see: nothing
 * here looks inside struct echo_hub (so a whole hub session can run in a
 * process of its own).
 *
 *   struct rig rig;
 *   rig_open(&rig, 0)              listener on 127.0.0.1:0 and hub_create on it
 *   int c = rig_connect(&rig, 0)   a non-blocking client, connected
 *   rig_step(&rig, ms)             one hub_step; fails the test on -1
 *   rig_settle(&rig)               steps until a step finds nothing to do
 *   rig_exchange(&rig, c, ...)     sends and receives while stepping the hub
 *   rig_close(&rig)                hub_destroy, close the listener
 */
#ifndef HUBRIG_H
#define HUBRIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab8.h"

struct rig {
    int listen_fd;
    uint16_t port;
    struct echo_hub *hub;
};

/* Listener buffer size for tests that want the kernel's buffers small (the
 * accepted sockets inherit it); 0 leaves the system's defaults. */
#define RIG_SMALL_BUFFERS 8192

/* A listener on 127.0.0.1 (port 0) with SO_RCVBUF and SO_SNDBUF set to
 * `buffers` when not 0, and a hub on it. Fails the test when either fails. */
void rig_open(struct rig *rig, int buffers);

/* hub_destroy and close the listener (idempotent). */
void rig_close(struct rig *rig);

/* A client connected to the rig's listener (not yet accepted by the hub),
 * non-blocking, with SO_RCVBUF and SO_SNDBUF set to `buffers` when not 0. */
int rig_connect(struct rig *rig, int buffers);

/* One hub_step(hub, timeout_ms). Returns its result; -1 fails the test. */
int rig_step(struct rig *rig, int timeout_ms);

/* Steps until one hub_step waits its whole timeout (the hub found nothing
 * to do). Fails the test (a busy loop) when that never happens. */
void rig_settle(struct rig *rig);

/* Steps (at most `ms` in all) until hub_clients is `count`. */
bool rig_wait_clients(struct rig *rig, int count, int ms);

/* Sends what the socket takes now, without waiting. Returns the bytes sent;
 * *failed (when not NULL) is set on an error other than EAGAIN. */
size_t client_send(int fd, const void *data, size_t len, bool *failed);

/* Receives what has arrived, without waiting, at most `room` bytes. Returns
 * the bytes received; *ended is set at end of stream or on an error. */
size_t client_recv(int fd, void *buf, size_t room, bool *ended);

/*
 * Sends `len` bytes from `data` (none when len is 0) while receiving the echo
 * into `echo` (room for `want` bytes), stepping the hub between tries, until
 * `want` bytes came back, the hub closed, or `ms` passed. Returns the bytes
 * received.
 */
size_t rig_exchange(struct rig *rig, int fd, const void *data, size_t len, void *echo,
                    size_t want, int ms);

/* Expects `text` to come back to `fd`, unchanged, within a deadline
 * (stepping the hub); the message names `who` and the handout section. */
void rig_expect_echo(struct rig *rig, int fd, const char *text, const char *who,
                     const char *section);

/* Resets the connection: an RST instead of a FIN. */
void reset_connection(int fd);

/* Deterministic bytes of every value, zeros included; free() the result. */
unsigned char *make_data(size_t len, unsigned seed);

/* The same bytes made a piece at a time, for a long flood of which a test sends
 * only the start (under Valgrind making 8 MiB up front costs a tenth of a
 * second): data_maker_fill makes data[made..upto) of what make_data would. */
struct data_maker {
    unsigned state;
    size_t made;
};
void data_maker_start(struct data_maker *maker, unsigned seed);
void data_maker_fill(struct data_maker *maker, unsigned char *data, size_t upto);

/* The effective SO_RCVBUF + SO_SNDBUF of a socket. */
int buffer_total(int fd);

/* The number of connections waiting in a listener's accept queue. */
int accept_queue_length(int listen_fd);

#endif
