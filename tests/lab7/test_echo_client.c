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
#define LAB_NAME "lab7"
#include "labtest.h"

#include "lab7.h"

#include "echo_peers.h"
#include "process.h"

#include <sys/socket.h>

/* Program tests start a process (under Valgrind in make memcheck): allow more
 * than the default timeout. */
#define PROGRAM_TIMEOUT 20

static const char default_message[] = "Hello world! This is an echo server made with C.";

/* The program's run: one per test process, so it can be static (it is big). */
static struct lab_process proc;

/* The command, for messages, with a long argument shown by its length. */
static char command[256];

static void describe_command(const char *const args[])
{
    size_t used = (size_t)snprintf(command, sizeof command, "echo_client");
    for (size_t i = 0; args[i] != NULL && used < sizeof command; i++) {
        size_t len = strlen(args[i]);
        if (len > 40)
            used += (size_t)snprintf(command + used, sizeof command - used,
                                     " <a %zu-byte MESSAGE>", len);
        else
            used += (size_t)snprintf(command + used, sizeof command - used, " '%s'", args[i]);
    }
}

/* Runs echo_client with the arguments `args` (ending with NULL) until it
 * exits (killing it after a deadline). The result is in `proc`. */
static void run_client(const char *const args[])
{
    const char *argv[8];
    size_t count = 0;
    argv[count++] = lab_program_path("lab7", "echo_client");
    for (size_t i = 0; args[i] != NULL && count < 7; i++)
        argv[count++] = args[i];
    argv[count] = NULL;
    describe_command(args);
    errno = 0;
    int started = lab_process_start(&proc, argv);
    int err = errno;
    lab_expect(started == 0, "The test could not start the program (build it with make lab7).",
               "the program running", lab_result_text(started, err), "4.2");
    int deadline = lab_deadline_ms(3000);
    if (deadline > 15000)
        deadline = 15000;
    lab_process_read_all(&proc, deadline);
    lab_process_wait(&proc, deadline);
    lab_process_finish(&proc);
}

/* The port as text, for the command line. */
static const char *port_text(uint16_t port)
{
    return lab_fmt("%u", (unsigned)port);
}

static void expect_exit_status(int code, const char *situation)
{
    lab_expect(lab_process_exited_with(&proc, code),
               lab_fmt("%s should exit with status %d when %s.", command,
                       code, situation),
               lab_fmt("exit status %d", code), lab_process_status_text(&proc), "4.2");
}

/* stdout must be exactly `expected` (len bytes); only the first
 * LAB_PROCESS_OUTPUT_MAX bytes of a longer output can be compared. */
static void expect_stdout(const char *expected, size_t len, const char *situation)
{
    size_t comparable = len < LAB_PROCESS_OUTPUT_MAX ? len : LAB_PROCESS_OUTPUT_MAX;
    lab_expect(proc.out_len == comparable && memcmp(proc.out, expected, comparable) == 0,
               lab_fmt("%s should print exactly the Received line when %s.",
                       command, situation),
               lab_bytes_text(expected, len, 100), lab_process_stdout_text(&proc), "4.2");
}

static void expect_stdout_empty(const char *situation)
{
    lab_expect(proc.out_len == 0,
               lab_fmt("%s should print nothing on stdout when %s (the usage line goes to "
                       "stderr).",
                       command, situation),
               "nothing on stdout", lab_process_stdout_text(&proc), "4.2");
}

static void expect_stderr_says_something(const char *situation)
{
    lab_expect(proc.err_len > 0,
               lab_fmt("%s should explain on stderr what went wrong when %s.",
                       command, situation),
               "a message on stderr", "nothing on stderr", "4.2");
}

static void expect_stderr_names(int err, const char *situation)
{
    lab_expect(strstr(proc.err, strerror(err)) != NULL,
               lab_fmt("%s should name the cause on stderr (strerror's text) when %s.",
                       command, situation),
               lab_fmt("a message containing \"%s\"", strerror(err)),
               proc.err_len ? lab_process_stderr_text(&proc) : "nothing on stderr", "4.2");
}

/* "Received: " + message + "\n", in a buffer that lives until the test ends. */
static const char *received_line(const char *message, size_t *len)
{
    static char line[ECHO_MAX_MESSAGE + 32];
    *len = (size_t)snprintf(line, sizeof line, "Received: %s\n", message);
    return line;
}

/* Runs the client against `peer` with `message` and checks a complete echo. */
static void expect_echoed(struct echo_peer *peer, const char *message, const char *situation)
{
    size_t line_len;
    const char *line = received_line(message, &line_len);
    const char *args[] = {"127.0.0.1", port_text(peer->port), message, NULL};
    run_client(args);
    echo_peer_stop(peer);
    size_t len = strlen(message);
    expect_stdout(line, line_len, situation);
    expect_exit_status(0, situation);
    lab_expect(peer->received_len == len && memcmp(peer->received, message, len) == 0,
               lab_fmt("%s should send the message, exactly (the server checks).",
                       command),
               lab_fmt("%zu bytes: %s", len, lab_bytes_text(message, len, 60)),
               lab_fmt("%zu bytes: %s", peer->received_len,
                       lab_bytes_text(peer->received, peer->received_len, 60)),
               "4.2");
    lab_expect_process_clean(&proc, "4.2");
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
    const char *line = received_line(default_message, &line_len);
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", port_text(peer.port), NULL};
    run_client(args);
    echo_peer_stop(&peer);
    expect_stdout(line, line_len, "no MESSAGE is given (the default message is sent)");
    expect_exit_status(0, "no MESSAGE is given");
    lab_expect_process_clean(&proc, "4.2");
}

LAB_TEST(echo_client, empty_message_prints_received_and_sends_nothing,
         .timeout = PROGRAM_TIMEOUT)
{
    struct echo_peer peer;
    echo_peer_start(&peer, NULL);
    const char *args[] = {"127.0.0.1", port_text(peer.port), "", NULL};
    run_client(args);
    echo_peer_stop(&peer);
    expect_stdout("Received: \n", 11, "MESSAGE is empty");
    expect_exit_status(0, "MESSAGE is empty");
    lab_expect(peer.received_len == 0,
               "echo_client with an empty MESSAGE should send nothing.", "0 bytes sent",
               lab_fmt("%zu bytes: %s", peer.received_len,
                       lab_bytes_text(peer.received, peer.received_len, 20)),
               "4.2");
    lab_expect_process_clean(&proc, "4.2");
}

LAB_TEST(echo_client, message_of_64_kib_is_echoed_whole, .timeout = PROGRAM_TIMEOUT)
{
    static char message[ECHO_MAX_MESSAGE + 1];
    for (size_t i = 0; i < ECHO_MAX_MESSAGE; i++)
        message[i] = (char)('a' + i % 26);
    struct echo_peer_options whole = {.collect = ECHO_MAX_MESSAGE, .piece = 7000};
    struct echo_peer peer;
    echo_peer_start(&peer, &whole);
    expect_echoed(&peer, message, "MESSAGE is exactly 64 KiB long (the longest allowed)");
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
    const char *expected = lab_fmt("Received: %.*s\n", (int)(len / 2), message);
    const char *situation = "the server closes after echoing half of the message";
    expect_stdout(expected, strlen(expected), situation);
    expect_stderr_says_something(situation);
    expect_exit_status(1, situation);
    lab_expect_process_clean(&proc, "4.2");
}

LAB_TEST(echo_client, connection_refused_exits_1_naming_the_cause, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port;
    int bound_fd = refused_port_open(&port);
    const char *args[] = {"127.0.0.1", port_text(port), "anyone there?", NULL};
    run_client(args);
    close(bound_fd);
    const char *situation = "nothing listens on the port (connection refused)";
    expect_stderr_names(ECONNREFUSED, situation);
    expect_exit_status(1, situation);
    lab_expect_process_clean(&proc, "4.2");
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
    expect_stderr_names(ECONNRESET, situation);
    expect_exit_status(1, situation);
    lab_expect_process_clean(&proc, "4.2");
}

/* ---- bad arguments ---- */

/* Runs the client with args and checks a usage error: stderr, exit 2, no stdout. */
static void expect_usage_error(const char *const args[], const char *situation)
{
    run_client(args);
    expect_stdout_empty(situation);
    expect_stderr_says_something(situation);
    expect_exit_status(2, situation);
    lab_expect_process_clean(&proc, "4.2");
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
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    static char message[ECHO_MAX_MESSAGE + 2];
    memset(message, 'z', ECHO_MAX_MESSAGE + 1);
    struct echo_peer_options whole = {.collect = ECHO_MAX_MESSAGE + 1};
    struct echo_peer peer;
    echo_peer_start(&peer, &whole);
    const char *args[] = {"127.0.0.1", port_text(peer.port), message, NULL};
    expect_usage_error(args, "MESSAGE is 64 KiB + 1 byte long");
    echo_peer_stop(&peer);
}
