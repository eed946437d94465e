/*
 * Lab 7 tests: the program echo_client (lab7.h, handout section 4.2).
 *
 * Each test starts <build>/lab7/echo_client against an echo server of its
 * own (echo_peers.h: a thread on 127.0.0.1, at a port the system picks) and
 * checks what the program prints on stdout, whether it says something on
 * stderr, its exit status, and what the server received. Under make
 * memcheck the program runs under its own Valgrind (tests/common/process.h),
 * and a leak, a memory error or a descriptor left open at exit fails the test.
 */
#include "labtest.h"

#include "lab7.h"

#include "echo_peers.h"
#include "process.h"

#include <sys/socket.h>

#define SECTION "4.2"
#define USAGE "usage: echo_client [HOST [PORT [MESSAGE]]]"
/* Program tests start a process (under Valgrind in make memcheck): allow more
 * than the default timeout. */
#define PROGRAM_TIMEOUT 20
#define RUN_DEADLINE_MS 3000      /* a client that runs against a peer on loopback */
#define RUN_DEADLINE_CAP_MS 15000 /* within the test's own timeout, so the message is ours */

static const char default_message[] = "Hello world! This is an echo server made with C.";

/* The program's run: one per test process, so it can be static (it is big). */
static struct lab_process proc;

/* Runs echo_client with the arguments `args` (ending with NULL) until it
 * exits (killing it after a deadline). The result is in `proc`. */
static void run_client(const char *const args[])
{
    int deadline = lab_deadline_ms(RUN_DEADLINE_MS);
    lab_program_run(&proc, "lab7", "echo_client", args,
                    deadline < RUN_DEADLINE_CAP_MS ? deadline : RUN_DEADLINE_CAP_MS);
}

/* The port as text, for the command line. */
static const char *port_text(uint16_t port)
{
    return lab_fmt("%u", (unsigned)port);
}

/* Runs the client against `peer` with `message` and checks a complete echo. */
static void expect_echoed(struct echo_peer *peer, const char *message, const char *situation)
{
    size_t line_len, len = strlen(message);
    const char *args[] = {"127.0.0.1", port_text(peer->port), message, NULL};
    run_client(args);
    echo_peer_stop(peer);
    const char *line = lab_received_line(message, len, &line_len);
    lab_expect_stdout(&proc, line, line_len, situation, SECTION);
    lab_expect_exit_status(&proc, 0, situation, SECTION);
    lab_expect(peer->received_len == len && memcmp(peer->received, message, len) == 0,
               lab_fmt("%s should send the message, exactly (the server checks).",
                       lab_process_command_text(&proc)),
               lab_fmt("%zu bytes: %s", len, lab_bytes_text(message, len, 60)),
               lab_fmt("%zu bytes: %s", peer->received_len,
                       lab_bytes_text(peer->received, peer->received_len, 60)),
               SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

/* ---- the echo ---- */

LAB_TEST(echo_client, message_is_sent_and_echo_printed, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    expect_echoed(&peer, "Hola, eco: 'ñandú' \"hello\"",
                  "the server echoes the message (the bytes as they came, not Python's repr)");
}

LAB_TEST(echo_client, echo_in_one_byte_pieces_is_printed_whole, .timeout = PROGRAM_TIMEOUT)
{
    /* The server echoes one byte at a time, with pauses: one recv() is not enough. */
    struct echo_peer_options slow = {.piece = 1, .pause_ms = 3};
    struct echo_peer peer;
    echo_peer_start(&peer, &slow);
    expect_echoed(&peer, "slowly, one byte at a time",
                  "the echo comes back one byte at a time, with pauses");
}

LAB_TEST(echo_client, message_starting_with_dash_is_a_message, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    expect_echoed(&peer, "-k --help", "MESSAGE begins with '-' (there are no options)");
}

LAB_TEST(echo_client, no_message_sends_the_default_one, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    size_t line_len;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", port_text(peer.port), NULL};
    run_client(args);
    echo_peer_stop(&peer);
    const char *line = lab_received_line(default_message, sizeof default_message - 1, &line_len);
    lab_expect_stdout(&proc, line, line_len, "no MESSAGE is given (the default message is sent)",
                      SECTION);
    lab_expect_exit_status(&proc, 0, "no MESSAGE is given", SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

LAB_TEST(echo_client, empty_message_prints_received_and_sends_nothing,
         .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", port_text(peer.port), "", NULL};
    run_client(args);
    echo_peer_stop(&peer);
    size_t line_len;
    const char *line = lab_received_line("", 0, &line_len);
    lab_expect_stdout(&proc, line, line_len, "MESSAGE is empty", SECTION);
    lab_expect_exit_status(&proc, 0, "MESSAGE is empty", SECTION);
    lab_expect(peer.received_len == 0, "echo_client with an empty MESSAGE should send nothing.",
               "0 bytes sent",
               lab_fmt("%zu bytes: %s", peer.received_len,
                       lab_bytes_text(peer.received, peer.received_len, 20)),
               SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

LAB_TEST(echo_client, message_of_64_kib_is_echoed_whole, .timeout = PROGRAM_TIMEOUT)
{
    static char message[ECHO_MAX_MESSAGE + 1];
    for (size_t i = 0; i < ECHO_MAX_MESSAGE; i++)
        message[i] = (char)('a' + i % 26);
    struct echo_peer_options whole = {.collect = ECHO_MAX_MESSAGE, .piece = 7000};
    struct echo_peer peer;
    echo_peer_start(&peer, &whole);
    expect_echoed(
        &peer, message,
        lab_fmt("MESSAGE is exactly %d KiB long (the longest allowed)", ECHO_MAX_MESSAGE / 1024));
}

/* ---- short echoes and failures ---- */

LAB_TEST(echo_client, short_echo_prints_it_and_exits_1, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    /* The server reads the whole message, echoes its first half, closes. */
    const char *message = "the first half comes back, the rest never";
    size_t len = strlen(message);
    struct echo_peer_options half = {.collect = len, .close_early = true, .reply_limit = len / 2};
    struct echo_peer peer;
    echo_peer_start(&peer, &half);
    const char *args[] = {"127.0.0.1", port_text(peer.port), message, NULL};
    run_client(args);
    echo_peer_stop(&peer);
    size_t line_len;
    const char *line = lab_received_line(message, len / 2, &line_len);
    const char *situation = "the server closes after echoing half of the message";
    lab_expect_stdout(&proc, line, line_len, situation, SECTION);
    lab_expect_stderr_says_something(&proc, situation, SECTION);
    lab_expect_exit_status(&proc, 1, situation, SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

LAB_TEST(echo_client, connection_refused_exits_1_naming_the_cause, .timeout = PROGRAM_TIMEOUT)
{
    uint16_t port;
    int bound_fd = refused_port_open(&port);
    const char *args[] = {"127.0.0.1", port_text(port), "anyone there?", NULL};
    run_client(args);
    close(bound_fd);
    const char *situation = "nothing listens on the port (connection refused)";
    lab_expect_stderr_names(&proc, ECONNREFUSED, situation, SECTION);
    lab_expect_exit_status(&proc, 1, situation, SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

LAB_TEST(echo_client, connection_reset_exits_1_naming_the_cause, .timeout = PROGRAM_TIMEOUT)
{
    /* The server reads the message, then resets the connection (RST). */
    const char *message = "reset me";
    struct echo_peer_options resetting = {.collect = strlen(message), .reset = true};
    struct echo_peer peer;
    echo_peer_start(&peer, &resetting);
    const char *args[] = {"127.0.0.1", port_text(peer.port), message, NULL};
    run_client(args);
    echo_peer_stop(&peer);
    const char *situation = "the server resets the connection instead of echoing";
    lab_expect_stderr_names(&proc, ECONNRESET, situation, SECTION);
    lab_expect_exit_status(&proc, 1, situation, SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

/* ---- bad arguments ---- */

/* Runs the client with args and checks a usage error: stderr, exit 2, no stdout. */
static void expect_usage_error(const char *const args[], const char *situation)
{
    run_client(args);
    lab_expect_usage_error(&proc, 0, situation, USAGE, SECTION);
    lab_expect_process_clean(&proc, SECTION);
}

/*
 * A server is listening during the usage tests, at the port the arguments
 * nearly name: a client that parses loosely (atoi, no range check, a host
 * name lookup) connects and succeeds, instead of reporting the usage error.
 */
LAB_TEST(echo_client, port_with_trailing_text_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", lab_fmt("%ux", (unsigned)peer.port), "hello", NULL};
    expect_usage_error(args, "PORT is not a number (\"<port>x\")");
    echo_peer_stop(&peer);
}

LAB_TEST(echo_client, port_above_65535_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", lab_fmt("%u", peer.port + 65536U), "hello", NULL};
    expect_usage_error(args, "PORT is above 65535");
    echo_peer_stop(&peer);
}

LAB_TEST(echo_client, host_not_a_dotted_quad_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"localhost", port_text(peer.port), "hello", NULL};
    expect_usage_error(args, "HOST is not a dotted quad (\"localhost\")");
    echo_peer_stop(&peer);
}

LAB_TEST(echo_client, more_than_three_arguments_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", port_text(peer.port), "hello", "extra", NULL};
    expect_usage_error(args, "it is given four arguments");
    echo_peer_stop(&peer);
}

LAB_TEST(echo_client, message_over_64_kib_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    static char message[ECHO_MAX_MESSAGE + 2];
    memset(message, 'z', ECHO_MAX_MESSAGE + 1);
    struct echo_peer_options whole = {.collect = ECHO_MAX_MESSAGE + 1};
    struct echo_peer peer;
    echo_peer_start(&peer, &whole);
    const char *args[] = {"127.0.0.1", port_text(peer.port), message, NULL};
    expect_usage_error(args, lab_fmt("MESSAGE is %d KiB + 1 byte long", ECHO_MAX_MESSAGE / 1024));
    echo_peer_stop(&peer);
}
