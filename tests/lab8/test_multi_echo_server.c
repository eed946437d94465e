/*
 * Lab 8 tests, part 2: the program multi_echo_server (lab8.h, handout
 * section 4.4).
 *
 * Each test starts <build>/lab8/multi_echo_server (on 127.0.0.1, port 0
 * unless the test is about the defaults), learns its port from the
 * "Listening on" line, and plays several clients at once with non-blocking
 * sockets. process.h gives every read and wait a deadline and kills and
 * reaps the program at the end. Under make memcheck one of them,
 * sigterm_with_clients_connected_exits_0, runs it under Valgrind, and what
 * Valgrind finds fails that test.
 */
#include "labtest.h"

#include "hubrig.h"
#include "labnet.h"
#include "process.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define SECTION "4.4"
#define DEFAULT_PORT 5346
#define ECHO_DEADLINE_MS 5000
#define CLIENTS_AT_ONCE 12
#define USAGE "usage: multi_echo_server [HOST [PORT]]"

static struct lab_process server; /* big: kept out of the stack */

/* Starts multi_echo_server 127.0.0.1 0, reads "Listening on 127.0.0.1:PORT", returns PORT. */
static uint16_t start_on_any_port(void)
{
    lab_program_start(&server, "lab8", "multi_echo_server",
                      (const char *[]){"127.0.0.1", "0", NULL});
    return lab_expect_listening(&server, "127.0.0.1", 0, SECTION);
}

/* A non-blocking client connected to the program. */
static int connect_client(uint16_t port)
{
    int fd = lab_connect_to_program(&server, port, SECTION);
    lab_require(lab_set_nonblocking(fd, true) == 0, "making a client non-blocking");
    return fd;
}

/* Sends the signal once the program sleeps, waiting for its clients (a signal
 * then interrupts that wait, the case a stop must handle), or at once,
 * whatever the program is doing. */
static void expect_stop(int signal_number, const char *while_doing, bool when_asleep)
{
    struct lab_stop stop = {
        .while_doing = while_doing,
        .when_asleep = when_asleep,
        .way_out = "(a handler without SA_RESTART; hub_step then returns EINTR)",
    };
    lab_expect_stop_on(&server, signal_number, &stop, SECTION);
}

static void expect_stop_on(int signal_number, const char *while_doing)
{
    expect_stop(signal_number, while_doing, true);
}

static void expect_stop_at_once_on(int signal_number, const char *while_doing)
{
    expect_stop(signal_number, while_doing, false);
}

/*
 * The clients leave one at a time: each shuts down its side (its echo all read)
 * and waits for the program to close the connection before the next one goes.
 * The program then sees every leave on its own, in the same order on every run,
 * and whoever connects next comes after they have all left.
 */
static void leave_in_turn(const int fds[], int count)
{
    for (int i = 0; i < count; i++) {
        shutdown(fds[i], SHUT_WR);
        bool ended = false;
        long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_DEADLINE_MS);
        char rest[256];
        while (!ended && lab_now_ms() < deadline) {
            lab_wait_fd(fds[i], POLLIN, 50);
            client_recv(fds[i], rest, sizeof rest, &ended);
        }
        lab_expect(ended,
                   lab_fmt("%d clients leave one at a time: client %d shut down its side with "
                           "nothing left to echo, so the program should close its connection.",
                           count, i),
                   "the end of stream",
                   lab_fmt("none within %d ms (%s)", lab_deadline_ms(ECHO_DEADLINE_MS),
                           lab_program_state(&server)),
                   SECTION);
        close(fds[i]);
    }
}

/*
 * Every client sends its own tagged messages, a piece at a time, all of them
 * in turn, while reading what comes back; the first client never sends
 * anything. Checks that each gets exactly its own bytes.
 */
static void expect_clients_served_at_once(uint16_t port, int count, int rounds)
{
    int fds[CLIENTS_AT_ONCE];
    char sent[CLIENTS_AT_ONCE][2048];
    char echo[CLIENTS_AT_ONCE][2048];
    size_t sent_len[CLIENTS_AT_ONCE] = {0}, echo_len[CLIENTS_AT_ONCE] = {0};
    for (int i = 0; i < count; i++)
        fds[i] = connect_client(port);
    for (int round = 0; round < rounds; round++) {
        for (int k = 1; k < count; k++) {
            int i = 1 + (k * 5 + round) % (count - 1);
            int len = snprintf(sent[i] + sent_len[i], sizeof sent[i] - sent_len[i],
                               "<client %d, message %d>", i, round);
            sent_len[i] += client_send(fds[i], sent[i] + sent_len[i], (size_t)len, NULL);
        }
    }
    long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_DEADLINE_MS);
    bool all = false;
    while (!all && lab_now_ms() < deadline) {
        poll(NULL, 0, 2);
        all = true;
        for (int i = 1; i < count; i++) {
            echo_len[i] += client_recv(fds[i], echo[i] + echo_len[i],
                                       sizeof echo[i] - echo_len[i], NULL);
            all = all && echo_len[i] >= sent_len[i];
        }
    }
    for (int i = 1; i < count; i++) {
        lab_expect(echo_len[i] == sent_len[i] && memcmp(echo[i], sent[i], sent_len[i]) == 0,
                   lab_fmt("%d clients connected at once (the first silent), each sending its "
                           "own messages: client %d should get exactly its own bytes back.",
                           count, i),
                   lab_bytes_text(sent[i], sent_len[i], 60),
                   echo_len[i] ? lab_bytes_text(echo[i], echo_len[i], 60)
                               : lab_fmt("nothing (%s)", lab_program_state(&server)),
                   SECTION);
    }
    leave_in_turn(fds, count);
}

LAB_TEST(multi_echo_server, prints_listening_line_with_the_real_port,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port();
    int fd = connect_client(port);
    close(fd);
    expect_stop_on(SIGTERM, "idle");
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, serves_many_clients_at_once, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port();
    expect_clients_served_at_once(port, CLIENTS_AT_ONCE, 8);
    expect_clients_served_at_once(port, 4, 3); /* and the next ones, after those left */
    expect_stop_on(SIGTERM, "idle, after serving clients");
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, client_that_never_reads_does_not_delay_others,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    size_t len = 4 * 1024 * 1024;
    unsigned char *data = lab_make_data(len, 51);
    uint16_t port = start_on_any_port();
    int flood = connect_client(port);
    size_t sent = 0;
    long long deadline = lab_now_ms() + lab_deadline_ms(1000);
    while (sent < len && lab_now_ms() < deadline) {
        struct pollfd writable = {.fd = flood, .events = POLLOUT};
        if (poll(&writable, 1, 50) == 1)
            sent += client_send(flood, data + sent, len - sent, NULL);
    }
    free(data);
    int other = connect_client(port);
    char echo[16];
    size_t got = 0;
    client_send(other, "are you there?", 14, NULL);
    deadline = lab_now_ms() + lab_deadline_ms(ECHO_DEADLINE_MS);
    while (got < 14 && lab_now_ms() < deadline) {
        struct pollfd readable = {.fd = other, .events = POLLIN};
        poll(&readable, 1, 50);
        got += client_recv(other, echo + got, 14 - got, NULL);
    }
    lab_expect(got == 14 && memcmp(echo, "are you there?", 14) == 0,
               "One client sent megabytes and never read its echo; another client connected "
               "next should still get its echo at once.",
               "\"are you there?\"",
               got ? lab_bytes_text(echo, got, 20)
                   : lab_fmt("nothing (%s)", lab_program_state(&server)),
               SECTION);
    expect_stop_on(SIGTERM, "a client floods it without reading");
    close(flood);
    close(other);
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, sigterm_with_clients_connected_exits_0,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    /* make memcheck's one run of this program under Valgrind (process.h): it
     * serves many clients at once, they leave, and it stops with others still
     * connected, so its leak check at exit sees the hub after all of that. */
    lab_programs_under_valgrind();
    uint16_t port = start_on_any_port();
    expect_clients_served_at_once(port, CLIENTS_AT_ONCE, 2);
    int silent = connect_client(port);
    int half = connect_client(port);
    client_send(half, "half a", 6, NULL);
    expect_stop_on(SIGTERM, "two clients are connected (one silent, one mid-message)");
    close(silent);
    close(half);
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, sigint_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port();
    int client = connect_client(port);
    expect_stop_on(SIGINT, "a client is connected");
    close(client);
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, sigterm_right_after_listening_exits_0,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port();
    expect_stop_at_once_on(SIGTERM, "just started (the handler must be in place before \"Listening "
                            "on\")");
    lab_program_finish(&server);
}

/* ---- bad arguments and failures ---- */

static void expect_usage_error(const char *const args[], const char *why)
{
    lab_program_start(&server, "lab8", "multi_echo_server", args);
    lab_expect_usage_error(&server, lab_deadline_ms(LAB_WAIT_MS), why, USAGE, SECTION);
    lab_program_finish(&server);
}

LAB_TEST(multi_echo_server, port_not_a_number_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(multi_echo_server, port_above_65535_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL}, "70000 is not a port");
}

LAB_TEST(multi_echo_server, host_not_a_dotted_quad_is_a_usage_error,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(multi_echo_server, any_option_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "0", NULL},
                       "multi_echo_server has no options, not even lab 6's -k");
}

LAB_TEST(multi_echo_server, too_many_arguments_is_a_usage_error,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(multi_echo_server, port_in_use_exits_1_with_the_cause, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_expect_port_in_use_failure(&server, "lab8", "multi_echo_server", SOCK_STREAM, SECTION);
    lab_program_finish(&server);
}

LAB_TEST_SKIPPABLE(multi_echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_expect_default_listening(&server, "lab8", "multi_echo_server", SOCK_STREAM, DEFAULT_PORT,
                                 SECTION);
    lab_process_finish(&server);
}
