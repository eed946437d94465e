/*
 * Mutant of listen.c: tcp_listen checks ip but then binds INADDR_ANY (every address) instead of it.
 */
#include "lab3.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Closes fd without letting close() change errno, which still describes the
 * call that failed before it. */
static void close_keeping_errno(int fd)
{
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
}

int tcp_listen(const char *ip, uint16_t port, int backlog)
{
    struct sockaddr_in address;
    int reuse = 1;

    if (addr_from_string(ip, port, &address) == -1)
        return -1; /* errno EINVAL, from addr_from_string */

    address.sin_addr.s_addr = htonl(INADDR_ANY); /* accept clients from anywhere */

    int listen_fd = tcp_socket();
    if (listen_fd == -1)
        return -1;

    /* SO_REUSEADDR only counts if it is set before bind(). */
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) == -1)
        goto fail;
    if (bind(listen_fd, (const struct sockaddr *)&address, sizeof address) == -1)
        goto fail;
    if (listen(listen_fd, backlog) == -1)
        goto fail;
    return listen_fd;

fail:
    close_keeping_errno(listen_fd);
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
