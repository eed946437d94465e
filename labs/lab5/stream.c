/*
 * stream.c - Lab 5: reliable send and receive. Your code goes here.
 *
 * The contract is in lab5.h; the handout (handouts/en/lab5.md, or
 * handouts/es/lab5.md) explains each step. Build and test with:
 *     make lab5 && make check
 */
#include "lab5.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t send_all(int fd, const void *buf, size_t len)
{
    /* TODO (handout 4.1; the ideas behind it: 2.2, 2.3 and 2.4):
     *   1. Keep two things: a pointer to the next byte to send (start at buf;
     *      use a const char * so you can add to it) and how many bytes are
     *      left (start at len).
     *   2. While bytes are left, call send(fd, pointer, left, MSG_NOSIGNAL).
     *      MSG_NOSIGNAL matters: without it, sending to a peer that has gone
     *      kills the whole process with SIGPIPE (2.4).
     *   3. If send() returned -1 with errno EINTR, a signal interrupted it
     *      before it sent anything: just go round the loop again (2.3).
     *      Any other -1: return -1 (errno is already set by send()).
     *   4. Otherwise send() sent `sent` bytes, maybe fewer than you asked
     *      (2.2): move the pointer forward and take them off what is left.
     *   5. When nothing is left, return len. (With len 0 the loop never runs,
     *      so you return 0 at once.)
     */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    /* TODO (handout 4.2; the ideas behind it: 2.1, 2.2 and 2.3):
     *   1. The same bookkeeping as send_all: a char * to where the next
     *      bytes go (start at buf) and how many bytes are still missing.
     *   2. While bytes are missing, call recv(fd, pointer, missing, 0).
     *      Never call recv() with 0 bytes to read: with len 0, return 0
     *      without calling it (on some sockets it would wait).
     *   3. -1 with errno EINTR: go round the loop again. Any other -1:
     *      return -1.
     *   4. 0 means the peer closed its side: no more bytes will ever come.
     *      Stop the loop (do not try again: it would return 0 forever).
     *   5. Otherwise move the pointer forward and take the bytes off what is
     *      missing: a short read is normal, not the end (2.1).
     *   6. Return how many bytes arrived: len when everything came, fewer
     *      when the peer closed first.
     */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}
