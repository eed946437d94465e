/*
 * client.c - Lab 7 reference solution: the full round trip.
 *
 * Lab 5 did the hard part: send_all hides short writes, recv_all hides short
 * reads. A round trip is one of each, in that order.
 */
#include "lab7.h"

#include "lab5.h"

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    if (send_all(fd, msg, len) == -1)
        return -1;
    /* The echo may come back in pieces of any size: recv_all waits for all
     * len bytes, or stops early (returning fewer) when the server closes. */
    return recv_all(fd, reply, len);
}
