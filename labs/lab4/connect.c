/*
 * connect.c - Lab 4: accept and connect. Your code goes here.
 *
 * The contract is in lab4.h; the handout (handouts/en/lab4.md, or
 * handouts/es/lab4.md) explains each step. Build and test with:
 *     make lab4 && make check
 */
#include "lab4.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_accept(int listen_fd, struct sockaddr_in *peer)
{
    /* TODO (handout 4.1, and 2.1 for what accept() gives back):
     *   1. Declare a struct sockaddr_in for the client's address and a
     *      socklen_t holding its size (sizeof). accept() reads that size to
     *      know how much room there is, then overwrites it: set it before
     *      every call.
     *   2. Call accept(listen_fd, ...), casting the address's pointer to
     *      struct sockaddr *. It waits for a client and returns a NEW
     *      descriptor, connected to that client. listen_fd stays as it was:
     *      never close it here.
     *   3. If accept() fails with errno EINTR, a signal interrupted the wait
     *      (handout 2.3): go back to step 2 (a do/while loop is the usual
     *      shape). Any other failure: return -1, errno is already set.
     *   4. On success, if peer is not NULL, copy the client's address into
     *      *peer. Return the new descriptor.
     */
    (void)listen_fd;
    (void)peer;
    errno = ENOSYS;
    return -1;
}

int tcp_connect(const char *ip, uint16_t port)
{
    /* TODO (handout 4.2, and 2.2 for what connect() does):
     *   1. Turn ip and port into a struct sockaddr_in with addr_from_string
     *      (lab 2). If it fails, return -1 at once: errno is already EINVAL.
     *   2. Create a TCP socket (tcp_socket, lab 1). If that fails, return -1.
     *   3. Call connect() on it with the address (cast to
     *      const struct sockaddr *, with its size).
     *   4. If connect() fails (ECONNREFUSED when nothing listens), close the
     *      socket, but keep connect()'s errno: save errno in a local variable
     *      before close() and put it back after, then return -1.
     *   5. On success return the socket's descriptor.
     */
    (void)ip;
    (void)port;
    errno = ENOSYS;
    return -1;
}
