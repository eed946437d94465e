/*
 * hub.c - Lab 8 reference solution: many clients at once.
 *
 * One poll() loop in the style of Redis's ae.c and the classic select()
 * servers: every socket is non-blocking, each step asks the kernel which of
 * them are ready, and does only what cannot block. Each client has a pending
 * buffer (bytes received, not yet sent back) of at most HUB_MAX_PENDING
 * bytes. The whole rule of the hub is in wanted_events():
 *
 *   POLLIN  while the client's room is not full and it has not closed its side;
 *   POLLOUT while some of its echo is pending.
 *
 * So a client that stops reading fills its room, and from then on the hub
 * stops receiving from it (backpressure): its bytes wait in the kernel's
 * buffers, then its sends block, and nobody else notices.
 */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK */

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

struct client {
    int fd;
    bool closed_its_side;   /* recv returned 0: nothing more will come */
    size_t pending;         /* bytes of echo held at the start of buf */
    char buf[HUB_MAX_PENDING];
};

struct echo_hub {
    int listen_fd;
    int count;                                  /* clients[0..count-1] are connected */
    struct client *clients[HUB_MAX_CLIENTS];
    struct pollfd polled[1 + HUB_MAX_CLIENTS];  /* [0] the listener, then the clients */
};

/* ---- creating and destroying ---- */

/* 0 when fd is a listening stream socket; -1 with EBADF, ENOTSOCK or EINVAL. */
static int check_listening(int fd)
{
    int type = 0, listening = 0;
    socklen_t size = sizeof type;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == -1)
        return -1; /* EBADF (negative descriptors included), ENOTSOCK */
    size = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == -1)
        return -1;
    if (type != SOCK_STREAM || !listening) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Adds or removes O_NONBLOCK, keeping the descriptor's other flags. */
static int set_nonblocking(int fd, bool nonblocking)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    flags = nonblocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

struct echo_hub *hub_create(int listen_fd)
{
    if (check_listening(listen_fd) == -1)
        return NULL;
    /* Non-blocking: "accept every waiting connection" ends with EAGAIN,
     * never with a wait (a client may leave between poll and accept). */
    if (set_nonblocking(listen_fd, true) == -1)
        return NULL;
    struct echo_hub *hub = calloc(1, sizeof *hub);
    if (hub == NULL)
        return NULL; /* ENOMEM */
    hub->listen_fd = listen_fd;
    return hub;
}

static void forget(struct echo_hub *hub, int index)
{
    struct client *leaving = hub->clients[index];
    close(leaving->fd);
    free(leaving);
    /* Keep clients[] dense: the last one takes the hole. */
    hub->count--;
    hub->clients[index] = hub->clients[hub->count];
    hub->clients[hub->count] = NULL;
}

void hub_destroy(struct echo_hub *hub)
{
    if (hub == NULL)
        return;
    while (hub->count > 0)
        forget(hub, hub->count - 1);
    free(hub);
}

int hub_clients(const struct echo_hub *hub)
{
    if (hub == NULL) {
        errno = EINVAL;
        return -1;
    }
    return hub->count;
}

/* ---- one client ---- */

static short wanted_events(const struct client *client)
{
    short events = 0;
    if (!client->closed_its_side && client->pending < HUB_MAX_PENDING)
        events |= POLLIN;
    if (client->pending > 0)
        events |= POLLOUT;
    return events;
}

/* True for the errors that only mean "not now". */
static bool would_block(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Receives into the free room until it is full or nothing more has arrived.
 * Returns 0, or -1 when the connection failed (a reset). */
static int receive_into_room(struct client *client)
{
    while (!client->closed_its_side && client->pending < HUB_MAX_PENDING) {
        ssize_t got = recv(client->fd, client->buf + client->pending,
                           HUB_MAX_PENDING - client->pending, 0);
        if (got == -1)
            return would_block(errno) ? 0 : -1;
        if (got == 0)
            client->closed_its_side = true; /* end of stream: echo the rest, then close */
        client->pending += (size_t)got;
    }
    return 0;
}

/* Sends what the socket takes now. Returns 0, or -1 when the connection failed. */
static int send_pending(struct client *client)
{
    size_t sent = 0;
    while (sent < client->pending) {
        ssize_t now = send(client->fd, client->buf + sent, client->pending - sent,
                           MSG_NOSIGNAL); /* a vanished client is EPIPE, not SIGPIPE */
        if (now == -1) {
            if (!would_block(errno))
                return -1;
            break; /* the socket is full: the rest waits for POLLOUT */
        }
        sent += (size_t)now;
    }
    /* What is left moves to the front: the free room is always at the end. */
    memmove(client->buf, client->buf + sent, client->pending - sent);
    client->pending -= sent;
    return 0;
}

/* Does what the client's readiness allows. Returns false when it must be forgotten. */
static bool serve(struct client *client, short ready)
{
    /* POLLHUP and POLLERR come whether asked for or not: recv or send then
     * reports what happened (the last bytes, the end of stream, the reset). */
    if ((ready & (POLLIN | POLLHUP | POLLERR)) && receive_into_room(client) == -1)
        return false;
    if (client->pending > 0 && send_pending(client) == -1)
        return false;
    return !(client->closed_its_side && client->pending == 0);
}

/* ---- accepting ---- */

/* accept(2): on Linux these report a client that left before it was accepted. */
static bool client_already_left(int err)
{
    switch (err) {
    case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN:
    case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
        return true;
    default:
        return false;
    }
}

/* Accepts every waiting connection while there is room. Returns 0, or -1 with errno. */
static int accept_waiting(struct echo_hub *hub)
{
    while (hub->count < HUB_MAX_CLIENTS) {
        int fd = accept4(hub->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0; /* nobody else is waiting */
            if (client_already_left(errno) || errno == EINTR)
                continue;
            return -1; /* EMFILE, ENFILE, ENOBUFS, ENOMEM...: the caller decides */
        }
        struct client *client = malloc(sizeof *client);
        if (client == NULL) {
            close(fd);
            errno = ENOMEM;
            return -1;
        }
        client->fd = fd;
        client->closed_its_side = false;
        client->pending = 0;
        hub->clients[hub->count++] = client;
    }
    return 0;
}

/* ---- the step ---- */

/* Fills polled[]: the listener only while there is room for one more client. */
static nfds_t prepare_poll(struct echo_hub *hub)
{
    hub->polled[0].fd = hub->count < HUB_MAX_CLIENTS ? hub->listen_fd : -1; /* -1: ignored */
    hub->polled[0].events = POLLIN;
    for (int i = 0; i < hub->count; i++) {
        hub->polled[1 + i].fd = hub->clients[i]->fd;
        hub->polled[1 + i].events = wanted_events(hub->clients[i]);
    }
    return (nfds_t)(1 + hub->count);
}

int hub_step(struct echo_hub *hub, int timeout_ms)
{
    if (hub == NULL) {
        errno = EINVAL;
        return -1;
    }
    nfds_t watched = prepare_poll(hub);
    if (poll(hub->polled, watched, timeout_ms < 0 ? -1 : timeout_ms) == -1)
        return -1; /* EINTR: a signal; the caller decides whether to go on */

    /* From the last client down, so that forget() moves into the hole a
     * client already served in this step. */
    for (int i = hub->count - 1; i >= 0; i--) {
        short ready = hub->polled[1 + i].revents;
        if (ready != 0 && !serve(hub->clients[i], ready))
            forget(hub, i);
    }
    if ((hub->polled[0].revents & POLLIN) && accept_waiting(hub) == -1)
        return -1;
    return hub->count;
}
