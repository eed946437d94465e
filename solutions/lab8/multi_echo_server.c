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
 */
#include "lab2.h"
#include "lab3.h"
#include "lab8.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define BACKLOG HUB_MAX_CLIENTS
#define STEP_TIMEOUT_MS 200     /* the longest a stop request can go unnoticed */
#define ADDRESS_TEXT_SIZE 32    /* "255.255.255.255:65535" and its NUL fit */

#define EXIT_OK 0
#define EXIT_FAILURE_RUNNING 1
#define EXIT_BAD_ARGUMENTS 2

struct options {
    const char *host;
    uint16_t port;
};

/* Set by the SIGINT/SIGTERM handler; read by the main loop. */
static volatile sig_atomic_t stop_requested = 0;

static int usage(const char *problem)
{
    fprintf(stderr, "multi_echo_server: %s\nusage: multi_echo_server [HOST [PORT]]\n",
            problem);
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
    if (argc >= 2) {
        options->host = argv[1];
        if (addr_from_string(options->host, 0, &unused) == -1)
            return usage("HOST must be an IPv4 address such as 127.0.0.1");
    }
    if (argc == 3 && parse_port(argv[2], &options->port) == -1)
        return usage("PORT must be a number from 0 to 65535");
    return 0;
}

static void request_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

/* SIGINT and SIGTERM set the flag; no SA_RESTART, so they interrupt the wait. */
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

/* Listens on host:port and prints "Listening on HOST:PORT". Returns the socket, or -1. */
static int start_listening(const struct options *options)
{
    struct sockaddr_in address;
    char text[ADDRESS_TEXT_SIZE];

    int listen_fd = tcp_listen(options->host, options->port, BACKLOG);
    if (listen_fd == -1) {
        fprintf(stderr, "multi_echo_server: cannot listen on %s:%u: %s\n", options->host,
                (unsigned)options->port, strerror(errno));
        return -1;
    }
    int port = local_port(listen_fd);
    if (port == -1 || addr_from_string(options->host, (uint16_t)port, &address) == -1 ||
        addr_to_string(&address, text, sizeof text) == -1) {
        fprintf(stderr, "multi_echo_server: cannot read the port: %s\n", strerror(errno));
        close(listen_fd);
        return -1;
    }
    printf("Listening on %s\n", text);
    fflush(stdout);
    return listen_fd;
}

/* Serves every client until a stop request. Returns the exit status. */
static int serve_until_stopped(int listen_fd)
{
    struct echo_hub *hub = hub_create(listen_fd);
    if (hub == NULL) {
        fprintf(stderr, "multi_echo_server: cannot create the hub: %s\n", strerror(errno));
        return EXIT_FAILURE_RUNNING;
    }
    int status = EXIT_OK;
    while (!stop_requested) {
        if (hub_step(hub, STEP_TIMEOUT_MS) == -1 && errno != EINTR) {
            fprintf(stderr, "multi_echo_server: %s\n", strerror(errno));
            status = EXIT_FAILURE_RUNNING;
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
        return EXIT_BAD_ARGUMENTS;
    /* Before "Listening on": a signal may come as soon as the line is out. */
    if (install_stop_handler() == -1) {
        fprintf(stderr, "multi_echo_server: cannot set up signals: %s\n", strerror(errno));
        return EXIT_FAILURE_RUNNING;
    }
    int listen_fd = start_listening(&options);
    if (listen_fd == -1)
        return EXIT_FAILURE_RUNNING;
    int status = serve_until_stopped(listen_fd);
    close(listen_fd);
    return status;
}
