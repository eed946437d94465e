/*
 * stream_support.c - see stream_support.h.
 */
#include "labtest.h"

#include "lab5.h"
#include "labnet.h"
#include "stream_support.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define DRAIN_READ_SIZE (64 * KIB)

/* ---- connections ---- */

void tcp_pair(int *client, int *server, int buffer_size)
{
    struct lab_pair_buffers buffers = {buffer_size, buffer_size, buffer_size, buffer_size};
    struct lab_tcp_pair pair = lab_tcp_pair_or_fail(buffer_size > 0 ? &buffers : NULL);
    *client = pair.client;
    *server = pair.server;
}

/* A pause that is the point of the test (a slow peer, a timer's period),
 * never a way to wait for something to happen. */
static void pause_for(long microseconds)
{
    struct timespec pause = {microseconds / 1000000, (microseconds % 1000000) * 1000};
    while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
        continue;
}

/* ---- patterned data ---- */

/* Multiplicative hashing: neighbouring and 256-apart bytes differ. The pattern
 * repeats every PATTERN_PERIOD bytes, a prime: no power-of-two size, chunk or
 * stride lines up with it. One period is made once (before the first fork, under
 * Valgrind: LAB_WARM_UP), and buffers are made and checked from it eight bytes at a
 * time: under Valgrind every load, store and sum of the test's own code costs many
 * times more, and making megabytes byte by byte was most of a large test's cost. */
#define PATTERN_FACTOR 2654435761u
#define PATTERN_PERIOD 65521u
#define WORD 8u

/* One period, and its first WORD bytes again: a word may start anywhere in it. */
static unsigned char pattern_period[PATTERN_PERIOD + WORD];
static pthread_once_t pattern_made = PTHREAD_ONCE_INIT;

static void make_pattern_period(void)
{
    uint32_t x = 0;
    for (size_t i = 0; i < PATTERN_PERIOD; i++, x += PATTERN_FACTOR)
        pattern_period[i] = (unsigned char)((x >> 24) ^ (x >> 11));
    memcpy(pattern_period + PATTERN_PERIOD, pattern_period, WORD);
}

/* The pattern from byte `first` on. */
static const unsigned char *pattern_from(size_t first, size_t *at)
{
    pthread_once(&pattern_made, make_pattern_period);
    *at = first % PATTERN_PERIOD;
    return pattern_period;
}

static void warm_pattern(void)
{
    pthread_once(&pattern_made, make_pattern_period);
}
LAB_WARM_UP(warm_pattern);

static size_t next_at(size_t at, size_t step)
{
    at += step;
    return at >= PATTERN_PERIOD ? at - PATTERN_PERIOD : at;
}

unsigned char pattern_byte(size_t i)
{
    size_t at;
    return pattern_from(i, &at)[at];
}

unsigned char *pattern_alloc(size_t len, size_t first)
{
    unsigned char *buf = malloc(len > 0 ? len : 1);
    lab_require(buf != NULL, "malloc()");
    size_t at;
    const unsigned char *pattern = pattern_from(first, &at);
    size_t i = 0;
    for (; i + WORD <= len; i += WORD, at = next_at(at, WORD))
        memcpy(buf + i, pattern + at, WORD); /* a constant size: one load, one store */
    for (; i < len; i++, at = next_at(at, 1))
        buf[i] = pattern[at];
    return buf;
}

size_t pattern_mismatch(const unsigned char *buf, size_t len, size_t first)
{
    size_t at;
    const unsigned char *pattern = pattern_from(first, &at);
    for (size_t i = 0; i < len; at = 0) { /* a run up to the period's end, then the next */
        size_t run = len - i < PATTERN_PERIOD - at ? len - i : PATTERN_PERIOD - at;
        size_t same = lab_first_difference(buf + i, pattern + at, run);
        if (same < run)
            return i + same;
        i += run;
    }
    return len;
}

const char *pattern_mismatch_text(const unsigned char *buf, size_t len, size_t first)
{
    size_t wrong = pattern_mismatch(buf, len, first);
    if (wrong == len)
        return lab_fmt("all %zu bytes right", len);
    return lab_fmt("byte %zu is 0x%02x where 0x%02x was sent (%s)", wrong, buf[wrong],
                   pattern_byte(first + wrong),
                   wrong == 0 ? "the very first byte is wrong"
                              : lab_fmt("bytes 0 to %zu are right", wrong - 1));
}

/* ---- events ---- */

void event_init(struct event *event)
{
    lab_require(pipe(event->pipe_fds) == 0, "pipe()");
}

void event_set(struct event *event)
{
    char byte = 1;
    while (write(event->pipe_fds[1], &byte, 1) == -1 && errno == EINTR)
        continue;
}

bool event_wait(struct event *event, int timeout_ms)
{
    return lab_wait_fd(event->pipe_fds[0], POLLIN, timeout_ms);
}

void event_destroy(struct event *event)
{
    close(event->pipe_fds[0]);
    close(event->pipe_fds[1]);
}

/* ---- peer threads ---- */

static void *drain_run(void *arg)
{
    struct drain *drain = arg;
    size_t read_size = drain->read_size ? drain->read_size : DRAIN_READ_SIZE;
    unsigned char *chunk = malloc(read_size);

    if (drain->start && !event_wait(drain->start, PEER_DEADLINE_MS))
        drain->err = ETIMEDOUT;
    while (chunk && drain->err == 0) {
        if (!lab_wait_fd(drain->fd, POLLIN, PEER_DEADLINE_MS)) {
            drain->err = ETIMEDOUT;
            break;
        }
        ssize_t got = recv(drain->fd, chunk, read_size, 0);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            drain->err = errno;
        if (got <= 0)
            break;
        size_t room = drain->received < drain->capacity ? drain->capacity - drain->received : 0;
        memcpy(drain->data + drain->received, chunk, (size_t)got < room ? (size_t)got : room);
        drain->received += (size_t)got;
        if (drain->pause_us)
            pause_for(drain->pause_us); /* a slow reader: the sender must wait */
    }
    free(chunk);
    return NULL;
}

void drain_start(struct drain *drain)
{
    drain->data = malloc(drain->capacity > 0 ? drain->capacity : 1);
    drain->received = 0;
    drain->err = 0;
    lab_require(drain->data != NULL, "malloc()");
    lab_require_zero(pthread_create(&drain->thread, NULL, drain_run, drain), "pthread_create()");
}

void drain_finish(struct drain *drain)
{
    pthread_join(drain->thread, NULL);
}

void drain_free(struct drain *drain)
{
    free(drain->data);
    drain->data = NULL;
}

static void *feed_run(void *arg)
{
    struct feed *feed = arg;
    size_t piece = feed->piece ? feed->piece : feed->len;
    size_t done = 0;

    if (feed->start && !event_wait(feed->start, PEER_DEADLINE_MS))
        feed->err = ETIMEDOUT;
    while (done < feed->len && feed->err == 0) {
        size_t want = feed->len - done < piece ? feed->len - done : piece;
        if (!lab_wait_fd(feed->fd, POLLOUT, PEER_DEADLINE_MS)) {
            feed->err = ETIMEDOUT; /* nobody reads: give up rather than block the test */
            break;
        }
        ssize_t sent = send(feed->fd, feed->data + done, want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (sent == -1) {
            feed->err = errno;
            break;
        }
        done += (size_t)sent;
        if (feed->pause_us && done < feed->len)
            pause_for(feed->pause_us); /* the pause is the point: the reader sees short reads */
    }
    if (feed->shut_after)
        shutdown(feed->fd, SHUT_WR);
    return NULL;
}

void feed_start(struct feed *feed)
{
    feed->err = 0;
    lab_require_zero(pthread_create(&feed->thread, NULL, feed_run, feed), "pthread_create()");
}

void feed_finish(struct feed *feed)
{
    pthread_join(feed->thread, NULL);
}

/* ---- real signals ---- */

/* After each signal: the peer may start once the call was interrupted `warmup` times. */
static void note_warm(struct lab_interrupter *it, unsigned long sent)
{
    struct interrupter *interrupter = it->context;
    if (sent == interrupter->warmup && interrupter->warm)
        event_set(interrupter->warm);
}

/* When the signals end: a call that ended early still releases the peer. */
static void release_peer(struct lab_interrupter *it)
{
    struct interrupter *interrupter = it->context;
    if (interrupter->warm && atomic_load(&it->sent) < interrupter->warmup)
        event_set(interrupter->warm);
}

void interrupter_start(struct interrupter *interrupter, unsigned long warmup,
                       struct event *warm)
{
    interrupter->warmup = warmup;
    interrupter->warm = warm;
    lab_catcher_install(&interrupter->catcher, SIGUSR1);
    interrupter->signals = (struct lab_interrupter){
        .signo = SIGUSR1,
        .count = 0,     /* until stopped */
        .wait_ms = 20,  /* a try that finds the call busy is tried again */
        .period_ms = 1, /* the timer's period: a signal about every millisecond */
        .after_each = note_warm,
        .at_end = release_peer,
        .context = interrupter,
    };
    lab_interrupter_start(&interrupter->signals);
}

unsigned long interrupter_stop(struct interrupter *interrupter)
{
    lab_interrupter_stop(&interrupter->signals);
    unsigned long handled = lab_catcher_count(&interrupter->catcher);
    lab_catcher_remove(&interrupter->catcher);
    return handled;
}

/* ---- send_all in a child process ---- */

struct child_message {
    ssize_t result;
    int err;
};

static void report_to_parent(int report_fd, ssize_t result, int err)
{
    struct child_message message;
    memset(&message, 0, sizeof message); /* no uninitialised padding reaches write() */
    message.result = result;
    message.err = err;
    ssize_t ignored = write(report_fd, &message, sizeof message);
    (void)ignored;
}

/* Reads the child's report, waiting at most PEER_DEADLINE_MS. */
static bool read_report(int report_fd, struct child_message *message)
{
    if (!lab_wait_fd(report_fd, POLLIN, PEER_DEADLINE_MS))
        return false;
    ssize_t got;
    while ((got = read(report_fd, message, sizeof *message)) == -1 && errno == EINTR)
        continue;
    return got == (ssize_t)sizeof *message;
}

struct child_outcome send_all_in_child(int fd, int peer_fd, const void *buf, size_t len,
                                       void (*peer_action)(int peer_fd, void *arg), void *arg)
{
    struct child_outcome outcome = {.result = 0};
    int report[2];
    lab_require(pipe(report) == 0, "pipe()");
    fflush(NULL);
    pid_t child = fork();
    lab_require(child != -1, "fork()");
    if (child == 0) {
        close(report[0]);
        if (peer_fd != -1)
            close(peer_fd);
        errno = 0;
        ssize_t result = send_all(fd, buf, len);
        report_to_parent(report[1], result, errno);
        _exit(0);
    }
    close(report[1]);
    close(fd); /* only the child sends: when it ends, the peer sees end of stream */
    if (peer_action)
        peer_action(peer_fd, arg);

    struct child_message message;
    outcome.reported = read_report(report[0], &message);
    close(report[0]);
    if (outcome.reported) {
        outcome.result = message.result;
        outcome.err = message.err;
    } else {
        kill(child, SIGKILL); /* late, or already dead: either way, reap it */
    }
    int status = 0;
    while (waitpid(child, &status, 0) == -1 && errno == EINTR)
        continue;
    outcome.killed = !outcome.reported && WIFSIGNALED(status);
    outcome.signal_number = outcome.killed ? WTERMSIG(status) : 0;
    return outcome;
}

const char *child_outcome_text(struct child_outcome outcome)
{
    if (outcome.reported)
        return lab_fmt("send_all returned %s", lab_result_text(outcome.result, outcome.err));
    if (outcome.killed && outcome.signal_number == SIGKILL)
        return lab_fmt("send_all did not return within %d s", PEER_DEADLINE_MS / 1000);
    if (outcome.killed) {
        const char *name = sigabbrev_np(outcome.signal_number);
        return lab_fmt("the process was killed by SIG%s", name ? name : "?");
    }
    return "the process ended without reporting (it called exit?)";
}
