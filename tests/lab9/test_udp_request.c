/*
 * Lab 9 tests, part 3: udp_request (lab9.h, handout section 4.3).
 *
 * The server is a test peer (udp_support.h): a thread on 127.0.0.1 that
 * echoes, drops the first requests, never answers, answers too much, or has
 * a stranger send the client a datagram before its answer. The client's
 * socket is the test's own. Times are measured around the call: a retry
 * must wait about timeout_ms after each send, and the whole call about
 * tries x timeout_ms when nothing answers.
 */
#include "labtest.h"

#include "lab9.h"
#include "labnet.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#define SECTION "4.3"
#define REPLY_TIMEOUT_MS 2000   /* for peers that answer at once */
#define SHORT_TIMEOUT_MS 150    /* for peers that drop or never answer (lab_wait_ms) */
#define TIMING_SLACK_MS 250     /* how late a timeout may end (ten times under Valgrind) */
/* The tests that wait tries x timeout_ms on purpose: the longest of the lab, and
 * the fork runner starts the tests with a longer time first (labrunner.c). */
#define WAITING_TEST_TIMEOUT 20

static struct udp_peer peer; /* big: kept out of the stack */
static unsigned char request[UDP_MAX_DATAGRAM + 1];
static unsigned char reply[UDP_MAX_DATAGRAM + 64];

/* The outcome of one udp_request call. */
struct call {
    ssize_t result;
    int err;
    long long elapsed_ms;
};

static struct call request_from(int fd, const struct sockaddr_in *server, const void *msg,
                                size_t len, void *buf, size_t size, int timeout_ms, int tries)
{
    struct call call;
    long long start = lab_now_ms();
    errno = 0;
    call.result = udp_request(fd, server, msg, len, buf, size, timeout_ms, tries);
    call.err = errno;
    call.elapsed_ms = lab_now_ms() - start;
    return call;
}

static const char *requests_text(const struct udp_peer *p)
{
    if (p->requests < 2)
        return lab_fmt("%d request(s)", p->requests);
    const char *text = lab_fmt("%d requests, sent at +0", p->requests);
    for (int i = 1; i < p->requests && i < UDP_PEER_MAX_REQUESTS; i++)
        text = lab_fmt("%s, +%lld", text, p->request_ms[i] - p->request_ms[0]);
    return lab_fmt("%s ms", text);
}

/* Expects a successful call that returned exactly `len` bytes of `data`. */
static void expect_reply(const struct call *call, const void *data, size_t len, const char *what)
{
    lab_expect(call->result == (ssize_t)len,
               lab_fmt("udp_request should return the reply's length (%s).", what),
               lab_fmt("%zu", len),
               lab_fmt("%s (the server saw %s)", lab_result_text(call->result, call->err),
                       requests_text(&peer)),
               SECTION);
    lab_expect(memcmp(reply, data, len) == 0,
               lab_fmt("The reply's bytes should be at the start of reply (%s).", what),
               lab_bytes_text(data, len, 40), lab_bytes_text(reply, len, 40), SECTION);
}

/* A plain echo of `len` bytes through the peer. */
static void expect_echo_of(size_t len, unsigned seed, const char *what)
{
    int client = test_udp_socket();
    udp_peer_start(&peer, NULL);
    lab_fill_data(request, len, seed);
    struct call call = request_from(client, &peer.address, request, len, reply, sizeof reply,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, request, len, what);
    lab_expect(peer.requests == 1 && peer.request_len[0] == len,
               lab_fmt("The server should receive the request as one datagram of %zu bytes, "
                       "once.",
                       len),
               lab_fmt("1 request of %zu bytes", len),
               peer.requests ? lab_fmt("%s, the first of %zu bytes", requests_text(&peer),
                                       peer.request_len[0])
                             : "no request",
               SECTION);
}

/* ---- replies ---- */

LAB_TEST(udp_request, echo_returns_the_reply_and_its_length)
{
    const char *message = "Hello world! This is a UDP echo client made with C.";
    int client = test_udp_socket();
    udp_peer_start(&peer, NULL);
    lab_capture_begin();
    struct call call = request_from(client, &peer.address, message, strlen(message), reply,
                                    sizeof reply, lab_deadline_ms(REPLY_TIMEOUT_MS), 3);
    const char *printed = lab_capture_end();
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, message, strlen(message), "the tutorial's greeting, echoed");
    lab_expect(peer.requests == 1,
               "A reply came at once, so udp_request should have sent only once.", "1 request",
               requests_text(&peer), SECTION);
    lab_expect(printed[0] == '\0', "udp_request must not print anything.", "no output",
               printed, SECTION);
}

LAB_TEST(udp_request, empty_request_and_empty_reply)
{
    int client = test_udp_socket();
    udp_peer_start(&peer, NULL);
    struct call call = request_from(client, &peer.address, NULL, 0, reply, sizeof reply,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    lab_expect(peer.requests == 1 && peer.request_len[0] == 0,
               "udp_request(fd, server, NULL, 0, ...) should send one datagram of 0 bytes (a "
               "real datagram).",
               "1 request of 0 bytes",
               peer.requests ? lab_fmt("%s, the first of %zu bytes", requests_text(&peer),
                                       peer.request_len[0])
                             : "no request",
               SECTION);
    lab_expect(call.result == 0,
               "The server echoed a datagram of 0 bytes: that is the reply, and udp_request "
               "should return 0 (not wait on, not time out).",
               "0", lab_result_text(call.result, call.err), SECTION);
}

LAB_TEST(udp_request, one_byte_comes_back)
{
    expect_echo_of(1, 1, "1 byte");
}

LAB_TEST(udp_request, largest_datagram_there_and_back)
{
    expect_echo_of(UDP_MAX_DATAGRAM, 2, "UDP_MAX_DATAGRAM bytes of binary data, each way");
}

LAB_TEST(udp_request, reply_other_than_the_request_is_returned_as_is)
{
    static const char pong[] = "pong, and not what you sent";
    struct udp_peer_options answer = {.fixed_reply = true, .reply = pong,
                                      .reply_len = sizeof pong - 1};
    int client = test_udp_socket();
    udp_peer_start(&peer, &answer);
    struct call call = request_from(client, &peer.address, "ping", 4, reply, sizeof reply,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, pong, sizeof pong - 1,
                 "whatever datagram the server sends back is the reply, of its own length");
}

LAB_TEST(udp_request, reply_from_a_stranger_is_ignored)
{
    /* Before answering, the peer has another socket (same IP, other port)
     * send the client a datagram: only the server's own counts. */
    struct udp_peer_options options = {.stranger_first = true};
    int client = test_udp_socket();
    udp_peer_start(&peer, &options);
    struct call call = request_from(client, &peer.address, "who is there?", 13, reply,
                                    sizeof reply, lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, "who is there?", 13,
                 lab_fmt("a stranger at 127.0.0.1:%u sent \"stranger's datagram\" first: only a "
                         "datagram from the server's IP AND port is the reply",
                         (unsigned)ntohs(peer.stranger.sin_port)));
}

LAB_TEST(udp_request, reply_exactly_size_bytes_fits)
{
    static const char ten[] = "0123456789";
    struct udp_peer_options answer = {.fixed_reply = true, .reply = ten, .reply_len = 10};
    int client = test_udp_socket();
    udp_peer_start(&peer, &answer);
    struct call call = request_from(client, &peer.address, "x", 1, reply, 10,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, ten, 10, "a reply of 10 bytes with size 10: it fits exactly");
}

LAB_TEST(udp_request, reply_longer_than_size_fails_with_emsgsize)
{
    static unsigned char long_reply[100];
    lab_fill_data(long_reply, sizeof long_reply, 7);
    struct udp_peer_options answer = {.fixed_reply = true, .reply = long_reply,
                                      .reply_len = sizeof long_reply};
    int client = test_udp_socket();
    memset(reply, 0xEE, sizeof reply);
    lab_call_watch(reply + 10, sizeof reply - 10); /* the guard bytes come back too */
    udp_peer_start(&peer, &answer);
    struct call call = request_from(client, &peer.address, "x", 1, reply, 10,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    lab_expect_failure(call.result, call.err, EMSGSIZE,
                       "The server replied with 100 bytes and size is 10: udp_request should "
                       "say the reply did not fit (recvfrom with MSG_TRUNC returns the "
                       "datagram's real length), never return a cut reply as if it were whole.",
                       SECTION);
    lab_expect(memcmp(reply, long_reply, 10) == 0,
               "After EMSGSIZE the reply's first size bytes should be in reply.",
               lab_bytes_text(long_reply, 10, 10), lab_bytes_text(reply, 10, 10), SECTION);
    size_t past = 10;
    while (past < sizeof reply && reply[past] == 0xEE)
        past++;
    lab_expect(past == sizeof reply, "udp_request must never write past size bytes of reply.",
               "reply[10] and after untouched",
               lab_fmt("byte %zu was written", past), SECTION);
}

/* ---- retries and timeouts ---- */

LAB_TEST(udp_request, dropped_requests_are_sent_again, .timeout = WAITING_TEST_TIMEOUT)
{
    /* The peer ignores the first two requests, as if they were lost. */
    struct udp_peer_options lossy = {.drop_first = 2};
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    int client = test_udp_socket();
    udp_peer_start(&peer, &lossy);
    struct call call = request_from(client, &peer.address, "third time lucky", 16, reply,
                                    sizeof reply, timeout_ms, 3);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, "third time lucky", 16,
                 lab_fmt("the first two requests were lost, the third answered; tries 3, "
                         "timeout_ms %d",
                         timeout_ms));
    lab_expect(peer.requests == 3, "udp_request should send again after each wait in vain.",
               "3 requests", requests_text(&peer), SECTION);
    /* The peer stamps each request when its thread gets it, a little after the
     * send: allow a third of the timeout for that delay. */
    bool spaced = peer.requests >= 3 &&
                  peer.request_ms[1] - peer.request_ms[0] >= timeout_ms * 2 / 3 &&
                  peer.request_ms[2] - peer.request_ms[1] >= timeout_ms * 2 / 3;
    lab_expect(spaced,
               lab_fmt("Each send should be followed by a wait of timeout_ms (%d ms) before the "
                       "next one.",
                       timeout_ms),
               lab_fmt("requests about %d ms apart", timeout_ms), requests_text(&peer), SECTION);
}

/* Expects ETIMEDOUT after about tries x timeout_ms. */
static void expect_timed_out(const struct call *call, int tries, int timeout_ms,
                             const char *situation)
{
    long long expected = (long long)tries * timeout_ms;
    long long slack = lab_deadline_ms(TIMING_SLACK_MS);
    lab_expect_failure(call->result, call->err, ETIMEDOUT,
                       lab_fmt("%s: udp_request should give up with ETIMEDOUT.", situation),
                       SECTION);
    lab_expect(call->elapsed_ms >= expected * 9 / 10 && call->elapsed_ms <= expected + slack,
               lab_fmt("%s: ETIMEDOUT should come after about tries x timeout_ms (%d x %d ms), "
                       "each wait measured from its send.",
                       situation, tries, timeout_ms),
               lab_fmt("%lld to %lld ms", expected * 9 / 10, expected + slack),
               lab_fmt("%lld ms", call->elapsed_ms), SECTION);
}

LAB_TEST(udp_request, no_reply_times_out_after_tries_times_timeout, .timeout = WAITING_TEST_TIMEOUT)
{
    struct udp_peer_options silent = {.never_answer = true};
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    int client = test_udp_socket();
    udp_peer_start(&peer, &silent);
    struct call call = request_from(client, &peer.address, "anyone?", 7, reply, sizeof reply,
                                    timeout_ms, 3);
    udp_peer_stop(&peer);
    close(client);
    expect_timed_out(&call, 3, timeout_ms, "the server never answers");
    lab_expect(peer.requests == 3, "With tries 3, udp_request should send the request 3 times.",
               "3 requests", requests_text(&peer), SECTION);
}

LAB_TEST(udp_request, one_try_times_out_after_one_timeout, .timeout = WAITING_TEST_TIMEOUT)
{
    struct udp_peer_options silent = {.never_answer = true};
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    int client = test_udp_socket();
    udp_peer_start(&peer, &silent);
    struct call call = request_from(client, &peer.address, "once", 4, reply, sizeof reply,
                                    timeout_ms, 1);
    udp_peer_stop(&peer);
    close(client);
    expect_timed_out(&call, 1, timeout_ms, "tries 1, the server never answers");
    lab_expect(peer.requests == 1, "With tries 1, udp_request should send once.", "1 request",
               requests_text(&peer), SECTION);
}

LAB_TEST(udp_request, strangers_do_not_extend_the_wait, .timeout = WAITING_TEST_TIMEOUT)
{
    /* A stranger sends the client a datagram every 20 ms for up to 5 s: a wait
     * that starts again at each datagram would never end while it lasts. */
    struct udp_peer_options silent = {.never_answer = true};
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    int client = test_udp_socket();
    struct sockaddr_in client_address = test_local_address(client);
    struct stranger stranger;
    udp_peer_start(&peer, &silent);
    stranger_start(&stranger, &client_address, 20, 5000);
    struct call call = request_from(client, &peer.address, "hello?", 6, reply, sizeof reply,
                                    timeout_ms, 2);
    stranger_stop(&stranger);
    udp_peer_stop(&peer);
    close(client);
    expect_timed_out(&call, 2, timeout_ms,
                     "the server never answers while a stranger sends the client a datagram "
                     "every 20 ms (a stranger's datagram must not restart the wait)");
}

LAB_TEST(udp_request, sending_stops_at_the_first_reply, .timeout = WAITING_TEST_TIMEOUT)
{
    /* The first request is lost, the second answered: with tries 5 the
     * call ends there, after two sends. */
    struct udp_peer_options lossy = {.drop_first = 1};
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    int client = test_udp_socket();
    udp_peer_start(&peer, &lossy);
    struct call call = request_from(client, &peer.address, "again", 5, reply, sizeof reply,
                                    timeout_ms, 5);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, "again", 5, "the first request was lost, the second answered");
    lab_expect(peer.requests == 2, "Once a reply has come, udp_request should stop sending.",
               "2 requests", requests_text(&peer), SECTION);
}

LAB_TEST(udp_request, timeout_0_takes_only_what_has_arrived)
{
    /* The "server" is a plain socket of the test that already sent the
     * client a datagram: with timeout_ms 0 that is taken at once. Then with
     * nothing waiting, timeout_ms 0 times out at once. */
    int client = test_udp_socket();
    int server = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    struct sockaddr_in client_address = test_local_address(client);
    test_send_datagram(server, &client_address, "already here", 12);
    struct pollfd arrived = {.fd = client, .events = POLLIN};
    poll(&arrived, 1, lab_deadline_ms(1000)); /* loopback delivers at once; wait for it anyway */
    struct call early = request_from(client, &server_address, "q", 1, reply, sizeof reply, 0, 1);
    struct call none = request_from(client, &server_address, "q", 1, reply, sizeof reply, 0, 2);
    close(server);
    close(client);
    lab_expect(early.result == 12 && memcmp(reply, "already here", 12) == 0,
               "With timeout_ms 0 udp_request should take a reply from the server that has "
               "already arrived.",
               "12 (\"already here\")", lab_result_text(early.result, early.err), SECTION);
    lab_expect_failure(none.result, none.err, ETIMEDOUT,
                       "With timeout_ms 0 and nothing waiting, udp_request should time out.",
                       SECTION);
    lab_expect(none.elapsed_ms <= lab_deadline_ms(TIMING_SLACK_MS),
               "With timeout_ms 0 udp_request should not wait.",
               lab_fmt("at most %d ms", lab_deadline_ms(TIMING_SLACK_MS)),
               lab_fmt("%lld ms", none.elapsed_ms), SECTION);
}

LAB_TEST(udp_request, late_reply_to_an_earlier_send_is_the_reply, .timeout = WAITING_TEST_TIMEOUT)
{
    /* The peer answers the first request half a timeout after the second
     * send went out, and ignores the later ones: that answer is the reply. */
    int timeout_ms = lab_wait_ms(SHORT_TIMEOUT_MS);
    struct udp_peer_options slow = {.answer_first_after_ms = timeout_ms * 3 / 2};
    int client = test_udp_socket();
    udp_peer_start(&peer, &slow);
    struct call call = request_from(client, &peer.address, "slow network", 12, reply,
                                    sizeof reply, timeout_ms, 3);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, "slow network", 12,
                 lab_fmt("the answer to the first send came %d ms after it, during the second "
                         "wait: any datagram from the server received during the call is the "
                         "reply",
                         timeout_ms * 3 / 2));
    lab_expect(peer.requests == 2, "The late answer came during the second wait: two sends.",
               "2 requests", requests_text(&peer), SECTION);
}

/* ---- the socket is left as it was ---- */

LAB_TEST(udp_request, never_connects_fd)
{
    int client = test_udp_socket();
    udp_peer_start(&peer, NULL);
    struct call call = request_from(client, &peer.address, "hi", 2, reply, sizeof reply,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    struct sockaddr_in connected_to;
    socklen_t size = sizeof connected_to;
    bool open_now = lab_fd_is_open(client);
    int peer_name = open_now ? getpeername(client, (struct sockaddr *)&connected_to, &size) : 0;
    int err = errno;
    if (open_now)
        close(client);
    expect_reply(&call, "hi", 2, "a plain echo");
    lab_expect(open_now, "udp_request must not close fd.", "fd open", "fd was closed", SECTION);
    lab_expect(peer_name == -1 && err == ENOTCONN,
               "udp_request must never connect fd (use sendto and recvfrom): getpeername "
               "should fail with ENOTCONN after it.",
               "-1 with errno ENOTCONN", lab_result_text(peer_name, err), SECTION);
}

LAB_TEST(udp_request, leaves_options_and_flags_as_found)
{
    int client = test_udp_socket();
    struct timeval before_timeout, after_timeout;
    socklen_t size = sizeof before_timeout;
    getsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &before_timeout, &size);
    int before_flags = fcntl(client, F_GETFL);
    udp_peer_start(&peer, NULL);
    struct call call = request_from(client, &peer.address, "hi", 2, reply, sizeof reply,
                                    lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    int after_flags = fcntl(client, F_GETFL);
    size = sizeof after_timeout;
    getsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &after_timeout, &size);
    close(client);
    expect_reply(&call, "hi", 2, "a plain echo");
    lab_expect(after_flags == before_flags,
               "udp_request should leave fd's flags as it found them (O_NONBLOCK: use "
               "MSG_DONTWAIT on one call instead of changing the socket).",
               lab_fmt("flags 0x%x", (unsigned)before_flags),
               lab_fmt("flags 0x%x", (unsigned)after_flags), SECTION);
    lab_expect(after_timeout.tv_sec == before_timeout.tv_sec &&
                   after_timeout.tv_usec == before_timeout.tv_usec,
               "udp_request should leave fd's options as it found them (SO_RCVTIMEO: wait with "
               "poll instead).",
               lab_fmt("SO_RCVTIMEO %ld.%06ld s", (long)before_timeout.tv_sec,
                       (long)before_timeout.tv_usec),
               lab_fmt("SO_RCVTIMEO %ld.%06ld s", (long)after_timeout.tv_sec,
                       (long)after_timeout.tv_usec),
               SECTION);
}

LAB_TEST(udp_request, non_blocking_fd_still_waits_for_the_reply, .timeout = WAITING_TEST_TIMEOUT)
{
    /* The peer drops the first request: the reply comes only after a wait,
     * and a non-blocking recvfrom alone would say EAGAIN at once. */
    struct udp_peer_options lossy = {.drop_first = 1};
    int client = test_udp_socket();
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
    udp_peer_start(&peer, &lossy);
    struct call call = request_from(client, &peer.address, "patience", 8, reply, sizeof reply,
                                    lab_wait_ms(SHORT_TIMEOUT_MS), 3);
    udp_peer_stop(&peer);
    bool still_non_blocking = (fcntl(client, F_GETFL) & O_NONBLOCK) != 0;
    close(client);
    expect_reply(&call, "patience", 8,
                 "a non-blocking fd, the first request lost: udp_request waits all the same "
                 "(poll), it does not return EAGAIN");
    lab_expect(still_non_blocking, "udp_request should leave a non-blocking fd non-blocking.",
               "O_NONBLOCK still set", "O_NONBLOCK cleared", SECTION);
}

LAB_TEST(udp_request, unbound_socket_gets_its_reply)
{
    int client = socket(AF_INET, SOCK_DGRAM, 0); /* never bound: the first send binds it */
    struct timeval safety = {.tv_sec = 5};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &safety, sizeof safety);
    udp_peer_start(&peer, NULL);
    struct call call = request_from(client, &peer.address, "fresh socket", 12, reply,
                                    sizeof reply, lab_deadline_ms(REPLY_TIMEOUT_MS), 1);
    udp_peer_stop(&peer);
    close(client);
    expect_reply(&call, "fresh socket", 12, "an unbound socket, as udp_echo_client uses");
}

/* ---- errors ---- */

/* Expects EINVAL and that nothing reached `server_fd`. */
static void expect_einval(int server_fd, const struct call *call, const char *why)
{
    lab_expect_failure(call->result, call->err, EINVAL,
                       lab_fmt("udp_request with %s should fail with EINVAL.", why), SECTION);
    lab_expect(!test_datagram_waiting(server_fd),
               lab_fmt("udp_request with %s should check its arguments before sending "
                       "anything.",
                       why),
               "nothing sent", "a datagram reached the server", SECTION);
}

LAB_TEST(udp_request, bad_arguments_fail_with_einval_before_sending)
{
    int client = test_udp_socket();
    int server = test_udp_socket();
    struct sockaddr_in to = test_local_address(server);
    struct sockaddr_in wrong_family = to;
    wrong_family.sin_family = AF_INET6;
    struct call call;

    call = request_from(client, &to, "x", 1, reply, sizeof reply, 100, 0);
    expect_einval(server, &call, "tries 0");
    call = request_from(client, &to, "x", 1, reply, sizeof reply, 100, -1);
    expect_einval(server, &call, "tries -1");
    call = request_from(client, &to, "x", 1, reply, sizeof reply, -1, 1);
    expect_einval(server, &call, "timeout_ms -1");
    call = request_from(client, &to, request, UDP_MAX_DATAGRAM + 1, reply, sizeof reply, 100, 1);
    expect_einval(server, &call, "len UDP_MAX_DATAGRAM + 1");
    call = request_from(client, NULL, "x", 1, reply, sizeof reply, 100, 1);
    expect_einval(server, &call, "server NULL");
    call = request_from(client, &wrong_family, "x", 1, reply, sizeof reply, 100, 1);
    expect_einval(server, &call, "a server whose sin_family is AF_INET6");
    call = request_from(client, &to, NULL, 1, reply, sizeof reply, 100, 1);
    expect_einval(server, &call, "msg NULL and len 1");
    call = request_from(client, &to, "x", 1, NULL, 1, 100, 1);
    expect_einval(server, &call, "reply NULL and size 1");
    close(server);
    close(client);
}

LAB_TEST(udp_request, fd_not_open_fails_with_ebadf)
{
    int server = test_udp_socket();
    struct sockaddr_in to = test_local_address(server);
    int gone = test_udp_socket();
    close(gone);
    struct call call = request_from(gone, &to, "x", 1, reply, sizeof reply, 100, 1);
    close(server);
    lab_expect_failure(call.result, call.err, EBADF,
                       "udp_request on a descriptor that is not open should fail with the "
                       "errno of sendto.",
                       SECTION);
}

LAB_TEST(udp_request, fd_not_a_socket_fails_with_enotsock)
{
    int server = test_udp_socket();
    struct sockaddr_in to = test_local_address(server);
    int not_socket = open("/dev/null", O_WRONLY);
    struct call call = request_from(not_socket, &to, "x", 1, reply, sizeof reply, 100, 1);
    close(not_socket);
    close(server);
    lab_expect_failure(call.result, call.err, ENOTSOCK,
                       "udp_request on /dev/null (open, but not a socket) should fail with the "
                       "errno of sendto.",
                       SECTION);
}
