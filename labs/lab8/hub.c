/*
 * hub.c - Lab 8: the hub, many clients at once. Your code goes here.
 *
 * The contract is in lab8.h; the handout (handouts/en/lab8.md, or
 * handouts/es/lab8.md) explains each step and draws the loop. Build and
 * test with:
 *     make lab8 && make check
 *
 * Every helper you add must be `static`: this file may define only the four
 * functions of lab8.h.
 */
#define _GNU_SOURCE /* accept4 and SOCK_NONBLOCK, if you use them */

#include "lab8.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TODO (handout 4.1): what the hub remembers. For example:
 *   struct client { int fd; bool closed_its_side; size_t pending;
 *                   char buf[HUB_MAX_PENDING]; };
 * and in struct echo_hub: the listening descriptor, the number of clients,
 * an array of HUB_MAX_CLIENTS client pointers, and an array of
 * 1 + HUB_MAX_CLIENTS struct pollfd for poll(). */
struct echo_hub {
    int listen_fd;
};

struct echo_hub *hub_create(int listen_fd)
{
    /* TODO (handout 4.1):
     *   1. Check listen_fd: getsockopt SO_TYPE (fails with EBADF or
     *      ENOTSOCK for you) must be SOCK_STREAM, and getsockopt
     *      SO_ACCEPTCONN must be 1 (it listens); otherwise errno = EINVAL,
     *      return NULL.
     *   2. Make it non-blocking (fcntl F_GETFL, then F_SETFL with
     *      O_NONBLOCK): accepting "every waiting connection" must end with
     *      EAGAIN, never with a wait.
     *   3. calloc the hub (NULL: return NULL, errno is ENOMEM), store
     *      listen_fd, no clients yet. Accept nothing here.
     */
    (void)listen_fd;
    errno = ENOSYS;
    return NULL;
}

int hub_step(struct echo_hub *hub, int timeout_ms)
{
    /* TODO (handout 4.2, the loop of 2.3):
     *   1. NULL hub: errno = EINVAL, return -1.
     *   2. Fill the pollfd array: the listener (events POLLIN) only while
     *      fewer than HUB_MAX_CLIENTS are connected (fd -1 makes poll skip
     *      it); then each client with
     *          POLLIN  if it has not closed its side and its room is not
     *                  full (pending < HUB_MAX_PENDING): backpressure, 2.4;
     *          POLLOUT if some of its echo is pending.
     *   3. poll(fds, n, timeout_ms). -1: return -1 (EINTR included: the
     *      caller decides, 2.6).
     *   4. For each client with revents != 0 (go from the last to the first,
     *      so that removing one is easy):
     *        - if revents has POLLIN, POLLHUP or POLLERR: recv into the free
     *          room (buf + pending, HUB_MAX_PENDING - pending) until EAGAIN,
     *          the room is full, or recv returns 0 (the client closed its
     *          side: remember it, 2.5);
     *        - if something is pending: send it with MSG_NOSIGNAL until
     *          EAGAIN; move what is left to the front of buf;
     *        - a recv or send error other than EAGAIN/EINTR (ECONNRESET,
     *          EPIPE): close the socket and forget the client;
     *        - closed its side and nothing pending: close and forget.
     *      Never send_all and never a blocking call here (2.2).
     *   5. If the listener has POLLIN: accept4(..., SOCK_NONBLOCK) until
     *      EAGAIN or HUB_MAX_CLIENTS; skip ECONNABORTED and the other
     *      "client left" errors of accept(2); return -1 on EMFILE, ENFILE,
     *      ENOBUFS, ENOMEM. Each new client starts with nothing pending.
     *   6. Return the number of clients.
     */
    (void)hub;
    (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int hub_clients(const struct echo_hub *hub)
{
    /* TODO (handout 4.3): NULL: errno = EINVAL, return -1. Otherwise the
     * number of clients connected. */
    (void)hub;
    errno = ENOSYS;
    return -1;
}

void hub_destroy(struct echo_hub *hub)
{
    /* TODO (handout 4.3): NULL does nothing. Close every client socket and
     * free every client, then the hub. Never close hub->listen_fd: the
     * caller owns it. */
    (void)hub;
}
