/*
 * Lab 10 tests: tcp_listen_name (lab10.h, handout 4.2).
 *
 * Every check asks the kernel about the descriptor the student's code
 * returned (getsockname, getsockopt, a real client of the test's own on
 * loopback). One call and its inspection is run_listen; the call
 * itself runs in a child process (proxies.c), which inherits the stand-in's
 * plan, and only its result, errno and descriptor come back.
 */
#include "labtest.h"

#include "lab10.h"
#include "labnet.h"
#include "net.h"
#include "stand_in.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define BACKLOG 8

/* What one call came to, as listen_and_inspect sees it. */
enum verdict {
    LISTENING,          /* all as expected */
    FAILED,             /* returned -1; detail: errno */
    RESOLVE_FAILED,     /* returned -2 */
    ODD_RESULT,         /* another negative number; detail: it */
    FAILED_LEAVING_FDS, /* -1 or -2 with descriptors left; detail: how many */
    WRONG_FAMILY,       /* detail: the socket's family */
    WRONG_ADDRESS,      /* bound elsewhere; detail: the bound port */
    NOT_LISTENING,
    NO_REUSEADDR,
    STILL_IPV6_ONLY,   /* the dual-stack socket has IPV6_V6ONLY set */
    CLIENT_NOT_ACCEPTED, /* the test's client did not get in; detail: errno */
    PEER_NOT_MAPPED,   /* the IPv4 client was not seen as ::ffff:127.0.0.1 */
    EXTRA_FDS,         /* listening, and more descriptors left; detail: how many */
};

struct listen_case {
    const char *host;
    const char *service;
    const char *ips[2];  /* where the socket may be bound (either one) */
    uint16_t port;       /* the port it must be bound to; 0: any the system picked */
    bool dual_stack;     /* V6ONLY must be 0, and an IPv4 client is seen as mapped */
    char port_text[8];
};

struct listen_outcome {
    enum verdict verdict;
    int detail;
};

/* The address the test's client connects to, for a socket bound to `bound`. */
static struct endpoint client_target(const struct listen_case *call, const struct endpoint *bound)
{
    uint16_t port = endpoint_port(bound);
    if (call->dual_stack)
        return endpoint_of("127.0.0.1", port); /* an IPv4 client, on purpose */
    return *bound;
}

static bool bound_where_expected(const struct listen_case *call, const struct endpoint *bound)
{
    uint16_t port = endpoint_port(bound);
    if (port == 0 || (call->port != 0 && port != call->port))
        return false;
    for (size_t i = 0; i < 2 && call->ips[i] != NULL; i++) {
        struct endpoint expected = endpoint_of(call->ips[i], port);
        if (endpoint_same(&expected, bound))
            return true;
    }
    return false;
}

/* A client of the test's own connects; the socket accepts it. */
static struct listen_outcome check_client(const struct listen_case *call, int fd,
                                          const struct endpoint *bound)
{
    struct endpoint target = client_target(call, bound), peer;
    int client = net_connect_within(&target, LAB_WAIT_MS);
    int served = client >= 0 ? net_accept_within(fd, LAB_WAIT_MS, &peer) : -1;
    int err = errno;
    if (served >= 0)
        close(served);
    if (client >= 0)
        close(client);
    if (served < 0)
        return (struct listen_outcome){.verdict = CLIENT_NOT_ACCEPTED, .detail = err};
    struct endpoint mapped = endpoint_of("::ffff:127.0.0.1", 0);
    struct sockaddr_in6 *seen = (struct sockaddr_in6 *)&peer.addr;
    if (call->dual_stack &&
        (peer.addr.ss_family != AF_INET6 ||
         memcmp(&seen->sin6_addr, &((struct sockaddr_in6 *)&mapped.addr)->sin6_addr,
                sizeof seen->sin6_addr) != 0))
        return (struct listen_outcome){.verdict = PEER_NOT_MAPPED};
    return (struct listen_outcome){.verdict = LISTENING};
}

/* The verdict on a descriptor the call returned (which it does not close). */
static struct listen_outcome inspect_listener(const struct listen_case *call, int fd)
{
    struct endpoint bound;
    endpoint_local(fd, &bound);
    if (bound.addr.ss_family != AF_INET && bound.addr.ss_family != AF_INET6)
        return (struct listen_outcome){.verdict = WRONG_FAMILY,
                                       .detail = bound.addr.ss_family};
    if (!bound_where_expected(call, &bound))
        return (struct listen_outcome){.verdict = WRONG_ADDRESS,
                                       .detail = endpoint_port(&bound)};
    if (lab_int_option(fd, SOL_SOCKET, SO_ACCEPTCONN) != 1)
        return (struct listen_outcome){.verdict = NOT_LISTENING};
    if (lab_int_option(fd, SOL_SOCKET, SO_REUSEADDR) <= 0)
        return (struct listen_outcome){.verdict = NO_REUSEADDR};
    if (call->dual_stack && lab_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY) != 0)
        return (struct listen_outcome){.verdict = STILL_IPV6_ONLY};
    return check_client(call, fd, &bound);
}

/* One call of tcp_listen_name, and what it came to. */
static struct listen_outcome run_listen(const struct listen_case *call)
{
    int open_before = lab_open_fd_count();
    errno = 0;
    int fd = tcp_listen_name(call->host, call->service, BACKLOG);
    int err = errno;
    stand_in_off();
    int new_fds = lab_open_fd_count() - open_before;

    if (fd < 0 && new_fds != 0)
        return (struct listen_outcome){.verdict = FAILED_LEAVING_FDS, .detail = new_fds};
    if (fd == -1)
        return (struct listen_outcome){.verdict = FAILED, .detail = err};
    if (fd == -2)
        return (struct listen_outcome){.verdict = RESOLVE_FAILED};
    if (fd < 0)
        return (struct listen_outcome){.verdict = ODD_RESULT, .detail = fd};
    struct listen_outcome outcome = inspect_listener(call, fd);
    close(fd);
    if (outcome.verdict == LISTENING && new_fds != 1)
        outcome = (struct listen_outcome){.verdict = EXTRA_FDS, .detail = new_fds - 1};
    return outcome;
}

/* The lab_fmt ring holds 16 texts: each helper below takes one or two. */
static const char *call_text(const struct listen_case *call)
{
    return name_call_text("tcp_listen_name", call->host, call->service, BACKLOG);
}

static const char *where_text(const struct listen_case *call)
{
    const char *port = call->port ? call->port_text : "a port the system picked";
    if (call->ips[1] != NULL)
        return lab_fmt("%s or %s, %s", call->ips[0], call->ips[1], port);
    return lab_fmt("%s, %s", call->ips[0], port);
}

static const char *outcome_text(struct listen_outcome outcome)
{
    switch (outcome.verdict) {
    case LISTENING:
        return "a listening socket, as expected";
    case FAILED:
        return lab_result_text(-1, outcome.detail);
    case RESOLVE_FAILED:
        return "-2 (getaddrinfo failed)";
    case ODD_RESULT:
        return lab_fmt("%d (neither a descriptor, nor -1, nor -2)", outcome.detail);
    case FAILED_LEAVING_FDS:
        return lab_fmt("a failure, with %d descriptor(s) left open (the socket of a failed "
                       "attempt must be closed)",
                       outcome.detail);
    case WRONG_FAMILY:
        return lab_fmt("a socket of family %s", lab_family_text(outcome.detail));
    case WRONG_ADDRESS:
        return lab_fmt("a socket bound somewhere else (port %d)", outcome.detail);
    case NOT_LISTENING:
        return "a socket that is not listening (SO_ACCEPTCONN 0)";
    case NO_REUSEADDR:
        return "a listening socket without SO_REUSEADDR";
    case STILL_IPV6_ONLY:
        return "a socket on :: with IPV6_V6ONLY 1: IPv6 clients only";
    case CLIENT_NOT_ACCEPTED:
        return lab_fmt("a listening socket the test's client could not reach: %s",
                       lab_errno_text(outcome.detail));
    case PEER_NOT_MAPPED:
        return "a socket that accepted the IPv4 client, not as ::ffff:127.0.0.1";
    case EXTRA_FDS:
        return lab_fmt("a listening socket, and %d more descriptor(s) left open",
                       outcome.detail);
    default:
        return "something the test does not know";
    }
}

static void expect_listening(const struct listen_case *call, struct listen_outcome outcome,
                             const char *why, const char *section)
{
    lab_expect(outcome.verdict == LISTENING,
               lab_fmt("%s should listen: %s.", call_text(call), why),
               lab_fmt("a listening socket with SO_REUSEADDR, bound to %s, that a client of "
                       "the test's own reaches%s",
                       where_text(call),
                       call->dual_stack ? " over IPv4 (IPV6_V6ONLY 0; the client seen as "
                                          "::ffff:127.0.0.1)"
                                        : ""),
               outcome_text(outcome), section);
}

/* err 0: -2 expected. */
static void expect_failed(const struct listen_case *call, struct listen_outcome outcome,
                          int err, const char *why, const char *section)
{
    bool as_expected = err == 0 ? outcome.verdict == RESOLVE_FAILED
                                : outcome.verdict == FAILED && outcome.detail == err;
    lab_expect(as_expected, lab_fmt("%s should fail: %s.", call_text(call), why),
               name_failure_expected_text(err),
               outcome.verdict == LISTENING ? "a listening socket" : outcome_text(outcome),
               section);
}

/* A call for host and service "0" (any port), bound to one of ips. */
static struct listen_case any_port(const char *host, const char *ip, const char *other_ip)
{
    struct listen_case call = {.host = host, .service = "0", .ips = {ip, other_ip}};
    return call;
}

/* A call whose service is `port` (its text kept in the case). */
static void at_port(struct listen_case *call, const char *host, uint16_t port,
                    const char *ip, const char *other_ip)
{
    memset(call, 0, sizeof *call);
    snprintf(call->port_text, sizeof call->port_text, "%u", (unsigned)port);
    call->host = host;
    call->service = call->port_text;
    call->port = port;
    call->ips[0] = ip;
    call->ips[1] = other_ip;
}

/* ---- listening on an address or a name ---- */

LAB_TEST(tcp_listen_name, ipv4_text_listens_there)
{
    struct listen_case call = any_port("127.0.0.1", "127.0.0.1", NULL);
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome, "getaddrinfo reads an IPv4 text as its only answer",
                     "4.2");
}

LAB_TEST_SKIPPABLE(tcp_listen_name, ipv6_text_listens_there)
{
    skip_without_ipv6_loopback();
    struct listen_case call = any_port("::1", "::1", NULL);
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome,
                     "getaddrinfo reads an IPv6 text as an AF_INET6 answer: the socket must be "
                     "made with the answer's ai_family",
                     "2.1");
}

LAB_TEST(tcp_listen_name, localhost_listens_on_loopback)
{
    struct listen_case call = any_port("localhost", "127.0.0.1", "::1");
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome, "localhost is in /etc/hosts; its first answer that can "
                                     "be bound is a loopback address",
                     "4.2");
}

LAB_TEST_SKIPPABLE(tcp_listen_name, service_name_listens_on_its_port)
{
    uint16_t port;
    const char *name = free_service_name_or_skip(&port);
    struct listen_case call;
    at_port(&call, "127.0.0.1", port, "127.0.0.1", NULL);
    call.service = name;
    struct listen_outcome outcome = run_listen(&call);
    if (outcome.verdict == FAILED && outcome.detail == EADDRINUSE &&
        lab_bind_errno(SOCK_STREAM, "127.0.0.1", port) == EADDRINUSE)
        lab_skip("port %u (%s) was taken by another program while the test ran, so the "
                 "service name cannot be tried now",
                 (unsigned)port, name);
    expect_listening(&call, outcome,
                     lab_fmt("/etc/services says %s is port %u: pass the service to "
                             "getaddrinfo as it is",
                             name, (unsigned)port),
                     "2.1");
}

LAB_TEST(tcp_listen_name, busy_first_address_falls_back_to_next)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING), SPOT("127.0.0.2", SPOT_REFUSING)};
    uint16_t port = spots_open(spots, 2, 0);
    spots_close(&spots[1], 1); /* 127.0.0.2 is free at that port again */
    struct listen_case call;
    at_port(&call, "localhost", port, "127.0.0.2", NULL);
    static const char *const answers[] = {"127.0.0.1", "127.0.0.2"};
    stand_in_answer("localhost", answers, 2);
    struct listen_outcome outcome = run_listen(&call);
    spots_close(spots, 1);
    expect_listening(&call, outcome,
                     lab_fmt("%s; a socket of the test's own already listens on the first, "
                             "so the second must be tried (%s)",
                             stand_in_answers_text(call.service),
                             outcome.verdict == RESOLVE_FAILED ? stand_in_refusal_text()
                                                               : "walk the list: ai_next"),
                     "2.1");
}

LAB_TEST_SKIPPABLE(tcp_listen_name, backlog_is_passed_to_listen)
{
    struct spot calibration[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    spots_open(calibration, 1, 0);
    bool reported = lab_listen_backlog(calibration[0].fd) == 8; /* spots listen with 8 */
    spots_close(calibration, 1);
    if (!reported)
        lab_skip("this kernel does not report a listening socket's backlog (TCP_INFO), so "
                 "the backlog cannot be checked here");
    static const int backlogs[] = {3, 11};
    for (size_t i = 0; i < sizeof backlogs / sizeof backlogs[0]; i++) {
        errno = 0;
        int fd = tcp_listen_name("127.0.0.1", "0", backlogs[i]);
        int err = errno;
        long backlog = fd >= 0 ? lab_listen_backlog(fd) : -1;
        if (fd >= 0)
            close(fd);
        lab_expect(fd >= 0 && backlog == backlogs[i],
                   lab_fmt("tcp_listen_name(\"127.0.0.1\", \"0\", %d) should listen with the "
                           "backlog it is given: listen(fd, backlog).",
                           backlogs[i]),
                   lab_fmt("a listening socket with backlog %d", backlogs[i]),
                   fd >= 0 ? lab_fmt("backlog %ld", backlog) : lab_result_text(fd, err), "4.2");
    }
}

/* ---- every address of both families: host NULL ---- */

LAB_TEST_SKIPPABLE(tcp_listen_name, null_host_listens_on_both_families)
{
    skip_without_ipv6_loopback();
    struct listen_case call = any_port(NULL, "::", NULL);
    call.dual_stack = true;
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome,
                     "host NULL means one AF_INET6 socket bound to :: (getaddrinfo with "
                     "AI_PASSIVE; the 0.0.0.0 answer skipped) with IPV6_V6ONLY set to 0",
                     "2.4");
}

LAB_TEST_SKIPPABLE(tcp_listen_name, null_host_clears_ipv6_only_default)
{
    skip_without_ipv6_loopback();
    struct listen_case call = any_port(NULL, "::", NULL);
    call.dual_stack = true;
    stand_in_ipv6_only_default();
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome,
                     "on a system whose IPv6 sockets are IPv6-only by default "
                     "(net.ipv6.bindv6only = 1, simulated by the test), IPv4 clients get in "
                     "only when IPV6_V6ONLY is explicitly set to 0 before bind",
                     "2.4");
}

LAB_TEST_SKIPPABLE(tcp_listen_name, null_host_skips_ipv4_wildcard)
{
    skip_without_ipv6_loopback();
    struct listen_case call = any_port(NULL, "::", NULL);
    call.dual_stack = true;
    static const char *const answers[] = {"0.0.0.0", "::"};
    stand_in_answer(NULL, answers, 2);
    struct listen_outcome outcome = run_listen(&call);
    expect_listening(&call, outcome,
                     lab_fmt("%s; the one socket is the IPv6 one (%s)",
                             stand_in_answers_text("0"),
                             outcome.verdict == RESOLVE_FAILED
                                 ? stand_in_refusal_text()
                                 : "pick the answer whose ai_family is AF_INET6"),
                     "2.4");
}

LAB_TEST(tcp_listen_name, null_host_without_ipv6_fails_with_eafnosupport)
{
    struct listen_case call = any_port(NULL, "::", NULL);
    static const char *const answers[] = {"0.0.0.0"};
    stand_in_answer(NULL, answers, 1);
    struct listen_outcome outcome = run_listen(&call);
    expect_failed(&call, outcome, EAFNOSUPPORT,
                  lab_fmt("%s, as on a system without IPv6: no AF_INET6 answer, so no "
                          "dual-stack socket (%s)",
                          stand_in_answers_text("0"),
                          outcome.verdict == RESOLVE_FAILED ? stand_in_refusal_text()
                                                            : "never fall back to 0.0.0.0"),
                  "2.4");
}

/* ---- failing ---- */

LAB_TEST(tcp_listen_name, port_in_use_fails_with_eaddrinuse)
{
    struct spot spots[] = {SPOT("127.0.0.1", SPOT_LISTENING)};
    uint16_t port = spots_open(spots, 1, 0);
    struct listen_case call;
    at_port(&call, "127.0.0.1", port, "127.0.0.1", NULL);
    struct listen_outcome outcome = run_listen(&call);
    spots_close(spots, 1);
    expect_failed(&call, outcome, EADDRINUSE,
                  "a socket of the test's own already listens there; the failed attempt's "
                  "socket is closed and errno is bind's",
                  "4.2");
}

LAB_TEST(tcp_listen_name, unknown_service_returns_minus_two)
{
    struct listen_case call = {.host = "127.0.0.1", .service = "no-such-service-socketlab"};
    struct listen_outcome outcome = run_listen(&call);
    expect_failed(&call, outcome, 0,
                  "/etc/services has no such service, so getaddrinfo fails (EAI_SERVICE): "
                  "-2, not -1",
                  "2.1");
}

LAB_TEST(tcp_listen_name, null_host_unknown_service_returns_minus_two)
{
    struct listen_case call = {.host = NULL, .service = "no-such-service-socketlab"};
    struct listen_outcome outcome = run_listen(&call);
    expect_failed(&call, outcome, 0,
                  "with host NULL too, the service goes to getaddrinfo, which fails: -2",
                  "2.1");
}

LAB_TEST(tcp_listen_name, null_service_fails_with_einval)
{
    struct listen_case call = {.host = "127.0.0.1", .service = NULL};
    struct listen_outcome outcome = run_listen(&call);
    expect_failed(&call, outcome, EINVAL,
                  "a listener needs a service (checked before getaddrinfo)", "4.2");
}
