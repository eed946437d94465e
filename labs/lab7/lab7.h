/*
 * lab7.h - Lab 7: the echo client and the full round trip.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in client.c
 * (the function) and echo_client.c (the program).
 * Handout: handouts/en/lab7.md (en español: handouts/es/lab7.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 * Programs (the main of echo_client.c) may print and exit, as described below.
 *
 * What you may use: everything of labs 1 to 6 (tcp_connect from lab4.h,
 * send_all and recv_all from lab5.h, addr_from_string and parse_port from
 * lab2.h, close_socket from lab1.h).
 */
#ifndef LAB7_H
#define LAB7_H

#include <stddef.h>
#include <sys/types.h>

/* The longest MESSAGE echo_client accepts, and the longest round trip the
 * tests ask of echo_roundtrip: 64 KiB. */
#define ECHO_MAX_MESSAGE (64 * 1024)

/*
 * echo_roundtrip - send a message to an echo server and receive its echo.
 *
 * fd:    a connected TCP socket (what tcp_connect returned).
 * msg:   the len bytes to send; never modified. Bytes, not text: zero bytes
 *        and any other byte are sent as they are.
 * len:   how many bytes to send, from 0 up to ECHO_MAX_MESSAGE (64 KiB).
 * reply: where to store the echo; room for len bytes. At most len bytes are
 *        written there.
 *
 * Sends the len bytes of msg in full, then receives the echo into reply
 * until len bytes have come back or the server closes the connection. The
 * server may send the echo back in pieces of any size (one byte at a time,
 * with pauses between them, or all at once): a single recv() is not enough.
 * A len of 0 sends nothing and returns 0.
 *
 * Returns the number of bytes received: len for a complete echo, fewer when
 * the server closed the connection before echoing everything (0 when it
 * closed before echoing anything). Returns -1 with errno when sending or
 * receiving fails (EBADF when fd is not an open descriptor, ENOTSOCK when it
 * is not a socket, EPIPE or ECONNRESET when the server has gone). Never
 * raises SIGPIPE. Does not close fd: the caller does.
 * Handout section 4.1.
 */
ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply);

/*
 * The program echo_client (echo_client.c, built as build/lab7/echo_client).
 * Handout section 4.2.
 *
 *     echo_client [HOST [PORT [MESSAGE]]]
 *
 * HOST defaults to 127.0.0.1, PORT to 5346 and MESSAGE to
 *     Hello world! This is an echo server made with C.
 * HOST is a dotted quad (addr_from_string); PORT is what parse_port accepts.
 * The program takes no options: every argument is positional, so a MESSAGE
 * may begin with '-' ("-k" is a message like any other). MESSAGE may be
 * empty (then nothing is sent) and is at most ECHO_MAX_MESSAGE bytes long.
 *
 *   - It connects to HOST:PORT, sends MESSAGE, receives the whole echo with
 *     echo_roundtrip, prints the line
 *         Received: MESSAGE-AS-ECHOED
 *     (the text "Received: ", the echoed bytes as they came, and a newline;
 *     for an empty MESSAGE just "Received: " and the newline), closes the
 *     connection and exits 0.
 *   - An echo shorter than the message (the server closed early): the part
 *     that came back is printed on the Received line as above, a message
 *     saying the echo is incomplete goes to stderr, exit status 1.
 *   - Connection refused, or any other network failure: a message on stderr
 *     naming the cause (strerror's text, such as "Connection refused"), exit
 *     status 1.
 *   - Bad arguments (a PORT that parse_port rejects, a HOST that
 *     addr_from_string rejects, a MESSAGE longer than ECHO_MAX_MESSAGE bytes,
 *     or more than three arguments): a usage line on stderr, such as
 *         usage: echo_client [HOST [PORT [MESSAGE]]]
 *     exit status 2, and nothing on stdout.
 *
 * Exit status: 0 success, 1 a failure while running, 2 bad arguments.
 * No descriptor other than 0, 1 and 2 is open when it exits, and no memory
 * is leaked.
 */

#endif
