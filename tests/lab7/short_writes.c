/*
 * short_writes.c - send() that moves only part of each request: see short_writes.h.
 */
#include "short_writes.h"

#include <sys/socket.h>
#include <sys/types.h>

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);

/* Which socket gets short writes, and how short; -1: none. */
static int capped_fd = -1;
static size_t cap;

void short_writes_begin(int fd, size_t max_per_call)
{
    cap = max_per_call;
    capped_fd = fd;
}

void short_writes_end(void)
{
    capped_fd = -1;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    if (fd == capped_fd && len > cap)
        len = cap;
    return __real_send(fd, buf, len, flags);
}
