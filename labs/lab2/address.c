/*
 * address.c - Lab 2: addresses and ports. Your code goes here.
 *
 * The contract is in lab2.h; the handout (handouts/en/lab2.md, or
 * handouts/es/lab2.md) explains each step. Build and test with:
 *     make lab2 && make check
 *
 * Lab 3 and later call these functions, so take the time to get them right.
 */
#include "lab2.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int addr_from_string(const char *ip, uint16_t port, struct sockaddr_in *out)
{
    /* TODO (handout 4.1):
     *   1. If ip or out is NULL, fail: errno = EINVAL, return -1.
     *   2. Read the four numbers of ip into local variables, one character
     *      at a time: each number is one or more digits '0'-'9' with a value
     *      of at most 255; after the first three comes exactly one '.', after
     *      the fourth the end of the string ('\0'). Anything else (a space, a
     *      sign, a missing or extra number) is EINVAL. atoi, sscanf and
     *      strtoul each accept some of these mistakes: handout 4.1 says which.
     *   3. Only now touch *out: fill a local struct sockaddr_in with zeros
     *      (memset), set sin_family to AF_INET, sin_addr.s_addr to the four
     *      numbers as one 32-bit value converted with htonl, and sin_port to
     *      htons(port) (handout 2.2 and 2.3). Then copy it into *out.
     *   4. Return 0. Never print, never exit.
     */
    (void)ip;
    (void)port;
    (void)out;
    errno = ENOSYS;
    return -1;
}

int addr_to_string(const struct sockaddr_in *addr, char *buf, size_t len)
{
    /* TODO (handout 4.2):
     *   1. If addr or buf is NULL, or addr->sin_family is not AF_INET, fail
     *      with EINVAL.
     *   2. Convert sin_addr.s_addr with ntohl and sin_port with ntohs: inside
     *      the struct both are in network order (handout 2.2).
     *   3. Write "A.B.C.D:PORT" with snprintf(buf, len, ...): it never writes
     *      more than len bytes and returns the length the whole text needs.
     *      (sprintf does not know len and writes past the end of buf.)
     *   4. If that length + 1 (for the NUL) is more than len, fail with
     *      ENOSPC. Otherwise return the length.
     */
    (void)addr;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

int parse_port(const char *text, uint16_t *port)
{
    /* TODO (handout 4.3):
     *   1. If text or port is NULL, fail with EINVAL.
     *   2. Walk the characters of text: every one must be a digit '0'-'9',
     *      and there must be at least one; otherwise fail with EINVAL
     *      (this rejects "", "80x", "-1", "+80" and " 80").
     *   3. Build the value as you go, in a variable wider than 16 bits. Once
     *      it is above 65535, stop adding to it (a long enough string of
     *      digits overflows any integer type) but keep checking that the
     *      rest are digits.
     *   4. Above 65535: fail with ERANGE. Otherwise store the value in *port
     *      (only now: on failure *port must stay unchanged) and return 0.
     */
    (void)text;
    (void)port;
    errno = ENOSYS;
    return -1;
}
