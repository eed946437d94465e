/*
 * labnet.c - the tests' own sockets, for every lab: see labnet.h.
 */
#include "labtest.h"

#include "labnet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/time.h>

#define DATA_ZERO_EVERY 97

/* ---- waiting ---- */

bool lab_wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd entry = {.fd = fd, .events = events};
    long long deadline = lab_now_ms() + timeout_ms;
    for (;;) {
        int wait_ms = -1;
        if (timeout_ms >= 0) {
            long long left = deadline - lab_now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
        int ready = poll(&entry, 1, wait_ms);
        if (ready == 1)
            return true;
        if (ready == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR)
            return false;
    }
}

/* ---- addresses ---- */

struct sockaddr_in lab_ipv4_address(const char *ip, uint16_t port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    errno = EINVAL;
    lab_require(ip != NULL && inet_pton(AF_INET, ip, &addr.sin_addr) == 1,
                lab_fmt("reading the test's own address \"%s\"", ip ? ip : "(null)"));
    return addr;
}

struct sockaddr_in lab_loopback_address(uint16_t port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

const char *lab_address_text(const struct sockaddr_in *addr)
{
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
    if (addr->sin_family != AF_INET)
        return lab_fmt("not an IPv4 address (sin_family %d; sin_addr %s, sin_port %u)",
                       addr->sin_family, ip, (unsigned)ntohs(addr->sin_port));
    return lab_fmt("%s:%u", ip, (unsigned)ntohs(addr->sin_port));
}

bool lab_same_address(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == AF_INET && b->sin_family == AF_INET &&
           a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

int lab_local_address(int fd, struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    return getsockname(fd, (struct sockaddr *)addr, &len);
}

int lab_peer_address(int fd, struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    memset(addr, 0, sizeof *addr);
    return getpeername(fd, (struct sockaddr *)addr, &len);
}

uint16_t lab_local_port(int fd)
{
    struct sockaddr_in addr;
    if (lab_local_address(fd, &addr) == -1)
        return 0;
    return ntohs(addr.sin_port);
}

/* ---- socket options and flags ---- */

int lab_int_option(int fd, int level, int option)
{
    int value = -1;
    socklen_t size = sizeof value;
    if (getsockopt(fd, level, option, &value, &size) == -1)
        return -1;
    return value;
}

int lab_set_int_option(int fd, int level, int option, int value)
{
    return setsockopt(fd, level, option, &value, sizeof value);
}

int lab_set_buffers(int fd, int bytes)
{
    if (bytes == 0)
        return 0;
    if (lab_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, bytes) == -1)
        return -1;
    return lab_set_int_option(fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

static int set_time_option(int fd, int option, int ms)
{
    struct timeval limit = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit);
}

int lab_set_receive_timeout(int fd, int ms)
{
    return set_time_option(fd, SO_RCVTIMEO, ms);
}

int lab_set_send_timeout(int fd, int ms)
{
    return set_time_option(fd, SO_SNDTIMEO, ms);
}

bool lab_is_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags != -1 && (flags & O_NONBLOCK) != 0;
}

int lab_set_nonblocking(int fd, bool nonblocking)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    flags = nonblocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

/* TCP_INFO of fd into *info (zeroed first). Returns 0, or -1 with errno. */
static int tcp_info_of(int fd, struct tcp_info *info)
{
    socklen_t size = sizeof *info;
    memset(info, 0, sizeof *info);
    return getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &size);
}

int lab_tcp_state(int fd)
{
    struct tcp_info info;
    if (tcp_info_of(fd, &info) == -1)
        return -1;
    return info.tcpi_state;
}

long lab_listen_backlog(int fd)
{
    struct tcp_info info;
    if (tcp_info_of(fd, &info) == -1)
        return -1;
    if (info.tcpi_state != TCP_LISTEN) {
        errno = EINVAL;
        return -1;
    }
    return (long)info.tcpi_sacked; /* for a listening socket, Linux puts its backlog here */
}

int lab_accept_queue_length(int listen_fd)
{
    struct tcp_info info;
    if (tcp_info_of(listen_fd, &info) == -1)
        return -1;
    return (int)info.tcpi_unacked; /* for a listener: the accept queue's length */
}

/* ---- closing ---- */

void lab_close_keeping_errno(int fd)
{
    int saved_errno = errno;
    if (fd >= 0)
        close(fd);
    errno = saved_errno;
}

void lab_close_with_reset(int fd)
{
    int saved_errno = errno;
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    close(fd);
    errno = saved_errno;
}

/* ---- sockets of the test's own ---- */

int lab_bound_socket(int type, const char *ip, uint16_t port, int backlog, int buffers)
{
    struct sockaddr_in addr = lab_loopback_address(port);
    if (ip != NULL && inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    if (lab_set_buffers(fd, buffers) == -1 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) == -1 ||
        (backlog >= 0 && listen(fd, backlog) == -1)) {
        lab_close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

int lab_tcp_socket_or_fail(uint16_t port, int backlog, int buffers, struct sockaddr_in *addr)
{
    int fd = lab_bound_socket(SOCK_STREAM, "127.0.0.1", port, backlog, buffers);
    lab_require(fd != -1, lab_fmt("a TCP socket of the test's own on 127.0.0.1:%u%s",
                                  (unsigned)port, backlog >= 0 ? ", listening" : ""));
    if (addr != NULL)
        lab_require(lab_local_address(fd, addr) == 0, "getsockname() on the test's socket");
    return fd;
}

int lab_bind_errno(int type, const char *ip, uint16_t port)
{
    int fd = lab_bound_socket(type, ip, port, -1, 0);
    if (fd == -1)
        return errno;
    close(fd);
    return 0;
}

bool lab_port_free(int type, uint16_t port)
{
    struct sockaddr_in addr = lab_loopback_address(port);
    int probe = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (probe == -1)
        return false;
    if (type == SOCK_STREAM)
        lab_set_int_option(probe, SOL_SOCKET, SO_REUSEADDR, 1);
    bool free_now = bind(probe, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                    (type != SOCK_STREAM || listen(probe, 1) == 0);
    close(probe);
    return free_now;
}

int lab_connect_within(const struct sockaddr *server, socklen_t len, int timeout_ms)
{
    int fd = socket(server->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    int err = 0;
    if (connect(fd, server, len) == -1) {
        err = errno;
        if (err == EINPROGRESS)
            err = lab_wait_fd(fd, POLLOUT, timeout_ms) ? lab_int_option(fd, SOL_SOCKET, SO_ERROR)
                                                       : errno;
    }
    if (err == 0 && lab_set_nonblocking(fd, false) == -1)
        err = errno;
    if (err != 0) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int lab_connect_local(uint16_t port, int timeout_ms)
{
    struct sockaddr_in server = lab_loopback_address(port);
    return lab_connect_within((const struct sockaddr *)&server, sizeof server, timeout_ms);
}

int lab_accept_within(int listen_fd, int timeout_ms, struct sockaddr *peer, socklen_t *len)
{
    if (!lab_wait_fd(listen_fd, POLLIN, timeout_ms))
        return -1;
    return accept4(listen_fd, peer, peer ? len : NULL, SOCK_CLOEXEC);
}

/* SO_RCVBUF and SO_SNDBUF of fd, each unless 0. Returns 0, or -1 with errno. */
static int set_sizes(int fd, int rcvbuf, int sndbuf)
{
    if (rcvbuf != 0 && lab_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf) == -1)
        return -1;
    if (sndbuf != 0 && lab_set_int_option(fd, SOL_SOCKET, SO_SNDBUF, sndbuf) == -1)
        return -1;
    return 0;
}

struct lab_tcp_pair lab_tcp_pair_or_fail(const struct lab_pair_buffers *buffers)
{
    static const struct lab_pair_buffers system_sizes;
    const struct lab_pair_buffers *sizes = buffers ? buffers : &system_sizes;
    struct lab_tcp_pair pair = {-1, -1};
    struct sockaddr_in addr;

    int listen_fd = lab_tcp_socket_or_fail(0, 1, 0, &addr);
    lab_require(set_sizes(listen_fd, sizes->server_rcvbuf, sizes->server_sndbuf) == 0,
                "sizing the buffers of the test's listening socket");
    pair.client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    lab_require(pair.client != -1, "socket() for the test's client");
    lab_require(set_sizes(pair.client, sizes->client_rcvbuf, sizes->client_sndbuf) == 0,
                "sizing the buffers of the test's client");
    lab_require(connect(pair.client, (struct sockaddr *)&addr, sizeof addr) == 0,
                "connecting the test's client to its own listener");
    pair.server = lab_accept_within(listen_fd, lab_deadline_ms(LAB_WAIT_MS), NULL, NULL);
    lab_require(pair.server != -1, "accepting the test's own connection");
    close(listen_fd);
    return pair;
}

/* ---- test data ---- */

/* The data is made and compared eight bytes at a time: under Valgrind each load
 * and store of the test's own code is a call into the checker, and megabytes of
 * single bytes were a tenth of a second per test. Group g of eight bytes is the
 * xorshift64 state after g + 1 steps, its byte k the state's bits 8k..8k+7. */
#define DATA_WORD 8u

static uint64_t data_step(uint64_t state)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void store_word(unsigned char *at, uint64_t word)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    memcpy(at, &word, DATA_WORD);
}

void lab_data_maker_start(struct lab_data_maker *maker, unsigned seed)
{
    /* odd, so never the zero state xorshift cannot leave; a different one per seed */
    maker->state = ((uint64_t)seed << 1 | 1) * 0x9E3779B97F4A7C15u;
    maker->made = 0;
}

void lab_data_maker_fill(struct lab_data_maker *maker, unsigned char *data, size_t upto)
{
    /* maker->state is the state of the group holding byte made - 1 (made its last
     * step), so a group begun by an earlier fill is finished from the same state. */
    uint64_t state = maker->state;
    size_t i = maker->made;
    for (; i < upto && i % DATA_WORD != 0; i++)
        data[i] = (unsigned char)(state >> (8 * (i % DATA_WORD)));
    for (; i + DATA_WORD <= upto; i += DATA_WORD) {
        state = data_step(state);
        store_word(data + i, state);
    }
    if (i < upto)
        state = data_step(state);
    for (; i < upto; i++)
        data[i] = (unsigned char)(state >> (8 * (i % DATA_WORD)));
    size_t first_zero = (maker->made + DATA_ZERO_EVERY - 1) / DATA_ZERO_EVERY * DATA_ZERO_EVERY;
    for (size_t zero = first_zero; zero < upto; zero += DATA_ZERO_EVERY)
        data[zero] = 0;
    maker->state = state;
    maker->made = upto > maker->made ? upto : maker->made;
}

void lab_fill_data(unsigned char *data, size_t len, unsigned seed)
{
    struct lab_data_maker maker;
    lab_data_maker_start(&maker, seed);
    lab_data_maker_fill(&maker, data, len);
}

unsigned char *lab_make_data(size_t len, unsigned seed)
{
    unsigned char *data = malloc(len ? len : 1);
    lab_require(data != NULL, lab_fmt("malloc(%zu) for the test's data", len));
    lab_fill_data(data, len, seed);
    return data;
}

size_t lab_first_difference(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    for (; i + DATA_WORD <= len; i += DATA_WORD) {
        uint64_t word_a, word_b;
        memcpy(&word_a, x + i, DATA_WORD);
        memcpy(&word_b, y + i, DATA_WORD);
        if (word_a != word_b)
            break; /* the byte loop below finds which byte */
    }
    while (i < len && x[i] == y[i])
        i++;
    return i;
}
