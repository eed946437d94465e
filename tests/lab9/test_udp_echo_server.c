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
#define LAB_NAME "lab9"
#include "labtest.h"

#include "lab9.h"
#include "process.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SECTION "4.4"
#define LINE_DEADLINE_MS 3000  /* a line the program prints at once */
#define EXIT_DEADLINE_MS 3000  /* a program that should end now */
#define STOP_DEADLINE_MS 1000  /* the contract's "within a second" */
#define ECHO_DEADLINE_MS 3000
#define PROGRAM_TEST_TIMEOUT 60 /* a safety net: every wait has its own deadline */

static struct lab_process server; /* big: kept out of the stack */
static unsigned char data[UDP_MAX_DATAGRAM];
static unsigned char echo[UDP_MAX_DATAGRAM + 1];

static void start_server(const char *const args[])
{
    const char *argv[8] = {lab_program_path("lab9", "udp_echo_server")};
    for (int i = 0; args[i] != NULL && i < 6; i++)
        argv[i + 1] = args[i];
    int failed = lab_process_start(&server, argv);
    int err = errno;
    lab_expect(failed == 0, lab_fmt("The test could not start %s (make lab9 builds it).", argv[0]),
               "started", lab_errno_text(err), "5.1");
}

/* What the program did, for a message: its status, stdout and stderr. */
static const char *program_state(void)
{
    lab_process_has_ended(&server);
    return lab_fmt("%s; stdout so far: %s; stderr: %s", lab_process_status_text(&server),
                   lab_process_stdout_text(&server), lab_process_stderr_text(&server));
}

/* Reads the next line, failing the test with `what` when none comes in time. */
static const char *expect_line(const char *what, const char *expected)
{
    const char *line = lab_process_read_line(&server, lab_deadline_ms(LINE_DEADLINE_MS));
    if (line == NULL) {
        if (server.stdout_closed)
            lab_process_wait(&server, lab_deadline_ms(500));
        const char *why = server.stdout_closed
                              ? "no such line: the program closed its stdout"
                              : lab_fmt("no such line within %d ms (is stdout flushed?)",
                                        lab_deadline_ms(LINE_DEADLINE_MS));
        lab_expect(false, what, expected, lab_fmt("%s (%s)", why, program_state()), SECTION);
    }
    return line;
}

/* Starts udp_echo_server 127.0.0.1 0, reads "Listening on 127.0.0.1:PORT" and
 * returns the server's address. */
static struct sockaddr_in start_on_any_port(void)
{
    start_server((const char *[]){"127.0.0.1", "0", NULL});
    const char *what = "udp_echo_server should print where it listens, with the real port "
                       "(local_port), and flush stdout.";
    const char *expected = "Listening on 127.0.0.1:PORT (the port the system picked)";
    const char *line = expect_line(what, expected);
    unsigned port = 0;
    int consumed = 0;
    bool well_formed = sscanf(line, "Listening on 127.0.0.1:%5u%n", &port, &consumed) == 1 &&
                       line[consumed] == '\0' && port > 0 && port <= 65535;
    lab_expect(well_formed, what, expected, lab_bytes_text(line, strlen(line), 80), SECTION);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return address;
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
                                 program_state())
                       : lab_fmt("a datagram of %ld bytes", got),
               SECTION);
    struct sockaddr_in mine = test_local_address(client);
    const char *expected = lab_fmt("Echoed %zu bytes to 127.0.0.1:%u", len,
                                   (unsigned)ntohs(mine.sin_port));
    const char *line_what = lab_fmt("For each datagram echoed udp_echo_server should print its "
                                    "length and its sender's address, and flush (%s).",
                                    what);
    const char *line = expect_line(line_what, expected);
    lab_expect(strcmp(line, expected) == 0, line_what, expected,
               lab_bytes_text(line, strlen(line), 80), SECTION);
}

/* Waits for the program to end by itself and expects exit status `code`. */
static void expect_exit(int code, int timeout_ms, const char *what)
{
    int failed = lab_process_wait(&server, timeout_ms);
    lab_process_read_all(&server, lab_deadline_ms(500));
    lab_expect(failed == 0 && lab_process_exited_with(&server, code), what,
               lab_fmt("exit status %d within %d ms", code, timeout_ms), program_state(),
               SECTION);
}

/* Kills what is left and, under make memcheck, checks what Valgrind found. */
static void finish(void)
{
    bool ended_by_itself = lab_process_has_ended(&server) && !server.killed_by_us;
    lab_process_finish(&server);
    if (ended_by_itself)
        lab_expect_process_clean(&server, "5.1");
}

static void expect_stop_on(int signal_number, const char *while_doing)
{
    const char *name = lab_fmt("SIG%s", sigabbrev_np(signal_number));
    lab_process_signal(&server, signal_number);
    int failed = lab_process_wait(&server, lab_deadline_ms(STOP_DEADLINE_MS));
    bool killed_by_it = failed == 0 && WIFSIGNALED(server.wait_status) &&
                        WTERMSIG(server.wait_status) == signal_number && !server.killed_by_us;
    lab_expect(!killed_by_it,
               lab_fmt("udp_echo_server was killed by the %s the test sent after \"Listening "
                       "on\": no handler of yours was in place for it (install the handler "
                       "for SIGINT and SIGTERM before udp_bind, so it is there before the line "
                       "is printed; the handout's step 2).",
                       name),
               lab_fmt("exit status 0 within %d ms", lab_deadline_ms(STOP_DEADLINE_MS)),
               program_state(), SECTION);
    expect_exit(0, lab_deadline_ms(STOP_DEADLINE_MS),
                lab_fmt("udp_echo_server should stop within a second of %s while %s, and "
                        "exit 0 (a handler without SA_RESTART: udp_echo_one returns EINTR).",
                        name, while_doing));
}

/* ---- echoing ---- */

LAB_TEST(udp_echo_server, echoes_and_reports_each_datagram, .timeout = PROGRAM_TEST_TIMEOUT)
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
    finish();
}

LAB_TEST(udp_echo_server, empty_datagram_is_echoed_and_reported, .timeout = PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"", 0,
                "a datagram of 0 bytes (not an end: the server goes on)");
    expect_echo(client, &address, (const unsigned char *)"still there?", 12,
                "the datagram after the empty one");
    close(client);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    finish();
}

LAB_TEST(udp_echo_server, largest_datagram_comes_back_whole, .timeout = PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    test_fill_bytes(data, UDP_MAX_DATAGRAM, 5);
    expect_echo(client, &address, data, UDP_MAX_DATAGRAM,
                "UDP_MAX_DATAGRAM bytes of binary data");
    close(client);
    expect_stop_on(SIGTERM, "waiting for a datagram");
    finish();
}

LAB_TEST(udp_echo_server, two_clients_each_get_their_own_echo, .timeout = PROGRAM_TEST_TIMEOUT)
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
    finish();
}

/* ---- stopping ---- */

LAB_TEST(udp_echo_server, sigterm_at_once_after_listening_exits_0,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    /* The handler must be in place before the line is printed. */
    start_on_any_port();
    expect_stop_on(SIGTERM, "just after printing \"Listening on\"");
    finish();
}

LAB_TEST(udp_echo_server, sigint_while_waiting_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"ping", 4, "\"ping\"");
    close(client);
    expect_stop_on(SIGINT, "waiting for a datagram");
    finish();
}

LAB_TEST(udp_echo_server, sigterm_after_an_echo_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    struct sockaddr_in address = start_on_any_port();
    int client = test_udp_socket();
    expect_echo(client, &address, (const unsigned char *)"ping", 4, "\"ping\"");
    close(client);
    /* After an echo the server is on its way back to its wait, or in it. */
    expect_stop_on(SIGTERM, "waiting for a datagram");
    finish();
}

/* ---- bad arguments and failures ---- */

static void expect_usage_error(const char *const args[], const char *why)
{
    start_server(args);
    expect_exit(2, lab_deadline_ms(EXIT_DEADLINE_MS),
                lab_fmt("%s (%s) should be refused: a usage line on stderr, exit status 2.",
                        lab_process_command_text(&server), why));
    lab_expect(server.out_len == 0,
               lab_fmt("%s (%s) should print nothing on stdout.",
                       lab_process_command_text(&server), why),
               "nothing on stdout", lab_process_stdout_text(&server), SECTION);
    lab_expect(server.err_len > 0,
               lab_fmt("%s (%s) should print a usage line on stderr.",
                       lab_process_command_text(&server), why),
               "usage: udp_echo_server [HOST [PORT]]", "nothing on stderr", SECTION);
    finish();
}

LAB_TEST(udp_echo_server, port_not_a_number_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(udp_echo_server, port_above_65535_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL},
                       "70000 is not a port: parse_port fails with ERANGE");
}

LAB_TEST(udp_echo_server, host_not_a_dotted_quad_is_a_usage_error,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(udp_echo_server, any_option_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "0", NULL},
                       "the program takes no options, not even lab 6's -k");
}

LAB_TEST(udp_echo_server, too_many_arguments_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(udp_echo_server, port_in_use_exits_1_with_the_cause, .timeout = PROGRAM_TEST_TIMEOUT)
{
    int holder = test_udp_socket();
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)ntohs(test_local_address(holder).sin_port));
    start_server((const char *[]){"127.0.0.1", port, NULL});
    expect_exit(1, lab_deadline_ms(EXIT_DEADLINE_MS),
                lab_fmt("Another UDP socket holds port %s, so udp_echo_server cannot bind it: it "
                        "should say why on stderr and exit 1.",
                        port));
    close(holder);
    const char *cause = strerror(EADDRINUSE);
    lab_expect(strstr(server.err, cause) != NULL,
               "udp_echo_server's message on stderr should name the cause, as strerror(errno) "
               "words it.",
               lab_fmt("a message containing \"%s\"", cause), lab_process_stderr_text(&server),
               SECTION);
    lab_expect(server.out_len == 0, "When it cannot bind, nothing should go to stdout.",
               "nothing on stdout", lab_process_stdout_text(&server), SECTION);
    finish();
}

/* ---- the defaults ---- */

/* True when nothing holds UDP port 5346 on 127.0.0.1 now. The contract's default port is
 * what this test checks, so it is fixed on purpose; the test skips when it is busy. */
static bool default_port_free(void)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(5346),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int probe = socket(AF_INET, SOCK_DGRAM, 0);
    bool free_now = bind(probe, (struct sockaddr *)&address, sizeof address) == 0;
    close(probe);
    return free_now;
}

LAB_TEST_SKIPPABLE(udp_echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = PROGRAM_TEST_TIMEOUT)
{
    if (!default_port_free())
        lab_skip("UDP port 5346 (the default) is in use on this machine, so the defaults "
                 "cannot be checked now");
    start_server((const char *[]){NULL});
    const char *line = lab_process_read_line(&server, lab_deadline_ms(LINE_DEADLINE_MS));
    if (line == NULL && lab_process_wait(&server, lab_deadline_ms(EXIT_DEADLINE_MS)) == 0 &&
        strstr(server.err, strerror(EADDRINUSE)) != NULL) {
        lab_process_finish(&server);
        lab_skip("UDP port 5346 (the default) was taken by another program while the test "
                 "ran, so the defaults cannot be checked now");
    }
    lab_expect(line != NULL && strcmp(line, "Listening on 127.0.0.1:5346") == 0,
               "udp_echo_server with no arguments should bind the tutorial's 127.0.0.1 port "
               "5346.",
               "Listening on 127.0.0.1:5346",
               line ? lab_bytes_text(line, strlen(line), 80) : program_state(), SECTION);
    lab_process_finish(&server);
}
