/*
 * Mutant of echo.c: sends with its own loop and flags 0 instead of MSG_NOSIGNAL, so a client
 * that has gone raises SIGPIPE.
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
        if (received == -1)
            return -1; /* a reset (ECONNRESET), or interrupted by a signal (EINTR) */
        if (received == 0)
            return total; /* the client closed its side: the session is over */
        /* Exactly `received` bytes, never strlen: the data may hold zero bytes.
         * send_all sends with MSG_NOSIGNAL: a vanished client is EPIPE, not SIGPIPE. */
        for (ssize_t sent = 0; sent < received;) {
            ssize_t now = send(client_fd, piece + sent, (size_t)(received - sent), 0);
            if (now == -1)
                return -1;
            sent += now;
        }
        total += received;
    }
}
