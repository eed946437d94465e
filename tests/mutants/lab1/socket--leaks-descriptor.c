/*
 * Mutant of socket.c: udp_socket calls socket() twice (a copy-paste slip) and leaks the first descriptor.
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
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd == -1)
        return -1;
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    return fd;
}

/* Reads one int-valued SOL_SOCKET option. Returns 0, or -1 with errno. */
static int socket_int_option(int fd, int option, int *value)
{
    socklen_t size = sizeof *value;
    return getsockopt(fd, SOL_SOCKET, option, value, &size);
}

int socket_kind(int fd, int *family, int *type)
{
    int found_family;
    int found_type;

    if (socket_int_option(fd, SO_DOMAIN, &found_family) == -1)
        return -1;
    if (socket_int_option(fd, SO_TYPE, &found_type) == -1)
        return -1;
    *family = found_family;
    *type = found_type;
    return 0;
}

int close_socket(int fd)
{
    return close(fd);
}
