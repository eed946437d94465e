/*
 * labtest.h - the shared test harness of every lab.
 *
 * Every test is declared with LAB_TEST instead of Criterion's Test. LAB_TEST adds
 * what each test of the kit needs and nobody should have to remember:
 *
 *   - a timeout (LAB_TIMEOUT seconds, wall clock), so nothing ever hangs;
 *   - student code never runs in the test's own process: each call of a
 *     contract function runs in a child process (labcall.h), so nothing a
 *     student writes can end, forge or rewrite a verdict;
 *   - a descriptor check: every descriptor open at the end of the test must have
 *     been open at its start, so a leak on any path fails the test that caused it;
 *   - under Valgrind (make memcheck), a memory check: new errors or new definitely
 *     or indirectly lost blocks fail the test that caused them.
 *
 * Assertion messages follow one shape, so a student never has to read test code:
 *
 *   what was checked
 *     expected: ...
 *     got:      ...
 *     read:     handouts/en/labN.md section S (es: handouts/es/labN.md section S)
 *
 * LAB_NAME ("lab1", ...) comes from the Makefile, which compiles every test file of lab N
 * with -DLAB_NAME='"labN"' (an instructor's hidden tests too).
 */
#ifndef LABTEST_H
#define LABTEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef LAB_NAME
#error "LAB_NAME is not defined: build the tests with make (it passes -DLAB_NAME=\"labN\")"
#endif

/* Seconds of wall clock a test may take before it fails as timed out. */
#ifndef LAB_TIMEOUT
#define LAB_TIMEOUT 10.0
#endif

/* For a long test (megabytes of data, pauses it makes on purpose): more time,
 * and the fork runner starts the tests given more time first, so that under
 * make memcheck no long one is left running alone at the end. */
#define LAB_LONG_TEST_TIMEOUT 30

/* What the fork runner (labrunner.c) knows of each test: LAB_TEST registers it. */
struct lab_test_entry {
    const char *suite;
    const char *name;
    void (*run)(void);
    const struct criterion_test_extra_data *extra; /* Criterion's options (the timeout) */
};

/* Declares a test: LAB_TEST(suite, name) { body }. Extra Criterion options
 * (.timeout = 10, .description = ...) may follow the name. The test is
 * Criterion's, and is also listed for the fork runner (labrunner.c). */
#define LAB_TEST(suite, name, ...)                                                 \
    static void suite##__##name##__body(void);                                     \
    static void suite##__##name##__run(void)                                       \
    {                                                                              \
        lab_test_begin();                                                          \
        suite##__##name##__body();                                                 \
        lab_test_end();                                                            \
    }                                                                              \
    Test(suite, name, .timeout = LAB_TIMEOUT, ##__VA_ARGS__)                       \
    {                                                                              \
        suite##__##name##__run();                                                  \
    }                                                                              \
    static const struct lab_test_entry suite##__##name##__entry = {                \
        #suite, #name, suite##__##name##__run, &CR_IDENTIFIER_(suite, name, extra)}; \
    __attribute__((used, section("lab_tests"))) static const struct lab_test_entry \
        *const suite##__##name##__listed = &suite##__##name##__entry;              \
    static void suite##__##name##__body(void)

/* A test that may have to be skipped (lab_skip) when the situation it checks
 * cannot be arranged on this machine. Every LAB_TEST may skip now; the name
 * stays to say so where it happens. */
#define LAB_TEST_SKIPPABLE LAB_TEST

/* Skips the current test, saying why: a skip is never a pass. */
#define lab_skip(...) lab_skip_now(lab_fmt(__VA_ARGS__))
__attribute__((noreturn)) void lab_skip_now(const char *reason);

/*
 * lab_expect(condition, what, expected, got, section): fails the test unless
 * condition holds. `what`, `expected` and `got` are strings (use lab_fmt and the
 * *_text helpers below to build them); `section` names the handout section,
 * such as "4.2". The condition is evaluated once.
 */
#define lab_expect(condition, what, expected, got, section)                        \
    do {                                                                           \
        bool lab_holds_ = (condition);                                             \
        if (!lab_holds_)                                                           \
            lab_fail_now(lab_fmt("%s\n  expected: %s\n  got:      %s\n  read:     %s", \
                                 (what), (expected), (got), lab_see(section)));    \
    } while (0)

/*
 * lab_require(condition, what): fails the test as a problem of the test's own
 * setup (a pipe, a thread, memory), not of the student's code, when condition
 * does not hold; `what` names the step ("pipe()"). errno is reported.
 */
#define lab_require(condition, what)                                               \
    do {                                                                           \
        if (!(condition)) {                                                        \
            int lab_require_errno_ = errno; /* before `what` is built */           \
            lab_setup_failed((what), lab_require_errno_);                          \
        }                                                                          \
    } while (0)

/* The same for a call that returns an error number instead of setting errno
 * (pthread_create): fails the test as a setup problem unless `error` is 0. */
#define lab_require_zero(error, what)                                              \
    do {                                                                           \
        int lab_require_error_ = (error);                                          \
        if (lab_require_error_ != 0)                                               \
            lab_setup_failed((what), lab_require_error_);                          \
    } while (0)
__attribute__((noreturn)) void lab_setup_failed(const char *what, int err);

/* Fails the test unless `result` (a call's return value) is not -1. */
#define lab_expect_success(result, err, what, expected, section)                  \
    lab_expect((result) != -1, (what), (expected), lab_result_text((result), (err)), \
               section)

/* Fails the test unless the call returned -1 with errno `expected_errno`. */
#define lab_expect_failure(result, err, expected_errno, what, section)             \
    lab_expect((result) == -1 && (err) == (expected_errno), (what),               \
               lab_fmt("-1 with errno %s", lab_errno_text(expected_errno)),       \
               lab_result_text((result), (err)), section)

/* Fails unless `result` (a call's return value, errno `err` after it) is a
 * descriptor: expected "a descriptor (an int >= 0)", got the result. */
#define lab_expect_descriptor(result, err, what, section)                          \
    lab_expect((result) >= 0, (what), "a descriptor (an int >= 0)",                \
               lab_result_text((result), (err)), section)

/* Fails unless the call returned exactly `expected` (a count, a port...): both
 * sides are formatted from the values, the result with its errno when -1. */
#define lab_expect_result(result, err, expected, what, section)                    \
    do {                                                                           \
        long lab_result_ = (long)(result);                                         \
        long lab_expected_ = (long)(expected);                                     \
        lab_expect(lab_result_ == lab_expected_, (what), lab_fmt("%ld", lab_expected_), \
                   lab_result_text(lab_result_, (err)), section);                  \
    } while (0)

/* Fails unless two numbers are equal; both are formatted from the values, each
 * after its `unit` ("bytes", "requests"; "" for none): "3 requests". */
#define lab_expect_count(actual, expected, unit, what, section)                    \
    do {                                                                           \
        long long lab_actual_ = (long long)(actual);                               \
        long long lab_wanted_ = (long long)(expected);                             \
        lab_expect(lab_actual_ == lab_wanted_, (what), lab_count_text(lab_wanted_, unit), \
                   lab_count_text(lab_actual_, unit), section);                    \
    } while (0)

/* "3 requests", "1 byte" (the unit loses a final 's' for 1), "3" for unit "". */
const char *lab_count_text(long long count, const char *unit);

/* "handouts/en/lab1.md section 4.2 (es: handouts/es/lab1.md section 4.2)" */
const char *lab_see(const char *section);

/* Set by lab_expect when it fails the test. Tests use lab_expect, never
 * cr_assert directly. */
extern bool lab_assertion_failed;

/* Fails the current test with a complete message (what / expected / got / read). */
__attribute__((noreturn)) void lab_fail_now(const char *message);

/* Called by LAB_TEST around every test body. */
void lab_test_begin(void);
void lab_test_end(void);

/* The current test's time limit in seconds (its .timeout, stretched by
 * LAB_TIME_SCALE under the fork runner). */
double lab_test_timeout(void);

/* The fork runner's side (labrunner.c): runs one test in this (forked) process,
 * reporting on result_fd ("P", "F<message>" or "S<reason>"), then exits. */
__attribute__((noreturn)) void lab_run_forked_test(const struct lab_test_entry *test,
                                                   int result_fd, double time_scale);

/*
 * The fork runner calls this once, before its first test, when it runs under
 * Valgrind: it runs the harness around a call of its own (no test, no student
 * code), so that every test forked afterwards finds that code already translated
 * (labcall.c explains why that is most of a test's cost). Leaves nothing behind;
 * false when it could not run whole.
 */
bool lab_warm_up(void);

/*
 * LAB_WARM_UP(function) adds function() to that warm-up: for code of the C library
 * that a lab's tests and functions run and the harness's own warm-up does not
 * (lab 10: getaddrinfo). It runs in the fork runner, before any test: it must
 * call no student function and leave nothing open or changed behind.
 */
#define LAB_WARM_UP(function)                                                      \
    __attribute__((used, section("lab_warm_ups"))) static void (*const function##__warm)(void) = \
        function

/*
 * Runs call(context) in a forked child process, which may change its own
 * credentials or limits first (the student calls it makes then run in
 * grandchildren, with those credentials), and reports what it returned and its errno.
 * Returns true and fills *result and *err when the call returned; false when the
 * child exited, crashed or did not return within LAB_TIMEOUT / 2 seconds (it is
 * then killed): lab_child_failure() says which, in words, for the message.
 */
bool lab_call_in_child(long (*call)(void *context), void *context, long *result, int *err);
const char *lab_child_failure(void);

/* printf into one of a ring of static buffers: fine for building messages. */
const char *lab_fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "ENOSPC (No space left on device)"; "0 (no error)" for 0. */
const char *lab_errno_text(int err);

/* "3" for a success, "-1 with errno EBADF (Bad file descriptor)" for a failure. */
const char *lab_result_text(long result, int err);

/* Bytes as a C string literal with escapes, cut after `max` bytes: "ab\x00c". */
const char *lab_bytes_text(const void *bytes, size_t len, size_t max);

/* Names of address families and socket types: "AF_INET", "SOCK_DGRAM". */
const char *lab_family_text(int family);
const char *lab_socktype_text(int type);

/* True when `fd` is an open descriptor. */
bool lab_fd_is_open(int fd);

/* Number of open descriptors of this process. */
int lab_open_fd_count(void);

/*
 * Limits the process to the descriptors it has open now, so that the next
 * socket() fails with EMFILE. Returns the previous soft limit for
 * lab_restore_fd_limit.
 */
long lab_exhaust_fd_limit(void);
void lab_restore_fd_limit(long previous_soft_limit);

/*
 * Captures what the code under test writes to stdout and stderr between
 * lab_capture_begin and lab_capture_end. lab_capture_end returns the bytes
 * written (escaped, cut to a readable length) or "" when nothing was.
 */
void lab_capture_begin(void);
const char *lab_capture_end(void);

/* "DIR/vg.log, process PID": where make memcheck's Valgrind wrote about process pid. */
const char *lab_valgrind_log(long pid);

/* The folder holding the build in use (programs live in lab6/, lab7/ there). */
const char *lab_build_dir(void);

/* ---- time ---- */

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
long long lab_now_ms(void);

/* True in a make memcheck run (LAB_VALGRIND_LOG_DIR is set): the tests, the
 * student sessions and the programs they start run under Valgrind. */
bool lab_under_memcheck(void);

/* True when this very process runs on Valgrind (whose descriptor limit, for
 * one, is its own). */
bool lab_running_on_valgrind(void);

/* The deadline to use for something that takes at most `ms` natively: the
 * same, or ten times more under make memcheck. */
int lab_deadline_ms(int ms);

/* A time the test makes the code under test wait in full, on every run (a timeout
 * it must let expire, the pause of a peer that answers late): the same, or four
 * times more under make memcheck. It has to outlast Valgrind's jitter (a thread
 * that gets the CPU late), not its slowness, and every run pays it; the bounds a
 * test checks around it (how late it may end) stay lab_deadline_ms. */
int lab_wait_ms(int ms);

/* The scheduler state of process `pid` from /proc/PID/stat: 'S' asleep in a
 * system call (a wait a signal can interrupt), 'R' running...; '?' when it
 * cannot be read. */
char lab_sched_state(pid_t pid);

#include "labcall.h"

#endif
