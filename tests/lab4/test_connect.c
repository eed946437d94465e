/*
 * Lab 4 tests: tcp_connect (lab4.h, handout 4.2), and the rules every function
 * follows.
 *
 * Each test sets up its own listener (or refusing port) on 127.0.0.1 with plain
 * system calls (loopback.c). Every address tcp_connect is given is either
 * 127.0.0.1 or text it must reject; even the texts it must reject are chosen so
 * that a wrong parser could only ever reach 127.0.0.1, never another host.
 */
#include "labtest.h"

#include "lab4.h"
#include "loopback.h"

#include <sys/socket.h>

LAB_TEST(tcp_connect, listener_on_loopback_returns_connected_socket)
{
    struct sockaddr_in server, local, remote, client_seen_by_server;
    int listen_fd = loopback_listener(&server);
    errno = 0;
    int fd = tcp_connect("127.0.0.1", ntohs(server.sin_port));
    int err = errno;
    bool has_remote = fd >= 0 && lab_peer_address(fd, &remote) == 0;
    int server_fd = fd >= 0 ? lab_accept_within(listen_fd, LAB_WAIT_MS, NULL, NULL) : -1;
    bool peers_match = server_fd >= 0 && fd >= 0 && lab_local_address(fd, &local) == 0 &&
                       lab_peer_address(server_fd, &client_seen_by_server) == 0 &&
                       lab_same_address(&local, &client_seen_by_server);
    if (server_fd >= 0)
        close(server_fd);
    if (fd >= 0)
        close(fd);
    close(listen_fd);
    lab_expect(fd >= 0,
               lab_fmt("tcp_connect(\"127.0.0.1\", %u) with a server listening there should "
                       "return a connected socket.",
                       ntohs(server.sin_port)),
               "a descriptor (an int >= 0)",
               err == ECONNREFUSED
                   ? lab_fmt("%s: nothing listens where your code connected; is the port "
                             "converted to network order exactly once?",
                             lab_result_text(fd, err))
                   : lab_result_text(fd, err),
               "4.2");
    lab_expect(has_remote && lab_same_address(&remote, &server),
               "tcp_connect should connect to the given ip and port (the port goes into "
               "sin_port in network byte order: htons).",
               lab_fmt("a socket connected to %s", lab_address_text(&server)),
               has_remote ? lab_fmt("a socket connected to %s", lab_address_text(&remote))
                          : "a socket that is not connected",
               "4.2");
    lab_expect(peers_match,
               "The server should accept the connection tcp_connect made: the server's side "
               "sees the client at the address the client's socket has.",
               lab_fmt("a connection accepted, its peer %s", lab_address_text(&local)),
               server_fd >= 0 ? lab_fmt("a connection accepted, its peer %s",
                                        lab_address_text(&client_seen_by_server))
                              : "no connection reached the server",
               "2.2");
}

LAB_TEST(tcp_connect, returns_ipv4_tcp_socket)
{
    struct sockaddr_in server;
    int listen_fd = loopback_listener(&server);
    errno = 0;
    int fd = tcp_connect("127.0.0.1", ntohs(server.sin_port));
    int err = errno;
    bool tcp = fd >= 0 && is_ipv4_tcp_socket(fd);
    const char *kind = fd >= 0 ? socket_kind_text(fd) : lab_result_text(fd, err);
    if (fd >= 0)
        close(fd);
    close(listen_fd);
    lab_expect(tcp, "tcp_connect should return an IPv4 TCP socket (lab 1's tcp_socket).",
               lab_fmt("AF_INET SOCK_STREAM protocol %d", IPPROTO_TCP), kind, "4.2");
}

/* Checks that tcp_connect(ip, port) fails with expected_errno and leaves nothing open. */
static void expect_connect_fails(const char *ip, uint16_t port, int expected_errno,
                                 const char *description)
{
    int open_before = lab_open_fd_count();
    errno = 0;
    int fd = tcp_connect(ip, port);
    int err = errno;
    int open_after = lab_open_fd_count();
    if (fd >= 0)
        close(fd);
    const char *call = ip ? lab_fmt("tcp_connect(\"%s\", %u)", ip, port)
                          : lab_fmt("tcp_connect(NULL, %u)", port);
    lab_expect(fd == -1 && err == expected_errno,
               lab_fmt("%s should fail: %s.", call, description),
               lab_fmt("-1 with errno %s", lab_errno_text(expected_errno)),
               fd >= 0 ? lab_fmt("%d (a descriptor: the call succeeded)", fd)
                       : lab_result_text(fd, err),
               "4.2");
    lab_expect(open_after == open_before,
               lab_fmt("%s failed, so it should close the socket it made: no descriptor may "
                       "stay open.",
                       call),
               lab_fmt("%d descriptors open, as before the call", open_before),
               lab_fmt("%d descriptors open", open_after), "4.2");
}

LAB_TEST(tcp_connect, nothing_listening_fails_with_econnrefused)
{
    struct sockaddr_in refusing;
    int port_holder = lab_tcp_socket_or_fail(0, -1, 0, &refusing);
    expect_connect_fails("127.0.0.1", ntohs(refusing.sin_port), ECONNREFUSED,
                         "nothing listens on that port, so the connection is refused (and "
                         "errno must still say so after the socket is closed)");
    close(port_holder);
}

/* The texts below are not dotted quads (lab 2). A port with a server behind it
 * makes a lenient implementation visibly succeed instead of failing for another
 * reason; a wrong parser could only land on 127.0.0.1. */
static void expect_rejected_ip(const char *ip, const char *why)
{
    struct sockaddr_in server;
    int listen_fd = loopback_listener(&server);
    expect_connect_fails(ip, ntohs(server.sin_port), EINVAL, why);
    close(listen_fd);
}

LAB_TEST(tcp_connect, host_name_fails_with_einval)
{
    expect_rejected_ip("localhost", "a host name is not a dotted quad (addr_from_string "
                       "rejects it; no name lookup)");
}

LAB_TEST(tcp_connect, three_numbers_fails_with_einval)
{
    expect_rejected_ip("127.0.1", "three numbers are not a dotted quad (addr_from_string "
                       "rejects it, though inet_aton would read it as 127.0.0.1)");
}

LAB_TEST(tcp_connect, trailing_space_fails_with_einval)
{
    expect_rejected_ip("127.0.0.1 ", "text after the four numbers is not allowed "
                       "(addr_from_string rejects it)");
}

LAB_TEST(tcp_connect, null_ip_fails_with_einval)
{
    expect_rejected_ip(NULL, "there is no address (addr_from_string rejects NULL)");
}

LAB_TEST(tcp_connect, no_descriptor_left_fails_with_emfile)
{
    struct sockaddr_in server;
    int listen_fd = loopback_listener(&server);
    long previous_limit = lab_exhaust_fd_limit();
    errno = 0;
    int fd = tcp_connect("127.0.0.1", ntohs(server.sin_port));
    int err = errno;
    lab_restore_fd_limit(previous_limit);
    if (fd >= 0)
        close(fd);
    close(listen_fd);
    lab_expect_failure(fd, err, EMFILE,
                       "tcp_connect with no descriptor left (the process limit is reached) "
                       "should report socket()'s error.",
                       "4.2");
}

/* ---- rules for every function ---- */

LAB_TEST(rules, functions_print_nothing)
{
    struct sockaddr_in server, refusing;
    int listen_fd = loopback_listener(&server);
    int port_holder = lab_tcp_socket_or_fail(0, -1, 0, &refusing);
    lab_capture_begin();
    int client_fd = tcp_connect("127.0.0.1", ntohs(server.sin_port));
    int server_fd = client_fd >= 0 ? tcp_accept(listen_fd, NULL) : -1;
    int refused_fd = tcp_connect("127.0.0.1", ntohs(refusing.sin_port));
    int invalid_fd = tcp_connect("localhost", ntohs(server.sin_port));
    int bad_accept_fd = tcp_accept(port_holder, NULL);
    const char *printed = lab_capture_end();
    int fds[] = {client_fd, server_fd, refused_fd, invalid_fd, bad_accept_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0 && fds[i] != listen_fd && fds[i] != port_holder)
            close(fds[i]);
    close(port_holder);
    close(listen_fd);
    lab_expect(client_fd >= 0 && server_fd >= 0 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say).",
               "a connection made and accepted, and nothing printed",
               lab_fmt("tcp_connect %d, tcp_accept %d, printed %s", client_fd, server_fd,
                       printed[0] ? printed : "nothing"),
               "5.1");
}
