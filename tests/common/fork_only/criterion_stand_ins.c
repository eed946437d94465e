/*
 * criterion_stand_ins.c - what the tests use of Criterion, for the binary that
 * only runs the fork runner.
 *
 * make builds each lab's tests twice from the same objects: test_labN with
 * Criterion (make check, and the fork runner natively), and test_labN_fork
 * with these stand-ins instead of libcriterion (make memcheck and the grader's
 * Valgrind pass run its fork runner). The fork runner never calls into
 * Criterion (labrunner.c, labtest.c: a verdict goes to the runner, not to
 * cr_assert), but the objects name Criterion's symbols, and under Valgrind
 * loading libcriterion and the twenty libraries it pulls in costs every run a
 * fifth of a second. A test that starts using another Criterion function fails
 * to link here: add its stand-in.
 *
 * Every function ends the process with a message: reaching one means the
 * binary was run without --lab-fork-runner.
 */
#include <criterion/criterion.h>
#include <criterion/event.h>
#include <criterion/internal/asprintf-compat.h>
#include <criterion/internal/assert.h>
#include <criterion/internal/test.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FORK_ONLY_USAGE 2

const struct criterion_test *const criterion_current_test = NULL;
struct criterion_options criterion_options;

static _Noreturn void not_here(const char *what)
{
    fprintf(stderr,
            "this test binary only runs the fork runner (--lab-fork-runner); %s is Criterion's: "
            "run test_labN, without _fork, for Criterion's runner\n",
            what);
    _exit(FORK_ONLY_USAGE);
}

struct criterion_test_set *criterion_initialize(void)
{
    not_here("criterion_initialize");
}

int criterion_handle_args(int argc, char *argv[], bool handle_unknown_arg)
{
    (void)argc, (void)argv, (void)handle_unknown_arg;
    not_here("criterion_handle_args");
}

int criterion_run_all_tests(struct criterion_test_set *tests)
{
    (void)tests;
    not_here("criterion_run_all_tests");
}

void criterion_finalize(struct criterion_test_set *tests)
{
    (void)tests;
    not_here("criterion_finalize");
}

void criterion_internal_test_setup(void)
{
    not_here("criterion_internal_test_setup");
}

void criterion_internal_test_main(void (*fn)(void))
{
    (void)fn;
    not_here("criterion_internal_test_main");
}

void criterion_internal_test_teardown(void)
{
    not_here("criterion_internal_test_teardown");
}

void criterion_send_assert(struct criterion_assert_stats *stats)
{
    (void)stats;
    not_here("criterion_send_assert");
}

void criterion_abort_test(void)
{
    not_here("criterion_abort_test");
}

void criterion_skip_test(const char *format, ...)
{
    (void)format;
    not_here("criterion_skip_test");
}

char *cr_translate_assert_msg(int msg_index, ...)
{
    (void)msg_index;
    not_here("cr_translate_assert_msg");
}

int cr_asprintf(char **strp, const char *fmt, ...)
{
    (void)strp, (void)fmt;
    not_here("cr_asprintf");
}

void cr_asprintf_free(char *buf)
{
    (void)buf;
    not_here("cr_asprintf_free");
}
