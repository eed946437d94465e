/*
 * Mutant of echo.c: treats a recv error like the end of the session and returns the total
 * instead of -1.
 */
#include "lab6.h"

#include "lab5.h"

#include <sys/socket.h>

#define ECHO_BUFFER_SIZE 1024

ssize_t echo_session(int client_fd)
{
    char piece[ECHO_BUFFER_SIZE];
    ssize_t total = 0;

    for (;;) {
        ssize_t received = recv(client_fd, piece, sizeof piece, 0);
        if (received <= 0)
            return total; /* the client closed its side: the session is over */
        /* Exactly `received` bytes, never strlen: the data may hold zero bytes.
         * send_all sends with MSG_NOSIGNAL: a vanished client is EPIPE, not SIGPIPE. */
        if (send_all(client_fd, piece, (size_t)received) == -1)
            return -1;
        total += received;
    }
}
