/*
 * labcall.h - every call of a student function runs in another process.
 *
 * The process that decides a test's verdict (the Criterion worker, or the fork
 * runner's test process) never runs a line of student code: a student could
 * otherwise forge the verdict (exit with the status that means "passed",
 * rewrite the report, replace Criterion's own functions). So each lab's
 * proxies (tests/labN/proxies.c) give the tests the contract's functions under
 * their contract names, and each proxy has the student's function (renamed
 * student__NAME at link time, see grader/runtime/objcheck.py) run by a student
 * session: a child process forked from the test process at the test's first
 * call, which serves the test's calls one after another:
 *
 *   test process                            student session (a child)
 *   ------------                            -------------------------
 *   proxy tcp_accept(fd, &peer)
 *     sends: which function, its values, ---> copies the pointed-to bytes in,
 *     the bytes behind its pointers, the     puts fd at the number it has here,
 *     descriptors it is given, and the       makes every other number the test
 *     numbers the test has open              holds a /dev/null placeholder
 *                                            student__tcp_accept(fd, &copy)
 *                                       <--- sends: result, errno, the bytes
 *                                            written, the descriptors it made
 *     reads /proc/SESSION/fd itself: does
 *     the claim match what the call did?
 *     installs the new descriptors at the
 *     same numbers, closes what the call
 *     closed, copies *peer back           -->  drops its copies, waits for more
 *
 * Tests read as if they called the student directly: the session has what the
 * call is given (values, the bytes behind pointers, descriptors), the test's
 * signal handlers and limits (inherited at the fork), and nothing else; the
 * session never keeps a test's descriptor between calls, so a test's close()
 * is a real close. The student's own static variables live on in the session
 * from call to call, as they would in a program (a hub made by hub_create is
 * still there for hub_step).
 *
 * A call that exits, crashes or does not return within the test's time fails
 * the test with a message naming the call, and the session is replaced. Under
 * Valgrind the session counts the memory errors and leaks of each call, and
 * the test process fails the test when there are any: one fork per test, not
 * per call, which is what keeps make memcheck close to make check.
 */
#ifndef LABCALL_H
#define LABCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAB_CALL_MAX_ARGS 8

/* One argument of a call: a value, a descriptor, or a pointer to bytes. */
struct lab_arg {
    long value;   /* a number, or a descriptor's number */
    void *at;     /* a pointer argument (in the session: its copy), or NULL */
    size_t size;  /* bytes behind `at` */
    int kind;     /* LAB_ARG_VALUE, _FD, _IN, _INOUT */
    int region;   /* harness: which copied region holds it */
    size_t offset;
};

enum { LAB_ARG_VALUE, LAB_ARG_FD, LAB_ARG_IN, LAB_ARG_INOUT };

/* One call of a student function. A proxy fills name, invoke, returns_fd and
 * the arguments, then calls lab_call_run. */
struct lab_call {
    const char *name;                        /* "tcp_accept()", for messages */
    long (*invoke)(const struct lab_call *); /* runs in the session: calls student__NAME */
    bool returns_fd;                         /* the result is a descriptor the call made */
    bool stateful;                           /* the student keeps state in the session between
                                                calls (lab 8's hub): the descriptors it is given
                                                or makes stay there, and are not mirrored */
    struct lab_arg args[LAB_CALL_MAX_ARGS];
    int arg_count;
};

/* Adds an argument: a plain value; a descriptor the call is given; bytes the call
 * reads (IN); bytes it may also write, copied back (INOUT); a NUL-terminated
 * string (IN, NULL allowed). Pointer arguments may be NULL. */
void lab_arg_value(struct lab_call *call, long value);
void lab_arg_fd(struct lab_call *call, int fd);
void lab_arg_in(struct lab_call *call, const void *at, size_t size);
void lab_arg_inout(struct lab_call *call, void *at, size_t size);
void lab_arg_string(struct lab_call *call, const char *text);

/* In invoke: argument i as a value or as a pointer to the session's copy. */
#define LAB_VALUE(call, i) ((call)->args[i].value)
#define LAB_POINTER(call, i) ((call)->args[i].at)

/* Runs the call in the test's student session; returns its result, with errno set
 * to the call's errno. Fails the test when the call does not return normally. */
long lab_call_run(struct lab_call *call);

/* Declares the student's renamed function NAME with the type of the contract's. */
#define LAB_STUDENT_FUNCTION(name) extern __typeof__(name) student__##name

/*
 * Asks for `size` bytes at `at` to be copied to and from the session around every
 * student call of the current test whose pointer arguments lie inside them: for a
 * test that checks that nothing was written past a buffer's end (guard bytes after
 * it). The pointer argument then points into a copy of the whole region.
 */
void lab_call_watch(void *at, size_t size);

/* Lets every student call of the current test use fd too (for example the pipe a
 * test's signal handler writes to, since the handler runs in the session). */
void lab_call_share_fd(int fd);

/*
 * Sends `signo` to the session running the current student call, once that call
 * is asleep in a system call (the blocking wait a signal is meant to interrupt),
 * and waits until the signal has been delivered. Waits at most wait_ms for a call
 * to be asleep. Returns false when no student call was asleep in time.
 */
bool lab_signal_call(int signo, int wait_ms);

/* The number of descriptors the test thread's student session holds for the
 * student (what a stateful call such as hub_step keeps open there), besides the
 * harness's own; 0 before the first call. */
int lab_session_fd_count(void);

/* Makes the next student calls run out of descriptors: each runs with its limit at
 * the lowest free number of its session (lab_exhaust_fd_limit calls this). */
void lab_call_exhaust_fds(bool exhausted);

/* True for a descriptor the harness itself holds (a session's channel, its
 * /dev/null): descriptor counts leave them out. */
bool lab_is_harness_fd(int fd);

/*
 * LAB_SHARED_STATE(type, name) declares `static type *name`: memory shared by the
 * test process and its student sessions, made afresh (zeroed) for every test
 * before its session starts. For what the session writes and the test reads:
 * a signal handler's count (handlers run in the session), an interposer's record
 * of the calls it changed. (What the test sets and the call reads travels with
 * every call anyway: the test's static variables are copied in.)
 */
#define LAB_SHARED_STATE(type, name)                                               \
    static type *name;                                                             \
    __attribute__((constructor)) static void name##__register(void)                \
    {                                                                              \
        lab_shared_register((void **)&name, sizeof(type));                         \
    }
void lab_shared_register(void **pointer, size_t size);

/*
 * The fork runner's tests create their threads with small stacks (the default is
 * 8 MiB): a thread's stack stays mapped after it ends (glibc keeps it for the next
 * thread), every later fork inherits it, and a Valgrind leak check scans all of it,
 * which costs a session about 10 ms per check and per stack. Student sessions put
 * the default back, so a student's own threads get the usual stacks.
 */
void lab_calls_use_small_thread_stacks(void);

/* The fork runner's warm-up under Valgrind (labtest.h's lab_warm_up): one harness
 * round trip played by this process and a thread of it, then everything it made is
 * undone. */
void lab_calls_warm_up(void);
void lab_calls_after_warm_up(void);

/* Called by the harness around each test. */
void lab_calls_begin(void);
void lab_calls_end(void);

#endif
