/*
 * Lab 6 tests, part 2: the program echo_server (lab6.h, handout section 4.2).
 *
 * Each test starts <build>/lab6/echo_server (on 127.0.0.1, port 0 unless the
 * test is about the defaults), learns its port from the "Listening on" line
 * it prints, and plays one or more clients. process.h gives every read and
 * wait a deadline and kills and reaps the program at the end; under make
 * memcheck the program runs under Valgrind and what it finds fails the test.
 */
#include "labtest.h"

#include <sys/wait.h>

#include "labnet.h"
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define SECTION "4.2"
#define DEFAULT_PORT 5346
#define ECHO_DEADLINE_MS 5000
#define PARTIAL_ECHO ((size_t)64 * 1024) /* what a client reads before it resets */
#define USAGE "usage: echo_server [-k] [HOST [PORT]]"

/* ---- starting the program and reading its lines (process.h) ---- */

static struct lab_process server; /* big: kept out of the stack */

/* Reads "Connected by: 127.0.0.1:PORT" for the client `fd`. */
static void expect_connected_line(struct lab_process *proc, int fd)
{
    const char *expected = lab_fmt("Connected by: 127.0.0.1:%u", (unsigned)lab_local_port(fd));
    const char *what = lab_fmt("Once it has accepted a client, %s should print the client's "
                               "address (addr_to_string) and flush stdout.",
                               lab_process_command_text(proc));
    const char *line = lab_expect_line(proc, what, expected, SECTION);
    lab_expect(strcmp(line, expected) == 0, what, expected,
               lab_bytes_text(line, strlen(line), 80), SECTION);
}

/* ---- talking to it ---- */

/*
 * Sends `len` bytes while reading what comes back into `echo` (room for
 * `len`), both at once (non-blocking), so big messages cannot deadlock. Stops
 * when `want` bytes came back, the server closed, or the deadline passed.
 * Returns the bytes received.
 */
static size_t exchange(int fd, const unsigned char *data, size_t len, unsigned char *echo,
                       size_t want, int timeout_ms)
{
    size_t sent = 0, got = 0;
    long long deadline = lab_now_ms() + timeout_ms;
    bool was_nonblocking = lab_is_nonblocking(fd);
    lab_require(lab_set_nonblocking(fd, true) == 0, "making the test's client non-blocking");
    while (got < want) {
        long long left = deadline - lab_now_ms();
        if (left <= 0)
            break;
        struct pollfd ends = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        if (poll(&ends, 1, (int)left) <= 0)
            continue;
        if ((ends.revents & POLLOUT) && sent < len) {
            ssize_t now = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
            if (now > 0)
                sent += (size_t)now;
            else if (now == -1 && errno != EAGAIN && errno != EINTR)
                break;
        }
        if (ends.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t now = recv(fd, echo + got, want - got, 0);
            if (now == 0 || (now == -1 && errno != EAGAIN && errno != EINTR))
                break;
            if (now > 0)
                got += (size_t)now;
        }
    }
    lab_set_nonblocking(fd, was_nonblocking);
    return got;
}

/* Sends `len` bytes of data and expects all of them back, unchanged. */
static void expect_echo(struct lab_process *proc, int fd, const unsigned char *data,
                        size_t len, const char *what)
{
    unsigned char *echo = malloc(len ? len : 1);
    lab_require(echo != NULL, "malloc()");
    size_t got = exchange(fd, data, len, echo, len, lab_deadline_ms(ECHO_DEADLINE_MS));
    size_t same = lab_first_difference(echo, data, got);
    bool ok = got == len && same == len;
    const char *seen = got != len
                           ? lab_fmt("%zu bytes came back (%s)", got, lab_program_state(proc))
                           : lab_fmt("byte %zu differs: sent %s, got %s", same,
                                     lab_bytes_text(data + same, len - same, 12),
                                     lab_bytes_text(echo + same, len - same, 12));
    free(echo);
    lab_expect(ok, lab_fmt("The server should send %s back, unchanged.", what),
               lab_fmt("the same %zu bytes", len), seen, SECTION);
}

static void expect_text_echo(struct lab_process *proc, int fd, const char *text)
{
    expect_echo(proc, fd, (const unsigned char *)text, strlen(text),
                lab_fmt("the message %s", lab_bytes_text(text, strlen(text), 40)));
}

/* ---- the end of the program ---- */

/* How echo_server -k stops (lab_expect_stop_on): each signal goes once the
 * server is asleep, in the wait for a client or in a session's recv, so a
 * server whose wait cannot be interrupted fails whatever the timing. */
static const struct lab_stop k_stop = {
    .when_asleep = true,
    .killed_hint = "when the signal arrived, no handler of yours was in place yet (install it "
                   "before tcp_listen, so it is there before the line is printed; lab6.h, step "
                   "2 of the handout's plan).",
    .way_out = "(tcp_accept and echo_session wait on: the server needs its own way out)",
};

/* Sends `signal` while the server is `while_doing`; expects exit 0 within a second. */
static void expect_stop_on(struct lab_process *proc, int signal_number, const char *while_doing)
{
    struct lab_stop stop = k_stop;
    stop.while_doing = while_doing;
    lab_expect_stop_on(proc, signal_number, &stop, SECTION);
}

/* Starts echo_server [-k] 127.0.0.1 0 and returns its port. */
static uint16_t start_on_any_port(bool keep_serving)
{
    const char *plain[] = {"127.0.0.1", "0", NULL};
    const char *keep[] = {"-k", "127.0.0.1", "0", NULL};
    lab_program_start(&server, "lab6", "echo_server", keep_serving ? keep : plain);
    return lab_expect_listening(&server, "127.0.0.1", 0, SECTION);
}

/* One whole client: connect, "Connected by", echo `text`, close. */
static void serve_client(uint16_t port, const char *text)
{
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, text);
    close(fd);
}

/* ---- one client (no -k) ---- */

LAB_TEST(echo_server, prints_listening_line_with_the_real_port, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(false);
    int fd = lab_connect_to_program(&server, port, SECTION);
    close(fd);
    lab_program_finish(&server);
}

LAB_TEST(echo_server, announces_the_client_and_echoes_it, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(false);
    serve_client(port, "Hello world! This is an echo server made with C.");
    lab_expect_exit(&server, 0, lab_deadline_ms(LAB_WAIT_MS),
                    "After its one client has closed, echo_server should close everything and "
                    "exit 0.",
                    SECTION);
    lab_program_finish(&server);
}

LAB_TEST(echo_server, keeps_echoing_until_the_client_closes_then_exits_0,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(false);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    const char *pieces[] = {"first", "second piece", "third, and last"};
    for (int i = 0; i < 3; i++) {
        expect_text_echo(&server, fd, pieces[i]);
        lab_expect(!lab_process_has_ended(&server),
                   "echo_server should keep serving its client until the client closes "
                   "(echo_session returns only then).",
                   "still running, the client connected", lab_program_state(&server), SECTION);
    }
    close(fd);
    lab_expect_exit(&server, 0, lab_deadline_ms(LAB_WAIT_MS),
                    "Once its client has closed, echo_server should exit 0 at once.", SECTION);
    const char *extra = lab_process_read_line(&server, 0);
    lab_expect(extra == NULL,
               "echo_server should print exactly two lines: \"Listening on ...\" and "
               "\"Connected by: ...\".",
               "nothing more on stdout", extra ? lab_bytes_text(extra, strlen(extra), 80) : "",
               SECTION);
    lab_program_finish(&server);
}

LAB_TEST(echo_server, binary_data_comes_back_unchanged, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    size_t len = 1024 * 1024 + 5;
    unsigned char *data = lab_make_data(len, 3);
    uint16_t port = start_on_any_port(false);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    expect_echo(&server, fd, data, len, "1 MiB of binary data (zero bytes included)");
    free(data);
    close(fd);
    lab_expect_exit(&server, 0, lab_deadline_ms(LAB_WAIT_MS),
                    "After its client has closed, echo_server should exit 0.", SECTION);
    lab_program_finish(&server);
}

LAB_TEST(echo_server, client_reset_exits_1_with_the_cause_on_stderr,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port(false);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, "ping");
    lab_close_with_reset(fd);
    lab_expect_exit(&server, 1, lab_deadline_ms(LAB_WAIT_MS),
                    "When its session ends in an error (the client reset the connection), "
                    "echo_server should say why on stderr and exit 1.",
                    SECTION);
    lab_expect_stderr_says_something(&server, "its client resets the connection", SECTION);
    lab_program_finish(&server);
}

/* ---- -k: one client after another ---- */

/* One whole client, as serve_client; returns the descriptors the server holds
 * while this client is connected (after its "Connected by" line). */
static int descriptors_while_serving(uint16_t port, const char *text)
{
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    int held = lab_process_fd_count(&server);
    expect_text_echo(&server, fd, text);
    close(fd);
    return held;
}

LAB_TEST(echo_server_k, serves_several_clients_in_turn, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port(true);
    serve_client(port, "client one");
    int with_second = descriptors_while_serving(port, "client two: a little longer");
    serve_client(port, "3");
    int with_fourth = descriptors_while_serving(port, "four");
    lab_expect(with_fourth <= with_second,
               "echo_server -k should close each client's socket once that client has left: "
               "while it serves its fourth client it should hold no more descriptors than "
               "while it served its second.",
               lab_fmt("at most %d descriptors open (as with the second client)", with_second),
               lab_fmt("%d descriptors open: one more per client served", with_fourth), SECTION);
    lab_expect(!lab_process_has_ended(&server),
               "echo_server -k should go on waiting for clients after each one leaves.",
               "still running", lab_program_state(&server), SECTION);
    expect_stop_on(&server, SIGTERM, "waiting for a fourth client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, sigterm_while_waiting_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port(true);
    expect_stop_on(&server, SIGTERM, "waiting for its first client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, sigint_while_waiting_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port(true);
    expect_stop_on(&server, SIGINT, "waiting for its first client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, sigterm_between_clients_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    serve_client(port, "one client, then a stop");
    expect_stop_on(&server, SIGTERM, "waiting for its next client");
    lab_program_finish(&server);
}

/* Starts a -k server with one client in the middle of a session. */
static int client_in_session(void)
{
    uint16_t port = start_on_any_port(true);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, "in a session");
    return fd;
}

LAB_TEST(echo_server_k, sigterm_during_a_session_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    int fd = client_in_session();
    expect_stop_on(&server, SIGTERM, "a client is connected (in echo_session)");
    close(fd);
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, sigint_during_a_session_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    int fd = client_in_session();
    expect_stop_on(&server, SIGINT, "a client is connected (in echo_session)");
    close(fd);
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, client_leaving_without_sending_does_not_end_it,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    close(fd);
    serve_client(port, "the next client");
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, client_resetting_at_once_does_not_end_it,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    int fd = lab_connect_to_program(&server, port, SECTION);
    lab_close_with_reset(fd);
    int next = lab_connect_to_program(&server, port, SECTION);
    /* The reset client may or may not have been announced before it vanished. */
    const char *expected = lab_fmt("Connected by: 127.0.0.1:%u", (unsigned)lab_local_port(next));
    const char *line = NULL;
    for (int i = 0; i < 2; i++) {
        line = lab_expect_line(&server,
                               "echo_server -k should go on to the next client after one that "
                               "connected and reset at once.",
                               expected, SECTION);
        if (strcmp(line, expected) == 0)
            break;
    }
    lab_expect(strcmp(line, expected) == 0,
               "echo_server -k should announce the client after the one that reset.",
               expected, lab_bytes_text(line, strlen(line), 80), SECTION);
    expect_text_echo(&server, next, "still here?");
    close(next);
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, client_resetting_mid_echo_does_not_end_it,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    size_t len = 2 * 1024 * 1024;
    unsigned char *data = lab_make_data(len, 5);
    unsigned char *echo = malloc(len);
    uint16_t port = start_on_any_port(true);
    int fd = lab_connect_to_program(&server, port, SECTION);
    expect_connected_line(&server, fd);
    /* Send a lot, read only part of the echo, then reset: the server is in the
     * middle of sending when the reset comes. */
    size_t got = exchange(fd, data, len, echo, PARTIAL_ECHO, lab_deadline_ms(ECHO_DEADLINE_MS));
    lab_close_with_reset(fd);
    free(data);
    free(echo);
    lab_expect(got == PARTIAL_ECHO,
               lab_fmt("The first %zu KiB of a %zu MiB message should come back.",
                       PARTIAL_ECHO / 1024, len / (1024 * 1024)),
               lab_count_text(PARTIAL_ECHO, "bytes"),
               lab_fmt("%zu bytes (%s)", got, lab_program_state(&server)), SECTION);
    serve_client(port, "the next client, after a reset");
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    lab_program_finish(&server);
}

LAB_TEST(echo_server_k, random_binary_clients_are_all_served, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    static const size_t sizes[] = {1, 1023, 1024, 1025, 65536 + 3, 300000};
    uint16_t port = start_on_any_port(true);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *data = lab_make_data(sizes[i], (unsigned)i + 100);
        int fd = lab_connect_to_program(&server, port, SECTION);
        expect_connected_line(&server, fd);
        expect_echo(&server, fd, data, sizes[i],
                    lab_fmt("%zu random bytes (client %zu)", sizes[i], i + 1));
        free(data);
        close(fd);
    }
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    lab_program_finish(&server);
}

/* ---- bad arguments and failures ---- */

/* Runs echo_server with bad arguments: usage on stderr, exit 2, nothing on stdout. */
static void expect_usage_error(const char *const args[], const char *why)
{
    lab_program_start(&server, "lab6", "echo_server", args);
    lab_expect_usage_error(&server, lab_deadline_ms(LAB_WAIT_MS), why, USAGE, SECTION);
    lab_program_finish(&server);
}

LAB_TEST(echo_server, port_not_a_number_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(echo_server, port_above_65535_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL},
                       "70000 is not a port: parse_port fails with ERANGE");
}

LAB_TEST(echo_server, host_not_a_dotted_quad_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(echo_server, unknown_option_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-z", NULL}, "-z is not an option");
}

LAB_TEST(echo_server, k_not_first_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "-k", NULL},
                       "-k is only an option as the first argument");
}

LAB_TEST(echo_server, too_many_arguments_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(echo_server, k_with_a_bad_port_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "-1", NULL},
                       "-1 is not a port");
}

LAB_TEST(echo_server, port_in_use_exits_1_with_the_cause, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_expect_port_in_use_failure(&server, "lab6", "echo_server", SOCK_STREAM, SECTION);
    lab_program_finish(&server);
}

/* ---- the defaults ---- */

LAB_TEST_SKIPPABLE(echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_expect_default_listening(&server, "lab6", "echo_server", SOCK_STREAM, DEFAULT_PORT,
                                 SECTION);
    /* Only the port is checked here: another program (lab 7's tests, say) may
     * connect to the default port too, so which client comes first is not
     * this test's business. The other tests check the rest. */
    int fd = lab_connect_to_program(&server, DEFAULT_PORT, SECTION);
    close(fd);
    lab_process_finish(&server);
}
