/*
 * proxies.c - lab 3's contract functions as its tests call them.
 *
 * Each proxy names the call's arguments (values, descriptors, the bytes behind
 * pointers) and has the student's function (linked as student__NAME, see
 * grader/runtime/objcheck.py) run in the test's student session, which sends back
 * its result, errno and what it wrote (tests/common/labcall.h): the test's own
 * process never runs student code.
 */
#include "labtest.h"

#include "lab3.h"

LAB_STUDENT_FUNCTION(tcp_listen);
LAB_STUDENT_FUNCTION(local_port);

static long invoke_tcp_listen(const struct lab_call *call)
{
    return student__tcp_listen(LAB_POINTER(call, 0), (uint16_t)LAB_VALUE(call, 1),
                               (int)LAB_VALUE(call, 2));
}

int tcp_listen(const char *ip, uint16_t port, int backlog)
{
    struct lab_call call = {.name = "tcp_listen()", .invoke = invoke_tcp_listen,
                            .returns_fd = true};
    lab_arg_string(&call, ip);
    lab_arg_value(&call, port);
    lab_arg_value(&call, backlog);
    return (int)lab_call_run(&call);
}

static long invoke_local_port(const struct lab_call *call)
{
    return student__local_port((int)LAB_VALUE(call, 0));
}

int local_port(int fd)
{
    struct lab_call call = {.name = "local_port()", .invoke = invoke_local_port};
    lab_arg_fd(&call, fd);
    return (int)lab_call_run(&call);
}
