/*
 * Lab 6 tests, part 1: echo_session (lab6.h, handout section 4.1).
 *
 * Each test builds a loopback TCP connection of its own (listen on 127.0.0.1
 * port 0, connect, accept), runs echo_session on the accepted end in a thread
 * of its own, and plays the client on the other end. Every wait has a
 * deadline, so a session that never ends fails the test instead of hanging it.
 */
#include "labtest.h"

#include "lab6.h"
#include "labnet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#define SESSION_DEADLINE_MS 3000
#define BIG_DEADLINE_MS 20000

/* ---- the connection ---- */

/*
 * A connected pair on loopback (labnet.h): .client is the test's end, .server
 * the end given to echo_session. client_rcvbuf and server_sndbuf, when not 0,
 * shrink those buffers (to make a slow reader fill them quickly).
 */
static struct lab_tcp_pair connect_pair(int client_rcvbuf, int server_sndbuf)
{
    struct lab_pair_buffers buffers = {.client_rcvbuf = client_rcvbuf,
                                       .server_sndbuf = server_sndbuf};
    return lab_tcp_pair_or_fail(&buffers);
}

/* ---- echo_session in a thread ---- */

struct session {
    pthread_t thread;
    int fd;
    ssize_t result;
    int err;
    bool finished; /* joined */
};

static void *session_main(void *context)
{
    struct session *session = context;
    errno = 0;
    session->result = echo_session(session->fd);
    session->err = errno;
    return NULL;
}

static void session_start(struct session *session, int fd)
{
    *session = (struct session){.fd = fd, .result = -2};
    lab_require_zero(pthread_create(&session->thread, NULL, session_main, session),
                     "a thread for echo_session");
}

/* True once echo_session has returned (and its thread is joined). */
static bool session_done(struct session *session)
{
    if (!session->finished && pthread_tryjoin_np(session->thread, NULL) == 0)
        session->finished = true;
    return session->finished;
}

/* Waits at most timeout_ms for echo_session to return; fails the test if it does not. */
static void session_join(struct session *session, int timeout_ms, const char *situation)
{
    long long deadline = lab_now_ms() + timeout_ms;
    while (!session_done(session) && lab_now_ms() < deadline) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(session->thread, NULL, &until) == 0)
            session->finished = true;
    }
    lab_expect(session->finished,
               lab_fmt("echo_session should return once %s.", situation),
               "it returns (the total, or -1 with errno)",
               lab_fmt("still running %d ms later", timeout_ms), "4.1");
}

/* ---- the client's side ---- */

/* Sends everything (the test's own loop), MSG_NOSIGNAL. Returns bytes sent. */
static size_t send_everything(int fd, const unsigned char *data, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t now = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
        if (now == -1 && errno == EINTR)
            continue;
        if (now <= 0)
            break;
        sent += (size_t)now;
    }
    return sent;
}

struct writer {
    pthread_t thread;
    int fd;
    const unsigned char *data;
    size_t len;
    size_t sent;
};

/* The writer thread: sends the data, then closes the sending side (FIN). */
static void *writer_main(void *context)
{
    struct writer *writer = context;
    writer->sent = send_everything(writer->fd, writer->data, writer->len);
    shutdown(writer->fd, SHUT_WR);
    return NULL;
}

/* What a whole exchange produced. */
struct echo_run {
    unsigned char *echo;  /* what came back (capacity len + extra room) */
    size_t echoed;        /* bytes that came back */
    ssize_t result;       /* echo_session's return value */
    int err;
    bool fd_still_open;   /* client_fd open after echo_session returned */
    bool returned;
};

/*
 * Sends `data` from a writer thread (then FIN) while this thread reads the
 * echo; echo_session runs in its own thread. When echo_session returns, the
 * test shuts its end down so the reader sees the end of the echo. Everything
 * has a deadline; the connection is closed at the end.
 */
static struct echo_run run_echo(const unsigned char *data, size_t len, int timeout_ms)
{
    struct echo_run run = {.echo = malloc(len + 4096), .result = -2};
    struct lab_tcp_pair pair = connect_pair(0, 0);
    struct session session;
    struct writer writer = {.fd = pair.client, .data = data, .len = len};
    size_t capacity = len + 4096;
    long long deadline = lab_now_ms() + timeout_ms;
    bool shut = false;

    session_start(&session, pair.server);
    lab_require_zero(pthread_create(&writer.thread, NULL, writer_main, &writer), "a writer thread");
    for (;;) {
        if (!shut && session_done(&session)) {
            run.returned = true;
            run.result = session.result;
            run.err = session.err;
            run.fd_still_open = lab_fd_is_open(pair.server);
            shutdown(pair.server, SHUT_WR); /* the reader now sees the end of the echo */
            shut = true;
        }
        long long left = deadline - lab_now_ms();
        if (left <= 0)
            break;
        struct pollfd readable = {.fd = pair.client, .events = POLLIN};
        if (poll(&readable, 1, left < 10 ? (int)left : 10) <= 0)
            continue;
        ssize_t got = recv(pair.client, run.echo + run.echoed, capacity - run.echoed, 0);
        if (got <= 0)
            break;
        run.echoed += (size_t)got;
        if (run.echoed == capacity)
            break;
    }
    if (!shut) {
        session_join(&session, SESSION_DEADLINE_MS, "the client has closed its side");
        run.returned = true;
        run.result = session.result;
        run.err = session.err;
        run.fd_still_open = lab_fd_is_open(pair.server);
    }
    close(pair.server); /* a writer still blocked in send now fails (reset) and ends */
    pthread_join(writer.thread, NULL);
    close(pair.client);
    return run;
}

/* Checks a complete echo of `data`: every byte back, in order, and the total returned. */
static void expect_echoed(const struct echo_run *run, const unsigned char *data, size_t len,
                          const char *what)
{
    size_t same = lab_first_difference(data, run->echo, run->echoed < len ? run->echoed : len);
    lab_expect(run->echoed == len && same == len,
               lab_fmt("echo_session should send back every byte of %s, unchanged and in "
                       "order.",
                       what),
               lab_fmt("%zu bytes, identical to what was sent", len),
               run->echoed != len
                   ? lab_fmt("%zu bytes came back", run->echoed)
                   : lab_fmt("byte %zu differs: sent %s, got %s", same,
                             lab_bytes_text(data + same, len - same, 16),
                             lab_bytes_text(run->echo + same, len - same, 16)),
               "4.1");
    lab_expect_result(
        run->result, run->err, len,
        lab_fmt("echo_session should return the number of bytes it echoed (%s).", what), "4.1");
    lab_expect(run->fd_still_open, "echo_session must not close client_fd: the caller does.",
               "client_fd still open after echo_session returned", "client_fd was closed",
               "4.1");
}

/* Echoes `len` bytes made by lab_make_data(len, seed) and checks the result. */
static void expect_echo_of_size(size_t len, int timeout_ms)
{
    unsigned char *data = lab_make_data(len, (unsigned)len);
    struct echo_run run = run_echo(data, len, timeout_ms);
    expect_echoed(&run, data, len, lab_fmt("%zu bytes of binary data", len));
    free(run.echo);
    free(data);
}

/* ---- tests ---- */

LAB_TEST(echo_session, short_message_comes_back_and_returns_its_length)
{
    const char *message = "Hello world! This is an echo server made with C.";
    lab_capture_begin();
    struct echo_run run = run_echo((const unsigned char *)message, strlen(message),
                                   lab_deadline_ms(SESSION_DEADLINE_MS));
    const char *printed = lab_capture_end();
    expect_echoed(&run, (const unsigned char *)message, strlen(message),
                  lab_fmt("the message %s", lab_bytes_text(message, strlen(message), 60)));
    free(run.echo);
    lab_expect(printed[0] == '\0', "echo_session must not print anything.", "no output",
               printed, "4.1");
}

LAB_TEST(echo_session, binary_data_with_zero_bytes_comes_back_unchanged)
{
    unsigned char data[512];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i % 256); /* starts with a zero byte: every value twice */
    struct echo_run run = run_echo(data, sizeof data, lab_deadline_ms(SESSION_DEADLINE_MS));
    expect_echoed(&run, data, sizeof data,
                  "512 bytes holding every value 0-255 twice, zero bytes first (binary "
                  "data: never use strlen on it)");
    free(run.echo);
}

LAB_TEST(echo_session, client_closing_at_once_returns_0)
{
    struct echo_run run = run_echo((const unsigned char *)"", 0,
                                   lab_deadline_ms(SESSION_DEADLINE_MS));
    lab_expect(run.result == 0,
               "echo_session with a client that closes without sending anything should "
               "return 0 (nothing echoed).",
               "0", lab_result_text(run.result, run.err), "4.1");
    lab_expect(run.echoed == 0, "Nothing was sent, so nothing should come back.", "0 bytes",
               lab_fmt("%zu bytes", run.echoed), "4.1");
    free(run.echo);
}

LAB_TEST(echo_session, sizes_around_1024_come_back)
{
    /* One byte, around the tutorial's 1024-byte buffer, and many buffers' worth:
     * each on a connection of its own. */
    static const size_t sizes[] = {1, 1023, 1024, 1025, 2048, 100 * 1024 + 7};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        expect_echo_of_size(sizes[i], lab_deadline_ms(SESSION_DEADLINE_MS));
}

LAB_TEST(echo_session, several_mib_come_back_in_full, .timeout = 60)
{
    expect_echo_of_size(4 * 1024 * 1024 + 3, lab_deadline_ms(BIG_DEADLINE_MS));
}

/* Reads exactly `len` bytes from fd within timeout_ms; returns how many came. */
static size_t read_with_deadline(int fd, unsigned char *buf, size_t len, int timeout_ms,
                                 struct session *session)
{
    size_t got = 0;
    long long deadline = lab_now_ms() + timeout_ms;
    while (got < len) {
        long long left = deadline - lab_now_ms();
        if (left <= 0)
            break;
        struct pollfd readable = {.fd = fd, .events = POLLIN};
        if (poll(&readable, 1, left < 10 ? (int)left : 10) <= 0) {
            if (session_done(session))
                break; /* echo_session has returned: nothing more will come */
            continue;
        }
        ssize_t now = recv(fd, buf + got, len - got, 0);
        if (now <= 0)
            break;
        got += (size_t)now;
    }
    return got;
}

LAB_TEST(echo_session, client_waiting_for_each_echo_gets_it)
{
    static const size_t sizes[] = {5, 1, 700, 1024, 3000, 2};
    struct lab_tcp_pair pair = connect_pair(0, 0);
    struct session session;
    size_t total = 0;

    session_start(&session, pair.server);
    for (size_t round = 0; round < sizeof sizes / sizeof sizes[0]; round++) {
        unsigned char *piece = lab_make_data(sizes[round], (unsigned)round + 7);
        unsigned char echo[3000];
        send_everything(pair.client, piece, sizes[round]);
        size_t got = read_with_deadline(pair.client, echo, sizes[round],
                                        lab_deadline_ms(2000), &session);
        bool same = got == sizes[round] && memcmp(echo, piece, got) == 0;
        free(piece);
        lab_expect(same,
                   lab_fmt("A client that sends a piece and waits for its echo before sending "
                           "more should get it back (round %zu: a piece of %zu bytes, the "
                           "connection still open). Send each piece back as soon as it "
                           "arrives: do not wait for a full buffer or for the client to close.",
                           round + 1, sizes[round]),
                   lab_fmt("the %zu bytes echoed", sizes[round]),
                   session_done(&session)
                       ? lab_fmt("%zu bytes, and echo_session had already returned %s", got,
                                 lab_result_text(session.result, session.err))
                       : lab_fmt("%zu bytes within %d ms", got, lab_deadline_ms(2000)),
                   "4.1");
        total += sizes[round];
    }
    shutdown(pair.client, SHUT_WR);
    session_join(&session, lab_deadline_ms(SESSION_DEADLINE_MS),
                 "the client has closed its side");
    lab_expect_result(session.result, session.err, total,
                      "echo_session should return the total number of bytes echoed over the "
                      "whole session.",
                      "4.1");
    close(pair.server);
    close(pair.client);
}

LAB_TEST(echo_session, leaves_client_fd_open_and_usable)
{
    struct lab_tcp_pair pair = connect_pair(0, 0);
    struct session session;
    char reply[8] = "";

    session_start(&session, pair.server);
    send_everything(pair.client, (const unsigned char *)"hi", 2);
    shutdown(pair.client, SHUT_WR);
    session_join(&session, lab_deadline_ms(SESSION_DEADLINE_MS),
                 "the client has closed its side");
    bool open_now = lab_fd_is_open(pair.server);
    /* The server's side can still send: the connection is only half-closed. */
    ssize_t sent = open_now ? send(pair.server, "after", 5, MSG_NOSIGNAL) : -1;
    if (open_now)
        shutdown(pair.server, SHUT_WR);
    size_t got = read_with_deadline(pair.client, (unsigned char *)reply, 7,
                                    lab_deadline_ms(2000), &session);
    lab_expect(open_now && sent == 5,
               "echo_session must not close client_fd (nor shut it down): the caller "
               "decides when the connection ends.",
               "client_fd open and able to send after echo_session returned",
               open_now ? lab_fmt("send on it gave %s", lab_result_text(sent, errno))
                        : "client_fd was closed",
               "4.1");
    lab_expect(got == 7 && memcmp(reply, "hiafter", 7) == 0,
               "The client should receive the echo, then what the test sent after "
               "echo_session returned.",
               "\"hiafter\"", lab_bytes_text(reply, got, 16), "4.1");
    lab_expect(session.result == 2, "echo_session should return the bytes echoed.", "2",
               lab_result_text(session.result, session.err), "4.1");
    close(pair.server);
    close(pair.client);
}

/* Set by the handler, which runs in the student session: shared memory. */
LAB_SHARED_STATE(volatile sig_atomic_t, sigpipe_raised)

static void note_sigpipe(int signal_number)
{
    (void)signal_number;
    *sigpipe_raised = 1;
}

static void expect_reset_is_an_error(const struct session *session, const char *situation)
{
    int err = session->err;
    lab_expect(!*sigpipe_raised,
               lab_fmt("echo_session must not raise SIGPIPE when %s (it would kill the "
                       "server): send with MSG_NOSIGNAL, as send_all does.",
                       situation),
               "no SIGPIPE", "SIGPIPE was raised", "4.1");
    lab_expect(session->result == -1 && (err == ECONNRESET || err == EPIPE),
               lab_fmt("echo_session should report an error when %s.", situation),
               "-1 with errno ECONNRESET or EPIPE",
               lab_result_text(session->result, err), "4.1");
}

LAB_TEST(echo_session, client_resetting_mid_echo_fails_without_sigpipe)
{
    /* A client that sends 64 KiB and closes its side, reads nothing, and resets
     * once the server has seen its FIN (the server's socket is in CLOSE_WAIT):
     * the server's next send fails with EPIPE, which raises SIGPIPE unless
     * MSG_NOSIGNAL is given. Small buffers keep the server from finishing the
     * echo before the reset. */
    size_t len = 64 * 1024;
    unsigned char *data = lab_make_data(len, 11);
    /* No zero bytes here: this test is about the reset. With binary data a strlen()
     * mistake (binary_data_with_zero_bytes_comes_back_unchanged catches it) echoes so
     * little that the server may read to the end before the reset, or not: its
     * verdict would depend on timing. */
    for (size_t i = 0; i < len; i++)
        if (data[i] == 0)
            data[i] = 'x';
    struct lab_tcp_pair pair = connect_pair(2048, 4096);
    struct session session;

    *sigpipe_raised = 0;
    signal(SIGPIPE, note_sigpipe);
    session_start(&session, pair.server);
    struct writer writer = {.fd = pair.client, .data = data, .len = len};
    lab_require_zero(pthread_create(&writer.thread, NULL, writer_main, &writer), "a writer thread");
    long long deadline = lab_now_ms() + lab_deadline_ms(SESSION_DEADLINE_MS);
    /* No event announces the state change: look every millisecond (the pause is
     * the point: waiting for the kernel, not for the code under test). */
    while (lab_tcp_state(pair.server) != TCP_CLOSE_WAIT && !session_done(&session) &&
           lab_now_ms() < deadline)
        poll(NULL, 0, 1);
    pthread_join(writer.thread, NULL);
    lab_close_with_reset(pair.client);
    session_join(&session, lab_deadline_ms(SESSION_DEADLINE_MS),
                 "the client has reset the connection");
    signal(SIGPIPE, SIG_DFL);
    free(data);
    bool open_now = lab_fd_is_open(pair.server);
    close(pair.server);
    expect_reset_is_an_error(&session, "the client resets the connection in the middle of "
                                       "the echo");
    lab_expect(open_now, "echo_session must not close client_fd, even after an error.",
               "client_fd still open", "client_fd was closed", "4.1");
}

LAB_TEST(echo_session, client_resetting_while_server_waits_fails)
{
    struct lab_tcp_pair pair = connect_pair(0, 0);
    struct session session;

    *sigpipe_raised = 0;
    signal(SIGPIPE, note_sigpipe);
    session_start(&session, pair.server);
    send_everything(pair.client, (const unsigned char *)"ping", 4);
    unsigned char echo[4];
    size_t got = read_with_deadline(pair.client, echo, 4, lab_deadline_ms(2000), &session);
    lab_close_with_reset(pair.client);
    session_join(&session, lab_deadline_ms(SESSION_DEADLINE_MS),
                 "the client has reset the connection");
    signal(SIGPIPE, SIG_DFL);
    close(pair.server);
    lab_expect(got == 4, "The client should get the echo of \"ping\" before it resets.",
               "4 bytes", lab_fmt("%zu bytes", got), "4.1");
    lab_expect(session.result == -1 && session.err == ECONNRESET,
               "echo_session should report a reset that arrives while it waits for data "
               "(recv fails with ECONNRESET): a reset is an error, not the end of the "
               "session.",
               "-1 with errno ECONNRESET", lab_result_text(session.result, session.err),
               "4.1");
}
