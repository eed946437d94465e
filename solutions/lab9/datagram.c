/*
 * datagram.c - Lab 9 reference solution: datagrams (UDP).
 *
 * Three small pieces: a bound socket, an echo of one datagram back to its
 * sender, and a request that waits for its reply with a deadline per try
 * and asks again.
 */
#include "lab9.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Closes fd without letting close() change errno, which still describes the
 * call that failed before it. */
static void close_keeping_errno(int fd)
{
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
}

int udp_bind(const char *ip, uint16_t port)
{
    struct sockaddr_in address;

    if (addr_from_string(ip, port, &address) == -1)
        return -1; /* EINVAL, before anything is opened */
    int fd = udp_socket();
    if (fd == -1)
        return -1;
    /* No SO_REUSEADDR: for UDP it would let another socket share the port. */
    if (bind(fd, (const struct sockaddr *)&address, sizeof address) == -1) {
        close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

ssize_t udp_echo_one(int fd, struct sockaddr_in *peer)
{
    /* Room for the largest datagram: a smaller buffer would cut long ones
     * (64 KiB on the stack is fine: the default stack is megabytes). */
    unsigned char datagram[UDP_MAX_DATAGRAM];
    struct sockaddr_in sender;
    socklen_t sender_size = sizeof sender;

    /* recvfrom, not recv: the sender's address is where the echo goes. */
    ssize_t received = recvfrom(fd, datagram, sizeof datagram, 0, (struct sockaddr *)&sender,
                                &sender_size);
    if (received == -1)
        return -1; /* EBADF, ENOTSOCK, EINTR...: the caller decides */
    /* received may be 0: an empty datagram is echoed like any other. */
    if (sendto(fd, datagram, (size_t)received, MSG_NOSIGNAL, (const struct sockaddr *)&sender,
               sender_size) == -1)
        return -1;
    if (peer != NULL)
        *peer = sender;
    return received;
}

/* ---- udp_request ---- */

/* Milliseconds on a clock that never jumps (CLOCK_MONOTONIC). */
static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* True when `from` is server's IP and port exactly. */
static bool same_address(const struct sockaddr_in *from, socklen_t from_size,
                         const struct sockaddr_in *server)
{
    return from_size >= sizeof *from && from->sin_family == AF_INET &&
           from->sin_addr.s_addr == server->sin_addr.s_addr &&
           from->sin_port == server->sin_port;
}

static bool arguments_valid(const struct sockaddr_in *server, const void *msg, size_t len,
                            const void *reply, size_t size, int timeout_ms, int tries)
{
    return tries >= 1 && timeout_ms >= 0 && len <= UDP_MAX_DATAGRAM && server != NULL &&
           server->sin_family == AF_INET && (msg != NULL || len == 0) &&
           (reply != NULL || size == 0);
}

/*
 * Waits until `deadline` (now_ms) for a datagram from server, reading and
 * ignoring the others. The deadline is fixed before the wait: a stranger's
 * datagram never moves it. Returns the reply's length, -2 when the deadline
 * passed, or -1 with errno (EMSGSIZE for a reply longer than size).
 */
static ssize_t wait_for_reply(int fd, const struct sockaddr_in *server, void *reply,
                              size_t size, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd readable = {.fd = fd, .events = POLLIN};
        int ready = poll(&readable, 1, left > 0 ? (int)left : 0);
        if (ready == -1 && errno == EINTR)
            continue; /* the wait goes on for the time that was left */
        if (ready == -1)
            return -1;
        if (ready == 0)
            return -2;

        struct sockaddr_in from;
        socklen_t from_size = sizeof from;
        /* MSG_DONTWAIT: never block here (the fd's own flags stay as found).
         * MSG_TRUNC: the datagram's real length, even when longer than size. */
        ssize_t got = recvfrom(fd, reply, size, MSG_DONTWAIT | MSG_TRUNC,
                               (struct sockaddr *)&from, &from_size);
        if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (got == -1)
            return -1;
        if (!same_address(&from, from_size, server))
            continue; /* a stranger: ignored, and the deadline stays where it was */
        if ((size_t)got > size) {
            errno = EMSGSIZE; /* its first size bytes are in reply */
            return -1;
        }
        return got;
    }
}

ssize_t udp_request(int fd, const struct sockaddr_in *server, const void *msg, size_t len,
                    void *reply, size_t size, int timeout_ms, int tries)
{
    if (!arguments_valid(server, msg, len, reply, size, timeout_ms, tries)) {
        errno = EINVAL;
        return -1;
    }
    for (int try = 0; try < tries; try++) {
        /* sendto on an unconnected socket: fd is never connected. */
        if (sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)server,
                   sizeof *server) == -1)
            return -1;
        ssize_t got = wait_for_reply(fd, server, reply, size, now_ms() + timeout_ms);
        if (got != -2)
            return got; /* the reply, or an error */
    }
    errno = ETIMEDOUT;
    return -1;
}
