/*
 * echo.c - Lab 6 reference solution: one echo session.
 *
 * The tutorial's loop, in C: receive a piece (up to 1024 bytes), stop when
 * recv says the client closed (0), otherwise send the piece back in full.
 *
 * A signal that interrupts recv ends the session (-1 with EINTR), unlike
 * labs 4 and 5, which wait again: the contract leaves echo_session's answer
 * to a signal open (lab6.h, "Signals"), and returning is what lets
 * echo_server -k stop in the middle of a session.
 */
#include "lab6.h"

#include "lab5.h"

#include <sys/socket.h>

/* The tutorial's recv(1024). make bench builds it with other sizes to show the cost. */
#ifndef ECHO_BUFFER_SIZE
#define ECHO_BUFFER_SIZE 1024
#endif

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
        if (send_all(client_fd, piece, (size_t)received) == -1)
            return -1;
        total += received;
    }
}
