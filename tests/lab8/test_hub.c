/*
 * Lab 8 tests, part 1: the hub (lab8.h, handout sections 2 and 4.1-4.3).
 *
 * Each test listens on 127.0.0.1 (port 0), puts a hub on the listener, and
 * plays every client itself with non-blocking sockets, calling hub_step
 * between the clients' moves (hubrig.h). Nothing runs in another thread, so
 * what each client has sent when the hub looks is chosen by the test. The
 * hub is only ever seen through hub_create, hub_step, hub_clients,
 * hub_destroy and the test's own sockets.
 */
#include "labtest.h"

#include "hubrig.h"
#include "lab8.h"
#include "labnet.h"
#include "labsignal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define ECHO_MS 4000
#define MANY_CLIENTS 24

/* ---- hub_create, hub_clients, hub_destroy ---- */

static void expect_create_fails(int fd, int expected_errno, const char *what)
{
    errno = 0;
    struct echo_hub *hub = hub_create(fd);
    int err = errno;
    hub_destroy(hub);
    lab_expect(hub == NULL && err == expected_errno,
               lab_fmt("hub_create(%s) should fail.", what),
               lab_fmt("NULL with errno %s", lab_errno_text(expected_errno)),
               hub ? "a hub" : lab_fmt("NULL with errno %s", lab_errno_text(err)), "4.1");
}

LAB_TEST(hub_create, accepts_nothing_until_the_first_step)
{
    struct rig rig;
    rig_open(&rig, 0);
    int early = rig_connect(&rig, 0);
    struct echo_hub *second = hub_create(rig.listen_fd);
    int clients = hub_clients(second);
    int queued = lab_accept_queue_length(rig.listen_fd);
    hub_destroy(second);
    lab_expect(clients == 0 && queued == 1,
               "hub_create should only prepare the hub: a client that connected before it "
               "still waits in the accept queue afterwards (hub_step accepts).",
               "hub_clients 0, the connection still queued",
               lab_fmt("hub_clients %d, %d connection(s) queued", clients, queued), "4.1");
    int after = rig_step(&rig, 1000);
    lab_expect(after == 1 && hub_clients(rig.hub) == 1,
               "The first hub_step should accept the waiting client and return the number of "
               "clients.",
               "1 (and hub_clients 1)", lab_fmt("%d (hub_clients %d)", after, hub_clients(rig.hub)),
               "4.2");
    close(early);
    rig_close(&rig);
}

LAB_TEST(hub_create, closed_descriptor_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    expect_create_fails(fd, EBADF, lab_fmt("%d, a descriptor that is not open", fd));
    expect_create_fails(-1, EBADF, "-1");
}

LAB_TEST(hub_create, file_fails_with_enotsock)
{
    int fd = open("/dev/null", O_RDONLY);
    expect_create_fails(fd, ENOTSOCK, "a descriptor of /dev/null, not a socket");
    close(fd);
}

LAB_TEST(hub_create, socket_that_does_not_listen_fails_with_einval)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    expect_create_fails(fd, EINVAL, "a TCP socket that never called listen");
    close(fd);
}

LAB_TEST(hub_create, udp_socket_fails_with_einval)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    expect_create_fails(fd, EINVAL, "a UDP socket");
    close(fd);
}

LAB_TEST(hub_clients, null_hub_fails_with_einval)
{
    errno = 0;
    int result = hub_clients(NULL);
    int err = errno;
    lab_expect_failure(result, err, EINVAL, "hub_clients(NULL) should fail.", "4.3");
}

LAB_TEST(hub_step, null_hub_fails_with_einval)
{
    errno = 0;
    int result = hub_step(NULL, 0);
    int err = errno;
    lab_expect_failure(result, err, EINVAL, "hub_step(NULL, 0) should fail.", "4.2");
}

LAB_TEST(hub_destroy, null_does_nothing_and_hub_leaves_listen_fd_open)
{
    hub_destroy(NULL);
    struct rig rig;
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    rig_expect_echo(&rig, client, "before destroy", "A client", "4.2");
    hub_destroy(rig.hub);
    rig.hub = NULL;
    char byte;
    struct pollfd closed = {.fd = client, .events = POLLIN};
    bool ended = poll(&closed, 1, lab_deadline_ms(2000)) == 1 && recv(client, &byte, 1, 0) <= 0;
    lab_expect(ended,
               "hub_destroy should close every client socket: the client then sees an end of "
               "stream (or a reset).",
               "recv returns 0 or -1", "the client's socket is still connected", "4.3");
    lab_expect(lab_fd_is_open(rig.listen_fd),
               "hub_destroy should not close listen_fd: the caller opened it.",
               "listen_fd still open", "closed", "4.3");
    int next = rig_connect(&rig, 0);
    close(next);
    close(client);
    rig_close(&rig);
}

/* ---- one client ---- */

LAB_TEST(hub_step, one_client_gets_its_echo)
{
    struct rig rig;
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    rig_expect_echo(&rig, client, "Hello world! This is an echo server made with C.",
                    "One client", "4.2");
    rig_expect_echo(&rig, client, "and a second message", "The same client", "4.2");
    close(client);
    rig_close(&rig);
}

LAB_TEST(hub_step, returns_the_number_of_clients)
{
    struct rig rig;
    rig_open(&rig, 0);
    int clients[3];
    for (int i = 0; i < 3; i++)
        clients[i] = rig_connect(&rig, 0);
    bool three = rig_wait_clients(&rig, 3, 2000);
    int returned = rig_step(&rig, 0);
    lab_expect(three && returned == 3,
               "With three clients connected, hub_step should return 3 (and hub_clients say 3).",
               "3", lab_fmt("hub_step %d, hub_clients %d", returned, hub_clients(rig.hub)),
               "4.2");
    close(clients[1]);
    bool two = rig_wait_clients(&rig, 2, 2000);
    lab_expect(two && rig_step(&rig, 0) == 2,
               "Once one of three clients has closed, the hub should forget it: hub_step and "
               "hub_clients then say 2.",
               "2", lab_fmt("hub_clients %d", hub_clients(rig.hub)), "2.5");
    close(clients[0]);
    close(clients[2]);
    rig_close(&rig);
}

LAB_TEST(hub_step, accepts_every_waiting_connection_in_one_step)
{
    enum { WAITING = 10 };
    struct rig rig;
    rig_open(&rig, 0);
    int clients[WAITING];
    for (int i = 0; i < WAITING; i++)
        clients[i] = rig_connect(&rig, 0);
    long long deadline = lab_now_ms() + lab_deadline_ms(2000);
    while (lab_accept_queue_length(rig.listen_fd) < WAITING && lab_now_ms() < deadline)
        poll(NULL, 0, 1); /* the kernel finishes the handshakes: nothing to wait on */
    int returned = rig_step(&rig, 1000);
    lab_expect(returned == WAITING,
               "Ten connections wait in the accept queue: one hub_step should accept them "
               "all (accept until EAGAIN), not one per step.",
               "10", lab_fmt("%d", returned), "4.2");
    for (int i = 0; i < WAITING; i++)
        close(clients[i]);
    rig_close(&rig);
}

LAB_TEST(hub_step, waits_its_timeout_when_nothing_happens)
{
    struct rig rig;
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    rig_wait_clients(&rig, 1, 2000);
    long long before = lab_now_ms();
    int zero = rig_step(&rig, 0);
    long long zero_took = lab_now_ms() - before;
    before = lab_now_ms();
    int waited = rig_step(&rig, 150);
    long long took = lab_now_ms() - before;
    lab_expect(zero == 1 && zero_took < lab_deadline_ms(100),
               "hub_step(hub, 0) with a silent client should return at once, with 1.",
               "1, at once", lab_fmt("%d after %lld ms", zero, zero_took), "4.2");
    lab_expect(waited == 1 && took >= 145 && took < lab_deadline_ms(2000),
               "hub_step(hub, 150) with one silent client should wait about 150 ms (nothing "
               "to do) and return 1.",
               "1, after about 150 ms", lab_fmt("%d after %lld ms", waited, took), "4.2");
    close(client);
    rig_close(&rig);
}

LAB_TEST(hub_step, binary_data_comes_back_unchanged)
{
    size_t len = 1024 * 1024 + 7;
    unsigned char *data = lab_make_data(len, 8);
    unsigned char *echo = malloc(len);
    struct rig rig;
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    size_t got = rig_exchange(&rig, client, data, len, echo, len, 20000);
    size_t same = 0;
    while (same < got && echo[same] == data[same])
        same++;
    free(data);
    free(echo);
    close(client);
    rig_close(&rig);
    lab_expect(got == len && same == len,
               "1 MiB of binary data (zero bytes included) should come back unchanged, in "
               "order.",
               lab_fmt("%zu bytes, all the same", len),
               lab_fmt("%zu bytes back, the first %zu the same", got, same), "2.4");
}

/* ---- clients that could block the hub ---- */

LAB_TEST(hub_step, silent_and_half_message_clients_do_not_delay_another)
{
    struct rig rig;
    rig_open(&rig, 0);
    int silent = rig_connect(&rig, 0);
    int half = rig_connect(&rig, 0);
    char piece[16];
    bool ended = false;
    client_send(half, "half a mes", 10, NULL);
    rig_settle(&rig);
    size_t got = client_recv(half, piece, sizeof piece, &ended);
    int served = rig_connect(&rig, 0);
    lab_expect(got == 10 && memcmp(piece, "half a mes", 10) == 0,
               "A client sent 10 bytes, half a message, and stopped: the hub should echo "
               "those 10 bytes at once (each piece as it arrives) and wait for no more.",
               "\"half a mes\"", lab_bytes_text(piece, got, 20), "2.3");
    rig_expect_echo(&rig, served, "served while the others wait",
                    "A client connected after a silent one and one that stopped mid-message",
                    "2.2");
    rig_expect_echo(&rig, served, "and again", "The same client", "2.2");
    close(silent);
    close(half);
    close(served);
    rig_close(&rig);
}

/* The flooding client: small buffers, never reads until told to. */
struct flood {
    int fd;
    unsigned char *data; /* made as it is sent (lab_data_maker) */
    struct lab_data_maker maker;
    size_t len;      /* what it means to send */
    size_t sent;
};

#define FLOOD_PIECE (256 * 1024) /* made ahead of what is sent */

/* The bytes it means to send: len of them, the first `sent` already sent. */
static void flood_data(struct flood *flood, size_t len)
{
    free(flood->data);
    flood->data = malloc(len ? len : 1);
    flood->len = len;
    lab_data_maker_start(&flood->maker, 11);
    lab_data_maker_fill(&flood->maker, flood->data, flood->sent < len ? flood->sent : len);
}

static void flood_start(struct flood *flood, struct rig *rig, size_t len)
{
    flood->fd = rig_connect(rig, RIG_SMALL_BUFFERS);
    flood->data = NULL;
    flood->sent = 0;
    flood_data(flood, len);
}

/* Sends what its socket takes now of the rest. */
static size_t flood_send(struct flood *flood)
{
    size_t ahead = flood->len - flood->sent < FLOOD_PIECE ? flood->len : flood->sent + FLOOD_PIECE;
    lab_data_maker_fill(&flood->maker, flood->data, ahead);
    size_t now = client_send(flood->fd, flood->data + flood->sent, ahead - flood->sent, NULL);
    flood->sent += now;
    return now;
}

/* Sends until its socket takes no more, stepping the hub, until a settled hub
 * takes nothing more either. Returns true when it stopped before `len`. */
static bool flood_until_blocked(struct flood *flood, struct rig *rig)
{
    long long deadline = lab_now_ms() + lab_deadline_ms(8000);
    while (flood->sent < flood->len && lab_now_ms() < deadline) {
        if (flood_send(flood) == 0) {
            rig_settle(rig);
            if (flood_send(flood) == 0)
                return true;
        }
        rig_step(rig, 0);
    }
    return false;
}

/* Reads the whole echo of what was sent, stepping the hub; checks order. */
static void flood_expect_every_byte(struct flood *flood, struct rig *rig, const char *section)
{
    unsigned char *echo = malloc(flood->sent ? flood->sent : 1);
    size_t got = rig_exchange(rig, flood->fd, NULL, 0, echo, flood->sent, 20000);
    size_t same = lab_first_difference(echo, flood->data, got);
    free(echo);
    lab_expect(got == flood->sent && same == got,
               lab_fmt("A client sent %zu bytes without reading, then read: every byte should "
                       "come back, in order (the hub held what it could not send, and "
                       "stopped receiving while its room was full).",
                       flood->sent),
               lab_fmt("%zu bytes, all in order", flood->sent),
               lab_fmt("%zu bytes, the first %zu in order", got, same), section);
}

static void flood_end(struct flood *flood)
{
    free(flood->data);
    close(flood->fd);
}

LAB_TEST(hub_step, client_that_stops_reading_does_not_delay_others,
         .timeout = LAB_LONG_TEST_TIMEOUT)
{
    struct rig rig;
    struct flood flood;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    flood_start(&flood, &rig, 8 * 1024 * 1024);
    int other = rig_connect(&rig, 0);
    rig_expect_echo(&rig, other, "before the flood", "A client", "2.4");
    flood_until_blocked(&flood, &rig);
    for (int i = 0; i < 3; i++)
        rig_expect_echo(&rig, other, lab_fmt("message %d while another client floods", i),
                        "A client (while another sends megabytes and never reads)", "2.4");
    flood_end(&flood);
    close(other);
    rig_close(&rig);
}

LAB_TEST(hub_step, client_whose_room_is_full_is_no_longer_read, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    struct rig rig;
    struct flood flood;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    flood_start(&flood, &rig, 8 * 1024 * 1024);
    bool blocked = flood_until_blocked(&flood, &rig);
    /* Where its bytes may be: its own send buffer, the hub's receive buffer,
     * the hub's pending room, the hub's send buffer and its receive buffer
     * (kernels keep up to about twice what SO_*BUF reports), plus slack. */
    size_t bound = HUB_MAX_PENDING + 2 * (size_t)(buffer_total(flood.fd) +
                                                  buffer_total(rig.listen_fd)) + 256 * 1024;
    lab_expect(blocked && flood.sent <= bound,
               "A client sends and never reads its echo: once its room (HUB_MAX_PENDING "
               "bytes) is full the hub should stop receiving from it (no POLLIN), so its "
               "sends soon block at the kernel's buffers.",
               lab_fmt("its sends block after at most %zu bytes", bound),
               blocked ? lab_fmt("they blocked after %zu bytes", flood.sent)
                       : lab_fmt("the hub took all %zu bytes", flood.sent),
               "2.4");
    flood_end(&flood);
    rig_close(&rig);
}

LAB_TEST(hub_step, client_that_floods_gets_every_byte_once_it_reads,
         .timeout = LAB_LONG_TEST_TIMEOUT)
{
    struct rig rig;
    struct flood flood;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    flood_start(&flood, &rig, 8 * 1024 * 1024);
    flood_until_blocked(&flood, &rig);
    flood_expect_every_byte(&flood, &rig, "2.4");
    /* And again: the hub reads from it once there is room. */
    size_t first = flood.sent;
    flood_data(&flood, first + 2 * HUB_MAX_PENDING);
    flood_until_blocked(&flood, &rig);
    lab_expect(flood.sent > first,
               "Once the client has read its echo, the hub should receive from it again.",
               "more bytes taken", "no byte more", "2.4");
    flood_end(&flood);
    rig_close(&rig);
}

/* ---- many clients ---- */

/* One tagged message: "<client>:<number>;" padded to vary its length. */
static size_t tagged(char *out, size_t room, int client, int number)
{
    int pad = (client * 7 + number * 13) % 40;
    return (size_t)snprintf(out, room, "[c%02d m%03d %.*s]", client, number, pad,
                            "........................................");
}

struct tagged_client {
    int fd;
    char sent[4096];
    size_t sent_len;
    char echo[4096];
    size_t echo_len;
};

/* On the heap, not in static data: every call copies the test's static data
 * into the session (labcall.h), and these 530 KB would be most of what a call
 * costs under Valgrind. tagged_start makes them; the test process's end frees them. */
static struct tagged_client *tagged_clients;

static void tagged_start(void)
{
    if (tagged_clients == NULL)
        tagged_clients = calloc(HUB_MAX_CLIENTS + 1, sizeof *tagged_clients);
    lab_require(tagged_clients != NULL, "memory for the test's clients");
}

/* Collects what has come back to each client. */
static void collect(int count)
{
    for (int i = 0; i < count; i++) {
        struct tagged_client *c = &tagged_clients[i];
        if (c->fd == -1)
            continue;
        c->echo_len += client_recv(c->fd, c->echo + c->echo_len,
                                   sizeof c->echo - c->echo_len, NULL);
    }
}

static bool all_echoed(int count)
{
    for (int i = 0; i < count; i++)
        if (tagged_clients[i].fd != -1 &&
            tagged_clients[i].echo_len < tagged_clients[i].sent_len)
            return false;
    return true;
}

/* Rounds of messages in an interleaved order, some cut in two across steps. */
static void send_rounds(struct rig *rig, int count, int rounds, int first_number)
{
    for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < count; k++) {
            int i = (k * 5 + round * 3) % count; /* a different order every round */
            struct tagged_client *c = &tagged_clients[i];
            if (c->fd == -1)
                continue;
            char message[128];
            size_t len = tagged(message, sizeof message, i, first_number + round);
            size_t cut = (i + round) % 3 == 0 ? len / 2 : len;
            memcpy(c->sent + c->sent_len, message, len);
            c->sent_len += client_send(c->fd, message, cut, NULL);
            if (k % 4 == 0)
                rig_step(rig, 0);
            c->sent_len += client_send(c->fd, message + cut, len - cut, NULL);
        }
        rig_step(rig, 0);
        collect(count);
    }
    long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_MS);
    while (!all_echoed(count) && lab_now_ms() < deadline) {
        rig_step(rig, 5);
        collect(count);
    }
}

static void expect_own_bytes(int count, const char *situation)
{
    for (int i = 0; i < count; i++) {
        struct tagged_client *c = &tagged_clients[i];
        if (c->fd == -1)
            continue;
        size_t same = 0;
        while (same < c->echo_len && same < c->sent_len && c->echo[same] == c->sent[same])
            same++;
        lab_expect(c->echo_len == c->sent_len && same == c->sent_len,
                   lab_fmt("%s: client %d should get back exactly its own bytes, in order.",
                           situation, i),
                   lab_fmt("%zu bytes, from %s", c->sent_len,
                           lab_bytes_text(c->sent + same, c->sent_len - same, 40)),
                   lab_fmt("%zu bytes; from byte %zu: %s", c->echo_len, same,
                           lab_bytes_text(c->echo + same, c->echo_len - same, 40)),
                   "2.3");
    }
}

static void connect_tagged(struct rig *rig, int count)
{
    tagged_start();
    for (int i = 0; i < count; i++) {
        tagged_clients[i] = (struct tagged_client){.fd = rig_connect(rig, 0)};
        if (i % 6 == 5)
            rig_step(rig, 0); /* some accepted while others still connect */
    }
}

static void close_tagged(int count)
{
    for (int i = 0; i < count; i++)
        if (tagged_clients[i].fd != -1)
            close(tagged_clients[i].fd);
}

LAB_TEST(hub_step, many_clients_get_exactly_their_own_bytes_in_order)
{
    struct rig rig;
    rig_open(&rig, 0);
    connect_tagged(&rig, MANY_CLIENTS);
    send_rounds(&rig, MANY_CLIENTS, 6, 0);
    expect_own_bytes(MANY_CLIENTS,
                     lab_fmt("%d clients sent interleaved tagged messages", MANY_CLIENTS));
    close_tagged(MANY_CLIENTS);
    rig_close(&rig);
}

LAB_TEST(hub_step, clients_leaving_do_not_disturb_the_others)
{
    static const int leaving[] = {MANY_CLIENTS - 1, 0, 11, 5, MANY_CLIENTS - 2};
    struct rig rig;
    rig_open(&rig, 0);
    connect_tagged(&rig, MANY_CLIENTS);
    send_rounds(&rig, MANY_CLIENTS, 2, 0);
    for (size_t k = 0; k < sizeof leaving / sizeof leaving[0]; k++) {
        struct tagged_client *c = &tagged_clients[leaving[k]];
        if (k % 2 == 0)
            lab_close_with_reset(c->fd);
        else
            close(c->fd);
        c->fd = -1;
    }
    int left = MANY_CLIENTS - (int)(sizeof leaving / sizeof leaving[0]);
    bool forgotten = rig_wait_clients(&rig, left, 2000);
    send_rounds(&rig, MANY_CLIENTS, 3, 10);
    expect_own_bytes(MANY_CLIENTS,
                     "Five clients left (first, last, middle; some reset), then the others "
                     "sent more");
    lab_expect(forgotten,
               "The five clients that left should be forgotten: hub_clients then counts the "
               "others only.",
               lab_fmt("%d", left), lab_fmt("%d", hub_clients(rig.hub)), "2.5");
    close_tagged(MANY_CLIENTS);
    rig_close(&rig);
}

/* ---- the limit ---- */

/* Connects HUB_MAX_CLIENTS clients, all accepted, plus one more that waits. */
static int fill_hub(struct rig *rig)
{
    tagged_start();
    for (int i = 0; i < HUB_MAX_CLIENTS; i++)
        tagged_clients[i] = (struct tagged_client){.fd = rig_connect(rig, 0)};
    bool full = rig_wait_clients(rig, HUB_MAX_CLIENTS, 3000);
    lab_expect(full, lab_fmt("%d clients connected: the hub should accept them all.",
                             HUB_MAX_CLIENTS),
               lab_fmt("hub_clients %d", HUB_MAX_CLIENTS),
               lab_fmt("hub_clients %d", hub_clients(rig->hub)), "2.7");
    return rig_connect(rig, 0);
}

LAB_TEST(hub_limit, next_client_waits_while_max_are_connected)
{
    struct rig rig;
    rig_open(&rig, 0);
    int extra = fill_hub(&rig);
    client_send(extra, "anyone?", 7, NULL);
    rig_settle(&rig);
    char echo[8];
    size_t got = client_recv(extra, echo, sizeof echo, NULL);
    int clients = hub_clients(rig.hub);
    lab_expect(clients == HUB_MAX_CLIENTS && got == 0,
               lab_fmt("With HUB_MAX_CLIENTS (%d) clients connected, the next one should wait "
                       "in the accept queue, unserved.",
                       HUB_MAX_CLIENTS),
               lab_fmt("hub_clients %d, no echo for client %d", HUB_MAX_CLIENTS,
                       HUB_MAX_CLIENTS + 1),
               lab_fmt("hub_clients %d, %zu bytes of echo", clients, got), "2.7");
    rig_expect_echo(&rig, tagged_clients[HUB_MAX_CLIENTS / 2].fd, "still served?",
                    "One of the connected clients (while another waits in the queue)", "2.7");
    close(extra);
    close_tagged(HUB_MAX_CLIENTS);
    rig_close(&rig);
}

LAB_TEST(hub_limit, waiting_connection_does_not_end_the_wait, .timeout = LAB_LONG_TEST_TIMEOUT)
{
    struct rig rig;
    rig_open(&rig, 0);
    int extra = fill_hub(&rig);
    rig_settle(&rig);
    long long before = lab_now_ms();
    int result = rig_step(&rig, 200);
    long long took = lab_now_ms() - before;
    lab_expect(result == HUB_MAX_CLIENTS && took >= 195,
               "With the hub full and one connection waiting in the queue, hub_step(hub, 200) "
               "has nothing to do and should wait its 200 ms (do not poll the listener while "
               "full: it would wake the hub at once, again and again).",
               lab_fmt("%d after about 200 ms", HUB_MAX_CLIENTS),
               lab_fmt("%d after %lld ms", result, took), "2.7");
    close(extra);
    close_tagged(HUB_MAX_CLIENTS);
    rig_close(&rig);
}

LAB_TEST(hub_limit, waiting_client_is_served_when_one_leaves)
{
    struct rig rig;
    rig_open(&rig, 0);
    int extra = fill_hub(&rig);
    client_send(extra, "my turn", 7, NULL);
    rig_settle(&rig);
    close(tagged_clients[3].fd);
    tagged_clients[3].fd = -1;
    char echo[8];
    size_t got = rig_exchange(&rig, extra, NULL, 0, echo, 7, ECHO_MS);
    lab_expect(got == 7 && memcmp(echo, "my turn", 7) == 0,
               lab_fmt("Client %d waited in the queue with its message sent; once one of the "
                       "%d leaves, the hub should accept it and echo what it sent.",
                       HUB_MAX_CLIENTS + 1, HUB_MAX_CLIENTS),
               "\"my turn\"", lab_bytes_text(echo, got, 10), "2.7");
    lab_expect(hub_clients(rig.hub) == HUB_MAX_CLIENTS,
               "One client left and the waiting one was accepted: the hub is full again.",
               lab_fmt("hub_clients %d", HUB_MAX_CLIENTS),
               lab_fmt("hub_clients %d", hub_clients(rig.hub)), "2.7");
    close(extra);
    close_tagged(HUB_MAX_CLIENTS);
    rig_close(&rig);
}

/* ---- closing and resetting ---- */

LAB_TEST(hub_close, half_closed_client_gets_the_rest_of_its_echo)
{
    /* More than the kernel's buffers between hub and client hold, less than
     * the hub's room: the hub reads it all and the end of stream while part
     * of the echo is still pending. */
    size_t len = HUB_MAX_PENDING - 1000;
    unsigned char *data = lab_make_data(len, 21);
    unsigned char *echo = malloc(len + 1);
    struct rig rig;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    int client = rig_connect(&rig, RIG_SMALL_BUFFERS);
    size_t sent = 0;
    long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_MS);
    while (sent < len && lab_now_ms() < deadline) {
        sent += client_send(client, data + sent, len - sent, NULL);
        rig_step(&rig, 5);
    }
    shutdown(client, SHUT_WR);
    rig_settle(&rig);
    size_t got = rig_exchange(&rig, client, NULL, 0, echo, len + 1, ECHO_MS);
    bool same = got == len && memcmp(echo, data, len) == 0;
    free(data);
    free(echo);
    lab_expect(sent == len && same,
               lab_fmt("A client sent %zu bytes, closed its side (shutdown SHUT_WR) before "
                       "reading any echo, then read: it should get all %zu bytes back, then "
                       "an end of stream (close only once the echo is out).",
                       len, len),
               lab_fmt("%zu bytes, in order", len), lab_fmt("%zu bytes", got), "2.5");
    bool forgotten = rig_wait_clients(&rig, 0, 2000);
    lab_expect(forgotten,
               "Once its echo is sent, the half-closed client should be closed and forgotten.",
               "hub_clients 0", lab_fmt("hub_clients %d", hub_clients(rig.hub)), "2.5");
    close(client);
    rig_close(&rig);
}

LAB_TEST(hub_close, closed_client_is_forgotten_and_its_socket_closed)
{
    struct rig rig;
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    rig_expect_echo(&rig, client, "goodbye", "A client", "2.5");
    shutdown(client, SHUT_WR);
    char byte;
    bool ended = false;
    long long deadline = lab_now_ms() + lab_deadline_ms(2000);
    while (!ended && lab_now_ms() < deadline) {
        rig_step(&rig, 5);
        client_recv(client, &byte, 1, &ended);
    }
    lab_expect(ended && hub_clients(rig.hub) == 0,
               "A client closed its side with nothing left to echo: the hub should close its "
               "socket (the client sees an end of stream) and forget it.",
               "end of stream, hub_clients 0",
               lab_fmt("%s, hub_clients %d", ended ? "end of stream" : "no end of stream",
                       hub_clients(rig.hub)),
               "2.5");
    rig_settle(&rig);
    close(client);
    rig_close(&rig);
}

LAB_TEST(hub_close, client_resetting_mid_echo_ends_only_that_client,
         .timeout = LAB_LONG_TEST_TIMEOUT)
{
    struct rig rig;
    struct flood flood;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    flood_start(&flood, &rig, 8 * 1024 * 1024);
    int other = rig_connect(&rig, 0);
    rig_expect_echo(&rig, other, "first", "A client", "2.5");
    flood_until_blocked(&flood, &rig);
    lab_close_with_reset(flood.fd);
    flood.fd = -1;
    free(flood.data);
    bool forgotten = rig_wait_clients(&rig, 1, 2000);
    lab_expect(forgotten,
               "A client reset the connection while the hub held its echo: the hub should "
               "close it and forget it (without the rest of its echo), and go on.",
               "hub_clients 1", lab_fmt("hub_clients %d", hub_clients(rig.hub)), "2.5");
    rig_expect_echo(&rig, other, "still here", "The other client, after the reset", "2.5");
    rig_settle(&rig);
    close(other);
    rig_close(&rig);
}

LAB_TEST(hub_close, client_resetting_before_it_is_accepted_is_not_an_error)
{
    struct rig rig;
    rig_open(&rig, 0);
    int gone = rig_connect(&rig, 0);
    client_send(gone, "bye", 3, NULL);
    lab_close_with_reset(gone);
    int client = rig_connect(&rig, 0);
    rig_expect_echo(&rig, client, "after the reset", "The next client", "2.5");
    rig_wait_clients(&rig, 1, 2000);
    rig_settle(&rig);
    close(client);
    rig_close(&rig);
}

LAB_TEST(hub_close, client_resetting_after_closing_its_side_raises_no_sigpipe)
{
    /* The client closes its side (its FIN reaches the hub: CLOSE_WAIT) while
     * the hub holds a full room of its echo, then resets. A reset in
     * CLOSE_WAIT makes the hub's next send fail with EPIPE, and without
     * MSG_NOSIGNAL that send raises SIGPIPE, whose default action kills the
     * process (this test's: SIGPIPE has its default action here). */
    size_t len = 5 * HUB_MAX_PENDING / 2;
    unsigned char *data = lab_make_data(len, 31);
    struct rig rig;
    rig_open(&rig, RIG_SMALL_BUFFERS);
    int roomy = 256 * 1024; /* the hub receives all of it, and the FIN behind it */
    setsockopt(rig.listen_fd, SOL_SOCKET, SO_RCVBUF, &roomy, sizeof roomy);
    int other = rig_connect(&rig, 0);
    int client = rig_connect(&rig, 0);
    int small = RIG_SMALL_BUFFERS; /* its echo backs up at once */
    setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    size_t sent = 0;
    long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_MS);
    while (sent < len && lab_now_ms() < deadline) {
        sent += client_send(client, data + sent, len - sent, NULL);
        rig_step(&rig, 5);
    }
    free(data);
    shutdown(client, SHUT_WR);
    rig_settle(&rig);
    lab_close_with_reset(client);
    bool forgotten = rig_wait_clients(&rig, 1, 2000);
    lab_expect(sent == len && forgotten,
               "A client closed its side, then reset the connection while the hub held its "
               "echo: the hub's send fails with EPIPE (never SIGPIPE: MSG_NOSIGNAL) and the "
               "hub should forget that client.",
               "hub_clients 1 (the other client)",
               lab_fmt("hub_clients %d (the client sent %zu of %zu bytes)",
                       hub_clients(rig.hub), sent, len),
               "2.5");
    rig_expect_echo(&rig, other, "no SIGPIPE here", "The other client", "2.5");
    close(other);
    rig_close(&rig);
}

LAB_TEST(hub_close, descriptors_are_back_to_the_start_after_every_client_left)
{
    /* The hub's sockets live where the student's code runs: its session. */
    struct rig rig;
    rig_open(&rig, 0);
    int at_start = lab_session_fd_count();
    connect_tagged(&rig, MANY_CLIENTS);
    send_rounds(&rig, MANY_CLIENTS, 2, 0);
    for (int i = 0; i < MANY_CLIENTS; i++) {
        if (i % 3 == 0)
            lab_close_with_reset(tagged_clients[i].fd);
        else if (i % 3 == 1)
            close(tagged_clients[i].fd);
        else
            shutdown(tagged_clients[i].fd, SHUT_WR);
    }
    bool forgotten = rig_wait_clients(&rig, 0, 3000);
    rig_settle(&rig);
    for (int i = 2; i < MANY_CLIENTS; i += 3)
        close(tagged_clients[i].fd);
    int now = lab_session_fd_count();
    lab_expect(forgotten && now == at_start,
               "Every client left (closed, reset, or half-closed): the hub should have closed "
               "every socket it accepted.",
               lab_fmt("hub_clients 0 and %d descriptors open, as at the start", at_start),
               lab_fmt("hub_clients %d and %d descriptors open", hub_clients(rig.hub), now),
               "2.5");
    rig_close(&rig);
}

/* ---- EMFILE ---- */

LAB_TEST(hub_step, out_of_descriptors_returns_emfile_and_keeps_the_connection_waiting)
{
    struct rig rig;
    rig_open(&rig, 0);
    int served = rig_connect(&rig, 0);
    rig_expect_echo(&rig, served, "first", "A client", "4.2");
    int waiting = rig_connect(&rig, 0);
    client_send(waiting, "later", 5, NULL);
    long previous = lab_exhaust_fd_limit();
    errno = 0;
    int result = hub_step(rig.hub, 1000);
    int err = errno;
    lab_restore_fd_limit(previous);
    lab_expect_failure(result, err, EMFILE,
                       "A client waits to be accepted but the process is out of descriptors: "
                       "hub_step should return accept's error.",
                       "4.2");
    /* Under Valgrind the descriptor limit is Valgrind's own: the kernel accepts the
     * connection and Valgrind closes it again to report EMFILE, so there the
     * waiting client is gone and only a new one can be checked. */
    if (lab_running_on_valgrind()) {
        close(waiting);
        waiting = rig_connect(&rig, 0);
        client_send(waiting, "later", 5, NULL);
    }
    char echo[8];
    size_t got = rig_exchange(&rig, waiting, NULL, 0, echo, 5, ECHO_MS);
    lab_expect(got == 5 && memcmp(echo, "later", 5) == 0,
               "Once descriptors are available again, the next hub_step should accept the "
               "waiting client and echo it.",
               "\"later\"", lab_bytes_text(echo, got, 8), "4.2");
    rig_expect_echo(&rig, served, "still here", "The first client", "4.2");
    close(waiting);
    close(served);
    rig_close(&rig);
}

/* ---- a signal during the wait ---- */

/* hub_step(hub, timeout_ms) with SIGUSR1 sent (once hub_step is asleep) while it
 * waits; `catcher` (labsignal.h) was installed before the hub was made, so the
 * hub's session has its handler. */
static int step_with_signal(struct rig *rig, struct lab_catcher *catcher, int timeout_ms, int *err,
                            long long *took)
{
    struct lab_interrupter interrupter = {
        .signo = SIGUSR1, .count = 1, .wait_ms = lab_deadline_ms(2000)};
    lab_interrupter_start(&interrupter);
    long long before = lab_now_ms();
    errno = 0;
    int result = hub_step(rig->hub, timeout_ms);
    *err = errno;
    *took = lab_now_ms() - before;
    lab_interrupter_stop(&interrupter);
    bool handled = lab_catcher_wait(catcher, 0);
    lab_expect(handled, "Test setup (not your code): SIGUSR1 sent while hub_step waits.",
               "the handler ran once", "no signal was handled (did hub_step ever sleep?)",
               "2.6");
    return result;
}

LAB_TEST(hub_signal, signal_during_the_wait_returns_eintr)
{
    struct lab_catcher catcher;
    struct rig rig;
    lab_catcher_install(&catcher, SIGUSR1); /* before the hub's session is made */
    rig_open(&rig, 0);
    int client = rig_connect(&rig, 0);
    rig_expect_echo(&rig, client, "hello", "A client", "2.6");
    int err;
    long long took;
    int result = step_with_signal(&rig, &catcher, 3000, &err, &took);
    lab_expect(result == -1 && err == EINTR && took < lab_deadline_ms(1500),
               "A signal (handler without SA_RESTART) interrupted hub_step's wait: hub_step "
               "should return at once with -1 and errno EINTR, so that a program can look at "
               "its stop flag (do not wait again).",
               "-1 with errno EINTR, at once",
               lab_fmt("%s after %lld ms", lab_result_text(result, err), took), "2.6");
    close(client);
    rig_close(&rig);
    lab_catcher_remove(&catcher);
}

LAB_TEST(hub_signal, nothing_is_lost_after_eintr)
{
    size_t len = HUB_MAX_PENDING - 1000;
    unsigned char *data = lab_make_data(len, 41);
    unsigned char *echo = malloc(len);
    struct lab_catcher catcher;
    struct rig rig;
    lab_catcher_install(&catcher, SIGUSR1); /* before the hub's session is made */
    rig_open(&rig, RIG_SMALL_BUFFERS);
    int client = rig_connect(&rig, RIG_SMALL_BUFFERS);
    size_t sent = 0;
    long long deadline = lab_now_ms() + lab_deadline_ms(ECHO_MS);
    while (sent < len && lab_now_ms() < deadline) {
        sent += client_send(client, data + sent, len - sent, NULL);
        rig_step(&rig, 5);
    }
    rig_settle(&rig); /* the hub now holds an echo the client does not read */
    int err;
    long long took;
    int result = step_with_signal(&rig, &catcher, 3000, &err, &took);
    lab_expect(result == -1 && err == EINTR,
               "A signal interrupted hub_step's wait while the hub held a client's echo: "
               "-1 with EINTR.",
               "-1 with errno EINTR", lab_result_text(result, err), "2.6");
    size_t got = rig_exchange(&rig, client, NULL, 0, echo, len, ECHO_MS);
    bool same = got == len && memcmp(echo, data, len) == 0;
    free(data);
    free(echo);
    lab_expect(sent == len && same,
               "After the EINTR, the next steps should go on where the hub stopped: the "
               "client reads and gets every byte of its echo, in order.",
               lab_fmt("%zu bytes, in order", len), lab_fmt("%zu bytes", got), "2.6");
    rig_expect_echo(&rig, client, "and more", "The same client", "2.6");
    close(client);
    rig_close(&rig);
    lab_catcher_remove(&catcher);
}
