/*
 * Mutant of client.c: receives the echo with one recv() of 1024 bytes, as the tutorial does.
 */
#include "lab7.h"

#include "lab5.h"

#include <sys/socket.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    if (send_all(fd, msg, len) == -1)
        return -1;
    if (len == 0)
        return 0;
    return recv(fd, reply, len < 1024 ? len : 1024, 0);
}
