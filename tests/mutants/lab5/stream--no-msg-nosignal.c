/*
 * Mutant of stream.c: send_all calls send() with flags 0, so a peer that has gone raises SIGPIPE and kills the process.
 */
#include "lab5.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t send_all(int fd, const void *buf, size_t len)
{
    const char *next = buf;
    size_t left = len;

    while (left > 0) {
        ssize_t sent = send(fd, next, left, 0);
        if (sent == -1) {
            if (errno == EINTR)
                continue; /* interrupted before sending anything: try again */
            return -1;
        }
        next += sent; /* a short write: the rest goes in the next round */
        left -= (size_t)sent;
    }
    return (ssize_t)len;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    char *next = buf;
    size_t left = len;

    while (left > 0) {
        ssize_t received = recv(fd, next, left, 0);
        if (received == -1) {
            if (errno == EINTR)
                continue; /* interrupted before anything arrived: wait again */
            return -1;
        }
        if (received == 0)
            break; /* the peer closed: return what arrived so far */
        next += received;
        left -= (size_t)received;
    }
    return (ssize_t)(len - left);
}
