/*
 * listen.c - Lab 3: bind and listen. Your code goes here.
 *
 * The contract is in lab3.h; the handout (handouts/en/lab3.md, or
 * handouts/es/lab3.md) explains each step. Build and test with:
 *     make lab3 && make check
 *
 * This lab uses your work of labs 1 and 2: tcp_socket (lab1.h) and
 * addr_from_string (lab2.h).
 */
#include "lab3.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_listen(const char *ip, uint16_t port, int backlog)
{
    /* TODO (handout 4.1; the ideas are in 2.1, 2.2 and 2.3):
     *   1. Turn ip and port into a struct sockaddr_in with addr_from_string.
     *      If it fails, return -1: errno is already EINVAL. Do this first,
     *      before any socket exists, so there is nothing to clean up.
     *   2. Create the socket with tcp_socket(). If it fails, return -1.
     *   3. Set SO_REUSEADDR: an int holding 1, given to setsockopt() at level
     *      SOL_SOCKET. It must come BEFORE bind(), or it has no effect on the
     *      bind (handout 2.3).
     *   4. bind() the socket to the address of step 1 (cast its pointer to
     *      struct sockaddr *, and pass sizeof the struct).
     *   5. listen() on it with backlog.
     *   6. If step 3, 4 or 5 fails: close the socket, but keep errno as the
     *      failed call left it (close() may change errno: save it in an int
     *      before, put it back after), and return -1. One cleanup path at the
     *      end of the function (a `goto fail;`) keeps this in one place.
     *   7. Return the descriptor. Never print, never exit.
     */
    (void)ip;
    (void)port;
    (void)backlog;
    errno = ENOSYS;
    return -1;
}

int local_port(int fd)
{
    /* TODO (handout 4.2):
     *   1. Declare a struct sockaddr_in and a socklen_t holding its size.
     *   2. Call getsockname(fd, ...) with a pointer to each. If it fails,
     *      return -1: errno is already EBADF or ENOTSOCK.
     *   3. Return the sin_port field converted to host order with ntohs().
     *      Do not close fd.
     */
    (void)fd;
    errno = ENOSYS;
    return -1;
}
