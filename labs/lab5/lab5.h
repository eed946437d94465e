/*
 * lab5.h - Lab 5: reliable send and receive.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in stream.c.
 * Handout: handouts/en/lab5.md (en español: handouts/es/lab5.md).
 *
 * A TCP connection is a stream of bytes with no message boundaries: one
 * send() may move fewer bytes than asked (a short write), one recv() may
 * return fewer bytes than are on their way (a short read), and a signal may
 * interrupt either call before it moves anything (EINTR). The two functions
 * below hide all three, so that the labs after this one can say "send these
 * len bytes" and "receive these len bytes" and mean it.
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 */
#ifndef LAB5_H
#define LAB5_H

#include <stddef.h>
#include <sys/types.h>

/*
 * send_all - send every byte of a buffer on a connected socket.
 *
 * fd:  a connected socket (TCP, or any connected stream socket).
 * buf: the len bytes to send; never modified.
 * len: how many bytes to send; 0 sends nothing and returns 0 at once.
 *
 * The C version of Python's socket.sendall: keeps sending after short writes
 * (a send() that moved only part of what was left) and after EINTR (a signal
 * interrupted a send() before it moved anything), until every byte is sent.
 * Never raises SIGPIPE: every send() uses the flag MSG_NOSIGNAL, so a peer
 * that has gone away makes the call fail instead of killing the process.
 *
 * Returns len, or -1 with errno on failure: EPIPE or ECONNRESET when the peer
 * has closed the connection, EBADF when fd is not an open descriptor,
 * ENOTSOCK when it is open but not a socket. Bytes sent before a failure are
 * gone; the return value does not count them. Does not close fd.
 * Handout section 4.1.
 */
ssize_t send_all(int fd, const void *buf, size_t len);

/*
 * recv_all - receive exactly len bytes, or everything until the peer closes.
 *
 * fd:  a connected socket.
 * buf: where to store the bytes; at most len bytes are written.
 * len: how many bytes to receive; 0 returns 0 at once, without waiting,
 *      whatever kind of socket fd is (TCP, UDP...).
 *
 * Keeps receiving after short reads (a recv() that returned only part of
 * what was asked) and after EINTR, until len bytes are in buf or the peer
 * closes its side (recv() returns 0: end of stream).
 *
 * Returns the number of bytes received: len, or fewer only when the peer
 * closed first (0 when it closed before sending anything). Returns -1 with
 * errno from recv(2) on an error (EBADF, ENOTSOCK, ECONNRESET...). Does not
 * close fd.
 * Handout section 4.2.
 */
ssize_t recv_all(int fd, void *buf, size_t len);

#endif
