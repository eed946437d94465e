/*
 * proxies.c - lab 7's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab7.h"

LAB_STUDENT_FUNCTION(echo_roundtrip);

static long invoke_echo_roundtrip(const struct lab_call *call)
{
    return student__echo_roundtrip((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1),
                                   (size_t)LAB_VALUE(call, 2), LAB_POINTER(call, 3));
}

ssize_t echo_roundtrip(int fd, const void *msg, size_t len, void *reply)
{
    struct lab_call call = {.name = "echo_roundtrip()", .invoke = invoke_echo_roundtrip};
    lab_arg_fd(&call, fd);
    lab_arg_in(&call, msg, len);
    lab_arg_value(&call, (long)len);
    lab_arg_inout(&call, reply, len);
    return (ssize_t)lab_call_run(&call);
}
