/*
 * Lab 3 tests: bind and listen (lab3.h).
 *
 * Every check asks the kernel about the descriptor the student's code
 * returned (getsockname, getsockopt, a real client on loopback), so any
 * correct implementation passes. Servers bind port 0 or a port the kernel
 * has just shown to be free, on loopback only; nothing ever connects to
 * another address.
 */
#include "labtest.h"

#include "lab3.h"
#include "labnet.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define BACKLOG 8
#define FREE_PORT_ATTEMPTS 8

/* ---- helpers: the test's own sockets (labnet.h), made without the student's code ---- */

/* "tcp_listen(\"127.0.0.1\", 0, 8)": the call as the tests make it. */
static const char *listen_call_text(const char *ip, uint16_t port)
{
    return ip ? lab_fmt("tcp_listen(\"%s\", %u, %d)", ip, (unsigned)port, BACKLOG)
              : lab_fmt("tcp_listen(NULL, %u, %d)", (unsigned)port, BACKLOG);
}

/* tcp_listen(ip, port, BACKLOG), expected to succeed; `what` completes the
 * message ("should succeed."). Returns the descriptor. */
static int listen_expecting_success(const char *ip, uint16_t port, const char *what,
                                    const char *section)
{
    errno = 0;
    int fd = tcp_listen(ip, port, BACKLOG);
    int err = errno;
    lab_expect_descriptor(fd, err, lab_fmt("%s %s", listen_call_text(ip, port), what), section);
    return fd;
}

/* The address the kernel says fd is bound to (family AF_UNSPEC when it cannot say). */
static struct sockaddr_in bound_address(int fd)
{
    struct sockaddr_in address;
    lab_local_address(fd, &address);
    return address;
}

/*
 * A port that is free on 127.0.0.1 right now (the kernel picks it for a socket
 * of the test's own, which is then closed), whose two bytes differ, so that a
 * port sent in the wrong byte order lands somewhere else.
 */
static uint16_t free_port(void)
{
    uint16_t port = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = lab_tcp_socket_or_fail(0, -1, 0, NULL);
        port = lab_local_port(fd);
        close(fd);
        if ((port >> 8) != (port & 0xFF))
            break;
    }
    return port;
}

/*
 * Calls tcp_listen(ip, port) for a port that free_port found. Another process
 * may take that port between the two calls: then (EADDRINUSE) it tries again
 * with a new one, a few times. Stores the port asked for in *port and errno in
 * *err.
 */
static int tcp_listen_on_free_port(const char *ip, uint16_t *port, int *err)
{
    int fd = -1;
    for (int attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
        *port = free_port();
        errno = 0;
        fd = tcp_listen(ip, *port, BACKLOG);
        *err = errno;
        if (fd != -1 || *err != EADDRINUSE)
            break;
    }
    return fd;
}

/* Calls tcp_listen expecting a failure; checks errno and that nothing stays open. */
static void expect_listen_fails(const char *ip, uint16_t port, int expected_errno,
                                const char *situation, const char *section)
{
    int open_before = lab_open_fd_count();
    errno = 0;
    int fd = tcp_listen(ip, port, BACKLOG);
    int err = errno;
    if (fd >= 0)
        close(fd);
    int open_after = lab_open_fd_count();
    const char *call = listen_call_text(ip, port);
    lab_expect_failure(fd, err, expected_errno, lab_fmt("%s %s should fail.", call, situation),
                       section);
    lab_expect(open_after == open_before,
               lab_fmt("%s failed, so no descriptor should stay open (the socket it created "
                       "must be closed).",
                       call),
               lab_fmt("%d descriptors open, as before the call", open_before),
               lab_fmt("%d descriptors open", open_after), "4.1");
}

/* ---- tcp_listen: what it returns ---- */

LAB_TEST(tcp_listen, loopback_returns_listening_tcp_socket)
{
    int fd = listen_expecting_success("127.0.0.1", 0, "should return a new descriptor.", "4.1");
    int family = lab_int_option(fd, SOL_SOCKET, SO_DOMAIN);
    int type = lab_int_option(fd, SOL_SOCKET, SO_TYPE);
    int listening = lab_int_option(fd, SOL_SOCKET, SO_ACCEPTCONN);
    close(fd);
    lab_expect(family == AF_INET && type == SOCK_STREAM,
               "tcp_listen() should create an IPv4 TCP socket.", "AF_INET and SOCK_STREAM",
               lab_fmt("%s and %s", lab_family_text(family), lab_socktype_text(type)), "4.1");
    lab_expect(listening == 1,
               "tcp_listen() should return a socket that is listening (listen() called on it).",
               "SO_ACCEPTCONN 1 (listening)", lab_fmt("SO_ACCEPTCONN %d", listening), "2.1");
}

LAB_TEST(tcp_listen, loopback_client_can_connect)
{
    int listen_fd = listen_expecting_success("127.0.0.1", 0, "should succeed.", "4.1");
    uint16_t port = lab_local_port(listen_fd);
    int client = lab_connect_local(port, LAB_WAIT_MS);
    int connect_err = errno;
    int served = client >= 0 ? lab_accept_within(listen_fd, LAB_WAIT_MS, NULL, NULL) : -1;
    int accept_err = errno;
    if (served >= 0)
        close(served);
    if (client >= 0)
        close(client);
    close(listen_fd);
    lab_expect(client >= 0,
               lab_fmt("A client connecting to the socket tcp_listen returned (127.0.0.1:%u) "
                       "should get in.",
                       (unsigned)port),
               "the connection accepted by the kernel",
               lab_fmt("connect() gave %s", lab_result_text(client, connect_err)), "2.1");
    lab_expect(served >= 0,
               "The client's connection should be waiting on the socket tcp_listen returned.",
               "accept() on it returns the connection",
               lab_fmt("accept() gave %s", lab_result_text(served, accept_err)), "2.1");
}

LAB_TEST(tcp_listen, binds_given_address_not_any)
{
    int fd = listen_expecting_success("127.0.0.1", 0, "should succeed.", "4.1");
    struct sockaddr_in address = bound_address(fd);
    close(fd);
    lab_expect(address.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
               "tcp_listen(\"127.0.0.1\", ...) should bind the socket to 127.0.0.1 (loopback "
               "only), not to 0.0.0.0 (every address of the host).",
               "bound to 127.0.0.1", lab_fmt("bound to %s", lab_address_text(&address)), "2.1");
}

LAB_TEST(tcp_listen, binds_other_loopback_address)
{
    int fd = listen_expecting_success(
        "127.0.0.2", 0, "should succeed (127.0.0.2 is a loopback address too).", "4.1");
    struct sockaddr_in address = bound_address(fd);
    close(fd);
    lab_expect(address.sin_addr.s_addr == htonl(0x7F000002),
               "tcp_listen(\"127.0.0.2\", ...) should bind the socket to the ip it is given.",
               "bound to 127.0.0.2", lab_fmt("bound to %s", lab_address_text(&address)), "4.1");
}

LAB_TEST(tcp_listen, binds_given_port)
{
    uint16_t port;
    int err;
    int fd = tcp_listen_on_free_port("127.0.0.1", &port, &err);
    lab_expect_descriptor(
        fd, err, lab_fmt("%s on a free port should succeed.", listen_call_text("127.0.0.1", port)),
        "4.1");
    struct sockaddr_in address = bound_address(fd);
    close(fd);
    uint16_t got = ntohs(address.sin_port);
    lab_expect(got == port,
               lab_fmt("%s should bind port %u (in the struct it goes in network order: "
                       "htons).",
                       listen_call_text("127.0.0.1", port), (unsigned)port),
               lab_fmt("bound to 127.0.0.1:%u", (unsigned)port),
               lab_fmt("bound to %s%s", lab_address_text(&address),
                       got == (uint16_t)((port >> 8) | (port << 8)) ? " (the bytes swapped)" : ""),
               "2.2");
}

LAB_TEST(tcp_listen, port_zero_binds_a_free_port)
{
    errno = 0;
    int first = tcp_listen("127.0.0.1", 0, BACKLOG);
    int first_err = errno;
    errno = 0;
    int second = tcp_listen("127.0.0.1", 0, BACKLOG);
    int second_err = errno;
    uint16_t first_port = first >= 0 ? lab_local_port(first) : 0;
    uint16_t second_port = second >= 0 ? lab_local_port(second) : 0;
    if (first >= 0)
        close(first);
    if (second >= 0)
        close(second);
    lab_expect(first >= 0 && second >= 0,
               lab_fmt("Two calls %s should both succeed: port 0 asks the system for a free "
                       "port each time.",
                       listen_call_text("127.0.0.1", 0)),
               "two descriptors",
               lab_fmt("%s and %s", lab_result_text(first, first_err),
                       lab_result_text(second, second_err)),
               "2.2");
    lab_expect(first_port != 0 && second_port != 0 && first_port != second_port,
               "With port 0, each socket should be bound to a real port the system chose.",
               "two different ports, neither 0",
               lab_fmt("ports %u and %u", (unsigned)first_port, (unsigned)second_port), "2.2");
}

/* ---- tcp_listen: SO_REUSEADDR ---- */

LAB_TEST(tcp_listen, sets_so_reuseaddr)
{
    int fd = listen_expecting_success("127.0.0.1", 0, "should succeed.", "4.1");
    int reuse = lab_int_option(fd, SOL_SOCKET, SO_REUSEADDR);
    close(fd);
    lab_expect(reuse > 0, "tcp_listen() should set the SO_REUSEADDR option on the socket.",
               "SO_REUSEADDR on (not 0)", lab_fmt("SO_REUSEADDR %d", reuse), "2.3");
}

/*
 * Serves one connection on a port and closes the server's side first, as a
 * server that stops would: that side of the connection stays in TIME_WAIT.
 * Returns the port, or 0 when the scenario could not be set up (the test
 * has then failed with the reason).
 */
static uint16_t leave_port_in_time_wait(void)
{
    int listen_fd = listen_expecting_success("127.0.0.1", 0, "should succeed.", "4.1");
    uint16_t port = lab_local_port(listen_fd);
    int client = lab_connect_local(port, LAB_WAIT_MS);
    int served = client >= 0 ? lab_accept_within(listen_fd, LAB_WAIT_MS, NULL, NULL) : -1;
    int err = errno;
    close(listen_fd);
    if (served >= 0)
        close(served); /* the server closes first: its side will wait in TIME_WAIT */
    char byte;
    bool client_saw_close =
        served >= 0 && lab_wait_fd(client, POLLIN, LAB_WAIT_MS) && read(client, &byte, 1) == 0;
    if (client >= 0)
        close(client);
    lab_expect(client_saw_close,
               lab_fmt("Test setup: a client connects to the socket tcp_listen returned "
                       "(127.0.0.1:%u), the server closes its side, the client sees the close.",
                       (unsigned)port),
               "the connection made and closed",
               served < 0 ? lab_fmt("no connection: %s", lab_result_text(-1, err))
                          : "the client never saw the close",
               "2.1");
    return port;
}

LAB_TEST(tcp_listen, port_in_time_wait_listens_again)
{
    uint16_t port = leave_port_in_time_wait();
    errno = 0;
    int fd = tcp_listen("127.0.0.1", port, BACKLOG);
    int err = errno;
    if (fd >= 0)
        close(fd);
    lab_expect(fd >= 0,
               lab_fmt("A server stopped and started again at once: %s, while the last "
                       "connection on that port is in TIME_WAIT, should succeed (SO_REUSEADDR, "
                       "set before bind()).",
                       listen_call_text("127.0.0.1", port)),
               "a descriptor (an int >= 0)", lab_result_text(fd, err), "2.3");
}

/* ---- tcp_listen: failures ---- */

LAB_TEST(tcp_listen, hostname_fails_with_einval)
{
    expect_listen_fails("localhost", 0, EINVAL,
                        "(a host name, not a dotted quad: addr_from_string rejects it)", "4.1");
}

LAB_TEST(tcp_listen, three_part_address_fails_with_einval)
{
    expect_listen_fails("1.2.3", 0, EINVAL,
                        "(three numbers, not four: addr_from_string rejects it)", "4.1");
}

LAB_TEST(tcp_listen, null_ip_fails_with_einval)
{
    expect_listen_fails(NULL, 0, EINVAL, "(no ip at all: addr_from_string rejects it)", "4.1");
}

LAB_TEST(tcp_listen, port_in_use_fails_with_eaddrinuse)
{
    int other = lab_tcp_socket_or_fail(0, BACKLOG, 0, NULL);
    uint16_t port = lab_local_port(other);
    expect_listen_fails("127.0.0.1", port, EADDRINUSE,
                        "(another socket already listens on that port)", "4.1");
    close(other);
}

/* ---- tcp_listen: situations a machine may not be able to arrange ----
 * These tests are skipped, saying why, where the situation cannot be set up;
 * the code under test runs only in child processes (lab_call_in_child). */

/* What a child reports when tcp_listen failed but left a descriptor open. */
#define FAILED_LEAVING_DESCRIPTOR (-2L)
/* What a child reports when it could not give up its privilege. */
#define PRIVILEGE_KEPT (-3L)

/* A call of tcp_listen to make in a child process. */
struct listen_request {
    const char *ip;
    uint16_t port;
    bool without_privilege; /* give up the privilege to bind ports below 1024 first */
};

/*
 * Gives up the privilege to bind ports below 1024: becomes the user nobody
 * (65534) when running as root, and drops every capability in any case (a
 * root whose user namespace has no user 65534 cannot become it). Only ever
 * called in a child process. Returns 0, or -1 with errno.
 */
static int drop_privilege(void)
{
    if (geteuid() == 0 && setuid(65534) == 0)
        return 0;
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct no_capabilities[2];
    memset(no_capabilities, 0, sizeof no_capabilities);
    return (int)syscall(SYS_capset, &header, no_capabilities);
}

/* What the kernel answers when a socket of the test's own binds the request
 * (in a child process when it gives up privilege). */
static long kernel_bind_answer(void *context)
{
    const struct listen_request *request = context;
    if (request->without_privilege && drop_privilege() == -1)
        return PRIVILEGE_KEPT;
    int err = lab_bind_errno(SOCK_STREAM, request->ip, request->port);
    errno = err;
    return err == 0 ? 0 : -1;
}

/* Child: tcp_listen on the request; FAILED_LEAVING_DESCRIPTOR when it leaks one. */
static long tcp_listen_in_child(void *context)
{
    const struct listen_request *request = context;
    if (request->without_privilege && drop_privilege() == -1)
        return PRIVILEGE_KEPT;
    int open_before = lab_open_fd_count();
    errno = 0;
    int fd = tcp_listen(request->ip, request->port, BACKLOG);
    int err = errno;
    if (fd == -1 && lab_open_fd_count() != open_before)
        fd = FAILED_LEAVING_DESCRIPTOR;
    errno = err;
    return fd;
}

/* Runs tcp_listen in a child for the request; checks it fails with expected_errno. */
static void expect_listen_fails_in_child(struct listen_request *request, int expected_errno,
                                         const char *situation)
{
    const char *call = listen_call_text(request->ip, request->port);
    long result;
    int err;
    bool returned = lab_call_in_child(tcp_listen_in_child, request, &result, &err);
    lab_expect(returned, lab_fmt("%s %s should return.", call, situation),
               lab_fmt("-1 with errno %s", lab_errno_text(expected_errno)),
               lab_child_failure(), "5.1");
    lab_expect(result != FAILED_LEAVING_DESCRIPTOR,
               lab_fmt("%s %s failed, so no descriptor should stay open (the socket it "
                       "created must be closed).",
                       call, situation),
               "as many descriptors open as before the call",
               lab_fmt("-1 with errno %s, and one more descriptor open", lab_errno_text(err)),
               "4.1");
    lab_expect_failure(result, err, expected_errno,
                       lab_fmt("%s %s should fail.", call, situation), "4.1");
}

/*
 * A TEST-NET address (RFC 5737: reserved for documentation, never routed) that
 * this host does not have: the kernel refuses to bind a socket of the test's
 * own to it with EADDRNOTAVAIL. NULL when the kernel accepts every candidate.
 */
static const char *address_not_on_this_host(void)
{
    static const char *const candidates[] = {"192.0.2.1", "198.51.100.1", "203.0.113.1"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        struct listen_request probe = {.ip = candidates[i], .port = 0};
        errno = 0;
        long bound = kernel_bind_answer(&probe);
        if (bound == -1 && errno == EADDRNOTAVAIL)
            return candidates[i];
    }
    return NULL;
}

LAB_TEST_SKIPPABLE(tcp_listen, foreign_address_fails_with_eaddrnotavail)
{
    const char *foreign = address_not_on_this_host();
    if (foreign == NULL)
        lab_skip("this machine lets a socket bind every TEST-NET address tried (192.0.2.1, "
                 "198.51.100.1, 203.0.113.1: it has them, or allows non-local binds), so "
                 "there is no address it does not have to try");
    struct listen_request request = {.ip = foreign, .port = 0};
    expect_listen_fails_in_child(&request, EADDRNOTAVAIL,
                                 "(an address this host does not have)");
}

/* Child: tcp_listen("127.0.0.1", 0, *backlog); the backlog the kernel reports
 * for the socket it returned, or -1 with errno. */
static long backlog_in_child(void *context)
{
    const int *backlog = context;
    int fd = tcp_listen("127.0.0.1", 0, *backlog);
    if (fd == -1)
        return -1;
    long reported = lab_listen_backlog(fd);
    close(fd);
    return reported;
}

LAB_TEST_SKIPPABLE(tcp_listen, backlog_is_passed_to_listen)
{
    int calibration = lab_tcp_socket_or_fail(0, -1, 0, NULL);
    bool reported = listen(calibration, 3) == 0 && lab_listen_backlog(calibration) == 3;
    close(calibration);
    if (!reported)
        lab_skip("this kernel does not report a listening socket's backlog (TCP_INFO), so "
                 "the backlog cannot be checked here");
    static const int backlogs[] = {3, 11};
    for (size_t i = 0; i < sizeof backlogs / sizeof backlogs[0]; i++) {
        int backlog = backlogs[i];
        long result;
        int err;
        bool returned = lab_call_in_child(backlog_in_child, &backlog, &result, &err);
        lab_expect(returned && result != -1,
                   lab_fmt("tcp_listen(\"127.0.0.1\", 0, %d) should succeed.", backlog),
                   "a listening socket",
                   returned ? lab_result_text(result, err) : lab_child_failure(), "4.1");
        lab_expect(result == backlog,
                   lab_fmt("tcp_listen(\"127.0.0.1\", 0, %d) should listen with the backlog it "
                           "is given: listen(fd, backlog).",
                           backlog),
                   lab_fmt("backlog %d", backlog), lab_fmt("backlog %ld", result), "4.1");
    }
}

/* The lowest port a process without privilege may bind (1024 unless configured). */
static long unprivileged_port_start(void)
{
    long start = 1024;
    FILE *file = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
    if (file) {
        if (fscanf(file, "%ld", &start) != 1)
            start = 1024;
        fclose(file);
    }
    return start;
}

LAB_TEST_SKIPPABLE(tcp_listen, privileged_port_without_privilege_fails_with_eacces)
{
    /* Port 7 is the traditional port of the echo service. */
    struct listen_request request = {.ip = "127.0.0.1", .port = 7, .without_privilege = true};
    long start = unprivileged_port_start();
    if (start <= request.port)
        lab_skip("this kernel lets every process bind ports from %ld up "
                 "(net.ipv4.ip_unprivileged_port_start), so port %u needs no privilege here",
                 start, (unsigned)request.port);
    long kernel;
    int kernel_err;
    bool returned = lab_call_in_child(kernel_bind_answer, &request, &kernel, &kernel_err);
    if (!returned || kernel == PRIVILEGE_KEPT || kernel != -1 || kernel_err != EACCES)
        lab_skip("a process of the test could not be made to lack the privilege to bind "
                 "port %u (the kernel answered %s), so the situation cannot be arranged here",
                 (unsigned)request.port,
                 !returned ? lab_child_failure()
                 : kernel == PRIVILEGE_KEPT
                     ? lab_fmt("dropping privilege failed: %s", lab_errno_text(kernel_err))
                     : lab_result_text(kernel, kernel_err));
    expect_listen_fails_in_child(&request, EACCES,
                                 "in a process without privilege (a port below 1024)");
}

LAB_TEST(tcp_listen, no_descriptor_left_fails_with_emfile)
{
    long previous_limit = lab_exhaust_fd_limit();
    errno = 0;
    int fd = tcp_listen("127.0.0.1", 0, BACKLOG);
    int err = errno;
    lab_restore_fd_limit(previous_limit);
    if (fd >= 0)
        close(fd);
    lab_expect_failure(fd, err, EMFILE,
                       "tcp_listen() with no descriptor left (the process limit is reached) "
                       "should report the error of the call that failed (socket()).",
                       "4.1");
}

/* ---- local_port ---- */

/* Calls local_port on a socket of the test's own and compares with getsockname. */
static void expect_local_port_matches(int fd, const char *description)
{
    uint16_t expected = lab_local_port(fd);
    errno = 0;
    int got = local_port(fd);
    int err = errno;
    close(fd);
    lab_expect(got == expected,
               lab_fmt("local_port() on %s should return its port, in host order (ntohs).",
                       description),
               lab_fmt("%u", (unsigned)expected),
               got == (int)(uint16_t)((expected >> 8) | (expected << 8))
                   ? lab_fmt("%d (the bytes of %u swapped: network order)", got,
                             (unsigned)expected)
                   : lab_result_text(got, err),
               "4.2");
}

LAB_TEST(local_port, socket_bound_to_known_port_returns_it)
{
    int fd = lab_tcp_socket_or_fail(free_port(), -1, 0, NULL);
    expect_local_port_matches(fd, "a socket bound to a known port");
}

LAB_TEST(local_port, port_zero_listener_returns_chosen_port)
{
    int fd = lab_tcp_socket_or_fail(0, BACKLOG, 0, NULL);
    lab_require(lab_local_port(fd) != 0, "getsockname() on the test's socket bound to port 0");
    expect_local_port_matches(fd, "a listening socket bound with port 0");
}

LAB_TEST(local_port, closed_descriptor_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    errno = 0;
    int result = local_port(fd);
    int err = errno;
    lab_expect_failure(result, err, EBADF,
                       "local_port() on a descriptor that is not open should fail.", "4.2");
}

LAB_TEST(local_port, regular_file_fails_with_enotsock)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    errno = 0;
    int result = local_port(fd);
    int err = errno;
    close(fd);
    lab_expect_failure(result, err, ENOTSOCK,
                       "local_port() on /dev/null (open, but not a socket) should fail.", "4.2");
}

LAB_TEST(local_port, leaves_descriptor_open)
{
    int fd = lab_tcp_socket_or_fail(0, -1, 0, NULL);
    errno = 0;
    int result = local_port(fd);
    int err = errno;
    bool still_open = lab_fd_is_open(fd);
    close(fd);
    lab_expect(result > 0 && still_open,
               "local_port() only asks about the socket: it succeeds and must not close it.",
               "the port, and the descriptor still open after the call",
               lab_fmt("%s, and the descriptor %s", lab_result_text(result, err),
                       still_open ? "still open" : "closed"),
               "4.2");
}

/* ---- rules for every function ---- */

LAB_TEST(rules, functions_print_nothing)
{
    lab_capture_begin();
    int listen_fd = tcp_listen("127.0.0.1", 0, BACKLOG);
    int port = listen_fd >= 0 ? local_port(listen_fd) : -1;
    int in_use = port > 0 ? tcp_listen("127.0.0.1", (uint16_t)port, BACKLOG) : -1;
    int invalid = tcp_listen("localhost", 0, BACKLOG);
    local_port(-1);
    const char *printed = lab_capture_end();
    if (listen_fd >= 0)
        close(listen_fd);
    if (in_use >= 0)
        close(in_use);
    if (invalid >= 0)
        close(invalid);
    lab_expect(listen_fd >= 0 && port > 0 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say).",
               "a listening socket, its port, and nothing printed",
               lab_fmt("socket %d, port %d, printed %s", listen_fd, port,
                       printed[0] ? printed : "nothing"),
               "5.1");
}
