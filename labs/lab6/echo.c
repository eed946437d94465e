/*
 * echo.c - Lab 6: one echo session. Your code goes here.
 *
 * The contract is in lab6.h; the handout (handouts/en/lab6.md, or
 * handouts/es/lab6.md) explains each step. Build and test with:
 *     make lab6 && make check
 */
#include "lab6.h"

#include "lab5.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t echo_session(int client_fd)
{
    /* TODO (handout 4.1): the tutorial's `while True: data = recv(1024) ...`.
     *   1. Keep a buffer (the tutorial uses 1024 bytes) and a total of bytes
     *      echoed, starting at 0.
     *   2. In a loop, recv() into the buffer. It returns:
     *        -1: an error (the client reset the connection): return -1, errno
     *            is already set. EINTR (a signal) too: unlike labs 4 and 5,
     *            do not wait again, so echo_server -k can stop (lab6.h);
     *         0: the client closed its side: return the total;
     *         n: n bytes arrived (maybe fewer than you asked for).
     *   3. Send those n bytes back with send_all (lab 5): exactly n, never
     *      strlen (the data may contain zero bytes). send_all uses
     *      MSG_NOSIGNAL, so a vanished client is an error, not a SIGPIPE.
     *      If it fails, return -1.
     *   4. Add n to the total and go round again.
     *   Never close client_fd: the caller owns it.
     */
    (void)client_fd;
    errno = ENOSYS;
    return -1;
}
