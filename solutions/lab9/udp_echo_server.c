/*
 * udp_echo_server.c - Lab 9 reference solution: the UDP echo server program.
 *
 *     udp_echo_server [HOST [PORT]]
 *
 * Bind, then echo one datagram after another, each to its own sender, until
 * SIGINT or SIGTERM. There is no accept and no session: every datagram
 * carries its sender's address, and one socket serves every client.
 *
 * How it stops within a second: SIGINT and SIGTERM are blocked except while
 * waiting, and ppoll() unblocks them atomically for the wait, so a signal
 * either comes before the wait (ppoll returns at once with EINTR) or during
 * it (same), never in a gap between checking the flag and waiting. The
 * socket is non-blocking, so udp_echo_one never waits once ppoll has said
 * "readable": if the datagram is gone, it fails with EAGAIN and we wait
 * again.
 *
 * The programs of labs 6 to 9 follow one plan: the command line (options,
 * usage, parse_arguments), what they print, how they stop, the work, main.
 */
#define _GNU_SOURCE /* ppoll */

#include "lab2.h"
#include "lab3.h"
#include "lab9.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "udp_echo_server"
#define USAGE "usage: udp_echo_server [HOST [PORT]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define ADDRESS_TEXT_SIZE 32 /* "255.255.255.255:65535" and its NUL fit */

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for. */
struct options {
    const char *host;
    uint16_t port;
};

/* Set by the SIGINT/SIGTERM handler; read by the main loop. */
static volatile sig_atomic_t stop_requested = 0;

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

    options->host = DEFAULT_HOST;
    options->port = DEFAULT_PORT;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-')
            return usage("there are no options");
    if (argc > 3)
        return usage("too many arguments");
    if (argc > 1) {
        options->host = argv[1];
        if (addr_from_string(options->host, 0, &unused) == -1)
            return usage("HOST must be an IPv4 address such as 127.0.0.1");
    }
    if (argc > 2 && parse_port(argv[2], &options->port) == -1)
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

/* ---- stopping ---- */

static void request_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
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

/* Binds host:port, makes the socket non-blocking and announces the real
 * port. Returns the socket, or -1 after printing why. */
static int start_serving(const struct options *options)
{
    struct sockaddr_in address;
    int fd = udp_bind(options->host, options->port);
    if (fd == -1) {
        fprintf(stderr, PROGRAM ": cannot bind %s:%u: %s\n", options->host,
                (unsigned)options->port, strerror(errno));
        return -1;
    }
    int port = local_port(fd);
    if (port == -1 || addr_from_string(options->host, (uint16_t)port, &address) == -1 ||
        set_nonblocking(fd, true) == -1) {
        fprintf(stderr, PROGRAM ": cannot set up the socket: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    print_line("Listening on ", &address);
    return fd;
}

/* Echoes datagrams until a stop signal. Returns the exit status. */
static int serve(int fd, const sigset_t *unblocked)
{
    struct pollfd readable = {.fd = fd, .events = POLLIN};
    while (!stop_requested) {
        int ready = ppoll(&readable, 1, NULL, unblocked);
        if (ready == -1 && errno == EINTR)
            continue; /* the flag is checked again */
        if (ready == -1) {
            fprintf(stderr, PROGRAM ": waiting failed: %s\n", strerror(errno));
            return EXIT_FAILED;
        }
        struct sockaddr_in peer;
        ssize_t echoed = udp_echo_one(fd, &peer);
        if (echoed == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (echoed == -1) {
            fprintf(stderr, PROGRAM ": an echo failed: %s\n", strerror(errno));
            continue; /* one sender's problem: the server goes on */
        }
        char label[48];
        snprintf(label, sizeof label, "Echoed %zd bytes to ", echoed);
        print_line(label, &peer);
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options options;
    sigset_t unblocked;

    if (parse_arguments(argc, argv, &options) == -1)
        return EXIT_USAGE;
    /* Before "Listening on": a signal may come as soon as the line is out. */
    if (prepare_stop_signals(&unblocked) == -1) {
        fprintf(stderr, PROGRAM ": cannot set up signals: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    int fd = start_serving(&options);
    if (fd == -1)
        return EXIT_FAILED;
    int status = serve(fd, &unblocked);
    close(fd);
    return status;
}
