/*
 * echo_peers.c - the echo servers the lab 7 tests talk to: see echo_peers.h.
 */
#include "labtest.h"

#include "echo_peers.h"
#include "labnet.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define LISTEN_BACKLOG 8

/* How long a server waits for its client to do the next thing before it
 * gives up on it (a wrong client that never sends must not hang a test).
 * Longer than the client's own timeouts (echo_peer_connect), so that a
 * client waiting for the server to close fails instead of being rescued. */
static int idle_ms(void)
{
    return lab_under_memcheck() ? 8000 : 4000;
}

/* The pause between two pieces of an echo. Here the pause is the point: it
 * makes each piece arrive on its own, as a slow network would deliver it. */
static void pause_between_pieces(int ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
        ;
}

/* Remembers what the client sent (the first ECHO_PEER_KEEP bytes of it). */
static void keep_received(struct echo_peer *peer, const unsigned char *bytes, size_t len)
{
    if (peer->received_len < ECHO_PEER_KEEP) {
        size_t room = ECHO_PEER_KEEP - peer->received_len;
        memcpy(peer->received + peer->received_len, bytes, len < room ? len : room);
    }
    peer->received_len += len;
}

/* Receives one piece into buf. Returns its length, 0 at the client's close
 * (or a stop, a deadline, an error: the session is over either way). */
static size_t receive_piece(struct echo_peer *peer, int conn_fd, unsigned char *buf, size_t size)
{
    if (!lab_wait_fd(conn_fd, POLLIN, idle_ms()))
        return 0;
    ssize_t got;
    do {
        got = recv(conn_fd, buf, size, 0);
    } while (got == -1 && errno == EINTR);
    if (got == 0)
        peer->saw_close = true;
    if (got <= 0)
        return 0;
    keep_received(peer, buf, (size_t)got);
    return (size_t)got;
}

/* Sends bytes back, in pieces of options.piece bytes with pauses between
 * them, never more than reply_limit in all when closing early. Returns false
 * when the session should end (limit reached, or the client is gone). */
static bool echo_back(struct echo_peer *peer, int conn_fd, const unsigned char *bytes, size_t len)
{
    const struct echo_peer_options *options = &peer->options;
    size_t piece = options->piece ? options->piece : len;

    for (size_t done = 0; done < len;) {
        if (options->close_early && peer->echoed_len >= options->reply_limit)
            return false;
        size_t size = len - done < piece ? len - done : piece;
        if (options->close_early && size > options->reply_limit - peer->echoed_len)
            size = options->reply_limit - peer->echoed_len;
        if (done > 0 && options->pause_ms > 0)
            pause_between_pieces(options->pause_ms);
        ssize_t sent = send(conn_fd, bytes + done, size, MSG_NOSIGNAL);
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        done += (size_t)sent;
        peer->echoed_len += (size_t)sent;
    }
    return !(options->close_early && peer->echoed_len >= options->reply_limit);
}

/* Waits for a client, until one connects or a stop is asked while none is
 * waiting to be accepted. Returns its descriptor, or -1. */
static int accept_client(struct echo_peer *peer)
{
    struct pollfd fds[2] = {
        {.fd = peer->listen_fd, .events = POLLIN},
        {.fd = peer->stop_pipe[0], .events = POLLIN},
    };
    int ready;
    do {
        ready = poll(fds, 2, idle_ms());
    } while (ready == -1 && errno == EINTR);
    if (ready <= 0 || !(fds[0].revents & POLLIN))
        return -1; /* a stop with no client waiting, or nobody came in time */
    int conn_fd = accept(peer->listen_fd, NULL, NULL);
    if (conn_fd == -1)
        return -1;
    int on = 1;
    setsockopt(conn_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); /* one piece, one segment */
    lab_set_send_timeout(conn_fd, idle_ms());
    peer->accepted = true;
    return conn_fd;
}

/* Collect mode: waits for options.collect bytes (or the client's close).
 * Returns false when the session is over. */
static bool collect_message(struct echo_peer *peer, int conn_fd)
{
    unsigned char chunk[4096];
    size_t wanted = peer->options.collect < ECHO_PEER_KEEP ? peer->options.collect : ECHO_PEER_KEEP;

    while (peer->received_len < wanted) {
        size_t left = wanted - peer->received_len;
        if (receive_piece(peer, conn_fd, chunk, left < sizeof chunk ? left : sizeof chunk) == 0)
            return false;
    }
    return true;
}

static void serve_client(struct echo_peer *peer, int conn_fd)
{
    unsigned char chunk[4096];
    const struct echo_peer_options *options = &peer->options;

    if (options->collect > 0) {
        bool more = collect_message(peer, conn_fd);
        if (options->reset) {
            lab_close_with_reset(conn_fd); /* an RST instead of a FIN */
            return;
        }
        size_t have = peer->received_len < ECHO_PEER_KEEP ? peer->received_len : ECHO_PEER_KEEP;
        if (!echo_back(peer, conn_fd, peer->received, have) || !more) {
            close(conn_fd);
            return;
        }
    }
    for (;;) {
        size_t got = receive_piece(peer, conn_fd, chunk, sizeof chunk);
        if (got == 0 || !echo_back(peer, conn_fd, chunk, got))
            break;
    }
    close(conn_fd);
}

static void *serve(void *arg)
{
    struct echo_peer *peer = arg;
    int conn_fd = accept_client(peer);
    if (conn_fd != -1)
        serve_client(peer, conn_fd);
    return NULL;
}

void echo_peer_start(struct echo_peer *peer, const struct echo_peer_options *options)
{
    memset(peer, 0, sizeof *peer);
    if (options)
        peer->options = *options;
    peer->listen_fd = lab_tcp_socket_or_fail(0, LISTEN_BACKLOG, 0, NULL);
    peer->port = lab_local_port(peer->listen_fd);
    lab_require(pipe2(peer->stop_pipe, O_CLOEXEC) == 0, "pipe()");
    lab_require_zero(pthread_create(&peer->thread, NULL, serve, peer), "pthread_create()");
    peer->running = true;
}

void echo_peer_stop(struct echo_peer *peer)
{
    if (peer->running) {
        ssize_t written = write(peer->stop_pipe[1], "x", 1);
        (void)written;
        pthread_join(peer->thread, NULL);
        peer->running = false;
    }
    if (peer->listen_fd != -1) {
        close(peer->listen_fd);
        close(peer->stop_pipe[0]);
        close(peer->stop_pipe[1]);
        peer->listen_fd = -1;
    }
}

int refused_port_open(uint16_t *port)
{
    int fd = lab_tcp_socket_or_fail(0, -1, 0, NULL);
    *port = lab_local_port(fd);
    return fd;
}

int echo_peer_connect(uint16_t port)
{
    int fd = lab_connect_local(port, lab_deadline_ms(LAB_WAIT_MS));
    lab_require(fd != -1, "connecting to the test's echo server");
    /* A wrong implementation that waits for bytes that never come fails
     * (EAGAIN) instead of hanging until the test's timeout. */
    int limit_ms = lab_under_memcheck() ? 3000 : 1000;
    lab_set_receive_timeout(fd, limit_ms);
    lab_set_send_timeout(fd, limit_ms);
    return fd;
}
