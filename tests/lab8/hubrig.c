/*
 * hubrig.c - the hub tests' listener and clients: see hubrig.h.
 */
#define LAB_NAME "lab8"
#include "labtest.h"

#include "hubrig.h"
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#define SETTLE_QUIET_MS 30     /* a step that waits this long found nothing to do */
#define SETTLE_DEADLINE_MS 4000
#define SEND_PIECE (64 * 1024) /* client_send */
#define ECHO_DEADLINE_MS 4000
#define EXCHANGE_STEP_MS 5
#define LISTEN_BACKLOG 256

static void set_buffers(int fd, int buffers)
{
    if (buffers == 0)
        return;
    bool ok = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffers, sizeof buffers) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffers, sizeof buffers) == 0;
    int err = errno;
    lab_expect(ok, "Test setup (not your code): sizing a socket's buffers.", "0",
               lab_errno_text(err), "5.1");
}

void rig_open(struct rig *rig, int buffers)
{
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    rig->hub = NULL;
    rig->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    set_buffers(rig->listen_fd, buffers);
    bool ok = rig->listen_fd != -1 &&
              bind(rig->listen_fd, (struct sockaddr *)&address, size) == 0 &&
              listen(rig->listen_fd, LISTEN_BACKLOG) == 0 &&
              getsockname(rig->listen_fd, (struct sockaddr *)&address, &size) == 0;
    int err = errno;
    lab_expect(ok, "Test setup (not your code): listening on 127.0.0.1 port 0.",
               "a listening socket", lab_errno_text(err), "5.1");
    rig->port = ntohs(address.sin_port);
    errno = 0;
    rig->hub = hub_create(rig->listen_fd);
    err = errno;
    lab_expect(rig->hub != NULL,
               "hub_create on a listening TCP socket (what tcp_listen returns) should give a "
               "hub.",
               "a hub (not NULL)", lab_fmt("NULL with errno %s", lab_errno_text(err)), "4.1");
}

void rig_close(struct rig *rig)
{
    hub_destroy(rig->hub);
    rig->hub = NULL;
    if (rig->listen_fd != -1)
        close(rig->listen_fd);
    rig->listen_fd = -1;
}

int rig_connect(struct rig *rig, int buffers)
{
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(rig->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int queued = accept_queue_length(rig->listen_fd);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    set_buffers(fd, buffers);
    bool ok = fd != -1 && connect(fd, (struct sockaddr *)&server, sizeof server) == 0 &&
              fcntl(fd, F_SETFL, O_NONBLOCK) == 0;
    int err = errno;
    lab_expect(ok, "Test setup (not your code): a client connecting to the listener.",
               "connected", lab_errno_text(err), "5.1");
    /* connect returns once the handshake is done on the client's side; the
     * connection joins the accept queue as the listener gets the last ACK. */
    long long deadline = lab_now_ms() + lab_deadline_ms(2000);
    while (accept_queue_length(rig->listen_fd) <= queued && lab_now_ms() < deadline)
        poll(NULL, 0, 1);
    return fd;
}

int rig_step(struct rig *rig, int timeout_ms)
{
    errno = 0;
    int result = hub_step(rig->hub, timeout_ms);
    int err = errno;
    lab_expect(result != -1,
               lab_fmt("hub_step(hub, %d) should serve its clients; none of them did anything "
                       "that is an error of hub_step.",
                       timeout_ms),
               "the number of clients (0 or more)", lab_result_text(result, err), "4.2");
    return result;
}

void rig_settle(struct rig *rig)
{
    long long deadline = lab_now_ms() + lab_deadline_ms(SETTLE_DEADLINE_MS);
    int steps = 0;
    for (;;) {
        long long before = lab_now_ms();
        rig_step(rig, SETTLE_QUIET_MS);
        steps++;
        if (lab_now_ms() - before >= SETTLE_QUIET_MS - 1)
            return;
        lab_expect(lab_now_ms() < deadline,
                   "While its clients do nothing, hub_step(hub, 30) should soon find nothing "
                   "to do and wait its 30 ms. It kept returning at once: a busy loop (a "
                   "client that is gone but still polled, or POLLIN asked of a client "
                   "whose room is full, or the listener polled while the hub is full).",
                   "a step that waits its whole timeout",
                   lab_fmt("%d steps in %d ms, each returning before its timeout", steps,
                           lab_deadline_ms(SETTLE_DEADLINE_MS)),
                   "2.3");
    }
}

bool rig_wait_clients(struct rig *rig, int count, int ms)
{
    long long deadline = lab_now_ms() + lab_deadline_ms(ms);
    while (hub_clients(rig->hub) != count && lab_now_ms() < deadline)
        rig_step(rig, EXCHANGE_STEP_MS);
    return hub_clients(rig->hub) == count;
}

size_t client_send(int fd, const void *data, size_t len, bool *failed)
{
    size_t sent = 0;
    while (sent < len) {
        /* A piece at a time: Valgrind checks every byte a send() is given, and a
         * flood offers megabytes of which the socket takes a few kilobytes. */
        size_t piece = len - sent < SEND_PIECE ? len - sent : SEND_PIECE;
        ssize_t now = send(fd, (const char *)data + sent, piece, MSG_NOSIGNAL);
        if (now == -1) {
            if (errno != EAGAIN && errno != EINTR && failed)
                *failed = true;
            break;
        }
        sent += (size_t)now;
    }
    return sent;
}

size_t client_recv(int fd, void *buf, size_t room, bool *ended)
{
    size_t got = 0;
    while (got < room) {
        ssize_t now = recv(fd, (char *)buf + got, room - got, 0);
        if (now == 0 || (now == -1 && errno != EAGAIN && errno != EINTR)) {
            if (ended)
                *ended = true;
            break;
        }
        if (now == -1)
            break;
        got += (size_t)now;
    }
    return got;
}

size_t rig_exchange(struct rig *rig, int fd, const void *data, size_t len, void *echo,
                    size_t want, int ms)
{
    long long deadline = lab_now_ms() + lab_deadline_ms(ms);
    size_t sent = 0, got = 0;
    bool ended = false;
    while (got < want && !ended && lab_now_ms() < deadline) {
        if (sent < len)
            sent += client_send(fd, (const char *)data + sent, len - sent, NULL);
        rig_step(rig, EXCHANGE_STEP_MS);
        got += client_recv(fd, (char *)echo + got, want - got, &ended);
    }
    return got;
}

void rig_expect_echo(struct rig *rig, int fd, const char *text, const char *who,
                     const char *section)
{
    size_t len = strlen(text);
    char echo[512];
    lab_expect(len <= sizeof echo, "Test setup: a short message.", "<= 512 bytes", "longer",
               "5.1");
    size_t got = rig_exchange(rig, fd, text, len, echo, len, ECHO_DEADLINE_MS);
    lab_expect(got == len && memcmp(echo, text, len) == 0,
               lab_fmt("%s sent %s and should get it back (the test steps the hub while it "
                       "waits).",
                       who, lab_bytes_text(text, len, 60)),
               lab_bytes_text(text, len, 60),
               got == 0 ? lab_fmt("nothing within %d ms", lab_deadline_ms(ECHO_DEADLINE_MS))
                        : lab_bytes_text(echo, got, 60),
               section);
}

void reset_connection(int fd)
{
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    close(fd);
}

void data_maker_start(struct data_maker *maker, unsigned seed)
{
    maker->state = seed * 2654435761u + 1;
    maker->made = 0;
}

void data_maker_fill(struct data_maker *maker, unsigned char *data, size_t upto)
{
    unsigned state = maker->state;
    for (size_t i = maker->made; i < upto; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        data[i] = (unsigned char)(i % 83 == 0 ? 0 : state >> 24);
    }
    maker->state = state;
    maker->made = upto > maker->made ? upto : maker->made;
}

unsigned char *make_data(size_t len, unsigned seed)
{
    unsigned char *data = malloc(len ? len : 1);
    struct data_maker maker;
    data_maker_start(&maker, seed);
    data_maker_fill(&maker, data, len);
    return data;
}

int buffer_total(int fd)
{
    int rcv = 0, snd = 0;
    socklen_t size = sizeof rcv;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &size);
    size = sizeof snd;
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &size);
    return rcv + snd;
}

int accept_queue_length(int listen_fd)
{
    struct tcp_info info;
    socklen_t size = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &size) == -1)
        return -1;
    return (int)info.tcpi_unacked; /* for a listener: the accept queue's length */
}
