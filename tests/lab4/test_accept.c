/*
 * Lab 4 tests: tcp_accept (lab4.h, handout 4.1).
 *
 * Each test sets up its own listener on 127.0.0.1 with plain system calls
 * (loopback.c) and compares what tcp_accept answers with what the kernel says
 * about the same sockets, so any correct implementation passes. Connections are
 * made before tcp_accept is called, so a correct tcp_accept never has to wait,
 * except in the signal test, which makes it wait on purpose.
 */
#include "labtest.h"

#include "lab4.h"
#include "labsignal.h"
#include "loopback.h"

#include <sys/socket.h>

/* A byte pattern no real address has, to see whether tcp_accept wrote *peer. */
#define PEER_SENTINEL_BYTE 0xA5

static void fill_sentinel(struct sockaddr_in *peer)
{
    memset(peer, PEER_SENTINEL_BYTE, sizeof *peer);
}

static bool still_sentinel(const struct sockaddr_in *peer)
{
    const unsigned char *byte = (const unsigned char *)peer;
    for (size_t i = 0; i < sizeof *peer; i++)
        if (byte[i] != PEER_SENTINEL_BYTE)
            return false;
    return true;
}

/* The client's address as tcp_accept stored it, or why it is not there. */
static const char *stored_peer_text(const struct sockaddr_in *peer)
{
    if (still_sentinel(peer))
        return "nothing: *peer still holds the bytes it held before the call";
    return lab_address_text(peer);
}

/*
 * Overwrites the stack below the caller with zeros, so that a local variable
 * tcp_accept forgets to initialise (such as accept()'s address length) reads 0
 * there instead of whatever happened to be left: the mistake then shows every
 * time, not by luck.
 */
static void zero_stack_below(void)
{
    unsigned char area[4096];
    explicit_bzero(area, sizeof area);
}

/* Checks that fd is a new socket connected to the client whose address is *client. */
static void expect_connection_from(int fd, int err, int listen_fd,
                                   const struct sockaddr_in *client, const char *call)
{
    struct sockaddr_in peer;
    bool has_peer = fd >= 0 && lab_peer_address(fd, &peer) == 0;
    lab_expect(fd >= 0, lab_fmt("%s with a client waiting should return a descriptor.", call),
               "a descriptor (an int >= 0)", lab_result_text(fd, err), "4.1");
    lab_expect(fd != listen_fd,
               lab_fmt("%s should return the NEW socket accept() creates, not the listening "
                       "one.", call),
               lab_fmt("a descriptor other than listen_fd (%d)", listen_fd),
               lab_fmt("%d, the listening socket itself", fd), "2.1");
    lab_expect(
        has_peer && lab_same_address(&peer, client),
        lab_fmt("%s should return a socket connected to the client.", call),
        lab_fmt("a socket whose peer (getpeername) is the client, %s", lab_address_text(client)),
        has_peer ? lab_fmt("a socket whose peer is %s", lab_address_text(&peer))
                 : lab_fmt("a socket with no peer (%s)", socket_kind_text(fd)),
        "2.1");
}

LAB_TEST(tcp_accept, waiting_client_returns_new_connected_socket)
{
    struct sockaddr_in server, client, peer;
    int listen_fd = loopback_listener(&server);
    int client_fd = loopback_client_or_fail(&server, &client);
    errno = 0;
    int fd = tcp_accept(listen_fd, &peer);
    int err = errno;
    expect_connection_from(fd, err, listen_fd, &client, "tcp_accept(listen_fd, &peer)");
    close(fd);
    close(client_fd);
    close(listen_fd);
}

LAB_TEST(tcp_accept, peer_given_stores_client_address)
{
    struct sockaddr_in server, client, peer;
    int listen_fd = loopback_listener(&server);
    int client_fd = loopback_client_or_fail(&server, &client);
    fill_sentinel(&peer);
    zero_stack_below();
    errno = 0;
    int fd = tcp_accept(listen_fd, &peer);
    int err = errno;
    if (fd >= 0)
        close(fd);
    close(client_fd);
    close(listen_fd);
    lab_expect_success(fd, err, "tcp_accept(listen_fd, &peer) with a client waiting should "
                       "return a descriptor.", "a descriptor (an int >= 0)", "4.1");
    lab_expect(lab_same_address(&peer, &client),
               "tcp_accept should store the client's address (its IP and port, what the "
               "client's getsockname says) in *peer.",
               lab_fmt("AF_INET %s", lab_address_text(&client)), stored_peer_text(&peer), "4.1");
}

LAB_TEST(tcp_accept, null_peer_returns_connection)
{
    struct sockaddr_in server, client;
    int listen_fd = loopback_listener(&server);
    int client_fd = loopback_client_or_fail(&server, &client);
    errno = 0;
    int fd = tcp_accept(listen_fd, NULL);
    int err = errno;
    expect_connection_from(fd, err, listen_fd, &client,
                           "tcp_accept(listen_fd, NULL) (the caller does not want the address)");
    close(fd);
    close(client_fd);
    close(listen_fd);
}

LAB_TEST(tcp_accept, two_clients_returned_in_arrival_order)
{
    struct sockaddr_in server, first, second, peer_first, peer_second;
    int listen_fd = loopback_listener(&server);
    int first_fd = loopback_client_or_fail(&server, &first);
    int second_fd = loopback_client_or_fail(&server, &second);
    fill_sentinel(&peer_first);
    fill_sentinel(&peer_second);
    errno = 0;
    int fd_first = tcp_accept(listen_fd, &peer_first);
    int err_first = errno;
    errno = 0;
    int fd_second = fd_first >= 0 ? tcp_accept(listen_fd, &peer_second) : -1;
    int err_second = errno;
    struct sockaddr_in connected_first, connected_second;
    bool ok_first = fd_first >= 0 && lab_peer_address(fd_first, &connected_first) == 0 &&
                    lab_same_address(&connected_first, &first) &&
                    lab_same_address(&peer_first, &first);
    bool ok_second = fd_second >= 0 && lab_peer_address(fd_second, &connected_second) == 0 &&
                     lab_same_address(&connected_second, &second) &&
                     lab_same_address(&peer_second, &second);
    if (fd_first >= 0)
        close(fd_first);
    if (fd_second >= 0 && fd_second != fd_first)
        close(fd_second);
    close(first_fd);
    close(second_fd);
    close(listen_fd);
    lab_expect(ok_first && ok_second && fd_first != fd_second,
               "Two clients wait in the accept queue: two calls to tcp_accept should return "
               "two new sockets, connected to the first client and then to the second, and "
               "store each one's address.",
               lab_fmt("two descriptors, peers %s then %s", lab_address_text(&first),
                       lab_address_text(&second)),
               lab_fmt("%s (peer stored: %s), then %s (peer stored: %s)",
                       lab_result_text(fd_first, err_first), stored_peer_text(&peer_first),
                       lab_result_text(fd_second, err_second), stored_peer_text(&peer_second)),
               "2.1");
}

LAB_TEST(tcp_accept, leaves_listening_socket_open_and_listening)
{
    struct sockaddr_in server, first, second;
    int listen_fd = loopback_listener(&server);
    int first_fd = loopback_client_or_fail(&server, &first);
    errno = 0;
    int fd = tcp_accept(listen_fd, NULL);
    int err = errno;
    bool still_listening = is_listening(listen_fd);
    lab_expect(fd >= 0 && still_listening,
               "tcp_accept returns a new socket and must leave the listening socket open and "
               "listening: the server accepts its next client on it.",
               "a descriptor, and listen_fd still open and listening",
               lab_fmt("%s, and listen_fd %s", lab_result_text(fd, err),
                       still_listening ? "still listening"
                       : lab_fd_is_open(listen_fd) ? "open but no longer listening"
                                                   : "closed"),
               "2.1");
    /* A second client is still served on the same listening socket. */
    int second_fd = loopback_client_or_fail(&server, &second);
    int next_fd = lab_accept_within(listen_fd, LAB_WAIT_MS, NULL, NULL);
    lab_expect(next_fd >= 0,
               "After tcp_accept, the listening socket should still accept the next client.",
               "a second connection accepted on listen_fd", "no connection arrived", "2.1");
    close(next_fd);
    close(second_fd);
    close(fd);
    close(first_fd);
    close(listen_fd);
}

/* ---- a signal while tcp_accept waits ---- */

/* How many signals interrupt one wait; the client connects after the last. */
#define SIGNALS_PER_WAIT 3

/* The client that connects once the signals are in, made by the interrupter. */
struct late_client {
    struct sockaddr_in server; /* the listener to connect to */
    int fd;
    struct sockaddr_in addr;
};

/* The interrupter's last step, after SIGNALS_PER_WAIT signals (each sent once
 * tcp_accept was asleep, each confirmed by the handler): connect as the
 * client tcp_accept waits for, unless tcp_accept has returned already. */
static void connect_after_signals(struct lab_interrupter *it)
{
    struct late_client *client = it->context;
    if (!lab_interrupter_stopping(it))
        client->fd = loopback_client(&client->server, &client->addr);
}

LAB_TEST(tcp_accept, signal_during_wait_keeps_waiting, .timeout = 15)
{
    struct lab_catcher catcher;
    struct late_client client = {.fd = -1};
    struct sockaddr_in peer;
    int listen_fd = loopback_listener(&client.server);
    lab_catcher_install(&catcher, SIGUSR1); /* no SA_RESTART: accept() fails with EINTR */
    struct lab_interrupter interrupter = {.signo = SIGUSR1,
                                          .count = SIGNALS_PER_WAIT,
                                          .wait_ms = LAB_WAIT_MS,
                                          .confirm = &catcher,
                                          .at_end = connect_after_signals,
                                          .context = &client};
    lab_interrupter_start(&interrupter);

    fill_sentinel(&peer);
    errno = 0;
    int fd = tcp_accept(listen_fd, &peer);
    int err = errno;
    lab_interrupter_stop(&interrupter);
    int signals_handled = (int)lab_catcher_count(&catcher);
    lab_catcher_remove(&catcher);

    struct sockaddr_in connected;
    bool connected_to_client = fd >= 0 && client.fd >= 0 && lab_peer_address(fd, &connected) == 0 &&
                               lab_same_address(&connected, &client.addr);
    if (fd >= 0)
        close(fd);
    if (client.fd >= 0)
        close(client.fd);
    close(listen_fd);
    lab_expect(fd >= 0,
               lab_fmt("A signal interrupted tcp_accept's wait %d time(s) (accept() failed with "
                       "EINTR); tcp_accept should have waited again, then returned the "
                       "connection that came after the signals.",
                       signals_handled),
               "a descriptor (an int >= 0)",
               err == EINTR
                   ? lab_fmt("%s: the interrupted wait ended the call", lab_result_text(fd, err))
                   : lab_result_text(fd, err),
               "2.3");
    lab_expect(signals_handled == SIGNALS_PER_WAIT,
               "Test setup (not your code): the signals were delivered while tcp_accept "
               "waited.",
               lab_fmt("%d signals handled", SIGNALS_PER_WAIT),
               lab_fmt("%d signals handled", signals_handled), "5.1");
    lab_expect(
        connected_to_client && lab_same_address(&peer, &client.addr),
        "After the signals, tcp_accept should return the socket connected to the "
        "client that came afterwards, and store that client's address in *peer.",
        lab_fmt("a socket whose peer is %s, and *peer %s", lab_address_text(&client.addr),
                lab_address_text(&client.addr)),
        lab_fmt("a socket %s, and *peer %s",
                connected_to_client ? "connected to that client" : "not connected to that client",
                stored_peer_text(&peer)),
        "4.1");
}

/* ---- failures ---- */

/* Calls tcp_accept on a descriptor it must refuse, and checks the failure. */
static void expect_accept_fails(int listen_fd, int expected_errno, const char *description)
{
    struct sockaddr_in peer;
    int open_before = lab_open_fd_count();
    errno = 0;
    int fd = tcp_accept(listen_fd, &peer);
    int err = errno;
    int open_after = lab_open_fd_count();
    if (fd >= 0 && fd != listen_fd)
        close(fd);
    lab_expect_failure(fd, err, expected_errno,
                       lab_fmt("tcp_accept on %s should fail at once.", description), "4.1");
    lab_expect(open_after == open_before,
               lab_fmt("tcp_accept on %s failed, so it should leave no new descriptor open.",
                       description),
               lab_fmt("%d descriptors open, as before the call", open_before),
               lab_fmt("%d descriptors open", open_after), "4.1");
}

LAB_TEST(tcp_accept, closed_descriptor_fails_with_ebadf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    expect_accept_fails(fd, EBADF, "a descriptor that is not open");
}

LAB_TEST(tcp_accept, socket_not_listening_fails_with_einval)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    expect_accept_fails(fd, EINVAL, "a TCP socket that is not listening (listen() never called)");
    bool still_open = lab_fd_is_open(fd);
    close(fd);
    lab_expect(still_open, "tcp_accept must not close the socket it was given, even when it "
               "fails.", "the descriptor still open", "it was closed", "4.1");
}
