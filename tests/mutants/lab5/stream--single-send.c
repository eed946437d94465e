/*
 * Mutant of stream.c: send_all calls send() once and trusts it to send everything.
 */
#include "lab5.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t send_all(int fd, const void *buf, size_t len)
{
    return send(fd, buf, len, MSG_NOSIGNAL);
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
