/*
 * proxies.c - lab 6's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab6.h"

LAB_STUDENT_FUNCTION(echo_session);

static long invoke_echo_session(const struct lab_call *call)
{
    return student__echo_session((int)LAB_VALUE(call, 0));
}

ssize_t echo_session(int client_fd)
{
    struct lab_call call = {.name = "echo_session()", .invoke = invoke_echo_session};
    lab_arg_fd(&call, client_fd);
    return (ssize_t)lab_call_run(&call);
}
