/*
 * udp_echo_client.c - Lab 9: the UDP echo client program. Your code goes here.
 *
 *     udp_echo_client [HOST [PORT [MESSAGE]]]
 *
 * The contract is in lab9.h (the comment about the program); the handout
 * (handouts/en/lab9.md section 4.5, or handouts/es/lab9.md) explains each
 * step. Build with make lab9; the program is build/lab9/udp_echo_client.
 * Try it against your server:
 *     build/lab9/udp_echo_server 127.0.0.1 5346 &
 *     build/lab9/udp_echo_client 127.0.0.1 5346 "hello"
 */
#include "lab1.h"
#include "lab2.h"
#include "lab9.h"

#include <errno.h>
#include <stddef.h>
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

/* What the command line asks for (step 1 fills it in). */
struct options {
    const char *host;
    uint16_t port;
    const char *message;
    size_t message_len;
};

int main(int argc, char **argv)
{
    /* TODO (handout 4.5):
     *   1. Arguments: at most three, all positional (a MESSAGE may start
     *      with '-'). Defaults: DEFAULT_HOST, DEFAULT_PORT and
     *      DEFAULT_MESSAGE above.
     *      Check PORT with parse_port and build the server's address with
     *      addr_from_string (lab 2); MESSAGE has at most UDP_MAX_DATAGRAM
     *      bytes. If anything is wrong: the usage line (USAGE) on stderr and
     *      return EXIT_USAGE (2). A function parse_arguments(argc, argv,
     *      &options) keeps main short.
     *   2. udp_socket() (lab 1): no bind needed, the first send picks a port.
     *   3. udp_request(fd, &server, MESSAGE, its length, reply,
     *      UDP_MAX_DATAGRAM, TIMEOUT_MS, TRIES), with a reply buffer of
     *      UDP_MAX_DATAGRAM bytes (static: it is big). Close the socket.
     *   4. -1 with ETIMEDOUT: say on stderr that no reply came, return
     *      EXIT_FAILED (1). -1 otherwise: strerror(errno) on stderr,
     *      return EXIT_FAILED.
     *   5. Print "Received: ", the reply's bytes exactly as they came
     *      (fwrite), and a newline. Return EXIT_OK.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, PROGRAM ": not written yet (see handouts/en/lab9.md section 4.5)\n");
    return EXIT_FAILED;
}
