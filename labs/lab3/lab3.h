/*
 * lab3.h - Lab 3: bind and listen.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in listen.c.
 * Handout: handouts/en/lab3.md (en español: handouts/es/lab3.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 *
 * What you may use: everything of labs 1 and 2 (tcp_socket from lab1.h,
 * addr_from_string from lab2.h).
 */
#ifndef LAB3_H
#define LAB3_H

#include <stdint.h>

/*
 * tcp_listen - a TCP server socket, ready for clients (the tutorial's
 * `s.bind((HOST, PORT))` followed by `s.listen()`).
 *
 * ip:      the address to listen on, a dotted quad checked with
 *          addr_from_string (lab 2): "127.0.0.1" listens on loopback only,
 *          "0.0.0.0" on every address of the host.
 * port:    the port, in host order. Port 0 asks the system to pick a free
 *          port (local_port tells which one it picked).
 * backlog: how many connections not yet accepted the kernel may queue,
 *          passed to listen(2).
 *
 * Creates an IPv4 TCP socket, sets its SO_REUSEADDR option BEFORE binding it
 * (so that a port whose last connection is still in TIME_WAIT can be
 * listened on again at once), binds it to ip:port, and makes it listen with
 * backlog.
 *
 * Returns the listening socket's descriptor (the caller closes it), or -1
 * with errno:
 *   EINVAL        for an ip that addr_from_string rejects (NULL included);
 *   otherwise the errno of the call that failed, in particular:
 *   EADDRINUSE    when another socket listens on that port;
 *   EADDRNOTAVAIL when ip is not an address of this host;
 *   EACCES        for a port below 1024 without the privilege to use it.
 * On failure no descriptor stays open, and errno is still the one of the
 * call that failed (closing the socket must not change it).
 * Handout section 4.1 (and 2.1, 2.2, 2.3).
 */
int tcp_listen(const char *ip, uint16_t port, int backlog);

/*
 * local_port - the port a socket is bound to (getsockname).
 *
 * fd: a socket (an IPv4 socket in this kit).
 *
 * Returns the port in host order (0..65535; useful after tcp_listen with
 * port 0, to learn the port the system picked), or -1 with errno: EBADF when
 * fd is not an open descriptor, ENOTSOCK when it is open but not a socket.
 * Does not close fd.
 * Handout section 4.2.
 */
int local_port(int fd);

#endif
