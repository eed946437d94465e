/*
 * Mutant of client.c: receives until the server closes (the tutorial's server loop), not len bytes.
 */
#include "lab7.h"

#include "lab5.h"

#include <string.h>
#include <sys/socket.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    char chunk[1024];
    size_t received = 0;

    if (send_all(fd, msg, len) == -1)
        return -1;
    for (;;) {
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got == -1)
            return -1;
        if (got == 0)
            return (ssize_t)received;
        size_t room = len - received;
        size_t kept = (size_t)got < room ? (size_t)got : room;
        memcpy((char *)reply + received, chunk, kept);
        received += kept;
    }
}
