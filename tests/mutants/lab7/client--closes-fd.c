/*
 * Mutant of client.c: closes the connection once the echo is in, though the caller owns it.
 */
#include "lab7.h"

#include "lab5.h"

#include <unistd.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    if (send_all(fd, msg, len) == -1)
        return -1;
    ssize_t received = recv_all(fd, reply, len);
    close(fd);
    return received;
}
