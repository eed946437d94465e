/*
 * Mutant of echo.c: closes client_fd before returning, although the caller owns it.
 */
#include "lab6.h"

#include "lab5.h"

#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUFFER_SIZE 1024

ssize_t echo_session(int client_fd)
{
    char piece[ECHO_BUFFER_SIZE];
    ssize_t total = 0;

    for (;;) {
        ssize_t received = recv(client_fd, piece, sizeof piece, 0);
        if (received == -1)
            return -1; /* a reset (ECONNRESET), or interrupted by a signal (EINTR) */
        if (received == 0)
        {
            close(client_fd);
            return total;
        }
        /* Exactly `received` bytes, never strlen: the data may hold zero bytes.
         * send_all sends with MSG_NOSIGNAL: a vanished client is EPIPE, not SIGPIPE. */
        if (send_all(client_fd, piece, (size_t)received) == -1)
            return -1;
        total += received;
    }
}
