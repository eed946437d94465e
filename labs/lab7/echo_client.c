/*
 * echo_client.c - Lab 7: the echo client program. Your code goes here.
 *
 *     echo_client [HOST [PORT [MESSAGE]]]
 *
 * The contract is in lab7.h (the comment about the program); the handout
 * (handouts/en/lab7.md section 4.2, or handouts/es/lab7.md) explains each
 * step. Build with make lab7; the program is build/lab7/echo_client. Try it
 * against your server of lab 6:
 *     build/lab6/echo_server 127.0.0.1 5346 &
 *     build/lab7/echo_client 127.0.0.1 5346 "hello"
 */
#include "lab1.h"
#include "lab2.h"
#include "lab4.h"
#include "lab7.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRAM "echo_client"
#define USAGE "usage: echo_client [HOST [PORT [MESSAGE]]]"
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 5346
#define DEFAULT_MESSAGE "Hello world! This is an echo server made with C."

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
    /* TODO (handout 4.2):
     *   1. Arguments: at most three, all positional (no options: a MESSAGE
     *      may start with '-'). Defaults: DEFAULT_HOST, DEFAULT_PORT and
     *      DEFAULT_MESSAGE above.
     *      Check HOST with addr_from_string and PORT with parse_port (lab 2),
     *      and that MESSAGE has at most ECHO_MAX_MESSAGE bytes. If anything is
     *      wrong: print a usage line (USAGE) on stderr (never stdout) and
     *      return EXIT_USAGE (2). A function parse_arguments(argc, argv,
     *      &options) keeps main short.
     *   2. Connect with tcp_connect (lab 4). If it fails: print a message on
     *      stderr with strerror(errno) (for example "Connection refused") and
     *      return EXIT_FAILED (1).
     *   3. Call echo_roundtrip (client.c) with the message and a buffer of
     *      ECHO_MAX_MESSAGE bytes for the echo; then close the socket. If the
     *      round trip failed: a message with strerror(errno) on stderr,
     *      return EXIT_FAILED.
     *   4. Print "Received: ", then the echoed bytes exactly as they came
     *      (fwrite: not Python's repr, and they may contain zero bytes), then
     *      a newline.
     *   5. If fewer bytes came back than were sent, say so on stderr and
     *      return EXIT_FAILED. Otherwise return EXIT_OK.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, PROGRAM ": not written yet (see handouts/en/lab7.md section 4.2)\n");
    return EXIT_FAILED;
}
