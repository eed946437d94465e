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
#include "lab7.h"

#include "lab1.h"
#include "lab2.h"
#include "lab4.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    /* TODO (handout 4.2):
     *   1. Arguments: at most three, all positional (no options: a MESSAGE
     *      may start with '-'). Defaults: "127.0.0.1", port 5346 and
     *      "Hello world! This is an echo server made with C.".
     *      Check HOST with addr_from_string and PORT with parse_port (lab 2),
     *      and that MESSAGE has at most ECHO_MAX_MESSAGE bytes. If anything is
     *      wrong: print a usage line on stderr (never stdout) and return 2.
     *   2. Connect with tcp_connect (lab 4). If it fails: print a message on
     *      stderr with strerror(errno) (for example "Connection refused") and
     *      return 1.
     *   3. Call echo_roundtrip (client.c) with the message and a buffer of
     *      ECHO_MAX_MESSAGE bytes for the echo; then close the socket. If the
     *      round trip failed: a message with strerror(errno) on stderr,
     *      return 1.
     *   4. Print "Received: ", then the echoed bytes exactly as they came
     *      (fwrite: not Python's repr, and they may contain zero bytes), then
     *      a newline.
     *   5. If fewer bytes came back than were sent, say so on stderr and
     *      return 1. Otherwise return 0.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, "echo_client: not written yet (see handouts/en/lab7.md section 4.2)\n");
    return 1;
}
