/*
 * Lab 9 tests, part 4: the program udp_echo_server (lab9.h, handout section
 * 4.4).
 *
 * Each test starts <build>/lab9/udp_echo_server 127.0.0.1 0, learns its port
 * from the "Listening on" line, and sends it datagrams from UDP sockets of
 * its own. process.h gives every read and wait a deadline and kills and
 * reaps the program at the end; under make memcheck the program runs under
 * Valgrind and what it finds fails the test.
 */
#include "labtest.h"

#include "lab9.h"
#include "labnet.h"
#include "process.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SECTION "4.4"
#define DEFAULT_PORT 5346
#define ECHO_DEADLINE_MS 3000
#define USAGE "usage: udp_echo_server [HOST [PORT]]"

static struct lab_process server; /* big: kept out of the stack */
static unsigned char data[UDP_MAX_DATAGRAM];
static unsigned char echo[UDP_MAX_DATAGRAM + 1];

/* Starts udp_echo_server 127.0.0.1 0, reads "Listening on 127.0.0.1:PORT" and
 * returns the server's address. */
static struct sockaddr_in start_on_any_port(void)
{
    lab_program_start(&server, "lab9", "udp_echo_server", (const char *[]){"127.0.0.1", "0", NULL});
    return lab_loopback_address(lab_expect_listening(&server, "127.0.0.1", 0, SECTION));
}

/* Sends `len` bytes from `client` and expects them back whole, and the line
 * "Echoed len bytes to 127.0.0.1:CLIENT_PORT". */
static void expect_echo(int client, const struct sockaddr_in *to, const unsigned char *bytes,
                        size_t len, const char *what)
{
    test_send_datagram(client, to, bytes, len);
    long got = test_receive_datagram(client, echo, sizeof echo, lab_deadline_ms(ECHO_DEADLINE_MS),
                                     NULL);
    lab_expect(got == (long)len && memcmp(echo, bytes, len) == 0,
               lab_fmt("udp_echo_server should send %s back to its sender as one datagram, "
                       "unchanged.",
                       what),
               lab_fmt("a datagram of %zu bytes, identical", len),
               got < 0 ? lab_fmt("nothing within %d ms (%s)", lab_deadline_ms(ECHO_DEADLINE_MS),
                                 lab_program_state(&server))
                       : lab_fmt("a datagram of %ld bytes", got),
               SECTION);
    struct sockaddr_in mine = test_local_address(client);
    const char *expected = lab_fmt("Echoed %zu bytes to 127.0.0.1:%u", len,
                                   (unsigned)ntohs(mine.sin_port));
    const char *line_what = lab_fmt("For each datagram echoed udp_echo_server should print its "
                                    "length and its sender's address, and flush (%s).",
                                    what);
    const char *line = lab_expect_line(&server, line_what, expected, SECTION);
    lab_expect(strcmp(line, expected) == 0, line_what, expected,
               lab_bytes_text(line, strlen(line), 80), SECTION);
}

/* Sends `signal` while the server is `while_doing`; expects exit 0 within a second. */
static void expect_stop_on(int signal_number, const char *while_doing)
{
    struct lab_stop stop = {
        .while_doing = while_doing,
        .killed_hint = "no handler of yours was in place for it (install the handler for "
                       "SIGINT and SIGTERM before udp_bind, so it is there before the line is "
                       "printed; the handout's step 2).",
        .way_out = "(a handler without SA_RESTART: udp_echo_one returns EINTR)",
    };
    lab_expect_stop_on(&server, signal_number, &stop, SECTION);
}

/* ---- echoing ---- */

LAB_TEST(udp_echo_server, echoes_and_reports_each_datagram, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    const char *message = "Hello world! This is a UDP echo client made with C.";
    expect_echo(client, &address, (const unsigned char *)message, strlen(message),
                "the tutorial's greeting");
    expect_echo(client, &address, (const unsigned char *)"x", 1,
                "a datagram of 1 byte (the line still says \"bytes\")");
    close(client);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, empty_datagram_is_echoed_and_reported,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"", 0,
                "a datagram of 0 bytes (not an end: the server goes on)");
    expect_echo(client, &address, (const unsigned char *)"still there?", 12,
                "the datagram after the empty one");
    close(client);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, largest_datagram_comes_back_whole, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    lab_fill_data(data, UDP_MAX_DATAGRAM, 5);
    expect_echo(client, &address, data, UDP_MAX_DATAGRAM,
                "UDP_MAX_DATAGRAM bytes of binary data");
    close(client);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, two_clients_each_get_their_own_echo, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int first = test_udp_socket();
    int second = test_udp_socket();
    expect_echo(first, &address, (const unsigned char *)"one", 3, "the first client's datagram");
    expect_echo(second, &address, (const unsigned char *)"two!", 4,
                "the second client's datagram: one socket serves every client");
    expect_echo(first, &address, (const unsigned char *)"one again", 9,
                "the first client again");
    bool extra = test_datagram_waiting(first) || test_datagram_waiting(second);
    close(first);
    close(second);
    lab_expect(!extra, "Each client should get only its own echoes.", "no other datagram",
               "a client got a datagram it did not send", SECTION);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    lab_program_finish(&server);
}

/* ---- stopping ---- */

LAB_TEST(udp_echo_server, sigterm_at_once_after_listening_exits_0,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    /* The handler must be in place before the line is printed. */
    start_on_any_port();
    expect_stop_on(SIGTERM, "just after printing \"Listening on\"");
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, sigint_while_waiting_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"ping", 4, "\"ping\"");
    close(client);
    expect_stop_on(SIGINT, "waiting for a datagram");
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, sigterm_after_an_echo_exits_0, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"ping", 4, "\"ping\"");
    close(client);
    /* After an echo the server is on its way back to its wait, or in it. */
    expect_stop_on(SIGTERM, "waiting for a datagram");
    lab_program_finish(&server);
}

/* ---- bad arguments and failures ---- */

static void expect_usage_error(const char *const args[], const char *why)
{
    lab_program_start(&server, "lab9", "udp_echo_server", args);
    lab_expect_usage_error(&server, lab_deadline_ms(LAB_WAIT_MS), why, USAGE, SECTION);
    lab_program_finish(&server);
}

LAB_TEST(udp_echo_server, port_not_a_number_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(udp_echo_server, port_above_65535_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL},
                       "70000 is not a port: parse_port fails with ERANGE");
}

LAB_TEST(udp_echo_server, host_not_a_dotted_quad_is_a_usage_error,
         .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(udp_echo_server, any_option_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "0", NULL},
                       "the program takes no options, not even lab 6's -k");
}

LAB_TEST(udp_echo_server, too_many_arguments_is_a_usage_error, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(udp_echo_server, port_in_use_exits_1_with_the_cause, .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    lab_expect_port_in_use_failure(&server, "lab9", "udp_echo_server", SOCK_DGRAM, SECTION);
    lab_expect_stdout_empty(&server, "it cannot bind its port", SECTION);
    lab_program_finish(&server);
}

/* ---- the defaults ---- */

LAB_TEST_SKIPPABLE(udp_echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = LAB_PROGRAM_TEST_TIMEOUT)
{
    /* The contract's default port is what this test checks, so it is fixed on
     * purpose; the test skips when it is busy. */
    lab_expect_default_listening(&server, "lab9", "udp_echo_server", SOCK_DGRAM, DEFAULT_PORT,
                                 SECTION);
    lab_process_finish(&server);
}
