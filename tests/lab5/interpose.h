/*
 * interpose.h - make short counts and EINTR happen on demand (lab 5 tests).
 *
 * Lab 5's test binary is linked with -Wl,--wrap=send,--wrap=recv,... (see
 * build.mk): every call to send, recv, sendto, recvfrom, sendmsg, recvmsg,
 * write, read, writev or readv, from the student's code or the tests, lands in
 * interpose.c first. Unarmed, the wrappers just call the real function. Armed
 * for one descriptor, they change what the calls on it do, exactly as the
 * kernel is allowed to: a call moves at most `max_bytes` bytes (a short write
 * or short read), or fails with EINTR before moving any byte. Calls on other
 * descriptors (a peer thread's) are never touched.
 *
 * Every wrapped call a correct implementation could use is covered, so the
 * tests do not care which one the student picked.
 */
#ifndef INTERPOSE_H
#define INTERPOSE_H

#include <stdbool.h>
#include <stddef.h>

struct interpose_plan {
    int fd;                   /* the only descriptor whose calls change */
    size_t max_bytes;         /* a call moves at most this many bytes; 0: no limit */
    bool first_call_only;     /* the limit applies only to the first call that moves bytes */
    bool interrupt_odd_calls; /* calls 1, 3, 5... fail with EINTR, moving nothing */
};

/* What the interposer did while it was armed. */
struct interpose_report {
    unsigned long calls;       /* calls on the armed descriptor */
    unsigned long interrupted; /* of them, failed with EINTR on purpose */
    unsigned long shortened;   /* of them, asked for more than the limit and got cut */
};

/* Starts changing the calls on plan->fd. */
void interpose_arm(const struct interpose_plan *plan);

/* Stops changing calls and says what was done. */
struct interpose_report interpose_disarm(void);

/* "3 calls: 1 interrupted with EINTR, 1 cut short" (for failure messages). */
const char *interpose_report_text(struct interpose_report report);

#endif
