/*
 * short_writes.h - make send() on one socket move only part of each request.
 *
 * The lab 7 test binary is linked with -Wl,--wrap=send (tests/lab7/build.mk):
 * every send() call in it, the student's included, goes through
 * __wrap_send in short_writes.c. Normally that is plain send(). Between
 * short_writes_begin(fd, max) and short_writes_end(), a send() on fd moves at
 * most `max` bytes and returns that count: a short write, which send(2) is
 * allowed to do and which send_all exists to handle.
 */
#ifndef SHORT_WRITES_H
#define SHORT_WRITES_H

#include <stddef.h>

void short_writes_begin(int fd, size_t max_per_call);
void short_writes_end(void);

#endif
