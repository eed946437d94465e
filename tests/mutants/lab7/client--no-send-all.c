/*
 * Mutant of client.c: sends the message with a single send(), ignoring a short write.
 */
#include "lab7.h"

#include "lab5.h"

#include <sys/socket.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    if (send(fd, msg, len, MSG_NOSIGNAL) == -1)
        return -1;
    return recv_all(fd, reply, len);
}
