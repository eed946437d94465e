/*
 * echo_server.c - Lab 6 reference solution: the echo server program.
 *
 *     echo_server [-k] [HOST [PORT]]
 *
 * Without -k it is the tutorial's server: listen, accept one client, echo
 * until the client closes, exit. With -k it serves clients one after another
 * until SIGINT or SIGTERM.
 *
 * How -k stops within a second: SIGINT and SIGTERM are blocked except at two
 * places. While waiting for a client, ppoll() unblocks them atomically, so a
 * signal either arrives before the wait (ppoll returns at once with EINTR) or
 * during it (same), never in a gap between checking the flag and waiting.
 * During a session they are unblocked, and the handler shuts the client's
 * socket down, so echo_session's recv or send returns at once, whatever
 * echo_session does about EINTR.
 *
 * The programs of labs 6 to 9 follow one plan: the command line (options,
 * usage, parse_arguments), what they print, how they stop, the work, main.
 */
#define _GNU_SOURCE /* ppoll */

#include "lab2.h"
#include "lab3.h"
#include "lab4.h"
#include "lab6.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "echo_server"
#define USAGE "usage: echo_server [-k] [HOST [PORT]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define BACKLOG 16
#define ADDRESS_TEXT_SIZE 32 /* "255.255.255.255:65535" and its NUL fit */

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for. */
struct options {
    bool keep_serving; /* -k */
    const char *host;
    uint16_t port;
};

/* Set by the SIGINT/SIGTERM handler; read by the main loop. */
static volatile sig_atomic_t stop_requested = 0;
/* The client being served (-1 between clients), for the handler to shut down. */
static volatile sig_atomic_t session_fd = -1;

/* ---- the command line ---- */

/* Prints what is wrong and the usage line on stderr. Returns -1, for
 * parse_arguments to return. */
static int usage(const char *problem)
{
    fprintf(stderr, PROGRAM ": %s\n" USAGE "\n", problem);
    return -1;
}

/* Reads the command line into *options. Returns 0, or -1 after printing why. */
static int parse_arguments(int argc, char **argv, struct options *options)
{
    struct sockaddr_in unused;
    int first = 1;

    options->keep_serving = argc > 1 && strcmp(argv[1], "-k") == 0;
    if (options->keep_serving)
        first = 2;
    options->host = DEFAULT_HOST;
    options->port = DEFAULT_PORT;
    for (int i = first; i < argc; i++)
        if (argv[i][0] == '-')
            return usage(argv[i][1] == 'k' ? "-k must come first" : "unknown option");
    if (argc - first > 2)
        return usage("too many arguments");
    if (argc - first >= 1) {
        options->host = argv[first];
        if (addr_from_string(options->host, 0, &unused) == -1)
            return usage("HOST must be an IPv4 address such as 127.0.0.1");
    }
    if (argc - first == 2 && parse_port(argv[first + 1], &options->port) == -1)
        return usage("PORT must be a number from 0 to 65535");
    return 0;
}

/* ---- what it prints ---- */

/* Prints "<label>HOST:PORT" for addr on stdout and flushes. */
static void print_line(const char *label, const struct sockaddr_in *addr)
{
    char text[ADDRESS_TEXT_SIZE];
    if (addr_to_string(addr, text, sizeof text) == -1)
        snprintf(text, sizeof text, "?");
    printf("%s%s\n", label, text);
    fflush(stdout);
}

/* ---- stopping (-k) ---- */

static void request_stop(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
    stop_requested = 1;
    if (session_fd != -1)
        shutdown(session_fd, SHUT_RDWR); /* async-signal-safe: ends the session now */
    errno = saved_errno;
}

/* Blocks SIGINT and SIGTERM; *before* (when not NULL) receives the previous mask. */
static int block_stop_signals(sigset_t *before)
{
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    return sigprocmask(SIG_BLOCK, &stop_signals, before);
}

/* Installs request_stop for SIGINT and SIGTERM (no SA_RESTART) and blocks both;
 * *unblocked receives the mask to wait with. Returns 0, or -1 with errno. */
static int prepare_stop_signals(sigset_t *unblocked)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    if (block_stop_signals(unblocked) == -1)
        return -1;
    sigdelset(unblocked, SIGINT);
    sigdelset(unblocked, SIGTERM);
    if (sigaction(SIGINT, &action, NULL) == -1 || sigaction(SIGTERM, &action, NULL) == -1)
        return -1;
    return 0;
}

/* ---- the work ---- */

/* Adds or removes O_NONBLOCK, keeping the descriptor's other flags. */
static int set_nonblocking(int fd, bool nonblocking)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    flags = nonblocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

/* Listens on host:port and announces the real port. Returns the socket, or -1. */
static int start_listening(const struct options *options)
{
    struct sockaddr_in address;
    int listen_fd = tcp_listen(options->host, options->port, BACKLOG);
    if (listen_fd == -1) {
        fprintf(stderr, PROGRAM ": cannot listen on %s:%u: %s\n", options->host,
                (unsigned)options->port, strerror(errno));
        return -1;
    }
    int port = local_port(listen_fd);
    if (port == -1 || addr_from_string(options->host, (uint16_t)port, &address) == -1) {
        fprintf(stderr, PROGRAM ": cannot read the port: %s\n", strerror(errno));
        close(listen_fd);
        return -1;
    }
    print_line("Listening on ", &address);
    return listen_fd;
}

/* Announces the client and echoes until it closes. Returns echo_session's result. */
static ssize_t serve(int client_fd, const struct sockaddr_in *peer)
{
    print_line("Connected by: ", peer);
    return echo_session(client_fd);
}

/* The tutorial's server: one client, then exit. */
static int run_once(int listen_fd)
{
    struct sockaddr_in peer;
    int client_fd = tcp_accept(listen_fd, &peer);
    if (client_fd == -1) {
        fprintf(stderr, PROGRAM ": accept failed: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    ssize_t echoed = serve(client_fd, &peer);
    int err = errno;
    close(client_fd);
    if (echoed == -1) {
        fprintf(stderr, PROGRAM ": the session ended in an error: %s\n", strerror(err));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* Waits until a client is waiting to be accepted or a stop signal came.
 * Returns 1 for a client, 0 for a stop, -1 with errno on an error. */
static int wait_for_client(int listen_fd, const sigset_t *unblocked)
{
    struct pollfd listening = {.fd = listen_fd, .events = POLLIN};
    while (!stop_requested) {
        int ready = ppoll(&listening, 1, NULL, unblocked);
        if (ready == -1 && errno != EINTR)
            return -1;
        if (ready == 1)
            return 1;
    }
    return 0;
}

/* -k: serve clients one after another until SIGINT or SIGTERM (already blocked:
 * see prepare_stop_signals; `unblocked` is the mask to wait with). */
static int run_until_stopped(int listen_fd, const sigset_t *unblocked)
{
    /* Non-blocking: if a waiting client leaves before we take it, tcp_accept
     * fails with EAGAIN instead of waiting (where no signal could stop it). */
    if (set_nonblocking(listen_fd, true) == -1) {
        fprintf(stderr, PROGRAM ": fcntl failed: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    for (;;) {
        int waiting = wait_for_client(listen_fd, unblocked);
        if (waiting == 0)
            return EXIT_OK;
        if (waiting == -1) {
            fprintf(stderr, PROGRAM ": waiting for a client failed: %s\n", strerror(errno));
            return EXIT_FAILED;
        }
        struct sockaddr_in peer;
        int client_fd = tcp_accept(listen_fd, &peer); /* non-blocking: a client is there */
        if (client_fd == -1)
            continue; /* it left before we took it (EAGAIN, ECONNABORTED): wait again */

        session_fd = client_fd;
        sigprocmask(SIG_SETMASK, unblocked, NULL); /* a stop may now end the session */
        ssize_t echoed = serve(client_fd, &peer);
        int err = errno;
        block_stop_signals(NULL);
        session_fd = -1;
        close(client_fd);
        if (echoed == -1 && !stop_requested)
            fprintf(stderr, PROGRAM ": client left in an error: %s\n", strerror(err));
    }
}

int main(int argc, char **argv)
{
    struct options options;
    sigset_t unblocked;

    if (parse_arguments(argc, argv, &options) == -1)
        return EXIT_USAGE;
    /* Before "Listening on": a signal may come as soon as the line is out. */
    if (options.keep_serving && prepare_stop_signals(&unblocked) == -1) {
        fprintf(stderr, PROGRAM ": cannot set up signals: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    int listen_fd = start_listening(&options);
    if (listen_fd == -1)
        return EXIT_FAILED;
    int status = options.keep_serving ? run_until_stopped(listen_fd, &unblocked)
                                      : run_once(listen_fd);
    close(listen_fd);
    return status;
}
