/*
 * hubrig.c - the hub tests' listener and clients: see hubrig.h.
 */
#include "labtest.h"

#include "hubrig.h"
#include "labnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define SETTLE_QUIET_MS 30   /* a step that waits this long found nothing to do... */
#define SETTLE_QUIET_STEPS 2 /* ...when this many do so in a row */
#define SETTLE_DEADLINE_MS 4000
#define SEND_PIECE (64 * 1024) /* client_send */
#define ECHO_DEADLINE_MS 4000
#define EXCHANGE_STEP_MS 5
#define LISTEN_BACKLOG 256

void rig_open(struct rig *rig, int buffers)
{
    struct sockaddr_in address;
    rig->hub = NULL;
    rig->listen_fd = lab_tcp_socket_or_fail(0, LISTEN_BACKLOG, buffers, &address);
    rig->port = ntohs(address.sin_port);
    errno = 0;
    rig->hub = hub_create(rig->listen_fd);
    int err = errno;
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
    struct sockaddr_in server = lab_loopback_address(rig->port);
    int queued = lab_accept_queue_length(rig->listen_fd);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    lab_require(fd != -1, "socket() for a client of the test's own");
    lab_require(lab_set_buffers(fd, buffers) == 0, "sizing a client's buffers");
    lab_require(connect(fd, (struct sockaddr *)&server, sizeof server) == 0,
                "a client connecting to the listener");
    lab_require(lab_set_nonblocking(fd, true) == 0, "making a client non-blocking");
    /* connect returns once the handshake is done on the client's side; the
     * connection joins the accept queue as the listener gets the last ACK. */
    long long deadline = lab_now_ms() + lab_deadline_ms(2000);
    while (lab_accept_queue_length(rig->listen_fd) <= queued && lab_now_ms() < deadline)
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
    /* A step that did work can be slow too (a loaded machine, Valgrind): only
     * SETTLE_QUIET_STEPS waits in a row, each of the whole timeout, say that
     * the hub found nothing to do. Each settle waits them in full: stretched
     * under Valgrind as a wait (lab_wait_ms), not as a deadline. */
    int quiet_ms = lab_wait_ms(SETTLE_QUIET_MS);
    long long deadline = lab_now_ms() + lab_deadline_ms(SETTLE_DEADLINE_MS);
    int steps = 0, quiet_in_a_row = 0;
    for (;;) {
        long long before = lab_now_ms();
        rig_step(rig, quiet_ms);
        steps++;
        quiet_in_a_row = lab_now_ms() - before >= quiet_ms - 1 ? quiet_in_a_row + 1 : 0;
        if (quiet_in_a_row == SETTLE_QUIET_STEPS)
            return;
        lab_expect(lab_now_ms() < deadline,
                   lab_fmt("While its clients do nothing, hub_step(hub, %d) should soon find "
                           "nothing to do and wait its %d ms. It kept returning at once: a busy "
                           "loop (a client that is gone but still polled, or POLLIN asked of a "
                           "client whose room is full, or the listener polled while the hub is "
                           "full).",
                           quiet_ms, quiet_ms),
                   lab_fmt("%d steps in a row that wait their whole timeout", SETTLE_QUIET_STEPS),
                   lab_fmt("%d steps in %d ms, most returning before their timeout", steps,
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
    errno = EMSGSIZE;
    lab_require(len <= sizeof echo, lab_fmt("a message of at most %zu bytes", sizeof echo));
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

int buffer_total(int fd)
{
    return lab_int_option(fd, SOL_SOCKET, SO_RCVBUF) + lab_int_option(fd, SOL_SOCKET, SO_SNDBUF);
}
