/*
 * lab2test.h - helpers shared by the lab 2 test files.
 *
 * Inputs are handed to the code under test as exact-size heap copies, so that
 * under Valgrind (make memcheck) reading even one byte past a string's NUL is
 * reported as a memory error.
 */
#ifndef LAB2TEST_H
#define LAB2TEST_H

#include "labtest.h"

#include "lab2.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

/* An exact-size heap copy of text (NULL stays NULL). Free it with free(). */
static inline char *lab2_heap_copy(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    lab_require(copy != NULL, "malloc()");
    memcpy(copy, text, size);
    return copy;
}

/* A string as a C literal for messages ("1.2.3.4\n" shows its escape), or NULL. */
static inline const char *lab2_quote(const char *text)
{
    if (text == NULL)
        return "NULL";
    return lab_bytes_text(text, strlen(text), 80);
}

/* What a call returned, and errno right after it. */
struct lab2_outcome {
    int result;
    int err;
};

static inline const char *lab2_outcome_text(struct lab2_outcome outcome)
{
    return lab_result_text(outcome.result, outcome.err);
}

/* A struct sockaddr_in built by the test itself: zeroed, AF_INET, address
 * bytes in memory order a.b.c.d, port converted with htons. */
static inline struct sockaddr_in lab2_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                              uint16_t port)
{
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    uint8_t *octet = (uint8_t *)&address.sin_addr.s_addr;
    octet[0] = a;
    octet[1] = b;
    octet[2] = c;
    octet[3] = d;
    address.sin_port = htons(port);
    return address;
}

/* Every field of a struct sockaddr_in, byte by byte, for messages. */
static inline const char *lab2_sockaddr_text(const struct sockaddr_in *address)
{
    const uint8_t *port = (const uint8_t *)&address->sin_port;
    const uint8_t *ip = (const uint8_t *)&address->sin_addr.s_addr;
    return lab_fmt("sin_family %s, sin_port bytes %02x %02x, sin_addr bytes %u.%u.%u.%u, "
                   "sin_zero %s",
                   lab_family_text(address->sin_family), port[0], port[1], ip[0], ip[1],
                   ip[2], ip[3],
                   lab_bytes_text(address->sin_zero, sizeof address->sin_zero, 8));
}

#endif
