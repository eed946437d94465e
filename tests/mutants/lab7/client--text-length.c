/*
 * Mutant of client.c: treats the message as a C string and sends strlen(msg) bytes.
 */
#include "lab7.h"

#include "lab5.h"

#include <string.h>

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    size_t text_len = strnlen(msg, len);
    if (send_all(fd, msg, text_len) == -1)
        return -1;
    return recv_all(fd, reply, text_len);
}
