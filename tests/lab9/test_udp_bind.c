/*
 * Lab 9 tests, part 1: udp_bind (lab9.h, handout section 4.1).
 *
 * Each test binds on 127.0.0.1 with port 0 (or a port another socket of the
 * test holds) and reads back what the kernel made of the socket.
 */
#include "labtest.h"

#include "lab9.h"
#include "labnet.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define SECTION "4.1"

LAB_TEST(udp_bind, port_0_gives_a_bound_ipv4_udp_socket)
{
    errno = 0;
    int fd = udp_bind("127.0.0.1", 0);
    int err = errno;
    lab_expect_success(fd, err, "udp_bind(\"127.0.0.1\", 0) should return a new socket.",
                       "a descriptor", SECTION);
    int type = lab_int_option(fd, SOL_SOCKET, SO_TYPE);
    int family = lab_int_option(fd, SOL_SOCKET, SO_DOMAIN);
    struct sockaddr_in bound = test_local_address(fd);
    close(fd);
    lab_expect(type == SOCK_DGRAM && family == AF_INET,
               "udp_bind should make an IPv4 UDP socket (udp_socket from lab 1).",
               "AF_INET, SOCK_DGRAM",
               lab_fmt("%s, %s", lab_family_text(family), lab_socktype_text(type)), SECTION);
    lab_expect(bound.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && bound.sin_port != 0,
               "udp_bind(\"127.0.0.1\", 0) should bind the socket to 127.0.0.1 and a port the "
               "system picks (getsockname shows where it is bound).",
               "127.0.0.1:PORT with PORT above 0", lab_address_text(&bound), SECTION);
}

LAB_TEST(udp_bind, binds_the_port_asked_for_and_receives_there)
{
    /* Learn a free port from a socket of the test, free it, and ask for it. */
    int probe = test_udp_socket();
    struct sockaddr_in wanted = test_local_address(probe);
    close(probe);
    errno = 0;
    int fd = udp_bind("127.0.0.1", ntohs(wanted.sin_port));
    int err = errno;
    lab_expect_success(fd, err,
                       lab_fmt("udp_bind(\"127.0.0.1\", %u) should bind that port (it is free).",
                               (unsigned)ntohs(wanted.sin_port)),
                       "a descriptor", SECTION);
    struct sockaddr_in bound = test_local_address(fd);
    int sender = test_udp_socket();
    test_send_datagram(sender, &wanted, "here?", 5);
    char got[8];
    long len = test_receive_datagram(fd, got, sizeof got, lab_deadline_ms(2000), NULL);
    close(sender);
    close(fd);
    lab_expect(bound.sin_port == wanted.sin_port,
               "udp_bind should bind the port it is given (in host order: htons goes in "
               "addr_from_string).",
               lab_fmt("port %u", (unsigned)ntohs(wanted.sin_port)),
               lab_fmt("port %u", (unsigned)ntohs(bound.sin_port)), SECTION);
    lab_expect(len == 5 && memcmp(got, "here?", 5) == 0,
               "A datagram sent to the bound address should arrive on the socket.",
               "\"here?\"", len < 0 ? "nothing within 2 s" : lab_bytes_text(got, (size_t)len, 8),
               SECTION);
}

LAB_TEST(udp_bind, sets_no_so_reuseaddr)
{
    int fd = udp_bind("127.0.0.1", 0);
    int err = errno;
    lab_expect_success(fd, err, "udp_bind(\"127.0.0.1\", 0) should succeed.", "a descriptor",
                       SECTION);
    int reuse = lab_int_option(fd, SOL_SOCKET, SO_REUSEADDR);
    close(fd);
    lab_expect(reuse == 0,
               "udp_bind must set no socket option: SO_REUSEADDR on a UDP socket lets another "
               "socket bind the same port and share its datagrams (handout 2.5).",
               "SO_REUSEADDR 0", lab_fmt("SO_REUSEADDR %d", reuse), SECTION);
}

LAB_TEST(udp_bind, same_port_twice_fails_with_eaddrinuse)
{
    int first = udp_bind("127.0.0.1", 0);
    int err = errno;
    lab_expect_success(first, err, "udp_bind(\"127.0.0.1\", 0) should succeed.", "a descriptor",
                       SECTION);
    uint16_t port = ntohs(test_local_address(first).sin_port);
    int before = lab_open_fd_count();
    errno = 0;
    int second = udp_bind("127.0.0.1", port);
    err = errno;
    int after = lab_open_fd_count();
    if (second != -1)
        close(second);
    close(first);
    lab_expect_failure(second, err, EADDRINUSE,
                       lab_fmt("A second udp_bind on port %u, which the first udp_bind holds, "
                               "should fail: two UDP sockets may share a port only when both "
                               "set SO_REUSEADDR, and udp_bind sets no option.",
                               (unsigned)port),
                       SECTION);
    lab_expect(after == before, "After a failed udp_bind no new descriptor may stay open.",
               lab_fmt("%d open descriptors", before), lab_fmt("%d", after), SECTION);
}

LAB_TEST(udp_bind, port_held_by_another_socket_fails_with_eaddrinuse)
{
    int holder = test_udp_socket();
    uint16_t port = ntohs(test_local_address(holder).sin_port);
    int before = lab_open_fd_count();
    errno = 0;
    int fd = udp_bind("127.0.0.1", port);
    int err = errno;
    int after = lab_open_fd_count();
    if (fd != -1)
        close(fd);
    close(holder);
    lab_expect_failure(fd, err, EADDRINUSE,
                       lab_fmt("udp_bind on port %u, held by another UDP socket, should fail.",
                               (unsigned)port),
                       SECTION);
    lab_expect(after == before,
               "After a failed bind udp_bind must close the socket it made (errno kept).",
               lab_fmt("%d open descriptors", before), lab_fmt("%d", after), SECTION);
}

LAB_TEST(udp_bind, bad_ip_fails_with_einval_before_opening_anything)
{
    static const char *const bad[] = {"localhost", "256.1.1.1", "1.2.3", ""};
    /* With no descriptor left, a socket() made before checking the ip would
     * fail with EMFILE instead. */
    long previous = lab_exhaust_fd_limit();
    int results[4], errs[4];
    for (int i = 0; i < 4; i++) {
        errno = 0;
        results[i] = udp_bind(bad[i], 0);
        errs[i] = errno;
    }
    errno = 0;
    int null_result = udp_bind(NULL, 0);
    int null_err = errno;
    lab_restore_fd_limit(previous);
    for (int i = 0; i < 4; i++) {
        if (results[i] != -1)
            close(results[i]);
        lab_expect_failure(results[i], errs[i], EINVAL,
                           lab_fmt("udp_bind(\"%s\", 0): addr_from_string rejects the ip, and "
                                   "that is checked before any socket is created.",
                                   bad[i]),
                           SECTION);
    }
    if (null_result != -1)
        close(null_result);
    lab_expect_failure(null_result, null_err, EINVAL, "udp_bind(NULL, 0) should fail.", SECTION);
}

LAB_TEST(udp_bind, out_of_descriptors_fails_with_emfile)
{
    long previous = lab_exhaust_fd_limit();
    errno = 0;
    int fd = udp_bind("127.0.0.1", 0);
    int err = errno;
    lab_restore_fd_limit(previous);
    if (fd != -1)
        close(fd);
    lab_expect_failure(fd, err, EMFILE,
                       "With no descriptor left, udp_bind should fail with socket()'s errno.",
                       SECTION);
}

/* udp_bind(ip, port) should fail as bind did for the test's own socket. */
static void expect_bind_fails_like_kernel(const char *ip, uint16_t port, int kernel_err,
                                          const char *situation)
{
    errno = 0;
    int fd = udp_bind(ip, port);
    int err = errno;
    if (fd != -1)
        close(fd);
    lab_expect_failure(fd, err, kernel_err,
                       lab_fmt("udp_bind(\"%s\", %u): %s, so bind fails; udp_bind should "
                               "fail with bind's errno.",
                               ip, (unsigned)port, situation),
                       SECTION);
}

LAB_TEST_SKIPPABLE(udp_bind, address_not_of_this_host_fails_like_bind)
{
    /* 192.0.2.1 is TEST-NET-1: documentation only, never an address of a host. */
    int kernel_err = lab_bind_errno(SOCK_DGRAM, "192.0.2.1", 0);
    if (kernel_err == 0)
        lab_skip("this machine lets a socket bind 192.0.2.1 (ip_nonlocal_bind?), so the "
                 "failure cannot be arranged here");
    expect_bind_fails_like_kernel("192.0.2.1", 0, kernel_err,
                                  "192.0.2.1 is not an address of this host");
}

LAB_TEST_SKIPPABLE(udp_bind, privileged_port_fails_like_bind)
{
    int kernel_err = lab_bind_errno(SOCK_DGRAM, "127.0.0.1", 1);
    if (kernel_err == 0)
        lab_skip("this test runs with the privilege to bind port 1 (as root, or with "
                 "ip_unprivileged_port_start at 0), so EACCES cannot be arranged here");
    expect_bind_fails_like_kernel("127.0.0.1", 1, kernel_err,
                                  "port 1 is below 1024 and the test has no privilege for it");
}
