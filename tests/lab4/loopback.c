/*
 * loopback.c - listeners and clients on 127.0.0.1 for lab 4's tests: see loopback.h.
 */
#include "labtest.h"

#include "loopback.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#define MAX_PORT_TRIES 8

static struct sockaddr_in loopback_any_port(void)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    return addr;
}

static void close_quietly(int fd)
{
    int saved_errno = errno;
    if (fd >= 0)
        close(fd);
    errno = saved_errno;
}

/* A TCP socket bound to 127.0.0.1 at a port the system picks; -1 with errno. */
static int bound_socket(struct sockaddr_in *addr)
{
    struct sockaddr_in any = loopback_any_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    if (bind(fd, (struct sockaddr *)&any, sizeof any) == -1 || local_address(fd, addr) == -1) {
        close_quietly(fd);
        return -1;
    }
    return fd;
}

static bool port_bytes_differ(const struct sockaddr_in *addr)
{
    uint16_t port = ntohs(addr->sin_port);
    return (port >> 8) != (port & 0xff);
}

static void expect_setup(bool ok, const char *what)
{
    lab_expect(ok, lab_fmt("Test setup (not your code): %s.", what), "it works",
               lab_fmt("it failed: %s", lab_errno_text(errno)), "5.1");
}

int loopback_listener(struct sockaddr_in *addr)
{
    int rejected[MAX_PORT_TRIES];
    int rejected_count = 0;
    int fd = -1;

    /* Keep each rejected socket open until the end, so the next bind gets another port. */
    while (rejected_count < MAX_PORT_TRIES) {
        fd = bound_socket(addr);
        if (fd == -1 || port_bytes_differ(addr))
            break;
        rejected[rejected_count++] = fd;
        fd = -1;
    }
    for (int i = 0; i < rejected_count; i++)
        close(rejected[i]);
    if (fd != -1 && listen(fd, 16) == -1) {
        close_quietly(fd);
        fd = -1;
    }
    expect_setup(fd != -1, "a socket listening on 127.0.0.1 (plain socket, bind, listen)");
    return fd;
}

int loopback_refusing_port(struct sockaddr_in *addr)
{
    int fd = bound_socket(addr);
    expect_setup(fd != -1, "a socket bound to 127.0.0.1, not listening");
    return fd;
}

int loopback_client(const struct sockaddr_in *server, struct sockaddr_in *local)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1)
        return -1;
    if (connect(fd, (const struct sockaddr *)server, sizeof *server) == -1 ||
        local_address(fd, local) == -1) {
        close_quietly(fd);
        return -1;
    }
    return fd;
}

int loopback_client_or_fail(const struct sockaddr_in *server, struct sockaddr_in *local)
{
    int fd = loopback_client(server, local);
    expect_setup(fd != -1, lab_fmt("a plain client connecting to %s", address_text(server)));
    return fd;
}

bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd waiting = {.fd = fd, .events = POLLIN};
    int ready;
    do {
        ready = poll(&waiting, 1, timeout_ms);
    } while (ready == -1 && errno == EINTR);
    return ready == 1;
}

int accept_within_deadline(int listen_fd)
{
    if (!wait_readable(listen_fd, LOOPBACK_WAIT_MS))
        return -1;
    return accept(listen_fd, NULL, NULL);
}

int local_address(int fd, struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    return getsockname(fd, (struct sockaddr *)addr, &len);
}

int peer_address(int fd, struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    return getpeername(fd, (struct sockaddr *)addr, &len);
}

bool same_address(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == AF_INET && b->sin_family == AF_INET &&
           a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

const char *address_text(const struct sockaddr_in *addr)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
    if (addr->sin_family != AF_INET)
        return lab_fmt("not an IPv4 address (sin_family %d; sin_addr %s, sin_port %u)",
                       addr->sin_family, ip, ntohs(addr->sin_port));
    return lab_fmt("%s:%u", ip, ntohs(addr->sin_port));
}

static int int_option(int fd, int option)
{
    int value = -1;
    socklen_t size = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, option, &value, &size) == -1)
        return -1;
    return value;
}

bool is_ipv4_tcp_socket(int fd)
{
    return int_option(fd, SO_DOMAIN) == AF_INET && int_option(fd, SO_TYPE) == SOCK_STREAM &&
           int_option(fd, SO_PROTOCOL) == IPPROTO_TCP;
}

const char *socket_kind_text(int fd)
{
    if (!lab_fd_is_open(fd))
        return lab_fmt("descriptor %d is not open", fd);
    int family = int_option(fd, SO_DOMAIN);
    if (family == -1)
        return lab_fmt("descriptor %d is not a socket", fd);
    return lab_fmt("%s %s protocol %d", lab_family_text(family),
                   lab_socktype_text(int_option(fd, SO_TYPE)), int_option(fd, SO_PROTOCOL));
}

bool is_listening(int fd)
{
    return int_option(fd, SO_ACCEPTCONN) == 1;
}
