/*
 * Mutant of address.c: addr_from_string uses inet_aton, which also accepts
 * "127.1", hex numbers and text after a space.
 */
#include "lab2.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PORT_MAX 65535UL

static bool is_decimal_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Reads the run of decimal digits that starts at text. Stores its value in
 * *value, capped at limit + 1 so that no number of digits can overflow, and
 * where the run stopped in *end. Returns the number of digits read (0 when
 * text does not start with a digit).
 */
static size_t read_digits(const char *text, unsigned long limit, unsigned long *value,
                          const char **end)
{
    unsigned long total = 0;
    size_t count = 0;

    while (is_decimal_digit(text[count])) {
        unsigned long digit = (unsigned long)(text[count] - '0');
        total = total * 10 + digit;
        if (total > limit)
            total = limit + 1;
        count++;
    }
    *value = total;
    *end = text + count;
    return count;
}

int addr_from_string(const char *ip, uint16_t port, struct sockaddr_in *out)
{
    struct in_addr parsed;

    if (ip == NULL || out == NULL || inet_aton(ip, &parsed) == 0) {
        errno = EINVAL;
        return -1;
    }

    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr = parsed;
    address.sin_port = htons(port);
    *out = address;
    return 0;
}

int addr_to_string(const struct sockaddr_in *addr, char *buf, size_t len)
{
    if (addr == NULL || buf == NULL || addr->sin_family != AF_INET) {
        errno = EINVAL;
        return -1;
    }

    uint32_t ip = ntohl(addr->sin_addr.s_addr);
    unsigned port = ntohs(addr->sin_port);
    /* snprintf never writes more than len bytes, NUL included, and returns the
     * length the whole text would have had. */
    int needed = snprintf(buf, len, "%u.%u.%u.%u:%u", (unsigned)(ip >> 24) & 0xFFu,
                          (unsigned)(ip >> 16) & 0xFFu, (unsigned)(ip >> 8) & 0xFFu,
                          (unsigned)ip & 0xFFu, port);
    if (needed < 0)
        return -1;
    if ((size_t)needed >= len) {
        errno = ENOSPC;
        return -1;
    }
    return needed;
}

int parse_port(const char *text, uint16_t *port)
{
    unsigned long value;
    const char *end;

    if (text == NULL || port == NULL || read_digits(text, PORT_MAX, &value, &end) == 0 ||
        *end != '\0') {
        errno = EINVAL;
        return -1;
    }
    if (value > PORT_MAX) {
        errno = ERANGE;
        return -1;
    }
    *port = (uint16_t)value;
    return 0;
}
