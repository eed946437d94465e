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
#include "lab9.h"

#include "lab1.h"
#include "lab2.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    /* TODO (handout 4.5):
     *   1. Arguments: at most three, all positional (a MESSAGE may start
     *      with '-'). Defaults: "127.0.0.1", port 5346 and
     *      "Hello world! This is a UDP echo client made with C.".
     *      Check PORT with parse_port and build the server's address with
     *      addr_from_string (lab 2); MESSAGE has at most UDP_MAX_DATAGRAM
     *      bytes. If anything is wrong: a usage line on stderr
     *          usage: udp_echo_client [HOST [PORT [MESSAGE]]]
     *      and return 2.
     *   2. udp_socket() (lab 1): no bind needed, the first send picks a port.
     *   3. udp_request(fd, &server, MESSAGE, its length, reply,
     *      UDP_MAX_DATAGRAM, 1000, 3), with a reply buffer of
     *      UDP_MAX_DATAGRAM bytes (static: it is big). Close the socket.
     *   4. -1 with ETIMEDOUT: say on stderr that no reply came, return 1.
     *      -1 otherwise: strerror(errno) on stderr, return 1.
     *   5. Print "Received: ", the reply's bytes exactly as they came
     *      (fwrite), and a newline. Return 0.
     */
    (void)argc;
    (void)argv;
    fprintf(stderr, "udp_echo_client: not written yet (see handouts/en/lab9.md section 4.5)\n");
    return 1;
}
