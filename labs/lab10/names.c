/*
 * names.c - Lab 10: names and IPv6. Your code goes here.
 *
 * The contract is in lab10.h; the handout (handouts/en/lab10.md, or
 * handouts/es/lab10.md) explains each step. Build and test with:
 *     make lab10 && make check
 *
 * Nothing of labs 1-9 is needed: these functions make their sockets from
 * getaddrinfo's answers, whatever their family. Helpers you add must be
 * `static` (only the three functions below may be visible outside this file).
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

int tcp_connect_name(const char *host, const char *service, int timeout_ms)
{
    /* TODO (handout 4.1; the ideas are in 2.1 and 2.3):
     *   1. NULL host or service, or timeout_ms below -1: set errno to EINVAL
     *      and return -1, before anything else.
     *   2. Fill a struct addrinfo of hints, zeroed first (memset):
     *      ai_family AF_UNSPEC, ai_socktype SOCK_STREAM, ai_flags 0 (no
     *      AI_ADDRCONFIG). Call getaddrinfo(host, service, &hints, &answers).
     *      If it returns anything but 0, return -2 (there is no list to free).
     *   3. Walk the list: for (answer = answers; answer; answer = answer->ai_next).
     *      For each answer, one attempt (a static helper is the place for it):
     *        a. socket(answer->ai_family, answer->ai_socktype,
     *           answer->ai_protocol): the answer says which family, never you;
     *        b. make it non-blocking: fcntl F_GETFL, then F_SETFL with
     *           flags | O_NONBLOCK;
     *        c. connect(fd, answer->ai_addr, answer->ai_addrlen). Success (0)
     *           means connected already. -1 with EINPROGRESS means "started":
     *           poll() the socket for POLLOUT with timeout_ms. poll returning
     *           0 means the time ran out: the attempt failed with ETIMEDOUT
     *           (set errno yourself). Otherwise read the outcome with
     *           getsockopt(fd, SOL_SOCKET, SO_ERROR, ...): 0 is connected, any
     *           other value is the attempt's errno (ECONNREFUSED...). Any
     *           other errno from connect is a failed attempt too;
     *        d. connected: clear O_NONBLOCK again (F_SETFL with
     *           flags & ~O_NONBLOCK): the caller gets a blocking socket;
     *        e. failed: close the socket, keeping the attempt's errno (save it
     *           before close, put it back after), and go on to the next answer.
     *   4. freeaddrinfo(answers) on every path, once the walk is over (it must
     *      not change errno either), then return the connected descriptor, or
     *      -1 with the last attempt's errno.
     */
    (void)host;
    (void)service;
    (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

int tcp_listen_name(const char *host, const char *service, int backlog)
{
    /* TODO (handout 4.2; the ideas are in 2.1 and 2.4):
     *   1. NULL service: errno EINVAL, return -1 (host may be NULL).
     *   2. Hints as in tcp_connect_name, with ai_flags AI_PASSIVE (the
     *      wildcard addresses when host is NULL). getaddrinfo failed: -2.
     *   3. One attempt, for an answer: socket() from the answer; setsockopt
     *      SO_REUSEADDR to 1 (before bind, as in lab 3); bind(fd,
     *      answer->ai_addr, answer->ai_addrlen); listen(fd, backlog). A step
     *      that fails: close the socket keeping errno, the attempt failed.
     *   4. host NULL: pick the first answer whose ai_family is AF_INET6 (the
     *      address ::), skipping 0.0.0.0, and make one attempt with it, with
     *      one more option before bind: setsockopt(fd, IPPROTO_IPV6,
     *      IPV6_V6ONLY, 0), so IPv4 clients can connect too. No AF_INET6
     *      answer at all: errno EAFNOSUPPORT, -1.
     *   5. A host: attempt each answer in order until one listens.
     *   6. freeaddrinfo(answers) on every path (keeping errno), then return
     *      the listening descriptor, or -1 with the last attempt's errno.
     */
    (void)host;
    (void)service;
    (void)backlog;
    errno = ENOSYS;
    return -1;
}

int sockaddr_to_string(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
    /* TODO (handout 4.3; the ideas are in 2.2):
     *   1. addr or buf NULL, or len below sizeof (sa_family_t): EINVAL, -1.
     *   2. Look at addr->sa_family:
     *        AF_INET:  len below sizeof (struct sockaddr_in) is EINVAL. Copy
     *                  *addr into a struct sockaddr_in (memcpy), then
     *                  inet_ntop(AF_INET, &in.sin_addr, ip, sizeof ip) with
     *                  char ip[INET6_ADDRSTRLEN], and the port is
     *                  ntohs(in.sin_port). The text is "IP:PORT".
     *        AF_INET6: the same with struct sockaddr_in6, sin6_addr and
     *                  sin6_port. The text is "[IP]:PORT": brackets, because
     *                  the address has colons of its own. Leave
     *                  sin6_scope_id out.
     *        anything else: EAFNOSUPPORT, -1.
     *   3. Write the text with snprintf(buf, size, ...). It never writes past
     *      size bytes and returns the length the whole text has: a length
     *      that is size or more means the text and its NUL did not fit:
     *      errno ENOSPC, -1. Otherwise return the length.
     */
    (void)addr;
    (void)len;
    (void)buf;
    (void)size;
    errno = ENOSYS;
    return -1;
}
