/*
 * loopback.c - listeners and clients on 127.0.0.1 for lab 4's tests: see loopback.h.
 */
#include "labtest.h"

#include "loopback.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define MAX_PORT_TRIES 8
#define LISTEN_BACKLOG 16

static bool port_bytes_differ(const struct sockaddr_in *addr)
{
    uint16_t port = ntohs(addr->sin_port);
    return (port >> 8) != (port & 0xff);
}

int loopback_listener(struct sockaddr_in *addr)
{
    int rejected[MAX_PORT_TRIES];
    int rejected_count = 0;
    int fd = -1;

    /* Keep each rejected socket open until the end, so the next bind gets another port. */
    while (rejected_count < MAX_PORT_TRIES) {
        fd = lab_tcp_socket_or_fail(0, -1, 0, addr);
        if (port_bytes_differ(addr))
            break;
        rejected[rejected_count++] = fd;
        fd = -1;
    }
    for (int i = 0; i < rejected_count; i++)
        close(rejected[i]);
    errno = EADDRINUSE;
    lab_require(fd != -1, "a port on 127.0.0.1 whose two bytes differ");
    lab_require(listen(fd, LISTEN_BACKLOG) == 0, "listen() on the test's socket on 127.0.0.1");
    return fd;
}

int loopback_client(const struct sockaddr_in *server, struct sockaddr_in *local)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (connect(fd, (const struct sockaddr *)server, sizeof *server) == -1 ||
        lab_local_address(fd, local) == -1) {
        lab_close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

int loopback_client_or_fail(const struct sockaddr_in *server, struct sockaddr_in *local)
{
    int fd = loopback_client(server, local);
    lab_require(fd != -1, lab_fmt("a plain client connecting to %s", lab_address_text(server)));
    return fd;
}

bool is_ipv4_tcp_socket(int fd)
{
    return lab_int_option(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET &&
           lab_int_option(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM &&
           lab_int_option(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP;
}

const char *socket_kind_text(int fd)
{
    if (!lab_fd_is_open(fd))
        return lab_fmt("descriptor %d is not open", fd);
    int family = lab_int_option(fd, SOL_SOCKET, SO_DOMAIN);
    if (family == -1)
        return lab_fmt("descriptor %d is not a socket", fd);
    return lab_fmt("%s %s protocol %d", lab_family_text(family),
                   lab_socktype_text(lab_int_option(fd, SOL_SOCKET, SO_TYPE)),
                   lab_int_option(fd, SOL_SOCKET, SO_PROTOCOL));
}

bool is_listening(int fd)
{
    return lab_int_option(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
}
