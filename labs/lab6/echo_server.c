/*
 * echo_server.c - Lab 6: the echo server program. Your code goes here.
 *
 *     echo_server [-k] [HOST [PORT]]
 *
 * What it must do is written in lab6.h (below echo_session); the handout
 * (handouts/en/lab6.md, or handouts/es/lab6.md) section 4.2 explains each
 * step. Build and test with:
 *     make lab6 && make check
 * Try it by hand: build/lab6/echo_server 127.0.0.1 0, then, in another
 * terminal, nc 127.0.0.1 PORT (or lab 7's echo_client).
 */
#include "lab2.h"
#include "lab3.h"
#include "lab4.h"
#include "lab6.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "echo_server"
#define USAGE "usage: echo_server [-k] [HOST [PORT]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346

enum exit_status { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What the command line asks for (step 1 fills it in). */
struct options {
    bool keep_serving; /* -k */
    const char *host;
    uint16_t port;
};

int main(int argc, char **argv)
{
    /* TODO (handout 4.2):
     *   1. Read the arguments: an optional "-k" first, then an optional HOST
     *      (check it with addr_from_string), then an optional PORT (check it
     *      with parse_port). Anything else starting with '-', or too many
     *      arguments: print a usage line (USAGE) on stderr and return
     *      EXIT_USAGE (2), printing nothing on stdout. A function
     *      parse_arguments(argc, argv, &options) keeps main short.
     *   2. With -k, install the SIGINT/SIGTERM handler now, before listening:
     *      whoever reads "Listening on" (step 4) may signal you at once, and a
     *      signal that comes before the handler kills the server. Use
     *      sigaction without SA_RESTART (not signal(): on glibc it sets
     *      SA_RESTART, so recv would wait again). The handler sets a
     *      volatile sig_atomic_t flag and, when a client is being served,
     *      shutdown()s its socket (handout 2.6 and 2.7).
     *   3. tcp_listen(HOST, PORT, backlog). If it fails, print the cause on
     *      stderr (strerror(errno), such as "Address already in use") and
     *      return EXIT_FAILED (1).
     *   4. Print "Listening on HOST:PORT" with the real port (local_port: the
     *      system picked it when PORT was 0), then fflush(stdout): a program
     *      reading your output through a pipe must see the line at once.
     *   5. Without -k: tcp_accept one client, print "Connected by: IP:PORT"
     *      (addr_to_string of the client's address) and fflush; echo_session;
     *      close the client and the listening socket; return EXIT_OK, or
     *      EXIT_FAILED (with the cause on stderr) when echo_session failed.
     *   6. With -k: do step 5 for one client after another until the flag is
     *      set. tcp_accept waits again after a signal, so wait for a client
     *      with poll() on the listening socket (with a timeout, checking the
     *      flag each time round) and call tcp_accept only when poll says a
     *      client is waiting. A signal must also end a session within a
     *      second. A client that goes away in error does not stop the
     *      server. When the flag is set: close everything, return EXIT_OK.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, PROGRAM ": not written yet (see labs/lab6/echo_server.c)\n");
    return EXIT_FAILED;
}
