/*
 * echo_client.c - Lab 7 reference solution: the echo client program.
 *
 *     echo_client [HOST [PORT [MESSAGE]]]
 *
 * The C version of the tutorial's client: connect, send the message, print
 * what comes back. Unlike the tutorial it waits for the whole echo (not just
 * one recv of 1024 bytes) and prints the bytes themselves, not Python's repr.
 *
 * The programs of labs 6 to 9 follow one plan: the command line (options,
 * usage, parse_arguments), what they print, how they stop, the work, main.
 */
#include "lab1.h"
#include "lab2.h"
#include "lab4.h"
#include "lab7.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM "echo_client"
#define USAGE "usage: echo_client [HOST [PORT [MESSAGE]]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define DEFAULT_MESSAGE "Hello world! This is an echo server made with C."

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for. */
struct options {
    const char *host;
    uint16_t port;
    const char *message;
    size_t message_len;
};

/* ---- the command line ---- */

/* Prints what is wrong and the usage line on stderr. Returns -1, for
 * parse_arguments to return. */
static int usage(const char *problem)
{
    fprintf(stderr, PROGRAM ": %s\n" USAGE "\n", problem);
    return -1;
}

/* Reads the command line into *options. Returns 0, or -1 after printing why.
 * Every argument is positional: a MESSAGE such as "-k" is just a message. */
static int parse_arguments(int argc, char **argv, struct options *options)
{
    struct sockaddr_in unused;

    options->host = DEFAULT_HOST;
    options->port = DEFAULT_PORT;
    options->message = DEFAULT_MESSAGE;
    if (argc > 4)
        return usage("too many arguments");
    if (argc > 1) {
        options->host = argv[1];
        if (addr_from_string(options->host, 0, &unused) == -1)
            return usage("HOST must be an IPv4 address such as 127.0.0.1");
    }
    if (argc > 2 && parse_port(argv[2], &options->port) == -1)
        return usage("PORT must be a number from 0 to 65535");
    if (argc > 3)
        options->message = argv[3];
    options->message_len = strlen(options->message);
    if (options->message_len > ECHO_MAX_MESSAGE)
        return usage("MESSAGE is longer than ECHO_MAX_MESSAGE bytes");
    return 0;
}

/* ---- what it prints ---- */

/* Prints "Received: " and the bytes as they came (zero bytes too), then a
 * newline. Returns 0, or -1 when stdout cannot be written. */
static int print_received(const char *bytes, size_t len)
{
    fputs("Received: ", stdout);
    fwrite(bytes, 1, len, stdout);
    fputc('\n', stdout);
    return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}

/* ---- the work ---- */

/* Connects, sends the message, prints the echo. Returns the exit status. */
static int echo_message(const struct options *options)
{
    static char echo[ECHO_MAX_MESSAGE];

    int server_fd = tcp_connect(options->host, options->port);
    if (server_fd == -1) {
        fprintf(stderr, PROGRAM ": cannot connect to %s:%u: %s\n", options->host,
                (unsigned)options->port, strerror(errno));
        return EXIT_FAILED;
    }

    ssize_t received = echo_roundtrip(server_fd, options->message, options->message_len, echo);
    int roundtrip_errno = errno;
    close_socket(server_fd);
    if (received == -1) {
        fprintf(stderr, PROGRAM ": the round trip failed: %s\n", strerror(roundtrip_errno));
        return EXIT_FAILED;
    }

    if (print_received(echo, (size_t)received) == -1) {
        fprintf(stderr, PROGRAM ": cannot write to stdout: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    if ((size_t)received < options->message_len) {
        fprintf(stderr,
                PROGRAM ": incomplete echo: the server closed the connection after %zd of %zu "
                        "bytes\n",
                received, options->message_len);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options options;

    if (parse_arguments(argc, argv, &options) == -1)
        return EXIT_USAGE;
    return echo_message(&options);
}
