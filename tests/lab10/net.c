/*
 * net.c - the tests' own sockets and addresses (lab 10): see net.h.
 */
#include "labtest.h"

#include "labnet.h"
#include "net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>

#define PORT_TRIES 16
#define SERVICE_SPREAD 32 /* how many usable services concurrent tests spread over */

struct endpoint endpoint_of(const char *ip, uint16_t port)
{
    struct endpoint endpoint;
    memset(&endpoint, 0, sizeof endpoint);
    struct sockaddr_in *in = (struct sockaddr_in *)&endpoint.addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&endpoint.addr;
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        endpoint.len = sizeof *in;
    } else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        endpoint.len = sizeof *in6;
    }
    if (endpoint.len == 0) { /* built only on failure: messages use few lab_fmt buffers */
        errno = EINVAL;
        lab_require(false, lab_fmt("reading the test's own address \"%s\" (a numeric IPv4 or "
                                   "IPv6 address)",
                                   ip));
    }
    return endpoint;
}

uint16_t endpoint_port(const struct endpoint *endpoint)
{
    if (endpoint->addr.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&endpoint->addr)->sin_port);
    if (endpoint->addr.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&endpoint->addr)->sin6_port);
    return 0;
}

const char *endpoint_text(const struct endpoint *endpoint)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (endpoint->addr.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&endpoint->addr)->sin_addr, ip,
                  sizeof ip);
        return lab_fmt("%s:%u", ip, (unsigned)endpoint_port(endpoint));
    }
    if (endpoint->addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&endpoint->addr)->sin6_addr, ip,
                  sizeof ip);
        return lab_fmt("[%s]:%u", ip, (unsigned)endpoint_port(endpoint));
    }
    return lab_fmt("an address of family %s", lab_family_text(endpoint->addr.ss_family));
}

bool endpoint_same(const struct endpoint *a, const struct endpoint *b)
{
    if (a->addr.ss_family != b->addr.ss_family || endpoint_port(a) != endpoint_port(b))
        return false;
    if (a->addr.ss_family == AF_INET)
        return ((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)&b->addr)->sin_addr.s_addr;
    if (a->addr.ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)&a->addr)->sin6_addr,
                      &((const struct sockaddr_in6 *)&b->addr)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

int endpoint_local(int fd, struct endpoint *out)
{
    memset(out, 0, sizeof *out);
    out->len = sizeof out->addr;
    return getsockname(fd, (struct sockaddr *)&out->addr, &out->len);
}

int endpoint_peer(int fd, struct endpoint *out)
{
    memset(out, 0, sizeof *out);
    out->len = sizeof out->addr;
    return getpeername(fd, (struct sockaddr *)&out->addr, &out->len);
}

/* A TCP socket of the endpoint's family bound to it; -1 with errno. */
static int bound_socket(const struct endpoint *where)
{
    int fd = socket(where->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (bind(fd, (const struct sockaddr *)&where->addr, where->len) == -1) {
        lab_close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

bool ipv6_loopback_available(const char **why)
{
    struct endpoint loopback = endpoint_of("::1", 0);
    int fd = bound_socket(&loopback);
    if (fd == -1) {
        *why = lab_fmt("this machine has no IPv6 loopback address ::1 (a socket of the "
                       "test's own could not bind [::1]:0: %s), so IPv6 cannot be tried here",
                       lab_errno_text(errno));
        return false;
    }
    close(fd);
    return true;
}

void skip_without_ipv6_loopback(void)
{
    const char *why;
    if (!ipv6_loopback_available(&why))
        lab_skip("%s", why);
}

int net_connect_within(const struct endpoint *server, int timeout_ms)
{
    return lab_connect_within((const struct sockaddr *)&server->addr, server->len, timeout_ms);
}

int net_accept_within(int listen_fd, int timeout_ms, struct endpoint *peer)
{
    memset(peer, 0, sizeof *peer);
    peer->len = sizeof peer->addr;
    return lab_accept_within(listen_fd, timeout_ms, (struct sockaddr *)&peer->addr, &peer->len);
}

/* Opens one spot at ip:port (port 0: any). Returns 0, or -1 with errno. */
static int spot_open(struct spot *spot, uint16_t port)
{
    struct endpoint where = endpoint_of(spot->ip, port);
    spot->filler_fd = -1;
    spot->fd = bound_socket(&where);
    if (spot->fd == -1)
        return -1;
    if (spot->role == SPOT_REFUSING)
        return 0;
    if (listen(spot->fd, spot->role == SPOT_FULL ? 0 : 8) == -1 ||
        endpoint_local(spot->fd, &where) == -1)
        return -1;
    if (spot->role == SPOT_LISTENING)
        return 0;
    /* Backlog 0 holds one connection: the filler. The listener becomes
     * readable once the filler's connection is in its queue. */
    spot->filler_fd = net_connect_within(&where, LAB_WAIT_MS);
    if (spot->filler_fd == -1)
        return -1;
    if (!lab_wait_fd(spot->fd, POLLIN, LAB_WAIT_MS))
        return -1;
    return 0;
}

void spots_close(struct spot spots[], size_t count)
{
    for (size_t i = 0; i < count; i++) {
        lab_close_keeping_errno(spots[i].filler_fd);
        lab_close_keeping_errno(spots[i].fd);
        spots[i].fd = spots[i].filler_fd = -1;
    }
}

uint16_t spots_open(struct spot spots[], size_t count, uint16_t fixed_port)
{
    int err = 0;
    for (int attempt = 0; attempt < PORT_TRIES; attempt++) {
        for (size_t i = 0; i < count; i++)
            spots[i].fd = spots[i].filler_fd = -1;
        uint16_t port = fixed_port;
        size_t opened = 0;
        while (opened < count && spot_open(&spots[opened], port) == 0) {
            if (opened == 0 && port == 0) {
                struct endpoint bound;
                endpoint_local(spots[0].fd, &bound);
                port = endpoint_port(&bound);
            }
            opened++;
        }
        if (opened == count)
            return port;
        err = errno;
        spots_close(spots, opened + 1);
        if (err != EADDRINUSE || fixed_port != 0)
            break;
    }
    errno = err;
    lab_require(false, "opening the test's own sockets at one port");
    return 0;
}

int spot_index(const struct spot spots[], size_t count, uint16_t port,
               const struct endpoint *peer)
{
    for (size_t i = 0; i < count; i++) {
        struct endpoint spot = endpoint_of(spots[i].ip, port);
        if (endpoint_same(&spot, peer))
            return (int)i;
    }
    return -1;
}

/* The port getaddrinfo gives for 127.0.0.1 and `name`, or 0. */
static uint16_t resolved_port(const char *name)
{
    struct addrinfo hints, *answers;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo("127.0.0.1", name, &hints, &answers) != 0)
        return 0;
    uint16_t port = ntohs(((const struct sockaddr_in *)answers->ai_addr)->sin_port);
    freeaddrinfo(answers);
    return port;
}

/* The first service of /etc/services, from the `skip`-th usable one on, that
 * is free on 127.0.0.1 now (copied into name); 0 when there is none. */
static uint16_t free_service_from(unsigned skip, char *name, size_t size)
{
    uint16_t found = 0;
    unsigned usable = 0;
    setservent(0);
    for (struct servent *entry = getservent(); entry != NULL && found == 0; entry = getservent()) {
        uint16_t candidate = ntohs((uint16_t)entry->s_port);
        if (strcmp(entry->s_proto, "tcp") != 0 || candidate < 1024 ||
            strlen(entry->s_name) >= size || usable++ < skip ||
            resolved_port(entry->s_name) != candidate)
            continue;
        struct endpoint where = endpoint_of("127.0.0.1", candidate);
        int fd = bound_socket(&where);
        if (fd == -1)
            continue;
        close(fd);
        snprintf(name, size, "%s", entry->s_name);
        found = candidate;
    }
    endservent();
    return found;
}

const char *free_service_name(uint16_t *port, const char **why)
{
    static char name[64];
    /* Tests that run at the same time (the self-test runs two at once) would
     * all pick the first free service: each process starts further on. */
    uint16_t found = free_service_from((unsigned)getpid() % SERVICE_SPREAD, name, sizeof name);
    if (found == 0)
        found = free_service_from(0, name, sizeof name);
    if (found == 0) {
        *why = "no TCP service of /etc/services at port 1024 or above is free on 127.0.0.1 "
               "here (or /etc/services is missing), so a service name cannot be tried";
        return NULL;
    }
    *port = found;
    return name;
}

const char *free_service_name_or_skip(uint16_t *port)
{
    const char *why;
    const char *name = free_service_name(port, &why);
    if (name == NULL)
        lab_skip("%s", why);
    return name;
}

const char *name_call_text(const char *function, const char *host, const char *service, int last)
{
    const char *host_quote = host ? "\"" : "";
    const char *service_quote = service ? "\"" : "";
    return lab_fmt("%s(%s%s%s, %s%s%s, %d)", function, host_quote, host ? host : "NULL", host_quote,
                   service_quote, service ? service : "NULL", service_quote, last);
}

const char *name_failure_expected_text(int err)
{
    if (err == 0)
        return "-2, and no descriptor left open";
    return lab_fmt("-1 with errno %s, and no descriptor left open", lab_errno_text(err));
}
