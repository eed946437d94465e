/*
 * labcall.h - every call of a student function runs in a child process.
 *
 * The process that decides a test's verdict (the Criterion worker) never runs a
 * line of student code: a student could otherwise forge the verdict (exit with
 * the status that means "passed", rewrite the report, replace Criterion's own
 * functions). So each lab's proxies (tests/labN/proxies.c) give the tests the
 * contract's functions under their contract names, and each proxy runs the
 * student's function (renamed student__NAME at link time, see
 * tests/tools/objcheck.py) in a forked child:
 *
 *   test process                          child (a copy of the test process)
 *   ------------                          -----------------------------------
 *   proxy tcp_accept(fd, &peer)
 *     fork() -------------------------->  harness fds made unreachable
 *                                         student__tcp_accept(fd, &peer)
 *                                         sends: result, errno, *peer's bytes,
 *     <------------------------------------       the descriptors it created
 *     reads /proc/CHILD/fd itself:
 *       what the call created or closed
 *     mirrors that into its own table,
 *     copies *peer back, sets errno   -->  exits
 *
 * The child inherits everything the test set up (descriptors, signal handlers,
 * limits, memory), so tests read as if they called the student directly. What
 * the student's function changes in its own memory is lost, except the
 * out-parameters the proxy names (lab_call_output) and the regions a test asks
 * for (lab_call_watch). The child holds only the descriptors the call is given
 * (lab_call_keep), so a test's close() is a real close. Descriptors the call creates arrive in the test process
 * at the same numbers; descriptors it closes are closed there too.
 *
 * A call that exits, crashes or does not return within the test's time fails
 * the test with a message naming the call. Under Valgrind the child counts the
 * memory errors and leaks of the call alone, and the test process fails the
 * test when there are any.
 */
#ifndef LABCALL_H
#define LABCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAB_CALL_MAX_OUTPUTS 4
#define LAB_CALL_MAX_KEPT 4

/* One call of a student function. Proxies fill name, returns_fd and outputs. */
struct lab_call {
    const char *name;  /* "tcp_accept()", for messages */
    bool returns_fd;   /* the result is a descriptor the call created */
    struct {
        void *at;
        size_t size;
    } outputs[LAB_CALL_MAX_OUTPUTS];
    size_t output_count;
    int kept[LAB_CALL_MAX_KEPT]; /* the descriptors the call is given */
    size_t kept_count;
    /* Filled by the harness. */
    long result;
    int err;
    pid_t child;
    int channel;       /* the test process's end of the report channel */
    int child_channel; /* the child's end (its number is taken in the child) */
    int slot;          /* index in the table lab_signal_call reads, or -1 */
    void *snapshot;    /* the test process's descriptors when the call started */
};

/* Declares the student's renamed function NAME with the type of the contract's. */
#define LAB_STUDENT_FUNCTION(name) extern __typeof__(name) student__##name

/* Names an out-parameter whose bytes the call's child sends back. NULL: nothing. */
void lab_call_output(struct lab_call *call, void *at, size_t size);

/*
 * Names a descriptor the call is given. The child keeps only these (and 0, 1, 2,
 * and those shared with lab_call_share_fd): every other descriptor of the test
 * becomes /dev/null there, so that closing a socket in the test really closes
 * it (no child holds a copy) and a student's call reaches only what it was given.
 * The numbers stay taken, so the call's new descriptors get the numbers they
 * would have got in the test's process.
 */
void lab_call_keep(struct lab_call *call, int fd);

/* Lets every student call of the current test use fd too (for example the pipe a
 * test's signal handler writes to, since the handler runs in the call's child). */
void lab_call_share_fd(int fd);

/*
 * Asks for `size` bytes at `at` to be copied back after every student call of
 * the current test, on top of the out-parameters: for a test that checks that
 * nothing was written past a buffer's end (guard bytes after it).
 */
void lab_call_watch(void *at, size_t size);

/*
 * Runs `expression` (a call of a renamed student function) in a child process
 * and evaluates to its result as a long; errno is the call's errno afterwards.
 */
#define LAB_CALL(call, expression)                                                 \
    ({                                                                             \
        if (lab_call_fork(call)) {                                                 \
            errno = 0;                                                             \
            long lab_call_result_ = (long)(expression);                            \
            lab_call_return((call), lab_call_result_, errno);                      \
        }                                                                          \
        lab_call_collect(call);                                                    \
    })

/*
 * Sends `signo` to the child running the current student call, once that child
 * is asleep in a system call (the blocking wait a signal is meant to
 * interrupt), and waits until the signal has been delivered. Waits at most
 * wait_ms for a call to be asleep. Returns false when no student call was
 * asleep in time (it may have returned already).
 */
bool lab_signal_call(int signo, int wait_ms);

/* Called by the harness around each test. */
void lab_calls_begin(void);
void lab_calls_end(void);

/* The machinery behind LAB_CALL. */
bool lab_call_fork(struct lab_call *call);
__attribute__((noreturn)) void lab_call_return(struct lab_call *call, long result, int err);
long lab_call_collect(struct lab_call *call);

#endif
