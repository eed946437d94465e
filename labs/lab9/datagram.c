/*
 * datagram.c - Lab 9: datagrams (UDP). Your code goes here.
 *
 * The contract is in lab9.h; the handout (handouts/en/lab9.md, or
 * handouts/es/lab9.md) explains each step. Build and test with:
 *     make lab9 && make check
 */
#include "lab9.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int udp_bind(const char *ip, uint16_t port)
{
    /* TODO (handout 4.1): lab 3's tcp_listen without listen() and without
     * SO_REUSEADDR.
     *   1. Build the address with addr_from_string(ip, port, &address). If it
     *      fails, return -1 (errno is EINVAL) BEFORE creating any socket.
     *   2. Create the socket with udp_socket (lab 1). If it fails, return -1.
     *   3. bind() it to the address. Set no option: SO_REUSEADDR would let a
     *      second UDP socket bind the same port (handout 2.5).
     *   4. If bind fails, close the socket without losing errno (save errno,
     *      close, restore errno) and return -1. Otherwise return the socket.
     */
    (void)ip;
    (void)port;
    errno = ENOSYS;
    return -1;
}

ssize_t udp_echo_one(int fd, struct sockaddr_in *peer)
{
    /* TODO (handout 4.2): the tutorial's recv + sendall, for datagrams.
     *   1. A buffer of UDP_MAX_DATAGRAM bytes: a datagram longer than the
     *      buffer is cut, and the rest is lost for ever (handout 2.2).
     *   2. recvfrom(fd, buffer, sizeof buffer, 0, &sender, &sender_size): not
     *      recv, which forgets who sent the datagram. It returns:
     *        -1: return -1 (errno says why: EBADF, ENOTSOCK, EINTR...); do
     *            not wait again after EINTR, the caller decides;
     *        n:  a datagram of n bytes. n may be 0: an empty datagram is a
     *            datagram, not an end (handout 2.1). Echo it too.
     *   3. sendto(fd, buffer, n, MSG_NOSIGNAL, &sender, sender_size): the
     *      echo goes back to the address it came from. Never connect fd.
     *      If sendto fails, return -1.
     *   4. If peer is not NULL, copy the sender's address into *peer.
     *      Return n.
     */
    (void)fd;
    (void)peer;
    errno = ENOSYS;
    return -1;
}

ssize_t udp_request(int fd, const struct sockaddr_in *server, const void *msg, size_t len,
                    void *reply, size_t size, int timeout_ms, int tries)
{
    /* TODO (handout 4.3): ask, wait a while, ask again.
     *   1. Check the arguments before sending anything: tries below 1,
     *      timeout_ms below 0, len above UDP_MAX_DATAGRAM, server NULL or
     *      not AF_INET, msg NULL with len above 0, reply NULL with size above
     *      0: set errno to EINVAL and return -1.
     *   2. For each of the `tries` tries:
     *      a. sendto(fd, msg, len, MSG_NOSIGNAL, server, sizeof *server).
     *         Never connect fd. If sendto fails, return -1.
     *      b. Right after the send, fix this try's deadline: now +
     *         timeout_ms (clock_gettime(CLOCK_MONOTONIC, ...)).
     *      c. Until the deadline: poll() fd for POLLIN with the time LEFT
     *         (deadline - now; 0 when it has passed). poll returning 0: the
     *         deadline passed, go to the next try. -1 with EINTR: poll
     *         again with the time left.
     *      d. When poll says readable: recvfrom(fd, reply, size,
     *         MSG_DONTWAIT | MSG_TRUNC, &from, &from_size). MSG_DONTWAIT
     *         never blocks and leaves the fd's flags alone; MSG_TRUNC makes
     *         it return the datagram's REAL length, even when it is longer
     *         than size. -1 with EAGAIN: back to c.
     *      e. A datagram whose source (address AND port) is not the
     *         server's: ignore it and go back to c, keeping the same
     *         deadline (a stranger must not give you more time).
     *      f. From the server: if its length is above size, set errno to
     *         EMSGSIZE and return -1 (its first size bytes are in reply);
     *         otherwise return its length.
     *   3. After the last try: set errno to ETIMEDOUT and return -1.
     */
    (void)fd;
    (void)server;
    (void)msg;
    (void)len;
    (void)reply;
    (void)size;
    (void)timeout_ms;
    (void)tries;
    errno = ENOSYS;
    return -1;
}
