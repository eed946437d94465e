/*
 * Mutant of listen.c: tcp_listen closes the socket when bind() fails and again in the cleanup, and its cleanup does not keep errno, so the caller sees EBADF.
 */
#include "lab3.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_listen(const char *ip, uint16_t port, int backlog)
{
    struct sockaddr_in address;
    int reuse = 1;

    if (addr_from_string(ip, port, &address) == -1)
        return -1; /* errno EINVAL, from addr_from_string */

    int listen_fd = tcp_socket();
    if (listen_fd == -1)
        return -1;

    /* SO_REUSEADDR only counts if it is set before bind(). */
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) == -1)
        goto fail;
    if (bind(listen_fd, (const struct sockaddr *)&address, sizeof address) == -1) {
        close(listen_fd);
        goto fail;
    }
    if (listen(listen_fd, backlog) == -1)
        goto fail;
    return listen_fd;

fail:
    close(listen_fd);
    return -1;
}

int local_port(int fd)
{
    struct sockaddr_in address;
    socklen_t size = sizeof address;

    if (getsockname(fd, (struct sockaddr *)&address, &size) == -1)
        return -1;
    return ntohs(address.sin_port);
}
