/*
 * names.c - Lab 10 reference solution: names and IPv6.
 */
#include "lab10.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Closes fd without letting close() change errno, which still describes the
 * call that failed before it. */
static void close_keeping_errno(int fd)
{
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
}

/* Frees getaddrinfo's list without letting free() change errno. */
static void free_answers_keeping_errno(struct addrinfo *answers)
{
    int saved_errno = errno;
    freeaddrinfo(answers);
    errno = saved_errno;
}

/*
 * Asks getaddrinfo what host and service mean, as the contract says: any
 * family, stream sockets, no AI_ADDRCONFIG (a machine with only loopback
 * must still get its loopback answers). Returns 0 with the list in *answers
 * (the caller frees it), or -1 when getaddrinfo failed (nothing to free).
 */
static int resolve(const char *host, const char *service, int flags,
                   struct addrinfo **answers)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    return getaddrinfo(host, service, &hints, answers) == 0 ? 0 : -1;
}

static int set_int_option(int fd, int level, int option, int value)
{
    return setsockopt(fd, level, option, &value, sizeof value);
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

/*
 * Waits up to timeout_ms (-1: no limit) for the non-blocking connect on fd to
 * finish. POLLOUT says only that it finished: SO_ERROR says how. Returns 0
 * when it connected, or -1 with errno (ETIMEDOUT when the time ran out, else
 * the attempt's own error, such as ECONNREFUSED).
 */
static int finish_connect(int fd, int timeout_ms)
{
    struct pollfd waiting = {.fd = fd, .events = POLLOUT};
    int ready = poll(&waiting, 1, timeout_ms);
    if (ready == -1)
        return -1;
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == -1)
        return -1;
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

/* One attempt: a socket for this answer, connected within timeout_ms and in
 * blocking mode again. Returns it, or -1 with errno and nothing left open. */
static int connect_one(const struct addrinfo *answer, int timeout_ms)
{
    int fd = socket(answer->ai_family, answer->ai_socktype, answer->ai_protocol);
    if (fd == -1)
        return -1;
    if (set_nonblocking(fd, true) == -1)
        goto fail;
    if (connect(fd, answer->ai_addr, answer->ai_addrlen) == -1) {
        if (errno != EINPROGRESS) /* refused at once, or another error */
            goto fail;
        if (finish_connect(fd, timeout_ms) == -1)
            goto fail;
    }
    if (set_nonblocking(fd, false) == -1)
        goto fail;
    return fd;

fail:
    close_keeping_errno(fd);
    return -1;
}

int tcp_connect_name(const char *host, const char *service, int timeout_ms)
{
    struct addrinfo *answers;

    if (host == NULL || service == NULL || timeout_ms < -1) {
        errno = EINVAL;
        return -1;
    }
    if (resolve(host, service, 0, &answers) == -1)
        return -2;

    int fd = -1;
    for (const struct addrinfo *answer = answers; answer != NULL && fd == -1;
         answer = answer->ai_next)
        fd = connect_one(answer, timeout_ms); /* errno: this attempt's */
    free_answers_keeping_errno(answers);
    return fd;
}

/* One attempt: a socket for this answer with SO_REUSEADDR (and, for the
 * dual-stack wildcard, IPV6_V6ONLY cleared), bound and listening. Returns
 * it, or -1 with errno and nothing left open. */
static int listen_one(const struct addrinfo *answer, int backlog, bool dual_stack)
{
    int fd = socket(answer->ai_family, answer->ai_socktype, answer->ai_protocol);
    if (fd == -1)
        return -1;
    /* Both options only count if they are set before bind(). */
    if (set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
        goto fail;
    if (dual_stack && set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) == -1)
        goto fail;
    if (bind(fd, answer->ai_addr, answer->ai_addrlen) == -1)
        goto fail;
    if (listen(fd, backlog) == -1)
        goto fail;
    return fd;

fail:
    close_keeping_errno(fd);
    return -1;
}

/* host NULL: one socket on the IPv6 wildcard (::), open to IPv4 clients too.
 * getaddrinfo also answers 0.0.0.0 (often first): it is skipped. */
static int listen_dual_stack(const struct addrinfo *answers, int backlog)
{
    for (const struct addrinfo *answer = answers; answer != NULL; answer = answer->ai_next)
        if (answer->ai_family == AF_INET6)
            return listen_one(answer, backlog, true);
    errno = EAFNOSUPPORT;
    return -1;
}

/* A host: the first answer, in getaddrinfo's order, that can listen. */
static int listen_first_bindable(const struct addrinfo *answers, int backlog)
{
    int fd = -1;
    for (const struct addrinfo *answer = answers; answer != NULL && fd == -1;
         answer = answer->ai_next)
        fd = listen_one(answer, backlog, false); /* errno: this attempt's */
    return fd;
}

int tcp_listen_name(const char *host, const char *service, int backlog)
{
    struct addrinfo *answers;

    if (service == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (resolve(host, service, AI_PASSIVE, &answers) == -1)
        return -2;

    int fd = host == NULL ? listen_dual_stack(answers, backlog)
                          : listen_first_bindable(answers, backlog);
    free_answers_keeping_errno(answers);
    return fd;
}

/*
 * The IP of an IPv4 or IPv6 address as inet_ntop writes it, and its port in
 * host order; *bracketed tells whether the text needs brackets (IPv6). The
 * structure is copied out of *addr, which need not be aligned for it.
 * Returns 0, or -1 with errno EINVAL (len too short) or EAFNOSUPPORT.
 */
static int split_address(const struct sockaddr *addr, socklen_t len,
                         char ip[INET6_ADDRSTRLEN], unsigned *port, bool *bracketed)
{
    sa_family_t family;
    memcpy(&family, &addr->sa_family, sizeof family);

    if (family == AF_INET) {
        struct sockaddr_in in;
        if (len < sizeof in) {
            errno = EINVAL;
            return -1;
        }
        memcpy(&in, addr, sizeof in);
        inet_ntop(AF_INET, &in.sin_addr, ip, INET6_ADDRSTRLEN);
        *port = ntohs(in.sin_port);
        *bracketed = false;
        return 0;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 in6;
        if (len < sizeof in6) {
            errno = EINVAL;
            return -1;
        }
        memcpy(&in6, addr, sizeof in6);
        inet_ntop(AF_INET6, &in6.sin6_addr, ip, INET6_ADDRSTRLEN); /* no scope id */
        *port = ntohs(in6.sin6_port);
        *bracketed = true;
        return 0;
    }
    errno = EAFNOSUPPORT;
    return -1;
}

int sockaddr_to_string(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    bool bracketed;

    if (addr == NULL || buf == NULL || len < sizeof addr->sa_family) {
        errno = EINVAL;
        return -1;
    }
    if (split_address(addr, len, ip, &port, &bracketed) == -1)
        return -1;

    /* snprintf never writes past size bytes, and says how long the whole
     * text would have been: a length that does not leave room for the NUL
     * means the text was cut. */
    int length = bracketed ? snprintf(buf, size, "[%s]:%u", ip, port)
                           : snprintf(buf, size, "%s:%u", ip, port);
    if (length < 0)
        return -1;
    if ((size_t)length >= size) {
        errno = ENOSPC;
        return -1;
    }
    return length;
}
