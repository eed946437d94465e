/*
 * udp_echo_client.c - Lab 9 reference solution: the UDP echo client program.
 *
 *     udp_echo_client [HOST [PORT [MESSAGE]]]
 *
 * Lab 7's client without a connection: one datagram out, one datagram back,
 * and because UDP may lose either of them, udp_request asks up to three
 * times, waiting a second after each.
 */
#include "lab9.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "5346"
#define DEFAULT_MESSAGE "Hello world! This is a UDP echo client made with C."
#define TRIES 3
#define TIMEOUT_MS 1000

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for. */
struct client_args {
    struct sockaddr_in server;
    const char *message;
    size_t message_len;
};

static int usage(void)
{
    fprintf(stderr, "usage: udp_echo_client [HOST [PORT [MESSAGE]]]\n");
    return EXIT_USAGE;
}

/* Fills *args from argv. Returns 0, or -1 when the arguments are bad. Every
 * argument is positional: a MESSAGE such as "-k" is just a message. */
static int parse_args(int argc, char **argv, struct client_args *args)
{
    const char *host = argc > 1 ? argv[1] : DEFAULT_HOST;
    const char *port_text = argc > 2 ? argv[2] : DEFAULT_PORT;
    uint16_t port;

    if (argc > 4)
        return -1;
    args->message = argc > 3 ? argv[3] : DEFAULT_MESSAGE;
    args->message_len = strlen(args->message);
    if (parse_port(port_text, &port) == -1)
        return -1;
    if (addr_from_string(host, port, &args->server) == -1)
        return -1;
    if (args->message_len > UDP_MAX_DATAGRAM)
        return -1;
    return 0;
}

/* Prints "Received: " and the reply's bytes as they came. Returns 0, or -1
 * when stdout cannot be written. */
static int print_reply(const char *reply, size_t len)
{
    fputs("Received: ", stdout);
    fwrite(reply, 1, len, stdout);
    fputc('\n', stdout);
    return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}

int main(int argc, char **argv)
{
    static char reply[UDP_MAX_DATAGRAM];
    struct client_args args;

    if (parse_args(argc, argv, &args) == -1)
        return usage();

    int fd = udp_socket(); /* unbound: the first send picks a free port */
    if (fd == -1) {
        fprintf(stderr, "udp_echo_client: cannot create a socket: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    ssize_t received = udp_request(fd, &args.server, args.message, args.message_len, reply,
                                   sizeof reply, TIMEOUT_MS, TRIES);
    int request_errno = errno;
    close_socket(fd);
    if (received == -1 && request_errno == ETIMEDOUT) {
        fprintf(stderr, "udp_echo_client: no reply after %d tries of %d ms\n", TRIES,
                TIMEOUT_MS);
        return EXIT_FAILED;
    }
    if (received == -1) {
        fprintf(stderr, "udp_echo_client: the request failed: %s\n", strerror(request_errno));
        return EXIT_FAILED;
    }
    if (print_reply(reply, (size_t)received) == -1) {
        fprintf(stderr, "udp_echo_client: cannot write to stdout: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}
