/*
 * Lab 7 tests: echo_roundtrip (lab7.h, handout section 4.1).
 *
 * Each test talks to an echo server of its own (echo_peers.h), a thread
 * listening on 127.0.0.1 at a port the system picks. The servers misbehave
 * the ways a real network allows: the echo comes back one byte at a time
 * with pauses, or short because the server closed early, or never because
 * the server reset the connection.
 */
#include "labtest.h"

#include "lab7.h"

#include "echo_peers.h"
#include "short_writes.h"

#include <sys/socket.h>

/* Bytes after the end of a reply buffer, to catch writes past len. */
#define CANARY 0xA5
#define CANARY_LEN 64

static const char greeting[] = "Hello world! This is an echo server made with C.";

/* A message of len bytes that is not text: every byte value, zeros included. */
static void fill_binary(unsigned char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        bytes[i] = (unsigned char)((i * 7 + i / 256) & 0xff);
}

/* A reply buffer of len bytes followed by CANARY_LEN canary bytes. */
static unsigned char *new_reply(size_t len)
{
    unsigned char *reply = malloc(len + CANARY_LEN);
    lab_require(reply != NULL, "malloc()");
    memset(reply, CANARY, len + CANARY_LEN);
    lab_call_watch(reply, len + CANARY_LEN); /* the canary comes back from each call too */
    return reply;
}

static bool canary_intact(const unsigned char *reply, size_t len)
{
    for (size_t i = 0; i < CANARY_LEN; i++)
        if (reply[len + i] != CANARY)
            return false;
    return true;
}

/* The outcome of one echo_roundtrip against a fresh server. */
struct roundtrip {
    ssize_t result;
    int err;
    const char *printed;
};

/* Connects to peer, runs echo_roundtrip(msg, len) into reply, closes. */
static struct roundtrip roundtrip_with(struct echo_peer *peer, const void *msg, size_t len,
                                       void *reply)
{
    struct roundtrip outcome;
    int fd = echo_peer_connect(peer->port);
    lab_capture_begin();
    errno = 0;
    outcome.result = echo_roundtrip(fd, msg, len, reply);
    outcome.err = errno;
    outcome.printed = lab_capture_end();
    close(fd);
    echo_peer_stop(peer);
    return outcome;
}

/* Checks a complete echo: returns len, reply holds msg, nothing past len,
 * and the server got exactly msg. */
static void expect_complete_echo(const struct roundtrip *outcome, const struct echo_peer *peer,
                                 const void *msg, size_t len, const unsigned char *reply,
                                 const char *situation)
{
    lab_expect_result(
        outcome->result, outcome->err, len,
        lab_fmt("echo_roundtrip should return the length of the message when %s.", situation),
        "4.1");
    lab_expect(memcmp(reply, msg, len) == 0,
               lab_fmt("echo_roundtrip should store the whole echo in reply when %s.", situation),
               lab_bytes_text(msg, len, 60), lab_bytes_text(reply, len, 60), "4.1");
    lab_expect(canary_intact(reply, len),
               "echo_roundtrip should never write past the len bytes of reply.",
               "the bytes after reply[len - 1] untouched", "some of them overwritten", "4.1");
    lab_expect(peer->received_len == len &&
                   memcmp(peer->received, msg, len < ECHO_PEER_KEEP ? len : ECHO_PEER_KEEP) == 0,
               "echo_roundtrip should send the len bytes of msg, exactly (the server checks).",
               lab_fmt("%zu bytes: %s", len, lab_bytes_text(msg, len, 40)),
               lab_fmt("%zu bytes: %s", peer->received_len,
                       lab_bytes_text(peer->received,
                                      peer->received_len < ECHO_PEER_KEEP ? peer->received_len
                                                                          : ECHO_PEER_KEEP,
                                      40)),
               "4.1");
}

/* ---- complete echoes ---- */

LAB_TEST(echo_roundtrip, complete_echo_returns_len_and_the_echo)
{
    struct echo_peer peer;
    size_t len = strlen(greeting);
    unsigned char *reply = new_reply(len);
    echo_peer_start(&peer, NULL);
    struct roundtrip outcome = roundtrip_with(&peer, greeting, len, reply);
    expect_complete_echo(&outcome, &peer, greeting, len, reply, "the server echoes everything");
    lab_expect(outcome.printed[0] == '\0', "echo_roundtrip should print nothing.",
               "no output", outcome.printed, "5.1");
    free(reply);
}

LAB_TEST(echo_roundtrip, echo_in_one_byte_pieces_returns_it_all)
{
    /* The server echoes one byte at a time, pausing between bytes: a single
     * recv() returns after the first byte or the first few. */
    struct echo_peer_options slow = {.piece = 1, .pause_ms = 3};
    struct echo_peer peer;
    const char *msg = "one byte at a time";
    size_t len = strlen(msg);
    unsigned char *reply = new_reply(len);
    echo_peer_start(&peer, &slow);
    struct roundtrip outcome = roundtrip_with(&peer, msg, len, reply);
    expect_complete_echo(&outcome, &peer, msg, len, reply,
                         "the echo comes back one byte at a time, with pauses (handout 2.1)");
    free(reply);
}

LAB_TEST(echo_roundtrip, echo_in_uneven_pieces_returns_it_all)
{
    /* Pieces of 1000 bytes for a 5000-byte message, with pauses between them. */
    struct echo_peer_options uneven = {.collect = 5000, .piece = 1000, .pause_ms = 5};
    struct echo_peer peer;
    size_t len = 5000;
    unsigned char *msg = malloc(len);
    unsigned char *reply = new_reply(len);
    lab_require(msg != NULL, "malloc()");
    fill_binary(msg, len);
    echo_peer_start(&peer, &uneven);
    struct roundtrip outcome = roundtrip_with(&peer, msg, len, reply);
    expect_complete_echo(&outcome, &peer, msg, len, reply,
                         "the echo comes back in pieces of 1000 bytes, with pauses");
    free(msg);
    free(reply);
}

LAB_TEST(echo_roundtrip, message_of_64_kib_comes_back_whole)
{
    struct echo_peer_options whole = {.collect = ECHO_MAX_MESSAGE, .piece = 7000};
    struct echo_peer peer;
    size_t len = ECHO_MAX_MESSAGE;
    unsigned char *msg = malloc(len);
    unsigned char *reply = new_reply(len);
    lab_require(msg != NULL, "malloc()");
    fill_binary(msg, len);
    echo_peer_start(&peer, &whole);
    struct roundtrip outcome = roundtrip_with(&peer, msg, len, reply);
    expect_complete_echo(
        &outcome, &peer, msg, len, reply,
        lab_fmt("the message is %d KiB long (ECHO_MAX_MESSAGE)", ECHO_MAX_MESSAGE / 1024));
    free(msg);
    free(reply);
}

LAB_TEST(echo_roundtrip, binary_bytes_come_back_unchanged)
{
    struct echo_peer peer;
    unsigned char msg[600];
    fill_binary(msg, sizeof msg);
    msg[0] = 0; /* a zero byte first: the message is not a C string */
    unsigned char *reply = new_reply(sizeof msg);
    echo_peer_start(&peer, NULL);
    struct roundtrip outcome = roundtrip_with(&peer, msg, sizeof msg, reply);
    expect_complete_echo(&outcome, &peer, msg, sizeof msg, reply,
                         "the message holds zero bytes and every other byte value");
    free(reply);
}

LAB_TEST(echo_roundtrip, short_writes_still_send_everything)
{
    /* Every send() on the client's socket moves at most 100 bytes, as send()
     * may on a busy connection: the rest must be sent too (send_all). */
    struct echo_peer_options whole = {.collect = 3000};
    struct echo_peer peer;
    size_t len = 3000;
    unsigned char msg[3000];
    fill_binary(msg, len);
    unsigned char *reply = new_reply(len);
    echo_peer_start(&peer, &whole);
    int fd = echo_peer_connect(peer.port);
    short_writes_begin(fd, 100);
    errno = 0;
    ssize_t result = echo_roundtrip(fd, msg, len, reply);
    int err = errno;
    short_writes_end();
    close(fd);
    echo_peer_stop(&peer);
    struct roundtrip outcome = {.result = result, .err = err, .printed = ""};
    expect_complete_echo(&outcome, &peer, msg, len, reply,
                         "each send() moves only 100 bytes (short writes: handout 2.1)");
    free(reply);
}

LAB_TEST(echo_roundtrip, len_0_returns_0_without_waiting)
{
    /* The server stays silent: waiting for an echo would never end. */
    struct echo_peer peer;
    unsigned char *reply = new_reply(0);
    echo_peer_start(&peer, NULL);
    struct roundtrip outcome = roundtrip_with(&peer, greeting, 0, reply);
    lab_expect(outcome.result == 0, "echo_roundtrip with len 0 should return 0 at once.", "0",
               lab_result_text(outcome.result, outcome.err), "4.1");
    lab_expect(canary_intact(reply, 0), "echo_roundtrip with len 0 should write nothing.",
               "reply untouched", "reply overwritten", "4.1");
    lab_expect(peer.received_len == 0, "echo_roundtrip with len 0 should send nothing.",
               "0 bytes sent", lab_fmt("%zu bytes sent", peer.received_len), "4.1");
    free(reply);
}

LAB_TEST(echo_roundtrip, does_not_close_fd)
{
    /* Two round trips on one connection: the first must leave it open. */
    struct echo_peer peer;
    char reply[16] = {0};
    echo_peer_start(&peer, NULL);
    int fd = echo_peer_connect(peer.port);
    ssize_t first = echo_roundtrip(fd, "first", 5, reply);
    bool still_open = lab_fd_is_open(fd);
    errno = 0;
    ssize_t second = still_open ? echo_roundtrip(fd, "second", 6, reply) : -1;
    int err = errno;
    if (still_open)
        close(fd);
    echo_peer_stop(&peer);
    lab_expect(first == 5, "echo_roundtrip(fd, \"first\", 5, reply) should return 5.", "5",
               lab_fmt("%zd", first), "4.1");
    lab_expect(still_open, "echo_roundtrip should not close fd: the caller closes it.",
               "fd still open after the call", "fd closed", "4.1");
    lab_expect(second == 6 && memcmp(reply, "second", 6) == 0,
               "A second echo_roundtrip on the same connection should work too.",
               "6 and reply \"second\"",
               lab_fmt("%s and reply %s", lab_result_text(second, err),
                       lab_bytes_text(reply, 6, 6)),
               "4.1");
}

/* ---- short echoes ---- */

LAB_TEST(echo_roundtrip, server_closing_early_returns_the_partial_count)
{
    /* The server reads the whole message, echoes the first half, and closes. */
    size_t len = 40;
    struct echo_peer_options half = {.collect = len, .close_early = true, .reply_limit = len / 2};
    struct echo_peer peer;
    const char *msg = "0123456789abcdefghijABCDEFGHIJ!@#$%^&*()";
    unsigned char *reply = new_reply(len);
    echo_peer_start(&peer, &half);
    struct roundtrip outcome = roundtrip_with(&peer, msg, len, reply);
    lab_expect(outcome.result == (ssize_t)(len / 2),
               "echo_roundtrip should return how many bytes came back when the server closes "
               "after echoing half of a 40-byte message.",
               "20", lab_result_text(outcome.result, outcome.err), "4.1");
    lab_expect(memcmp(reply, msg, len / 2) == 0,
               "echo_roundtrip should store the part of the echo that came back.",
               lab_bytes_text(msg, len / 2, 40), lab_bytes_text(reply, len / 2, 40), "4.1");
    lab_expect(canary_intact(reply, len),
               "echo_roundtrip should never write past the len bytes of reply.",
               "the bytes after reply[len - 1] untouched", "some of them overwritten", "4.1");
    free(reply);
}

LAB_TEST(echo_roundtrip, server_closing_before_echoing_returns_0)
{
    size_t len = strlen(greeting);
    struct echo_peer_options none = {.collect = len, .close_early = true, .reply_limit = 0};
    struct echo_peer peer;
    unsigned char *reply = new_reply(len);
    echo_peer_start(&peer, &none);
    struct roundtrip outcome = roundtrip_with(&peer, greeting, len, reply);
    lab_expect(outcome.result == 0,
               "echo_roundtrip should return 0 when the server closes without echoing "
               "anything.",
               "0", lab_result_text(outcome.result, outcome.err), "4.1");
    lab_expect(canary_intact(reply, len),
               "echo_roundtrip should never write past the len bytes of reply.",
               "the bytes after reply[len - 1] untouched", "some of them overwritten", "4.1");
    free(reply);
}

/* ---- errors ---- */

LAB_TEST(echo_roundtrip, closed_descriptor_fails_with_ebadf)
{
    char reply[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd); /* fd is now a number that is not open */
    errno = 0;
    ssize_t result = echo_roundtrip(fd, "hello", 5, reply);
    int err = errno;
    lab_expect_failure(result, err, EBADF,
                       "echo_roundtrip on a descriptor that is not open should fail.", "4.1");
}

LAB_TEST(echo_roundtrip, not_a_socket_fails_with_enotsock)
{
    char reply[8];
    int ends[2];
    lab_require(pipe(ends) == 0, "pipe()");
    errno = 0;
    ssize_t result = echo_roundtrip(ends[1], "hello", 5, reply);
    int err = errno;
    close(ends[0]);
    close(ends[1]);
    lab_expect_failure(result, err, ENOTSOCK,
                       "echo_roundtrip on a pipe (a descriptor that is not a socket) should "
                       "fail.",
                       "4.1");
}

LAB_TEST(echo_roundtrip, server_gone_fails_with_epipe_not_sigpipe)
{
    /* The server resets the connection as soon as it has the first message;
     * the next round trip finds it gone. SIGPIPE would end this test as a
     * crash: send with MSG_NOSIGNAL (send_all does). */
    struct echo_peer_options resetting = {.collect = 1, .reset = true};
    struct echo_peer peer;
    char reply[8];
    echo_peer_start(&peer, &resetting);
    int fd = echo_peer_connect(peer.port);
    ssize_t first = echo_roundtrip(fd, "x", 1, reply);
    int first_err = errno;
    int pending = 0;
    socklen_t size = sizeof pending;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &size); /* consumes the reset's error */
    static unsigned char msg[ECHO_MAX_MESSAGE];
    static unsigned char big_reply[ECHO_MAX_MESSAGE];
    errno = 0;
    ssize_t result = echo_roundtrip(fd, msg, sizeof msg, big_reply);
    int err = errno;
    close(fd);
    echo_peer_stop(&peer);
    lab_expect(first == -1 || first == 0,
               "echo_roundtrip should fail (or return 0) when the server resets the "
               "connection instead of echoing.",
               "-1 with errno ECONNRESET, or 0", lab_result_text(first, first_err), "4.1");
    lab_expect(result == -1 && (err == EPIPE || err == ECONNRESET),
               "echo_roundtrip on a connection the server has reset should fail.",
               "-1 with errno EPIPE or ECONNRESET", lab_result_text(result, err), "4.1");
}
