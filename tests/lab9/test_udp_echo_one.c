/*
 * Lab 9 tests, part 2: udp_echo_one (lab9.h, handout section 4.2).
 *
 * One thread, no timing: the test's clients send their datagrams to a
 * server socket of the test first, so they are already waiting when
 * udp_echo_one runs, then read the echoes. Every socket of the test has a
 * receive timeout, so a wrong implementation fails instead of hanging. Only
 * the EINTR test lets udp_echo_one wait, and signals it while it does.
 */
#include "labtest.h"

#include "lab9.h"
#include "labnet.h"
#include "labsignal.h"
#include "udp_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#define SECTION "4.2"
#define ECHO_DEADLINE_MS 2000

static unsigned char sent[UDP_MAX_DATAGRAM + 1];
static unsigned char echo[UDP_MAX_DATAGRAM + 1];

/* Calls udp_echo_one(server, &peer) for a datagram already waiting and
 * expects it to return `len`. */
static void expect_echo_returns(int server, size_t len, struct sockaddr_in *peer,
                                const char *what)
{
    errno = 0;
    ssize_t result = udp_echo_one(server, peer);
    int err = errno;
    lab_expect_result(
        result, err, len,
        lab_fmt("udp_echo_one should return the length of the datagram it echoed (%s).", what),
        SECTION);
}

/* Reads the echo on `client` and expects exactly `len` bytes of `data`. */
static void expect_echo_arrives(int client, const unsigned char *data, size_t len,
                                const char *what)
{
    struct sockaddr_in from;
    long got = test_receive_datagram(client, echo, sizeof echo, lab_deadline_ms(ECHO_DEADLINE_MS),
                                     &from);
    size_t same = 0;
    while (got >= 0 && same < (size_t)got && same < len && echo[same] == data[same])
        same++;
    const char *seen =
        got < 0 ? lab_fmt("no datagram within %d ms", lab_deadline_ms(ECHO_DEADLINE_MS))
        : (size_t)got != len ? lab_fmt("a datagram of %ld bytes", got)
                             : lab_fmt("byte %zu differs: sent %s, got %s", same,
                                       lab_bytes_text(data + same, len - same, 12),
                                       lab_bytes_text(echo + same, len - same, 12));
    lab_expect(got == (long)len && same == len,
               lab_fmt("The sender should get its datagram back as ONE datagram, whole and "
                       "unchanged (%s).",
                       what),
               lab_fmt("one datagram of %zu bytes, identical", len), seen, SECTION);
}

/* One datagram of `len` bytes there and back. */
static void expect_round_trip(size_t len, unsigned seed, const char *what)
{
    int server = test_udp_socket();
    int client = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    lab_fill_data(sent, len, seed);
    test_send_datagram(client, &server_address, sent, len);
    expect_echo_returns(server, len, NULL, what);
    expect_echo_arrives(client, sent, len, what);
    close(client);
    close(server);
}

LAB_TEST(udp_echo_one, echoes_to_the_sender_and_stores_its_address)
{
    int server = test_udp_socket();
    int client = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    struct sockaddr_in client_address = test_local_address(client);
    struct sockaddr_in peer;
    memset(&peer, 0xAB, sizeof peer);
    const char *message = "Hello world! This is a UDP echo client made with C.";
    size_t len = strlen(message);

    test_send_datagram(client, &server_address, message, len);
    lab_capture_begin();
    expect_echo_returns(server, len, &peer, "the tutorial's greeting");
    const char *printed = lab_capture_end();
    expect_echo_arrives(client, (const unsigned char *)message, len, "the tutorial's greeting");
    close(client);
    close(server);
    lab_expect(peer.sin_family == AF_INET &&
                   peer.sin_addr.s_addr == client_address.sin_addr.s_addr &&
                   peer.sin_port == client_address.sin_port,
               "udp_echo_one should store the sender's address in *peer (what recvfrom said).",
               lab_address_text(&client_address),
               lab_fmt("family %d, %s", peer.sin_family, lab_address_text(&peer)), SECTION);
    lab_expect(printed[0] == '\0', "udp_echo_one must not print anything.", "no output",
               printed, SECTION);
}

LAB_TEST(udp_echo_one, null_peer_is_allowed)
{
    expect_round_trip(5, 1, "5 bytes, peer NULL");
}

LAB_TEST(udp_echo_one, empty_datagram_is_echoed_as_an_empty_datagram)
{
    /* recvfrom returns 0 for it: on UDP that is a datagram, not an end. */
    expect_round_trip(0, 2, "a datagram of 0 bytes: it is not an end, echo it");
}

LAB_TEST(udp_echo_one, one_byte_datagram_comes_back)
{
    expect_round_trip(1, 3, "1 byte");
}

LAB_TEST(udp_echo_one, largest_datagram_comes_back_whole)
{
    expect_round_trip(UDP_MAX_DATAGRAM, 4,
                      lab_fmt("UDP_MAX_DATAGRAM (%d) bytes of binary data: the buffer must hold "
                              "the largest datagram, or the rest is cut off",
                              UDP_MAX_DATAGRAM));
}

LAB_TEST(udp_echo_one, sizes_around_1024_come_back)
{
    static const size_t sizes[] = {1023, 1024, 1025, 4096, 40000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        expect_round_trip(sizes[i], (unsigned)i + 10,
                          lab_fmt("%zu bytes of binary data", sizes[i]));
}

LAB_TEST(udp_echo_one, datagrams_in_a_row_keep_their_boundaries)
{
    /* All sent before any echo: they wait in the server's queue, each whole.
     * One call echoes one datagram; the echoes come back one by one. */
    static const size_t sizes[] = {5, 0, 1, UDP_MAX_DATAGRAM, 0, 2, 1024};
    enum { COUNT = sizeof sizes / sizeof sizes[0] };
    static unsigned char data[COUNT][UDP_MAX_DATAGRAM];
    int server = test_udp_socket();
    int client = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);

    for (size_t i = 0; i < COUNT; i++) {
        lab_fill_data(data[i], sizes[i], (unsigned)i + 20);
        test_send_datagram(client, &server_address, data[i], sizes[i]);
    }
    for (size_t i = 0; i < COUNT; i++)
        expect_echo_returns(server, sizes[i], NULL,
                            lab_fmt("datagram %zu of %d in a row, %zu bytes", i + 1, COUNT,
                                    sizes[i]));
    for (size_t i = 0; i < COUNT; i++)
        expect_echo_arrives(client, data[i], sizes[i],
                            lab_fmt("datagram %zu of %d in a row, %zu bytes: each echo is one "
                                    "datagram, in order",
                                    i + 1, COUNT, sizes[i]));
    lab_expect(!test_datagram_waiting(client),
               "Seven datagrams went out, so seven echoes should come back, no more.",
               "nothing more", "another datagram", SECTION);
    close(client);
    close(server);
}

LAB_TEST(udp_echo_one, two_clients_each_get_their_own_echo)
{
    int server = test_udp_socket();
    int first = test_udp_socket();
    int second = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    struct sockaddr_in first_address = test_local_address(first);
    struct sockaddr_in second_address = test_local_address(second);
    struct sockaddr_in peers[2];

    test_send_datagram(first, &server_address, "from the first client", 21);
    test_send_datagram(second, &server_address, "from the second", 15);
    expect_echo_returns(server, 21, &peers[0], "the first client's datagram");
    expect_echo_returns(server, 15, &peers[1], "the second client's datagram");
    expect_echo_arrives(first, (const unsigned char *)"from the first client", 21,
                        "the first client gets its own datagram back: the echo goes to the "
                        "address recvfrom reported");
    expect_echo_arrives(second, (const unsigned char *)"from the second", 15,
                        "the second client gets its own datagram back");
    bool extra = test_datagram_waiting(first) || test_datagram_waiting(second);
    close(first);
    close(second);
    close(server);
    lab_expect(
        peers[0].sin_port == first_address.sin_port && peers[1].sin_port == second_address.sin_port,
        "Each call should store the address of the datagram's own sender in *peer.",
        lab_fmt("%s, then %s", lab_address_text(&first_address), lab_address_text(&second_address)),
        lab_fmt("%s, then %s", lab_address_text(&peers[0]), lab_address_text(&peers[1])), SECTION);
    lab_expect(!extra, "Each client should get exactly one echo: its own.", "one each",
               "a client got a second datagram", SECTION);
}

LAB_TEST(udp_echo_one, leaves_the_socket_open_and_unconnected)
{
    int server = test_udp_socket();
    int client = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    test_send_datagram(client, &server_address, "ping", 4);
    expect_echo_returns(server, 4, NULL, "\"ping\"");
    struct sockaddr_in connected_to;
    socklen_t size = sizeof connected_to;
    bool open_now = lab_fd_is_open(server);
    int peer_name = open_now ? getpeername(server, (struct sockaddr *)&connected_to, &size) : 0;
    int err = errno;
    close(client);
    if (open_now)
        close(server);
    lab_expect(open_now, "udp_echo_one must not close fd: the caller does.", "fd still open",
               "fd was closed", SECTION);
    lab_expect(peer_name == -1 && err == ENOTCONN,
               "udp_echo_one must not connect fd: a connected UDP socket takes datagrams from "
               "its peer only, and the server would be deaf to every other client "
               "(getpeername should fail with ENOTCONN).",
               "-1 with errno ENOTCONN", lab_result_text(peer_name, err), SECTION);
}

LAB_TEST(udp_echo_one, fd_not_open_fails_with_ebadf)
{
    int fd = test_udp_socket();
    close(fd); /* now a number no descriptor has */
    errno = 0;
    ssize_t closed_result = udp_echo_one(fd, NULL);
    int closed_err = errno;
    errno = 0;
    ssize_t negative_result = udp_echo_one(-1, NULL);
    int negative_err = errno;
    lab_expect_failure(closed_result, closed_err, EBADF,
                       "udp_echo_one on a descriptor that is not open should fail at once.",
                       SECTION);
    lab_expect_failure(negative_result, negative_err, EBADF,
                       "udp_echo_one(-1, ...) should fail at once.", SECTION);
}

LAB_TEST(udp_echo_one, fd_not_a_socket_fails_with_enotsock)
{
    int not_socket = open("/dev/null", O_RDONLY);
    errno = 0;
    ssize_t result = udp_echo_one(not_socket, NULL);
    int err = errno;
    close(not_socket);
    lab_expect_failure(result, err, ENOTSOCK,
                       "udp_echo_one on /dev/null (open, but not a socket) should fail at once.",
                       SECTION);
}

/* ---- EINTR ---- */

LAB_TEST(udp_echo_one, signal_while_waiting_returns_eintr_and_loses_nothing)
{
    struct lab_catcher catcher;
    lab_catcher_install(&catcher, SIGUSR1); /* no SA_RESTART */
    int server = test_udp_socket();
    int client = test_udp_socket();
    struct sockaddr_in server_address = test_local_address(server);
    /* From a thread of the test: SIGUSR1 to udp_echo_one's session once it waits. */
    struct lab_interrupter interrupter = {
        .signo = SIGUSR1, .count = 1, .wait_ms = lab_deadline_ms(3000)};

    lab_interrupter_start(&interrupter);
    errno = 0;
    ssize_t result = udp_echo_one(server, NULL); /* nothing waiting: it waits */
    int err = errno;
    bool signalled = lab_interrupter_stop(&interrupter) == 1;
    lab_expect(signalled,
               "udp_echo_one should wait for a datagram when none has come (the test found "
               "no call asleep to signal).",
               "a call asleep in a system call", lab_result_text(result, err), SECTION);
    lab_expect_failure(result, err, EINTR,
                       "A signal (handler without SA_RESTART) while udp_echo_one waits should "
                       "make it return -1 with EINTR at once, not wait again: the caller "
                       "decides (this is how the server notices SIGTERM).",
                       SECTION);
    /* And nothing is lost: the next datagram is echoed as usual. */
    test_send_datagram(client, &server_address, "after the signal", 16);
    expect_echo_returns(server, 16, NULL, "the datagram after the signal");
    expect_echo_arrives(client, (const unsigned char *)"after the signal", 16,
                        "the datagram sent after the signal");
    close(client);
    close(server);
    lab_catcher_remove(&catcher);
}
