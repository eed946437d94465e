/*
 * Lab 10 tests: tcp_connect_name (lab10.h, handout 4.1).
 *
 * Every host is a name this machine answers by itself ("localhost", from
 * /etc/hosts), a numeric address, or a name the test's stand-in for
 * getaddrinfo answers with numeric loopback addresses (stand_in.h): nothing
 * ever needs DNS. Each test opens its own sockets at one port on the
 * addresses it names (net.h): refusing, listening, or listening with a full
 * queue, where a connection never completes. A connection can therefore
 * only land where the test expects it or visibly somewhere else.
 *
 * One call of tcp_connect_name and the inspection of its result (which of
 * the test's sockets it reached, blocking or not, descriptors left) is
 * run_connect; the call itself runs in a child process (proxies.c),
 * which inherits the stand-in's plan, and only its result, errno and
 * descriptor come back.
 */
#include "labtest.h"

#include "lab10.h"
#include "labnet.h"
#include "net.h"
#include "stand_in.h"

#include <netdb.h>

/* Slack allowed past timeout_ms (the call runs in a child process) and before
 * it (clock granularity); under Valgrind the slack grows with the test's time
 * scale (lab_test_timeout). */
#define LATE_MS 1000
#define EARLY_MS 20
#define SHORT_TIMEOUT_MS 300

static long late_ms(void)
{
    double scale = lab_test_timeout() / LAB_TIMEOUT;
    return (long)(LATE_MS * (scale > 1 ? scale : 1));
}

/* What one call of tcp_connect_name came to, as connect_and_inspect sees it. */
enum verdict {
    CONNECTED,           /* detail: index of the spot reached */
    FAILED,              /* returned -1; detail: errno */
    RESOLVE_FAILED,      /* returned -2 */
    ODD_RESULT,          /* returned another negative number; detail: it */
    FAILED_LEAVING_FDS,  /* -1 or -2, with descriptors left open; detail: how many */
    CONNECTED_ELSEWHERE, /* a descriptor not connected to any spot */
    LEFT_NONBLOCKING,    /* connected, O_NONBLOCK still set; detail: spot */
    CONNECTED_LEAVING_FDS, /* connected, and more descriptors left; detail: how many */
};

struct connect_case {
    const char *host;
    const char *service; /* points into port_text when it is the spots' port */
    int timeout_ms;
    const struct spot *spots;
    size_t count;
    uint16_t port;
    char port_text[8];
};

struct connect_outcome {
    enum verdict verdict;
    int detail;
    long elapsed_ms;
};

/* The verdict on a descriptor the call returned: where it is connected, and
 * how. `new_fds` counts the descriptors the call left open, this one included. */
static struct connect_outcome inspect_connected(const struct connect_case *call, int fd,
                                                int new_fds)
{
    struct endpoint peer;
    int reached = endpoint_peer(fd, &peer) == 0
                      ? spot_index(call->spots, call->count, call->port, &peer)
                      : -1;
    bool nonblocking = lab_is_nonblocking(fd);
    close(fd);
    if (reached == -1)
        return (struct connect_outcome){.verdict = CONNECTED_ELSEWHERE};
    if (new_fds != 1)
        return (struct connect_outcome){.verdict = CONNECTED_LEAVING_FDS,
                                        .detail = new_fds - 1};
    return (struct connect_outcome){.verdict = nonblocking ? LEFT_NONBLOCKING : CONNECTED,
                                    .detail = reached};
}

/* One call of tcp_connect_name, timed, and what it came to. */
static struct connect_outcome run_connect(const struct connect_case *call)
{
    int open_before = lab_open_fd_count();
    long long start = lab_now_ms();
    errno = 0;
    int fd = tcp_connect_name(call->host, call->service, call->timeout_ms);
    int err = errno;
    long elapsed_ms = (long)(lab_now_ms() - start);
    stand_in_off();
    int new_fds = lab_open_fd_count() - open_before;

    struct connect_outcome outcome;
    if (fd >= 0)
        outcome = inspect_connected(call, fd, new_fds);
    else if (new_fds != 0)
        outcome = (struct connect_outcome){.verdict = FAILED_LEAVING_FDS, .detail = new_fds};
    else if (fd == -1)
        outcome = (struct connect_outcome){.verdict = FAILED, .detail = err};
    else if (fd == -2)
        outcome = (struct connect_outcome){.verdict = RESOLVE_FAILED};
    else
        outcome = (struct connect_outcome){.verdict = ODD_RESULT, .detail = fd};
    outcome.elapsed_ms = elapsed_ms;
    return outcome;
}

/* The lab_fmt ring holds 16 texts: each helper below takes one or two. */
static const char *call_text(const struct connect_case *call)
{
    return name_call_text("tcp_connect_name", call->host, call->service, call->timeout_ms);
}

static const char *spot_text(const struct connect_case *call, int index)
{
    struct endpoint where = endpoint_of(call->spots[index].ip, call->port);
    return endpoint_text(&where);
}

static const char *outcome_text(const struct connect_case *call, struct connect_outcome outcome)
{
    const char *after = lab_fmt(", after %ld ms", outcome.elapsed_ms);
    switch (outcome.verdict) {
    case CONNECTED:
        return lab_fmt("a blocking socket connected to %s%s", spot_text(call, outcome.detail),
                       after);
    case FAILED:
        return lab_fmt("%s%s", lab_result_text(-1, outcome.detail), after);
    case RESOLVE_FAILED:
        return lab_fmt("-2 (getaddrinfo failed)%s", after);
    case ODD_RESULT:
        return lab_fmt("%d (neither a descriptor, nor -1, nor -2)", outcome.detail);
    case FAILED_LEAVING_FDS:
        return lab_fmt("a failure, with %d descriptor(s) left open (the socket of a failed "
                       "attempt must be closed)",
                       outcome.detail);
    case CONNECTED_ELSEWHERE:
        return "a descriptor that is not connected to any of the test's sockets";
    case LEFT_NONBLOCKING:
        return lab_fmt("a socket connected to %s, but still non-blocking (O_NONBLOCK set)",
                       spot_text(call, outcome.detail));
    case CONNECTED_LEAVING_FDS:
        return lab_fmt("a connected socket, and %d more descriptor(s) left open (the socket "
                       "of a failed attempt must be closed)",
                       outcome.detail);
    default:
        return "something the test does not know";
    }
}

/* What the spots are, for the message: "127.0.0.1:P refusing, ...". */
static const char *setup_text(const struct connect_case *call)
{
    static const char *const roles[] = {"refuses connections", "listens",
                                        "listens with a full queue (never answers)"};
    char text[512] = "";
    for (size_t i = 0; i < call->count; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s %s",
                 i ? "; " : "", spot_text(call, (int)i), roles[call->spots[i].role]);
    return lab_fmt("%s", text);
}

/* The call ended connected to spot `index`, blocking, nothing else left. */
static void expect_connected(const struct connect_case *call, struct connect_outcome outcome,
                             int index, const char *why, const char *section)
{
    lab_expect(outcome.verdict == CONNECTED && outcome.detail == index,
               lab_fmt("%s (%s) should connect: %s.", call_text(call), setup_text(call), why),
               lab_fmt("a blocking socket connected to %s", spot_text(call, index)),
               outcome_text(call, outcome), section);
}

/* The call failed with -1 and `err` (or -2 when err is 0), leaving nothing open. */
static void expect_failed(const struct connect_case *call, struct connect_outcome outcome,
                          int err, const char *why, const char *section)
{
    bool as_expected = err == 0 ? outcome.verdict == RESOLVE_FAILED
                                : outcome.verdict == FAILED && outcome.detail == err;
    lab_expect(as_expected,
               lab_fmt("%s%s should fail: %s.", call_text(call),
                       call->count ? lab_fmt(" (%s)", setup_text(call)) : "", why),
               name_failure_expected_text(err), outcome_text(call, outcome), section);
}

static void expect_elapsed_between(const struct connect_case *call,
                                   struct connect_outcome outcome, long low, long high,
                                   const char *why, const char *section)
{
    lab_expect(outcome.elapsed_ms >= low && outcome.elapsed_ms <= high,
               lab_fmt("%s should end in time: %s.", call_text(call), why),
               lab_fmt("between %ld and %ld ms", low, high),
               lab_fmt("%ld ms", outcome.elapsed_ms), section);
}

/* The test's call at the spots it opens (the host names them, or the stand-in
 * does), with their port as the service. */
static void case_at(struct connect_case *call, const char *host, struct spot spots[],
                    size_t count, int timeout_ms)
{
    memset(call, 0, sizeof *call);
    call->port = spots_open(spots, count, 0);
    snprintf(call->port_text, sizeof call->port_text, "%u", (unsigned)call->port);
    call->host = host;
    call->service = call->port_text;
    call->timeout_ms = timeout_ms;
    call->spots = spots;
    call->count = count;
}

/* A call whose host the stand-in answers with `answers`, at the spots given.
 * (stand_in_answers_text and stand_in_refusal_text still describe the plan
 * after the call.) */
static struct connect_outcome connect_via_stand_in(const struct connect_case *call,
                                                   const char *const answers[], size_t count)
{
    stand_in_answer(call->host, answers, count);
    return run_connect(call);
}

/* What to look at when a call the stand-in answered did not connect. */
static const char *stand_in_hint(struct connect_outcome outcome, const char *otherwise)
{
    return outcome.verdict == RESOLVE_FAILED ? stand_in_refusal_text() : otherwise;
}

/* ---- reaching a server by its address or its name ---- */

LAB_TEST(tcp_connect_name, ipv4_text_reaches_listener)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0, "getaddrinfo reads an IPv4 text as its only answer",
                     "4.1");
}

LAB_TEST(tcp_connect_name, localhost_reaches_listener)
{
    const char *why;
    bool ipv6 = ipv6_loopback_available(&why);
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING), SPOT("::1", SPOT_LISTENING)};
    size_t count = ipv6 ? 2 : 1;
    struct connect_case call;
    case_at(&call, "localhost", spots, count, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, count);
    lab_expect(outcome.verdict == CONNECTED,
               lab_fmt("%s (%s) should connect: localhost is in /etc/hosts, and whatever "
                       "address getaddrinfo gives first, one of the test's listeners is "
                       "there.",
                       call_text(&call), setup_text(&call)),
               "a blocking socket connected to one of them", outcome_text(&call, outcome),
               "2.1");
}

/* Does getaddrinfo give ::1 for "localhost" here (an /etc/hosts line)? */
static bool localhost_names_ipv6(const char **why)
{
    struct addrinfo hints, *answers;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo("localhost", NULL, &hints, &answers) != 0) {
        *why = "this machine's /etc/hosts does not give localhost an IPv6 address (no line "
               "\"::1 localhost\"), so localhost cannot be reached over IPv6 here";
        return false;
    }
    freeaddrinfo(answers);
    return true;
}

LAB_TEST_SKIPPABLE(tcp_connect_name, localhost_reaches_ipv6_listener)
{
    const char *why;
    if (!ipv6_loopback_available(&why) || !localhost_names_ipv6(&why))
        lab_skip("%s", why);
    struct spot spots[] = {SPOT("::1", SPOT_LISTENING), SPOT("127.0.0.1", SPOT_REFUSING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 2);
    expect_connected(&call, outcome, 0,
                     "localhost names ::1 too, and only [::1] listens: the IPv6 answer must "
                     "be tried with a socket of its own family (AF_INET6, from ai_family)",
                     "2.1");
}

LAB_TEST_SKIPPABLE(tcp_connect_name, ipv6_text_reaches_listener)
{
    skip_without_ipv6_loopback();
    struct spot spots[] = {SPOT("::1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "::1", spots, 1, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0,
                     "getaddrinfo reads an IPv6 text as an AF_INET6 answer (ask with "
                     "AF_UNSPEC, and make the socket with the answer's ai_family)",
                     "2.1");
}

/* ---- trying the next address ---- */

LAB_TEST_SKIPPABLE(tcp_connect_name, ipv6_refused_falls_back_to_ipv4)
{
    skip_without_ipv6_loopback();
    struct spot spots[] = {SPOT("::1", SPOT_REFUSING), SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, 1000);
    static const char *const answers[] = {"::1", "127.0.0.1"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_connected(&call, outcome, 1,
                     lab_fmt("%s; the first is refused, so the second must be tried (%s)",
                             stand_in_answers_text(call.service),
                             stand_in_hint(outcome, "walk the list: ai_next")),
                     "2.1");
}

LAB_TEST_SKIPPABLE(tcp_connect_name, ipv4_refused_falls_back_to_ipv6)
{
    skip_without_ipv6_loopback();
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_REFUSING), SPOT("::1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, 1000);
    static const char *const answers[] = {"127.0.0.1", "::1"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_connected(&call, outcome, 1,
                     lab_fmt("%s; the first is refused, so the second, of the other family, "
                             "must be tried (%s)",
                             stand_in_answers_text(call.service),
                             stand_in_hint(outcome, "a new socket per answer, of the "
                                                    "answer's family")),
                     "2.1");
}

LAB_TEST(tcp_connect_name, refused_first_address_falls_back_to_next)
{
    struct spot spots[] = {SPOT("127.0.0.2", SPOT_REFUSING), SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, 1000);
    static const char *const answers[] = {"127.0.0.2", "127.0.0.1"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_connected(&call, outcome, 1,
                     lab_fmt("%s; the first is refused, so the second must be tried (%s)",
                             stand_in_answers_text(call.service),
                             stand_in_hint(outcome, "walk the list: ai_next")),
                     "2.1");
}

LAB_TEST(tcp_connect_name, timed_out_first_address_falls_back_to_next)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_FULL), SPOT("127.0.0.2", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, SHORT_TIMEOUT_MS);
    static const char *const answers[] = {"127.0.0.1", "127.0.0.2"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_connected(&call, outcome, 1,
                     lab_fmt("%s; the first never answers, so after %d ms the second must be "
                             "tried (%s)",
                             stand_in_answers_text(call.service), SHORT_TIMEOUT_MS,
                             stand_in_hint(outcome, "poll with timeout_ms")),
                     "2.3");
    expect_elapsed_between(&call, outcome, SHORT_TIMEOUT_MS - EARLY_MS,
                           SHORT_TIMEOUT_MS + late_ms(),
                           "the first attempt takes timeout_ms, the second connects at once",
                           "2.3");
}

LAB_TEST(tcp_connect_name, asks_getaddrinfo_for_any_family_and_streams)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 1, 1000);
    static const char *const answers[] = {"127.0.0.1"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 1);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0,
                     lab_fmt("%s, to a question asked as the contract says (%s)",
                             stand_in_answers_text(call.service), stand_in_refusal_text()),
                     "4.1");
}

/* ---- failing ---- */

LAB_TEST(tcp_connect_name, nothing_listening_fails_with_econnrefused)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_REFUSING)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_failed(&call, outcome, ECONNREFUSED,
                  "the only answer is refused (after POLLOUT, getsockopt SO_ERROR says "
                  "ECONNREFUSED: POLLOUT means finished, not connected)",
                  "2.3");
}

LAB_TEST(tcp_connect_name, every_localhost_address_refused_fails_with_econnrefused)
{
    const char *why;
    bool ipv6 = ipv6_loopback_available(&why);
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_REFUSING), SPOT("::1", SPOT_REFUSING)};
    size_t count = ipv6 ? 2 : 1;
    struct connect_case call;
    case_at(&call, "localhost", spots, count, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, count);
    expect_failed(&call, outcome, ECONNREFUSED,
                  "every answer is refused, and each failed attempt's socket is closed", "4.1");
}

LAB_TEST(tcp_connect_name, last_attempt_refused_fails_with_econnrefused)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_FULL), SPOT("127.0.0.2", SPOT_REFUSING)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, SHORT_TIMEOUT_MS);
    static const char *const answers[] = {"127.0.0.1", "127.0.0.2"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_failed(&call, outcome, ECONNREFUSED,
                  lab_fmt("%s; the first runs out of time, the last is refused, and errno is "
                          "the last attempt's",
                          stand_in_answers_text(call.service)),
                  "4.1");
}

LAB_TEST(tcp_connect_name, last_attempt_timed_out_fails_with_etimedout)
{
    struct spot spots[] = {SPOT("127.0.0.2", SPOT_REFUSING), SPOT("127.0.0.1", SPOT_FULL)};
    struct connect_case call;
    case_at(&call, "localhost", spots, 2, SHORT_TIMEOUT_MS);
    static const char *const answers[] = {"127.0.0.2", "127.0.0.1"};
    struct connect_outcome outcome = connect_via_stand_in(&call, answers, 2);
    spots_close(spots, 2);
    expect_failed(&call, outcome, ETIMEDOUT,
                  lab_fmt("%s; the first is refused, the last runs out of time, and errno is "
                          "the last attempt's",
                          stand_in_answers_text(call.service)),
                  "4.1");
}

/* ---- the time limit ---- */

LAB_TEST(tcp_connect_name, unanswered_connect_times_out_with_etimedout)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_FULL)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, SHORT_TIMEOUT_MS);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_failed(&call, outcome, ETIMEDOUT,
                  "the server's queue is full, so the kernel drops the SYN and the connect "
                  "never completes: the attempt ends when timeout_ms pass (poll returns 0)",
                  "2.3");
    expect_elapsed_between(&call, outcome, SHORT_TIMEOUT_MS - EARLY_MS,
                           SHORT_TIMEOUT_MS + late_ms(),
                           "it waits timeout_ms, no less and not much more", "2.3");
}

LAB_TEST(tcp_connect_name, zero_timeout_does_not_wait)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_FULL)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, 0);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_failed(&call, outcome, ETIMEDOUT,
                  "timeout_ms 0 means no waiting: a connect that is not finished at once has "
                  "run out of time",
                  "2.3");
    expect_elapsed_between(&call, outcome, 0, late_ms(), "0 ms means no waiting", "2.3");
}

LAB_TEST(tcp_connect_name, no_limit_connects)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, -1);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0,
                     "timeout_ms -1 means no limit of its own (poll with -1 waits as long as "
                     "it takes)",
                     "2.3");
}

LAB_TEST(tcp_connect_name, returned_socket_is_blocking_again)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, "127.0.0.1", spots, 1, 1000);
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0,
                     "the caller gets a blocking socket, as from tcp_connect: clear "
                     "O_NONBLOCK once connected (fcntl F_SETFL with flags & ~O_NONBLOCK)",
                     "2.3");
}

/* ---- names that do not resolve, and bad arguments ---- */

LAB_TEST(tcp_connect_name, unknown_service_returns_minus_two)
{
    struct connect_case call = {.host = "127.0.0.1", .service = "no-such-service-socketlab",
                                .timeout_ms = 1000};
    struct connect_outcome outcome = run_connect(&call);
    expect_failed(&call, outcome, 0,
                  "/etc/services has no such service, so getaddrinfo fails (EAI_SERVICE), "
                  "which is -2, not -1",
                  "2.1");
}

LAB_TEST_SKIPPABLE(tcp_connect_name, service_name_reaches_its_port)
{
    uint16_t port;
    const char *name = free_service_name_or_skip(&port);
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    spots_open(spots, 1, port);
    struct connect_case call = {.host = "127.0.0.1", .service = name, .timeout_ms = 1000,
                                .spots = spots, .count = 1, .port = port};
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_connected(&call, outcome, 0,
                     lab_fmt("/etc/services says %s is port %u: pass the service to "
                             "getaddrinfo as it is",
                             name, (unsigned)port),
                     "2.1");
}

/* Checks that the call fails with EINVAL while a listener waits where a
 * lenient implementation would connect. */
static void expect_rejected(const char *host, const char *service, int timeout_ms,
                            const char *why)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    struct connect_case call;
    case_at(&call, host, spots, 1, timeout_ms);
    if (service == NULL)
        call.service = NULL;
    struct connect_outcome outcome = run_connect(&call);
    spots_close(spots, 1);
    expect_failed(&call, outcome, EINVAL, why, "4.1");
}

LAB_TEST(tcp_connect_name, null_host_fails_with_einval)
{
    expect_rejected(NULL, "the port", 1000, "a client needs a host (checked before getaddrinfo)");
}

LAB_TEST(tcp_connect_name, null_service_fails_with_einval)
{
    expect_rejected("127.0.0.1", NULL, 1000, "a client needs a service (checked before "
                                             "getaddrinfo)");
}

LAB_TEST(tcp_connect_name, timeout_below_minus_one_fails_with_einval)
{
    expect_rejected("127.0.0.1", "the port", -2, "-1 is the only negative timeout_ms allowed");
}

/* ---- rules for every function ---- */

LAB_TEST(rules, functions_print_nothing)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING), SPOT("127.0.0.2", SPOT_REFUSING)};
    uint16_t port = spots_open(spots, 2, 0);
    struct endpoint where = endpoint_of("127.0.0.1", port);
    char service[8], text[64];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    lab_capture_begin();
    int connected = tcp_connect_name("127.0.0.1", service, 1000);
    int refused = tcp_connect_name("127.0.0.2", service, 1000);
    int unknown = tcp_connect_name("127.0.0.1", "no-such-service-socketlab", 1000);
    int busy = tcp_listen_name("127.0.0.1", service, 8);
    int listening = tcp_listen_name("127.0.0.1", "0", 8);
    int written = sockaddr_to_string((struct sockaddr *)&where.addr, where.len, text,
                                     sizeof text);
    int cut = sockaddr_to_string((struct sockaddr *)&where.addr, where.len, text, 4);
    const char *printed = lab_capture_end();
    int fds[] = {connected, refused, unknown, busy, listening};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    spots_close(spots, 2);
    lab_expect(connected >= 0 && listening >= 0 && written > 0 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say: gai_strerror and strerror are for the caller).",
               "a connection made, a socket listening, a text written, and nothing printed",
               lab_fmt("tcp_connect_name %d, tcp_listen_name %d, sockaddr_to_string %d and "
                       "%d, printed %s",
                       connected, listening, written, cut, printed[0] ? printed : "nothing"),
               "5.1");
}
