/*
 * lab4.h - Lab 4: accept and connect.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in connect.c.
 * Handout: handouts/en/lab4.md (en español: handouts/es/lab4.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 */
#ifndef LAB4_H
#define LAB4_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * tcp_accept - take the next connection from a listening socket (the server's
 * side of the tutorial's `(csocket, caddress) = s.accept()`).
 *
 * listen_fd: a listening TCP socket (from tcp_listen, lab 3).
 * peer:      where to store the client's address (IPv4 and port, as the
 *            kernel gives it: AF_INET, network byte order inside), or NULL
 *            when the caller does not want it.
 *
 * Waits until a client connects and returns the descriptor of the NEW socket
 * connected to that client (the caller closes it). listen_fd stays open and
 * listening: tcp_accept never closes it.
 *
 * A signal that interrupts the wait (accept fails with EINTR) does not end
 * it: tcp_accept waits again, and returns only with a connection or another
 * error. Returns -1 with errno for other failures: EBADF when listen_fd is not
 * an open descriptor, EINVAL when it is a TCP socket that is not listening.
 * Handout section 4.1 (and 2.1, 2.3).
 */
int tcp_accept(int listen_fd, struct sockaddr_in *peer);

/*
 * tcp_connect - a new TCP socket connected to ip:port (the client's side of
 * the tutorial's `s.connect((SHOST, SPORT))`).
 *
 * ip:   a dotted quad such as "127.0.0.1", checked with addr_from_string
 *       (lab 2).
 * port: the server's port, in host order.
 *
 * Returns the connected socket's descriptor (an IPv4 TCP socket; the caller
 * closes it), or -1 with errno: EINVAL for an ip that addr_from_string
 * rejects (NULL included), ECONNREFUSED when nothing listens on ip:port,
 * otherwise the errno of the call that failed. On failure no descriptor
 * stays open, and errno is still the one of the call that failed.
 * Handout section 4.2 (and 2.2).
 */
int tcp_connect(const char *ip, uint16_t port);

#endif
