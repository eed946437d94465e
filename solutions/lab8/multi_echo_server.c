/*
 * multi_echo_server.c - Lab 8 reference solution: the echo server for many
 * clients at once.
 *
 *     multi_echo_server [HOST [PORT]]
 *
 * Lab 6's server with the hub inside: listen, announce, then hub_step in a
 * loop until SIGINT or SIGTERM.
 *
 * How it stops within a second: the handler only sets a flag, and it is
 * installed without SA_RESTART, so a signal that arrives while hub_step
 * waits ends the wait (hub_step returns -1 with EINTR) and the loop sees the
 * flag. A signal that lands between the check of the flag and the start of
 * the wait cannot end that wait, so each wait is bounded by STEP_TIMEOUT_MS:
 * the flag is seen at the latest then.
 *
 * The programs of labs 6 to 9 follow one plan: the command line (options,
 * usage, parse_arguments), what they print, how they stop, the work, main.
 */
#include "lab2.h"
#include "lab3.h"
#include "lab8.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "multi_echo_server"
#define USAGE "usage: multi_echo_server [HOST [PORT]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define BACKLOG HUB_MAX_CLIENTS
#define STEP_TIMEOUT_MS 200  /* the longest a stop request can go unnoticed */
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

/* SIGINT and SIGTERM set the flag; no SA_RESTART, so they interrupt the wait.
 * Returns 0, or -1 with errno. */
static int install_stop_handler(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGINT, &action, NULL) == -1 || sigaction(SIGTERM, &action, NULL) == -1)
        return -1;
    return 0;
}

/* ---- the work ---- */

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

/* Serves every client until a stop request. Returns the exit status. */
static int serve_until_stopped(int listen_fd)
{
    struct echo_hub *hub = hub_create(listen_fd);
    if (hub == NULL) {
        fprintf(stderr, PROGRAM ": cannot create the hub: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    int status = EXIT_OK;
    while (!stop_requested) {
        if (hub_step(hub, STEP_TIMEOUT_MS) == -1 && errno != EINTR) {
            fprintf(stderr, PROGRAM ": %s\n", strerror(errno));
            status = EXIT_FAILED;
            break;
        }
    }
    hub_destroy(hub);
    return status;
}

int main(int argc, char **argv)
{
    struct options options;

    if (parse_arguments(argc, argv, &options) == -1)
        return EXIT_USAGE;
    /* Before "Listening on": a signal may come as soon as the line is out. */
    if (install_stop_handler() == -1) {
        fprintf(stderr, PROGRAM ": cannot set up signals: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    int listen_fd = start_listening(&options);
    if (listen_fd == -1)
        return EXIT_FAILED;
    int status = serve_until_stopped(listen_fd);
    close(listen_fd);
    return status;
}
