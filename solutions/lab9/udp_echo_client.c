/*
 * udp_echo_client.c - Lab 9 reference solution: the UDP echo client program.
 *
 *     udp_echo_client [HOST [PORT [MESSAGE]]]
 *
 * Lab 7's client without a connection: one datagram out, one datagram back,
 * and because UDP may lose either of them, udp_request asks up to three
 * times, waiting a second after each.
 *
 * The programs of labs 6 to 9 follow one plan: the command line (options,
 * usage, parse_arguments), what they print, how they stop, the work, main.
 */
#include "lab1.h"
#include "lab2.h"
#include "lab9.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PROGRAM "udp_echo_client"
#define USAGE "usage: udp_echo_client [HOST [PORT [MESSAGE]]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define DEFAULT_MESSAGE "Hello world! This is a UDP echo client made with C."
#define TRIES 3
#define TIMEOUT_MS 1000

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
    if (options->message_len > UDP_MAX_DATAGRAM)
        return usage("MESSAGE does not fit in one datagram (UDP_MAX_DATAGRAM bytes)");
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

/* Sends the message as one datagram (TRIES times at most) and prints the
 * reply. Returns the exit status. */
static int request_echo(const struct options *options)
{
    static char reply[UDP_MAX_DATAGRAM];
    struct sockaddr_in server;

    if (addr_from_string(options->host, options->port, &server) == -1) {
        fprintf(stderr, PROGRAM ": %s:%u is not an address: %s\n", options->host,
                (unsigned)options->port, strerror(errno));
        return EXIT_FAILED;
    }
    int fd = udp_socket(); /* unbound: the first send picks a free port */
    if (fd == -1) {
        fprintf(stderr, PROGRAM ": cannot create a socket: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    ssize_t received = udp_request(fd, &server, options->message, options->message_len, reply,
                                   sizeof reply, TIMEOUT_MS, TRIES);
    int request_errno = errno;
    close_socket(fd);
    if (received == -1 && request_errno == ETIMEDOUT) {
        fprintf(stderr, PROGRAM ": no reply after %d tries of %d ms\n", TRIES, TIMEOUT_MS);
        return EXIT_FAILED;
    }
    if (received == -1) {
        fprintf(stderr, PROGRAM ": the request failed: %s\n", strerror(request_errno));
        return EXIT_FAILED;
    }
    if (print_received(reply, (size_t)received) == -1) {
        fprintf(stderr, PROGRAM ": cannot write to stdout: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options options;

    if (parse_arguments(argc, argv, &options) == -1)
        return EXIT_USAGE;
    return request_echo(&options);
}
