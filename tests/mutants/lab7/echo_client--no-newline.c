/*
 * Mutant of echo_client.c: prints the Received line without its final newline.
 */
#include "lab7.h"

#include "lab1.h"
#include "lab2.h"
#include "lab4.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "5346"
#define DEFAULT_MESSAGE "Hello world! This is an echo server made with C."

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for. */
struct client_args {
    const char *host;
    uint16_t port;
    const char *message;
    size_t message_len;
};

static int usage(void)
{
    fprintf(stderr, "usage: echo_client [HOST [PORT [MESSAGE]]]\n");
    return EXIT_USAGE;
}

/* Fills *args from argv. Returns 0, or -1 when the arguments are bad. Every
 * argument is positional: a MESSAGE such as "-k" is just a message. */
static int parse_args(int argc, char **argv, struct client_args *args)
{
    struct sockaddr_in unused;
    const char *port_text = argc > 2 ? argv[2] : DEFAULT_PORT;

    if (argc > 4)
        return -1;
    args->host = argc > 1 ? argv[1] : DEFAULT_HOST;
    args->message = argc > 3 ? argv[3] : DEFAULT_MESSAGE;
    args->message_len = strlen(args->message);
    if (addr_from_string(args->host, 0, &unused) == -1)
        return -1;
    if (parse_port(port_text, &args->port) == -1)
        return -1;
    if (args->message_len > ECHO_MAX_MESSAGE)
        return -1;
    return 0;
}

/* Prints "Received: " and the echo's bytes as they came (zero bytes too).
 * Returns 0, or -1 when stdout cannot be written. */
static int print_echo(const char *echo, size_t len)
{
    fputs("Received: ", stdout);
    fwrite(echo, 1, len, stdout);
    return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}

int main(int argc, char **argv)
{
    static char echo[ECHO_MAX_MESSAGE];
    struct client_args args;

    if (parse_args(argc, argv, &args) == -1)
        return usage();

    int server_fd = tcp_connect(args.host, args.port);
    if (server_fd == -1) {
        fprintf(stderr, "echo_client: cannot connect to %s:%u: %s\n", args.host,
                (unsigned)args.port, strerror(errno));
        return EXIT_FAILED;
    }

    ssize_t received = echo_roundtrip(server_fd, args.message, args.message_len, echo);
    int roundtrip_errno = errno;
    close_socket(server_fd);
    if (received == -1) {
        fprintf(stderr, "echo_client: the round trip failed: %s\n", strerror(roundtrip_errno));
        return EXIT_FAILED;
    }

    if (print_echo(echo, (size_t)received) == -1) {
        fprintf(stderr, "echo_client: cannot write to stdout: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    if ((size_t)received < args.message_len) {
        fprintf(stderr,
                "echo_client: incomplete echo: the server closed the connection after %zd of "
                "%zu bytes\n",
                received, args.message_len);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}
