/*
 * Lab 6 tests, part 2: the program echo_server (lab6.h, handout section 4.2).
 *
 * Each test starts <build>/lab6/echo_server (on 127.0.0.1, port 0 unless the
 * test is about the defaults), learns its port from the "Listening on" line
 * it prints, and plays one or more clients. process.h gives every read and
 * wait a deadline and kills and reaps the program at the end; under make
 * memcheck the program runs under Valgrind and what it finds fails the test.
 */
#define LAB_NAME "lab6"
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
#define LINE_DEADLINE_MS 3000   /* a line the program prints at once */
#define EXIT_DEADLINE_MS 3000   /* a program that should end now */
#define STOP_DEADLINE_MS 1000   /* the contract's "within a second" */
#define ECHO_DEADLINE_MS 5000
/* A safety net only: every wait inside a test has its own, shorter deadline
 * (ten times longer under Valgrind). */
#define PROGRAM_TEST_TIMEOUT 90

/* ---- starting the program and reading its lines ---- */

/* Starts echo_server with `args` (NULL-terminated, without the program). */
static void start_server(struct lab_process *proc, const char *const args[])
{
    const char *argv[8] = {lab_program_path("lab6", "echo_server")};
    for (int i = 0; args[i] != NULL && i < 6; i++)
        argv[i + 1] = args[i];
    int failed = lab_process_start(proc, argv);
    int err = errno;
    lab_expect(failed == 0, lab_fmt("The test could not start %s.", argv[0]), "started",
               lab_errno_text(err), "5.1");
}

/* What the program did, for a message: its status, stdout and stderr. */
static const char *program_state(struct lab_process *proc)
{
    lab_process_has_ended(proc);
    return lab_fmt("%s; stdout so far: %s; stderr: %s", lab_process_status_text(proc),
                   lab_process_stdout_text(proc), lab_process_stderr_text(proc));
}

/* Reads the next line, failing the test with `what` when none comes in time. */
static const char *expect_line(struct lab_process *proc, const char *what,
                               const char *expected)
{
    const char *line = lab_process_read_line(proc, lab_deadline_ms(LINE_DEADLINE_MS));
    if (line == NULL) {
        if (proc->stdout_closed) /* it is probably exiting: learn how */
            lab_process_wait(proc, lab_deadline_ms(500));
        const char *why = proc->stdout_closed
                              ? "no such line: the program closed its stdout"
                              : lab_fmt("no such line within %d ms (is stdout flushed?)",
                                        lab_deadline_ms(LINE_DEADLINE_MS));
        lab_expect(false, what, expected,
                   lab_fmt("%s (%s)", why, program_state(proc)), SECTION);
    }
    return line;
}

/* Reads "Listening on HOST:PORT" and returns PORT (checked against `port`
 * unless that is 0). */
static uint16_t expect_listening(struct lab_process *proc, const char *host, uint16_t port)
{
    const char *expected = port ? lab_fmt("Listening on %s:%u", host, (unsigned)port)
                                : lab_fmt("Listening on %s:PORT (the port the system picked)",
                                          host);
    const char *what = lab_fmt("%s should print where it listens, with the real port, and "
                               "flush stdout.",
                               lab_process_command_text(proc));
    const char *line = expect_line(proc, what, expected);
    char prefix[64];
    unsigned printed = 0;
    int consumed = 0;
    snprintf(prefix, sizeof prefix, "Listening on %s:%%5u%%n", host);
    bool well_formed = sscanf(line, prefix, &printed, &consumed) == 1 &&
                       line[consumed] == '\0' && printed > 0 && printed <= 65535;
    if (port != 0)
        well_formed = well_formed && printed == port;
    lab_expect(well_formed, what, expected, lab_bytes_text(line, strlen(line), 80), SECTION);
    return (uint16_t)printed;
}

/* Connects to the server's port; fails the test with the program's state if it cannot. */
static int connect_to_server(struct lab_process *proc, uint16_t port)
{
    int fd = lab_connect_local(port, lab_deadline_ms(LINE_DEADLINE_MS));
    int err = errno;
    lab_expect(fd != -1,
               lab_fmt("The port in the \"Listening on\" line (%u) should accept a "
                       "connection (print local_port's answer: a host-order number).",
                       (unsigned)port),
               "connected", lab_fmt("%s (%s)", lab_errno_text(err), program_state(proc)),
               SECTION);
    return fd;
}

/* The local port of one of the test's sockets. */
static unsigned own_port(int fd)
{
    struct sockaddr_in address;
    socklen_t size = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &size);
    return ntohs(address.sin_port);
}

/* Reads "Connected by: 127.0.0.1:PORT" for the client `fd`. */
static void expect_connected_line(struct lab_process *proc, int fd)
{
    const char *expected = lab_fmt("Connected by: 127.0.0.1:%u", own_port(fd));
    const char *what = lab_fmt("Once it has accepted a client, %s should print the client's "
                               "address (addr_to_string) and flush stdout.",
                               lab_process_command_text(proc));
    const char *line = expect_line(proc, what, expected);
    lab_expect(strcmp(line, expected) == 0, what, expected,
               lab_bytes_text(line, strlen(line), 80), SECTION);
}

/* ---- talking to it ---- */

/* Deterministic bytes of every value, zeros included. */
static unsigned char *make_data(size_t len, unsigned seed)
{
    unsigned char *data = malloc(len ? len : 1);
    unsigned state = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        data[i] = (unsigned char)(i % 89 == 0 ? 0 : state >> 24);
    }
    return data;
}

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
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
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
    fcntl(fd, F_SETFL, flags);
    return got;
}

/* Sends `len` bytes of data and expects all of them back, unchanged. */
static void expect_echo(struct lab_process *proc, int fd, const unsigned char *data,
                        size_t len, const char *what)
{
    unsigned char *echo = malloc(len ? len : 1);
    size_t got = exchange(fd, data, len, echo, len, lab_deadline_ms(ECHO_DEADLINE_MS));
    size_t same = 0;
    while (same < got && echo[same] == data[same])
        same++;
    bool ok = got == len && same == len;
    const char *seen = got != len ? lab_fmt("%zu bytes came back (%s)", got, program_state(proc))
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

/* Resets the connection: an RST instead of a FIN. */
static void reset_connection(int fd)
{
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    close(fd);
}

/* ---- the end of the program ---- */

/* Waits for the program to end by itself and expects exit status `code`. */
static void expect_exit(struct lab_process *proc, int code, int timeout_ms, const char *what)
{
    int failed = lab_process_wait(proc, timeout_ms);
    lab_process_read_all(proc, lab_deadline_ms(500));
    lab_expect(failed == 0 && lab_process_exited_with(proc, code), what,
               lab_fmt("exit status %d within %d ms", code, timeout_ms), program_state(proc),
               SECTION);
}

/* Kills what is left and, under make memcheck, checks what Valgrind found. */
static void finish(struct lab_process *proc)
{
    bool ended_by_itself = lab_process_has_ended(proc) && !proc->killed_by_us;
    lab_process_finish(proc);
    if (ended_by_itself)
        lab_expect_process_clean(proc, "5.1");
}

/* Sends `signal` and expects exit status 0 within the contract's second. */
static void expect_stop_on(struct lab_process *proc, int signal_number, const char *while_doing)
{
    const char *name = sigabbrev_np(signal_number) ? lab_fmt("SIG%s", sigabbrev_np(signal_number))
                                                   : "a signal";
    lab_process_signal(proc, signal_number);
    int failed = lab_process_wait(proc, lab_deadline_ms(STOP_DEADLINE_MS));
    bool killed_by_it = failed == 0 && WIFSIGNALED(proc->wait_status) &&
                        WTERMSIG(proc->wait_status) == signal_number && !proc->killed_by_us;
    lab_expect(!killed_by_it,
               lab_fmt("echo_server -k was killed by the %s the test sent after \"Listening "
                       "on\": when the signal arrived, no handler of yours was in place yet "
                       "(install it before tcp_listen, so it is there before the line is "
                       "printed; lab6.h, step 2 of the handout's plan).",
                       name),
               lab_fmt("exit status 0 within %d ms", lab_deadline_ms(STOP_DEADLINE_MS)),
               program_state(proc), "4.2");
    expect_exit(proc, 0, lab_deadline_ms(STOP_DEADLINE_MS),
                lab_fmt("echo_server -k should stop within a second of %s while %s, and "
                        "exit 0 (tcp_accept and echo_session wait on: the server needs its "
                        "own way out).",
                        name, while_doing));
}

static struct lab_process server; /* big: kept out of the stack */

/* Starts echo_server [-k] 127.0.0.1 0 and returns its port. */
static uint16_t start_on_any_port(bool keep_serving)
{
    const char *plain[] = {"127.0.0.1", "0", NULL};
    const char *keep[] = {"-k", "127.0.0.1", "0", NULL};
    start_server(&server, keep_serving ? keep : plain);
    return expect_listening(&server, "127.0.0.1", 0);
}

/* One whole client: connect, "Connected by", echo `text`, close. */
static void serve_client(uint16_t port, const char *text)
{
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, text);
    close(fd);
}

/* ---- one client (no -k) ---- */

LAB_TEST(echo_server, prints_listening_line_with_the_real_port, .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(false);
    int fd = connect_to_server(&server, port);
    close(fd);
    finish(&server);
}

LAB_TEST(echo_server, announces_the_client_and_echoes_it, .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port(false);
    serve_client(port, "Hello world! This is an echo server made with C.");
    expect_exit(&server, 0, lab_deadline_ms(EXIT_DEADLINE_MS),
                "After its one client has closed, echo_server should close everything and "
                "exit 0.");
    finish(&server);
}

LAB_TEST(echo_server, keeps_echoing_until_the_client_closes_then_exits_0,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(false);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    const char *pieces[] = {"first", "second piece", "third, and last"};
    for (int i = 0; i < 3; i++) {
        expect_text_echo(&server, fd, pieces[i]);
        lab_expect(!lab_process_has_ended(&server),
                   "echo_server should keep serving its client until the client closes "
                   "(echo_session returns only then).",
                   "still running, the client connected", program_state(&server), SECTION);
    }
    close(fd);
    expect_exit(&server, 0, lab_deadline_ms(EXIT_DEADLINE_MS),
                "Once its client has closed, echo_server should exit 0 at once.");
    const char *extra = lab_process_read_line(&server, 0);
    lab_expect(extra == NULL,
               "echo_server should print exactly two lines: \"Listening on ...\" and "
               "\"Connected by: ...\".",
               "nothing more on stdout", extra ? lab_bytes_text(extra, strlen(extra), 80) : "",
               SECTION);
    finish(&server);
}

LAB_TEST(echo_server, binary_data_comes_back_unchanged, .timeout = PROGRAM_TEST_TIMEOUT)
{
    size_t len = 1024 * 1024 + 5;
    unsigned char *data = make_data(len, 3);
    uint16_t port = start_on_any_port(false);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    expect_echo(&server, fd, data, len, "1 MiB of binary data (zero bytes included)");
    free(data);
    close(fd);
    expect_exit(&server, 0, lab_deadline_ms(EXIT_DEADLINE_MS),
                "After its client has closed, echo_server should exit 0.");
    finish(&server);
}

LAB_TEST(echo_server, client_reset_exits_1_with_the_cause_on_stderr,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    uint16_t port = start_on_any_port(false);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, "ping");
    reset_connection(fd);
    expect_exit(&server, 1, lab_deadline_ms(EXIT_DEADLINE_MS),
                "When its session ends in an error (the client reset the connection), "
                "echo_server should say why on stderr and exit 1.");
    lab_expect(server.err_len > 0, "echo_server should print the cause of the error on stderr.",
               "a message on stderr", "nothing", SECTION);
    finish(&server);
}

/* ---- -k: one client after another ---- */

/* One whole client, as serve_client; returns the descriptors the server holds
 * while this client is connected (after its "Connected by" line). */
static int descriptors_while_serving(uint16_t port, const char *text)
{
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    int held = lab_process_fd_count(&server);
    expect_text_echo(&server, fd, text);
    close(fd);
    return held;
}

LAB_TEST(echo_server_k, serves_several_clients_in_turn, .timeout = PROGRAM_TEST_TIMEOUT)
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
               "still running", program_state(&server), SECTION);
    expect_stop_on(&server, SIGTERM, "waiting for a fourth client");
    finish(&server);
}

LAB_TEST(echo_server_k, sigterm_while_waiting_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port(true);
    expect_stop_on(&server, SIGTERM, "waiting for its first client");
    finish(&server);
}

LAB_TEST(echo_server_k, sigint_while_waiting_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    start_on_any_port(true);
    expect_stop_on(&server, SIGINT, "waiting for its first client");
    finish(&server);
}

LAB_TEST(echo_server_k, sigterm_between_clients_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    serve_client(port, "one client, then a stop");
    expect_stop_on(&server, SIGTERM, "waiting for its next client");
    finish(&server);
}

/* Starts a -k server with one client in the middle of a session. */
static int client_in_session(void)
{
    uint16_t port = start_on_any_port(true);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    expect_text_echo(&server, fd, "in a session");
    return fd;
}

LAB_TEST(echo_server_k, sigterm_during_a_session_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    int fd = client_in_session();
    expect_stop_on(&server, SIGTERM, "a client is connected (in echo_session)");
    close(fd);
    finish(&server);
}

LAB_TEST(echo_server_k, sigint_during_a_session_exits_0, .timeout = PROGRAM_TEST_TIMEOUT)
{
    int fd = client_in_session();
    expect_stop_on(&server, SIGINT, "a client is connected (in echo_session)");
    close(fd);
    finish(&server);
}

LAB_TEST(echo_server_k, client_leaving_without_sending_does_not_end_it,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    close(fd);
    serve_client(port, "the next client");
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    finish(&server);
}

LAB_TEST(echo_server_k, client_resetting_at_once_does_not_end_it,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    uint16_t port = start_on_any_port(true);
    int fd = connect_to_server(&server, port);
    reset_connection(fd);
    int next = connect_to_server(&server, port);
    /* The reset client may or may not have been announced before it vanished. */
    const char *expected = lab_fmt("Connected by: 127.0.0.1:%u", own_port(next));
    const char *line = NULL;
    for (int i = 0; i < 2; i++) {
        line = expect_line(&server,
                           "echo_server -k should go on to the next client after one that "
                           "connected and reset at once.",
                           expected);
        if (strcmp(line, expected) == 0)
            break;
    }
    lab_expect(strcmp(line, expected) == 0,
               "echo_server -k should announce the client after the one that reset.",
               expected, lab_bytes_text(line, strlen(line), 80), SECTION);
    expect_text_echo(&server, next, "still here?");
    close(next);
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    finish(&server);
}

LAB_TEST(echo_server_k, client_resetting_mid_echo_does_not_end_it,
         .timeout = PROGRAM_TEST_TIMEOUT)
{
    size_t len = 2 * 1024 * 1024;
    unsigned char *data = make_data(len, 5);
    unsigned char *echo = malloc(len);
    uint16_t port = start_on_any_port(true);
    int fd = connect_to_server(&server, port);
    expect_connected_line(&server, fd);
    /* Send a lot, read only part of the echo, then reset: the server is in the
     * middle of sending when the reset comes. */
    size_t got = exchange(fd, data, len, echo, 64 * 1024, lab_deadline_ms(ECHO_DEADLINE_MS));
    reset_connection(fd);
    free(data);
    free(echo);
    lab_expect(got == 64 * 1024, "The first 64 KiB of a 2 MiB message should come back.",
               "65536 bytes", lab_fmt("%zu bytes (%s)", got, program_state(&server)), SECTION);
    serve_client(port, "the next client, after a reset");
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    finish(&server);
}

LAB_TEST(echo_server_k, random_binary_clients_are_all_served, .timeout = PROGRAM_TEST_TIMEOUT)
{
    static const size_t sizes[] = {1, 1023, 1024, 1025, 65536 + 3, 300000};
    uint16_t port = start_on_any_port(true);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *data = make_data(sizes[i], (unsigned)i + 100);
        int fd = connect_to_server(&server, port);
        expect_connected_line(&server, fd);
        expect_echo(&server, fd, data, sizes[i],
                    lab_fmt("%zu random bytes (client %zu)", sizes[i], i + 1));
        free(data);
        close(fd);
    }
    expect_stop_on(&server, SIGTERM, "waiting for a client");
    finish(&server);
}

/* ---- bad arguments and failures ---- */

/* Runs echo_server with bad arguments: usage on stderr, exit 2, nothing on stdout. */
static void expect_usage_error(const char *const args[], const char *why)
{
    start_server(&server, args);
    expect_exit(&server, 2, lab_deadline_ms(EXIT_DEADLINE_MS),
                lab_fmt("%s (%s) should be refused: a usage line on stderr, exit status 2.",
                        lab_process_command_text(&server), why));
    lab_expect(server.out_len == 0,
               lab_fmt("%s (%s) should print nothing on stdout (the usage line goes to "
                       "stderr).",
                       lab_process_command_text(&server), why),
               "nothing on stdout", lab_process_stdout_text(&server), SECTION);
    lab_expect(server.err_len > 0,
               lab_fmt("%s (%s) should print a usage line on stderr.",
                       lab_process_command_text(&server), why),
               "usage: echo_server [-k] [HOST [PORT]]", "nothing on stderr", SECTION);
    finish(&server);
}

LAB_TEST(echo_server, port_not_a_number_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    lab_programs_under_valgrind(); /* one of the scenarios make memcheck runs */
    expect_usage_error((const char *[]){"127.0.0.1", "x", NULL}, "the port is not a number");
}

LAB_TEST(echo_server, port_above_65535_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "70000", NULL},
                       "70000 is not a port: parse_port fails with ERANGE");
}

LAB_TEST(echo_server, host_not_a_dotted_quad_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"localhost", "0", NULL},
                       "addr_from_string rejects \"localhost\"");
}

LAB_TEST(echo_server, unknown_option_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-z", NULL}, "-z is not an option");
}

LAB_TEST(echo_server, k_not_first_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "-k", NULL},
                       "-k is only an option as the first argument");
}

LAB_TEST(echo_server, too_many_arguments_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"127.0.0.1", "0", "extra", NULL},
                       "three arguments: at most HOST and PORT");
}

LAB_TEST(echo_server, k_with_a_bad_port_is_a_usage_error, .timeout = PROGRAM_TEST_TIMEOUT)
{
    expect_usage_error((const char *[]){"-k", "127.0.0.1", "-1", NULL},
                       "-1 is not a port");
}

LAB_TEST(echo_server, port_in_use_exits_1_with_the_cause, .timeout = PROGRAM_TEST_TIMEOUT)
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
    start_server(&server, (const char *[]){"127.0.0.1", port, NULL});
    expect_exit(&server, 1, lab_deadline_ms(EXIT_DEADLINE_MS),
                lab_fmt("Another socket listens on port %s, so echo_server cannot: it should "
                        "say why on stderr and exit 1.",
                        port));
    close(taken);
    const char *cause = strerror(EADDRINUSE);
    lab_expect(strstr(server.err, cause) != NULL,
               "echo_server's message on stderr should name the cause, as strerror(errno) "
               "words it.",
               lab_fmt("a message containing \"%s\"", cause), lab_process_stderr_text(&server),
               SECTION);
    finish(&server);
}

/* ---- the defaults ---- */

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

LAB_TEST_SKIPPABLE(echo_server, no_arguments_listens_on_127_0_0_1_port_5346,
                   .timeout = PROGRAM_TEST_TIMEOUT)
{
    if (!default_port_free())
        lab_skip("port 5346 (the default) is in use on this machine, so the defaults "
                 "cannot be checked now");
    start_server(&server, (const char *[]){NULL});
    const char *line = lab_process_read_line(&server, lab_deadline_ms(LINE_DEADLINE_MS));
    if (line == NULL && lab_process_wait(&server, lab_deadline_ms(EXIT_DEADLINE_MS)) == 0 &&
        strstr(server.err, strerror(EADDRINUSE)) != NULL) {
        lab_process_finish(&server);
        lab_skip("port 5346 (the default) was taken by another program while the test "
                 "ran, so the defaults cannot be checked now");
    }
    lab_expect(line != NULL && strcmp(line, "Listening on 127.0.0.1:5346") == 0,
               "echo_server with no arguments should listen on the tutorial's 127.0.0.1 "
               "port 5346.",
               "Listening on 127.0.0.1:5346",
               line ? lab_bytes_text(line, strlen(line), 80) : program_state(&server),
               SECTION);
    /* Only the port is checked here: another program (lab 7's tests, say) may
     * connect to the default port too, so which client comes first is not
     * this test's business. The other tests check the rest. */
    int fd = connect_to_server(&server, DEFAULT_PORT);
    close(fd);
    lab_process_finish(&server);
}
