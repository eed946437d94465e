/*
 * proxies.c - lab 5's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab5.h"

LAB_STUDENT_FUNCTION(send_all);
LAB_STUDENT_FUNCTION(recv_all);

static long invoke_send_all(const struct lab_call *call)
{
    return student__send_all((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1),
                             (size_t)LAB_VALUE(call, 2));
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
    struct lab_call call = {.name = "send_all()", .invoke = invoke_send_all};
    lab_arg_fd(&call, fd);
    lab_arg_in(&call, buf, len);
    lab_arg_value(&call, (long)len);
    return (ssize_t)lab_call_run(&call);
}

static long invoke_recv_all(const struct lab_call *call)
{
    return student__recv_all((int)LAB_VALUE(call, 0), LAB_POINTER(call, 1),
                             (size_t)LAB_VALUE(call, 2));
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
    struct lab_call call = {.name = "recv_all()", .invoke = invoke_recv_all};
    lab_arg_fd(&call, fd);
    lab_arg_inout(&call, buf, len);
    lab_arg_value(&call, (long)len);
    return (ssize_t)lab_call_run(&call);
}
