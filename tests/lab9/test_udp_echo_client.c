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
#include "labtest.h"

#include "lab9.h"
#include "labnet.h"
#include "process.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define SECTION "4.5"
#define DEFAULT_PORT 5346
#define USAGE "usage: udp_echo_client [HOST [PORT [MESSAGE]]]"
#define CLIENT_TRIES 3
#define CLIENT_TIMEOUT_MS 1000
#define RUN_SLACK_MS 3000         /* beyond the tries, for a start under Valgrind */
#define RUN_DEADLINE_CAP_MS 20000 /* within the test's own timeout, so the message is ours */
#define PROGRAM_TIMEOUT 30

static struct lab_process proc; /* big: kept out of the stack */
static struct udp_peer peer;
static char long_message[UDP_MAX_DATAGRAM + 2];

/* Runs udp_echo_client with `args` (ending with NULL) until it exits; checks
 * what Valgrind found in it (make memcheck). Returns how long it ran, in ms. */
static long long run_client(const char *const args[])
{
    int deadline = lab_deadline_ms(CLIENT_TRIES * CLIENT_TIMEOUT_MS + RUN_SLACK_MS);
    long long elapsed =
        lab_program_run(&proc, "lab9", "udp_echo_client", args,
                        deadline < RUN_DEADLINE_CAP_MS ? deadline : RUN_DEADLINE_CAP_MS);
    if (!proc.killed_by_us)
        lab_expect_process_clean(&proc, "5.1");
    return elapsed;
}

static const char *port_text(const struct udp_peer *p)
{
    return lab_fmt("%u", (unsigned)ntohs(p->address.sin_port));
}

/* Runs the client against a plain echo peer with `message`. */
static void expect_echoed(const char *message, const char *situation)
{
    size_t len = strlen(message), line_len;
    udp_peer_start(&peer, NULL);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), message, NULL});
    udp_peer_stop(&peer);
    const char *line = lab_received_line(message, len, &line_len);
    lab_expect_stdout(&proc, line, line_len, situation, SECTION);
    lab_expect_exit_status(&proc, 0, situation, SECTION);
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
    const char *line = lab_received_line(pong, sizeof pong - 1, &line_len);
    lab_expect_stdout(&proc, line, line_len, "the server answers with other bytes", SECTION);
    lab_expect_exit_status(&proc, 0, "a reply came", SECTION);
}

LAB_TEST(udp_echo_client, reply_from_a_stranger_is_not_printed, .timeout = PROGRAM_TIMEOUT)
{
    struct udp_peer_options options = {.stranger_first = true};
    size_t line_len;
    udp_peer_start(&peer, &options);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), "mine", NULL});
    udp_peer_stop(&peer);
    const char *line = lab_received_line("mine", 4, &line_len);
    lab_expect_stdout(&proc, line, line_len,
                      "another socket sends it a datagram before the server's reply: only the "
                      "server's counts (udp_request)",
                      SECTION);
    lab_expect_exit_status(&proc, 0, "the server replied", SECTION);
}

LAB_TEST(udp_echo_client, lost_request_is_sent_again, .timeout = PROGRAM_TIMEOUT)
{
    struct udp_peer_options lossy = {.drop_first = 1};
    size_t line_len;
    udp_peer_start(&peer, &lossy);
    run_client((const char *[]){"127.0.0.1", port_text(&peer), "are you there?", NULL});
    udp_peer_stop(&peer);
    const char *line = lab_received_line("are you there?", 14, &line_len);
    lab_expect_stdout(&proc, line, line_len, "the first request is lost and the second answered",
                      SECTION);
    lab_expect_exit_status(&proc, 0, "the second try got a reply", SECTION);
    lab_expect_count(peer.requests, 2, "requests",
                     lab_fmt("The client should send again after a second without a reply (%d "
                             "tries of %d ms).",
                             CLIENT_TRIES, CLIENT_TIMEOUT_MS),
                     SECTION);
}

LAB_TEST(udp_echo_client, no_reply_exits_1_after_three_tries, .timeout = PROGRAM_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    struct udp_peer_options silent = {.never_answer = true};
    udp_peer_start(&peer, &silent);
    long long elapsed = run_client((const char *[]){"127.0.0.1", port_text(&peer), "hello?", NULL});
    udp_peer_stop(&peer);
    lab_expect_stdout_empty(&proc, "no reply comes", SECTION);
    lab_expect_stderr_says_something(&proc, "no reply comes", SECTION);
    lab_expect_exit_status(&proc, 1, "no reply comes", SECTION);
    lab_expect_count(peer.requests, CLIENT_TRIES, "requests",
                     lab_fmt("With no reply the client should try %d times (udp_request, tries "
                             "%d).",
                             CLIENT_TRIES, CLIENT_TRIES),
                     SECTION);
    long long expected = CLIENT_TRIES * CLIENT_TIMEOUT_MS;
    lab_expect(elapsed >= expected * 9 / 10 && elapsed <= expected + lab_deadline_ms(1000),
               lab_fmt("With no reply the client should give up after about %d x %d ms.",
                       CLIENT_TRIES, CLIENT_TIMEOUT_MS),
               lab_fmt("about %lld ms", expected), lab_fmt("%lld ms", elapsed), SECTION);
}

LAB_TEST_SKIPPABLE(udp_echo_client, send_failure_exits_1_with_the_cause,
                   .timeout = PROGRAM_TIMEOUT)
{
    /* A datagram to the broadcast address from a socket without SO_BROADCAST:
     * the kernel refuses the sendto. The test asks the kernel first, with a
     * socket of its own, what it answers. The port is only the refused send's
     * destination (nothing binds it, no packet leaves). */
    struct sockaddr_in broadcast = lab_ipv4_address("255.255.255.255", DEFAULT_PORT);
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ssize_t sent = sendto(probe, "x", 1, 0, (struct sockaddr *)&broadcast, sizeof broadcast);
    int kernel_err = errno;
    close(probe);
    if (sent != -1)
        lab_skip("this machine sends a datagram to 255.255.255.255 without SO_BROADCAST, so "
                 "a failing send cannot be arranged here");
    run_client((const char *[]){"255.255.255.255", lab_fmt("%u", DEFAULT_PORT), "x", NULL});
    const char *situation = lab_fmt("sendto fails (255.255.255.255: %s)", strerror(kernel_err));
    lab_expect_exit_status(&proc, 1, situation, SECTION);
    lab_expect_stdout_empty(&proc, situation, SECTION);
    lab_expect_stderr_names(&proc, kernel_err, situation, SECTION);
}

/* ---- bad arguments ---- */

static void expect_usage_error(const char *const args[], const char *why)
{
    udp_peer_start(&peer, NULL);
    run_client(args);
    udp_peer_stop(&peer);
    lab_expect_usage_error(&proc, 0, why, USAGE, SECTION);
    lab_expect(peer.requests == 0, lab_fmt("With bad arguments (%s) nothing should be sent.", why),
               "no datagram", lab_fmt("%d datagram(s)", peer.requests), SECTION);
}

LAB_TEST(udp_echo_client, port_not_a_number_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "x", "hi", NULL}, "PORT is \"x\"");
}

LAB_TEST(udp_echo_client, host_not_a_dotted_quad_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", lab_fmt("%u", DEFAULT_PORT), "hi", NULL},
                       "HOST is \"localhost\"");
}

LAB_TEST(udp_echo_client, too_many_arguments_is_a_usage_error, .timeout = PROGRAM_TIMEOUT)
{
    expect_usage_error(
        (const char *[]){"127.0.0.1", lab_fmt("%u", DEFAULT_PORT), "hi", "extra", NULL},
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
    lab_expect_usage_error(&proc, 0, why, USAGE, SECTION);
    lab_expect(peer.requests == 0, "Nothing should be sent for a MESSAGE that cannot be sent.",
               "no datagram", lab_fmt("%d datagram(s)", peer.requests), SECTION);
}

/* ---- the defaults ---- */

LAB_TEST_SKIPPABLE(udp_echo_client, no_arguments_sends_the_default_message_to_5346,
                   .timeout = PROGRAM_TIMEOUT)
{
    static const char greeting[] = "Hello world! This is a UDP echo client made with C.";
    size_t line_len;
    if (!udp_peer_start_at(&peer, NULL, DEFAULT_PORT))
        lab_skip("UDP port %u (the default) is in use on this machine, so the defaults cannot "
                 "be checked now",
                 DEFAULT_PORT);
    run_client((const char *[]){NULL});
    udp_peer_stop(&peer);
    const char *line = lab_received_line(greeting, sizeof greeting - 1, &line_len);
    lab_expect_stdout(
        &proc, line, line_len,
        lab_fmt("run with no arguments (127.0.0.1, %u, the default message)", DEFAULT_PORT),
        SECTION);
    lab_expect_exit_status(
        &proc, 0,
        lab_fmt("run with no arguments against an echo server on 127.0.0.1:%u", DEFAULT_PORT),
        SECTION);
}
