/*
 * Lab 9 tests, part 5: the program udp_echo_client (lab9.h, handout section
 * 4.5).
 *
 * Each test starts <build>/lab9/udp_echo_client against a test peer
 * (udp_support.h: a UDP server thread on 127.0.0.1 at a port the system
 * picks) and checks what the program prints, its exit status, and what the
 * peer received and when. Under make memcheck the program runs under its own
 * Valgrind, and a leak, a memory error or a descriptor left open at exit
 * fails the test.
 */
#define LAB_NAME "lab9"
#include "labtest.h"

#include "lab9.h"
#include "process.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define SECTION "4.5"
#define CLIENT_TRIES 3
#define CLIENT_TIMEOUT_MS 1000
#define PROGRAM_TIMEOUT 30

static struct lab_process proc; /* big: kept out of the stack */
static struct udp_peer peer;
static char command[256];
static char long_message[UDP_MAX_DATAGRAM + 2];
static char expected_line[UDP_MAX_DATAGRAM + 32];

static void describe_command(const char *const args[])
{
    size_t used = (size_t)snprintf(command, sizeof command, "udp_echo_client");
    for (size_t i = 0; args[i] != NULL && used < sizeof command; i++) {
        size_t len = strlen(args[i]);
        if (len > 40)
            used += (size_t)snprintf(command + used, sizeof command - used,
                                     " <a %zu-byte MESSAGE>", len);
        else
            used += (size_t)snprintf(command + used, sizeof command - used, " '%s'", args[i]);
    }
}

/* Runs udp_echo_client with `args` (ending with NULL) until it exits. */
static long long run_client(const char *const args[])
{
    const char *argv[8];
    size_t count = 0;
    argv[count++] = lab_program_path("lab9", "udp_echo_client");
    for (size_t i = 0; args[i] != NULL && count < 7; i++)
        argv[count++] = args[i];
    argv[count] = NULL;
    describe_command(args);
    long long start = lab_now_ms();
    int started = lab_process_start(&proc, argv);
    int err = errno;
    lab_expect(started == 0, "The test could not start the program (build it with make lab9).",
               "the program running", lab_result_text(started, err), "5.1");
    int deadline = lab_deadline_ms(CLIENT_TRIES * CLIENT_TIMEOUT_MS + 3000);
    if (deadline > 20000)
        deadline = 20000; /* within the test's own timeout, so the message is ours */
    lab_process_read_all(&proc, deadline);
    lab_process_wait(&proc, deadline);
    long long elapsed = lab_now_ms() - start;
    bool ended_by_itself = !proc.killed_by_us;
    lab_process_finish(&proc);
    if (ended_by_itself)
        lab_expect_process_clean(&proc, "5.1");
    return elapsed;
}

static const char *port_text(const struct udp_peer *p)
{
    return lab_fmt("%u", (unsigned)ntohs(p->address.sin_port));
}

static void expect_exit_status(int code, const char *situation)
{
    lab_expect(lab_process_exited_with(&proc, code),
               lab_fmt("%s should exit with status %d when %s.", command, code, situation),
               lab_fmt("exit status %d", code),
               lab_fmt("%s (stderr: %s)", lab_process_status_text(&proc),
                       lab_process_stderr_text(&proc)),
               SECTION);
}

static void expect_stdout(const char *expected, size_t len, const char *situation)
{
    size_t comparable = len < LAB_PROCESS_OUTPUT_MAX ? len : LAB_PROCESS_OUTPUT_MAX;
    lab_expect(proc.out_len == comparable && memcmp(proc.out, expected, comparable) == 0,
               lab_fmt("%s should print exactly the Received line when %s.", command, situation),
               lab_bytes_text(expected, len, 100), lab_process_stdout_text(&proc), SECTION);
}

static void expect_stdout_empty(const char *situation)
{
    lab_expect(proc.out_len == 0,
               lab_fmt("%s should print nothing on stdout when %s.", command, situation),
               "nothing on stdout", lab_process_stdout_text(&proc), SECTION);
}

static void expect_stderr_says_something(const char *situation)
{
    lab_expect(proc.err_len > 0,
               lab_fmt("%s should explain on stderr what went wrong when %s.", command,
                       situation),
               "a message on stderr", "nothing on stderr", SECTION);
}

static const char *received_line(const void *reply, size_t len, size_t *line_len)
{
    memcpy(expected_line, "Received: ", 10);
    memcpy(expected_line + 10, reply, len);
    expected_line[10 + len] = '\n';
    *line_len = len + 11;
    return expected_line;
}

/* Runs the client against a plain echo peer with `message`. */
static void expect_echoed(const char *message, const char *situation)
{
    size_t len = strlen(message), line_len;
    udp_peer_start(&peer, NULL);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), message, NULL});
    udp_peer_stop(&peer);
    const char *line = received_line(message, len, &line_len);
    expect_stdout(line, line_len, situation);
    expect_exit_status(0, situation);
    lab_expect(peer.requests == 1 && peer.last_len == len && memcmp(peer.last, message, len) == 0,
               lab_fmt("The server should receive MESSAGE as one datagram, once (%s).",
                       situation),
               lab_fmt("1 request of %zu bytes", len),
               lab_fmt("%d request(s), the last of %zu bytes", peer.requests, peer.last_len),
               SECTION);
}

/* ---- replies ---- */

LAB_TEST(udp_echo_client, prints_the_echo_and_exits_0, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    expect_echoed("hello over UDP", "the server echoes the message");
}

LAB_TEST(udp_echo_client, empty_message_sends_an_empty_datagram, .timeout = PROGRAM_TIMEOUT)
{
    expect_echoed("", "MESSAGE is empty: one datagram of 0 bytes goes out and comes back");
}

LAB_TEST(udp_echo_client, message_starting_with_a_dash_is_a_message, .timeout = PROGRAM_TIMEOUT)
{
    expect_echoed("-k", "MESSAGE is \"-k\": every argument is positional");
}

LAB_TEST(udp_echo_client, largest_message_goes_and_comes_back, .timeout = PROGRAM_TIMEOUT)
{
    memset(long_message, 'u', UDP_MAX_DATAGRAM);
    long_message[UDP_MAX_DATAGRAM] = '\0';
    expect_echoed(long_message, "MESSAGE has UDP_MAX_DATAGRAM bytes");
}

LAB_TEST(udp_echo_client, prints_the_reply_as_received, .timeout = PROGRAM_TIMEOUT)
{
    static const char pong[] = "pong: not what you sent";
    struct udp_peer_options answer = {.fixed_reply = true, .reply = pong,
                                      .reply_len = sizeof pong - 1};
    size_t line_len;
    udp_peer_start(&peer, &answer);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), "ping", NULL});
    udp_peer_stop(&peer);
    const char *line = received_line(pong, sizeof pong - 1, &line_len);
    expect_stdout(line, line_len, "the server answers with other bytes");
    expect_exit_status(0, "a reply came");
}

LAB_TEST(udp_echo_client, reply_from_a_stranger_is_not_printed, .timeout = PROGRAM_TIMEOUT)
{
    struct udp_peer_options options = {.stranger_first = true};
    size_t line_len;
    udp_peer_start(&peer, &options);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), "mine", NULL});
    udp_peer_stop(&peer);
    const char *line = received_line("mine", 4, &line_len);
    expect_stdout(line, line_len,
                  "another socket sends it a datagram before the server's reply: only the "
                  "server's counts (udp_request)");
    expect_exit_status(0, "the server replied");
}

LAB_TEST(udp_echo_client, lost_request_is_sent_again, .timeout = PROGRAM_TIMEOUT)
{
    struct udp_peer_options lossy = {.drop_first = 1};
    size_t line_len;
    udp_peer_start(&peer, &lossy);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), "are you there?", NULL});
    udp_peer_stop(&peer);
    const char *line = received_line("are you there?", 14, &line_len);
    expect_stdout(line, line_len, "the first request is lost and the second answered");
    expect_exit_status(0, "the second try got a reply");
    lab_expect(peer.requests == 2,
               "The client should send again after a second without a reply (3 tries of "
               "1000 ms).",
               "2 requests", lab_fmt("%d", peer.requests), SECTION);
}

LAB_TEST(udp_echo_client, no_reply_exits_1_after_three_tries, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    struct udp_peer_options silent = {.never_answer = true};
    udp_peer_start(&peer, &silent);
    long long elapsed = run_client((const char *[]){"127.0.0.1", port_text(&peer), "hello?", NULL});
    udp_peer_stop(&peer);
    expect_stdout_empty("no reply comes");
    expect_stderr_says_something("no reply comes");
    expect_exit_status(1, "no reply comes");
    lab_expect(peer.requests == CLIENT_TRIES,
               "With no reply the client should try 3 times (udp_request, tries 3).",
               "3 requests", lab_fmt("%d", peer.requests), SECTION);
    long long expected = CLIENT_TRIES * CLIENT_TIMEOUT_MS;
    lab_expect(elapsed >= expected * 9 / 10 && elapsed <= expected + lab_deadline_ms(1000),
               "With no reply the client should give up after about 3 x 1000 ms.",
               lab_fmt("about %lld ms", expected), lab_fmt("%lld ms", elapsed), SECTION);
}

LAB_TEST_SKIPPABLE(udp_echo_client, send_failure_exits_1_with_the_cause,
                   .timeout = PROGRAM_TIMEOUT)
{
    /* A datagram to the broadcast address from a socket without SO_BROADCAST:
     * the kernel refuses the sendto. The test asks the kernel first, with a
     * socket of its own, what it answers. The port is only the refused send's
     * destination (nothing binds it, no packet leaves). */
    struct sockaddr_in broadcast = {.sin_family = AF_INET, .sin_port = htons(5346),
                                    .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
    int probe = socket(AF_INET, SOCK_DGRAM, 0);
    ssize_t sent = sendto(probe, "x", 1, 0, (struct sockaddr *)&broadcast, sizeof broadcast);
    int kernel_err = errno;
    close(probe);
    if (sent != -1)
        lab_skip("this machine sends a datagram to 255.255.255.255 without SO_BROADCAST, so "
                 "a failing send cannot be arranged here");
    run_client((const char *[]){"255.255.255.255", "5346", "x", NULL});
    const char *situation = lab_fmt("sendto fails (255.255.255.255: %s)", strerror(kernel_err));
    expect_exit_status(1, situation);
    expect_stdout_empty(situation);
    lab_expect(strstr(proc.err, strerror(kernel_err)) != NULL,
               lab_fmt("%s should name the cause on stderr (strerror's text) when %s.", command,
                       situation),
               lab_fmt("a message containing \"%s\"", strerror(kernel_err)),
               proc.err_len ? lab_process_stderr_text(&proc) : "nothing on stderr", SECTION);
}

/* ---- bad arguments ---- */

static void expect_usage_error(const char *const args[], const char *why)
{
    udp_peer_start(&peer, NULL);
    run_client(args);
    udp_peer_stop(&peer);
    expect_exit_status(2, why);
    expect_stdout_empty(why);
    expect_stderr_says_something(why);
    lab_expect(peer.requests == 0, lab_fmt("With bad arguments (%s) nothing should be sent.", why),
               "no datagram", lab_fmt("%d datagram(s)", peer.requests), SECTION);
}

LAB_TEST(udp_echo_client, port_not_a_number_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    expect_usage_error((const char *[]){"127.0.0.1", "x", "hi", NULL}, "PORT is \"x\"");
}

LAB_TEST(udp_echo_client, host_not_a_dotted_quad_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "5346", "hi", NULL}, "HOST is \"localhost\"");
}

LAB_TEST(udp_echo_client, too_many_arguments_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "5346", "hi", "extra", NULL},
                       "four arguments");
}

LAB_TEST(udp_echo_client, message_longer_than_a_datagram_is_a_usage_error,
         .timeout = PROGRAM_TIMEOUT)
{
    memset(long_message, 'v', UDP_MAX_DATAGRAM + 1);
    long_message[UDP_MAX_DATAGRAM + 1] = '\0';
    udp_peer_start(&peer, NULL);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), long_message, NULL});
    udp_peer_stop(&peer);
    const char *why = "MESSAGE has UDP_MAX_DATAGRAM + 1 bytes: no datagram can carry it";
    expect_exit_status(2, why);
    expect_stdout_empty(why);
    lab_expect(peer.requests == 0, "Nothing should be sent for a MESSAGE that cannot be sent.",
               "no datagram", lab_fmt("%d datagram(s)", peer.requests), SECTION);
}

/* ---- the defaults ---- */

LAB_TEST_SKIPPABLE(udp_echo_client, no_arguments_sends_the_default_message_to_5346,
                   .timeout = PROGRAM_TIMEOUT)
{
    static const char greeting[] = "Hello world! This is a UDP echo client made with C.";
    size_t line_len;
    if (!udp_peer_start_at(&peer, NULL, 5346))
        lab_skip("UDP port 5346 (the default) is in use on this machine, so the defaults "
                 "cannot be checked now");
    run_client((const char *[]){NULL});
    udp_peer_stop(&peer);
    const char *line = received_line(greeting, sizeof greeting - 1, &line_len);
    expect_stdout(line, line_len, "run with no arguments (127.0.0.1, 5346, the default message)");
    expect_exit_status(0, "run with no arguments against an echo server on 127.0.0.1:5346");
}
