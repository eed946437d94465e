/*
 * Lab 1 tests: creating sockets (lab1.h).
 *
 * Every check compares the student's answer with what the kernel says about
 * the same descriptor, so any correct implementation passes.
 */
#include "labtest.h"

#include "lab1.h"
#include "labnet.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SENTINEL_FAMILY 12345
#define SENTINEL_TYPE 67890

/* What the kernel says about a socket: family, type and protocol. */
struct kernel_view {
    int family;
    int type;
    int protocol;
};

static struct kernel_view kernel_view_of(int fd)
{
    struct kernel_view view = {lab_int_option(fd, SOL_SOCKET, SO_DOMAIN),
                               lab_int_option(fd, SOL_SOCKET, SO_TYPE),
                               lab_int_option(fd, SOL_SOCKET, SO_PROTOCOL)};
    return view;
}

/* Checks that a fresh descriptor is an IPv4 socket of the given type and protocol. */
static void expect_ipv4_socket(int fd, int err, const char *call, int type, int protocol,
                               const char *protocol_name, const char *section)
{
    lab_expect_descriptor(fd, err, lab_fmt("%s should return a new descriptor.", call), section);
    struct kernel_view view = kernel_view_of(fd);
    close(fd);
    lab_expect(view.family == AF_INET,
               lab_fmt("%s should create an IPv4 socket.", call), "AF_INET",
               lab_family_text(view.family), "2.1");
    lab_expect(view.type == type, lab_fmt("%s should create a %s socket.", call, protocol_name),
               lab_socktype_text(type), lab_socktype_text(view.type), "2.2");
    lab_expect(view.protocol == protocol,
               lab_fmt("%s should create a %s socket (protocol 0 picks it).", call, protocol_name),
               lab_fmt("protocol %d", protocol), lab_fmt("protocol %d", view.protocol), "2.2");
}

/* Checks that `create` fails with EMFILE, leaving nothing open, once no descriptor is left. */
static void expect_emfile(int (*create)(void), const char *call, const char *section)
{
    long previous_limit = lab_exhaust_fd_limit();
    errno = 0;
    int fd = create();
    int err = errno;
    lab_restore_fd_limit(previous_limit);
    if (fd >= 0)
        close(fd);
    lab_expect_failure(fd, err, EMFILE,
                       lab_fmt("%s with no descriptor left (the process limit is reached) "
                               "should report socket()'s error.",
                               call),
                       section);
}

/* ---- tcp_socket ---- */

LAB_TEST(tcp_socket, returns_ipv4_tcp_socket)
{
    errno = 0;
    int fd = tcp_socket();
    expect_ipv4_socket(fd, errno, "tcp_socket()", SOCK_STREAM, IPPROTO_TCP, "TCP (SOCK_STREAM)",
                       "4.1");
}

LAB_TEST(tcp_socket, twice_returns_two_distinct_descriptors)
{
    int first = tcp_socket();
    int second = tcp_socket();
    if (first >= 0)
        close(first);
    if (second >= 0 && second != first)
        close(second);
    lab_expect(first >= 0 && second >= 0 && first != second,
               "Two calls to tcp_socket() should create two sockets.",
               "two different descriptors", lab_fmt("%d and %d", first, second), "4.1");
}

LAB_TEST(tcp_socket, no_descriptor_left_fails_with_emfile)
{
    expect_emfile(tcp_socket, "tcp_socket()", "4.1");
}

/* ---- udp_socket ---- */

LAB_TEST(udp_socket, returns_ipv4_udp_socket)
{
    errno = 0;
    int fd = udp_socket();
    expect_ipv4_socket(fd, errno, "udp_socket()", SOCK_DGRAM, IPPROTO_UDP, "UDP (SOCK_DGRAM)",
                       "4.2");
}

LAB_TEST(udp_socket, no_descriptor_left_fails_with_emfile)
{
    expect_emfile(udp_socket, "udp_socket()", "4.2");
}

/* ---- socket_kind ---- */

/* Calls socket_kind on fd and checks it reports what the kernel reports. */
static void expect_kind_matches_kernel(int fd, const char *description)
{
    struct kernel_view view = kernel_view_of(fd);
    int family = SENTINEL_FAMILY;
    int type = SENTINEL_TYPE;
    errno = 0;
    int result = socket_kind(fd, &family, &type);
    int err = errno;
    close(fd);
    lab_expect(result == 0, lab_fmt("socket_kind() on %s should succeed.", description), "0",
               lab_result_text(result, err), "4.3");
    lab_expect(family == view.family,
               lab_fmt("socket_kind() on %s should store the family (SO_DOMAIN).", description),
               lab_family_text(view.family), lab_family_text(family), "4.3");
    lab_expect(type == view.type,
               lab_fmt("socket_kind() on %s should store the type (SO_TYPE).", description),
               lab_socktype_text(view.type), lab_socktype_text(type), "4.3");
}

LAB_TEST(socket_kind, tcp_socket_reports_af_inet_stream)
{
    expect_kind_matches_kernel(socket(AF_INET, SOCK_STREAM, 0), "an IPv4 TCP socket");
}

LAB_TEST(socket_kind, udp_socket_reports_af_inet_dgram)
{
    expect_kind_matches_kernel(socket(AF_INET, SOCK_DGRAM, 0), "an IPv4 UDP socket");
}

LAB_TEST(socket_kind, other_family_reports_it)
{
    expect_kind_matches_kernel(socket(AF_UNIX, SOCK_DGRAM, 0), "a Unix-domain datagram socket");
}

/* Calls socket_kind on something that is not a socket and checks the failure. */
static void expect_kind_fails(int fd, int expected_errno, const char *description)
{
    int family = SENTINEL_FAMILY;
    int type = SENTINEL_TYPE;
    errno = 0;
    int result = socket_kind(fd, &family, &type);
    int err = errno;
    lab_expect_failure(result, err, expected_errno,
                       lab_fmt("socket_kind() on %s should fail.", description), "4.3");
    lab_expect(family == SENTINEL_FAMILY && type == SENTINEL_TYPE,
               lab_fmt("socket_kind() on %s failed, so it should leave *family and *type "
                       "unchanged.",
                       description),
               lab_fmt("family %d and type %d (what they held before)", SENTINEL_FAMILY,
                       SENTINEL_TYPE),
               lab_fmt("family %d and type %d", family, type), "4.3");
}

LAB_TEST(socket_kind, closed_descriptor_fails_with_ebadf_outputs_unchanged)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    expect_kind_fails(fd, EBADF, "a descriptor that is not open");
}

LAB_TEST(socket_kind, regular_file_fails_with_enotsock_outputs_unchanged)
{
    int fd = open("/dev/null", O_RDONLY);
    expect_kind_fails(fd, ENOTSOCK, "/dev/null (open, but not a socket)");
    close(fd);
}

LAB_TEST(socket_kind, leaves_descriptor_open)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int family, type;
    errno = 0;
    int result = socket_kind(fd, &family, &type);
    int err = errno;
    bool still_open = lab_fd_is_open(fd);
    close(fd);
    lab_expect(result == 0 && still_open,
               "socket_kind() only looks at the socket: it succeeds and must not close it.",
               "0, and the descriptor still open after the call",
               lab_fmt("%s, and the descriptor %s", lab_result_text(result, err),
                       still_open ? "still open" : "closed"),
               "4.3");
}

/* ---- close_socket ---- */

LAB_TEST(close_socket, open_socket_is_closed_and_returns_zero)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    int result = close_socket(fd);
    int err = errno;
    bool still_open = lab_fd_is_open(fd);
    if (still_open)
        close(fd);
    lab_expect(result == 0, "close_socket() on an open socket should return 0.", "0",
               lab_result_text(result, err), "4.4");
    lab_expect(!still_open, "close_socket() should close the descriptor.",
               "the descriptor closed", "it is still open", "4.4");
}

LAB_TEST(close_socket, not_open_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    errno = 0;
    int result = close_socket(fd);
    lab_expect_failure(result, errno, EBADF,
                       "close_socket() on a descriptor that is not open should fail.", "4.4");
}

/* ---- rules for every function ---- */

LAB_TEST(rules, functions_print_nothing)
{
    int family, type;
    lab_capture_begin();
    int tcp_fd = tcp_socket();
    int udp_fd = udp_socket();
    socket_kind(-1, &family, &type);
    close_socket(-1);
    const char *printed = lab_capture_end();
    if (tcp_fd >= 0)
        close(tcp_fd);
    if (udp_fd >= 0)
        close(udp_fd);
    lab_expect(tcp_fd >= 0 && udp_fd >= 0 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say).",
               "two sockets created and nothing printed",
               lab_fmt("sockets %d and %d, printed %s", tcp_fd, udp_fd,
                       printed[0] ? printed : "nothing"),
               "5.1");
}
