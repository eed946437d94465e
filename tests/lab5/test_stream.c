/*
 * Lab 5 tests: reliable send and receive (lab5.h).
 *
 * Loopback TCP hides the problems these functions exist for: a blocking
 * send() of 4 MiB usually sends it all in one call, and recv() often returns
 * a whole small message. So the tests make the problems happen on purpose:
 *
 *   - the interposer (interpose.h) cuts calls short and fails them with
 *     EINTR, deterministically, whichever call the student used to move bytes;
 *   - real signals interrupt a send() blocked on a peer that does not read,
 *     and a recv() waiting for a peer that has not sent yet;
 *   - a peer dribbles bytes with pauses, closes early, or resets.
 *
 * Data is a pattern checked byte by byte, so a lost, repeated or reordered
 * piece is named by its offset.
 */
#include "labtest.h"

#include "lab5.h"

#include "interpose.h"
#include "labnet.h"
#include "stream_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define GUARD_SIZE 64
#define GUARD_BYTE 0xA5
#define SMALL_BUFFERS (16 * 1024)

/* A plan that changes nothing: the calls go straight through. */
static const struct interpose_plan NATURAL = {.fd = -1};

static const char *plan_text(const struct interpose_plan *plan)
{
    if (plan->interrupt_odd_calls && plan->max_bytes)
        return lab_fmt(" (the test fails every other call with EINTR and lets the others move "
                       "at most %zu byte%s)",
                       plan->max_bytes, plan->max_bytes == 1 ? "" : "s");
    if (plan->interrupt_odd_calls)
        return " (the test fails every other call with EINTR, the first one included)";
    if (plan->max_bytes && plan->first_call_only)
        return lab_fmt(" (the test lets the first call move at most %zu byte%s)",
                       plan->max_bytes, plan->max_bytes == 1 ? "" : "s");
    if (plan->max_bytes)
        return lab_fmt(" (the test lets each call move at most %zu byte%s)", plan->max_bytes,
                       plan->max_bytes == 1 ? "" : "s");
    return "";
}

static void arm(const struct interpose_plan *plan, int fd)
{
    struct interpose_plan armed = *plan;
    armed.fd = plan->max_bytes || plan->interrupt_odd_calls ? fd : -1;
    interpose_arm(&armed);
}

/* ---- send_all: one scenario, many conditions ---- */

/*
 * send_all(len bytes) on a connected TCP socket (or a Unix-domain stream pair)
 * whose peer thread reads everything; checks the result, every byte the peer
 * got, that buf is unchanged and that fd is still open.
 */
static void expect_send_all_delivers(size_t len, const struct interpose_plan *plan,
                                     bool unix_pair, const char *section)
{
    int client, server;
    if (unix_pair) {
        int pair[2];
        int made = socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
        lab_require(made == 0, "socketpair()");
        client = pair[0];
        server = pair[1];
    } else {
        tcp_pair(&client, &server, 0);
    }
    const char *kind = unix_pair ? "a connected Unix-domain stream socket"
                                 : "a connected TCP socket";
    unsigned char *data = pattern_alloc(len, 0);
    struct drain drain = {.fd = server, .capacity = len + GUARD_SIZE};
    drain_start(&drain);

    arm(plan, client);
    errno = 0;
    ssize_t result = send_all(client, data, len);
    int err = errno;
    struct interpose_report report = interpose_disarm();
    bool still_open = lab_fd_is_open(client);
    close(client); /* the peer sees end of stream */
    drain_finish(&drain);
    close(server);

    const char *call = lab_fmt("send_all(fd, buf, %zu) on %s%s", len, kind, plan_text(plan));
    const char *calls = report.calls ? lab_fmt("; %s", interpose_report_text(report)) : "";
    lab_expect(result == (ssize_t)len, lab_fmt("%s should send every byte and return len.", call),
               lab_fmt("%zu", len), lab_fmt("%s%s", lab_result_text(result, err), calls),
               section);
    lab_expect(drain.received == len,
               lab_fmt("%s returned %zd: the peer should receive exactly that many bytes.", call,
                       result),
               lab_fmt("%zu bytes", len), lab_fmt("%zu bytes%s", drain.received, calls), "2.2");
    lab_expect(pattern_mismatch(drain.data, len, 0) == len,
               lab_fmt("%s: the peer should receive the bytes of buf, in order, each once.",
                       call),
               "every byte as sent", pattern_mismatch_text(drain.data, len, 0), "2.2");
    lab_expect(pattern_mismatch(data, len, 0) == len,
               lab_fmt("%s must not modify buf.", call), "buf unchanged",
               pattern_mismatch_text(data, len, 0), "4.1");
    lab_expect(still_open, lab_fmt("%s must not close fd (the caller owns it).", call),
               "fd still open", "fd closed", "4.1");
    drain_free(&drain);
    free(data);
}

LAB_TEST(send_all, len_zero_returns_zero_sends_nothing)
{
    expect_send_all_delivers(0, &NATURAL, false, "4.1");
}

LAB_TEST(send_all, one_byte_arrives_intact)
{
    expect_send_all_delivers(1, &NATURAL, false, "4.1");
}

/* Around 1024: a size that is not a power of two, one that is, and one past it. */
LAB_TEST(send_all, sizes_1023_1024_1025_arrive_intact)
{
    expect_send_all_delivers(1023, &NATURAL, false, "4.1");
    expect_send_all_delivers(1024, &NATURAL, false, "4.1");
    expect_send_all_delivers(1025, &NATURAL, false, "4.1");
}

LAB_TEST(send_all, size_64kib_arrives_intact)
{
    expect_send_all_delivers(64 * KIB, &NATURAL, false, "4.1");
}

LAB_TEST(send_all, size_4mib_arrives_intact, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    expect_send_all_delivers(4 * MIB, &NATURAL, false, "4.1");
}

LAB_TEST(send_all, unix_stream_socket_arrives_intact)
{
    expect_send_all_delivers(64 * KIB, &NATURAL, true, "4.1");
}

LAB_TEST(send_all, one_byte_per_send_sends_every_byte_in_order)
{
    const struct interpose_plan plan = {.max_bytes = 1};
    expect_send_all_delivers(1025, &plan, false, "2.2");
}

LAB_TEST(send_all, short_writes_send_every_byte_in_order)
{
    const struct interpose_plan plan = {.max_bytes = 1000};
    expect_send_all_delivers(64 * KIB, &plan, false, "2.2");
}

LAB_TEST(send_all, short_first_write_sends_the_rest)
{
    const struct interpose_plan plan = {.max_bytes = 100, .first_call_only = true};
    expect_send_all_delivers(4 * KIB, &plan, false, "2.2");
}

LAB_TEST(send_all, short_writes_on_unix_stream_socket_send_every_byte)
{
    const struct interpose_plan plan = {.max_bytes = 777};
    expect_send_all_delivers(16 * KIB, &plan, true, "2.2");
}

LAB_TEST(send_all, eintr_on_first_send_retries_and_sends_every_byte)
{
    const struct interpose_plan plan = {.interrupt_odd_calls = true};
    expect_send_all_delivers(1025, &plan, false, "2.3");
}

LAB_TEST(send_all, eintr_between_short_writes_retries_and_sends_every_byte)
{
    const struct interpose_plan plan = {.interrupt_odd_calls = true, .max_bytes = 1000};
    expect_send_all_delivers(64 * KIB, &plan, false, "2.3");
}

/*
 * A real signal: the peer does not read at first, so with small socket
 * buffers send() blocks; a signal arrives about every millisecond (handler
 * without SA_RESTART), so the blocked send() fails with EINTR or returns a
 * short count. Once the main thread has been signalled a few times, the peer
 * drains slowly, and the interruptions go on until send_all returns.
 */
LAB_TEST(send_all, signals_while_blocked_send_every_byte, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    const size_t len = 1 * MIB;
    int client, server;
    tcp_pair(&client, &server, SMALL_BUFFERS);
    unsigned char *data = pattern_alloc(len, 0);
    struct event warm;
    event_init(&warm);
    struct drain drain = {.fd = server, .capacity = len, .start = &warm,
                          .read_size = 16 * KIB, .pause_us = 300};
    drain_start(&drain);

    struct interrupter interrupter;
    interrupter_start(&interrupter, 20, &warm);
    errno = 0;
    ssize_t result = send_all(client, data, len);
    int err = errno;
    unsigned long signals = interrupter_stop(&interrupter);
    close(client);
    drain_finish(&drain);
    close(server);
    event_destroy(&warm);

    lab_expect_result(
        result, err, len,
        lab_fmt("send_all(fd, buf, %zu) while signals interrupt it (a handler without "
                "SA_RESTART, %lu signals) should go on after EINTR and short writes, "
                "and return len.",
                len, signals),
        "2.3");
    lab_expect(drain.received == len && pattern_mismatch(drain.data, len, 0) == len,
               "send_all interrupted by signals: the peer should receive every byte, in order.",
               lab_fmt("%zu bytes as sent", len),
               lab_fmt("%zu bytes, %s", drain.received,
                       pattern_mismatch_text(drain.data,
                                             drain.received < len ? drain.received : len, 0)),
               "2.3");
    drain_free(&drain);
    free(data);
}

/* ---- send_all: a peer that has gone (SIGPIPE) ---- */

static void expect_peer_gone_failure(struct child_outcome outcome, const char *situation)
{
    lab_expect(!(outcome.killed && outcome.signal_number == SIGPIPE),
               lab_fmt("send_all when %s was killed by SIGPIPE. send() without the flag "
                       "MSG_NOSIGNAL (and write()) raises SIGPIPE when the peer has gone, and "
                       "SIGPIPE's default action ends the whole process: a server would die "
                       "because one client left. Pass MSG_NOSIGNAL to every send().",
                       situation),
               "-1 with errno EPIPE or ECONNRESET, and the process alive",
               child_outcome_text(outcome), "2.4");
    lab_expect(outcome.reported && outcome.result == -1 &&
                   (outcome.err == EPIPE || outcome.err == ECONNRESET),
               lab_fmt("send_all when %s should fail and say why.", situation),
               "-1 with errno EPIPE or ECONNRESET", child_outcome_text(outcome), "4.1");
}

LAB_TEST(send_all, peer_closed_fails_with_epipe_not_sigpipe, .timeout = 15)
{
    const size_t len = 1 * MIB;
    int client, server;
    tcp_pair(&client, &server, SMALL_BUFFERS);
    close(server);
    /* Wait until the client has seen the peer's FIN (its end of stream), so the
     * first send() is answered by a reset that makes the next one fail with EPIPE. */
    struct pollfd fin = {.fd = client, .events = POLLIN | POLLRDHUP};
    poll(&fin, 1, PEER_DEADLINE_MS);
    unsigned char *data = pattern_alloc(len, 0);
    struct child_outcome outcome = send_all_in_child(client, -1, data, len, NULL, NULL);
    free(data);
    expect_peer_gone_failure(outcome, "the peer has already closed the connection");
}

/* The peer's part: read some of the stream, then close with data still unread. */
static void read_some_then_close(int peer_fd, void *arg)
{
    size_t wanted = *(size_t *)arg;
    size_t got = 0;
    unsigned char chunk[4096];
    struct pollfd wait = {.fd = peer_fd, .events = POLLIN};
    while (got < wanted && poll(&wait, 1, PEER_DEADLINE_MS) == 1) {
        ssize_t n = recv(peer_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(peer_fd);
}

LAB_TEST(send_all, peer_closes_mid_stream_fails_not_sigpipe, .timeout = 15)
{
    const size_t len = 1 * MIB;
    size_t read_before_closing = 64 * KIB;
    int client, server;
    tcp_pair(&client, &server, SMALL_BUFFERS);
    unsigned char *data = pattern_alloc(len, 0);
    struct child_outcome outcome =
        send_all_in_child(client, server, data, len, read_some_then_close, &read_before_closing);
    free(data);
    expect_peer_gone_failure(outcome, "the peer closes the connection in the middle of the data");
}

/* ---- send_all: not a connected socket ---- */

LAB_TEST(send_all, closed_descriptor_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    errno = 0;
    ssize_t result = send_all(fd, "hello", 5);
    lab_expect_failure(result, errno, EBADF,
                       "send_all on a descriptor that is not open should fail.", "4.1");
}

LAB_TEST(send_all, pipe_fails_with_enotsock)
{
    int pipe_fds[2];
    int made = pipe(pipe_fds);
    lab_require(made == 0, "pipe()");
    errno = 0;
    ssize_t result = send_all(pipe_fds[1], "hello", 5);
    int err = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    lab_expect_failure(result, err, ENOTSOCK,
                       "send_all on a pipe (open, but not a socket) should fail: send() only "
                       "works on sockets (write() would not notice).",
                       "4.1");
}

/* ---- recv_all: one scenario, many conditions ---- */

struct recv_case {
    size_t len;   /* recv_all asks for this many */
    size_t sent;  /* the peer sends this many, then closes its side */
    size_t piece; /* the peer sends in pieces of this size (0: at once) */
    long pause_us;
    struct interpose_plan plan;
    bool unix_pair;
    const char *section;
};

static const char *peer_text(const struct recv_case *c)
{
    const char *pieces = c->pause_us ? lab_fmt(" in pieces of %zu with pauses", c->piece) : "";
    if (c->sent == 0)
        return "the peer closes without sending anything";
    if (c->sent < c->len)
        return lab_fmt("the peer sends only %zu bytes%s, then closes", c->sent, pieces);
    if (c->sent > c->len)
        return lab_fmt("the peer sends %zu bytes%s (more than len)", c->sent, pieces);
    return lab_fmt("the peer sends %zu bytes%s", c->sent, pieces);
}

/*
 * Reads whatever is left on fd until end of stream (the test's own plain
 * loop), keeping the first `capacity` bytes; returns how many bytes were left.
 * Reading everything lets the peer finish even when recv_all stopped early.
 */
static size_t read_rest(int fd, unsigned char *buf, size_t capacity)
{
    unsigned char chunk[16 * 1024];
    size_t got = 0;
    struct pollfd wait = {.fd = fd, .events = POLLIN};
    while (poll(&wait, 1, PEER_DEADLINE_MS) == 1) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (got < capacity)
            memcpy(buf + got, chunk, capacity - got < (size_t)n ? capacity - got : (size_t)n);
        got += (size_t)n;
    }
    return got;
}

static void expect_recv_all_receives(const struct recv_case *c)
{
    int sender, receiver;
    if (c->unix_pair) {
        int pair[2];
        int made = socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
        lab_require(made == 0, "socketpair()");
        sender = pair[0];
        receiver = pair[1];
    } else {
        tcp_pair(&sender, &receiver, 0);
    }
    unsigned char *data = pattern_alloc(c->sent, 0);
    unsigned char *buf = malloc(c->len + GUARD_SIZE);
    lab_require(buf != NULL, "malloc()");
    memset(buf, GUARD_BYTE, c->len + GUARD_SIZE);
    lab_call_watch(buf, c->len + GUARD_SIZE); /* the guard comes back from the call too */
    struct feed feed = {.fd = sender, .data = data, .len = c->sent, .piece = c->piece,
                        .pause_us = c->pause_us, .shut_after = true};
    feed_start(&feed);

    arm(&c->plan, receiver);
    errno = 0;
    ssize_t result = recv_all(receiver, buf, c->len);
    int err = errno;
    struct interpose_report report = interpose_disarm();
    bool still_open = lab_fd_is_open(receiver);
    size_t extra = c->sent > c->len ? c->sent - c->len : 0;
    unsigned char *rest = malloc(extra + 1);
    size_t rest_got = still_open ? read_rest(receiver, rest, extra + 1) : 0;
    feed_finish(&feed);
    close(sender);
    close(receiver);

    size_t expected = c->sent < c->len ? c->sent : c->len;
    const char *call = lab_fmt("recv_all(fd, buf, %zu) on %s when %s%s", c->len,
                               c->unix_pair ? "a Unix-domain stream socket" : "a TCP socket",
                               peer_text(c), plan_text(&c->plan));
    const char *calls = report.calls ? lab_fmt("; %s", interpose_report_text(report)) : "";
    lab_expect(result == (ssize_t)expected,
               lab_fmt("%s should return %s.", call,
                       expected == c->len ? "len" : "the number of bytes that arrived"),
               lab_fmt("%zu", expected), lab_fmt("%s%s", lab_result_text(result, err), calls),
               c->section);
    lab_expect(pattern_mismatch(buf, expected, 0) == expected,
               lab_fmt("%s: buf should hold the bytes sent, in order, each once.", call),
               "every byte as sent", pattern_mismatch_text(buf, expected, 0), "2.1");
    size_t guard = 0;
    while (guard < GUARD_SIZE && buf[c->len + guard] == GUARD_BYTE)
        guard++;
    lab_expect(guard == GUARD_SIZE,
               lab_fmt("%s must not write past the first len bytes of buf.", call),
               "nothing written past buf[len - 1]",
               lab_fmt("buf[%zu] (len + %zu) was overwritten", c->len + guard, guard), "4.2");
    lab_expect(rest_got == extra && pattern_mismatch(rest, extra, c->len) == extra,
               lab_fmt("%s should take only len bytes from the socket: the rest stays for the "
                       "next read.",
                       call),
               lab_fmt("the next %zu bytes still on the socket", extra),
               lab_fmt("%zu bytes left (%s)", rest_got,
                       pattern_mismatch_text(rest, rest_got < extra ? rest_got : extra, c->len)),
               "4.2");
    lab_expect(still_open, lab_fmt("%s must not close fd (the caller owns it).", call),
               "fd still open", "fd closed", "4.2");
    lab_require_zero(feed.err, "the test's peer sending its data");
    free(rest);
    free(buf);
    free(data);
}

LAB_TEST(recv_all, one_byte_arrives_intact)
{
    expect_recv_all_receives(&(struct recv_case){.len = 1, .sent = 1, .section = "4.2"});
}

/* Around 1024: a size that is not a power of two, one that is, and one past it. */
LAB_TEST(recv_all, sizes_1023_1024_1025_arrive_intact)
{
    expect_recv_all_receives(&(struct recv_case){.len = 1023, .sent = 1023, .section = "4.2"});
    expect_recv_all_receives(&(struct recv_case){.len = 1024, .sent = 1024, .section = "4.2"});
    expect_recv_all_receives(&(struct recv_case){.len = 1025, .sent = 1025, .section = "4.2"});
}

LAB_TEST(recv_all, size_64kib_arrives_intact)
{
    expect_recv_all_receives(
        &(struct recv_case){.len = 64 * KIB, .sent = 64 * KIB, .section = "4.2"});
}

LAB_TEST(recv_all, size_4mib_arrives_intact, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    expect_recv_all_receives(
        &(struct recv_case){.len = 4 * MIB, .sent = 4 * MIB, .section = "4.2"});
}

LAB_TEST(recv_all, unix_stream_socket_arrives_intact)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 64 * KIB, .sent = 64 * KIB, .unix_pair = true, .section = "4.2"});
}

LAB_TEST(recv_all, more_data_than_len_takes_only_len)
{
    expect_recv_all_receives(&(struct recv_case){.len = 1000, .sent = 3000, .section = "4.2"});
}

LAB_TEST(recv_all, one_byte_per_recv_receives_every_byte_in_order)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 1025, .sent = 1025, .plan = {.max_bytes = 1}, .section = "2.2"});
}

LAB_TEST(recv_all, short_reads_receive_every_byte_in_order)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 64 * KIB, .sent = 64 * KIB, .plan = {.max_bytes = 1000}, .section = "2.2"});
}

LAB_TEST(recv_all, short_first_read_writes_nothing_past_len)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 4 * KIB, .sent = 8 * KIB, .plan = {.max_bytes = 100, .first_call_only = true},
        .section = "2.2"});
}

LAB_TEST(recv_all, short_reads_on_unix_stream_socket_receive_every_byte)
{
    expect_recv_all_receives(&(struct recv_case){.len = 16 * KIB, .sent = 16 * KIB,
                                                 .plan = {.max_bytes = 777},
                                                 .unix_pair = true, .section = "2.2"});
}

/* The pauses are the point: each piece arrives on its own, as a short read. */
LAB_TEST(recv_all, dribbling_peer_receives_every_byte)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 1000, .sent = 1000, .piece = 100, .pause_us = 2000, .section = "2.1"});
}

LAB_TEST(recv_all, eintr_on_first_recv_retries_and_receives_every_byte)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 1025, .sent = 1025, .plan = {.interrupt_odd_calls = true}, .section = "2.3"});
}

LAB_TEST(recv_all, eintr_between_short_reads_retries_and_receives_every_byte)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 64 * KIB, .sent = 64 * KIB,
        .plan = {.interrupt_odd_calls = true, .max_bytes = 1000}, .section = "2.3"});
}

LAB_TEST(recv_all, peer_closes_early_returns_count_so_far)
{
    expect_recv_all_receives(&(struct recv_case){.len = 4 * KIB, .sent = 1000, .section = "4.2"});
}

LAB_TEST(recv_all, peer_closes_early_after_short_reads_returns_count_so_far)
{
    expect_recv_all_receives(&(struct recv_case){
        .len = 4 * KIB, .sent = 1000, .plan = {.max_bytes = 100}, .section = "4.2"});
}

LAB_TEST(recv_all, peer_closes_before_sending_returns_zero)
{
    expect_recv_all_receives(&(struct recv_case){.len = 100, .sent = 0, .section = "4.2"});
}

/*
 * A real signal: recv() waits because the peer has sent nothing yet, and a
 * signal arrives about every millisecond (handler without SA_RESTART). Once
 * the main thread has been signalled a few times, the peer sends in pieces
 * with pauses, so recv() keeps being interrupted while it waits.
 */
LAB_TEST(recv_all, signals_while_waiting_receive_every_byte, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    const size_t len = 64 * KIB;
    int sender, receiver;
    tcp_pair(&sender, &receiver, 0);
    unsigned char *data = pattern_alloc(len, 0);
    unsigned char *buf = calloc(1, len);
    struct event warm;
    event_init(&warm);
    struct feed feed = {.fd = sender, .data = data, .len = len, .piece = 4 * KIB,
                        .pause_us = 1000, .start = &warm, .shut_after = true};
    feed_start(&feed);

    struct interrupter interrupter;
    interrupter_start(&interrupter, 20, &warm);
    errno = 0;
    ssize_t result = recv_all(receiver, buf, len);
    int err = errno;
    unsigned long signals = interrupter_stop(&interrupter);
    feed_finish(&feed);
    close(sender);
    close(receiver);
    event_destroy(&warm);

    lab_expect_result(
        result, err, len,
        lab_fmt("recv_all(fd, buf, %zu) while signals interrupt it (a handler without "
                "SA_RESTART, %lu signals) should go on after EINTR and short reads, and "
                "return len.",
                len, signals),
        "2.3");
    lab_expect(pattern_mismatch(buf, len, 0) == len,
               "recv_all interrupted by signals: buf should hold every byte, in order.",
               "every byte as sent", pattern_mismatch_text(buf, len, 0), "2.3");
    free(buf);
    free(data);
}

/* ---- recv_all: len 0 ---- */

/* recv_all(fd, buf, 0) on a socket with nothing to read: 0 at once. */
static void expect_len_zero_returns_at_once(int fd, const char *kind)
{
    lab_set_receive_timeout(fd, 1000); /* a recv() that waits gives up after 1 s */
    char buf[1] = {0};
    double start = lab_now_ms() / 1000.0;
    errno = 0;
    ssize_t result = recv_all(fd, buf, 0);
    int err = errno;
    double waited = lab_now_ms() / 1000.0 - start;
    close(fd);
    lab_expect(result == 0 && waited < 0.5,
               lab_fmt("recv_all(fd, buf, 0) on %s with nothing to read should return 0 at once "
                       "(with len 0 there is nothing to wait for: do not call recv()).",
                       kind),
               "0, at once", lab_fmt("%s after %.2f s", lab_result_text(result, err), waited),
               "4.2");
}

LAB_TEST(recv_all, len_zero_on_tcp_returns_zero_at_once)
{
    int sender, receiver;
    tcp_pair(&sender, &receiver, 0);
    expect_len_zero_returns_at_once(receiver, "a connected TCP socket");
    close(sender);
}

LAB_TEST(recv_all, len_zero_on_udp_returns_zero_at_once)
{
    int fd = lab_bound_socket(SOCK_DGRAM, "127.0.0.1", 0, -1, 0);
    lab_require(fd != -1, "a UDP socket of the test's own on 127.0.0.1");
    expect_len_zero_returns_at_once(fd, "a UDP socket");
}

/* ---- recv_all: errors ---- */

LAB_TEST(recv_all, connection_reset_fails_with_econnreset)
{
    int sender, receiver;
    tcp_pair(&sender, &receiver, 0);
    lab_close_with_reset(sender); /* an RST instead of a FIN */
    char buf[100];
    errno = 0;
    ssize_t result = recv_all(receiver, buf, sizeof buf);
    int err = errno;
    close(receiver);
    lab_expect_failure(result, err, ECONNRESET,
                       "recv_all when the peer resets the connection is an error, not an end "
                       "of stream: recv() fails, and recv_all should return -1 with its errno.",
                       "4.2");
}

LAB_TEST(recv_all, closed_descriptor_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    char buf[16];
    errno = 0;
    ssize_t result = recv_all(fd, buf, sizeof buf);
    lab_expect_failure(result, errno, EBADF,
                       "recv_all on a descriptor that is not open should fail.", "4.2");
}

LAB_TEST(recv_all, dev_null_fails_with_enotsock)
{
    int fd = open("/dev/null", O_RDONLY);
    char buf[16];
    errno = 0;
    ssize_t result = recv_all(fd, buf, sizeof buf);
    int err = errno;
    close(fd);
    lab_expect_failure(result, err, ENOTSOCK,
                       "recv_all on /dev/null (open, but not a socket) should fail: recv() only "
                       "works on sockets (read() would return 0 and hide the mistake).",
                       "4.2");
}

/* ---- rules for every function ---- */

LAB_TEST(rules, functions_print_nothing)
{
    int sender, receiver;
    tcp_pair(&sender, &receiver, 0);
    char buf[5];
    lab_capture_begin();
    ssize_t sent = send_all(sender, "hello", 5);
    ssize_t received = recv_all(receiver, buf, sizeof buf);
    send_all(-1, "hello", 5);
    recv_all(-1, buf, sizeof buf);
    const char *printed = lab_capture_end();
    close(sender);
    close(receiver);
    lab_expect(sent == 5 && received == 5 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say).",
               "5 bytes sent, 5 received, nothing printed",
               lab_fmt("sent %zd, received %zd, printed %s", sent, received,
                       printed[0] ? printed : "nothing"),
               "5.1");
}
