/*
 * Lab 8 tests, part 2: the program multi_echo_server (lab8.h, handout
 * section 4.4).
 *
 * Each test starts <build>/lab8/multi_echo_server (on 127.0.0.1, port 0
 * unless the test is about the defaults), learns its port from the
 * "Listening on" line, and plays several clients at once with non-blocking
 * sockets. process.h gives every read and wait a deadline and kills and
 * reaps the program at the end; under make memcheck the program runs under
 * Valgrind and what it finds fails the test.
 */
#define LAB_NAME "lab8"
#include "labtest.h"

#include "hubrig.h"
#include "labnet.h"
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define SECTION "4.4"
#define DEFAULT_PORT 5346
#define LINE_DEADLINE_MS 3000
#define EXIT_DEADLINE_MS 3000
#define STOP_DEADLINE_MS 1000   /* the contract's "within a second" */
#define ECHO_DEADLINE_MS 5000
#define PROGRAM_TEST_TIMEOUT 90 /* a safety net: every wait has its own deadline */
#define CLIENTS_AT_ONCE 12

static struct lab_process server; /* big: kept out of the stack */

static void start_server(const char *const args[])
{
    const char *argv[8] = {lab_program_path("lab8", "multi_echo_server")};
    for (int i = 0; args[i] != NULL && i < 6; i++)
        argv[i + 1] = args[i];
    int failed = lab_process_start(&server, argv);
    int err = errno;
    lab_expect(failed == 0, lab_fmt("The test could not start %s.", argv[0]), "started",
               lab_errno_text(err), "5.1");
}

static const char *program_state(void)
{
    lab_process_has_ended(&server);
    return lab_fmt("%s; stdout so far: %s; stderr: %s", lab_process_status_text(&server),
                   lab_process_stdout_text(&server), lab_process_stderr_text(&server));
}

/* Starts multi_echo_server 127.0.0.1 0, reads "Listening on 127.0.0.1:PORT", returns PORT. */
static uint16_t start_on_any_port(void)
{
    start_server((const char *[]){"127.0.0.1", "0", NULL});
    const char *what = "multi_echo_server should print where it listens, with the real port, "
                       "and flush stdout.";
    const char *expected = "Listening on 127.0.0.1:PORT (the port the system picked)";
    const char *line = lab_process_read_line(&server, lab_deadline_ms(LINE_DEADLINE_MS));
    lab_expect(line != NULL, what, expected,
               lab_fmt("no such line within %d ms (%s)", lab_deadline_ms(LINE_DEADLINE_MS),
                       program_state()),
               SECTION);
    unsigned port = 0;
    int consumed = 0;
    bool well_formed = sscanf(line, "Listening on 127.0.0.1:%5u%n", &port, &consumed) == 1 &&
                       line[consumed] == '\0' && port > 0 && port <= 65535;
    lab_expect(well_formed, what, expected, lab_bytes_text(line, strlen(line), 80), SECTION);
    return (uint16_t)port;
}

/* A non-blocking client connected to the program. */
static int connect_client(uint16_t port)
{
    int fd = lab_connect_local(port, lab_deadline_ms(LINE_DEADLINE_MS));
    int err = errno;
    lab_expect(fd != -1,
               lab_fmt("The port in the \"Listening on\" line (%u) should accept connections.",
                       (unsigned)port),
               "connected", lab_fmt("%s (%s)", lab_errno_text(err), program_state()), SECTION);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void expect_exit(int code, int timeout_ms, const char *what)
{
    int failed = lab_process_wait(&server, timeout_ms);
    lab_process_read_all(&server, lab_deadline_ms(500));
    lab_expect(failed == 0 && lab_process_exited_with(&server, code), what,
               lab_fmt("exit status %d within %d ms", code, timeout_ms), program_state(),
               SECTION);
}

static void finish(void)
{
    bool ended_by_itself = lab_process_has_ended(&server) && !server.killed_by_us;
    lab_process_finish(&server);
    if (ended_by_itself)
        lab_expect_process_clean(&server, "5.1");
}

/* The scheduler state of a process ('S': asleep in a system call), from /proc. */
static char process_state(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return '?';
    size_t len = fread(stat, 1, sizeof stat - 1, file);
    fclose(file);
    stat[len] = '\0';
    char *name_end = strrchr(stat, ')');
    return name_end && name_end[1] == ' ' ? name_end[2] : '?';
}

/* Waits (briefly) until the program sleeps, waiting for its clients: a signal
 * then interrupts that wait, the case a stop must handle. */
static void wait_until_asleep(void)
{
    long long deadline = lab_now_ms() + lab_deadline_ms(1000);
    while (server.pid > 0 && process_state(server.pid) != 'S' && lab_now_ms() < deadline)
        poll(NULL, 0, 1);
}

/* Sends the signal at once, whatever the program is doing. */
static void expect_stop_at_once_on(int signal_number, const char *while_doing)
{
    lab_process_signal(&server, signal_number);
    expect_exit(0, lab_deadline_ms(STOP_DEADLINE_MS),
                lab_fmt("multi_echo_server should stop within a second of SIG%s while %s, and "
                        "exit 0 (a handler without SA_RESTART; hub_step then returns EINTR).",
                        sigabbrev_np(signal_number), while_doing));
}

/* Sends the signal while the program waits for its clients. */
static void expect_stop_on(int signal_number, const char *while_doing)
{
    wait_until_asleep();
    expect_stop_at_once_on(signal_number, while_doing);
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
                               : lab_fmt("nothing (%s)", program_state()),
                   SECTION);
    }
    for (int i = 0; i < count; i++)
        close(fds[i]);
}

LAB_TEST(multi_echo_server, prints_listening_line_with_the_real_port,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port();
    int fd = connect_client(port);
    close(fd);
    expect_stop_on(SIGTERM, "idle");
    finish();
}

LAB_TEST(multi_echo_server, serves_many_clients_at_once, .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port();
    expect_clients_served_at_once(port, CLIENTS_AT_ONCE, 8);
    expect_clients_served_at_once(port, 4, 3); /* and the next ones, after those left */
    expect_stop_on(SIGTERM, "idle, after serving clients");
    finish();
}

LAB_TEST(multi_echo_server, client_that_never_reads_does_not_delay_others,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    size_t len = 4 * 1024 * 1024;
    unsigned char *data = make_data(len, 51);
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
               got ? lab_bytes_text(echo, got, 20) : lab_fmt("nothing (%s)", program_state()),
               SECTION);
    expect_stop_on(SIGTERM, "a client floods it without reading");
    close(flood);
    close(other);
    finish();
}

LAB_TEST(multi_echo_server, sigterm_with_clients_connected_exits_0,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port();
    int silent = connect_client(port);
    int half = connect_client(port);
    client_send(half, "half a", 6, NULL);
    expect_stop_on(SIGTERM, "two clients are connected (one silent, one mid-message)");
    close(silent);
    close(half);
    finish();
}

LAB_TEST(multi_echo_server, sigint_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port();
    int client = connect_client(port);
    expect_stop_on(SIGINT, "a client is connected");
    close(client);
    finish();
}

LAB_TEST(multi_echo_server, sigterm_right_after_listening_exits_0,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port();
    expect_stop_at_once_on(SIGTERM, "just started (the handler must be in place before \"Listening "
                            "on\")");
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
               "usage: multi_echo_server [HOST [PORT]]", "nothing on stderr", SECTION);
    finish();
}

LAB_TEST(multi_echo_server, port_not_a_number_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(multi_echo_server, port_above_65535_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL}, "70000 is not a port");
}

LAB_TEST(multi_echo_server, host_not_a_dotted_quad_is_a_usage_error,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(multi_echo_server, any_option_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "0", NULL},
                       "multi_echo_server has no options, not even lab 6's -k");
}

LAB_TEST(multi_echo_server, too_many_arguments_is_a_usage_error,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(multi_echo_server, port_in_use_exits_1_with_the_cause, .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    int taken = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = bind(taken, (struct sockaddr *)&address, size) == 0 && listen(taken, 1) == 0 &&
              getsockname(taken, (struct sockaddr *)&address, &size) == 0;
    lab_expect(ok, "The test could not listen on a port of its own.", "listening",
               lab_errno_text(errno), "5.1");
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)ntohs(address.sin_port));
    start_server((const char *[]){"127.0.0.1", port, NULL});
    expect_exit(1, lab_deadline_ms(EXIT_DEADLINE_MS),
                lab_fmt("Another socket listens on port %s: multi_echo_server should say why "
                        "on stderr and exit 1.",
                        port));
    close(taken);
    const char *cause = strerror(EADDRINUSE);
    lab_expect(strstr(server.err, cause) != NULL,
               "The message on stderr should name the cause, as strerror(errno) words it.",
               lab_fmt("a message containing \"%s\"", cause), lab_process_stderr_text(&server),
               SECTION);
    finish();
}

/* True when nothing stops this test from listening on 127.0.0.1:5346 now. */
static bool default_port_free(void)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(DEFAULT_PORT),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    int reuse = 1;
    setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    bool free_now = bind(probe, (struct sockaddr *)&address, sizeof address) == 0 &&
                    listen(probe, 1) == 0;
    close(probe);
    return free_now;
}

LAB_TEST_SKIPPABLE(multi_echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = PROGRAM_TEST_TIMEOUT)
{
    if (!default_port_free())
        lab_skip("port 5346 (the default) is in use on this machine, so the defaults "
                 "cannot be checked now");
    start_server((const char *[]){NULL});
    const char *line = lab_process_read_line(&server, lab_deadline_ms(LINE_DEADLINE_MS));
    if (line == NULL && lab_process_wait(&server, lab_deadline_ms(EXIT_DEADLINE_MS)) == 0 &&
        strstr(server.err, strerror(EADDRINUSE)) != NULL) {
        lab_process_finish(&server);
        lab_skip("port 5346 (the default) was taken by another program while the test "
                 "ran, so the defaults cannot be checked now");
    }
    lab_expect(line != NULL && strcmp(line, "Listening on 127.0.0.1:5346") == 0,
               "multi_echo_server with no arguments should listen on 127.0.0.1 port 5346.",
               "Listening on 127.0.0.1:5346",
               line ? lab_bytes_text(line, strlen(line), 80) : program_state(), SECTION);
    lab_process_finish(&server);
}
