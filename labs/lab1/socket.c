/*
 * socket.c - Lab 1: creating sockets. Your code goes here.
 *
 * The contract is in lab1.h; the handout (handouts/en/lab1.md, or
 * handouts/es/lab1.md) explains each step. Build and test with:
 *     make lab1 && make check
 */
#include "lab1.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_socket(void)
{
    /* TODO (handout 4.1):
     *   1. Call socket() with the IPv4 family (AF_INET) and the stream type
     *      (SOCK_STREAM); protocol 0 lets the system pick TCP.
     *   2. Return what socket() returned: a descriptor, or -1 with errno
     *      already set by socket(). Never print, never exit.
     */
    errno = ENOSYS;
    return -1;
}

int udp_socket(void)
{
    /* TODO (handout 4.2):
     *   1. The same as tcp_socket, with the datagram type (SOCK_DGRAM).
     */
    errno = ENOSYS;
    return -1;
}

int socket_kind(int fd, int *family, int *type)
{
    /* TODO (handout 4.3):
     *   1. Ask getsockopt() for SO_DOMAIN (level SOL_SOCKET) into a local int.
     *      getsockopt takes the option's size in a socklen_t, by pointer.
     *   2. Ask again for SO_TYPE into a second local int.
     *   3. If either call fails, return -1: errno is already EBADF or
     *      ENOTSOCK, and *family and *type must stay as they were.
     *   4. Only now store both values through the pointers, and return 0.
     */
    (void)fd;
    (void)family;
    (void)type;
    errno = ENOSYS;
    return -1;
}

int close_socket(int fd)
{
    /* TODO (handout 4.4):
     *   1. Call close(fd) and return its result (0, or -1 with errno EBADF).
     */
    (void)fd;
    errno = ENOSYS;
    return -1;
}
