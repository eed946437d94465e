/*
 * udp_echo_server.c - Lab 9: the UDP echo server program. Your code goes here.
 *
 *     udp_echo_server [HOST [PORT]]
 *
 * What it must do is written in lab9.h (below udp_request); the handout
 * (handouts/en/lab9.md, or handouts/es/lab9.md) section 4.4 explains each
 * step. Build and test with:
 *     make lab9 && make check
 * Try it by hand: build/lab9/udp_echo_server 127.0.0.1 0, then, in another
 * terminal, nc -u 127.0.0.1 PORT (or build/lab9/udp_echo_client).
 */
#include "lab2.h"
#include "lab3.h"
#include "lab9.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "udp_echo_server"
#define USAGE "usage: udp_echo_server [HOST [PORT]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for (step 1 fills it in). */
struct options {
    const char *host;
    uint16_t port;
};

int main(int argc, char **argv)
{
    /* TODO (handout 4.4):
     *   1. Arguments: an optional HOST (check it with addr_from_string), then
     *      an optional PORT (parse_port). No options: any argument starting
     *      with '-', or more than two arguments, is a usage error: print the
     *      usage line (USAGE) on stderr and return EXIT_USAGE (2), printing
     *      nothing on stdout. A function parse_arguments(argc, argv,
     *      &options) keeps main short.
     *   2. Install a handler for SIGINT and SIGTERM with sigaction, WITHOUT
     *      SA_RESTART, that sets a volatile sig_atomic_t flag. Do it now,
     *      before "Listening on": a signal may come as soon as the line is out.
     *   3. udp_bind(HOST, PORT). If it fails, print the cause on stderr
     *      (strerror(errno), such as "Address already in use") and return
     *      EXIT_FAILED (1).
     *   4. Print "Listening on HOST:PORT" with the real port (local_port),
     *      then fflush(stdout).
     *   5. Until the flag is set: wait for a datagram with poll() on the
     *      socket (POLLIN, a timeout such as 200 ms, so the flag is seen
     *      even if the signal came just before the wait); when one is there,
     *      udp_echo_one(fd, &peer):
     *        -1 with EINTR: go round (the flag is checked);
     *        -1 otherwise: print the cause on stderr and go on;
     *        n: print "Echoed n bytes to IP:PORT" (addr_to_string of peer)
     *           and fflush(stdout).
     *   6. Close the socket and return EXIT_OK.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, PROGRAM ": not written yet (see labs/lab9/udp_echo_server.c)\n");
    return EXIT_FAILED;
}
