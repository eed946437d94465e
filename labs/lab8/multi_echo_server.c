/*
 * multi_echo_server.c - Lab 8: the echo server for many clients at once.
 * Your code goes here.
 *
 *     multi_echo_server [HOST [PORT]]
 *
 * What it must do is written in lab8.h (at the end); the handout
 * (handouts/en/lab8.md, or handouts/es/lab8.md) section 4.4 explains each
 * step. Build and test with:
 *     make lab8 && make check
 * Try it by hand: build/lab8/multi_echo_server 127.0.0.1 0, then, in two
 * other terminals at once, nc 127.0.0.1 PORT.
 */
#include "lab2.h"
#include "lab3.h"
#include "lab8.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "multi_echo_server"
#define USAGE "usage: multi_echo_server [HOST [PORT]]"
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
     *   1. Read the arguments: an optional HOST (check it with
     *      addr_from_string), then an optional PORT (parse_port). Any
     *      argument starting with '-', or more than two: print a usage line
     *      (USAGE) on stderr and return EXIT_USAGE (2), printing nothing on
     *      stdout. A function parse_arguments(argc, argv, &options) keeps
     *      main short.
     *   2. Install a handler for SIGINT and SIGTERM with sigaction, WITHOUT
     *      SA_RESTART, that sets a volatile sig_atomic_t flag. Do it now,
     *      before "Listening on": a signal may come as soon as it is out.
     *   3. tcp_listen(HOST, PORT, HUB_MAX_CLIENTS). On failure print the
     *      cause on stderr (strerror(errno)) and return EXIT_FAILED (1).
     *   4. Print "Listening on HOST:PORT" with the real port (local_port),
     *      then fflush(stdout).
     *   5. hub_create(listen_fd), then, until the flag is set,
     *      hub_step(hub, 200): a signal makes it return -1 with EINTR (go
     *      round and look at the flag); the 200 ms bound covers a signal
     *      that lands just before the wait. Any other -1: the cause on
     *      stderr, status EXIT_FAILED.
     *   6. hub_destroy, close the listening socket, return EXIT_OK (or
     *      EXIT_FAILED).
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, PROGRAM ": not written yet (see labs/lab8/multi_echo_server.c)\n");
    return EXIT_FAILED;
}
