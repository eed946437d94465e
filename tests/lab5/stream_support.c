/*
 * stream_support.c - see stream_support.h.
 */
#define LAB_NAME "lab5"
#include "labtest.h"

#include "lab5.h"
#include "stream_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define DRAIN_READ_SIZE (64 * KIB)

/* ---- connections ---- */

static void expect_setup(bool ok, const char *step)
{
    lab_expect(ok, lab_fmt("Test setup: %s failed (this is the test machine, not your code).",
                           step),
               "success", lab_errno_text(errno), "5.1");
}

static void set_buffers(int fd, int buffer_size)
{
    if (buffer_size <= 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof buffer_size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
}

void tcp_pair(int *client, int *server, int buffer_size)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;

    int listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    expect_setup(listen_fd != -1, "socket()");
    set_buffers(listen_fd, buffer_size); /* inherited by the accepted socket */
    expect_setup(bind(listen_fd, (struct sockaddr *)&address, sizeof address) == 0,
                 "bind(127.0.0.1:0)");
    expect_setup(listen(listen_fd, 1) == 0, "listen()");
    expect_setup(getsockname(listen_fd, (struct sockaddr *)&address, &size) == 0,
                 "getsockname()");

    *client = socket(AF_INET, SOCK_STREAM, 0);
    expect_setup(*client != -1, "socket()");
    set_buffers(*client, buffer_size);
    expect_setup(connect(*client, (struct sockaddr *)&address, sizeof address) == 0,
                 "connect(127.0.0.1)");
    *server = accept(listen_fd, NULL, NULL);
    expect_setup(*server != -1, "accept()");
    close(listen_fd);
}

void set_receive_timeout(int fd, int milliseconds)
{
    struct timeval timeout = {milliseconds / 1000, (milliseconds % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
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

unsigned char pattern_byte(size_t i)
{
    /* Multiplicative hashing: neighbouring and 256-apart bytes differ. */
    uint32_t x = (uint32_t)i * 2654435761u;
    return (unsigned char)((x >> 24) ^ (x >> 11));
}

unsigned char *pattern_alloc(size_t len, size_t first)
{
    unsigned char *buf = malloc(len > 0 ? len : 1);
    expect_setup(buf != NULL, "malloc()");
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern_byte(first + i);
    return buf;
}

size_t pattern_mismatch(const unsigned char *buf, size_t len, size_t first)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern_byte(first + i))
            return i;
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
    expect_setup(pipe(event->pipe_fds) == 0, "pipe()");
}

void event_set(struct event *event)
{
    char byte = 1;
    while (write(event->pipe_fds[1], &byte, 1) == -1 && errno == EINTR)
        continue;
}

bool event_wait(struct event *event, int timeout_ms)
{
    struct pollfd wait = {.fd = event->pipe_fds[0], .events = POLLIN};
    double deadline = now_seconds() + timeout_ms / 1000.0;
    for (;;) {
        int left_ms = (int)((deadline - now_seconds()) * 1000);
        int ready = poll(&wait, 1, left_ms > 0 ? left_ms : 0);
        if (ready == 1)
            return true;
        if (ready == 0 || errno != EINTR)
            return false;
    }
}

void event_destroy(struct event *event)
{
    close(event->pipe_fds[0]);
    close(event->pipe_fds[1]);
}

/* ---- peer threads ---- */

/* Waits until fd is readable (or writable); false after PEER_DEADLINE_MS. */
static bool wait_for(int fd, short events)
{
    struct pollfd wait = {.fd = fd, .events = events};
    int ready;
    while ((ready = poll(&wait, 1, PEER_DEADLINE_MS)) == -1 && errno == EINTR)
        continue;
    return ready == 1;
}

static void *drain_run(void *arg)
{
    struct drain *drain = arg;
    size_t read_size = drain->read_size ? drain->read_size : DRAIN_READ_SIZE;
    unsigned char *chunk = malloc(read_size);

    if (drain->start && !event_wait(drain->start, PEER_DEADLINE_MS))
        drain->err = ETIMEDOUT;
    while (chunk && drain->err == 0) {
        if (!wait_for(drain->fd, POLLIN)) {
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
    expect_setup(drain->data != NULL, "malloc()");
    expect_setup(pthread_create(&drain->thread, NULL, drain_run, drain) == 0,
                 "pthread_create()");
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
        if (!wait_for(feed->fd, POLLOUT)) {
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
    expect_setup(pthread_create(&feed->thread, NULL, feed_run, feed) == 0,
                 "pthread_create()");
}

void feed_finish(struct feed *feed)
{
    pthread_join(feed->thread, NULL);
}

/* ---- real signals ---- */

/* Counted by the handler, which runs in the child running the student's call:
 * shared memory, so the test's process sees the count. */
static atomic_ulong *signals_handled;
static struct sigaction previous_action;

static void count_signal(int signal_number)
{
    (void)signal_number;
    atomic_fetch_add(signals_handled, 1);
}

static void *interrupter_run(void *arg)
{
    struct interrupter *interrupter = arg;
    while (!atomic_load(&interrupter->stop)) {
        /* Each signal waits until the call is asleep in the kernel (a send or recv
         * that must wait), so every one of them interrupts a real wait. */
        if (!lab_signal_call(SIGUSR1, 20))
            continue;
        if (atomic_fetch_add(&interrupter->sent, 1) + 1 == interrupter->warmup &&
            interrupter->warm)
            event_set(interrupter->warm);
        pause_for(1000); /* the timer's period: a signal about every millisecond */
    }
    return NULL;
}

void interrupter_start(struct interrupter *interrupter, unsigned long warmup,
                       struct event *warm)
{
    struct sigaction action = {.sa_handler = count_signal};
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: interrupted calls fail with EINTR */
    if (!signals_handled) {
        void *page = mmap(NULL, sizeof *signals_handled, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        expect_setup(page != MAP_FAILED, "mmap()");
        signals_handled = page;
    }
    expect_setup(sigaction(SIGUSR1, &action, &previous_action) == 0, "sigaction()");
    atomic_store(signals_handled, 0);
    interrupter->warmup = warmup;
    interrupter->warm = warm;
    atomic_store(&interrupter->stop, false);
    atomic_store(&interrupter->sent, 0);
    expect_setup(pthread_create(&interrupter->thread, NULL, interrupter_run, interrupter) == 0,
                 "pthread_create()");
}

unsigned long interrupter_stop(struct interrupter *interrupter)
{
    atomic_store(&interrupter->stop, true);
    pthread_join(interrupter->thread, NULL);
    if (interrupter->warm && atomic_load(&interrupter->sent) < interrupter->warmup)
        event_set(interrupter->warm); /* the call ended early: release the peer anyway */
    /* lab_signal_call returns once its signal is delivered, so none is pending. */
    sigaction(SIGUSR1, &previous_action, NULL);
    return atomic_load(signals_handled);
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
    if (!wait_for(report_fd, POLLIN))
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
    expect_setup(pipe(report) == 0, "pipe()");
    fflush(NULL);
    pid_t child = fork();
    expect_setup(child != -1, "fork()");
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
