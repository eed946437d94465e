/*
 * Lab 4 tests: tcp_accept (lab4.h, handout 4.1).
 *
 * Each test sets up its own listener on 127.0.0.1 with plain system calls
 * (loopback.c) and compares what tcp_accept answers with what the kernel says
 * about the same sockets, so any correct implementation passes. Connections are
 * made before tcp_accept is called, so a correct tcp_accept never has to wait,
 * except in the signal test, which makes it wait on purpose.
 */
#define LAB_NAME "lab4"
#include "labtest.h"

#include "lab4.h"
#include "loopback.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

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
    return address_text(peer);
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
    bool has_peer = fd >= 0 && peer_address(fd, &peer) == 0;
    lab_expect(fd >= 0, lab_fmt("%s with a client waiting should return a descriptor.", call),
               "a descriptor (an int >= 0)", lab_result_text(fd, err), "4.1");
    lab_expect(fd != listen_fd,
               lab_fmt("%s should return the NEW socket accept() creates, not the listening "
                       "one.", call),
               lab_fmt("a descriptor other than listen_fd (%d)", listen_fd),
               lab_fmt("%d, the listening socket itself", fd), "2.1");
    lab_expect(has_peer && same_address(&peer, client),
               lab_fmt("%s should return a socket connected to the client.", call),
               lab_fmt("a socket whose peer (getpeername) is the client, %s",
                       address_text(client)),
               has_peer ? lab_fmt("a socket whose peer is %s", address_text(&peer))
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
    lab_expect(same_address(&peer, &client),
               "tcp_accept should store the client's address (its IP and port, what the "
               "client's getsockname says) in *peer.",
               lab_fmt("AF_INET %s", address_text(&client)), stored_peer_text(&peer), "4.1");
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
    bool ok_first = fd_first >= 0 && peer_address(fd_first, &connected_first) == 0 &&
                    same_address(&connected_first, &first) && same_address(&peer_first, &first);
    bool ok_second = fd_second >= 0 && peer_address(fd_second, &connected_second) == 0 &&
                     same_address(&connected_second, &second) &&
                     same_address(&peer_second, &second);
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
               lab_fmt("two descriptors, peers %s then %s", address_text(&first),
                       address_text(&second)),
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
    int next_fd = accept_within_deadline(listen_fd);
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

/* How long the helper waits for the handler to report one signal: generous, as it
 * costs nothing when things work (the handler runs within microseconds). */
#define HANDLER_WAIT_MS 5000

/* The write end of the pipe the handler reports on (one byte per signal). */
static volatile sig_atomic_t handled_pipe_fd = -1;

static void note_signal(int signo)
{
    (void)signo;
    int saved_errno = errno;
    char byte = 1;
    if (write(handled_pipe_fd, &byte, 1) == -1) {
        /* Nothing to do in a handler; the helper thread times out instead. */
    }
    errno = saved_errno;
}

/* What the helper thread shares with the test. */
struct interrupter {
    int handled_fd;               /* read end of the handler's pipe */
    struct sockaddr_in server;    /* the listener to connect to */
    atomic_bool accept_returned;  /* set by the test when tcp_accept has returned */
    int signals_handled;          /* results, read after the join */
    int client_fd;
    struct sockaddr_in client;
};

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * The helper thread: interrupts tcp_accept's wait with SIGNALS_PER_WAIT signals,
 * each sent only once the call is asleep again (lab_signal_call) and each
 * confirmed by the handler, and only then connects as a client.
 */
static void *interrupt_then_connect(void *arg)
{
    struct interrupter *job = arg;
    long long deadline = now_ms() + LOOPBACK_WAIT_MS;
    for (int i = 0; i < SIGNALS_PER_WAIT; i++) {
        if (atomic_load(&job->accept_returned) ||
            !lab_signal_call(SIGUSR1, (int)(deadline - now_ms())))
            break;
        if (!wait_readable(job->handled_fd, HANDLER_WAIT_MS))
            break;
        char byte;
        if (read(job->handled_fd, &byte, 1) == 1)
            job->signals_handled++;
    }
    if (!atomic_load(&job->accept_returned))
        job->client_fd = loopback_client(&job->server, &job->client);
    return NULL;
}

/* The process state the signal test changes, to put back afterwards. */
struct signal_setup {
    struct sigaction previous_action;
    sigset_t previous_mask;
    int pipe_fds[2];
};

/* SIGUSR1 runs note_signal, WITHOUT SA_RESTART: a blocked accept() then fails
 * with EINTR instead of being restarted by the kernel. */
static bool install_handler(struct signal_setup *setup)
{
    struct sigaction action;
    sigset_t usr1;
    if (pipe(setup->pipe_fds) == -1)
        return false;
    handled_pipe_fd = setup->pipe_fds[1];
    lab_call_share_fd(setup->pipe_fds[1]); /* the handler runs in tcp_accept's child */
    memset(&action, 0, sizeof action);
    action.sa_handler = note_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGUSR1, &action, &setup->previous_action);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, &setup->previous_mask);
    return true;
}

static void restore_handler(struct signal_setup *setup)
{
    sigaction(SIGUSR1, &setup->previous_action, NULL);
    pthread_sigmask(SIG_SETMASK, &setup->previous_mask, NULL);
    handled_pipe_fd = -1;
    close(setup->pipe_fds[0]);
    close(setup->pipe_fds[1]);
}

LAB_TEST(tcp_accept, signal_during_wait_keeps_waiting, .timeout = 15)
{
    struct signal_setup setup;
    struct interrupter job;
    struct sockaddr_in peer;
    memset(&job, 0, sizeof job);
    int listen_fd = loopback_listener(&job.server);
    bool installed = install_handler(&setup);
    lab_expect(installed, "Test setup (not your code): a pipe for the handler.", "it works",
               lab_errno_text(errno), "5.1");
    job.handled_fd = setup.pipe_fds[0];
    job.client_fd = -1;
    atomic_init(&job.accept_returned, false);
    pthread_t helper;
    int created = pthread_create(&helper, NULL, interrupt_then_connect, &job);

    fill_sentinel(&peer);
    errno = 0;
    int fd = created == 0 ? tcp_accept(listen_fd, &peer) : -1;
    int err = errno;
    atomic_store(&job.accept_returned, true);
    if (created == 0)
        pthread_join(helper, NULL);
    restore_handler(&setup);

    struct sockaddr_in connected;
    bool connected_to_client = fd >= 0 && job.client_fd >= 0 &&
                               peer_address(fd, &connected) == 0 &&
                               same_address(&connected, &job.client);
    if (fd >= 0)
        close(fd);
    if (job.client_fd >= 0)
        close(job.client_fd);
    close(listen_fd);
    lab_expect(created == 0, "Test setup (not your code): a helper thread.", "it starts",
               lab_errno_text(created), "5.1");
    lab_expect(fd >= 0,
               lab_fmt("A signal interrupted tcp_accept's wait %d time(s) (accept() failed with "
                       "EINTR); tcp_accept should have waited again, then returned the "
                       "connection that came after the signals.",
                       job.signals_handled),
               "a descriptor (an int >= 0)",
               err == EINTR ? lab_fmt("%s: the interrupted wait ended the call",
                                      lab_result_text(fd, err))
                            : lab_result_text(fd, err),
               "2.3");
    lab_expect(job.signals_handled == SIGNALS_PER_WAIT,
               "Test setup (not your code): the signals were delivered while tcp_accept "
               "waited.",
               lab_fmt("%d signals handled", SIGNALS_PER_WAIT),
               lab_fmt("%d signals handled", job.signals_handled), "5.1");
    lab_expect(connected_to_client && same_address(&peer, &job.client),
               "After the signals, tcp_accept should return the socket connected to the "
               "client that came afterwards, and store that client's address in *peer.",
               lab_fmt("a socket whose peer is %s, and *peer %s", address_text(&job.client),
                       address_text(&job.client)),
               lab_fmt("a socket %s, and *peer %s",
                       connected_to_client ? "connected to that client"
                                           : "not connected to that client",
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
