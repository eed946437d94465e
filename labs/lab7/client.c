/*
 * client.c - Lab 7: the full round trip. Your code goes here.
 *
 * The contract is in lab7.h; the handout (handouts/en/lab7.md, or
 * handouts/es/lab7.md) explains each step. Build and test with:
 *     make lab7 && make check
 */
#include "lab7.h"

#include "lab5.h"

#include <errno.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    /* TODO (handout 4.1):
     *   1. Send the whole message with send_all (lab 5). If it fails, return
     *      -1: errno is already set.
     *   2. Receive the echo with recv_all (lab 5), asking for len bytes into
     *      reply. Not a single recv(): the server may send the echo back in
     *      small pieces, with pauses between them (handout 2.1).
     *   3. Return what recv_all returned: len for a complete echo, fewer when
     *      the server closed early, -1 with errno on an error.
     *   4. Never close fd: the caller owns it.
     */
    (void)fd;
    (void)msg;
    (void)len;
    (void)reply;
    errno = ENOSYS;
    return -1;
}
