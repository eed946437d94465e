/*
 * lab1.h - Lab 1: creating sockets.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in socket.c.
 * Handout: handouts/en/lab1.md (en español: handouts/es/lab1.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 */
#ifndef LAB1_H
#define LAB1_H

/*
 * tcp_socket - create a new IPv4 TCP socket (AF_INET, SOCK_STREAM).
 *
 * Returns its descriptor (the caller closes it), or -1 with errno from
 * socket(2): EMFILE when the process is out of descriptors.
 * Handout section 4.1.
 */
int tcp_socket(void);

/*
 * udp_socket - create a new IPv4 UDP socket (AF_INET, SOCK_DGRAM).
 *
 * Returns its descriptor (the caller closes it), or -1 with errno from
 * socket(2): EMFILE when the process is out of descriptors.
 * Handout section 4.2.
 */
int udp_socket(void);

/*
 * socket_kind - find out what kind of socket a descriptor is.
 *
 * fd:     any descriptor.
 * family: where to store the address family (AF_INET, AF_UNIX...), from
 *         getsockopt(SO_DOMAIN).
 * type:   where to store the socket type (SOCK_STREAM, SOCK_DGRAM...), from
 *         getsockopt(SO_TYPE).
 *
 * Returns 0, or -1 with errno: EBADF when fd is not an open descriptor,
 * ENOTSOCK when it is open but not a socket. On failure *family and *type are
 * left unchanged. Does not close fd.
 * Handout section 4.3.
 */
int socket_kind(int fd, int *family, int *type);

/*
 * close_socket - close a descriptor.
 *
 * Returns 0, or -1 with errno EBADF when fd is not an open descriptor.
 * Handout section 4.4.
 */
int close_socket(int fd);

#endif
