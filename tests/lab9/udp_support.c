/*
 * udp_support.c - the sockets and test peers of the lab 9 tests: see
 * udp_support.h.
 */
#include "labtest.h"

#include "labnet.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define SAFETY_TIMEOUT_MS 5000       /* SO_RCVTIMEO of the test's sockets */
#define RECEIVE_BUFFER (1024 * 1024) /* asked for; the kernel caps it */
#define PEER_LIFETIME_MS 20000      /* a peer never runs longer than this */

static const char stranger_text[] = "stranger's datagram";

/* ---- the test's sockets ---- */

/* A UDP socket with the test's safety options, bound to 127.0.0.1:port.
 * Returns it, or -1 with errno when the bind fails (the socket closed). */
static int udp_socket_at(uint16_t port)
{
    int fd = lab_bound_socket(SOCK_DGRAM, "127.0.0.1", port, -1, 0);
    if (fd == -1)
        return -1;
    if (lab_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER) == -1 ||
        lab_set_receive_timeout(fd, SAFETY_TIMEOUT_MS) == -1) {
        lab_close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

int test_udp_socket(void)
{
    int fd = udp_socket_at(0);
    lab_require(fd != -1, "a UDP socket of the test's own on 127.0.0.1 (port 0)");
    return fd;
}

struct sockaddr_in test_local_address(int fd)
{
    struct sockaddr_in address;
    lab_local_address(fd, &address);
    return address;
}

void test_send_datagram(int fd, const struct sockaddr_in *to, const void *data, size_t len)
{
    ssize_t sent = sendto(fd, data, len, MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof *to);
    if (sent != -1 && (size_t)sent != len)
        errno = EMSGSIZE;
    lab_require(sent == (ssize_t)len,
                lab_fmt("sending a datagram of %zu bytes from the test's own socket", len));
}

long test_receive_datagram(int fd, void *buf, size_t size, int timeout_ms,
                           struct sockaddr_in *from)
{
    if (!lab_wait_fd(fd, POLLIN, timeout_ms))
        return -1;
    struct sockaddr_in sender;
    socklen_t sender_size = sizeof sender;
    ssize_t got = recvfrom(fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&sender,
                           &sender_size);
    if (got >= 0 && from != NULL)
        *from = sender;
    return got;
}

bool test_datagram_waiting(int fd)
{
    return lab_wait_fd(fd, POLLIN, 0);
}

/* ---- the server peer ---- */

/* Waits for a datagram on fd, or a byte on stop_fd, until deadline.
 * Returns true when a datagram is there. */
static bool wait_datagram_or_stop(int fd, int stop_fd, long long deadline)
{
    struct pollfd ends[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    long long left = deadline - lab_now_ms();
    if (left <= 0 || poll(ends, 2, (int)left) <= 0)
        return false;
    return (ends[0].revents & POLLIN) && !(ends[1].revents & POLLIN);
}

static void peer_answer(struct udp_peer *peer)
{
    const struct sockaddr *to = (const struct sockaddr *)&peer->client;
    if (peer->options.stranger_first)
        sendto(peer->stranger_fd, stranger_text, sizeof stranger_text - 1, MSG_NOSIGNAL, to,
               sizeof peer->client);
    if (peer->options.fixed_reply)
        sendto(peer->fd, peer->options.reply, peer->options.reply_len, MSG_NOSIGNAL, to,
               sizeof peer->client);
    else
        sendto(peer->fd, peer->last, peer->last_len, MSG_NOSIGNAL, to, sizeof peer->client);
}

static void *peer_main(void *context)
{
    struct udp_peer *peer = context;
    long long deadline = lab_now_ms() + PEER_LIFETIME_MS;
    while (wait_datagram_or_stop(peer->fd, peer->stop_pipe[0], deadline)) {
        socklen_t size = sizeof peer->client;
        ssize_t got = recvfrom(peer->fd, peer->last, sizeof peer->last, MSG_DONTWAIT,
                               (struct sockaddr *)&peer->client, &size);
        if (got < 0)
            continue;
        int number = peer->requests++;
        if (number < UDP_PEER_MAX_REQUESTS) {
            peer->request_ms[number] = lab_now_ms();
            peer->request_len[number] = (size_t)got;
        }
        peer->last_len = (size_t)got;
        if (peer->options.never_answer || number < peer->options.drop_first)
            continue;
        if (peer->options.answer_first_after_ms > 0) {
            if (number > 0)
                continue;
            /* The delay models a slow network: it is the point of the option. */
            struct pollfd stop = {.fd = peer->stop_pipe[0], .events = POLLIN};
            if (poll(&stop, 1, peer->options.answer_first_after_ms) != 0)
                break;
        }
        peer_answer(peer);
    }
    return NULL;
}

/* Starts the peer's thread on peer->fd (already bound). */
static void udp_peer_run(struct udp_peer *peer, const struct udp_peer_options *options)
{
    static const struct udp_peer_options plain_echo;
    peer->options = options ? *options : plain_echo;
    peer->requests = 0;
    peer->last_len = 0;
    peer->stranger_fd = test_udp_socket();
    peer->address = test_local_address(peer->fd);
    peer->stranger = test_local_address(peer->stranger_fd);
    lab_require(pipe2(peer->stop_pipe, O_CLOEXEC) == 0, "pipe() for the test's UDP server peer");
    lab_require_zero(pthread_create(&peer->thread, NULL, peer_main, peer),
                     "a thread for the test's UDP server peer");
    peer->running = true;
}

void udp_peer_start(struct udp_peer *peer, const struct udp_peer_options *options)
{
    peer->fd = test_udp_socket();
    udp_peer_run(peer, options);
}

bool udp_peer_start_at(struct udp_peer *peer, const struct udp_peer_options *options,
                       uint16_t port)
{
    peer->fd = udp_socket_at(port);
    if (peer->fd == -1)
        return false;
    udp_peer_run(peer, options);
    return true;
}

void udp_peer_stop(struct udp_peer *peer)
{
    if (!peer->running)
        return;
    peer->running = false;
    ssize_t written = write(peer->stop_pipe[1], "x", 1);
    (void)written;
    pthread_join(peer->thread, NULL);
    close(peer->stop_pipe[0]);
    close(peer->stop_pipe[1]);
    close(peer->fd);
    close(peer->stranger_fd);
}

/* ---- the stranger ---- */

static void *stranger_main(void *context)
{
    struct stranger *stranger = context;
    long long end = lab_now_ms() + stranger->lifetime_ms;
    struct pollfd stop = {.fd = stranger->stop_pipe[0], .events = POLLIN};
    while (lab_now_ms() < end) {
        sendto(stranger->fd, stranger_text, sizeof stranger_text - 1, MSG_NOSIGNAL,
               (const struct sockaddr *)&stranger->target, sizeof stranger->target);
        stranger->sent++;
        if (poll(&stop, 1, stranger->every_ms) != 0)
            break;
    }
    return NULL;
}

void stranger_start(struct stranger *stranger, const struct sockaddr_in *target, int every_ms,
                    int lifetime_ms)
{
    stranger->fd = test_udp_socket();
    stranger->target = *target;
    stranger->every_ms = every_ms;
    stranger->lifetime_ms = lifetime_ms;
    stranger->sent = 0;
    lab_require(pipe2(stranger->stop_pipe, O_CLOEXEC) == 0, "pipe() for the test's stranger");
    lab_require_zero(pthread_create(&stranger->thread, NULL, stranger_main, stranger),
                     "a thread for the test's stranger");
    stranger->running = true;
}

void stranger_stop(struct stranger *stranger)
{
    if (!stranger->running)
        return;
    stranger->running = false;
    ssize_t written = write(stranger->stop_pipe[1], "x", 1);
    (void)written;
    pthread_join(stranger->thread, NULL);
    close(stranger->stop_pipe[0]);
    close(stranger->stop_pipe[1]);
    close(stranger->fd);
}
