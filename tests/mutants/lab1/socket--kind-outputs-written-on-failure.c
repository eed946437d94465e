/*
 * Mutant of socket.c: socket_kind stores straight through the pointers, so a failure leaves them changed.
 */
#include "lab1.h"

#include <sys/socket.h>
#include <unistd.h>

int tcp_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0);
}

int udp_socket(void)
{
    return socket(AF_INET, SOCK_DGRAM, 0);
}

/* Reads one int-valued SOL_SOCKET option. Returns 0, or -1 with errno. */
static int socket_int_option(int fd, int option, int *value)
{
    socklen_t size = sizeof *value;
    return getsockopt(fd, SOL_SOCKET, option, value, &size);
}

int socket_kind(int fd, int *family, int *type)
{
    *family = -1;
    *type = -1;
    if (socket_int_option(fd, SO_DOMAIN, family) == -1)
        return -1;
    return socket_int_option(fd, SO_TYPE, type);
}

int close_socket(int fd)
{
    return close(fd);
}
