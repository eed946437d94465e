/*
 * Mutant of client.c: reports a failed send as an empty echo (returns 0, not -1).
 */
#include "lab7.h"

#include "lab5.h"

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    if (send_all(fd, msg, len) == -1)
        return 0;
    return recv_all(fd, reply, len);
}
